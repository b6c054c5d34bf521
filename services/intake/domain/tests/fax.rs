//! The fixture faxes (their OCR text) yield the fields of their `.expected.json`, and still do
//! with OCR-style noise added.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{NOISES, TODAY, fax_text, noisy_fax, read_fixture};
use intake_domain::{IntakeReport, ValidationConfig, from_fax_text, validate};
use serde_json::Value;

fn expected(stem: &str) -> Value {
    serde_json::from_slice(&read_fixture(&format!("fax/{stem}.expected.json"))).unwrap()
}

fn report(fax: &intake_domain::FaxText) -> Value {
    let rx = from_fax_text(fax).unwrap();
    let v = validate(&rx, &ValidationConfig::default(), TODAY);
    serde_json::to_value(IntakeReport::new(&rx, &v)).unwrap()
}

/// Compares a report with an expected file: every field the file states.
fn check(stem: &str, got: &Value, context: &str) {
    let want = expected(stem);
    assert_eq!(got["status"], want["status"], "{stem} {context}: {got:#}");
    let same = |g: &Value, w: &Value, what: &str| assert_eq!(g, w, "{stem} {context}: {what}\n{got:#}");
    if let Some(w) = want.get("family") {
        same(&got["patient"]["family"], w, "family");
        same(&got["patient"]["given"], &want["given"], "given");
        same(&got["patient"]["birth_date"], &want["birth_date"], "birth_date");
        same(&got["patient"]["member_id"], &want["member_id"], "member_id");
        same(&got["prescriber"]["npi"], &want["npi"], "npi");
        same(&got["diagnoses"], &want["diagnoses"], "diagnoses");
        same(&got["procedures"], &want["procedures"], "procedures");
        same(&got["sessions"], &want["sessions"], "sessions");
        same(&got["frequency"]["per_week"], &want["per_week"], "per_week");
        same(&got["frequency"]["weeks"], &want["weeks"], "weeks");
        same(&got["minutes_per_session"], &want["minutes"], "minutes");
        same(&got["written_on"], &want["written_on"], "written_on");
        let sites: Vec<&str> = got["body_sites"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        for word in want["body_site_words"].as_array().unwrap() {
            let word = word.as_str().unwrap();
            assert!(sites.iter().any(|s| s.contains(word)), "{stem} {context}: body site {word} not in {sites:?}");
        }
    }
    if let Some(reasons) = want.get("reasons") {
        same(&got["review_reasons"], reasons, "review reasons");
    }
}

#[test]
fn pad_lumbar() {
    let got = report(&fax_text("fax_pad_lumbar"));
    check("fax_pad_lumbar", &got, "clean");
    assert_eq!(got["prescriber"]["name"], "Dana Whitfield");
    assert_eq!(got["body_sites"], serde_json::json!(["lumbar spine"]));
}

#[test]
fn letter_neck() {
    let got = report(&fax_text("fax_letter_neck"));
    check("fax_letter_neck", &got, "clean");
    assert_eq!(got["prescriber"]["name"], "Priya Natarajan");
}

#[test]
fn pad_missing_dx_needs_review_for_exactly_the_expected_reasons() {
    let got = report(&fax_text("fax_pad_missing_dx"));
    check("fax_pad_missing_dx", &got, "clean");
    assert_eq!(got["frequency"]["per_week"], 1);
    assert_eq!(got["minutes_per_session"], 30);
    assert_eq!(got["body_sites"], serde_json::json!(["back"]));
}

#[test]
fn noisy_variants_still_yield_the_expected_fields() {
    for stem in ["fax_pad_lumbar", "fax_letter_neck", "fax_pad_missing_dx"] {
        let clean = fax_text(stem);
        for (i, noise) in NOISES.iter().enumerate() {
            let fax = noisy_fax(&clean, *noise);
            let got = report(&fax);
            check(stem, &got, &format!("noise #{i} {noise:?}"));
        }
    }
}

#[test]
fn repairs_lower_the_confidence_but_stay_above_the_threshold() {
    let clean = from_fax_text(&fax_text("fax_pad_lumbar")).unwrap();
    let noisy = from_fax_text(&noisy_fax(&fax_text("fax_pad_lumbar"), NOISES[5])).unwrap();
    let (c, n) = (clean.prescriber.npi.unwrap().confidence(), noisy.prescriber.npi.unwrap().confidence());
    assert!(n < c, "repaired npi {n} should be less certain than clean {c}");
    assert!(n >= ValidationConfig::default().min_confidence);
}

#[test]
fn every_value_says_which_fax_line_it_came_from() {
    let rx = from_fax_text(&fax_text("fax_pad_lumbar")).unwrap();
    assert_eq!(rx.patient.birth_date.unwrap().provenance.source, intake_domain::Source::Fax { line: 6 });
    assert_eq!(rx.diagnoses[0].provenance.source, intake_domain::Source::Fax { line: 8 });
    assert_eq!(rx.prescriber.npi.unwrap().provenance.source, intake_domain::Source::Fax { line: 15 });
}
