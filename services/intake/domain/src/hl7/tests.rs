//! Unit tests of the HL7 v2 mapper on small messages; fixtures are in `tests/hl7v2.rs`.
#![allow(clippy::unwrap_used, clippy::panic)]

use time::macros::date;

use super::*;

const HEAD: &str = "MSH|^~\\&|EHR|CLIN|RX|MT|20260105||ORM^O01|C1|P|2.3\r";

fn rx(body: &str) -> Prescription {
    from_hl7v2(format!("{HEAD}{body}").as_bytes()).unwrap()
}

#[test]
fn tq_duration_codes_and_repeat_patterns() {
    let p = rx(
        "PID|1||M1||DOE^JANE||19800101|F\rORC|NW|1|||||^BIW^W6^20260106||20260105|||1122334455^DOC^JO^^^^^^NPI\rOBR|1|||97140^MANUAL^C4\rDG1|1||M54.2^Cervicalgia^I10\r",
    );
    let f = p.frequency.unwrap().value;
    assert_eq!((f.per_week, f.weeks), (2, Some(6)));
    assert_eq!(p.sessions.unwrap().value, 12);
    assert_eq!(p.procedures[0].value, "97140");
    assert_eq!(p.body_sites[0].value.to_string(), "neck");
}

#[test]
fn tq1_segment_and_aut_count() {
    let p = from_hl7v2(
        b"MSH|^~\\&|A|B|C|D|20260105||OMG^O19^OMG_O19|C2|P|2.5\rPID|1||M1||DOE^JANE\rORC|NW\rTQ1|1||Q1W|||4^wk|20260106|20260203|||||45^min|4\rOBR|1|||97124^MASSAGE^C4\r",
    )
    .unwrap();
    let f = p.frequency.unwrap().value;
    assert_eq!((f.per_week, f.weeks), (1, Some(4)));
    assert_eq!(p.minutes_per_session.unwrap().value, 45);
    assert_eq!(p.sessions.unwrap().value, 4);
    assert_eq!(p.end_of_treatment.unwrap().value, date!(2026 - 02 - 03));
}

#[test]
fn nte_phrases_and_massage_without_code() {
    let p =
        rx("PID|1||M1||DOE^JANE\rORC|NW\rOBR|1|||^Medical massage\rNTE|1||2x/wk for 3 wks, 60 min, left shoulder\r");
    assert_eq!(p.procedures[0].value, "97124");
    assert!(p.procedures[0].confidence() < 1.0);
    assert_eq!(p.sessions.unwrap().value, 6);
    assert_eq!(p.minutes_per_session.unwrap().value, 60);
    assert_eq!(p.body_sites[0].value.to_string(), "left shoulder");
}

#[test]
fn provenance_names_segment_occurrence_field_and_component() {
    let p = rx("PID|1||M1||DOE^JANE\rORC|NW\rDG1|1||M54.50^LBP^I10\rDG1|2||M62.830^Spasm^I10\r");
    assert_eq!(p.diagnoses[1].provenance.source, Source::Hl7 { path: "DG1(2)-3.1".into() });
    assert_eq!(p.patient.given.unwrap().provenance.source, Source::Hl7 { path: "PID-5.2".into() });
}

#[test]
fn icd9_and_loinc_are_not_taken_as_prescription_codes() {
    let p = rx("PID|1\rORC|NW\rOBR|1|||24725-4^CT Head^LN\rDG1|1||789.09^Abd pain^I9C\r");
    assert!(p.procedures.is_empty());
    assert!(p.diagnoses.is_empty());
}

#[test]
fn unreadable_messages() {
    assert_eq!(from_hl7v2(b""), Err(IntakeError::Empty));
    assert!(
        matches!(from_hl7v2(b"MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\rPID|1\r"), Err(IntakeError::UnsupportedMessage(t)) if t == "ADT^A01")
    );
    assert!(matches!(
        from_hl7v2(b"MSH|^~\\&|A|B|C|D|1||ORM^O01|1|P|2.3\rPID|1\r"),
        Err(IntakeError::MissingSegment { segment: "ORC", .. })
    ));
    assert!(matches!(
        from_hl7v2(b"MSH|^~\\&|A|B|C|D|1|||1|P|2.3\rORC|NW\r"),
        Err(IntakeError::Hl7(e)) if matches!(*e, Hl7Error::Required(_))
    ));
    assert!(
        matches!(from_hl7v2(b"MSH|^^^^|A\rORC|NW\r"), Err(IntakeError::Hl7(e)) if matches!(*e, Hl7Error::BadDelimiters { .. }))
    );
}

#[test]
fn mllp_framed_input() {
    let mut framed = vec![rx_hl7v2::mllp::START];
    framed.extend_from_slice(format!("{HEAD}PID|1||M1||DOE^JANE\rORC|NW\r").as_bytes());
    framed.extend_from_slice(&[rx_hl7v2::mllp::END, rx_hl7v2::mllp::CR]);
    assert_eq!(from_hl7v2(&framed).unwrap().patient.family.unwrap().value, "DOE");
}

#[test]
fn unreadable_messages_map_to_hl7_naks() {
    use rx_hl7v2::{AckCode, ErrorCode};
    let nak = |bytes: &[u8]| from_hl7v2(bytes).unwrap_err().hl7_nak();
    assert_eq!(nak(b"MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\r").0, AckCode::Reject);
    assert_eq!(nak(b"MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\r").1, ErrorCode::UnsupportedMessageType);
    let (code, error, location) = nak(b"MSH|^~\\&|A|B|C|D|1|||1|P|2.3\rORC|NW\r");
    assert_eq!((code, error), (AckCode::Reject, ErrorCode::RequiredFieldMissing));
    assert_eq!(location.map(|l| (l.segment_id, l.field)), Some(("MSH".to_owned(), Some(9))));
    assert_eq!(nak(b"MSH|^~\\&|A|B|C|D|1||ORM^O01|1|P|2.3\rPID|1\r").1, ErrorCode::SegmentSequenceError);
}

#[test]
fn patient_ids_and_home_address_come_from_pid() {
    let p = rx(
        "PID|1||MRN7^^^CLIN^MR~X9^^^^SS||DOE^JANE||19800101|F|||12 Elm St^Apt 3^Springfield^il^62702-1234\rORC|NW\rOBR|1|||97124\r",
    );
    let refs: Vec<&str> = p.patient.references.iter().map(|r| r.value.as_str()).collect();
    assert_eq!(refs, ["CLIN|MRN7"], "an id without an assigning authority names nobody reliably");
    let a = p.patient.address.unwrap().value;
    assert_eq!(
        (a.line1.as_str(), a.line2.as_str(), a.city.as_str(), a.state.as_str(), a.postal_code.as_str()),
        ("12 Elm St", "Apt 3", "Springfield", "IL", "627021234")
    );
    // An address without a ZIP is not one a claim can carry.
    let p = rx("PID|1||M1||DOE^JANE||19800101|F|||12 Elm St^^Springfield^IL\rORC|NW\rOBR|1|||97124\r");
    assert!(p.patient.address.is_none());
}
