//! The rules a prescription must pass to be accepted without a human look: required fields,
//! confidence, valid and billable diagnoses in reimbursable chapters, a valid prescriber NPI,
//! procedures in the configured set, a consistent session plan, and an age limit.
//!
//! Pure: "today" is a parameter.

use std::fmt;

use rx_codes::icd10::{Icd10Code, Icd10Error, Icd10Set, NonBillable};
use rx_codes::npi::{Npi, NpiCheck, NpiError};
use time::{Date, Duration};

use crate::model::Prescription;

/// Diagnoses reimbursed for massage and therapy unless configured otherwise: musculoskeletal
/// (M00–M99), injuries (S00–T88), headache (G43, G44), neuropathies (G56–G58, G60, M79.2) and
/// pain (G89, R52).
pub const DEFAULT_REIMBURSABLE: &[&str] = &["M00-M99", "S00-T88", "G43-G44", "G56-G58", "G60", "M79.2", "G89", "R52"];

/// Tunable rules.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationConfig {
    /// Values read with less confidence than this need review.
    pub min_confidence: f32,
    /// Diagnoses the payer reimburses; the primary diagnosis must be one.
    pub reimbursable: Icd10Set,
    /// Procedure codes the clinic bills.
    pub allowed_procedures: Vec<String>,
    /// Prescriptions older than this (from written date to today) need review.
    pub max_age_days: i64,
    /// NPI checking: strict in production; shape-only for test traffic whose NPIs fail the
    /// check digit.
    pub npi_check: NpiCheck,
}

impl Default for ValidationConfig {
    fn default() -> Self {
        Self {
            min_confidence: 0.6,
            // the default list is a constant of valid ranges, so parsing cannot fail
            reimbursable: Icd10Set::parse(DEFAULT_REIMBURSABLE).unwrap_or_default(),
            allowed_procedures: rx_codes::cpt::PHYSICAL_MEDICINE.iter().map(|p| p.code.to_owned()).collect(),
            max_age_days: 180,
            npi_check: NpiCheck::Strict,
        }
    }
}

/// A field whose absence needs review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    PatientName,
    PatientBirthDate,
    PrescriberNpi,
    Diagnosis,
    Procedure,
    Sessions,
    Frequency,
    BodySite,
    WrittenDate,
}

/// Why a prescription needs a human look. `Display` gives the text shown to reviewers.
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewReason {
    Missing(Missing),
    LowConfidence { field: &'static str, confidence: f32 },
    DiagnosisNotBillable(NonBillable),
    DiagnosisUnknown(String),
    DiagnosisMalformed(String),
    NotReimbursable { code: String, ranges: String },
    Npi(NpiError),
    ProcedureNotAllowed(String),
    NoSessions,
    SessionsInconsistent { sessions: u32, per_week: u32, weeks: u32 },
    TooOld { age_days: i64, max_days: i64 },
    WrittenInFuture,
    EndBeforeStart,
}

impl fmt::Display for ReviewReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(m) => f.write_str(match m {
                Missing::PatientName => "patient name missing",
                Missing::PatientBirthDate => "patient date of birth missing",
                Missing::PrescriberNpi => "prescriber NPI missing",
                Missing::Diagnosis => "diagnosis code missing",
                Missing::Procedure => "procedure code missing",
                Missing::Sessions => "number of sessions missing",
                Missing::Frequency => "treatment frequency missing",
                Missing::BodySite => "body site missing",
                Missing::WrittenDate => "prescription date missing",
            }),
            Self::LowConfidence { field, confidence } => write!(f, "low confidence in {field} ({confidence:.2})"),
            Self::DiagnosisNotBillable(nb) => write!(f, "diagnosis {nb}"),
            Self::DiagnosisUnknown(code) => write!(f, "diagnosis {code} is not a valid ICD-10-CM code"),
            Self::DiagnosisMalformed(code) => write!(f, "diagnosis {code} is not in ICD-10-CM form"),
            Self::NotReimbursable { code, ranges } => {
                write!(f, "primary diagnosis {code} is outside the reimbursable diagnoses ({ranges})")
            }
            Self::Npi(NpiError::CheckDigit) => f.write_str("prescriber NPI fails the check digit"),
            Self::Npi(e) => write!(f, "prescriber NPI is invalid: {e}"),
            Self::ProcedureNotAllowed(code) => write!(f, "procedure {code} is not in the allowed set"),
            Self::NoSessions => f.write_str("number of sessions must be at least 1"),
            Self::SessionsInconsistent { sessions, per_week, weeks } => write!(
                f,
                "{sessions} sessions do not match {per_week} per week for {weeks} weeks ({})",
                per_week.saturating_mul(*weeks)
            ),
            Self::TooOld { age_days, max_days } => {
                write!(f, "prescription is {age_days} days old (limit {max_days})")
            }
            Self::WrittenInFuture => f.write_str("prescription is dated in the future"),
            Self::EndBeforeStart => f.write_str("end of treatment is before the prescription date"),
        }
    }
}

