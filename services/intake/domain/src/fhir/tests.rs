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

#[test]
fn the_subject_reference_identifiers_and_home_address_are_kept() {
    let p = from_fhir_json(
        br#"{"resourceType":"Bundle","type":"collection","entry":[
          {"fullUrl":"http://ehr.example/fhir/ServiceRequest/1","resource":{"resourceType":"ServiceRequest",
            "status":"active","intent":"order","subject":{"reference":"Patient/p7"}}},
          {"fullUrl":"http://ehr.example/fhir/Patient/p7","resource":{"resourceType":"Patient","id":"p7",
            "identifier":[{"system":"urn:example:mrn","value":"M-7"},{"value":"no-system"}],
            "name":[{"family":"Doe","given":["Jane"]}],"birthDate":"1980-01-01",
            "address":[{"use":"old","line":["1 Old Rd"],"city":"Oldtown","state":"IL","postalCode":"60000"},
                       {"use":"home","line":["12 Elm St"],"city":"Springfield","state":"IL","postalCode":"62702"}]}}]}"#,
    )
    .unwrap();
    let refs: Vec<&str> = p.patient.references.iter().map(|r| r.value.as_str()).collect();
    assert_eq!(refs, ["Patient/p7", "urn:example:mrn|M-7"]);
    let a = p.patient.address.unwrap();
    assert_eq!((a.value.line1.as_str(), a.value.city.as_str()), ("12 Elm St", "Springfield"));
    assert!(a.provenance.source.to_string().ends_with("address[1]"), "{}", a.provenance.source);
}
