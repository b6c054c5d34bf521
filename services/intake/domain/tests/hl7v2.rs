//! HL7 v2 fixtures: the synthetic massage order is accepted with every field right; every
//! public ORM/OMG/REF sample is read (needing review, for sound reasons); other message types
//! and broken input give clear errors.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{TODAY, fixtures, read_fixture};
use intake_domain::{
    IntakeError, IntakeReport, Missing, ReviewReason, Source, Status, ValidationConfig, from_hl7v2, validate,
};
use serde_json::json;
use time::macros::date;

const ORM: &str = "synthetic/hl7v2_orm_o01_massage_order_v23.hl7";

#[test]
fn synthetic_massage_order_is_accepted_with_every_field() {
    let rx = from_hl7v2(&read_fixture(ORM)).unwrap();
    let v = validate(&rx, &ValidationConfig::default(), TODAY);
    assert_eq!(v.status, Status::Accepted, "{:?}", v.reasons);
    let report = serde_json::to_value(IntakeReport::new(&rx, &v)).unwrap();
    assert_eq!(
        report,
        json!({
            "status": "accepted",
            "review_reasons": [],
            "patient": {"family": "TESTPATIENT", "given": "AVERY", "birth_date": "1980-01-01", "member_id": "MEM0000001"},
            "prescriber": {"npi": "1122334455", "name": "JORDAN EXAMPLEDOC"},
            "diagnoses": ["M54.50", "M62.830"],
            "procedures": ["97124"],
            "sessions": 8,
            "frequency": {"per_week": 2, "weeks": 4},
            "minutes_per_session": null,
            "body_sites": ["lumbar spine"],
            "written_on": "2026-01-05"
        })
    );
    assert_eq!(rx.patient.payer_name.as_ref().unwrap().value, "SYNTHETIC HEALTH PLAN");
    assert_eq!(rx.patient.payer_id.as_ref().unwrap().value, "PAYER01");
    assert_eq!(rx.end_of_treatment.as_ref().unwrap().value, date!(2026 - 02 - 03));
    assert_eq!(v.window.unwrap().end, Some(date!(2026 - 02 - 03)));
    // provenance: structured fields are certain and point at their HL7 position
    assert_eq!(rx.prescriber.npi.as_ref().unwrap().provenance.source, Source::Hl7 { path: "ORC-12.1".into() });
    assert_eq!(rx.prescriber.npi.as_ref().unwrap().confidence(), 1.0);
    assert_eq!(rx.patient.member_id.as_ref().unwrap().provenance.source, Source::Hl7 { path: "IN1-36".into() });
    assert_eq!(rx.diagnoses[1].provenance.source, Source::Hl7 { path: "DG1(2)-3.1".into() });
    assert_eq!(rx.frequency.as_ref().unwrap().provenance.source, Source::Hl7 { path: "ORC-7.2".into() });
}

fn order_fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures().join("hl7v2"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("ORM") || n.contains("OMG") || n.contains("REF"))
        .collect();
    names.sort();
    names
}

#[test]
fn every_public_order_and_referral_is_read_and_sent_to_review() {
    let names = order_fixtures();
    assert_eq!(names.len(), 9, "{names:?}");
    for name in names {
        let rx = from_hl7v2(&read_fixture(&format!("hl7v2/{name}"))).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!rx.is_empty(), "{name}");
        let v = validate(&rx, &ValidationConfig::default(), TODAY);
        // these are radiology, lab and GI orders from 2014-2022: they must not pass as massage
        // prescriptions, and the reasons must say why
        assert_eq!(v.status, Status::NeedsReview, "{name}");
        assert!(v.reasons.iter().any(|r| matches!(r, ReviewReason::TooOld { .. })), "{name}: {:?}", v.reasons);
        let no_therapy = v.reasons.iter().any(|r| {
            matches!(
                r,
                ReviewReason::Missing(Missing::Procedure | Missing::Frequency) | ReviewReason::NotReimbursable { .. }
            )
        });
        assert!(no_therapy, "{name}: {:?}", v.reasons);
        assert!(rx.patient.family.is_some(), "{name}: every sample has PID-5");
    }
}

