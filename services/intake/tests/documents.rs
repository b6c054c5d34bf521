//! The reader over the repository's samples and a malformed corpus: every FHIR ServiceRequest
//! and HL7 v2 order/referral sample is read (accepted or needing review, never a crash); the
//! synthetic massage order and FHIR prescription are accepted with the right fields; broken
//! input gives an error naming the request field and why.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use rx_intake::cli::parse_report;
use rx_intake::error::ServiceError;
use rx_intake::reader::{Requested, read_blocking};
use serde_json::json;
use time::macros::date;

fn fixture(rel: &str) -> Vec<u8> {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures")).join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn names(dir: &str, pred: impl Fn(&str) -> bool) -> Vec<String> {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures")).join(dir);
    let mut out: Vec<String> = std::fs::read_dir(path)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| pred(n))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    out.sort();
    out
}

#[test]
fn every_service_request_and_order_sample_is_read() {
    let mut samples = names("fhir", |n| n.contains("ServiceRequest"));
    samples.extend(names("hl7v2", |n| ["ORM", "OMG", "REF"].iter().any(|t| n.contains(t))));
    assert!(samples.len() >= 15, "{samples:?}");
    for s in samples {
        let report = parse_report(&fixture(&s), Requested::Auto, Some(date!(2026 - 02 - 15)))
            .unwrap_or_else(|e| panic!("{s} unreadable: {e}"));
        let status = serde_json::to_value(report.status).unwrap();
        assert!(status == json!("accepted") || status == json!("needs_review"), "{s}: {status}");
    }
}

#[test]
fn standalone_fhir_service_request_needs_review_for_the_missing_birth_date() {
    let file = "synthetic/fhir_servicerequest_massage_prescription.json";
    let report = parse_report(&fixture(file), Requested::Auto, Some(date!(2026 - 02 - 15))).unwrap();
    let v = serde_json::to_value(&report).unwrap();
    assert_eq!(v["status"], "needs_review");
    assert_eq!(v["review_reasons"], json!(["patient date of birth missing"]));
    assert_eq!(v["prescriber"]["npi"], "1122334455");
}

#[test]
fn synthetic_massage_order_and_fhir_prescription_are_accepted() {
    for (file, minutes) in [
        ("synthetic/hl7v2_orm_o01_massage_order_v23.hl7", json!(null)),
        ("../../services/intake/domain/tests/data/fhir_bundle_massage_prescription.json", json!(30)),
    ] {
        let report = parse_report(&fixture(file), Requested::Auto, Some(date!(2026 - 02 - 15))).unwrap();
        let v = serde_json::to_value(&report).unwrap();
        assert_eq!(v["status"], "accepted", "{file}: {v}");
        assert_eq!(v["patient"]["birth_date"], "1980-01-01", "{file}");
        assert_eq!(v["prescriber"]["npi"], "1122334455", "{file}");
        assert_eq!(v["diagnoses"][0], "M54.50", "{file}");
        assert_eq!(v["procedures"], json!(["97124"]), "{file}");
        assert_eq!(v["sessions"], 8, "{file}");
        assert_eq!(v["frequency"]["per_week"], 2, "{file}");
        assert_eq!(v["frequency"]["weeks"], 4, "{file}");
        assert_eq!(v["minutes_per_session"], minutes, "{file}");
        assert_eq!(v["written_on"], "2026-01-05", "{file}");
    }
}

/// The malformed corpus: (name, bytes, requested format, field blamed, words in the reason).
pub fn malformed() -> Vec<(&'static str, Vec<u8>, Requested, &'static str, &'static str)> {
    let orm = fixture("synthetic/hl7v2_orm_o01_massage_order_v23.hl7");
    let truncated = orm.get(..orm.iter().position(|b| *b == b'\r').unwrap() + 1).unwrap().to_vec();
    let mut wrong_encoding = orm.clone();
    // MSH-2 encoding characters replaced by letters
    wrong_encoding.splice(4..8, b"ABCD".iter().copied());
    // a one-strip G4 TIFF whose header claims 100000 x 100000 pixels over four bytes of data
    let mut huge = b"II*\0".to_vec();
    huge.extend_from_slice(&8u32.to_le_bytes());
    let tags: [(u16, u16, u32); 8] = [
        (256, 4, 100_000),
        (257, 4, 100_000),
        (258, 3, 1),
        (259, 3, 4),
        (262, 3, 0),
        (273, 4, 200),
        (278, 4, 100_000),
        (279, 4, 4),
    ];
    huge.extend_from_slice(&8u16.to_le_bytes());
    for (tag, kind, value) in tags {
        huge.extend_from_slice(&tag.to_le_bytes());
        huge.extend_from_slice(&kind.to_le_bytes());
        huge.extend_from_slice(&1u32.to_le_bytes());
        huge.extend_from_slice(&value.to_le_bytes());
    }
    huge.resize(204, 0);
    vec![
        ("empty", Vec::new(), Requested::Auto, "content", "empty"),
        ("truncated hl7", truncated, Requested::Auto, "content", "hl7"),
        ("wrong encoding characters", wrong_encoding, Requested::Hl7v2, "content", "hl7"),
        ("json that is not fhir", br#"{"hello": "world"}"#.to_vec(), Requested::Auto, "content", "FHIR"),
        (
            "fhir that is not a prescription",
            fixture("fhir/r4_Patient-example.json"),
            Requested::Auto,
            "content",
            "not a prescription",
        ),
        ("pdf that is not a pdf", b"%PDF-1.4\nthis is not really a pdf".to_vec(), Requested::Auto, "content", "pdf"),
        ("huge image header", huge, Requested::Auto, "content", "pixels"),
        ("plain text", b"please massage my back".to_vec(), Requested::Auto, "content", "not a recognised"),
        ("hl7 sent as fhir", orm, Requested::Fhir, "format", "hl7v2"),
    ]
}

#[test]
fn malformed_documents_fail_with_the_field_and_the_reason() {
    for (name, bytes, requested, field, words) in malformed() {
        match read_blocking(&bytes, requested, &rx_ocr::Limits::default()) {
            Err(ServiceError::Unreadable(u)) => {
                assert_eq!(u.field, field, "{name}: {}", u.reason);
                assert!(
                    u.reason.to_lowercase().contains(&words.to_lowercase()),
                    "{name}: reason {:?} lacks {words:?}",
                    u.reason
                );
            }
            other => panic!("{name}: expected unreadable, got {other:?}"),
        }
        assert!(parse_report(&bytes, requested, None).is_err(), "{name}: the cli must fail too");
    }
}
