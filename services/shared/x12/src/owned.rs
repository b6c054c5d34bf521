//! Owned segments for writing: built by callers (or copied from a read segment), rendered by
//! the writer with the interchange's delimiters.

use crate::delimiters::Delimiters;
use crate::error::Error;
use crate::segment::Segment;

/// One element: its repetitions, each a list of components. A simple element is one repetition
/// of one component.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub repetitions: Vec<Vec<String>>,
}

impl Element {
    /// A simple (one-value) element.
    pub fn simple(value: impl Into<String>) -> Self {
        Self { repetitions: vec![vec![value.into()]] }
    }

    /// A composite element such as `HC:97124:GP`.
    pub fn composite<S: Into<String>>(components: impl IntoIterator<Item = S>) -> Self {
        Self { repetitions: vec![components.into_iter().map(Into::into).collect()] }
    }

    /// A repeated simple element such as `30^AE` (005010 only).
    pub fn repeated<S: Into<String>>(values: impl IntoIterator<Item = S>) -> Self {
        Self { repetitions: values.into_iter().map(|v| vec![v.into()]).collect() }
    }

    /// Whether nothing would be written for this element.
    pub fn is_empty(&self) -> bool {
        self.repetitions.iter().flatten().all(String::is_empty)
    }

    /// The canonical form: trailing empty components and trailing empty repetitions dropped,
    /// which is exactly what survives a write and a read.
    pub fn normalized(&self) -> Self {
        let mut repetitions: Vec<Vec<String>> = self
            .repetitions
            .iter()
            .map(|r| {
                let keep = r.iter().rposition(|c| !c.is_empty()).map_or(0, |p| p + 1);
                r.iter().take(keep).cloned().collect()
            })
            .collect();
        while repetitions.last().is_some_and(Vec::is_empty) {
            repetitions.pop();
        }
        Self { repetitions }
    }
}

/// A segment to write: id and elements (element 1 first).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OwnedSegment {
    pub id: String,
    pub elements: Vec<Element>,
}

impl OwnedSegment {
    /// Starts a segment with no elements.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into(), elements: Vec::new() }
    }

    /// Appends a simple element.
    #[must_use]
    pub fn element(mut self, value: impl Into<String>) -> Self {
        self.elements.push(Element::simple(value));
        self
    }

    /// Appends an empty (unused) element.
    #[must_use]
    pub fn empty(mut self) -> Self {
        self.elements.push(Element::default());
        self
    }

    /// Appends an optional simple element, empty when `None`.
    #[must_use]
    pub fn optional(mut self, value: Option<impl Into<String>>) -> Self {
        self.elements.push(value.map(Element::simple).unwrap_or_default());
        self
    }

    /// Appends a composite element.
    #[must_use]
    pub fn composite<S: Into<String>>(mut self, components: impl IntoIterator<Item = S>) -> Self {
        self.elements.push(Element::composite(components));
        self
    }

    /// Appends a repeated simple element.
    #[must_use]
    pub fn repeated<S: Into<String>>(mut self, values: impl IntoIterator<Item = S>) -> Self {
        self.elements.push(Element::repeated(values));
        self
    }

    /// Copies a read segment, splitting repetitions and components with its delimiters.
    pub fn from_segment(seg: &Segment<'_>) -> Self {
        let d = seg.delimiters();
        let elements = seg
            .elements()
            .iter()
            .map(|raw| {
                let reps: Vec<&str> = match d.repetition {
                    Some(r) => raw.split(r as char).collect(),
                    None => vec![raw],
                };
                let repetitions =
                    reps.into_iter().map(|rep| rep.split(d.component as char).map(str::to_owned).collect()).collect();
                Element { repetitions }.normalized()
            })
            .collect();
        Self { id: seg.id().to_owned(), elements }.normalized()
    }

    /// The canonical form: every element normalized and trailing empty elements dropped.
    pub fn normalized(&self) -> Self {
        let mut elements: Vec<Element> = self.elements.iter().map(Element::normalized).collect();
        while elements.last().is_some_and(|e| e.repetitions.is_empty()) {
            elements.pop();
        }
        Self { id: self.id.clone(), elements }
    }

    /// The segment as X12 text with these delimiters, terminator included (for logs of
    /// structure, 999 contexts, tests).
    pub fn to_x12(&self, delimiters: &Delimiters) -> Result<String, Error> {
        let mut out = String::new();
        self.render(delimiters, &mut out)?;
        Ok(out)
    }

    /// Appends the segment, terminator included, to `out`. Refuses an invalid id, values that
    /// contain a delimiter, and repetitions when the interchange has no repetition separator.
    pub(crate) fn render(&self, d: &Delimiters, out: &mut String) -> Result<(), Error> {
        let id_ok =
            (2..=3).contains(&self.id.len()) && self.id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !id_ok {
            return Err(Error::InvalidValue {
                field: "segment id",
                reason: "must be 2-3 upper-case letters or digits",
            });
        }
        let norm = self.normalized();
        out.push_str(&norm.id);
        for (i, e) in norm.elements.iter().enumerate() {
            out.push(d.element as char);
            if e.repetitions.len() > 1 && d.repetition.is_none() {
                return Err(Error::InvalidValue {
                    field: "element",
                    reason: "repetitions need a repetition separator",
                });
            }
            for (r, rep) in e.repetitions.iter().enumerate() {
                if let (true, Some(sep)) = (r > 0, d.repetition) {
                    out.push(sep as char);
                }
                for (c, comp) in rep.iter().enumerate() {
                    if d.collides(comp) || comp.contains(['\r', '\n']) {
                        return Err(Error::DelimiterInValue { segment: norm.id.clone(), element: i + 1 });
                    }
                    if c > 0 {
                        out.push(d.component as char);
                    }
                    out.push_str(comp);
                }
            }
        }
        out.push(d.segment as char);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_composites_repetitions_and_trims_trailing_empties() {
        let seg = OwnedSegment::new("EQ").repeated(["30", "AE"]).empty().composite(["HC", "97124", ""]).empty();
        let mut out = String::new();
        seg.render(&Delimiters::default(), &mut out).expect("renders");
        assert_eq!(out, "EQ*30^AE**HC:97124~");
    }

    #[test]
    fn refuses_a_delimiter_inside_a_value() {
        let seg = OwnedSegment::new("NM1").element("IL").element("SMITH*JONES");
        let err = seg.render(&Delimiters::default(), &mut String::new()).expect_err("collides");
        assert_eq!(err, Error::DelimiterInValue { segment: "NM1".into(), element: 2 });
    }

    #[test]
    fn refuses_a_bad_segment_id() {
        let seg = OwnedSegment::new("nm1");
        assert!(seg.render(&Delimiters::default(), &mut String::new()).is_err());
    }
}
