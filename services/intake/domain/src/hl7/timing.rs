//! Quantity/timing: the legacy TQ data type (ORC-7, OBR-27) and the TQ1 segment (v2.5+), plus
//! requested treatments on an authorisation (AUT-8) for referrals.
//!
//! TQ: 2 interval (repeat pattern, or free text such as "2 per week x 4 weeks"), 3 duration
//! (`W4` four weeks, `X8` eight times, `D28`, `L2` months), 4 start, 5 end, 8 text, 12 total
//! occurrences. TQ1: 3 repeat pattern (code, 11 general timing text), 6 service
//! duration, 7 start, 8 end, 13 occurrence duration, 14 total occurrences.

use rx_hl7v2::{Component, Message, Repetition, Segment};

use super::at;
use crate::dates::parse_hl7_ts;
use crate::model::{Frequency, Prescription, Source, Sourced};
use crate::phrases;

/// Confidence of values parsed from free text inside a timing field.
const TEXT_IN_FIELD: f32 = 0.95;

/// Reads every timing source; the first value found for each field wins.
pub fn timing(msg: &Message<'_>, rx: &mut Prescription) {
    // OBR-27 usually repeats ORC-7 word for word; read each distinct value once.
    let mut seen: Vec<&str> = Vec::new();
    for (seg_id, field) in [("ORC", 7), ("OBR", 27)] {
        for seg in msg.segments_with_id(seg_id) {
            let tq = seg.field(field).repetition(1);
            if !tq.is_empty() && !seen.contains(&tq.raw()) {
                seen.push(tq.raw());
                read_tq(&seg, field, tq, rx);
            }
        }
    }
    if let Some(tq1) = msg.segment("TQ1") {
        read_tq1(&tq1, rx);
    }
    if rx.sessions.is_none()
        && let Some(aut) = msg.segment("AUT")
        && let Some(n) = count(aut.field(8).component(1).raw())
    {
        rx.sessions = Some(Sourced::with_confidence(n, at(&aut, 8, None), 0.9));
    }
}

fn count(raw: &str) -> Option<u32> {
    raw.trim().parse::<u32>().ok().filter(|n| *n > 0 && *n < 1000)
}

fn set_per_week(rx: &mut Prescription, per_week: u32, min: Option<u32>, source: Source, conf: f32) {
    if rx.frequency.is_none() && per_week > 0 {
        let f = Frequency { per_week, per_week_min: min, weeks: None };
        rx.frequency = Some(Sourced::with_confidence(f, source, conf));
    }
}

fn set_weeks(rx: &mut Prescription, weeks: u32) {
    if let Some(f) = rx.frequency.as_mut()
        && f.value.weeks.is_none()
        && weeks > 0
    {
        f.value.weeks = Some(weeks);
    }
}

fn apply_text(rx: &mut Prescription, text: &str, source: Source) {
    if text.trim().is_empty() {
        return;
    }
    let found = phrases::scan(text);
    if let Some(hit) = found.per_week {
        set_per_week(
            rx,
            hit.value.max,
            hit.value.min,
            source.clone(),
            TEXT_IN_FIELD * if hit.approximate { 0.8 } else { 1.0 },
        );
    }
    if let Some(hit) = found.weeks {
        set_weeks(rx, hit.value);
    }
    if rx.sessions.is_none()
        && let Some(hit) = found.sessions
    {
        rx.sessions = Some(Sourced::with_confidence(hit.value, source.clone(), TEXT_IN_FIELD));
    }
    if rx.minutes_per_session.is_none()
        && let Some(hit) = found.minutes
    {
        rx.minutes_per_session = Some(Sourced::with_confidence(hit.value, source, TEXT_IN_FIELD));
    }
}

/// Sessions per week for an HL7 repeat-pattern code (table 0335 and common local forms).
fn repeat_code_per_week(code: &str) -> Option<u32> {
    let c = code.trim().to_ascii_uppercase();
    Some(match c.as_str() {
        "QD" | "Q1D" | "QAM" | "QPM" | "QHS" | "DAILY" => 7,
        "BID" => 14,
        "TID" => 21,
        "QID" => 28,
        "QW" | "Q1W" | "WEEKLY" | "Q7D" => 1,
        "BIW" => 2,
        "TIW" => 3,
        other => {
            // "2XW", "2X/WK", "3/W": n times a week
            let digits: String = other.chars().take_while(char::is_ascii_digit).collect();
            let rest = other.get(digits.len()..).unwrap_or_default().trim_start_matches('X').trim_start_matches('/');
            if !digits.is_empty() && matches!(rest, "W" | "WK" | "WEEK") { digits.parse().ok()? } else { return None }
        }
    })
}

