//! ICD-10-CM diagnosis codes: a strict parser that only lets billable FY2026 codes in, and
//! explains a non-billable header by listing the codes to choose from.
//!
//! OCR repair (`O`/`0`, `l`/`1`) is deliberately not done here: it needs context the fax
//! extractor has and this parser does not, and a lenient parser would let typos through
//! from structured sources.

mod chapters;
mod ranges;
mod table;

use std::fmt;

pub use chapters::{CHAPTERS, Chapter};
pub use ranges::{Icd10Range, Icd10Set, RangeError};
pub use table::{CODE_SET, Classification, billable_count, billable_with_prefix, classify};

/// How many child codes a non-billable error lists before summarising the rest.
pub const MAX_LISTED_CHILDREN: usize = 10;

/// A billable ICD-10-CM code, stored without its dot.
///
/// `parse` is the only way in, so holding one means the code was billable in the embedded
/// code set.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Icd10Code {
    bytes: [u8; 7],
    len: u8,
}

/// Why a string is not a billable ICD-10-CM code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Icd10Error {
    #[error("diagnosis code is empty")]
    Empty,
    #[error(
        "diagnosis code is not in ICD-10-CM form (a letter, 2 to 6 more letters or digits, optional dot after the third)"
    )]
    Malformed,
    #[error("{0}")]
    NotBillable(NonBillable),
    #[error("{code} is not in {set}", set = CODE_SET)]
    Unknown { code: String },
}

/// A header code (category or subcategory) that cannot be billed, with the codes below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonBillable {
    /// The header as written with its dot, e.g. `M54.5`.
    pub header: String,
    /// The first billable codes below the header, at most [`MAX_LISTED_CHILDREN`].
    pub children: Vec<Icd10Code>,
    /// How many billable codes the header has in total.
    pub total: usize,
}

impl fmt::Display for NonBillable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is a header, not a billable code: choose one of ", self.header)?;
        for (i, child) in self.children.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{child}")?;
        }
        let more = self.total.saturating_sub(self.children.len());
        if more > 0 {
            write!(f, " and {more} more")?;
        }
        Ok(())
    }
}

impl Icd10Code {
    /// Parses a code written with or without its dot, in any case.
    pub fn parse(input: &str) -> Result<Self, Icd10Error> {
        let normalized = normalize(input)?;
        let code = normalized.as_str();
        match classify(code) {
            Classification::Billable => Ok(Self::from_normalized(code)),
            Classification::Header { children } => Err(Icd10Error::NotBillable(NonBillable {
                header: dotted(code),
                children: billable_with_prefix(code).take(MAX_LISTED_CHILDREN).map(Self::from_normalized).collect(),
                total: children,
            })),
            Classification::Unknown => Err(Icd10Error::Unknown { code: dotted(code) }),
        }
    }

    /// The code without its dot, as X12 HI segments carry it (`M5450`).
    pub fn as_str(&self) -> &str {
        let len = usize::from(self.len).min(self.bytes.len());
        self.bytes.get(..len).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or_default()
    }

    /// The three-character category (`M54` for `M54.50`).
    pub fn category(&self) -> &str {
        self.as_str().get(..3).unwrap_or_default()
    }

    /// The chapter the code belongs to.
    pub fn chapter(&self) -> Option<&'static Chapter> {
        chapters::chapter_of(self.category())
    }

    /// Whether the code (without dot) starts with `prefix`, itself written with or without
    /// a dot; used for configuration such as "G43" or "M79.2".
    pub fn has_prefix(&self, prefix: &str) -> bool {
        let prefix: String = prefix.chars().filter(|c| *c != '.').map(|c| c.to_ascii_uppercase()).collect();
        self.as_str().starts_with(&prefix)
    }

    fn from_normalized(code: &str) -> Self {
        let mut bytes = [0u8; 7];
        let mut len = 0u8;
        for (slot, b) in bytes.iter_mut().zip(code.bytes()) {
            *slot = b;
            len += 1;
        }
        Self { bytes, len }
    }
}

/// Checks the shape of a code and returns it upper case without dot.
///
/// Public so that callers repairing OCR text can reuse the exact rules `parse` applies.
pub fn normalize(input: &str) -> Result<String, Icd10Error> {
    if input.is_empty() {
        return Err(Icd10Error::Empty);
    }
    let mut out = String::with_capacity(7);
    let mut dot_seen = false;
    for (i, c) in input.chars().enumerate() {
        if c == '.' {
            // The dot may only follow the category, once, and must have something after it.
            if dot_seen || i != 3 {
                return Err(Icd10Error::Malformed);
            }
            dot_seen = true;
            continue;
        }
        if !c.is_ascii_alphanumeric() || out.len() >= 7 {
            return Err(Icd10Error::Malformed);
        }
        out.push(c.to_ascii_uppercase());
    }
    let first_is_letter = out.bytes().next().is_some_and(|b| b.is_ascii_uppercase());
    if !first_is_letter || out.len() < 3 || (dot_seen && out.len() == 3) {
        return Err(Icd10Error::Malformed);
    }
    Ok(out)
}

/// Writes a code without dot in its dotted form (`M5450` -> `M54.50`).
pub fn dotted(code: &str) -> String {
    match (code.get(..3), code.get(3..)) {
        (Some(head), Some(tail)) if !tail.is_empty() => format!("{head}.{tail}"),
        _ => code.to_owned(),
    }
}

impl fmt::Display for Icd10Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.as_str();
        match (code.get(..3), code.get(3..)) {
            (Some(head), Some(tail)) if !tail.is_empty() => write!(f, "{head}.{tail}"),
            _ => f.write_str(code),
        }
    }
}

impl fmt::Debug for Icd10Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Icd10Code({self})")
    }
}

impl std::str::FromStr for Icd10Code {
    type Err = Icd10Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for Icd10Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Icd10Code {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
