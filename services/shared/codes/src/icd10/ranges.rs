//! Code ranges and prefixes from configuration ("M00-M99", "S00–T88", "G43", "M79.2"), used
//! to say which diagnoses a payer reimburses for massage and therapy.

use std::fmt;

use super::Icd10Code;

/// An inclusive range of code prefixes; a single prefix is a range with `first == last`.
///
/// A code is inside when its first `first.len()` characters sort at or after `first` and its
/// first `last.len()` characters sort at or before `last`, so `G56-G58` holds `G56.01` and
/// `G58.9`, and `M79.2` holds `M79.2` and its children but not `M79.1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icd10Range {
    first: String,
    last: String,
}

/// Why a configured range is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("diagnosis range `{0}` is not a code prefix or two prefixes joined by '-'")]
    Malformed(String),
    #[error("diagnosis range `{0}` ends before it starts")]
    Reversed(String),
}

impl Icd10Range {
    /// Parses `A00`, `M79.2`, `M00-M99` or `S00–T88` (hyphen, en dash or em dash).
    pub fn parse(input: &str) -> Result<Self, RangeError> {
        let malformed = || RangeError::Malformed(input.to_owned());
        let trimmed = input.trim();
        let mut parts = trimmed.split(['-', '\u{2013}', '\u{2014}']);
        let first = parts.next().map(prefix).transpose().map_err(|()| malformed())?;
        let last = parts.next().map(prefix).transpose().map_err(|()| malformed())?;
        if parts.next().is_some() {
            return Err(malformed());
        }
        let first = first.ok_or_else(malformed)?;
        let last = last.unwrap_or_else(|| first.clone());
        if first.get(..1) > last.get(..1) || (first.len() == last.len() && first > last) {
            return Err(RangeError::Reversed(input.to_owned()));
        }
        Ok(Self { first, last })
    }

    /// Whether a code without dot falls in the range.
    pub fn contains_str(&self, code: &str) -> bool {
        let head = |n: usize| code.get(..n).unwrap_or(code);
        head(self.first.len()) >= self.first.as_str() && head(self.last.len()) <= self.last.as_str()
    }

    /// Whether a billable code falls in the range.
    pub fn contains(&self, code: &Icd10Code) -> bool {
        self.contains_str(code.as_str())
    }
}

fn prefix(part: &str) -> Result<String, ()> {
    let part = part.trim();
    let mut out = String::new();
    for (i, c) in part.chars().enumerate() {
        match c {
            '.' if i == 3 => {}
            c if c.is_ascii_alphanumeric() && out.len() < 7 => out.push(c.to_ascii_uppercase()),
            _ => return Err(()),
        }
    }
    let starts_with_letter = out.bytes().next().is_some_and(|b| b.is_ascii_uppercase());
    if starts_with_letter { Ok(out) } else { Err(()) }
}

impl fmt::Display for Icd10Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = super::dotted(&self.first);
        if self.first == self.last { f.write_str(&first) } else { write!(f, "{first}-{}", super::dotted(&self.last)) }
    }
}

/// A union of ranges, e.g. the diagnoses a payer reimburses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Icd10Set {
    ranges: Vec<Icd10Range>,
}

impl Icd10Set {
    /// Parses every entry; the first bad one is the error.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, RangeError> {
        let ranges = entries.iter().map(|e| Icd10Range::parse(e.as_ref())).collect::<Result<_, _>>()?;
        Ok(Self { ranges })
    }

    /// Whether any range holds the code.
    pub fn contains(&self, code: &Icd10Code) -> bool {
        self.ranges.iter().any(|r| r.contains(code))
    }

    /// Whether any range holds a code written without dot (billable or not).
    pub fn contains_str(&self, code: &str) -> bool {
        self.ranges.iter().any(|r| r.contains_str(code))
    }

    /// The ranges, for display in review messages.
    pub fn ranges(&self) -> &[Icd10Range] {
        &self.ranges
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn code(s: &str) -> Icd10Code {
        Icd10Code::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn chapter_ranges_hold_their_codes() {
        let m = Icd10Range::parse("M00-M99").unwrap();
        assert!(m.contains(&code("M54.50")));
        assert!(m.contains(&code("M00.00")));
        assert!(!m.contains(&code("G44.209")));
        let injuries = Icd10Range::parse("S00\u{2013}T88").unwrap();
        assert!(injuries.contains(&code("S13.4XXA")));
        assert!(injuries.contains(&code("T88.9XXA")));
        assert!(!injuries.contains(&code("V00.01XA")));
    }

    #[test]
    fn dotted_prefix_holds_only_its_subtree() {
        let r = Icd10Range::parse("M79.2").unwrap();
        assert!(r.contains(&code("M79.2")));
        assert!(!r.contains(&code("M79.10")));
        assert!(!r.contains_str("M791"));
        assert!(!r.contains(&code("M79.3")));
        assert!(r.contains_str("M792"));
        assert_eq!(r.to_string(), "M79.2");
    }

    #[test]
    fn category_span_holds_longer_codes() {
        let r = Icd10Range::parse("G56-G58").unwrap();
        assert!(r.contains(&code("G56.01")));
        assert!(r.contains(&code("G58.9")));
        assert!(!r.contains(&code("G59")));
        assert!(!r.contains(&code("G55")));
    }

    #[test]
    fn bad_ranges_are_rejected() {
        assert!(matches!(Icd10Range::parse("M99-M00"), Err(RangeError::Reversed(_))));
        assert!(matches!(Icd10Range::parse("54-M99"), Err(RangeError::Malformed(_))));
        assert!(matches!(Icd10Range::parse("M00-M50-M99"), Err(RangeError::Malformed(_))));
        assert!(matches!(Icd10Range::parse(""), Err(RangeError::Malformed(_))));
        assert!(matches!(Icd10Range::parse("M0 0"), Err(RangeError::Malformed(_))));
    }

    #[test]
    fn set_is_a_union() {
        let set = Icd10Set::parse(&["G43", "G44", "R52"]).unwrap();
        assert!(set.contains(&code("G44.209")));
        assert!(set.contains(&code("R52")));
        assert!(!set.contains(&code("R51.9")));
    }
}
