//! The professional claim as the clinic knows it, before it becomes an 837P.
//!
//! Identifiers (NPIs, diagnosis codes, procedure codes) are kept as given, not as parsed
//! newtypes: a claim must be able to hold a wrong value so that the scrubber can report it with
//! a finding instead of the claim never existing. [`crate::scrub`] is the gate before sending.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::lifecycle::ClaimFrequency;

/// A postal address (N3/N4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    /// Two-letter state or province code.
    pub state: String,
    pub postal_code: String,
}

/// A person's name (NM103..NM105).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName {
    pub last: String,
    pub first: String,
    pub middle: Option<String>,
}

/// Administrative sex as DMG03 carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Unknown,
}

impl Sex {
    pub fn code(self) -> &'static str {
        match self {
            Self::Female => "F",
            Self::Male => "M",
            Self::Unknown => "U",
        }
    }
}

/// Who sends the 837P (loop 1000A).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submitter {
    pub name: String,
    /// NM109 with qualifier 46 (electronic transmitter id agreed with the receiver).
    pub id: String,
    pub contact_name: String,
    /// Telephone number, digits only.
    pub phone: String,
}

/// Who receives the 837P: the payer or clearinghouse (loop 1000B).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receiver {
    pub name: String,
    pub id: String,
}

/// The clinic billing the claim (loops 2000A/2010AA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingProvider {
    /// Organization name (NM1*85*2).
    pub name: String,
    pub npi: String,
    /// Provider taxonomy code, e.g. `225700000X` (massage therapist).
    pub taxonomy: String,
    pub address: Address,
    /// Employer identification number (REF*EI), nine digits without dash.
    pub tax_id: String,
}

/// The health plan billed (loop 2010BB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payer {
    pub name: String,
    /// NM109 with qualifier PI.
    pub payer_id: String,
}

/// SBR01: the payer's place in coordination of benefits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayerResponsibility {
    Primary,
    Secondary,
    Tertiary,
}

impl PayerResponsibility {
    pub fn code(self) -> &'static str {
        match self {
            Self::Primary => "P",
            Self::Secondary => "S",
            Self::Tertiary => "T",
        }
    }
}

/// The insured member (loops 2000B/2010BA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscriber {
    pub name: PersonName,
    pub member_id: String,
    /// Required when the subscriber is the patient.
    pub address: Option<Address>,
    /// Required when the subscriber is the patient.
    pub birth_date: Option<Date>,
    pub sex: Option<Sex>,
    pub group_number: Option<String>,
    pub responsibility: PayerResponsibility,
    /// SBR09 claim filing indicator: `CI` commercial, `MB` Medicare B, `MC` Medicaid, `BL`...
    pub claim_filing_code: String,
}

/// The patient when not the subscriber (loops 2000C/2010CA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependentPatient {
    /// PAT01 relationship to the subscriber: `01` spouse, `19` child, `20` employee, `G8` other.
    pub relationship: String,
    pub name: PersonName,
    pub address: Address,
    pub birth_date: Date,
    pub sex: Sex,
}

/// The prescribing physician (loop 2310A, NM1*DN).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferringProvider {
    pub name: PersonName,
    pub npi: String,
}

/// The therapist who treated (loop 2310B, NM1*82), when not the billing provider itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderingProvider {
    pub name: PersonName,
    pub npi: String,
    pub taxonomy: String,
}

/// One procedure on one day (loop 2400).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLine {
    /// CPT/HCPCS code, e.g. `97124`.
    pub procedure_code: String,
    /// Up to four modifiers, e.g. `GP`.
    pub modifiers: Vec<String>,
    /// Billed units (SV104); for timed codes they must be supported by `minutes`.
    pub units: u32,
    /// Minutes actually spent on the procedure that day, used by the scrubber to check units.
    pub minutes: Option<u32>,
    /// SV105, only when it differs from the claim's place of service.
    pub place_of_service: Option<String>,
    /// 1-based positions in [`Claim::diagnoses`], at most four, the first is the primary.
    pub diagnosis_pointers: Vec<u8>,
    pub date_of_service: Date,
    /// REF*6R; comes back in the 835 so the line can be matched.
    pub line_control_number: Option<String>,
}

/// One claim (loop 2300 and its lines).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// CLM01: our identifier, echoed in 277CA TRN*2 and 835 CLP01.
    pub patient_control_number: String,
    pub frequency: ClaimFrequency,
    /// REF*F8: the payer's claim number (277CA REF*1K or 835 CLP07), needed for 7 and 8.
    pub payer_claim_control_number: Option<String>,
    /// CLM05-1, e.g. `11` office.
    pub place_of_service: String,
    /// DTP*431 onset of the current illness.
    pub onset_date: Option<Date>,
    /// REF*9F.
    pub referral_number: Option<String>,
    /// REF*G1.
    pub prior_authorization: Option<String>,
    /// ICD-10-CM codes, principal first, with or without dot (at most 12).
    pub diagnoses: Vec<String>,
    pub subscriber: Subscriber,
    /// `None` when the patient is the subscriber.
    pub patient: Option<DependentPatient>,
    pub payer: Payer,
    pub referring: Option<ReferringProvider>,
    pub rendering: Option<RenderingProvider>,
    pub lines: Vec<ServiceLine>,
}

impl Claim {
    /// The earliest date of service of the claim's lines.
    pub fn first_date_of_service(&self) -> Option<Date> {
        self.lines.iter().map(|l| l.date_of_service).min()
    }

    /// The latest date of service of the claim's lines.
    pub fn last_date_of_service(&self) -> Option<Date> {
        self.lines.iter().map(|l| l.date_of_service).max()
    }
}

/// Claims sent together in one 837P interchange, all from one billing provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimBatch {
    /// BHT03: our reference for the batch (echoed in 277CA TRN*2 at receiver level).
    pub reference: String,
    pub submitter: Submitter,
    pub receiver: Receiver,
    pub billing_provider: BillingProvider,
    pub claims: Vec<Claim>,
}

/// An amount as X12 wants it: no trailing zeros, no exponent (`110`, `55.5`, `0.25`).
pub(crate) fn x12_amount(amount: Decimal) -> String {
    amount.round_dp(2).normalize().to_string()
}

/// A date as `CCYYMMDD`.
pub(crate) fn x12_date(date: Date) -> String {
    format!("{:04}{:02}{:02}", date.year(), u8::from(date.month()), date.day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;
    use time::macros::date;

    #[test]
    fn amounts_have_no_trailing_zeros() -> Result<(), rust_decimal::Error> {
        assert_eq!(x12_amount(Decimal::from_str("110.00")?), "110");
        assert_eq!(x12_amount(Decimal::from_str("55.50")?), "55.5");
        assert_eq!(x12_amount(Decimal::from_str("0.125")?), "0.12");
        assert_eq!(x12_amount(Decimal::ZERO), "0");
        Ok(())
    }

    #[test]
    fn dates_are_ccyymmdd() {
        assert_eq!(x12_date(date!(2026 - 01 - 05)), "20260105");
    }
}
