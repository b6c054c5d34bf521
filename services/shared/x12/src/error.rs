//! The one error type of the crate: structural problems found while reading, writing or
//! grouping HL loops, each with the position where it was found.

use std::fmt;

/// Where a problem sits in the input: the 0-based segment index (counted over the whole input,
/// ISA included) and the byte offset of the segment's first byte (a UTF-8 BOM counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Position {
    pub segment: usize,
    pub offset: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "segment {} (byte {})", self.segment, self.offset)
    }
}

/// Everything that can go wrong in this crate. Messages name segments, elements and positions,
/// never element values (which may be PHI); control numbers and counts are not PHI and are shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input does not start with an ISA segment (after an optional BOM and whitespace).
    #[error("not x12: the input does not start with an ISA segment")]
    NotX12,
    /// The input is UTF-16; X12 interchanges are ASCII (UTF-8 tolerated).
    #[error("not x12: the input looks utf-16 encoded")]
    Utf16,
    /// The input ends before the ISA segment is complete.
    #[error("ISA segment too short: {found} bytes, at least 106 needed")]
    IsaTooShort { found: usize },
    /// The ISA segment cannot give usable delimiters or fixed-width fields.
    #[error("ISA segment malformed at {at}: {reason}")]
    IsaMalformed { reason: &'static str, at: Position },
    /// The bytes of the input are not valid UTF-8.
    #[error("invalid utf-8 at byte {offset}")]
    InvalidUtf8 { offset: usize },
    /// A segment identifier is not 2-3 upper-case letters or digits.
    #[error("invalid segment identifier at {at}")]
    InvalidSegmentId { at: Position },
    /// A segment appears where no envelope is open to hold it.
    #[error("{segment} segment outside an envelope at {at}")]
    OutsideEnvelope { segment: String, at: Position },
    /// A header was followed by the next header (or an outer trailer) instead of its trailer.
    #[error("missing {trailer} for the envelope opened at {opened}, found at {at}")]
    MissingTrailer { trailer: &'static str, opened: Position, at: Position },
    /// The input ends while an envelope is still open, or in the middle of a segment.
    #[error("truncated input: missing {missing} for the envelope opened at {opened}")]
    Truncated { missing: &'static str, opened: Position },
    /// A segment is not followed by a segment terminator at the end of the input.
    #[error("truncated input: the segment at {at} has no terminator")]
    UnterminatedSegment { at: Position },
    /// A required envelope element is absent.
    #[error("{segment}{element:02} is missing at {at}")]
    MissingElement { segment: &'static str, element: usize, at: Position },
    /// A trailer's count does not match what the envelope holds.
    #[error("{segment}01 count mismatch at {at}: declared {declared}, counted {counted}")]
    CountMismatch { segment: &'static str, declared: String, counted: usize, at: Position },
    /// A trailer's control number does not match its header's.
    #[error("{trailer} control number {trailer_value} does not match {header} {header_value} at {at}")]
    ControlNumberMismatch {
        header: &'static str,
        header_value: String,
        trailer: &'static str,
        trailer_value: String,
        at: Position,
    },
    /// The HL segments of a transaction do not form a tree.
    #[error("HL hierarchy error at {at}: {reason}")]
    Hierarchy { reason: &'static str, at: Position },
    /// A value handed to the writer contains one of the interchange's delimiters.
    #[error("{segment}{element:02} contains a delimiter (x12 has no escape)")]
    DelimiterInValue { segment: String, element: usize },
    /// A value handed to the writer does not fit the field it is meant for.
    #[error("invalid {field} for the writer: {reason}")]
    InvalidValue { field: &'static str, reason: &'static str },
}
