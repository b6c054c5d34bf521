//! Splits an input into segments with the delimiters its ISA declares. Every ISA re-reads the
//! delimiters, so interchanges with different delimiters can follow one another. Whitespace
//! (CR, LF, indentation) between segments is skipped, whatever the terminator.

use crate::delimiters::Delimiters;
use crate::error::{Error, Position};
use crate::segment::Segment;

/// What the tokenizer hands the envelope reader.
#[derive(Debug)]
pub(crate) enum Token<'a> {
    Segment(Segment<'a>),
    /// A problem with the segment that follows (it is still delivered next).
    Warning(Error),
    /// The last segment of the input, with no terminator after it.
    Unterminated(Segment<'a>),
    /// A problem after which nothing more can be read.
    Fatal(Error),
}

pub(crate) struct Tokenizer<'a> {
    text: &'a str,
    pos: usize,
    index: usize,
    delimiters: Delimiters,
    stash: Option<Segment<'a>>,
}

/// UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<'a> Tokenizer<'a> {
    /// Checks the input can be X12 at all: not UTF-16, valid UTF-8, starting with `ISA`.
    pub(crate) fn new(input: &'a [u8]) -> Result<Self, Error> {
        if input.starts_with(b"\xFF\xFE") || input.starts_with(b"\xFE\xFF") || input.get(1) == Some(&0) {
            return Err(Error::Utf16);
        }
        let start = if input.starts_with(BOM) { BOM.len() } else { 0 };
        let first = input.iter().skip(start).position(|b| !b.is_ascii_whitespace()).map_or(input.len(), |p| p + start);
        if !input.get(first..).is_some_and(|r| r.starts_with(b"ISA")) {
            return Err(Error::NotX12);
        }
        let text = std::str::from_utf8(input).map_err(|e| Error::InvalidUtf8 { offset: e.valid_up_to() })?;
        Ok(Self { text, pos: first, index: 0, delimiters: Delimiters::default(), stash: None })
    }

    fn at(&self, offset: usize) -> Position {
        Position { segment: self.index, offset }
    }

    /// Skips whitespace and reads the ISA at the cursor, switching to its delimiters.
    fn isa_piece(&mut self, start: usize) -> Result<&'a str, Error> {
        let rest = self.text.as_bytes().get(start..).unwrap_or_default();
        let (delimiters, len) = Delimiters::from_isa(rest, self.at(start))?;
        self.delimiters = delimiters;
        self.pos = start + len;
        Ok(self.text.get(start..start + len - 1).unwrap_or_default())
    }

    /// Splits a segment on the element separator. Byte-wise (the separator is ASCII, so every
    /// cut is a character boundary) and with one exact allocation: this is the hot path.
    fn split(&self, piece: &'a str, start: usize) -> Segment<'a> {
        let sep = self.delimiters.element;
        let bytes = piece.as_bytes();
        let count = bytes.iter().filter(|b| **b == sep).count();
        let mut elements = Vec::with_capacity(count);
        let mut id = None;
        let mut from = 0;
        for (i, b) in bytes.iter().enumerate() {
            if *b == sep {
                let part = piece.get(from..i).unwrap_or_default();
                if id.is_none() {
                    id = Some(part);
                } else {
                    elements.push(part);
                }
                from = i + 1;
            }
        }
        let last = piece.get(from..).unwrap_or_default();
        let id = match id {
            Some(id) => {
                elements.push(last);
                id
            }
            None => last,
        };
        Segment::new(id, elements, self.delimiters, self.at(start))
    }
}

/// Position of the first `needle` byte in `haystack`.
pub(crate) fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    haystack.iter().position(|b| *b == needle)
}

/// Whether `id` is a plausible segment identifier: 2-3 upper-case letters or digits.
fn valid_id(id: &str) -> bool {
    (2..=3).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Whether an ISA starts at `bytes` (as opposed to a segment id that merely begins with ISA).
fn is_isa(bytes: &[u8]) -> bool {
    bytes.starts_with(b"ISA") && bytes.get(3).is_some_and(|b| !b.is_ascii_alphanumeric())
}

impl<'a> Iterator for Tokenizer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        if let Some(seg) = self.stash.take() {
            self.index += 1;
            return Some(Token::Segment(seg));
        }
        let bytes = self.text.as_bytes();
        loop {
            let skip =
                bytes.get(self.pos..)?.iter().position(|b| !b.is_ascii_whitespace() && *b != self.delimiters.segment);
            let start = self.pos + skip.unwrap_or(bytes.len().saturating_sub(self.pos));
            if start >= bytes.len() {
                self.pos = bytes.len();
                return None;
            }
            let rest = bytes.get(start..).unwrap_or_default();
            let (piece, terminated) = if is_isa(rest) {
                match self.isa_piece(start) {
                    Ok(p) => (p, true),
                    Err(e) => {
                        self.pos = bytes.len();
                        return Some(Token::Fatal(e));
                    }
                }
            } else {
                let tail = self.text.get(start..).unwrap_or_default();
                match find_byte(tail.as_bytes(), self.delimiters.segment) {
                    Some(end) => {
                        self.pos = start + end + 1;
                        (tail.get(..end).unwrap_or_default(), true)
                    }
                    None => {
                        self.pos = bytes.len();
                        (tail, false)
                    }
                }
            };
            let piece = piece.trim_end_matches(['\r', '\n']);
            if piece.is_empty() {
                continue;
            }
            let seg = self.split(piece, start);
            let warning = if !valid_id(seg.id()) { Some(Error::InvalidSegmentId { at: seg.position() }) } else { None };
            return Some(match warning {
                Some(w) => {
                    self.stash = Some(seg);
                    Token::Warning(w)
                }
                None => {
                    self.index += 1;
                    if terminated { Token::Segment(seg) } else { Token::Unterminated(seg) }
                }
            });
        }
    }
}
