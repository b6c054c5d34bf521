//! Parsing one ER7 message into an index of borrowed segments, within size limits.

use std::borrow::Cow;

use crate::{Delimiters, Header, Hl7Error, Location, Path, Segment};

/// Bounds on what the parser accepts, so a hostile sender cannot make it allocate without end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest message accepted, in bytes.
    pub max_bytes: usize,
    /// Most segments accepted in one message.
    pub max_segments: usize,
}

impl Default for Limits {
    /// 1 MiB and 5,000 segments: far above any order or referral, low enough to bound memory.
    fn default() -> Self {
        Self { max_bytes: 1 << 20, max_segments: 5_000 }
    }
}

/// A parsed message: the text it borrows, its delimiters and its segments in order.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    text: &'a str,
    delims: Delimiters,
    segments: Vec<Segment<'a>>,
}

impl<'a> Message<'a> {
    /// Parses with the default [`Limits`].
    pub fn parse(text: &'a str) -> Result<Self, Hl7Error> {
        Self::parse_with(text, &Limits::default())
    }

    /// Parses one message. Segments may end in `\r`, `\n` or `\r\n`; a leading byte-order
    /// mark and blank lines are skipped.
    pub fn parse_with(text: &'a str, limits: &Limits) -> Result<Self, Hl7Error> {
        if text.len() > limits.max_bytes {
            return Err(Hl7Error::TooLarge { size: text.len(), limit: limits.max_bytes });
        }
        let text = trim_start(text);
        if text.trim().is_empty() {
            return Err(Hl7Error::Empty);
        }
        if text.starts_with("FHS") || text.starts_with("BHS") {
            return Err(Hl7Error::IsBatch);
        }
        if !text.starts_with("MSH") {
            return Err(Hl7Error::NotMsh);
        }
        let delims = Delimiters::from_header(text).ok_or(Hl7Error::BadDelimiters { segment: "MSH" })?;
        let mut segments = Vec::with_capacity(16);
        for (_, raw) in split_segments(text) {
            if segments.len() >= limits.max_segments {
                return Err(Hl7Error::TooManySegments { limit: limits.max_segments });
            }
            let index = segments.len();
            let id = segment_id(raw, delims.field).ok_or_else(|| {
                let id = raw.get(..3).filter(|id| id.bytes().all(|b| b.is_ascii_alphanumeric())).unwrap_or("");
                Hl7Error::BadSegmentId(Location::segment(index, id, 1))
            })?;
            let occurrence = 1 + segments.iter().filter(|s: &&Segment<'_>| s.id == id).count();
            segments.push(Segment { id, raw, index, occurrence, delims });
        }
        Ok(Self { text, delims, segments })
    }

    /// The text the message was parsed from (after any byte-order mark).
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The delimiters declared in MSH-1/MSH-2.
    pub fn delimiters(&self) -> Delimiters {
        self.delims
    }

    /// Every segment in order; the first is always MSH.
    pub fn segments(&self) -> &[Segment<'a>] {
        &self.segments
    }

    /// The MSH segment, with typed accessors.
    pub fn header(&self) -> Header<'a> {
        // parse_with guarantees segment 0 exists and is MSH
        let msh = self.segments.first().copied().unwrap_or(Segment {
            id: "MSH",
            raw: "MSH",
            index: 0,
            occurrence: 1,
            delims: self.delims,
        });
        Header { segment: msh }
    }

    /// The first segment with this id.
    pub fn segment(&self, id: &str) -> Option<Segment<'a>> {
        self.segments.iter().find(|s| s.id == id).copied()
    }

    /// The `occurrence`-th (1-based) segment with this id.
    pub fn segment_n(&self, id: &str, occurrence: usize) -> Option<Segment<'a>> {
        self.segments_with_id(id).nth(occurrence.checked_sub(1)?)
    }

    /// Every segment with this id, in order.
    pub fn segments_with_id<'s>(&'s self, id: &'s str) -> impl Iterator<Item = Segment<'a>> + 's {
        self.segments.iter().filter(move |s| s.id == id).copied()
    }

    /// The value at a path, unescaped; empty when absent.
    pub fn get(&self, path: &Path) -> Cow<'a, str> {
        let Some(segment) = self.segment_n(&path.segment, path.occurrence) else {
            return Cow::Borrowed("");
        };
        let field = segment.field(path.field);
        match (path.component, path.subcomponent) {
            (None, _) if path.repetition.is_none() => field.text(),
            (None, _) => field.repetition(path.repetition.unwrap_or(1)).text(),
            (Some(c), None) => field.repetition(path.repetition.unwrap_or(1)).component(c).text(),
            (Some(c), Some(s)) => field.repetition(path.repetition.unwrap_or(1)).component(c).subcomponent(s),
        }
    }

    /// The location of a segment of this message, for error reports and ERR segments.
    pub fn location_of(&self, segment: &Segment<'_>) -> Location {
        Location::segment(segment.index, segment.id, segment.occurrence.max(1))
    }
}

/// Drops a UTF-8 byte-order mark and leading blank lines.
pub(crate) fn trim_start(text: &str) -> &str {
    text.trim_start_matches('\u{feff}').trim_start_matches(['\r', '\n', ' ', '\t'])
}

