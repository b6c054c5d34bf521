//! Frequency, duration, session-count and session-length phrases as prescribers write them:
//! "2x per week for 4 weeks", "twice weekly x 6 wks", "3X/WK X 2 WKS", "once a week x 8
//! weeks", "10 visits", "1-2x/wk", "60 min", "30-minute sessions".
//!
//! Decisions: a range ("1-2x/wk", "30-45 min") yields its upper bound, which is what the
//! prescription allows, flagged approximate so the caller can lower its confidence; months are
//! four weeks; "biweekly" is ambiguous (twice a week or every two weeks) and is not read.

use std::sync::LazyLock;

use regex::Regex;

use crate::dates::compile;
use crate::ocr_repair::repair_digits;

/// One phrase found, with its byte span in the scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit<T> {
    pub value: T,
    pub start: usize,
    pub end: usize,
    /// A range or a conversion (months to weeks) was involved.
    pub approximate: bool,
}

/// Sessions per week: the upper bound and, for a range, the lower one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerWeek {
    pub max: u32,
    pub min: Option<u32>,
}

/// The first phrase of each kind in a text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Phrases {
    pub per_week: Option<Hit<PerWeek>>,
    pub weeks: Option<Hit<u32>>,
    pub sessions: Option<Hit<u32>>,
    pub minutes: Option<Hit<u32>>,
}

const NUM: &str = r"(?:\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|once|twice|thrice)";

fn number(word: &str) -> Option<u32> {
    Some(match word {
        "one" | "once" => 1,
        "two" | "twice" => 2,
        "three" | "thrice" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        digits if !digits.is_empty() && digits.len() <= 3 && digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.parse().ok()?
        }
        _ => return None,
    })
}

/// The numbers in a matched phrase, in order: runs of digits and number words. Matches are
/// read this way instead of through capture groups, which would run the slower backtracking
/// engine on every match.
fn numbers(span: &str) -> Vec<u32> {
    let mut out = Vec::with_capacity(2);
    let bytes = span.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let digit = bytes.get(i).is_some_and(u8::is_ascii_digit);
        while bytes.get(i).is_some_and(|b| if digit { b.is_ascii_digit() } else { b.is_ascii_alphabetic() }) {
            i += 1;
        }
        if i == start {
            i += 1;
            continue;
        }
        if let Some(n) = span.get(start..i).and_then(number) {
            out.push(n);
        }
    }
    out
}

static PER_WEEK: LazyLock<Regex> = LazyLock::new(|| {
    let range = format!(r"(?:{NUM})(?:\s*(?:-|to|or)\s*(?:{NUM}))?");
    compile(&format!(
        r"\b{range}\s*(?:(?:x|×|times?|sessions?|visits?|treatments?)\s*(?:per|a|an|each|every|/|in\s+a)?\s*(?:weeks?|wks?)\b|(?:per|a|an|each|every|/)\s*(?:week|wk)\b|(?:x|times)?\s*(?:weekly|wkly)\b)"
    ))
});
static WEEKLY: LazyLock<Regex> = LazyLock::new(|| compile(r"\b(?:weekly|once\s+a\s+week|every\s+week)\b"));
static DAILY: LazyLock<Regex> = LazyLock::new(|| compile(r"\b(?:daily|every\s+day)\b"));
static WEEKS: LazyLock<Regex> = LazyLock::new(|| compile(&format!(r"\b(?:{NUM})[\s-]*(?:weeks?|wks?)\b")));
static MONTHS: LazyLock<Regex> = LazyLock::new(|| compile(&format!(r"\b(?:{NUM})[\s-]*(?:months?|mos?)\b")));
static SESSIONS: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        r"\b(?:{NUM})\s*(?:total\s+)?(?:sessions?|visits?|treatments?|appointments?|tx)\b|\b(?:sessions?|visits?|treatments?)\s*[:#=]\s*(?:\d{{1,3}})\b"
    ))
});
static MINUTES: LazyLock<Regex> =
    LazyLock::new(|| compile(r"\b(?:\d{1,3})(?:\s*(?:-|to)\s*(?:\d{1,3}))?\s*-?\s*(?:minutes?|mins?)\b"));
static HOURS: LazyLock<Regex> = LazyLock::new(|| compile(r"\b(?:\d(?:\.\d)?|one|an?)\s*-?\s*(?:hours?|hrs?)\b"));

