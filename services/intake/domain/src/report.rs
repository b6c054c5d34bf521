//! The JSON document `rxbridge intake parse` prints: status, review reasons and the fields a
//! reviewer checks, in a fixed shape (missing values are `null`, lists empty).

use serde::Serialize;

use crate::dates::iso;
use crate::model::Prescription;
use crate::validate::{Status, Validation};

/// The report for one prescription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntakeReport {
    pub status: ReportStatus,
    pub review_reasons: Vec<String>,
    pub patient: ReportPatient,
    pub prescriber: ReportPrescriber,
    /// ICD-10-CM codes with their dot.
    pub diagnoses: Vec<String>,
    pub procedures: Vec<String>,
    pub sessions: Option<u32>,
    pub frequency: Option<ReportFrequency>,
    pub minutes_per_session: Option<u32>,
    pub body_sites: Vec<String>,
    /// `YYYY-MM-DD`.
    pub written_on: Option<String>,
}

/// `accepted` or `needs_review`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Accepted,
    NeedsReview,
}

/// Patient fields of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportPatient {
    pub family: Option<String>,
    pub given: Option<String>,
    pub birth_date: Option<String>,
    pub member_id: Option<String>,
}

/// Prescriber fields of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportPrescriber {
    pub npi: Option<String>,
    pub name: Option<String>,
}

/// Frequency of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReportFrequency {
    pub per_week: u32,
    pub weeks: Option<u32>,
}

impl IntakeReport {
    /// Builds the report of a prescription and its validation.
    pub fn new(rx: &Prescription, validation: &Validation) -> Self {
        let p = &rx.patient;
        Self {
            status: match validation.status {
                Status::Accepted => ReportStatus::Accepted,
                Status::NeedsReview => ReportStatus::NeedsReview,
            },
            review_reasons: validation.reasons.iter().map(ToString::to_string).collect(),
            patient: ReportPatient {
                family: p.family.as_ref().map(|v| v.value.clone()),
                given: p.given.as_ref().map(|v| v.value.clone()),
                birth_date: p.birth_date.as_ref().map(|v| iso(v.value)),
                member_id: p.member_id.as_ref().map(|v| v.value.clone()),
            },
            prescriber: ReportPrescriber {
                npi: rx.prescriber.npi.as_ref().map(|v| v.value.clone()),
                name: rx.prescriber.name.as_ref().map(|v| v.value.clone()),
            },
            diagnoses: rx.diagnoses.iter().map(|d| d.value.dotted()).collect(),
            procedures: rx.procedures.iter().map(|p| p.value.clone()).collect(),
            sessions: rx.sessions.as_ref().map(|s| s.value),
            frequency: rx
                .frequency
                .as_ref()
                .map(|f| ReportFrequency { per_week: f.value.per_week, weeks: f.value.weeks }),
            minutes_per_session: rx.minutes_per_session.as_ref().map(|m| m.value),
            body_sites: rx.body_sites.iter().map(|b| b.value.to_string()).collect(),
            written_on: rx.written_on.as_ref().map(|w| iso(w.value)),
        }
    }

    /// The report as pretty-printed JSON.
    pub fn to_json_pretty(&self) -> String {
        // serialising plain strings, numbers and options cannot fail
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
