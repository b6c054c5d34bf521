//! The resources a prescription arrives in, each holding only the elements rxbridge reads.

mod bundle;
mod clinical;
mod people;

pub use bundle::{Bundle, BundleEntry};
pub use clinical::{Condition, ServiceRequest};
pub use people::{Coverage, CoverageClass, Organization, Patient, Practitioner, PractitionerRole};
