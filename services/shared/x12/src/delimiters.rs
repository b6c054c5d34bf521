//! The four X12 delimiters, as declared by an ISA segment or chosen by a writer.

use crate::error::{Error, Position};

/// Delimiters of one interchange. All are ASCII bytes, so splitting a `str` on them always
/// lands on character boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Delimiters {
    /// Separates elements: the 4th byte of the ISA.
    pub element: u8,
    /// Separates repetitions of an element: ISA11 from 005010 on; `None` in 004010 (ISA11 `U`).
    pub repetition: Option<u8>,
    /// Separates components of a composite element: ISA16.
    pub component: u8,
    /// Ends a segment: the byte right after ISA16 (`~`, a newline, `0x1D`, ...).
    pub segment: u8,
}

impl Default for Delimiters {
    fn default() -> Self {
        Self { element: b'*', repetition: Some(b'^'), component: b':', segment: b'~' }
    }
}

/// Width of each ISA element, ISA01..ISA16, as the standard fixes them.
pub(crate) const ISA_WIDTHS: [usize; 16] = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1];

/// Length of a standard ISA segment including its terminator.
pub(crate) const ISA_LEN: usize = 106;

impl Delimiters {
    /// Checks the delimiters are usable: ASCII, distinct, and neither letters nor digits nor
    /// space; only the segment terminator may be a line break or other whitespace.
    pub fn validate(&self) -> Result<(), &'static str> {
        let mut all = vec![self.element, self.component, self.segment];
        if let Some(r) = self.repetition {
            all.push(r);
        }
        if all.iter().any(|b| !b.is_ascii()) {
            return Err("delimiters must be ascii");
        }
        if all.iter().any(|b| b.is_ascii_alphanumeric() || *b == b' ') {
            return Err("delimiters must not be letters, digits or space");
        }
        let inner = [Some(self.element), self.repetition, Some(self.component)];
        if inner.iter().flatten().any(|b| b.is_ascii_whitespace()) {
            return Err("only the segment terminator may be whitespace");
        }
        for (i, a) in all.iter().enumerate() {
            if all.iter().skip(i + 1).any(|b| b == a) {
                return Err("delimiters must be distinct");
            }
        }
        Ok(())
    }

    /// Whether `value` contains any of these delimiters (writers must refuse such values).
    pub fn collides(&self, value: &str) -> bool {
        value
            .bytes()
            .any(|b| b == self.element || b == self.component || b == self.segment || Some(b) == self.repetition)
    }

    /// Reads the delimiters from an ISA segment starting at `bytes[0]` (which must be `ISA`).
    /// Returns them and the length of the ISA including its terminator. ISA element widths are
    /// located by scanning for separators, so a slightly mis-padded ISA still yields delimiters;
    /// [`crate::reader`] reports width problems separately.
    pub(crate) fn from_isa(bytes: &[u8], at: Position) -> Result<(Self, usize), Error> {
        let element = *bytes.get(3).ok_or(Error::IsaTooShort { found: bytes.len() })?;
        if element.is_ascii_alphanumeric() || element.is_ascii_whitespace() || !element.is_ascii() {
            return Err(Error::IsaMalformed { reason: "element separator is not a usable delimiter", at });
        }
        // Find the 16th element separator; it must come well before any sane limit.
        let mut seen = 0usize;
        let mut sixteenth = None;
        for (i, b) in bytes.iter().enumerate().skip(3).take(ISA_LEN * 2) {
            if *b == element {
                seen += 1;
                if seen == 16 {
                    sixteenth = Some(i);
                    break;
                }
            }
        }
        let Some(pos) = sixteenth else {
            return Err(if bytes.len() < ISA_LEN {
                Error::IsaTooShort { found: bytes.len() }
            } else {
                Error::IsaMalformed { reason: "fewer than 16 elements", at }
            });
        };
        let (Some(&component), Some(&declared)) = (bytes.get(pos + 1), bytes.get(pos + 2)) else {
            return Err(Error::IsaTooShort { found: bytes.len() });
        };
        let (segment, end) = real_terminator(bytes, declared, pos + 2, [element, component]);
        let isa11 = isa_element(bytes, element, 11).unwrap_or(b"");
        let repetition = match isa11 {
            [b] if !b.is_ascii_alphanumeric() && *b != b' ' && ![element, component, segment].contains(b) => Some(*b),
            _ => None,
        };
        let delimiters = Self { element, repetition, component, segment };
        delimiters.validate().map_err(|reason| Error::IsaMalformed { reason, at })?;
        Ok((delimiters, end + 1))
    }
}

