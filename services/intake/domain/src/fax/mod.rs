//! Reading a prescription from the OCR'd text of a faxed prescription pad or letter.
//!
//! Labelled values ("DOB:", "Member ID", "Dx") are read first, each with the confidence of its
//! OCR line; what no label gave is then looked for in the whole text (frequency phrases in a
//! letter's prose, a date heading a letter, the signature line above the NPI). OCR confusions
//! are repaired only where the result is unambiguous, and every repair lowers the confidence.
//! Forms are read by layout too: a header row of labels takes its values from the row below
//! (`table`), a cover sheet before the prescription page and the options left unticked on a
//! check-box form are set aside (`layout`).

mod codes;
mod labels;
mod layout;
mod names;
mod table;

use crate::IntakeError;
use crate::body::find_body_sites;
use crate::complete::{MASSAGE_CPT, complete, mentions_massage};
use crate::dates::{find_date, find_dates};
use crate::model::{Diagnosis, Frequency, Prescription, Source, SourceKind, Sourced};
use crate::phrases::{self, Phrases};
use labels::Kind;

pub use codes::icd10_token;

/// Confidence factor for a value that needed OCR repair.
const REPAIRED: f32 = 0.9;
/// Confidence factor for a value found in prose rather than after a label.
const UNLABELLED: f32 = 0.9;
/// Confidence factor for a range or unit conversion ("1-2x/wk", "3 months").
const APPROXIMATE: f32 = 0.8;
/// Confidence factor for a prescriber name taken from the line above the NPI.
const SIGNATURE_LINE: f32 = 0.8;
/// Confidence of a procedure inferred from the word "massage".
const INFERRED_PROCEDURE: f32 = 0.75;

/// Most lines and characters accepted, so a runaway OCR result cannot make extraction slow.
pub const MAX_LINES: usize = 5_000;
pub const MAX_CHARS: usize = 500_000;

/// One OCR'd line and the recogniser's confidence in it (0..=1).
#[derive(Debug, Clone, PartialEq)]
pub struct FaxLine {
    pub text: String,
    pub confidence: f32,
}

/// The OCR'd text of a fax, line by line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FaxText {
    pub lines: Vec<FaxLine>,
}

impl FaxText {
    /// Lines with their confidences.
    pub fn new(lines: Vec<FaxLine>) -> Self {
        Self { lines }
    }

    /// Plain text, every line given the same confidence.
    pub fn from_plain(text: &str, confidence: f32) -> Self {
        Self { lines: text.lines().map(|l| FaxLine { text: l.to_owned(), confidence }).collect() }
    }
}

/// One labelled value and where it was.
struct Value {
    kind: Kind,
    text: String,
    line: usize,
}

