//! The FHIR R4 (4.0.1) resources a therapy prescription travels in: serde models holding only
//! the fields rxbridge reads (unknown fields are ignored), a guarded entry point that refuses
//! oversized, over-deep or non-FHIR JSON before deserialising it, reference resolution inside
//! a Bundle or a resource's `contained` list, and an `OperationOutcome` builder for replies.

mod datatypes;
mod error;
mod guard;
mod outcome;
mod resolve;
mod resource;
mod resource_types;
pub mod resources;

pub use datatypes::{
    Address, Annotation, CodeableConcept, Coding, HumanName, Identifier, Meta, Period, Quantity, Reference, Timing,
    TimingRepeat,
};
pub use error::FhirError;
pub use guard::Limits;
pub use outcome::{Issue, IssueSeverity, IssueType, OperationOutcome};
pub use resolve::{Resolved, ResolvedAt, Resolver};
pub use resource::{OtherResource, Resource, parse_resource, parse_resource_with};
pub use resource_types::is_r4_resource_type;
pub use resources::{
    Bundle, BundleEntry, Condition, Coverage, CoverageClass, Organization, Patient, Practitioner, PractitionerRole,
    ServiceRequest,
};

/// Code system of ICD-10-CM diagnoses.
pub const ICD10CM_SYSTEM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
/// Code system of NPI identifiers.
pub const NPI_SYSTEM: &str = "http://hl7.org/fhir/sid/us-npi";
/// Code system of CPT procedure codes.
pub const CPT_SYSTEM: &str = "http://www.ama-assn.org/go/cpt";
/// Code system of SNOMED CT.
pub const SNOMED_SYSTEM: &str = "http://snomed.info/sct";
