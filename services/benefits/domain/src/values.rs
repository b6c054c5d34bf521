//! Small value parsers shared by 270 and 271 handling: X12 dates (D8, RD8), decimals (R type)
//! and their fixed-scale text forms.

use std::str::FromStr;

use rust_decimal::Decimal;
use time::{Date, Month};

/// Parses an X12 `CCYYMMDD` date.
pub fn parse_d8(text: &str) -> Option<Date> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = text.get(0..4)?.parse().ok()?;
    let month: u8 = text.get(4..6)?.parse().ok()?;
    let day: u8 = text.get(6..8)?.parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// Parses a DTP date by its format qualifier: `D8` one day, `RD8` a `CCYYMMDD-CCYYMMDD` range.
/// Returns (begin, end); a single day is its own begin and end.
pub fn parse_dtp(format: &str, value: &str) -> Option<(Date, Date)> {
    match format {
        "D8" => parse_d8(value).map(|d| (d, d)),
        "RD8" => {
            let (a, b) = value.split_once('-')?;
            Some((parse_d8(a)?, parse_d8(b)?))
        }
        _ => None,
    }
}

/// Formats a date as `CCYYMMDD`.
pub fn format_d8(date: Date) -> String {
    format!("{:04}{:02}{:02}", date.year(), u8::from(date.month()), date.day())
}

/// Parses an X12 decimal (R type): `25`, `.2`, `-5.5`. Never goes through floating point.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let t = text.trim();
    // rust_decimal accepts a leading dot (`.2`) itself; refuse what X12 R cannot be
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') {
        return None;
    }
    Decimal::from_str(t).ok()
}

/// A money amount as text with exactly two decimals (`25` -> `25.00`), rounding half away
/// from zero should a payer send more.
pub fn money_text(amount: Decimal) -> String {
    let mut a = amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    a.rescale(2);
    a.to_string()
}

/// A fraction (co-insurance) as text with at least two decimals (`.2` -> `0.20`).
pub fn fraction_text(value: Decimal) -> String {
    let mut v = value.normalize();
    if v.scale() < 2 {
        v.rescale(2);
    }
    v.to_string()
}

/// A quantity as a whole count, when it is one.
pub fn whole_count(value: Decimal) -> Option<u32> {
    use rust_decimal::prelude::ToPrimitive;
    if value.fract().is_zero() { value.to_u32() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dates_parse_and_reject() {
        assert_eq!(parse_d8("20260115"), Some(date!(2026 - 01 - 15)));
        assert_eq!(parse_d8("20260230"), None);
        assert_eq!(parse_d8("2026011"), None);
        assert_eq!(parse_dtp("RD8", "20260101-20261231"), Some((date!(2026 - 01 - 01), date!(2026 - 12 - 31))));
        assert_eq!(format_d8(date!(2026 - 01 - 05)), "20260105");
    }

    #[test]
    fn decimals_parse_exactly_and_format() {
        assert_eq!(parse_decimal(".2").map(fraction_text).as_deref(), Some("0.20"));
        assert_eq!(parse_decimal("0.125").map(fraction_text).as_deref(), Some("0.125"));
        assert_eq!(parse_decimal("25").map(money_text).as_deref(), Some("25.00"));
        assert_eq!(parse_decimal("186.89").map(money_text).as_deref(), Some("186.89"));
        assert_eq!(parse_decimal("-.5"), Decimal::from_str("-0.5").ok());
        assert_eq!(parse_decimal("abc"), None);
        assert_eq!(parse_decimal("20").and_then(whole_count), Some(20));
        assert_eq!(parse_decimal("20.00").and_then(whole_count), Some(20));
        assert_eq!(parse_decimal("2.5").and_then(whole_count), None);
    }
}
