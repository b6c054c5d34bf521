//! The crate's one error type, with the location an HL7 NAK (ERR segment) needs.
//!
//! Messages name segments and positions, never field values: a value may be a patient's name.

use std::fmt;

use crate::ack::ErrorCode;

/// Where in a message something went wrong, in HL7 numbering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Zero-based position of the segment in the message.
    pub segment_index: usize,
    /// The segment id (`PID`), or empty when the segment had no readable id.
    pub segment_id: String,
    /// One-based occurrence of this segment id in the message (ERR-2.2).
    pub occurrence: usize,
    /// One-based field number, when the problem is inside a field.
    pub field: Option<usize>,
    /// One-based repetition, component and subcomponent, when known.
    pub repetition: Option<usize>,
    pub component: Option<usize>,
    pub subcomponent: Option<usize>,
}

impl Location {
    /// A whole segment.
    pub fn segment(segment_index: usize, segment_id: &str, occurrence: usize) -> Self {
        Self {
            segment_index,
            segment_id: segment_id.to_owned(),
            occurrence,
            field: None,
            repetition: None,
            component: None,
            subcomponent: None,
        }
    }

    /// A field of a segment.
    pub fn field(mut self, field: usize) -> Self {
        self.field = Some(field);
        self
    }

    /// A component of a field.
    pub fn component(mut self, component: usize) -> Self {
        self.component = Some(component);
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = if self.segment_id.is_empty() { "segment" } else { self.segment_id.as_str() };
        write!(f, "{id}")?;
        if self.occurrence > 1 {
            write!(f, "({})", self.occurrence)?;
        }
        if let Some(field) = self.field {
            write!(f, "-{field}")?;
            if let Some(rep) = self.repetition.filter(|r| *r > 1) {
                write!(f, "({rep})")?;
            }
            if let Some(c) = self.component {
                write!(f, ".{c}")?;
                if let Some(s) = self.subcomponent {
                    write!(f, ".{s}")?;
                }
            }
        }
        write!(f, " (segment {})", self.segment_index + 1)
    }
}

/// Everything that can go wrong reading, framing or addressing HL7 v2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Hl7Error {
    #[error("hl7 message is empty")]
    Empty,
    #[error("hl7 message is {size} bytes, over the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("hl7 message has more than {limit} segments")]
    TooManySegments { limit: usize },
    #[error("hl7 message does not start with an MSH segment")]
    NotMsh,
    #[error("input is an hl7 batch (FHS/BHS); split it into messages first")]
    IsBatch,
    #[error("invalid encoding characters in {segment}-1/{segment}-2")]
    BadDelimiters { segment: &'static str },
    #[error("no valid segment id at {0}")]
    BadSegmentId(Location),
    #[error("required field missing at {0}")]
    Required(Location),
    #[error("invalid value at {0}: {1}")]
    Invalid(Location, &'static str),
    #[error("batch structure error at {location}: {problem}")]
    Batch { location: Location, problem: &'static str },
    #[error("batch trailer {segment} says {declared} but {found} were found")]
    BatchCount { segment: &'static str, declared: usize, found: usize },
    #[error("invalid hl7 path `{0}`")]
    BadPath(String),
    #[error("mllp: {discard} bytes before the start block are not a frame")]
    MllpGarbage { discard: usize },
    #[error("mllp: frame exceeds {limit} bytes")]
    MllpOversized { limit: usize, discard: usize },
    #[error("mllp: start block inside a frame; {discard} bytes dropped")]
    MllpNestedStart { discard: usize },
    #[error("mllp: end block 0x1c not followed by carriage return")]
    MllpBadTrailer { discard: usize },
}

impl Hl7Error {
    /// The location to report in an ERR segment, when the error has one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Self::BadSegmentId(l) | Self::Required(l) | Self::Invalid(l, _) => Some(l),
            Self::Batch { location, .. } => Some(location),
            _ => None,
        }
    }

    /// For MLLP errors, how many bytes at the front of the buffer to drop before decoding on.
    pub fn discard(&self) -> Option<usize> {
        match self {
            Self::MllpGarbage { discard }
            | Self::MllpOversized { discard, .. }
            | Self::MllpNestedStart { discard }
            | Self::MllpBadTrailer { discard } => Some(*discard),
            _ => None,
        }
    }

    /// The HL7 table 0357 code that best describes the error in a NAK.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Self::Required(_) => ErrorCode::RequiredFieldMissing,
            Self::Invalid(..) | Self::BadDelimiters { .. } => ErrorCode::DataTypeError,
            Self::NotMsh | Self::BadSegmentId(_) | Self::Batch { .. } | Self::BatchCount { .. } | Self::IsBatch => {
                ErrorCode::SegmentSequenceError
            }
            _ => ErrorCode::ApplicationInternalError,
        }
    }
}
