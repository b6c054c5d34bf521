//! Dates as the three channels write them: HL7 TS (`YYYYMMDD...`), FHIR (`YYYY-MM-DD`,
//! possibly a dateTime), and US handwriting on faxes (`01/05/2026`, `1/5/26`,
//! `January 5, 2026`, ISO).

use std::sync::LazyLock;

use regex::Regex;
use time::{Date, Month};

use crate::ocr_repair::repair_digits;

/// Two-digit years up to this value are read as 20xx, later ones as 19xx: written dates are
/// recent, and a birth year of 1941–1999 is far more common than one of 2041.
const PIVOT_YY: i32 = 40;

/// A date found in free text, with its byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoundDate {
    pub date: Date,
    pub start: usize,
    pub end: usize,
    /// Whether OCR confusions (O for 0, l for 1) had to be undone to read it.
    pub repaired: bool,
}

/// The date part of an HL7 TS/DTM value (`YYYYMMDD[HHMM[SS]][+ZZZZ]`).
pub fn parse_hl7_ts(value: &str) -> Option<Date> {
    let digits = value.get(..8)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = digits.get(..4)?.parse().ok()?;
    let month = digits.get(4..6)?.parse().ok()?;
    let day = digits.get(6..8)?.parse().ok()?;
    ymd(year, month, day)
}

