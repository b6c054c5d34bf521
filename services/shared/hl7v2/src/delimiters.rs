//! Encoding characters, read from a header segment (MSH, FHS or BHS) rather than assumed, since
//! senders may use non-default ones.

/// The five separators of an ER7 message. All are single ASCII characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiters {
    pub field: u8,
    pub component: u8,
    pub repetition: Option<u8>,
    pub escape: Option<u8>,
    pub subcomponent: Option<u8>,
}

impl Default for Delimiters {
    /// `|^~\&`, which almost every sender uses.
    fn default() -> Self {
        Self { field: b'|', component: b'^', repetition: Some(b'~'), escape: Some(b'\\'), subcomponent: Some(b'&') }
    }
}

impl Delimiters {
    /// Reads the delimiters from the start of a header segment (`MSH|^~\&|...`).
    ///
    /// Returns `None` when the characters are missing, repeated, alphanumeric, whitespace or
    /// not ASCII. MSH-2 may be shorter than four characters (the absent ones are unused) and
    /// may carry a fifth (the v2.7 truncation character), which is ignored.
    pub fn from_header(segment: &str) -> Option<Self> {
        let bytes = segment.as_bytes();
        let field = *bytes.get(3)?;
        if !is_delimiter(field) {
            return None;
        }
        let rest = bytes.get(4..)?;
        let end = rest.iter().position(|b| *b == field || *b == b'\r' || *b == b'\n').unwrap_or(rest.len());
        let encoding = rest.get(..end)?;
        if encoding.is_empty() || encoding.len() > 5 {
            return None;
        }
        let mut seen = vec![field];
        for b in encoding {
            if !is_delimiter(*b) || seen.contains(b) {
                return None;
            }
            seen.push(*b);
        }
        Some(Self {
            field,
            component: *encoding.first()?,
            repetition: encoding.get(1).copied(),
            escape: encoding.get(2).copied(),
            subcomponent: encoding.get(3).copied(),
        })
    }

    /// MSH-2 as it should be written for these delimiters.
    pub fn encoding_characters(&self) -> String {
        let mut out = String::with_capacity(4);
        out.push(char::from(self.component));
        for c in [self.repetition, self.escape, self.subcomponent].into_iter().map_while(|c| c) {
            out.push(char::from(c));
        }
        out
    }

    /// Whether `b` is any of the delimiters.
    pub(crate) fn is_any(&self, b: u8) -> bool {
        b == self.field
            || b == self.component
            || Some(b) == self.repetition
            || Some(b) == self.escape
            || Some(b) == self.subcomponent
    }
}

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_graphic() && !b.is_ascii_alphanumeric()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn default_and_custom_delimiters() {
        assert_eq!(Delimiters::from_header("MSH|^~\\&|A"), Some(Delimiters::default()));
        let custom = Delimiters::from_header("MSH#$*@!#A").unwrap();
        assert_eq!(custom.field, b'#');
        assert_eq!(custom.component, b'$');
        assert_eq!(custom.repetition, Some(b'*'));
        assert_eq!(custom.escape, Some(b'@'));
        assert_eq!(custom.subcomponent, Some(b'!'));
        assert_eq!(custom.encoding_characters(), "$*@!");
    }

    #[test]
    fn short_and_truncation_encoding_characters() {
        let short = Delimiters::from_header("MSH|^~|A").unwrap();
        assert_eq!(short.escape, None);
        assert_eq!(short.encoding_characters(), "^~");
        let v27 = Delimiters::from_header("MSH|^~\\&#|A").unwrap();
        assert_eq!(v27.subcomponent, Some(b'&'));
    }

    #[test]
    fn rejects_unusable_delimiters() {
        for bad in ["MSH", "MSH|", "MSH||", "MSH|^^~\\&|", "MSHA^~\\&A", "MSH| ~\\&|", "MSH|^~\\&%$#|", "MSH|\r"] {
            assert_eq!(Delimiters::from_header(bad), None, "{bad:?}");
        }
        // a component separator alone is legal: the other separators are simply unused
        assert!(Delimiters::from_header("MSH|^\r").is_some());
    }
}
