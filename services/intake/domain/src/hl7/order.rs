//! Diagnoses (DG1-3, OBR-31), procedures (OBR-4, OBR-44), free text (NTE, OBR-13, OBR-15) and
//! dates (ORC-9, ORC-15, OBR-6/7, RF1-7/8/9, MSH-7).

use rx_hl7v2::{Field, Message};

use super::at;
use crate::body::find_body_sites;
use crate::complete::{MASSAGE_CPT, mentions_massage};
use crate::dates::parse_hl7_ts;
use crate::model::{Diagnosis, Prescription, Source, Sourced};
use crate::phrases;

/// Confidence of a code accepted by its shape because no coding system was sent.
const SHAPE_ONLY: f32 = 0.9;
/// Confidence of values read from free-text comments.
const FREE_TEXT: f32 = 0.9;
/// Confidence of massage inferred from an order's text.
const INFERRED_PROCEDURE: f32 = 0.75;
/// Confidence of the message time used as the prescription date.
const MESSAGE_TIME: f32 = 0.8;

fn is_icd10_system(system: &str) -> bool {
    let s = system.to_ascii_uppercase().replace(['-', ' ', '_'], "");
    matches!(s.as_str(), "I10" | "I10C" | "ICD10" | "ICD10CM" | "I10CM" | "2.16.840.1.113883.6.90")
}

fn is_cpt_system(system: &str) -> bool {
    let s = system.to_ascii_uppercase().replace(['-', ' ', '_'], "");
    matches!(
        s.as_str(),
        "C4" | "C5" | "CPT" | "CPT4" | "HCPCS" | "HCPT" | "HPC" | "2.16.840.1.113883.6.12" | "2.16.840.1.113883.6.285"
    )
}

/// Normalised ICD-10-CM code (no dot, upper case) when `code` looks like one.
fn icd10_shape(code: &str) -> Option<String> {
    let c: String = code.trim().chars().filter(|c| *c != '.').map(|c| c.to_ascii_uppercase()).collect();
    let b = c.as_bytes();
    let ok = (3..=7).contains(&b.len())
        && b.first().is_some_and(u8::is_ascii_uppercase)
        && b.get(1).is_some_and(u8::is_ascii_digit)
        && b.iter().all(u8::is_ascii_alphanumeric);
    ok.then_some(c)
}

/// CPT (five digits) or HCPCS level II (letter and four digits).
fn cpt_shape(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 5
        && (b.iter().all(u8::is_ascii_digit)
            || (b.first().is_some_and(u8::is_ascii_uppercase) && b.iter().skip(1).all(u8::is_ascii_digit)))
}

/// DG1-3 of every DG1, then the repetitions of OBR-31; ICD-10 only (I10, ICD10...).
pub fn diagnoses(msg: &Message<'_>, rx: &mut Prescription) {
    for dg1 in msg.segments_with_id("DG1") {
        let f = dg1.field(3);
        let fallback_text = dg1.field(4).text();
        add_diagnosis(rx, f.repetition(1), at(&dg1, 3, Some(1)), &fallback_text);
    }
    for obr in msg.segments_with_id("OBR") {
        for (i, rep) in obr.field(31).repetitions().enumerate() {
            let mut source = at(&obr, 31, Some(1));
            if i > 0
                && let Source::Hl7 { path } = &mut source
            {
                *path = path.replacen("-31", &format!("-31({})", i + 1), 1);
            }
            add_diagnosis(rx, rep, source, "");
        }
    }
}

fn add_diagnosis(rx: &mut Prescription, rep: rx_hl7v2::Repetition<'_>, source: Source, fallback_text: &str) {
    let code = rep.component(1).text();
    let system = rep.component(3).raw();
    if code.trim().is_empty() || !(system.is_empty() || is_icd10_system(system)) {
        return;
    }
    let Some(normalized) = icd10_shape(&code) else { return };
    let text = Some(rep.component(2).text().into_owned())
        .filter(|t| !t.trim().is_empty())
        .or_else(|| Some(fallback_text.to_owned()).filter(|t| !t.trim().is_empty()));
    let conf = if system.is_empty() { SHAPE_ONLY } else { 1.0 };
    rx.add_diagnosis(Sourced::with_confidence(Diagnosis { code: normalized, text }, source, conf));
}