/// Reads the prescription from fax text.
pub fn extract(fax: &FaxText) -> Result<Prescription, IntakeError> {
    let chars: usize = fax.lines.iter().map(|l| l.text.len()).sum();
    if fax.lines.len() > MAX_LINES || chars > MAX_CHARS {
        return Err(IntakeError::FaxTooLarge { lines: fax.lines.len(), chars });
    }
    if fax.lines.iter().all(|l| l.text.trim().is_empty()) {
        return Err(IntakeError::FaxEmpty);
    }
    let mut lines: Vec<String> = fax.lines.iter().map(|l| normalize(&l.text)).collect();
    // a cover sheet and the options left unticked on a form say nothing about the prescription;
    // their lines are blanked so line numbers stay those of the fax
    let raw: Vec<&str> = fax.lines.iter().map(|l| l.text.as_str()).collect();
    let set_aside = layout::cover_lines(&lines, &layout::pages(&raw));
    let chosen = layout::chosen_procedures(&lines);
    for i in set_aside.into_iter().chain(layout::unchecked_lines(&lines)) {
        if let Some(line) = lines.get_mut(i) {
            line.clear();
        }
    }
    let confidence = |i: usize| {
        fax.lines.get(i).map_or(0.0, |l| if l.confidence.is_nan() { 0.0 } else { l.confidence.clamp(0.0, 1.0) })
    };
    let labelled = labelled_values(&lines);
    let mut rx = Prescription::new(SourceKind::Fax);
    let at = |line: usize| Source::Fax { line: line + 1 };

    // weeks last, so a table's "Weeks" column finds the frequency its "Per week" column set
    for v in labelled.iter().filter(|v| v.kind != Kind::Weeks).chain(labelled.iter().filter(|v| v.kind == Kind::Weeks))
    {
        let conf = confidence(v.line);
        read_labelled(&mut rx, v, conf, at(v.line));
    }
    if rx.procedures.is_empty() {
        for (i, code) in chosen {
            let conf = confidence(i) * UNLABELLED * if code.repaired { REPAIRED } else { 1.0 };
            rx.add_procedure(Sourced::with_confidence(code.code, at(i), conf));
        }
    }

    // What no label gave: look in the whole text.
    let joined = Joined::new(&lines);
    let found = phrases::scan(&joined.text);
    apply_phrases(&mut rx, &found, |offset| {
        let line = joined.line_of(offset);
        (at(line), confidence(line) * UNLABELLED)
    });
    if rx.diagnoses.is_empty() {
        for (i, line) in lines.iter().enumerate() {
            for token in line.split_whitespace().filter(|t| t.contains('.')) {
                if let Some(code) = icd10_token(token).filter(|c| is_strict_known(&c.code)) {
                    let conf = confidence(i) * UNLABELLED * if code.repaired { REPAIRED } else { 1.0 };
                    rx.add_diagnosis(Sourced::with_confidence(Diagnosis { code: code.code, text: None }, at(i), conf));
                }
            }
        }
    }
    if rx.body_sites.is_empty() {
        let unlabelled = |i: &usize| !labelled.iter().any(|v| v.line == *i);
        for (i, line) in lines.iter().enumerate().filter(|(i, _)| unlabelled(i)) {
            for site in find_body_sites(line) {
                rx.add_body_site(Sourced::with_confidence(site, at(i), confidence(i) * UNLABELLED));
            }
        }
    }
    if rx.written_on.is_none() {
        let skip = |i: usize| labelled.iter().any(|v| v.line == i && matches!(v.kind, Kind::Dob | Kind::EndDate));
        if let Some((i, date)) = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| !skip(*i))
            .find_map(|(i, l)| find_dates(l).first().map(|d| (i, *d)))
        {
            let conf = confidence(i) * UNLABELLED * if date.repaired { REPAIRED } else { 1.0 };
            rx.written_on = Some(Sourced::with_confidence(date.date, at(i), conf));
        }
    }
    if rx.prescriber.name.is_none()
        && let Some(npi_line) = labelled.iter().find(|v| v.kind == Kind::Npi).map(|v| v.line)
        && let Some((i, name)) = lines
            .iter()
            .enumerate()
            .take(npi_line)
            .rev()
            .find(|(_, l)| !l.trim().is_empty())
            .filter(|(i, _)| !labelled.iter().any(|v| v.line == *i))
            .and_then(|(i, l)| names::parse(l).map(|n| (i, n)))
    {
        let conf = confidence(i) * SIGNATURE_LINE * if name.repaired { REPAIRED } else { 1.0 };
        rx.prescriber.name = Some(Sourced::with_confidence(name.full(), at(i), conf));
    }
    if rx.procedures.is_empty() {
        let procedure_line =
            labelled.iter().find(|v| v.kind == Kind::Procedure && mentions_massage(&v.text)).map(|v| v.line);
        let any_line = || lines.iter().position(|l| mentions_massage(l));
        if let Some(i) = procedure_line.or_else(any_line) {
            let source = Source::Derived { from: format!("the word massage on fax line {}", i + 1) };
            rx.add_procedure(Sourced::with_confidence(
                MASSAGE_CPT.to_owned(),
                source,
                confidence(i) * INFERRED_PROCEDURE,
            ));
        }
    }
    complete(&mut rx);
    if rx.is_empty() {
        return Err(IntakeError::NothingFound);
    }
    Ok(rx)
}

fn is_strict_known(code: &str) -> bool {
    !matches!(rx_codes::icd10::classify(code), rx_codes::icd10::Classification::Unknown)
}