/// Splits text into non-blank segments with their byte offsets.
///
/// When the text contains any carriage return, `\r` (or `\r\n`) ends segments and a lone `\n`
/// stays inside its field; otherwise `\n` ends segments.
pub(crate) fn split_segments(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let sep = if text.as_bytes().contains(&b'\r') { '\r' } else { '\n' };
    let mut offset = 0usize;
    text.split(sep).filter_map(move |piece| {
        let start = offset;
        offset += piece.len() + 1;
        let lead = piece.len() - piece.trim_start_matches('\n').len();
        let piece = piece.get(lead..).unwrap_or_default();
        // Trailing spaces belong to the last field, so only whitespace-only lines are dropped.
        (!piece.trim().is_empty()).then_some((start + lead, piece))
    })
}

/// The segment id when `raw` starts with three upper-case letters or digits followed by the
/// field separator (or nothing).
pub(crate) fn segment_id(raw: &str, field: u8) -> Option<&str> {
    let bytes = raw.as_bytes();
    let id = bytes.get(..3)?;
    if !id.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
        return None;
    }
    match bytes.get(3) {
        None => raw.get(..3),
        Some(b) if *b == field => raw.get(..3),
        Some(_) => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    const ORM: &str = "MSH|^~\\&|EHR|CLINIC|RX|MT|20260105||ORM^O01|MSG1|P|2.3\rPID|1||MRN1||DOE^JANE\rDG1|1||M54.50^Low back pain^I10\rDG1|2||M62.830^Spasm^I10\r";

    #[test]
    fn segment_separators_cr_lf_and_crlf_parse_alike() {
        for text in [ORM.to_owned(), ORM.replace('\r', "\n"), ORM.replace('\r', "\r\n")] {
            let msg = Message::parse(&text).unwrap();
            let ids: Vec<&str> = msg.segments().iter().map(|s| s.id()).collect();
            assert_eq!(ids, ["MSH", "PID", "DG1", "DG1"]);
            assert_eq!(msg.segment_n("DG1", 2).unwrap().field(3).component(1).text(), "M62.830");
        }
    }

    #[test]
    fn lone_lf_inside_a_cr_message_stays_in_its_field() {
        let msg = Message::parse("MSH|^~\\&|A|B|||1||ORM^O01|1|P|2.3\rNTE|1||line one\nline two\r").unwrap();
        assert_eq!(msg.segments().len(), 2);
        assert_eq!(msg.segment("NTE").unwrap().field(3).text(), "line one\nline two");
    }

    #[test]
    fn bom_and_blank_lines_are_skipped() {
        let text = format!("\u{feff}\r\n{}\r\n\r\n", ORM.replace('\r', "\r\n"));
        assert_eq!(Message::parse(&text).unwrap().segments().len(), 4);
    }

    #[test]
    fn errors_say_what_and_where() {
        assert_eq!(Message::parse("").unwrap_err(), Hl7Error::Empty);
        assert_eq!(Message::parse(" \r\n").unwrap_err(), Hl7Error::Empty);
        assert_eq!(Message::parse("PID|1").unwrap_err(), Hl7Error::NotMsh);
        assert_eq!(Message::parse("FHS|^~\\&").unwrap_err(), Hl7Error::IsBatch);
        assert_eq!(Message::parse("MSH|").unwrap_err(), Hl7Error::BadDelimiters { segment: "MSH" });
        let err = Message::parse("MSH|^~\\&|A\rPID|1\rpid|2\r").unwrap_err();
        assert_eq!(err.location().map(|l| l.segment_index), Some(2));
        assert!(err.to_string().contains("segment 3"), "{err}");
        let err = Message::parse("MSH|^~\\&|A\rPIDX|1\r").unwrap_err();
        assert!(matches!(err, Hl7Error::BadSegmentId(_)));
    }

    #[test]
    fn limits_are_enforced_with_clear_errors() {
        let limits = Limits { max_bytes: 40, max_segments: 3 };
        assert_eq!(Message::parse_with(ORM, &limits).unwrap_err(), Hl7Error::TooLarge { size: ORM.len(), limit: 40 });
        let limits = Limits { max_bytes: 1 << 20, max_segments: 3 };
        assert_eq!(Message::parse_with(ORM, &limits).unwrap_err(), Hl7Error::TooManySegments { limit: 3 });
    }

    #[test]
    fn path_access_and_locations() {
        let msg = Message::parse(ORM).unwrap();
        assert_eq!(msg.get(&Path::parse("PID-5.2").unwrap()), "JANE");
        assert_eq!(msg.get(&Path::parse("DG1(2)-3.1").unwrap()), "M62.830");
        assert_eq!(msg.get(&Path::parse("ZZZ-1").unwrap()), "");
        let dg1 = msg.segment_n("DG1", 2).unwrap();
        let loc = msg.location_of(&dg1);
        assert_eq!((loc.segment_index, loc.occurrence), (3, 2));
        assert_eq!(loc.field(3).to_string(), "DG1(2)-3 (segment 4)");
    }
}
