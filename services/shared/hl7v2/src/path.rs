//! Textual addresses of values, e.g. `PID-5.1`, `DG1(2)-3.1` or `PID-3(2).4.2`, used in
//! configuration, provenance records and tests.

use std::fmt;

use crate::Hl7Error;

/// Segment id, occurrence, field, repetition, component, subcomponent (all 1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub segment: String,
    pub occurrence: usize,
    pub field: usize,
    pub repetition: Option<usize>,
    pub component: Option<usize>,
    pub subcomponent: Option<usize>,
}

impl Path {
    /// A field path, e.g. `Path::new("PID", 5)`.
    pub fn new(segment: &str, field: usize) -> Self {
        Self {
            segment: segment.to_owned(),
            occurrence: 1,
            field,
            repetition: None,
            component: None,
            subcomponent: None,
        }
    }

    /// The same path narrowed to a component.
    pub fn component(mut self, component: usize) -> Self {
        self.component = Some(component);
        self
    }

    /// Parses `SEG[(occ)]-FIELD[(rep)][.COMP[.SUB]]`.
    pub fn parse(input: &str) -> Result<Self, Hl7Error> {
        let bad = || Hl7Error::BadPath(input.chars().take(40).collect());
        let (seg_part, rest) = input.split_once('-').ok_or_else(bad)?;
        let (segment, occurrence) = with_index(seg_part).ok_or_else(bad)?;
        if segment.len() != 3 || !segment.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            return Err(bad());
        }
        let mut parts = rest.split('.');
        let (field, repetition) = with_index(parts.next().ok_or_else(bad)?).ok_or_else(bad)?;
        let field: usize = field.parse().map_err(|_| bad())?;
        let number = |p: Option<&str>| -> Result<Option<usize>, Hl7Error> {
            p.map(|p| p.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(bad)).transpose()
        };
        let component = number(parts.next())?;
        let subcomponent = number(parts.next())?;
        if parts.next().is_some() || field == 0 || occurrence == Some(0) || repetition == Some(0) {
            return Err(bad());
        }
        Ok(Self {
            segment: segment.to_owned(),
            occurrence: occurrence.unwrap_or(1),
            field,
            repetition,
            component,
            subcomponent,
        })
    }
}

/// Splits `NAME(3)` into `("NAME", Some(3))` and `NAME` into `("NAME", None)`.
fn with_index(part: &str) -> Option<(&str, Option<usize>)> {
    match part.split_once('(') {
        None => Some((part, None)),
        Some((name, rest)) => {
            let n = rest.strip_suffix(')')?.parse().ok()?;
            Some((name, Some(n)))
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.segment)?;
        if self.occurrence > 1 {
            write!(f, "({})", self.occurrence)?;
        }
        write!(f, "-{}", self.field)?;
        if let Some(r) = self.repetition {
            write!(f, "({r})")?;
        }
        if let Some(c) = self.component {
            write!(f, ".{c}")?;
        }
        if let Some(s) = self.subcomponent {
            write!(f, ".{s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn parses_the_usual_forms() {
        let p = Path::parse("PID-3(2).4.2").unwrap();
        assert_eq!((p.segment.as_str(), p.occurrence, p.field), ("PID", 1, 3));
        assert_eq!((p.repetition, p.component, p.subcomponent), (Some(2), Some(4), Some(2)));
        assert_eq!(Path::parse("DG1(2)-3.1").unwrap().occurrence, 2);
        assert_eq!(Path::parse("MSH-9").unwrap(), Path::new("MSH", 9));
        for bad in ["PID", "PID-", "PID-0", "pid-5", "PID-5.0", "PID(0)-5", "PID-5.1.2.3", "PIDX-1", "PID-x", "PID(2-1"]
        {
            assert!(Path::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn display_round_trips(seg in "[A-Z][A-Z0-9]{2}", occ in 1usize..5, field in 1usize..60,
                               rep in proptest::option::of(1usize..4), comp in proptest::option::of(1usize..10)) {
            let mut p = Path::new(&seg, field);
            p.occurrence = occ;
            p.repetition = rep;
            p.component = comp;
            prop_assert_eq!(Path::parse(&p.to_string()).unwrap(), p);
        }
    }
}
