//! Finding labelled values on a fax line ("DOB: 03/14/1975", "Member ID SHP4488"), tolerant
//! of the ways labels are written ("DOB", "D.O.B.", "Date of Birth") and of OCR confusions in
//! them ("D0B", "NPl", "lCD-1O").
//!
//! Matching works on a folded copy of the line: lower case, `0`→`o`, `1`/`l`/`|`/`!`→`i`,
//! `5`→`s`, keeping only letters, digits and `#`; each folded character remembers its position
//! in the line, so gaps of a few spaces or dots between label letters are allowed.

use std::sync::LazyLock;

/// What a label announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Date,
    Patient,
    Dob,
    MemberId,
    Insurance,
    Npi,
    Diagnosis,
    Procedure,
    Frequency,
    SessionLength,
    Sessions,
    Area,
    Prescriber,
    EndDate,
    /// Sessions per week, as a table column ("Per week").
    PerWeek,
    /// Number of weeks, as a table column ("Weeks").
    Weeks,
    /// A label whose value rxbridge ignores (notes, phone, signature); it ends the value of
    /// the label before it.
    Stop,
}

/// Labels: (written form, kind, needs a colon). A label that needs a colon is also accepted
/// at the start of a line when the next word is not lower case ("Patient Avery Quinlan").
const LABELS: &[(&str, Kind, bool)] = &[
    ("date", Kind::Date, true),
    ("date written", Kind::Date, true),
    ("rx date", Kind::Date, true),
    ("date of rx", Kind::Date, true),
    ("order date", Kind::Date, true),
    ("date of order", Kind::Date, true),
    ("prescription date", Kind::Date, true),
    ("date of prescription", Kind::Date, true),
    ("referral date", Kind::Date, true),
    ("patient", Kind::Patient, true),
    ("patient name", Kind::Patient, true),
    ("patient's name", Kind::Patient, true),
    ("pt", Kind::Patient, true),
    ("pt name", Kind::Patient, true),
    ("name", Kind::Patient, true),
    ("re", Kind::Patient, true),
    ("client", Kind::Patient, true),
    ("dob", Kind::Dob, false),
    ("date of birth", Kind::Dob, false),
    ("birth date", Kind::Dob, false),
    ("birthdate", Kind::Dob, false),
    ("member id", Kind::MemberId, false),
    ("member #", Kind::MemberId, false),
    ("member no", Kind::MemberId, false),
    ("member number", Kind::MemberId, false),
    ("mbr id", Kind::MemberId, false),
    ("subscriber id", Kind::MemberId, false),
    ("subscriber #", Kind::MemberId, false),
    ("subscriber no", Kind::MemberId, false),
    ("policy #", Kind::MemberId, false),
    ("policy no", Kind::MemberId, false),
    ("policy number", Kind::MemberId, false),
    ("policy id", Kind::MemberId, false),
    ("insurance id", Kind::MemberId, false),
    ("id #", Kind::MemberId, false),
    ("insurance", Kind::Insurance, true),
    ("primary insurance", Kind::Insurance, true),
    ("insurance company", Kind::Insurance, true),
    ("payer", Kind::Insurance, true),
    ("payor", Kind::Insurance, true),
    ("insurer", Kind::Insurance, true),
    ("plan", Kind::Insurance, true),
    ("health plan", Kind::Insurance, true),
    ("carrier", Kind::Insurance, true),
    ("npi", Kind::Npi, false),
    ("npi #", Kind::Npi, false),
    ("npi no", Kind::Npi, false),
    ("npi number", Kind::Npi, false),
    ("dx", Kind::Diagnosis, false),
    ("dx code", Kind::Diagnosis, false),
    ("diagnosis", Kind::Diagnosis, false),
    ("diagnoses", Kind::Diagnosis, false),
    ("diagnosis code", Kind::Diagnosis, false),
    ("diagnosis codes", Kind::Diagnosis, false),
    ("icd", Kind::Diagnosis, false),
    ("icd10", Kind::Diagnosis, false),
    ("icd-10", Kind::Diagnosis, false),
    ("icd-10-cm", Kind::Diagnosis, false),
    ("icd code", Kind::Diagnosis, false),
    ("icd-10 code", Kind::Diagnosis, false),
    ("cpt", Kind::Procedure, false),
    ("cpt code", Kind::Procedure, false),
    ("cpt codes", Kind::Procedure, false),
    ("cpt4", Kind::Procedure, false),
    ("rx", Kind::Procedure, true),
    ("treatment", Kind::Procedure, true),
    ("treatment ordered", Kind::Procedure, true),
    ("procedure", Kind::Procedure, true),
    ("procedures", Kind::Procedure, true),
    ("service", Kind::Procedure, true),
    ("services", Kind::Procedure, true),
    ("order", Kind::Procedure, true),
    ("orders", Kind::Procedure, true),
    ("frequency", Kind::Frequency, true),
    ("freq", Kind::Frequency, true),
    ("session length", Kind::SessionLength, true),
    ("length of session", Kind::SessionLength, true),
    ("session duration", Kind::SessionLength, true),
    ("duration", Kind::SessionLength, true),
    ("minutes", Kind::SessionLength, true),
    ("time per session", Kind::SessionLength, true),
    ("visit length", Kind::SessionLength, true),
    ("length", Kind::SessionLength, true),
    ("sessions", Kind::Sessions, true),
    ("visits", Kind::Sessions, true),
    ("number of sessions", Kind::Sessions, true),
    ("number of visits", Kind::Sessions, true),
    ("# of visits", Kind::Sessions, true),
    ("# of sessions", Kind::Sessions, true),
    ("no of visits", Kind::Sessions, true),
    ("total visits", Kind::Sessions, true),
    ("total sessions", Kind::Sessions, true),
    ("quantity", Kind::Sessions, true),
    ("qty", Kind::Sessions, true),
    ("area to treat", Kind::Area, true),
    ("areas to treat", Kind::Area, true),
    ("area", Kind::Area, true),
    ("areas", Kind::Area, true),
    ("body part", Kind::Area, true),
    ("body parts", Kind::Area, true),
    ("body area", Kind::Area, true),
    ("body site", Kind::Area, true),
    ("site", Kind::Area, true),
    ("sites", Kind::Area, true),
    ("region", Kind::Area, true),
    ("location", Kind::Area, true),
    ("treatment area", Kind::Area, true),
    ("area of treatment", Kind::Area, true),
    ("physician", Kind::Prescriber, true),
    ("provider", Kind::Prescriber, true),
    ("prescriber", Kind::Prescriber, true),
    ("doctor", Kind::Prescriber, true),
    ("referring physician", Kind::Prescriber, true),
    ("referring provider", Kind::Prescriber, true),
    ("ordering physician", Kind::Prescriber, true),
    ("ordering provider", Kind::Prescriber, true),
    ("prescribing physician", Kind::Prescriber, true),
    ("end date", Kind::EndDate, true),
    ("through", Kind::EndDate, true),
    ("thru", Kind::EndDate, true),
    ("until", Kind::EndDate, true),
    ("valid through", Kind::EndDate, true),
    ("valid until", Kind::EndDate, true),
    ("expires", Kind::EndDate, true),
    ("expiration", Kind::EndDate, true),
    ("expiration date", Kind::EndDate, true),
    ("end of treatment", Kind::EndDate, true),
    ("notes", Kind::Stop, true),
    ("note", Kind::Stop, true),
    ("comments", Kind::Stop, true),
    ("signature", Kind::Stop, true),
    ("signed", Kind::Stop, true),
    ("phone", Kind::Stop, true),
    ("fax", Kind::Stop, true),
    ("tel", Kind::Stop, true),
    ("address", Kind::Stop, true),
    ("to", Kind::Stop, true),
    ("from", Kind::Stop, true),
    ("cc", Kind::Stop, true),
];