/// Every labelled value; an empty value at the end of a line is taken from the next line, and
/// a table header row takes its values from the row below, split into cells.
fn labelled_values(lines: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut skip = None;
    for (i, line) in lines.iter().enumerate() {
        if skip == Some(i) {
            continue;
        }
        if let Some(columns) = labels::header(line)
            && let Some(row) = lines.get(i + 1)
            && !row.trim().is_empty()
            && labels::header(row).is_none()
            && labels::find(row).first().is_none_or(|n| !n.at_line_start)
        {
            for (kind, text) in table::split_row(&columns, row) {
                if kind != Kind::Stop && !text.is_empty() {
                    out.push(Value { kind, text, line: i + 1 });
                }
            }
            skip = Some(i + 1);
            continue;
        }
        let found = labels::find(line);
        let count = found.len();
        for (k, l) in found.into_iter().enumerate() {
            let (text, line_no) = if l.value.is_empty() && k + 1 == count {
                match lines.get(i + 1) {
                    Some(next)
                        if !next.trim().is_empty() && labels::find(next).first().is_none_or(|n| !n.at_line_start) =>
                    {
                        (next.trim().to_owned(), i + 1)
                    }
                    _ => (String::new(), i),
                }
            } else {
                (l.value, i)
            };
            if l.kind != Kind::Stop && !text.is_empty() {
                out.push(Value { kind: l.kind, text, line: line_no });
            }
        }
    }
    out
}

/// Applies one labelled value; the first value of a single-valued field wins.
fn read_labelled(rx: &mut Prescription, v: &Value, conf: f32, source: Source) {
    let repaired = |r: bool| if r { REPAIRED } else { 1.0 };
    match v.kind {
        Kind::Patient if rx.patient.family.is_none() => {
            if let Some(name) = names::parse(&v.text) {
                let c = conf * repaired(name.repaired);
                rx.patient.given = Some(Sourced::with_confidence(name.given, source.clone(), c));
                rx.patient.family = Some(Sourced::with_confidence(name.family, source, c));
            }
        }
        Kind::Dob if rx.patient.birth_date.is_none() => {
            if let Some(d) = find_date(&v.text) {
                rx.patient.birth_date = Some(Sourced::with_confidence(d.date, source, conf * repaired(d.repaired)));
            }
        }
        Kind::Date if rx.written_on.is_none() => {
            if let Some(d) = find_date(&v.text) {
                rx.written_on = Some(Sourced::with_confidence(d.date, source, conf * repaired(d.repaired)));
            }
        }
        Kind::EndDate if rx.end_of_treatment.is_none() => {
            if let Some(d) = find_date(&v.text) {
                rx.end_of_treatment = Some(Sourced::with_confidence(d.date, source, conf * repaired(d.repaired)));
            }
        }
        Kind::MemberId if rx.patient.member_id.is_none() => {
            if let Some(id) = codes::member_id_in(&v.text) {
                rx.patient.member_id = Some(Sourced::with_confidence(id.code, source, conf * repaired(id.repaired)));
            }
        }
        Kind::Insurance if rx.patient.payer_name.is_none() => {
            let name: String = v.text.trim_end_matches(['.', ',', ';']).chars().take(80).collect();
            if name.chars().any(char::is_alphabetic) {
                rx.patient.payer_name = Some(Sourced::with_confidence(name, source, conf));
            }
        }
        Kind::Npi if rx.prescriber.npi.is_none() => {
            if let Some(npi) = codes::npi_in(&v.text) {
                rx.prescriber.npi = Some(Sourced::with_confidence(npi.code, source, conf * repaired(npi.repaired)));
            }
        }
        Kind::Diagnosis => {
            let found = codes::icd10_in(&v.text);
            let text = description(&v.text);
            for code in found {
                let d = Diagnosis { code: code.code, text: text.clone() };
                rx.add_diagnosis(Sourced::with_confidence(d, source.clone(), conf * repaired(code.repaired)));
            }
        }
        Kind::Procedure => {
            for code in codes::procedures_in(&v.text) {
                rx.add_procedure(Sourced::with_confidence(code.code, source.clone(), conf * repaired(code.repaired)));
            }
        }
        Kind::PerWeek if rx.frequency.is_none() => {
            if let Some(n) = bare_number(&v.text).filter(|n| *n <= 14) {
                let f = Frequency { per_week: n, per_week_min: None, weeks: None };
                rx.frequency = Some(Sourced::with_confidence(f, source, conf));
            }
        }
        Kind::Weeks => {
            if let Some(n) = bare_number(&v.text)
                && let Some(f) = rx.frequency.as_mut()
                && f.value.weeks.is_none()
            {
                f.value.weeks = Some(n);
            }
        }
        Kind::Frequency | Kind::SessionLength | Kind::Sessions => {
            let mut found = phrases::scan(&v.text);
            if v.kind == Kind::Sessions && found.sessions.is_none() {
                found.sessions =
                    bare_number(&v.text).map(|n| phrases::Hit { value: n, start: 0, end: 0, approximate: false });
            }
            if v.kind == Kind::SessionLength && found.minutes.is_none() {
                found.minutes =
                    bare_number(&v.text).map(|n| phrases::Hit { value: n, start: 0, end: 0, approximate: false });
            }
            apply_phrases(rx, &found, |_| (source.clone(), conf));
        }
        Kind::Area => {
            for site in find_body_sites(&v.text) {
                rx.add_body_site(Sourced::with_confidence(site, source.clone(), conf));
            }
        }
        Kind::Prescriber if rx.prescriber.name.is_none() => {
            if let Some(name) = names::parse(&v.text) {
                rx.prescriber.name =
                    Some(Sourced::with_confidence(name.full(), source, conf * repaired(name.repaired)));
            }
        }
        _ => {}
    }
}

