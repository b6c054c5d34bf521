//! The embedded FY2026 ICD-10-CM billable code table and lookups over it.
//!
//! The table is a sorted list of codes without dots (see `data/README.md`), loaded once and
//! searched by bisection; a header such as `M545` is recognised as a strict prefix of billable
//! codes, so the table needs no separate list of categories.

use std::sync::LazyLock;

/// The raw table: one billable code per line, byte-sorted.
const FY2026: &str = include_str!("../../data/icd10cm_fy2026_codes.txt");

/// The fiscal year of the embedded code set, for messages and audit records.
pub const CODE_SET: &str = "ICD-10-CM FY2026 (April 1 2026 update)";

static CODES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut codes: Vec<&'static str> = FY2026.lines().filter(|l| !l.is_empty()).collect();
    // The generator sorts already; sorting again keeps bisection correct if someone edits
    // the file by hand, and costs a few milliseconds once.
    codes.sort_unstable();
    codes.dedup();
    codes
});

/// What the table says about a code written without its dot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classification {
    /// A leaf code that can go on a claim.
    Billable,
    /// A category or subcategory with billable codes below it (`children` of them).
    Header { children: usize },
    /// Not in the code set at all.
    Unknown,
}

/// Looks up an upper-case code without dot.
pub fn classify(code: &str) -> Classification {
    let codes = &*CODES;
    if codes.binary_search(&code).is_ok() {
        return Classification::Billable;
    }
    let children = children_slice(code).len();
    if children > 0 { Classification::Header { children } } else { Classification::Unknown }
}

/// The billable codes that start with `prefix` (upper case, no dot), in code order.
pub fn billable_with_prefix(prefix: &str) -> impl Iterator<Item = &'static str> {
    children_slice(prefix).iter().copied()
}

/// Number of billable codes in the embedded table.
pub fn billable_count() -> usize {
    CODES.len()
}

fn children_slice(prefix: &str) -> &'static [&'static str] {
    let codes: &'static [&'static str] = CODES.as_slice();
    if prefix.is_empty() {
        return &[];
    }
    let start = codes.partition_point(|c| *c < prefix);
    let rest = codes.get(start..).unwrap_or(&[]);
    let len = rest.partition_point(|c| c.starts_with(prefix));
    let slice = rest.get(..len).unwrap_or(&[]);
    // A billable code is not its own child.
    match slice.first() {
        Some(first) if *first == prefix => slice.get(1..).unwrap_or(&[]),
        _ => slice,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn table_has_every_fy2026_billable_code() {
        assert_eq!(billable_count(), 74_714);
    }

    #[test]
    fn table_is_strictly_sorted_so_bisection_is_sound() {
        let raw: Vec<&str> = FY2026.lines().collect();
        assert!(raw.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn classifies_leaf_header_and_unknown() {
        assert_eq!(classify("M5450"), Classification::Billable);
        assert_eq!(classify("M542"), Classification::Billable);
        assert_eq!(classify("M545"), Classification::Header { children: 3 });
        assert_eq!(classify("M54"), Classification::Header { children: 33 });
        assert_eq!(classify("M5"), Classification::Header { children: classify_count("M5") });
        assert_eq!(classify("M5458"), Classification::Unknown);
        assert_eq!(classify("U99"), Classification::Unknown);
        assert_eq!(classify(""), Classification::Unknown);
    }

    fn classify_count(prefix: &str) -> usize {
        billable_with_prefix(prefix).count()
    }

    #[test]
    fn children_of_low_back_pain_header() {
        let kids: Vec<&str> = billable_with_prefix("M545").collect();
        assert_eq!(kids, ["M5450", "M5451", "M5459"]);
    }
}