/// OBR-4 and OBR-44 when coded in CPT/HCPCS (or uncoded but CPT-shaped); massage (97124) is
/// inferred from the order text when no code is found.
pub fn procedures(msg: &Message<'_>, rx: &mut Prescription) {
    let mut texts: Vec<(String, Source)> = Vec::new();
    for obr in msg.segments_with_id("OBR") {
        for field in [4, 44] {
            let f: Field<'_> = obr.field(field);
            // CE/CWE carry a primary (1-3) and an alternate (4-6) coding
            for (code_c, system_c) in [(1, 3), (4, 6)] {
                let code = f.component(code_c).text().trim().to_ascii_uppercase();
                let system = f.component(system_c).raw();
                let conf = if is_cpt_system(system) {
                    1.0
                } else if system.is_empty() && cpt_shape(&code) {
                    SHAPE_ONLY
                } else {
                    continue;
                };
                if cpt_shape(&code) {
                    rx.add_procedure(Sourced::with_confidence(code, at(&obr, field, Some(code_c)), conf));
                }
            }
            for text_c in [2, 5] {
                let text = f.component(text_c).text().into_owned();
                if !text.is_empty() {
                    texts.push((text, at(&obr, field, Some(text_c))));
                }
            }
        }
    }
    if rx.procedures.is_empty()
        && let Some((_, source)) = texts.iter().find(|(t, _)| mentions_massage(t))
    {
        let from = Source::Derived { from: format!("the word massage in {}", source_path(source)) };
        rx.add_procedure(Sourced::with_confidence(MASSAGE_CPT.to_owned(), from, INFERRED_PROCEDURE));
    }
}

fn source_path(source: &Source) -> String {
    match source {
        Source::Hl7 { path } => path.clone(),
        other => other.to_string(),
    }
}

/// Comments (NTE-3, OBR-13) and the specimen/body-site field (OBR-15): phrases and body sites
/// not already given in structured fields.
pub fn free_text(msg: &Message<'_>, rx: &mut Prescription) {
    let mut texts: Vec<(String, Source)> = Vec::new();
    for nte in msg.segments_with_id("NTE") {
        for rep in nte.field(3).repetitions() {
            texts.push((rep.text().into_owned(), at(&nte, 3, None)));
        }
    }
    for obr in msg.segments_with_id("OBR") {
        texts.push((obr.field(13).text().into_owned(), at(&obr, 13, None)));
        let site = obr.field(15).component(4);
        texts.push((format!("{} {}", site.subcomponent(1), site.subcomponent(2)), at(&obr, 15, Some(4))));
    }
    for (text, source) in &texts {
        if text.trim().is_empty() {
            continue;
        }
        let found = phrases::scan(text);
        if rx.frequency.is_none()
            && let Some(hit) = found.per_week
            && hit.value.max > 0
        {
            let f = crate::model::Frequency {
                per_week: hit.value.max,
                per_week_min: hit.value.min,
                weeks: found.weeks.map(|w| w.value),
            };
            rx.frequency = Some(Sourced::with_confidence(f, source.clone(), FREE_TEXT));
        }
        if rx.sessions.is_none()
            && let Some(hit) = found.sessions
        {
            rx.sessions = Some(Sourced::with_confidence(hit.value, source.clone(), FREE_TEXT));
        }
        if rx.minutes_per_session.is_none()
            && let Some(hit) = found.minutes
        {
            rx.minutes_per_session = Some(Sourced::with_confidence(hit.value, source.clone(), FREE_TEXT));
        }
    }
    if rx.body_sites.is_empty() {
        for (text, source) in texts.iter().filter(|(t, _)| !t.trim().is_empty()) {
            for site in find_body_sites(text) {
                rx.add_body_site(Sourced::with_confidence(site, source.clone(), FREE_TEXT));
            }
        }
    }
}

/// The prescription date: ORC-9 (transaction), ORC-15 (effective), RF1-7/9, OBR-6/7, then
/// MSH-7 (message time, less certain). The stated end: RF1-8 when timing gave none.
pub fn dates(msg: &Message<'_>, rx: &mut Prescription) {
    if rx.written_on.is_none() {
        let candidates = [
            ("ORC", 9, 1.0),
            ("ORC", 15, 1.0),
            ("RF1", 7, 1.0),
            ("RF1", 9, SHAPE_ONLY),
            ("OBR", 6, SHAPE_ONLY),
            ("OBR", 7, SHAPE_ONLY),
            ("MSH", 7, MESSAGE_TIME),
        ];
        rx.written_on = candidates.iter().find_map(|(seg, field, conf)| {
            let s = msg.segment(seg)?;
            let date = parse_hl7_ts(s.field(*field).component(1).raw())?;
            Some(Sourced::with_confidence(date, at(&s, *field, None), *conf))
        });
    }
    if rx.end_of_treatment.is_none()
        && let Some(rf1) = msg.segment("RF1")
        && let Some(end) = parse_hl7_ts(rf1.field(8).component(1).raw())
    {
        rx.end_of_treatment = Some(Sourced::exact(end, at(&rf1, 8, None)));
    }
}