/// The date part of a FHIR date or dateTime; partial dates (`2026`, `2026-01`) give `None`.
pub fn parse_fhir_date(value: &str) -> Option<Date> {
    let head = value.get(..10)?;
    let mut parts = head.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    ymd(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// The ISO form `YYYY-MM-DD`.
pub fn iso(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

fn ymd(year: i32, month: u8, day: u8) -> Option<Date> {
    if !(1850..=2200).contains(&year) {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

fn full_year(raw: &str) -> Option<i32> {
    let n: i32 = raw.parse().ok()?;
    Some(match raw.len() {
        4 => n,
        2 if n <= PIVOT_YY => 2000 + n,
        2 => 1900 + n,
        _ => return None,
    })
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn month_from_word(word: &str) -> Option<u8> {
    let word = word.trim_end_matches('.').to_ascii_lowercase();
    if word.len() < 3 {
        return None;
    }
    let index = MONTHS.iter().position(|m| m.starts_with(&word) || (word == "sept" && *m == "september"))?;
    u8::try_from(index + 1).ok()
}

static NUMERIC: LazyLock<Regex> = LazyLock::new(|| compile(r"\b(\d{1,2}) ?[/\-.] ?(\d{1,2}) ?[/\-.] ?(\d{4}|\d{2})\b"));
static ISO: LazyLock<Regex> = LazyLock::new(|| compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"));
static MONTH_FIRST: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?i)\b([a-z]{3,9}\.?)\s+(\d{1,2})(?:st|nd|rd|th)?(?:\s*,\s*|\s+)(\d{4})\b"));
static DAY_FIRST: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?i)\b(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]{3,9}\.?)(?:\s*,\s*|\s+)(\d{4})\b"));

/// Compiles a pattern written in this crate (never user input); every pattern is exercised
/// by the unit tests, so a typo fails the build's tests rather than production.
///
/// Patterns run in ASCII mode (`\b`, `\d`, `\s` and case folding are ASCII-only): the words
/// matched are English and the numbers Arabic, and ASCII word boundaries keep the regex on its
/// fast DFA path, which matters at 100,000 messages a second.
pub(crate) fn compile(pattern: &str) -> Regex {
    Regex::new(&format!("(?-u){pattern}")).expect("built-in pattern compiles")
}

/// Every date in `text`, in order of position.
pub fn find_dates(text: &str) -> Vec<FoundDate> {
    let repaired_text = repair_digits(text);
    let was_repaired = |start: usize, end: usize| text.get(start..end) != repaired_text.get(start..end);
    let t = repaired_text.as_ref();
    let mut found = Vec::new();
    let mut push = |date: Option<Date>, start: usize, end: usize| {
        if let Some(date) = date {
            found.push(FoundDate { date, start, end, repaired: was_repaired(start, end) });
        }
    };
    for c in ISO.captures_iter(t) {
        let (Some(m), Some(y), Some(mo), Some(d)) = (c.get(0), c.get(1), c.get(2), c.get(3)) else { continue };
        push(
            (|| ymd(y.as_str().parse().ok()?, mo.as_str().parse().ok()?, d.as_str().parse().ok()?))(),
            m.start(),
            m.end(),
        );
    }
    for c in NUMERIC.captures_iter(t) {
        let (Some(m), Some(mo), Some(d), Some(y)) = (c.get(0), c.get(1), c.get(2), c.get(3)) else { continue };
        push(
            (|| ymd(full_year(y.as_str())?, mo.as_str().parse().ok()?, d.as_str().parse().ok()?))(),
            m.start(),
            m.end(),
        );
    }
    for c in MONTH_FIRST.captures_iter(t) {
        let (Some(m), Some(mo), Some(d), Some(y)) = (c.get(0), c.get(1), c.get(2), c.get(3)) else { continue };
        push(
            (|| ymd(y.as_str().parse().ok()?, month_from_word(mo.as_str())?, d.as_str().parse().ok()?))(),
            m.start(),
            m.end(),
        );
    }
    for c in DAY_FIRST.captures_iter(t) {
        let (Some(m), Some(d), Some(mo), Some(y)) = (c.get(0), c.get(1), c.get(2), c.get(3)) else { continue };
        push(
            (|| ymd(y.as_str().parse().ok()?, month_from_word(mo.as_str())?, d.as_str().parse().ok()?))(),
            m.start(),
            m.end(),
        );
    }
    found.sort_by_key(|f| f.start);
    // an ISO match inside a numeric one (or the reverse) is the same date
    found.dedup_by(|b, a| b.start < a.end);
    found
}

/// The first date in `text`.
pub fn find_date(text: &str) -> Option<FoundDate> {
    find_dates(text).into_iter().next()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use time::macros::date;

    use super::*;

    fn first(text: &str) -> Option<Date> {
        find_date(text).map(|f| f.date)
    }

    #[test]
    fn us_formats() {
        assert_eq!(first("Date: 01/05/2026"), Some(date!(2026 - 01 - 05)));
        assert_eq!(first("dob 3/14/75"), Some(date!(1975 - 03 - 14)));
        assert_eq!(first("written 1/5/26"), Some(date!(2026 - 01 - 05)));
        assert_eq!(first("11-02-1988"), Some(date!(1988 - 11 - 02)));
        assert_eq!(first("February 9, 2026"), Some(date!(2026 - 02 - 09)));
        assert_eq!(first("February 9 ,  2026"), Some(date!(2026 - 02 - 09)));
        assert_eq!(first("Jan. 5 2026"), Some(date!(2026 - 01 - 05)));
        assert_eq!(first("Sept 30, 2025"), Some(date!(2025 - 09 - 30)));
        assert_eq!(first("5th January 2026"), Some(date!(2026 - 01 - 05)));
        assert_eq!(first("on 2026-01-05."), Some(date!(2026 - 01 - 05)));
    }

    #[test]
    fn ocr_noise_and_nonsense() {
        let f = find_date("D0B: O3/l4/l975").unwrap();
        assert_eq!(f.date, date!(1975 - 03 - 14));
        assert!(f.repaired);
        assert!(!find_date("Date: 01/05/2026").unwrap().repaired);
        assert_eq!(first("13/45/2026"), None);
        assert_eq!(first("Maybe 5, 2026"), None);
        assert_eq!(first("phone 555-0142"), None);
        assert_eq!(first("L4-L5"), None);
    }

    #[test]
    fn several_dates_in_order() {
        let all = find_dates("Patient: A B  DOB: 03/14/1975 seen 01/05/2026");
        let dates: Vec<Date> = all.iter().map(|f| f.date).collect();
        assert_eq!(dates, [date!(1975 - 03 - 14), date!(2026 - 01 - 05)]);
    }

    #[test]
    fn structured_forms() {
        assert_eq!(parse_hl7_ts("20260105101500"), Some(date!(2026 - 01 - 05)));
        assert_eq!(parse_hl7_ts("198808181126+0215"), Some(date!(1988 - 08 - 18)));
        assert_eq!(parse_hl7_ts("2026"), None);
        assert_eq!(parse_hl7_ts("20261305"), None);
        assert_eq!(parse_fhir_date("2026-01-05"), Some(date!(2026 - 01 - 05)));
        assert_eq!(parse_fhir_date("2017-02-01T17:23:07Z"), Some(date!(2017 - 02 - 01)));
        assert_eq!(parse_fhir_date("2002"), None);
        assert_eq!(iso(date!(2026 - 01 - 05)), "2026-01-05");
    }
}