/// Accepted, or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Accepted,
    NeedsReview,
}

/// When treatment may take place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: Date,
    /// The stated end date, else written date + weeks; `None` when neither is known.
    pub end: Option<Date>,
}

/// The verdict on a prescription.
#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    pub status: Status,
    pub reasons: Vec<ReviewReason>,
    pub window: Option<Window>,
}

/// Applies every rule.
pub fn validate(rx: &Prescription, config: &ValidationConfig, today: Date) -> Validation {
    let mut reasons = Vec::new();
    required(rx, &mut reasons);
    confidence(rx, config.min_confidence, &mut reasons);
    diagnoses(rx, config, &mut reasons);
    if let Some(npi) = &rx.prescriber.npi
        && let Err(e) = Npi::parse_with(&npi.value, config.npi_check)
    {
        reasons.push(ReviewReason::Npi(e));
    }
    for p in &rx.procedures {
        if !config.allowed_procedures.iter().any(|a| a.eq_ignore_ascii_case(&p.value)) {
            reasons.push(ReviewReason::ProcedureNotAllowed(p.value.clone()));
        }
    }
    sessions(rx, &mut reasons);
    let window = window(rx);
    dates(rx, config, today, window, &mut reasons);
    let status = if reasons.is_empty() { Status::Accepted } else { Status::NeedsReview };
    Validation { status, reasons, window }
}

fn required(rx: &Prescription, reasons: &mut Vec<ReviewReason>) {
    let mut missing = |absent: bool, what| {
        if absent {
            reasons.push(ReviewReason::Missing(what));
        }
    };
    missing(rx.patient.family.is_none() || rx.patient.given.is_none(), Missing::PatientName);
    missing(rx.patient.birth_date.is_none(), Missing::PatientBirthDate);
    missing(rx.prescriber.npi.is_none(), Missing::PrescriberNpi);
    missing(rx.diagnoses.is_empty(), Missing::Diagnosis);
    missing(rx.procedures.is_empty(), Missing::Procedure);
    missing(rx.sessions.is_none(), Missing::Sessions);
    missing(rx.frequency.is_none(), Missing::Frequency);
    missing(rx.body_sites.is_empty(), Missing::BodySite);
    missing(rx.written_on.is_none(), Missing::WrittenDate);
}

