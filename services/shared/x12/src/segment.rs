//! A read segment: its identifier and elements, borrowed from the input, with accessors that
//! count elements and components 1-based as the X12 documentation does.

use crate::delimiters::Delimiters;
use crate::error::Position;

/// One segment borrowed from the input. `element(1)` is the first element after the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment<'a> {
    id: &'a str,
    elements: Vec<&'a str>,
    delimiters: Delimiters,
    position: Position,
}

impl<'a> Segment<'a> {
    pub(crate) fn new(id: &'a str, elements: Vec<&'a str>, delimiters: Delimiters, position: Position) -> Self {
        Self { id, elements, delimiters, position }
    }

    /// The segment identifier, e.g. `NM1`.
    pub fn id(&self) -> &'a str {
        self.id
    }

    /// Where the segment starts in the input.
    pub fn position(&self) -> Position {
        self.position
    }

    /// The delimiters in force for this segment (needed to split composites and repetitions).
    pub fn delimiters(&self) -> Delimiters {
        self.delimiters
    }

    /// All elements as written, empty ones included, repetitions and components unsplit.
    pub fn elements(&self) -> &[&'a str] {
        &self.elements
    }

    /// Element `n` (1-based), `None` when absent or empty: X12 treats an empty element as not
    /// used, so callers rarely need to tell the two apart (use [`Self::raw_element`] if they do).
    pub fn element(&self, n: usize) -> Option<&'a str> {
        self.raw_element(n).filter(|e| !e.is_empty())
    }

    /// Element `n` (1-based) exactly as written, `None` only when the segment is shorter.
    pub fn raw_element(&self, n: usize) -> Option<&'a str> {
        n.checked_sub(1).and_then(|i| self.elements.get(i)).copied()
    }

    /// Element `n` or the empty string: handy for comparisons.
    pub fn element_or_empty(&self, n: usize) -> &'a str {
        self.raw_element(n).unwrap_or("")
    }

    /// Component `m` (1-based) of element `n`'s first repetition; `None` when absent or empty.
    pub fn component(&self, n: usize, m: usize) -> Option<&'a str> {
        let first = self.repetitions(n).next()?;
        let c = m.checked_sub(1)?;
        first.split(self.delimiters.component as char).nth(c).filter(|s| !s.is_empty())
    }

    /// The components of element `n`'s first repetition (one item for a simple element).
    pub fn components(&self, n: usize) -> impl Iterator<Item = &'a str> + use<'a> {
        let sep = self.delimiters.component as char;
        self.repetitions(n).next().into_iter().flat_map(move |r| r.split(sep))
    }

    /// The repetitions of element `n` (one item for an unrepeated element, none when empty).
    /// In 004010, which has no repetition separator, this is the whole element.
    pub fn repetitions(&self, n: usize) -> impl Iterator<Item = &'a str> + use<'a> {
        let value = self.element(n);
        let sep = self.delimiters.repetition;
        value.into_iter().flat_map(move |v| Repetitions { rest: Some(v), sep })
    }

    /// Number of elements, trailing empty ones included.
    pub fn len(&self) -> usize {
        self.elements.len()
    }

    /// Whether the segment has no elements at all (e.g. `LE` with nothing after it is not).
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }
}

/// Splits on the repetition separator, or yields the whole value when there is none.
struct Repetitions<'a> {
    rest: Option<&'a str>,
    sep: Option<u8>,
}

impl<'a> Iterator for Repetitions<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match self.sep.and_then(|s| crate::tokenizer::find_byte(rest.as_bytes(), s)) {
            Some(i) => {
                self.rest = rest.get(i + 1..);
                rest.get(..i)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(elements: Vec<&'static str>) -> Segment<'static> {
        Segment::new("EB", elements, Delimiters::default(), Position::default())
    }

    #[test]
    fn elements_are_one_based_and_empty_is_none() {
        let s = seg(vec!["B", "", "98^AE"]);
        assert_eq!(s.element(1), Some("B"));
        assert_eq!(s.element(2), None);
        assert_eq!(s.raw_element(2), Some(""));
        assert_eq!(s.element(0), None);
        assert_eq!(s.element(4), None);
    }

    #[test]
    fn repetitions_and_components_split() {
        let s = seg(vec!["98^AE", "HC:97124:GP"]);
        assert_eq!(s.repetitions(1).collect::<Vec<_>>(), ["98", "AE"]);
        assert_eq!(s.component(2, 1), Some("HC"));
        assert_eq!(s.component(2, 3), Some("GP"));
        assert_eq!(s.component(2, 4), None);
        assert_eq!(s.components(2).count(), 3);
    }

    #[test]
    fn no_repetition_separator_keeps_the_element_whole() {
        let d = Delimiters { repetition: None, ..Delimiters::default() };
        let s = Segment::new("EB", vec!["98^AE"], d, Position::default());
        assert_eq!(s.repetitions(1).collect::<Vec<_>>(), ["98^AE"]);
    }
}
