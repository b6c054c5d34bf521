//! The canonical prescription every intake channel produces, with the provenance (source
//! position and confidence) of each value, so a reviewer can see where a value came from and
//! how sure the reader was.

use std::fmt;

use serde::Serialize;
use time::Date;

use crate::body::BodySite;

/// Where a value was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// An HL7 v2 position, e.g. `PID-5.1` or `DG1(2)-3.1`.
    Hl7 { path: String },
    /// A JSON path in the FHIR document, e.g. `ServiceRequest.reasonCode[0].coding[0].code`.
    Json { path: String },
    /// A line of the OCR'd fax text (1-based).
    Fax { line: usize },
    /// Computed from other values, e.g. sessions = per week × weeks.
    Derived { from: String },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hl7 { path } => write!(f, "hl7 {path}"),
            Self::Json { path } => write!(f, "json {path}"),
            Self::Fax { line } => write!(f, "fax line {line}"),
            Self::Derived { from } => write!(f, "derived from {from}"),
        }
    }
}

/// Source and confidence of one value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    pub source: Source,
    /// 0..=1; 1.0 for values read from structured fields.
    pub confidence: f32,
}

/// A value with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sourced<T> {
    pub value: T,
    pub provenance: Provenance,
}

impl<T> Sourced<T> {
    /// A value read from a structured field (confidence 1.0).
    pub fn exact(value: T, source: Source) -> Self {
        Self { value, provenance: Provenance { source, confidence: 1.0 } }
    }

    /// A value with an explicit confidence, clamped to 0..=1.
    pub fn with_confidence(value: T, source: Source, confidence: f32) -> Self {
        let confidence = if confidence.is_nan() { 0.0 } else { confidence.clamp(0.0, 1.0) };
        Self { value, provenance: Provenance { source, confidence } }
    }

    /// The confidence.
    pub fn confidence(&self) -> f32 {
        self.provenance.confidence
    }
}

/// The channel a prescription arrived by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Hl7v2,
    Fhir,
    Fax,
}

/// Administrative sex as sent (HL7 table 0001 / FHIR administrative-gender).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Other,
    Unknown,
}

/// The patient and their insurance.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Patient {
    pub family: Option<Sourced<String>>,
    pub given: Option<Sourced<String>>,
    pub birth_date: Option<Sourced<Date>>,
    pub sex: Option<Sourced<Sex>>,
    pub member_id: Option<Sourced<String>>,
    pub payer_name: Option<Sourced<String>>,
    pub payer_id: Option<Sourced<String>>,
    /// Home address: a claim's patient or subscriber loop (837P 2010BA/2010CA) requires it.
    pub address: Option<Sourced<PostalAddress>>,
    /// How the sending system names the patient (`Patient/<id>`, `<system>|<MRN>`): a later
    /// document that only points at the patient is completed from the clinic's registry.
    pub references: Vec<Sourced<String>>,
}

impl Patient {
    /// Adds a reference unless it is blank or already there.
    pub fn add_reference(&mut self, reference: String, source: Source) {
        let reference = reference.trim().to_owned();
        if !reference.is_empty() && !self.references.iter().any(|r| r.value == reference) {
            self.references.push(Sourced::exact(reference, source));
        }
    }
}

/// A US postal address as the claim needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PostalAddress {
    pub line1: String,
    pub line2: String,
    pub city: String,
    /// Two-letter state code, upper case.
    pub state: String,
    /// Five or nine digits, no dash.
    pub postal_code: String,
}

impl PostalAddress {
    /// An address from its parts, normalised (trimmed, state upper case, ZIP digits only);
    /// `None` unless it has a first line, a city, a two-letter state and a 5 or 9 digit ZIP.
    pub fn new(line1: &str, line2: &str, city: &str, state: &str, postal_code: &str) -> Option<Self> {
        let zip: String = postal_code.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
        let state = state.trim().to_ascii_uppercase();
        let complete = !line1.trim().is_empty()
            && !city.trim().is_empty()
            && state.len() == 2
            && state.chars().all(|c| c.is_ascii_alphabetic())
            && matches!(zip.len(), 5 | 9)
            && zip.chars().all(|c| c.is_ascii_digit());
        complete.then(|| Self {
            line1: line1.trim().to_owned(),
            line2: line2.trim().to_owned(),
            city: city.trim().to_owned(),
            state,
            postal_code: zip,
        })
    }
}