/// Sets frequency, weeks, sessions and minutes that are still unknown from scanned phrases;
/// `locate` gives the source and base confidence of a byte offset.
fn apply_phrases(rx: &mut Prescription, found: &Phrases, locate: impl Fn(usize) -> (Source, f32)) {
    let approx = |a: bool| if a { APPROXIMATE } else { 1.0 };
    if let Some(hit) = found.per_week
        && hit.value.max > 0
        && rx.frequency.is_none()
    {
        let (source, conf) = locate(hit.start);
        let f = Frequency { per_week: hit.value.max, per_week_min: hit.value.min, weeks: None };
        rx.frequency = Some(Sourced::with_confidence(f, source, conf * approx(hit.approximate)));
    }
    if let Some(hit) = found.weeks
        && hit.value > 0
        && let Some(f) = rx.frequency.as_mut()
        && f.value.weeks.is_none()
    {
        f.value.weeks = Some(hit.value);
        if hit.approximate {
            f.provenance.confidence *= APPROXIMATE;
        }
    }
    if rx.sessions.is_none()
        && let Some(hit) = found.sessions
    {
        let (source, conf) = locate(hit.start);
        rx.sessions = Some(Sourced::with_confidence(hit.value, source, conf));
    }
    if rx.minutes_per_session.is_none()
        && let Some(hit) = found.minutes
    {
        let (source, conf) = locate(hit.start);
        rx.minutes_per_session = Some(Sourced::with_confidence(hit.value, source, conf * approx(hit.approximate)));
    }
}

/// A value that is just a number ("8").
fn bare_number(text: &str) -> Option<u32> {
    let repaired = crate::ocr_repair::repair_digits(text);
    let first = repaired.split_whitespace().next()?;
    first.trim_matches(|c: char| !c.is_ascii_digit()).parse().ok().filter(|n| *n > 0 && *n < 1000)
}

/// The words of a diagnosis value once the codes are taken out ("Low back pain, unspecified").
fn description(value: &str) -> Option<String> {
    let words: Vec<&str> = value.split_whitespace().filter(|w| icd10_token(w).is_none()).collect();
    let text = words.join(" ").trim_matches(|c: char| c == ',' || c == ';' || c.is_whitespace()).to_owned();
    text.chars().any(char::is_alphabetic).then(|| text.chars().take(120).collect())
}

/// Unicode dashes and quotes to ASCII, tabs and no-break spaces to spaces.
fn normalize(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            '\u{2018}' | '\u{2019}' | '\u{2032}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            '\t' | '\u{a0}' | '\u{2007}' | '\u{202f}' | '\u{c}' => ' ',
            c => c,
        })
        .collect()
}

/// The lines joined by spaces (so phrases may wrap across lines), with each line's offset.
struct Joined {
    text: String,
    starts: Vec<usize>,
}

impl Joined {
    fn new(lines: &[String]) -> Self {
        let mut text = String::new();
        let mut starts = Vec::with_capacity(lines.len());
        for line in lines {
            starts.push(text.len());
            text.push_str(line);
            text.push(' ');
        }
        Self { text, starts }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|s| *s <= offset).saturating_sub(1)
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