fn read_tq(seg: &Segment<'_>, field: usize, tq: Repetition<'_>, rx: &mut Prescription) {
    let interval = tq.component(2);
    let pattern = interval.subcomponent(1);
    apply_text(rx, &pattern, at(seg, field, Some(2)));
    if let Some(per_week) = repeat_code_per_week(&pattern) {
        set_per_week(rx, per_week, None, at(seg, field, Some(2)), 1.0);
    }
    let duration = tq.component(3).text().trim().to_ascii_uppercase();
    if let (Some(unit), Some(n)) = (duration.chars().next(), duration.get(1..).and_then(count)) {
        match unit {
            'W' => set_weeks(rx, n),
            'D' if n % 7 == 0 => set_weeks(rx, n / 7),
            'L' => set_weeks(rx, n.saturating_mul(4)),
            'X' if rx.sessions.is_none() => {
                rx.sessions = Some(Sourced::exact(n, at(seg, field, Some(3))));
            }
            _ => {}
        }
    }
    let start = parse_hl7_ts(tq.component(4).subcomponent(1).as_ref());
    let end = parse_hl7_ts(tq.component(5).subcomponent(1).as_ref());
    dates(rx, start, end, at(seg, field, Some(5)));
    apply_text(rx, &tq.component(8).text(), at(seg, field, Some(8)));
    if rx.sessions.is_none()
        && let Some(n) = count(tq.component(12).raw())
    {
        rx.sessions = Some(Sourced::exact(n, at(seg, field, Some(12))));
    }
}

/// A stated end date, and the course length in weeks when start and end are whole weeks apart.
fn dates(rx: &mut Prescription, start: Option<time::Date>, end: Option<time::Date>, source: Source) {
    if let Some(end) = end {
        if rx.end_of_treatment.is_none() {
            rx.end_of_treatment = Some(Sourced::exact(end, source));
        }
        if let Some(start) = start {
            let days = (end - start).whole_days();
            if days >= 7 && days % 7 == 0 {
                set_weeks(rx, u32::try_from(days / 7).unwrap_or(0));
            }
        }
    }
}

/// A CQ quantity (`4^wk`, `15^min&minute&ANS+`) as (number, unit).
fn quantity(c: (Component<'_>, Component<'_>)) -> Option<(f64, String)> {
    let n: f64 = c.0.raw().trim().parse().ok()?;
    let unit = c.1.subcomponent(1).trim().to_ascii_lowercase();
    (n > 0.0).then_some((n, unit))
}

fn read_tq1(tq1: &Segment<'_>, rx: &mut Prescription) {
    let rpt = tq1.field(3).repetition(1);
    let code = rpt.component(1).subcomponent(1);
    apply_text(rx, &rpt.component(11).text(), at(tq1, 3, Some(11)));
    apply_text(rx, &code, at(tq1, 3, Some(1)));
    // A code such as BID or Q1W carries its own period; "Once" is a single occurrence.
    if let Some(per_week) = repeat_code_per_week(&code) {
        set_per_week(rx, per_week, None, at(tq1, 3, Some(1)), 1.0);
    }
    if let Some((n, unit)) = quantity((tq1.field(6).component(1), tq1.field(6).component(2))) {
        let weeks = if unit.starts_with('w') {
            n
        } else if unit.starts_with('d') {
            n / 7.0
        } else if unit.starts_with("mo") {
            n * 4.0
        } else {
            0.0
        };
        if weeks >= 1.0 && weeks.fract() == 0.0 {
            set_weeks(rx, weeks as u32);
        }
    }
    let start = parse_hl7_ts(tq1.field(7).component(1).raw());
    let end = parse_hl7_ts(tq1.field(8).component(1).raw());
    dates(rx, start, end, at(tq1, 8, None));
    if rx.minutes_per_session.is_none()
        && let Some((n, unit)) = quantity((tq1.field(13).component(1), tq1.field(13).component(2)))
    {
        let minutes = if unit.starts_with('h') {
            n * 60.0
        } else if unit.starts_with("min") {
            n
        } else {
            0.0
        };
        if (1.0..1000.0).contains(&minutes) {
            rx.minutes_per_session = Some(Sourced::exact(minutes.round() as u32, at(tq1, 13, None)));
        }
    }
    if rx.sessions.is_none()
        && let Some(n) = count(tq1.field(14).component(1).raw())
    {
        rx.sessions = Some(Sourced::exact(n, at(tq1, 14, None)));
    }
}
