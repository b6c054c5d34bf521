//! Borrowed views of a segment and its fields, repetitions, components and subcomponents.
//!
//! Numbering follows HL7: fields, repetitions, components and subcomponents count from 1, and
//! MSH-1 is the field separator itself. Asking for something absent yields an empty view, as
//! HL7 treats a missing trailing field like an empty one.

use std::borrow::Cow;

use crate::{Delimiters, escape::unescape};

/// One segment of a parsed message.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    pub(crate) id: &'a str,
    pub(crate) raw: &'a str,
    pub(crate) index: usize,
    /// One-based occurrence of this id in its message (1 outside a parsed message).
    pub(crate) occurrence: usize,
    pub(crate) delims: Delimiters,
}

impl<'a> Segment<'a> {
    /// The three-character id, e.g. `PID`.
    pub fn id(&self) -> &'a str {
        self.id
    }

    /// Zero-based position of the segment in its message.
    pub fn index(&self) -> usize {
        self.index
    }

    /// One-based occurrence of this segment id in its message (`DG1(2)` is occurrence 2).
    pub fn occurrence(&self) -> usize {
        self.occurrence
    }

    /// The segment as written, without its terminator.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    fn is_header(&self) -> bool {
        matches!(self.id, "MSH" | "FHS" | "BHS")
    }

    /// Field `n` (1-based). For MSH/FHS/BHS, field 1 is the field separator and field 2 the
    /// encoding characters, as the standard numbers them.
    pub fn field(&self, n: usize) -> Field<'a> {
        let raw = if n == 0 {
            self.id
        } else if self.is_header() {
            if n == 1 { self.raw.get(3..4).unwrap_or_default() } else { self.nth_split(n - 1) }
        } else {
            self.nth_split(n)
        };
        Field { raw, delims: self.delims }
    }

    /// Number of fields present (trailing empty fields included as written).
    pub fn field_count(&self) -> usize {
        let splits = self.raw.split(char::from(self.delims.field)).count().saturating_sub(1);
        if self.is_header() { splits + 1 } else { splits }
    }

    /// Iterates fields 1.. in order.
    pub fn fields(&self) -> impl Iterator<Item = Field<'a>> + '_ {
        (1..=self.field_count()).map(|n| self.field(n))
    }

    fn nth_split(&self, n: usize) -> &'a str {
        nth_part(self.raw, self.delims.field, n)
    }
}

/// A field, possibly with repetitions.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    raw: &'a str,
    delims: Delimiters,
}

/// One repetition of a field.
#[derive(Debug, Clone, Copy)]
pub struct Repetition<'a> {
    raw: &'a str,
    delims: Delimiters,
}

/// One component of a repetition.
#[derive(Debug, Clone, Copy)]
pub struct Component<'a> {
    raw: &'a str,
    delims: Delimiters,
}

fn nth_piece(raw: &str, sep: Option<u8>, n: usize) -> &str {
    if n == 0 {
        return "";
    }
    match sep {
        Some(sep) => nth_part(raw, sep, n - 1),
        None if n == 1 => raw,
        None => "",
    }
}

/// The `n`-th (0-based) part of `raw` split on the ASCII byte `sep`; empty when absent.
///
/// Field access is the hot path of mapping (tens of lookups per message), so separators are
/// counted eight bytes at a time (SWAR) rather than through `str::split`. The delimiters are
/// ASCII, so every part boundary is a char boundary.
fn nth_part(raw: &str, sep: u8, n: usize) -> &str {
    let bytes = raw.as_bytes();
    let mut seen = 0usize; // separators passed
    let mut start = 0usize; // start of the current part
    let mut offset = 0usize;
    let repeated = u64::from_ne_bytes([sep; 8]);
    for chunk in bytes.chunks_exact(8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let mut hits = matches(word ^ repeated);
        let count = hits.count_ones() as usize;
        if seen + count <= n {
            if count > 0 {
                // the part starts after the last separator in this chunk
                let last = 7 - (hits.leading_zeros() as usize / 8);
                start = offset + last + 1;
            }
            seen += count;
            offset += 8;
            continue;
        }
        while hits != 0 {
            let at = offset + hits.trailing_zeros() as usize / 8;
            if seen == n {
                return raw.get(start..at).unwrap_or_default();
            }
            seen += 1;
            start = at + 1;
            hits &= hits - 1;
        }
        offset += 8;
    }
    for (i, b) in bytes.iter().enumerate().skip(offset) {
        if *b == sep {
            if seen == n {
                return raw.get(start..i).unwrap_or_default();
            }
            seen += 1;
            start = i + 1;
        }
    }
    if seen == n { raw.get(start..).unwrap_or_default() } else { "" }
}

/// The high bit of each byte of `x` that is zero (exact, no false positives).
fn matches(x: u64) -> u64 {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    !(((x & LOW).wrapping_add(LOW)) | x | LOW)
}