/// Column headings read only in a table header row, where they stand without colons above
/// their values ("Sessions  Per week  Weeks  Minutes").
const HEADER_LABELS: &[(&str, Kind, bool)] = &[
    ("per week", Kind::PerWeek, false),
    ("times per week", Kind::PerWeek, false),
    ("x per week", Kind::PerWeek, false),
    ("per wk", Kind::PerWeek, false),
    ("weeks", Kind::Weeks, false),
    ("# of weeks", Kind::Weeks, false),
    ("number of weeks", Kind::Weeks, false),
    ("wks", Kind::Weeks, false),
    ("description", Kind::Stop, false),
];

fn fold(c: char) -> Option<char> {
    let c = c.to_ascii_lowercase();
    match c {
        '0' => Some('o'),
        '1' | 'l' | '|' | '!' => Some('i'),
        '5' => Some('s'),
        '#' => Some('#'),
        c if c.is_ascii_alphanumeric() => Some(c),
        _ => None,
    }
}

/// A folded label: its characters, kind, and whether it needs a colon.
type Folded = (Vec<char>, Kind, bool);

/// The labels folded and grouped by first character, longest first within a group so
/// "date of birth" wins over "date" where both start.
static BY_FIRST: LazyLock<Vec<(char, Vec<Folded>)>> = LazyLock::new(|| group(LABELS.iter()));

