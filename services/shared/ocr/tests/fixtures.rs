//! OCR quality on the fax fixtures: every key token of each `.expected.json` must come out of
//! the pipeline (tolerating OCR look-alikes), text layers must come out exact, and the OCR text
//! of each fixture is kept in `tests/data/<file>.ocr.txt` for the intake extractor.

#![allow(clippy::panic, clippy::print_stdout)]

mod common;

use common::{has, has_icd, missing_tokens, read_fixture};
use rx_ocr::{Document, Limits, TextSource, read_document};

fn expected(sub: &str, stem: &str) -> serde_json::Value {
    let raw = read_fixture(sub, &format!("{stem}.expected.json"));
    serde_json::from_slice(&raw).unwrap_or(serde_json::Value::Null)
}

fn read(sub: &str, file: &str) -> Document {
    match read_document(&read_fixture(sub, file), &Limits::default()) {
        Ok(doc) => doc,
        Err(e) => panic!("{sub}/{file}: {e}"),
    }
}

/// Reads one fixture, checks its tokens, prints its text, and asserts the committed
/// `.ocr.txt` is what the pipeline produces today (regenerate with the dump_fixtures example).
fn check(sub: &str, stem: &str, file: &str) -> Document {
    let doc = read(sub, file);
    let text = doc.text();
    println!("===== {sub}/{file}\n{text}");
    let missing = missing_tokens(&text, &expected(sub, stem));
    assert!(missing.is_empty(), "{sub}/{file}: missing {missing:?}");
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/").to_owned() + file + ".ocr.txt")
            .unwrap_or_default();
    let today: String = doc.pages.iter().map(|p| format!("{}\n", p.text)).collect::<Vec<_>>().join("\u{c}");
    assert_eq!(committed, today, "{file}.ocr.txt is stale: run cargo run -p rx-ocr --example dump_fixtures");
    doc
}

fn assert_ocr_page(doc: &Document) {
    for page in &doc.pages {
        assert_eq!(page.source, TextSource::Ocr);
        assert!(page.mean_confidence > 0.8, "confidence {}", page.mean_confidence);
        assert!(!page.lines.is_empty());
        assert!(page.lines.iter().all(|l| (0.0..=1.0).contains(&l.confidence)));
        let png = page.image_png.as_deref().unwrap_or_default();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "normalised page is a png");
    }
}

#[test]
fn pad_lumbar_tiff() {
    let doc = check("fax", "fax_pad_lumbar", "fax_pad_lumbar.tiff");
    assert_ocr_page(&doc);
}

#[test]
fn pad_lumbar_pdf_image_only() {
    let doc = check("fax", "fax_pad_lumbar", "fax_pad_lumbar.pdf");
    assert_ocr_page(&doc);
}

#[test]
fn letter_neck_png() {
    let doc = check("fax", "fax_letter_neck", "fax_letter_neck.png");
    assert_ocr_page(&doc);
}

#[test]
fn letter_neck_pdf() {
    let doc = check("fax", "fax_letter_neck", "fax_letter_neck.pdf");
    assert_ocr_page(&doc);
}

#[test]
fn pad_missing_dx_has_no_diagnosis_code() {
    let doc = check("fax", "fax_pad_missing_dx", "fax_pad_missing_dx.tiff");
    assert_ocr_page(&doc);
    let text = doc.text();
    assert!(has(&text, "Diagnosis (ICD-10): back pain"));
    // no letter-digit-digit-dot pattern anywhere: the extractor must see the code is missing
    let chars: Vec<char> = text.chars().collect();
    let icd_like = chars
        .windows(4)
        .any(|w| w[0].is_ascii_uppercase() && w[1].is_ascii_digit() && w[2].is_ascii_digit() && w[3] == '.');
    assert!(!icd_like);
}

#[test]
fn letter_shoulder_text_layer_is_exact() {
    let doc = check("fax-extra", "fax_letter_shoulder", "fax_letter_shoulder.pdf");
    let page = &doc.pages[0];
    assert_eq!(page.source, TextSource::TextLayer);
    assert_eq!(page.mean_confidence, 1.0);
    assert!(page.image_png.is_none());
    assert_eq!(page.ocr_millis, 0);
    assert!(page.text.contains("Re: Tobias Wrenfield, date of birth 06/21/1982"));
    assert!(page.text.contains("(ICD-10-CM M25.511)"));
    assert!(page.lines.iter().any(|l| l.text == "NPI 1561839204"));
}

#[test]
fn letter_shoulder_png() {
    let doc = check("fax-extra", "fax_letter_shoulder", "fax_letter_shoulder.png");
    assert_ocr_page(&doc);
}

#[test]
fn form_ankle_tiff_with_boxes_and_cells() {
    let doc = check("fax-extra", "fax_form_ankle", "fax_form_ankle.tiff");
    assert_ocr_page(&doc);
    let text = doc.text();
    assert!(has(&text, "Manual therapy 97140"));
    assert!(has(&text, "Sessions Per week Weeks Minutes"));
}

#[test]
fn standard_resolution_noisy_skewed_g3() {
    let doc = check("fax-extra", "fax_std_headache_noisy", "fax_std_headache_noisy.tiff");
    assert_ocr_page(&doc);
    assert!(has_icd(&doc.text(), "G44.209"));
}

#[test]
fn two_page_fax_keeps_cover_sheet_first() {
    let doc = check("fax-extra", "fax_twopage_lumbar", "fax_twopage_lumbar.tiff");
    assert_ocr_page(&doc);
    assert_eq!(doc.pages.len(), 2);
    assert!(has(&doc.pages[0].text, "CONFIDENTIALITY NOTICE"));
    assert!(!has(&doc.pages[0].text, "SHP907263185"));
    assert!(has(&doc.pages[1].text, "SHP907263185"));
}