/// The prescribing clinician.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Prescriber {
    /// As read (ten characters expected); validation checks the check digit.
    pub npi: Option<Sourced<String>>,
    pub name: Option<Sourced<String>>,
}

/// A diagnosis as read: the code upper case without dot (not yet checked against the code
/// set, so an invalid code can be shown to a reviewer) and any text that came with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    pub code: String,
    pub text: Option<String>,
}

impl Diagnosis {
    /// The code with its dot after the category (`M54.50`).
    pub fn dotted(&self) -> String {
        rx_codes::icd10::dotted(&self.code)
    }
}

/// How often and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Frequency {
    /// Sessions per week; for a range ("1-2x/wk") the upper bound, which is what the
    /// prescription allows.
    pub per_week: u32,
    /// The lower bound of a range, when one was given.
    pub per_week_min: Option<u32>,
    /// Duration of the course in weeks, when known.
    pub weeks: Option<u32>,
}

/// The canonical prescription.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prescription {
    pub source_kind: SourceKind,
    pub patient: Patient,
    pub prescriber: Prescriber,
    pub diagnoses: Vec<Sourced<Diagnosis>>,
    /// CPT/HCPCS codes.
    pub procedures: Vec<Sourced<String>>,
    /// Total number of sessions.
    pub sessions: Option<Sourced<u32>>,
    pub frequency: Option<Sourced<Frequency>>,
    pub minutes_per_session: Option<Sourced<u32>>,
    pub body_sites: Vec<Sourced<BodySite>>,
    pub written_on: Option<Sourced<Date>>,
    /// A stated end of treatment (an end date written on the order).
    pub end_of_treatment: Option<Sourced<Date>>,
}

impl Prescription {
    /// An empty prescription from a channel, to be filled by a mapper.
    pub fn new(source_kind: SourceKind) -> Self {
        Self {
            source_kind,
            patient: Patient::default(),
            prescriber: Prescriber::default(),
            diagnoses: Vec::new(),
            procedures: Vec::new(),
            sessions: None,
            frequency: None,
            minutes_per_session: None,
            body_sites: Vec::new(),
            written_on: None,
            end_of_treatment: None,
        }
    }

    /// Adds a diagnosis unless the same code is already there.
    pub fn add_diagnosis(&mut self, diagnosis: Sourced<Diagnosis>) {
        if !self.diagnoses.iter().any(|d| d.value.code == diagnosis.value.code) {
            self.diagnoses.push(diagnosis);
        }
    }

    /// Adds a procedure code unless already there.
    pub fn add_procedure(&mut self, code: Sourced<String>) {
        if !self.procedures.iter().any(|p| p.value == code.value) {
            self.procedures.push(code);
        }
    }

    /// Adds a body site unless already there.
    pub fn add_body_site(&mut self, site: Sourced<BodySite>) {
        if !self.body_sites.iter().any(|s| s.value == site.value) {
            self.body_sites.push(site);
        }
    }

    /// Whether any field at all was found (an all-empty prescription means unreadable input).
    pub fn is_empty(&self) -> bool {
        let p = &self.patient;
        p.family.is_none()
            && p.given.is_none()
            && p.birth_date.is_none()
            && p.member_id.is_none()
            && self.prescriber.npi.is_none()
            && self.prescriber.name.is_none()
            && self.diagnoses.is_empty()
            && self.procedures.is_empty()
            && self.sessions.is_none()
            && self.frequency.is_none()
            && self.minutes_per_session.is_none()
            && self.body_sites.is_empty()
            && self.written_on.is_none()
    }
}