#[test]
fn sample_details_are_read_from_the_right_fields() {
    let rx = from_hl7v2(&read_fixture("hl7v2/msfhirconv_ORM-O01-01.hl7")).unwrap();
    assert_eq!(rx.patient.family.as_ref().unwrap().value, "EVERYMAN");
    assert_eq!(rx.patient.birth_date.as_ref().unwrap().value, date!(1988 - 08 - 18));
    assert_eq!(rx.diagnoses[0].value.code, "S069");
    assert_eq!(rx.prescriber.name.as_ref().unwrap().value, "JONES ORDPROVIDER");
    assert!(rx.prescriber.npi.is_none(), "3850 is not an NPI");
    let v = validate(&rx, &ValidationConfig::default(), TODAY);
    assert!(v.reasons.contains(&ReviewReason::Missing(Missing::PrescriberNpi)));
    assert!(
        v.reasons.iter().any(|r| matches!(r, ReviewReason::DiagnosisNotBillable(nb) if nb.header == "S06.9")),
        "{:?}",
        v.reasons
    );

    let rx = from_hl7v2(&read_fixture("hl7v2/msfhirconv_REF-I12-01.hl7")).unwrap();
    assert_eq!(rx.diagnoses[0].value.code, "K633");
    assert_eq!(rx.patient.member_id.as_ref().unwrap().value, "548851236L");
    assert_eq!(rx.prescriber.name.as_ref().unwrap().value, "ROBERT POWELL");
    assert_eq!(rx.written_on.as_ref().unwrap().value, date!(2022 - 01 - 25));
    assert_eq!(rx.sessions.as_ref().unwrap().value, 1, "AUT-8 requested treatments");

    let rx = from_hl7v2(&read_fixture("hl7v2/msfhirconv_OMG-O19-01.hl7")).unwrap();
    assert_eq!(rx.minutes_per_session.as_ref().unwrap().value, 15, "TQ1-13");
    assert_eq!(rx.diagnoses[0].value.code, "E109");
}

#[test]
fn other_message_types_are_refused_by_name() {
    for (name, kind) in [
        ("msfhirconv_ADT-A01-01.hl7", "ADT^A01"),
        ("msfhirconv_SIU-S12-01.hl7", "SIU^S12"),
        ("pythonhl7_oru_r01_hl7_normative_example.hl7", "ORU^R01"),
        ("pythonhl7_batch_fhs_bhs_adt_a04.hl7", "ADT^A04"),
    ] {
        match from_hl7v2(&read_fixture(&format!("hl7v2/{name}"))) {
            Err(IntakeError::UnsupportedMessage(t)) => assert_eq!(t, kind, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn malformed_input_gives_clear_errors() {
    let orm = String::from_utf8(read_fixture(ORM)).unwrap();
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "input is empty"),
        (orm[..20].to_owned(), "hl7 v2: required field missing at MSH-9"),
        (orm[..orm.find("PID").unwrap()].to_owned(), "hl7 v2 ORM message has no ORC segment (truncated?)"),
        (orm.replacen("^~\\&", "^^^^", 1), "hl7 v2: invalid encoding characters in MSH-1/MSH-2"),
        (orm.replacen("MSH|^~\\&|", "MSH#^~\\&#", 1), "hl7 v2: no valid segment id at PID (segment 2)"),
        (format!("{orm}\r{orm}"), "hl7 v2 batch holds 2 messages; send one prescription per message"),
        (orm.replacen("PID|", "pid|", 1), "hl7 v2: no valid segment id at pid (segment 2)"),
        ("{\"resourceType\":\"ServiceRequest\"}".to_owned(), "hl7 v2: hl7 message does not start with an MSH segment"),
    ];
    for (input, message) in cases {
        let err = from_hl7v2(input.as_bytes()).unwrap_err();
        assert!(err.to_string().starts_with(message), "{err} / expected {message}");
        // no error message repeats patient data
        for phi in ["TESTPATIENT", "AVERY", "19800101", "MEM0000001"] {
            assert!(!err.to_string().contains(phi), "{err}");
        }
    }
}
