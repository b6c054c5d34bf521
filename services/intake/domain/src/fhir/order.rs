//! What is ordered: diagnoses (reasonCode, reasonReference → Condition), procedures (code,
//! orderDetail), timing (occurrenceTiming.repeat, quantityQuantity), body sites and dates.

use rx_fhir::{CodeableConcept, ICD10CM_SYSTEM, SNOMED_SYSTEM, ServiceRequest};

use super::Ctx;
use crate::body::{find_body_sites, from_snomed};
use crate::complete::{MASSAGE_CPT, mentions_massage};
use crate::dates::parse_fhir_date;
use crate::model::{Diagnosis, Frequency, Prescription, Source, Sourced};
use crate::phrases;

/// WHO ICD-10 is accepted too, a little less surely: most codes coincide with ICD-10-CM.
const ICD10_WHO: &str = "http://hl7.org/fhir/sid/icd-10";
const CPT_SYSTEMS: &[&str] = &[rx_fhir::CPT_SYSTEM, "urn:oid:2.16.840.1.113883.6.12"];
const HCPCS_SYSTEMS: &[&str] = &[
    "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "urn:oid:2.16.840.1.113883.6.285",
];
/// Confidence of values read from free text (notes, instructions, display-only codes).
const FREE_TEXT: f32 = 0.9;
/// Confidence of massage inferred from the order's text.
const INFERRED_PROCEDURE: f32 = 0.75;