/// Scans `text` for the four kinds of phrase. Offsets refer to `text`.
pub fn scan(text: &str) -> Phrases {
    // Both steps keep byte offsets: ASCII lower-casing and one-for-one digit repair.
    let lower = repair_digits(text).to_ascii_lowercase();
    let mut out = Phrases::default();
    // Cheap keyword checks first: most free text (notes, names) has none of these words, and
    // then no pattern can match.
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    let weekish = has(&["wk", "week", "daily", "every day"]);
    let monthish = has(&["mo"]);
    let sessionish = has(&["session", "visit", "treatment", "appointment", "tx"]);
    let minuteish = has(&["min", "hour", "hr"]);
    if !(weekish || monthish || sessionish || minuteish) {
        return out;
    }
    let mut masked = lower.clone();

    if weekish {
        for m in PER_WEEK.find_iter(&lower) {
            if out.per_week.is_none() {
                let nums = numbers(m.as_str());
                if let Some(&n) = nums.first() {
                    let range = nums.get(1).copied();
                    let value = PerWeek { max: range.map_or(n, |r| r.max(n)), min: range.map(|r| r.min(n)) };
                    out.per_week = Some(Hit { value, start: m.start(), end: m.end(), approximate: range.is_some() });
                }
            }
            mask(&mut masked, m.start(), m.end());
        }
    }
    if out.per_week.is_none()
        && weekish
        && let Some((start, end)) = WEEKLY.find(&masked).map(|m| (m.start(), m.end()))
    {
        out.per_week = Some(Hit { value: PerWeek { max: 1, min: None }, start, end, approximate: false });
        mask(&mut masked, start, end);
    }
    if out.per_week.is_none()
        && weekish
        && let Some(m) = DAILY.find(&masked)
    {
        out.per_week =
            Some(Hit { value: PerWeek { max: 7, min: None }, start: m.start(), end: m.end(), approximate: false });
    }

    out.weeks = weekish
        .then(|| first(&WEEKS, &masked, |n| (n, false)))
        .flatten()
        .or_else(|| monthish.then(|| first(&MONTHS, &masked, |n| (n.saturating_mul(4), true))).flatten());
    out.sessions = sessionish.then(|| first(&SESSIONS, &masked, |n| (n, false))).flatten();
    if !minuteish {
        return out;
    }
    out.minutes = MINUTES
        .find(&lower)
        .and_then(|m| {
            let nums = numbers(m.as_str());
            let (n, range) = (*nums.first()?, nums.get(1).copied());
            Some(Hit {
                value: range.map_or(n, |r| r.max(n)),
                start: m.start(),
                end: m.end(),
                approximate: range.is_some(),
            })
        })
        .or_else(|| {
            let m = HOURS.find(&lower)?;
            let text = m.as_str();
            let lead: String = text.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
            let hours: f32 = if lead.is_empty() { 1.0 } else { lead.parse().ok()? };
            let minutes = (hours * 60.0).round();
            (minutes > 0.0 && minutes < 1000.0).then(|| Hit {
                value: minutes as u32,
                start: m.start(),
                end: m.end(),
                approximate: false,
            })
        });
    out
}

fn first(re: &Regex, text: &str, f: impl Fn(u32) -> (u32, bool)) -> Option<Hit<u32>> {
    let m = re.find(text)?;
    let (value, approximate) = f(*numbers(m.as_str()).first()?);
    Some(Hit { value, start: m.start(), end: m.end(), approximate })
}

/// Blanks a span so later patterns do not read it twice (keeps offsets).
fn mask(text: &mut String, start: usize, end: usize) {
    if let Some(span) = text.get(start..end) {
        let blank = " ".repeat(span.len());
        text.replace_range(start..end, &blank);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn freq(text: &str) -> (Option<u32>, Option<u32>, Option<u32>) {
        let p = scan(text);
        (p.per_week.map(|h| h.value.max), p.weeks.map(|h| h.value), p.sessions.map(|h| h.value))
    }

    #[test]
    fn frequency_and_duration_phrases() {
        assert_eq!(freq("2x per week for 4 weeks"), (Some(2), Some(4), None));
        assert_eq!(freq("twice weekly x 6 wks"), (Some(2), Some(6), None));
        assert_eq!(freq("3X/WK X 2 WKS"), (Some(3), Some(2), None));
        assert_eq!(freq("once a week x 8 weeks"), (Some(1), Some(8), None));
        assert_eq!(freq("10 visits"), (None, None, Some(10)));
        assert_eq!(freq("2 times a week for 6 weeks"), (Some(2), Some(6), None));
        assert_eq!(freq("Frequency: 2x per week for 4 weeks (8 sessions)"), (Some(2), Some(4), Some(8)));
        assert_eq!(freq("12 sessions of massage therapy, twice weekly for 6 weeks"), (Some(2), Some(6), Some(12)));
        assert_eq!(freq("Frequency: weekly"), (Some(1), None, None));
        assert_eq!(freq("1 session per week for 3 months"), (Some(1), Some(12), None));
        assert_eq!(freq("2/wk x 4 wk"), (Some(2), Some(4), None));
        assert_eq!(freq("Sessions: 8"), (None, None, Some(8)));
        assert_eq!(freq("biweekly"), (None, None, None));
    }

    #[test]
    fn ranges_take_the_upper_bound_and_say_so() {
        let p = scan("1-2x/wk x 6 weeks");
        let hit = p.per_week.unwrap();
        assert_eq!(hit.value, PerWeek { max: 2, min: Some(1) });
        assert!(hit.approximate);
        assert_eq!(p.weeks.unwrap().value, 6);
    }

    #[test]
    fn ocr_noise_in_numbers() {
        assert_eq!(freq("2x per week for 4 weeks (B sessions)").1, Some(4));
        assert_eq!(freq("l0 visits"), (None, None, Some(10)));
        assert_eq!(scan("Session length: 6O minutes").minutes.unwrap().value, 60);
    }

    #[test]
    fn session_length() {
        let m = |t: &str| scan(t).minutes.map(|h| h.value);
        assert_eq!(m("Session length: 60 minutes"), Some(60));
        assert_eq!(m("45 minutes per session"), Some(45));
        assert_eq!(m("30-minute sessions"), Some(30));
        assert_eq!(m("60 min"), Some(60));
        assert_eq!(m("15-25 min"), Some(25));
        assert_eq!(m("1 hour"), Some(60));
        assert_eq!(m("an hour each"), Some(60));
        assert_eq!(m("Phone (218) 555-0142"), None);
    }

    #[test]
    fn offsets_point_into_the_original() {
        let text = "Notes\nFrequency: 2x per week";
        let hit = scan(text).per_week.unwrap();
        assert_eq!(&text[hit.start..hit.end], "2x per week");
    }
}