/// The same for a table header row: every label plus the column headings.
static HEADER_BY_FIRST: LazyLock<Vec<(char, Vec<Folded>)>> =
    LazyLock::new(|| group(LABELS.iter().chain(HEADER_LABELS)));

fn group<'a>(labels: impl Iterator<Item = &'a (&'a str, Kind, bool)>) -> Vec<(char, Vec<Folded>)> {
    let mut groups: Vec<(char, Vec<Folded>)> = Vec::new();
    for (text, kind, colon) in labels {
        let folded: Vec<char> = text.chars().filter_map(fold).collect();
        let Some(first) = folded.first().copied() else { continue };
        match groups.iter_mut().find(|(c, _)| *c == first) {
            Some((_, group)) => group.push((folded, *kind, *colon)),
            None => groups.push((first, vec![(folded, *kind, *colon)])),
        }
    }
    for (_, group) in &mut groups {
        group.sort_by_key(|(folded, _, _)| std::cmp::Reverse(folded.len()));
    }
    groups
}

/// A label found on a line and the value after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labelled {
    pub kind: Kind,
    /// The value text, trimmed; may be empty when the value is on the next line.
    pub value: String,
    /// Whether the label began the line.
    pub at_line_start: bool,
}

/// Every label on `line`, left to right, each with the text up to the next label.
pub fn find(line: &str) -> Vec<Labelled> {
    find_in(line, false)
}

/// The column kinds of a table header row ("Patient name   Date of birth"): a line of two or
/// more labels without colons, digits or values, whose values are on the next line. Words
/// that are not labels are allowed only fewer than the labels ("Diagnosis (ICD-10)
/// Description").
pub fn header(line: &str) -> Option<Vec<Kind>> {
    if line.contains([':', '=']) || line.chars().any(|c| c.is_ascii_digit() && c != '1' && c != '0') {
        return None;
    }
    let found = find_in(line, true);
    let first = found.first()?;
    if found.len() < 2 || !first.at_line_start {
        return None;
    }
    let stray: usize = found.iter().map(|l| l.value.split_whitespace().filter(|w| !w.starts_with('(')).count()).sum();
    if stray >= found.len() {
        return None;
    }
    let mut kinds: Vec<Kind> = Vec::with_capacity(found.len());
    for l in found {
        if kinds.last() != Some(&l.kind) {
            kinds.push(l.kind);
        }
    }
    Some(kinds)
}