fn icd10_codes<'a>(cc: &'a CodeableConcept) -> impl Iterator<Item = (usize, &'a str, f32, Option<String>)> + 'a {
    cc.coding.iter().enumerate().filter_map(move |(j, c)| {
        let conf = match c.system.as_deref() {
            Some(ICD10CM_SYSTEM) => 1.0,
            Some(ICD10_WHO) => FREE_TEXT,
            _ => return None,
        };
        let text = c.display.clone().or_else(|| cc.text.clone());
        c.code.as_deref().map(|code| (j, code, conf, text))
    })
}

fn normalize_icd10(code: &str) -> Option<String> {
    let c: String = code.trim().chars().filter(|c| *c != '.').map(|c| c.to_ascii_uppercase()).collect();
    let ok = (3..=7).contains(&c.len())
        && c.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && c.chars().all(|c| c.is_ascii_alphanumeric());
    ok.then_some(c)
}

/// reasonCode codings in ICD-10-CM, then the codes of Conditions in reasonReference.
pub fn diagnoses(sr: &ServiceRequest, ctx: &Ctx<'_>, rx: &mut Prescription) {
    for (i, cc) in sr.reason_code.iter().enumerate() {
        for (j, code, conf, text) in icd10_codes(cc) {
            if let Some(code) = normalize_icd10(code) {
                let source = ctx.at(&format!("reasonCode[{i}].coding[{j}].code"));
                rx.add_diagnosis(Sourced::with_confidence(Diagnosis { code, text }, source, conf));
            }
        }
    }
    for reference in &sr.reason_reference {
        let Some(resolved) = ctx.resolver.resolve(reference) else { continue };
        let Some(condition) = resolved.resource.as_condition() else { continue };
        let path = resolved.path(&ctx.base);
        let Some(cc) = &condition.code else { continue };
        for (j, code, conf, text) in icd10_codes(cc) {
            if let Some(code) = normalize_icd10(code) {
                let source = Source::Json { path: format!("{path}.code.coding[{j}].code") };
                rx.add_diagnosis(Sourced::with_confidence(Diagnosis { code, text }, source, conf));
            }
        }
    }
}

/// CPT/HCPCS codings of `code` and `orderDetail`; 97124 inferred from massage wording.
pub fn procedures(sr: &ServiceRequest, ctx: &Ctx<'_>, rx: &mut Prescription) {
    let concepts = sr
        .code
        .iter()
        .map(|c| (c, "code".to_owned()))
        .chain(sr.order_detail.iter().enumerate().map(|(i, c)| (c, format!("orderDetail[{i}]"))));
    let mut texts: Vec<String> = Vec::new();
    for (cc, path) in concepts {
        for (j, coding) in cc.coding.iter().enumerate() {
            let system = coding.system.as_deref().unwrap_or_default();
            if let Some(code) = coding.code.as_deref()
                && (CPT_SYSTEMS.contains(&system) || HCPCS_SYSTEMS.contains(&system))
            {
                let code = code.trim().to_ascii_uppercase();
                rx.add_procedure(Sourced::exact(code, ctx.at(&format!("{path}.coding[{j}].code"))));
            }
            texts.extend(coding.display.clone());
        }
        texts.extend(cc.text.clone());
    }
    texts.extend(sr.category.iter().filter_map(|c| c.label().map(str::to_owned)));
    if rx.procedures.is_empty() && texts.iter().any(|t| mentions_massage(t)) {
        let from = Source::Derived { from: format!("the word massage in {}.code", ctx.base) };
        rx.add_procedure(Sourced::with_confidence(MASSAGE_CPT.to_owned(), from, INFERRED_PROCEDURE));
    }
}

fn weeks_of(value: f64, unit: &str) -> Option<u32> {
    let weeks = match unit {
        "wk" | "week" | "weeks" => value,
        "d" | "day" | "days" => value / 7.0,
        "mo" | "month" | "months" => value * 4.0,
        _ => return None,
    };
    (1.0..520.0).contains(&weeks).then(|| weeks.ceil() as u32)
}

/// occurrenceTiming.repeat (count, frequency per period, bounds, duration), quantityQuantity,
/// occurrencePeriod, then phrases in patientInstruction and notes.
pub fn timing(sr: &ServiceRequest, ctx: &Ctx<'_>, rx: &mut Prescription) {
    let repeat = sr.occurrence_timing.as_ref().and_then(|t| t.repeat.as_ref());
    if let Some(r) = repeat {
        let at = |p: &str| ctx.at(&format!("occurrenceTiming.repeat.{p}"));
        if let Some(count) = r.count.filter(|c| *c > 0) {
            rx.sessions = Some(Sourced::exact(count, at("count")));
        }
        if let Some(freq) = r.frequency.filter(|f| *f > 0) {
            let period = r.period.filter(|p| *p > 0.0).unwrap_or(1.0);
            let per = |n: u32| -> Option<u32> {
                let n = f64::from(n);
                let w = match r.period_unit.as_deref() {
                    Some("wk") => n / period,
                    Some("d") => n * 7.0 / period,
                    Some("mo") => n / (period * 4.0),
                    _ => return None,
                };
                (1.0..200.0).contains(&w).then(|| w.round() as u32)
            };
            if let Some(per_week) = per(r.frequency_max.unwrap_or(freq).max(freq)) {
                let min = r.frequency_max.and_then(|_| per(freq)).filter(|m| *m != per_week);
                let weeks = r
                    .bounds_duration
                    .as_ref()
                    .and_then(|d| weeks_of(d.value?, d.code.as_deref().or(d.unit.as_deref())?))
                    .or_else(|| {
                        let b = r.bounds_period.as_ref()?;
                        let start = parse_fhir_date(b.start.as_deref()?)?;
                        let end = parse_fhir_date(b.end.as_deref()?)?;
                        weeks_of((end - start).whole_days() as f64, "d")
                    });
                let f = Frequency { per_week, per_week_min: min, weeks };
                rx.frequency = Some(Sourced::exact(f, at("frequency")));
            }
        }
        if let Some(end) = r.bounds_period.as_ref().and_then(|b| b.end.as_deref()).and_then(parse_fhir_date) {
            rx.end_of_treatment = Some(Sourced::exact(end, at("boundsPeriod.end")));
        }
        if let Some(d) = r.duration.filter(|d| *d > 0.0) {
            let minutes = match r.duration_unit.as_deref() {
                Some("min") => Some(d),
                Some("h") => Some(d * 60.0),
                Some("s") => Some(d / 60.0),
                _ => None,
            };
            if let Some(m) = minutes.filter(|m| *m >= 1.0 && *m < 1000.0) {
                rx.minutes_per_session = Some(Sourced::exact(m.round() as u32, at("duration")));
            }
        }
    }
    if rx.sessions.is_none()
        && let Some(q) = &sr.quantity_quantity
        && let Some(v) = q.value.filter(|v| *v >= 1.0 && *v < 1000.0 && v.fract() == 0.0)
    {
        rx.sessions = Some(Sourced::exact(v as u32, ctx.at("quantityQuantity.value")));
    }
    if rx.end_of_treatment.is_none()
        && let Some(end) = sr.occurrence_period.as_ref().and_then(|p| p.end.as_deref()).and_then(parse_fhir_date)
    {
        rx.end_of_treatment = Some(Sourced::exact(end, ctx.at("occurrencePeriod.end")));
    }
    let texts =
        sr.patient_instruction.iter().map(|t| (t.clone(), "patientInstruction".to_owned())).chain(
            sr.note.iter().enumerate().filter_map(|(i, n)| n.text.clone().map(|t| (t, format!("note[{i}].text")))),
        );
    for (text, path) in texts {
        let found = phrases::scan(&text);
        let source = ctx.at(&path);
        if rx.frequency.is_none()
            && let Some(hit) = found.per_week
        {
            let f =
                Frequency { per_week: hit.value.max, per_week_min: hit.value.min, weeks: found.weeks.map(|w| w.value) };
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
            rx.minutes_per_session = Some(Sourced::with_confidence(hit.value, source, FREE_TEXT));
        }
    }
}

/// bodySite: SNOMED codes, else the text or display.
pub fn body_sites(sr: &ServiceRequest, ctx: &Ctx<'_>, rx: &mut Prescription) {
    for (i, cc) in sr.body_site.iter().enumerate() {
        let coded: Vec<_> =
            cc.codings_in(SNOMED_SYSTEM).filter_map(|c| c.code.as_deref().and_then(from_snomed)).collect();
        if !coded.is_empty() {
            for site in coded {
                rx.add_body_site(Sourced::exact(site, ctx.at(&format!("bodySite[{i}].coding"))));
            }
            continue;
        }
        let text = cc.text.iter().chain(cc.coding.iter().filter_map(|c| c.display.as_ref()));
        for t in text {
            for site in find_body_sites(t) {
                rx.add_body_site(Sourced::exact(site, ctx.at(&format!("bodySite[{i}].text"))));
            }
        }
    }
}

/// authoredOn is the prescription date.
pub fn dates(sr: &ServiceRequest, ctx: &Ctx<'_>, rx: &mut Prescription) {
    if let Some(d) = sr.authored_on.as_deref().and_then(parse_fhir_date) {
        rx.written_on = Some(Sourced::exact(d, ctx.at("authoredOn")));
    }
}