macro_rules! leaf_methods {
    () => {
        /// The value as written, escape sequences included.
        pub fn raw(&self) -> &'a str {
            self.raw
        }

        /// The value with escape sequences replaced.
        pub fn text(&self) -> Cow<'a, str> {
            unescape(self.raw, &self.delims)
        }

        /// Whether nothing was sent.
        pub fn is_empty(&self) -> bool {
            self.raw.is_empty()
        }

        /// Whether the HL7 explicit null `""` was sent (meaning "delete the stored value").
        pub fn is_null(&self) -> bool {
            self.raw == "\"\""
        }
    };
}

impl<'a> Field<'a> {
    leaf_methods!();

    /// Repetition `n` (1-based).
    pub fn repetition(&self, n: usize) -> Repetition<'a> {
        Repetition { raw: nth_piece(self.raw, self.delims.repetition, n), delims: self.delims }
    }

    /// Every repetition, in order; one (possibly empty) for an empty field.
    pub fn repetitions(&self) -> impl Iterator<Item = Repetition<'a>> + 'a {
        let delims = self.delims;
        // A segment never contains a carriage return (it is always a segment terminator), so
        // splitting on it yields the whole field when there is no repetition separator.
        let sep = char::from(delims.repetition.unwrap_or(b'\r'));
        self.raw.split(sep).map(move |raw| Repetition { raw, delims })
    }

    /// Component `n` of the first repetition.
    pub fn component(&self, n: usize) -> Component<'a> {
        self.repetition(1).component(n)
    }
}

impl<'a> Repetition<'a> {
    leaf_methods!();

    /// Component `n` (1-based).
    pub fn component(&self, n: usize) -> Component<'a> {
        Component { raw: nth_piece(self.raw, Some(self.delims.component), n), delims: self.delims }
    }

    /// Every component, in order.
    pub fn components(&self) -> impl Iterator<Item = Component<'a>> + 'a {
        let delims = self.delims;
        self.raw.split(char::from(delims.component)).map(move |raw| Component { raw, delims })
    }
}

impl<'a> Component<'a> {
    leaf_methods!();

    /// Subcomponent `n` (1-based), unescaped.
    pub fn subcomponent(&self, n: usize) -> Cow<'a, str> {
        unescape(nth_piece(self.raw, self.delims.subcomponent, n), &self.delims)
    }

    /// Subcomponent `n` (1-based) as written.
    pub fn subcomponent_raw(&self, n: usize) -> &'a str {
        nth_piece(self.raw, self.delims.subcomponent, n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use proptest::prelude::*;

    use super::nth_part;
    use crate::Message;

    proptest! {
        #[test]
        fn nth_part_agrees_with_str_split(raw in "[a|^&\u{e9}]{0,40}", n in 0usize..12) {
            let expected = raw.split('|').nth(n).unwrap_or_default();
            prop_assert_eq!(nth_part(&raw, b'|', n), expected);
        }
    }

    #[test]
    fn msh_numbering_counts_the_separator_as_field_one() {
        let msg = Message::parse("MSH|^~\\&|APP|FAC|||20260105||ORM^O01|C1|P|2.3").unwrap();
        let msh = msg.segment("MSH").unwrap();
        assert_eq!(msh.field(1).raw(), "|");
        assert_eq!(msh.field(2).raw(), "^~\\&");
        assert_eq!(msh.field(3).raw(), "APP");
        assert_eq!(msh.field(9).component(2).raw(), "O01");
        assert_eq!(msh.field(12).raw(), "2.3");
        assert_eq!(msh.field(13).raw(), "");
        assert_eq!(msh.field_count(), 12);
    }

    #[test]
    fn repetitions_components_and_subcomponents() {
        let msg = Message::parse(
            "MSH|^~\\&|A|B|||1||ADT^A01|1|P|2.5\rPID|1||ID1^^^H&1.2&ISO^MR~ID2^^^SSA^SS||EVERYMAN&&&&Aniston^ADAM",
        )
        .unwrap();
        let pid = msg.segment("PID").unwrap();
        let ids = pid.field(3);
        assert_eq!(ids.repetitions().count(), 2);
        assert_eq!(ids.repetition(2).component(1).raw(), "ID2");
        assert_eq!(ids.component(4).subcomponent(2), "1.2");
        assert_eq!(pid.field(5).component(1).subcomponent(1), "EVERYMAN");
        assert_eq!(pid.field(5).component(1).subcomponent(5), "Aniston");
        assert_eq!(pid.field(5).component(2).text(), "ADAM");
        assert!(pid.field(5).component(9).is_empty());
        assert!(pid.field(40).repetition(3).component(2).is_empty());
        assert_eq!(pid.field(0).raw(), "PID");
    }

    #[test]
    fn explicit_null_is_not_empty() {
        let msg = Message::parse("MSH|^~\\&|A|B|||1||ADT^A08|1|P|2.5\rPID|1||\"\"").unwrap();
        let f = msg.segment("PID").unwrap().field(3);
        assert!(f.is_null());
        assert!(!f.is_empty());
    }
}