fn find_in(line: &str, header: bool) -> Vec<Labelled> {
    let table: &[(char, Vec<Folded>)] = if header { &HEADER_BY_FIRST } else { &BY_FIRST };
    let chars: Vec<char> = line.chars().collect();
    // folded characters with their index in `chars`
    let folded: Vec<(char, usize)> = chars.iter().enumerate().filter_map(|(i, c)| fold(*c).map(|f| (f, i))).collect();
    let first_text = chars.iter().position(|c| !c.is_whitespace()).unwrap_or(0);
    let is_word = |i: Option<usize>| i.and_then(|i| chars.get(i)).is_some_and(|c| c.is_alphanumeric());

    // (start char, end char exclusive, kind), found left to right
    let mut hits: Vec<(usize, usize, Kind)> = Vec::new();
    for at in 0..folded.len() {
        let Some((first, _)) = folded.get(at) else { break };
        let Some((_, group)) = table.iter().find(|(c, _)| c == first) else { continue };
        if hits.last().is_some_and(|(_, end, _)| folded[at].1 < *end) {
            continue;
        }
        for (label, kind, needs_colon) in group {
            let n = label.len();
            let Some(window) = folded.get(at..at + n) else { continue };
            if !window.iter().zip(label).all(|((f, _), l)| f == l) {
                continue;
            }
            let start = window[0].1;
            let end = window[n - 1].1 + 1;
            // whole words only, and only small gaps (spaces, dots, dashes) between letters
            if is_word(start.checked_sub(1)) || is_word(Some(end)) {
                continue;
            }
            let gaps_ok = window.windows(2).all(|w| {
                let (a, b) = (w[0].1, w[1].1);
                b - a <= 3 && chars[a + 1..b].iter().all(|c| matches!(c, ' ' | '.' | '-' | '_' | '\''))
            });
            if !gaps_ok {
                continue;
            }
            let after: Vec<char> =
                chars[end..].iter().copied().skip_while(|c| *c == ' ' || *c == ')').take(1).collect();
            let colon = matches!(after.first(), Some(':' | '#' | '=' | ';'));
            let next_word_lower = chars[end..].iter().find(|c| !c.is_whitespace()).is_some_and(|c| c.is_lowercase());
            let line_start = start == first_text && !next_word_lower && end < chars.len();
            if *needs_colon && !colon && !line_start && !header {
                continue;
            }
            // "8 visits: 2 per week": the number before the label is the count, not a label
            if matches!(kind, Kind::Sessions | Kind::SessionLength) && follows_number(&chars[..start]) {
                continue;
            }
            hits.push((start, end, *kind));
            break;
        }
    }
    hits.sort_by_key(|(s, _, _)| *s);
    let mut out = Vec::with_capacity(hits.len());
    for (i, (start, end, kind)) in hits.iter().enumerate() {
        let stop = hits.get(i + 1).map_or(chars.len(), |(s, _, _)| *s);
        let raw: String = chars.get(*end..stop).unwrap_or_default().iter().collect();
        let value = raw
            .trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '#' | '=' | ';' | ')' | '-' | '.'))
            .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | '|' | '-'))
            .to_owned();
        out.push(Labelled { kind: *kind, value, at_line_start: *start == first_text });
    }
    out
}

