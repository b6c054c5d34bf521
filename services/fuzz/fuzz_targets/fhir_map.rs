//! Any bytes as FHIR R4 JSON: the resource parser and the prescription mapping.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = rx_fhir::parse_resource(data);
    let _ = intake_domain::from_fhir_json(data);
});
