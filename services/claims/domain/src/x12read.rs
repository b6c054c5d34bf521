//! Small helpers the 999, 277CA and 835 readers share: reading the interchange, picking the
//! transactions of one kind, and turning elements into numbers with errors that name the
//! segment, element and position (never the value).

use std::str::FromStr;

use rust_decimal::Decimal;
use rx_x12::{Document, Group, Segment, Transaction};

use crate::error::ClaimsError;

/// Transactions of one kind read from an input, with what was tolerated on the way.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Parsed<T> {
    pub transactions: Vec<T>,
    /// Tolerated problems: envelope counts or control numbers that do not match (common in
    /// real files whose content is complete), and required amounts found missing.
    pub warnings: Vec<String>,
}

/// Reads the input, tolerating only envelope bookkeeping errors (a trailer's count or control
/// number): the content is all there. A truncated input, a missing trailer, a malformed ISA
/// or a segment outside any envelope is refused, since data may be missing or misread.
pub(crate) fn read(input: &[u8]) -> Result<(Document<'_>, Vec<String>), ClaimsError> {
    let lenient = rx_x12::read_lenient(input)?;
    let mut warnings = Vec::new();
    for w in lenient.warnings {
        match w {
            rx_x12::Error::CountMismatch { .. } | rx_x12::Error::ControlNumberMismatch { .. } => {
                warnings.push(w.to_string());
            }
            fatal => return Err(fatal.into()),
        }
    }
    Ok((lenient.document, warnings))
}

/// The transactions whose group has functional id `gs01` and whose ST01 is one of `st01`;
/// an error naming what was found when there is none.
pub(crate) fn transactions<'d, 'a>(
    doc: &'d Document<'a>,
    gs01: &'static str,
    st01: &[&str],
    expected: &'static str,
) -> Result<Vec<(&'d Group<'a>, &'d Transaction<'a>)>, ClaimsError> {
    let found: Vec<_> = doc.transactions().filter(|(g, t)| g.functional_id == gs01 && st01.contains(&t.id)).collect();
    if found.is_empty() {
        let what = doc
            .transactions()
            .next()
            .map(|(g, t)| format!("GS01 {} / ST01 {}", g.functional_id, t.id))
            .unwrap_or_else(|| "no transaction set".to_string());
        return Err(ClaimsError::WrongTransaction { expected, found: what });
    }
    Ok(found)
}

/// An element that must be present.
pub(crate) fn required<'a>(seg: &Segment<'a>, segment: &'static str, element: usize) -> Result<&'a str, ClaimsError> {
    seg.element(element).ok_or(ClaimsError::MissingElement { segment, element, at: seg.position() })
}

/// A monetary or quantity element that must be present.
pub(crate) fn amount(seg: &Segment<'_>, segment: &'static str, element: usize) -> Result<Decimal, ClaimsError> {
    let raw = required(seg, segment, element)?;
    parse_decimal(raw).ok_or(ClaimsError::InvalidNumber { segment, element, at: seg.position() })
}

/// A monetary or quantity element that may be absent.
pub(crate) fn optional_amount(
    seg: &Segment<'_>,
    segment: &'static str,
    element: usize,
) -> Result<Option<Decimal>, ClaimsError> {
    match seg.element(element) {
        None => Ok(None),
        Some(raw) => {
            parse_decimal(raw).map(Some).ok_or(ClaimsError::InvalidNumber { segment, element, at: seg.position() })
        }
    }
}

/// A whole number element that may be absent (positions, counts).
pub(crate) fn optional_count(
    seg: &Segment<'_>,
    segment: &'static str,
    element: usize,
) -> Result<Option<u32>, ClaimsError> {
    match seg.element(element) {
        None => Ok(None),
        Some(raw) => raw.trim().parse::<u32>().map(Some).map_err(|_| ClaimsError::InvalidNumber {
            segment,
            element,
            at: seg.position(),
        }),
    }
}

/// X12 R (decimal) values: optional sign, digits, optional point; no exponent, no thousands
/// separators. Exact, via `Decimal`.
pub(crate) fn parse_decimal(raw: &str) -> Option<Decimal> {
    let s = raw.trim();
    let body = s.strip_prefix('-').unwrap_or(s);
    let ok = !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && body.bytes().filter(|b| *b == b'.').count() <= 1
        && body.bytes().any(|b| b.is_ascii_digit());
    if !ok {
        return None;
    }
    Decimal::from_str(s).ok()
}

/// Owned copy of an optional element (readers hand back owned data, detached from the input).
pub(crate) fn owned(seg: &Segment<'_>, element: usize) -> Option<String> {
    seg.element(element).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact_and_strict() {
        assert_eq!(parse_decimal("57.44"), Some(Decimal::new(5744, 2)));
        assert_eq!(parse_decimal("-1.27"), Some(Decimal::new(-127, 2)));
        assert_eq!(parse_decimal(".1"), Some(Decimal::new(1, 1)));
        assert_eq!(parse_decimal("100"), Some(Decimal::new(100, 0)));
        for bad in ["", "-", ".", "1e3", "1,000", "12a", "1.2.3", "--1", "+5"] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
    }
}