/// Whether the last word before a label is a number ("8 visits:").
fn follows_number(before: &[char]) -> bool {
    let word: Vec<char> =
        before.iter().rev().skip_while(|c| c.is_whitespace()).take_while(|c| !c.is_whitespace()).copied().collect();
    !word.is_empty() && word.iter().all(char::is_ascii_digit)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn kinds(line: &str) -> Vec<(Kind, String)> {
        find(line).into_iter().map(|l| (l.kind, l.value)).collect()
    }

    #[test]
    fn two_labels_on_one_line() {
        assert_eq!(
            kinds("Patient: Avery Quinlan      DOB: 03/14/1975"),
            [(Kind::Patient, "Avery Quinlan".into()), (Kind::Dob, "03/14/1975".into())]
        );
        assert_eq!(
            kinds("Insurance: Synthetic Health PPO    Member ID: SHP448812097"),
            [(Kind::Insurance, "Synthetic Health PPO".into()), (Kind::MemberId, "SHP448812097".into())]
        );
    }

    #[test]
    fn label_spellings_and_ocr_noise() {
        for line in [
            "DOB: 03/14/1975",
            "D.O.B. 03/14/1975",
            "Date of Birth: 03/14/1975",
            "D0B: 03/14/1975",
            "Birth date 03/14/1975",
        ] {
            assert_eq!(kinds(line), [(Kind::Dob, "03/14/1975".into())], "{line}");
        }
        for line in ["NPI: 1234567893", "NPl: 1234567893", "NPI # 1234567893", "NPI 1234567893"] {
            assert_eq!(kinds(line), [(Kind::Npi, "1234567893".into())], "{line}");
        }
        for line in ["Member ID: SHP4", "Member #: SHP4", "Subscriber ID SHP4", "member lD SHP4", "Policy No. SHP4"] {
            assert_eq!(kinds(line), [(Kind::MemberId, "SHP4".into())], "{line}");
        }
        assert_eq!(kinds("Dx: M54.50")[0].0, Kind::Diagnosis);
        assert_eq!(kinds("lCD-1O: M54.50")[0], (Kind::Diagnosis, "M54.50".into()));
    }

    #[test]
    fn diagnosis_with_parenthesised_code_system() {
        let found = kinds("Diagnosis (ICD-10): M54.50 Low back pain, unspecified");
        assert_eq!(found.last().unwrap(), &(Kind::Diagnosis, "M54.50 Low back pain, unspecified".into()));
    }

    #[test]
    fn prose_words_are_not_labels() {
        assert!(kinds("I am referring my patient for medical massage therapy").is_empty());
        assert!(kinds("Patient education was given").is_empty());
        assert_eq!(kinds("Re: Morgan Ellery, DOB 11/02/1988")[0], (Kind::Patient, "Morgan Ellery".into()));
        // "sessions" inside a value is not a label without a colon
        assert_eq!(kinds("Frequency: 2x per week for 4 weeks (8 sessions)").len(), 1);
        assert_eq!(kinds("Session length: 60 minutes"), [(Kind::SessionLength, "60 minutes".into())]);
    }

    #[test]
    fn counted_nouns_are_not_labels() {
        assert!(kinds("8 visits: 2 per week x 4 weeks, 30 min").is_empty());
        assert_eq!(kinds("Visits: 8")[0], (Kind::Sessions, "8".into()));
    }

    #[test]
    fn table_header_rows() {
        assert_eq!(header("Patient name Date of birth"), Some(vec![Kind::Patient, Kind::Dob]));
        assert_eq!(header("Referring physician NPI"), Some(vec![Kind::Prescriber, Kind::Npi]));
        assert_eq!(
            header("Sessions Per week Weeks Minutes"),
            Some(vec![Kind::Sessions, Kind::PerWeek, Kind::Weeks, Kind::SessionLength])
        );
        assert_eq!(header("Diagnosis (ICD-10) Description"), Some(vec![Kind::Diagnosis, Kind::Stop]));
        assert_eq!(header("Patient Avery Quinlan"), None);
        assert_eq!(header("Patient: Avery Quinlan DOB: 03/14/1975"), None);
        assert_eq!(header("Dx"), None);
    }

    #[test]
    fn label_without_value_and_stop_labels() {
        assert_eq!(kinds("Patient:"), [(Kind::Patient, String::new())]);
        assert_eq!(kinds("Notes: Avoid deep pressure over L4-L5.")[0].0, Kind::Stop);
        assert_eq!(
            kinds("Treatment: Medical massage, CPT 97124"),
            [(Kind::Procedure, "Medical massage".into()), (Kind::Procedure, "97124".into())]
        );
    }
}