fn confidence(rx: &Prescription, min: f32, reasons: &mut Vec<ReviewReason>) {
    let p = &rx.patient;
    let fields: [(&'static str, Option<f32>); 13] = [
        ("patient family name", p.family.as_ref().map(|v| v.confidence())),
        ("patient given name", p.given.as_ref().map(|v| v.confidence())),
        ("patient date of birth", p.birth_date.as_ref().map(|v| v.confidence())),
        ("member id", p.member_id.as_ref().map(|v| v.confidence())),
        ("prescriber NPI", rx.prescriber.npi.as_ref().map(|v| v.confidence())),
        ("diagnosis", min_of(rx.diagnoses.iter().map(|d| d.confidence()))),
        ("procedure", min_of(rx.procedures.iter().map(|d| d.confidence()))),
        ("number of sessions", rx.sessions.as_ref().map(|v| v.confidence())),
        ("frequency", rx.frequency.as_ref().map(|v| v.confidence())),
        ("minutes per session", rx.minutes_per_session.as_ref().map(|v| v.confidence())),
        ("body site", min_of(rx.body_sites.iter().map(|d| d.confidence()))),
        ("prescription date", rx.written_on.as_ref().map(|v| v.confidence())),
        ("end of treatment", rx.end_of_treatment.as_ref().map(|v| v.confidence())),
    ];
    for (field, conf) in fields {
        if let Some(confidence) = conf.filter(|c| *c < min) {
            reasons.push(ReviewReason::LowConfidence { field, confidence });
        }
    }
}

fn min_of(values: impl Iterator<Item = f32>) -> Option<f32> {
    values.fold(None, |acc, v| Some(acc.map_or(v, |a: f32| a.min(v))))
}

fn diagnoses(rx: &Prescription, config: &ValidationConfig, reasons: &mut Vec<ReviewReason>) {
    let mut primary: Option<Icd10Code> = None;
    for d in &rx.diagnoses {
        match Icd10Code::parse(&d.value.code) {
            Ok(code) => {
                primary.get_or_insert(code);
            }
            Err(Icd10Error::NotBillable(nb)) => reasons.push(ReviewReason::DiagnosisNotBillable(nb)),
            Err(Icd10Error::Unknown { code }) => reasons.push(ReviewReason::DiagnosisUnknown(code)),
            Err(Icd10Error::Malformed | Icd10Error::Empty) => {
                reasons.push(ReviewReason::DiagnosisMalformed(d.value.code.chars().take(12).collect()));
            }
        }
    }
    if let Some(code) = primary
        && !config.reimbursable.contains(&code)
    {
        let ranges = config.reimbursable.ranges().iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        reasons.push(ReviewReason::NotReimbursable { code: code.to_string(), ranges });
    }
}

fn sessions(rx: &Prescription, reasons: &mut Vec<ReviewReason>) {
    let Some(sessions) = rx.sessions.as_ref().map(|s| s.value) else { return };
    if sessions == 0 {
        reasons.push(ReviewReason::NoSessions);
        return;
    }
    if let Some(f) = rx.frequency.as_ref().map(|f| f.value)
        && let Some(weeks) = f.weeks
    {
        let low = f.per_week_min.unwrap_or(f.per_week).saturating_mul(weeks);
        let high = f.per_week.saturating_mul(weeks);
        if sessions < low || sessions > high {
            reasons.push(ReviewReason::SessionsInconsistent { sessions, per_week: f.per_week, weeks });
        }
    }
}

/// The treatment window: written date to the stated end, else to written + weeks.
pub fn window(rx: &Prescription) -> Option<Window> {
    let start = rx.written_on.as_ref()?.value;
    let end = rx.end_of_treatment.as_ref().map(|e| e.value).or_else(|| {
        let weeks = rx.frequency.as_ref()?.value.weeks?;
        start.checked_add(Duration::weeks(i64::from(weeks)))
    });
    Some(Window { start, end })
}

fn dates(
    rx: &Prescription,
    config: &ValidationConfig,
    today: Date,
    window: Option<Window>,
    reasons: &mut Vec<ReviewReason>,
) {
    let Some(written) = rx.written_on.as_ref().map(|w| w.value) else { return };
    let age_days = (today - written).whole_days();
    if age_days < 0 {
        reasons.push(ReviewReason::WrittenInFuture);
    } else if age_days > config.max_age_days {
        reasons.push(ReviewReason::TooOld { age_days, max_days: config.max_age_days });
    }
    if let Some(end) = window.and_then(|w| w.end)
        && end < written
    {
        reasons.push(ReviewReason::EndBeforeStart);
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
