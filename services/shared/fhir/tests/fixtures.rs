//! Golden tests over the FHIR R4 samples in `tests/fixtures/fhir` and the synthetic order.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

use proptest::prelude::*;
use rx_fhir::{FhirError, Limits, Resolver, Resource, parse_resource, parse_resource_with};

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../tests/fixtures"))
}

fn read(rel: &str) -> Resource {
    let bytes = std::fs::read(root().join(rel)).unwrap();
    parse_resource(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn every_modelled_fixture_deserialises_as_its_type() {
    let mut seen = 0;
    for entry in std::fs::read_dir(root().join("fhir")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let kind = name.trim_start_matches("r4_").split('-').next().unwrap().to_owned();
        let bytes = std::fs::read(&path).unwrap();
        let resource = parse_resource(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(resource.resource_type(), kind, "{name}");
        let modelled = matches!(
            kind.as_str(),
            "ServiceRequest"
                | "Patient"
                | "Practitioner"
                | "PractitionerRole"
                | "Coverage"
                | "Condition"
                | "Organization"
        );
        assert_eq!(!matches!(resource, Resource::Other(_)), modelled, "{name}");
        if modelled {
            seen += 1;
        }
    }
    assert_eq!(seen, 7 + 2 + 1 + 1 + 3 + 1 + 2);
}

#[test]
fn synthetic_prescription_fields() {
    let Resource::ServiceRequest(sr) = read("synthetic/fhir_servicerequest_massage_prescription.json") else {
        panic!("not a ServiceRequest")
    };
    assert_eq!(
        sr.code.as_ref().unwrap().codings_in(rx_fhir::CPT_SYSTEM).next().unwrap().code.as_deref(),
        Some("97124")
    );
    assert_eq!(sr.quantity_quantity.as_ref().unwrap().value, Some(8.0));
    let repeat = sr.occurrence_timing.as_ref().unwrap().repeat.as_ref().unwrap();
    assert_eq!((repeat.frequency, repeat.period, repeat.period_unit.as_deref()), (Some(2), Some(1.0), Some("wk")));
    assert_eq!((repeat.count, repeat.duration, repeat.duration_unit.as_deref()), (Some(8), Some(30.0), Some("min")));
    assert_eq!(repeat.bounds_period.as_ref().unwrap().end.as_deref(), Some("2026-02-03"));
    assert_eq!(sr.authored_on.as_deref(), Some("2026-01-05"));
    let npi = sr.requester.as_ref().unwrap().identifier.as_ref().unwrap();
    assert_eq!((npi.system.as_deref(), npi.value.as_deref()), (Some(rx_fhir::NPI_SYSTEM), Some("1122334455")));
    let dx: Vec<&str> = sr
        .reason_code
        .iter()
        .flat_map(|c| c.codings_in(rx_fhir::ICD10CM_SYSTEM))
        .filter_map(|c| c.code.as_deref())
        .collect();
    assert_eq!(dx, ["M54.50", "M62.830"]);
    assert_eq!(sr.body_site[0].text.as_deref(), Some("Lumbar region"));
    assert_eq!(sr.meta.as_ref().unwrap().tag[0].code.as_deref(), Some("HTEST"));
}

#[test]
fn physiotherapy_contained_condition_resolves() {
    let Resource::ServiceRequest(sr) = read("fhir/r4_ServiceRequest-physiotherapy.json") else { panic!("sr") };
    let resolver = Resolver::new(None, &sr.contained);
    let condition = resolver.resolve(&sr.reason_reference[0]).unwrap().resource.as_condition().unwrap();
    let code = condition.code.as_ref().unwrap().codings_in(rx_fhir::ICD10CM_SYSTEM).next().unwrap();
    assert_eq!(code.code.as_deref(), Some("E84.0"));
    let repeat = sr.occurrence_timing.as_ref().unwrap().repeat.as_ref().unwrap();
    assert_eq!(
        (repeat.duration, repeat.duration_max, repeat.period_unit.as_deref()),
        (Some(15.0), Some(25.0), Some("d"))
    );
}

#[test]
fn coverage_and_patient_fields() {
    let Resource::Coverage(c) = read("fhir/r4_Coverage-7546D.json") else { panic!("coverage") };
    assert_eq!(c.subscriber_id.as_deref(), Some("AB9876"));
    assert_eq!(c.payor[0].reference.as_deref(), Some("Organization/2"));
    assert_eq!(c.class.len(), 3);
    let Resource::Patient(p) = read("fhir/r4_Patient-example.json") else { panic!("patient") };
    let (_, name) = rx_fhir::HumanName::preferred(&p.name).unwrap();
    assert_eq!((name.family.as_deref(), name.given.first().map(String::as_str)), (Some("Chalmers"), Some("Peter")));
    assert_eq!(p.birth_date.as_deref(), Some("1974-12-25"));
}

#[test]
fn depth_limit_is_checked_before_serde() {
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert_eq!(parse_resource(deep.as_bytes()), Err(FhirError::TooDeep { limit: 64 }));
    let limits = Limits { max_bytes: 10, max_depth: 64 };
    assert!(matches!(parse_resource_with(br#"{"resourceType":"Patient"}"#, &limits), Err(FhirError::TooLarge { .. })));
}

proptest! {
    #[test]
    fn parse_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_resource(&bytes);
    }

    #[test]
    fn parse_never_panics_on_json_like_text(s in r#"[{}\[\]":,a-zA-Z0-9 ]{0,200}"#) {
        let text = format!(r#"{{"resourceType":"ServiceRequest",{s}"#);
        let _ = parse_resource(text.as_bytes());
    }

    #[test]
    fn truncated_fixture_is_an_error_not_a_panic(cut in 0usize..2000) {
        let bytes = std::fs::read(root().join("synthetic/fhir_servicerequest_massage_prescription.json")).unwrap();
        let end = bytes.iter().rposition(|b| !b.is_ascii_whitespace()).unwrap();
        let cut = cut.min(end);
        prop_assert!(parse_resource(&bytes[..cut]).is_err());
    }
}
