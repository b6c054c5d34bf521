//! Unit tests of the FHIR mapper; fixtures are in `tests/fhir.rs`.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;

#[test]
fn lone_service_request_takes_the_patient_name_from_the_display() {
    let p = from_fhir_json(
        br#"{"resourceType":"ServiceRequest","status":"active","intent":"order",
        "subject":{"display":"Dr. Avery Testpatient"},"requester":{"display":"Jo Doc"}}"#,
    )
    .unwrap();
    assert_eq!(p.patient.given.as_ref().unwrap().value, "Avery");
    assert_eq!(p.patient.family.as_ref().unwrap().value, "Testpatient");
    assert!(p.patient.family.unwrap().confidence() < 1.0);
    assert_eq!(p.prescriber.name.unwrap().value, "Jo Doc");
}

#[test]
fn timing_units() {
    let p = from_fhir_json(br#"{"resourceType":"ServiceRequest","occurrenceTiming":{"repeat":{
        "frequency":1,"period":2,"periodUnit":"d","boundsDuration":{"value":3,"code":"mo"},"duration":1,"durationUnit":"h"}}}"#)
    .unwrap();
    let f = p.frequency.unwrap().value;
    assert_eq!((f.per_week, f.weeks), (4, Some(12)));
    assert_eq!(p.minutes_per_session.unwrap().value, 60);
    assert_eq!(p.sessions.unwrap().value, 48);
}

#[test]
fn not_a_prescription() {
    assert!(
        matches!(from_fhir_json(br#"{"resourceType":"Patient"}"#), Err(IntakeError::NotAPrescription(t)) if t == "Patient")
    );
    assert!(matches!(
        from_fhir_json(br#"{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient"}}]}"#),
        Err(IntakeError::NotAPrescription(_))
    ));
    assert!(
        matches!(from_fhir_json(br#"{"foo":1}"#), Err(IntakeError::Fhir(e)) if *e == rx_fhir::FhirError::NotAResource)
    );
    assert_eq!(from_fhir_json(b"  "), Err(IntakeError::Empty));
}