/// The terminator actually used. Normally the byte after ISA16; but some senders put a line
/// break there and the real terminator at the start of the next line (`^\n~GS|...`). A
/// segment id always starts with a letter or digit, so a punctuation byte after the line
/// break can only be the terminator. Returns the terminator and its index.
fn real_terminator(bytes: &[u8], declared: u8, at: usize, others: [u8; 2]) -> (u8, usize) {
    if !declared.is_ascii_whitespace() {
        return (declared, at);
    }
    let next = bytes.iter().enumerate().skip(at).find(|(_, b)| !b.is_ascii_whitespace());
    match next {
        Some((i, &b)) if b.is_ascii_punctuation() && !others.contains(&b) => (b, i),
        _ => (declared, at),
    }
}

/// Element `n` (1-based) of the ISA at the start of `bytes`, as raw bytes.
fn isa_element(bytes: &[u8], element: u8, n: usize) -> Option<&[u8]> {
    bytes.split(|b| *b == element).nth(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &[u8] =
        b"ISA*00*          *00*          *ZZ*CLINIC01       *ZZ*PAYER01        *260115*0930*^*00501*000000001*0*T*:~";

    #[test]
    fn reads_standard_delimiters_and_length() {
        let (d, len) = Delimiters::from_isa(ISA, Position::default()).expect("valid isa");
        assert_eq!(d, Delimiters::default());
        assert_eq!(len, ISA_LEN);
    }

    #[test]
    fn isa11_u_means_no_repetition_separator() {
        let isa = String::from_utf8_lossy(ISA).replace("*^*", "*U*");
        let (d, _) = Delimiters::from_isa(isa.as_bytes(), Position::default()).expect("valid isa");
        assert_eq!(d.repetition, None);
    }

    #[test]
    fn clashing_delimiters_are_rejected() {
        let isa = String::from_utf8_lossy(ISA).replace("*:~", "*~~");
        assert!(matches!(Delimiters::from_isa(isa.as_bytes(), Position::default()), Err(Error::IsaMalformed { .. })));
    }

    #[test]
    fn isa11_equal_to_the_component_separator_is_ignored() {
        let isa = String::from_utf8_lossy(ISA).replace("*:~", "*^~");
        let (d, _) = Delimiters::from_isa(isa.as_bytes(), Position::default()).expect("usable");
        assert_eq!((d.repetition, d.component), (None, b'^'));
    }

    #[test]
    fn terminator_after_a_line_break_is_found() {
        let isa = String::from_utf8_lossy(ISA).replace("*:~", "*:\n~GS");
        let (d, len) = Delimiters::from_isa(isa.as_bytes(), Position::default()).expect("usable");
        assert_eq!((d.segment, len), (b'~', ISA_LEN + 1));
        let plain = String::from_utf8_lossy(ISA).replace("*:~", "*:\nGS");
        let (d, len) = Delimiters::from_isa(plain.as_bytes(), Position::default()).expect("usable");
        assert_eq!((d.segment, len), (b'\n', ISA_LEN));
    }

    #[test]
    fn short_isa_is_reported() {
        assert!(matches!(Delimiters::from_isa(&ISA[..50], Position::default()), Err(Error::IsaTooShort { .. })));
    }
}
