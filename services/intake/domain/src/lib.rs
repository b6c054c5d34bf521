//! Prescriptions: the canonical model, mapping from HL7 v2, FHIR and fax text, and the rules
//! that accept a prescription or send it to a human.
//!
//! Pure: no I/O, no clock (validation takes `today`). The entry points take bytes or text and
//! return a [`Prescription`] or an [`IntakeError`] for unreadable input; [`validate`] turns a
//! prescription into `Accepted` or `NeedsReview` with reasons; [`IntakeReport`] is the JSON the
//! offline tool prints.
//!
//! Fuzz entry points: [`from_hl7v2`], [`from_fhir_json`], [`from_fax_str`].

mod body;
mod complete;
mod dates;
mod detect;
mod error;
mod fax;
mod fhir;
mod hl7;
mod model;
mod ocr_repair;
mod phrases;
mod report;
mod validate;

pub use body::{BodySite, Laterality, Region, find_body_sites};
pub use dates::{find_date, find_dates, parse_fhir_date, parse_hl7_ts};
pub use detect::{FaxImage, Format, format_detect};
pub use error::IntakeError;
pub use fax::{FaxLine, FaxText};
pub use fhir::map_service_request;
pub use hl7::map_message;
pub use model::{
    Diagnosis, Frequency, Patient, PostalAddress, Prescriber, Prescription, Provenance, Sex, Source, SourceKind,
    Sourced,
};
pub use phrases::{Phrases, scan as scan_phrases};
pub use report::{IntakeReport, ReportFrequency, ReportPatient, ReportPrescriber, ReportStatus};
pub use validate::{
    DEFAULT_REIMBURSABLE, Missing, ReviewReason, Status, Validation, ValidationConfig, Window, validate, window,
};

/// Reads an HL7 v2 order or referral (ORM^O01, OMG^O19, REF^I12..I15); the bytes may be
/// MLLP-framed, start with a byte-order mark, or be a batch holding exactly one message.
pub fn from_hl7v2(bytes: &[u8]) -> Result<Prescription, IntakeError> {
    hl7::from_hl7v2(bytes)
}

/// Reads a FHIR R4 ServiceRequest, or a Bundle holding one with its Patient, Practitioner,
/// Coverage and Conditions.
pub fn from_fhir_json(bytes: &[u8]) -> Result<Prescription, IntakeError> {
    fhir::from_fhir_json(bytes)
}

/// Reads the OCR'd text of a faxed prescription.
pub fn from_fax_text(fax: &FaxText) -> Result<Prescription, IntakeError> {
    fax::extract(fax)
}

/// Reads plain fax text whose lines carry no OCR confidence (treated as 0.9).
pub fn from_fax_str(text: &str) -> Result<Prescription, IntakeError> {
    fax::extract(&FaxText::from_plain(text, 0.9))
}

/// Reads a structured document (HL7 v2 or FHIR) of the given or detected format. Fax images
/// need OCR first (see `rx-ocr`), so they are refused here.
pub fn from_structured(bytes: &[u8], format: Format) -> Result<Prescription, IntakeError> {
    if bytes.is_empty() {
        return Err(IntakeError::Empty);
    }
    match format {
        Format::Hl7v2 => from_hl7v2(bytes),
        Format::Fhir => from_fhir_json(bytes),
        Format::Fax(_) | Format::Unknown => Err(IntakeError::UnknownFormat),
    }
}
