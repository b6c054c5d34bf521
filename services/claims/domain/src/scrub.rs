//! The scrubber: business checks a claim must pass before it is sent.
//!
//! Each finding has a stable code and a message that names the line, role or rule, never the
//! patient. A claim with no finding may move from draft to scrubbed. Structural 837P rules the
//! builder enforces anyway (no lines, too many diagnoses) are reported here too, so staff see
//! them with the rest instead of as a build error.

use std::collections::BTreeMap;
use std::fmt;

use rx_codes::icd10::{Icd10Code, Icd10Error};
use rx_codes::npi::{Npi, NpiCheck, NpiError};
use rx_codes::units::{UnitRule, units_for_day};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::claim::{Claim, ServiceLine};

/// What the prescription behind the claim allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrescriptionFacts {
    pub written_on: Date,
    pub treatment_ends_on: Date,
    /// The diagnoses the physician wrote (with or without dot).
    pub diagnoses: Vec<String>,
}

/// Payer settings the scrubber applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayerRules {
    pub unit_rule: UnitRule,
    /// Days after the date of service within which the payer accepts the claim.
    pub timely_filing_days: u32,
    /// Strict check digits in production; shape only for test traffic full of sample NPIs.
    #[serde(default)]
    pub npi_check: NpiCheckLevel,
}

/// Serializable mirror of [`NpiCheck`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NpiCheckLevel {
    #[default]
    Strict,
    ShapeOnly,
}

impl Default for PayerRules {
    fn default() -> Self {
        Self { unit_rule: UnitRule::Cms, timely_filing_days: 365, npi_check: NpiCheckLevel::Strict }
    }
}

/// Everything the scrubber needs besides the claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrubContext {
    /// The day the claim would be sent (for timely filing).
    pub today: Date,
    pub prescription: Option<PrescriptionFacts>,
    pub payer: PayerRules,
}

/// The stable code of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScrubCode {
    NoServiceLines,
    ReferringNpiMissing,
    NpiInvalid,
    DateOutsidePrescription,
    DiagnosisPointerInvalid,
    DiagnosisNotOnPrescription,
    DiagnosisNotBillable,
    ProcedureUnknown,
    MinutesMissing,
    UnitsUnsupported,
    TimelyFilingExceeded,
    PayerClaimNumberMissing,
}

impl ScrubCode {
    pub fn code(self) -> &'static str {
        match self {
            Self::NoServiceLines => "no_service_lines",
            Self::ReferringNpiMissing => "referring_npi_missing",
            Self::NpiInvalid => "npi_invalid",
            Self::DateOutsidePrescription => "date_of_service_outside_prescription",
            Self::DiagnosisPointerInvalid => "diagnosis_pointer_invalid",
            Self::DiagnosisNotOnPrescription => "diagnosis_not_on_prescription",
            Self::DiagnosisNotBillable => "diagnosis_not_billable",
            Self::ProcedureUnknown => "procedure_unknown",
            Self::MinutesMissing => "minutes_missing",
            Self::UnitsUnsupported => "units_unsupported",
            Self::TimelyFilingExceeded => "timely_filing_exceeded",
            Self::PayerClaimNumberMissing => "payer_claim_number_missing",
        }
    }
}

impl fmt::Display for ScrubCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One problem found; `line` is the 1-based service line when the problem is on one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScrubFinding {
    pub code: ScrubCode,
    pub line: Option<usize>,
    pub message: String,
}

impl ScrubFinding {
    fn claim(code: ScrubCode, message: impl Into<String>) -> Self {
        Self { code, line: None, message: message.into() }
    }

    fn line(code: ScrubCode, line: usize, message: impl Into<String>) -> Self {
        Self { code, line: Some(line), message: format!("line {line}: {}", message.into()) }
    }
}

/// Every finding for `claim`, billing provider NPI included; empty means ready to send.
pub fn scrub(claim: &Claim, billing_npi: &str, ctx: &ScrubContext) -> Vec<ScrubFinding> {
    let mut found = Vec::new();
    if claim.lines.is_empty() {
        found.push(ScrubFinding::claim(ScrubCode::NoServiceLines, "the claim has no service line"));
    }
    if claim.frequency.needs_payer_claim_number()
        && claim.payer_claim_control_number.as_deref().is_none_or(|n| n.trim().is_empty())
    {
        found.push(ScrubFinding::claim(
            ScrubCode::PayerClaimNumberMissing,
            "a replacement or void needs the payer claim control number",
        ));
    }
    check_npis(claim, billing_npi, ctx.payer.npi_check, &mut found);
    check_diagnoses(claim, ctx.prescription.as_ref(), &mut found);
    if let Some(rx) = &ctx.prescription {
        for (n, line) in (1..).zip(&claim.lines) {
            let day = line.date_of_service;
            if day < rx.written_on || day > rx.treatment_ends_on {
                found.push(ScrubFinding::line(
                    ScrubCode::DateOutsidePrescription,
                    n,
                    "the date of service is outside the prescription window",
                ));
            }
        }
    }
    check_units(claim, ctx.payer.unit_rule, &mut found);
    if let Some(first) = claim.first_date_of_service() {
        let age = (ctx.today - first).whole_days();
        if age > i64::from(ctx.payer.timely_filing_days) {
            found.push(ScrubFinding::claim(
                ScrubCode::TimelyFilingExceeded,
                format!(
                    "the first date of service is {age} days old, past the payer's {} day filing limit",
                    ctx.payer.timely_filing_days
                ),
            ));
        }
    }
    found
}

fn check_npis(claim: &Claim, billing_npi: &str, level: NpiCheckLevel, found: &mut Vec<ScrubFinding>) {
    let check = match level {
        NpiCheckLevel::Strict => NpiCheck::Strict,
        NpiCheckLevel::ShapeOnly => NpiCheck::ShapeOnly,
    };
    let mut roles: Vec<(&str, &str)> = vec![("billing provider", billing_npi)];
    match &claim.referring {
        Some(r) if !r.npi.trim().is_empty() => roles.push(("referring provider", r.npi.trim())),
        _ => found.push(ScrubFinding::claim(
            ScrubCode::ReferringNpiMissing,
            "the referring (prescribing) provider's npi is missing",
        )),
    }
    if let Some(r) = &claim.rendering {
        roles.push(("rendering provider", r.npi.trim()));
    }
    for (role, npi) in roles {
        if let Err(e) = Npi::parse_with(npi, check) {
            let why = match e {
                NpiError::CheckDigit => "check digit does not match".to_string(),
                other => other.to_string(),
            };
            found.push(ScrubFinding::claim(ScrubCode::NpiInvalid, format!("{role} npi: {why}")));
        }
    }
}

fn check_diagnoses(claim: &Claim, rx: Option<&PrescriptionFacts>, found: &mut Vec<ScrubFinding>) {
    for (n, dx) in (1..).zip(&claim.diagnoses) {
        if let Err(e) = Icd10Code::parse(dx.trim()) {
            let why = match e {
                Icd10Error::NotBillable(_) => "is a header, not a billable code",
                Icd10Error::Unknown { .. } => "is not in the ICD-10-CM code set",
                Icd10Error::Empty | Icd10Error::Malformed => "is not in ICD-10-CM form",
            };
            found.push(ScrubFinding::claim(ScrubCode::DiagnosisNotBillable, format!("diagnosis {n} {why}")));
        }
    }
    let normalized = |codes: &[String]| -> Vec<String> {
        codes.iter().filter_map(|c| rx_codes::icd10::normalize(c.trim()).ok()).collect()
    };
    let rx_dx = rx.map(|r| normalized(&r.diagnoses));
    for (n, line) in (1..).zip(&claim.lines) {
        if line.diagnosis_pointers.is_empty() {
            found.push(ScrubFinding::line(ScrubCode::DiagnosisPointerInvalid, n, "no diagnosis pointer"));
        }
        for p in &line.diagnosis_pointers {
            let pointed = usize::from(*p).checked_sub(1).and_then(|i| claim.diagnoses.get(i));
            let Some(code) = pointed else {
                found.push(ScrubFinding::line(
                    ScrubCode::DiagnosisPointerInvalid,
                    n,
                    format!("pointer {p} names no diagnosis of the claim"),
                ));
                continue;
            };
            let Ok(code) = rx_codes::icd10::normalize(code.trim()) else { continue };
            if let Some(rx_dx) = &rx_dx
                && !rx_dx.contains(&code)
            {
                found.push(ScrubFinding::line(
                    ScrubCode::DiagnosisNotOnPrescription,
                    n,
                    format!("pointer {p} names a diagnosis the prescription does not carry"),
                ));
            }
        }
    }
}

/// Recomputes the units each day's minutes support and flags lines billing more.
fn check_units(claim: &Claim, rule: UnitRule, found: &mut Vec<ScrubFinding>) {
    let mut by_day: BTreeMap<Date, Vec<(usize, &ServiceLine)>> = BTreeMap::new();
    for (n, line) in (1..).zip(&claim.lines) {
        by_day.entry(line.date_of_service).or_default().push((n, line));
    }
    for lines in by_day.values() {
        let mut entries: Vec<(&str, u32)> = Vec::with_capacity(lines.len());
        let mut complete = true;
        for (n, line) in lines {
            let code = line.procedure_code.trim();
            match (rx_codes::cpt::is_timed(code), line.minutes) {
                (None, _) => {
                    complete = false;
                    found.push(ScrubFinding::line(
                        ScrubCode::ProcedureUnknown,
                        *n,
                        format!("procedure code {code} is not a known physical-medicine code"),
                    ));
                }
                (Some(true), None) => {
                    complete = false;
                    found.push(ScrubFinding::line(
                        ScrubCode::MinutesMissing,
                        *n,
                        format!("timed procedure {code} has no minutes recorded"),
                    ));
                }
                (Some(_), minutes) => entries.push((code, minutes.unwrap_or(0))),
            }
        }
        if !complete {
            continue;
        }
        let Ok(day) = units_for_day(&entries, rule) else { continue };
        // billed units per code across the day's lines (a code may appear on two lines)
        let mut billed: BTreeMap<&str, u64> = BTreeMap::new();
        for (_, line) in lines {
            *billed.entry(line.procedure_code.trim()).or_default() += u64::from(line.units);
        }
        for (n, line) in lines {
            let code = line.procedure_code.trim();
            let supported = day.units_for(code);
            let total = billed.get(code).copied().unwrap_or(0);
            if total > supported {
                found.push(ScrubFinding::line(
                    ScrubCode::UnitsUnsupported,
                    *n,
                    format!(
                        "{total} units of {code} billed for the day, the minutes support {supported} under the {rule} rule"
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::{
        Address, Payer, PayerResponsibility, PersonName, ReferringProvider, RenderingProvider, Subscriber,
    };
    use crate::lifecycle::ClaimFrequency;
    use time::macros::date;

    fn name() -> PersonName {
        PersonName { last: "TESTPATIENT".into(), first: "AVERY".into(), middle: None }
    }

    fn line(code: &str, units: u32, minutes: Option<u32>, pointers: &[u8]) -> ServiceLine {
        ServiceLine {
            procedure_code: code.into(),
            modifiers: vec!["GP".into()],
            units,
            minutes,
            place_of_service: None,
            diagnosis_pointers: pointers.to_vec(),
            date_of_service: date!(2026 - 01 - 10),
            line_control_number: None,
        }
    }

    fn claim() -> Claim {
        Claim {
            patient_control_number: "PCN0001".into(),
            frequency: ClaimFrequency::Original,
            payer_claim_control_number: None,
            place_of_service: "11".into(),
            onset_date: None,
            referral_number: None,
            prior_authorization: None,
            diagnoses: vec!["M54.50".into(), "M62.830".into()],
            subscriber: Subscriber {
                name: name(),
                member_id: "MEM0000001".into(),
                address: Some(Address {
                    line1: "1 SAMPLE ROAD".into(),
                    line2: None,
                    city: "SPRINGFIELD".into(),
                    state: "IL".into(),
                    postal_code: "62702".into(),
                }),
                birth_date: Some(date!(1980 - 01 - 01)),
                sex: None,
                group_number: None,
                responsibility: PayerResponsibility::Primary,
                claim_filing_code: "CI".into(),
            },
            patient: None,
            payer: Payer { name: "SYNTHETIC HEALTH PLAN".into(), payer_id: "PAYER01".into() },
            referring: Some(ReferringProvider { name: name(), npi: "1122334455".into() }),
            rendering: Some(RenderingProvider {
                name: name(),
                npi: "1555000110".into(),
                taxonomy: "225700000X".into(),
            }),
            lines: vec![line("97124", 3, Some(38), &[1, 2]), line("97140", 1, Some(15), &[1])],
        }
    }

    fn ctx() -> ScrubContext {
        ScrubContext {
            today: date!(2026 - 01 - 15),
            prescription: Some(PrescriptionFacts {
                written_on: date!(2026 - 01 - 05),
                treatment_ends_on: date!(2026 - 03 - 05),
                diagnoses: vec!["M54.50".into(), "M62.830".into()],
            }),
            payer: PayerRules::default(),
        }
    }

    fn codes(f: &[ScrubFinding]) -> Vec<&'static str> {
        f.iter().map(|f| f.code.code()).collect()
    }

    const BILLING: &str = "1748392010";

    #[test]
    fn clean_claim_has_no_finding() {
        assert_eq!(scrub(&claim(), BILLING, &ctx()), vec![]);
    }

    #[test]
    fn referring_npi_missing_and_bad_check_digits() {
        let mut c = claim();
        c.referring = None;
        if let Some(r) = c.rendering.as_mut() {
            r.npi = "1555000111".into();
        }
        let f = scrub(&c, "1234567890", &ctx());
        assert_eq!(codes(&f), ["referring_npi_missing", "npi_invalid", "npi_invalid"]);
        assert_eq!(f[1].message, "billing provider npi: check digit does not match");
        assert_eq!(f[2].message, "rendering provider npi: check digit does not match");
        // test traffic: shape only
        let mut lenient = ctx();
        lenient.payer.npi_check = NpiCheckLevel::ShapeOnly;
        assert_eq!(codes(&scrub(&c, "1234567890", &lenient)), ["referring_npi_missing"]);
        let f = scrub(&c, "12345", &lenient);
        assert_eq!(f[1].message, "billing provider npi: npi must be exactly 10 digits, found 5 characters");
    }

    #[test]
    fn date_outside_prescription_window() {
        let mut c = claim();
        c.lines[1].date_of_service = date!(2026 - 03 - 06);
        let f = scrub(&c, BILLING, &ctx());
        assert_eq!(codes(&f), ["date_of_service_outside_prescription"]);
        assert_eq!(f[0].line, Some(2));
        assert_eq!(f[0].message, "line 2: the date of service is outside the prescription window");
    }

    #[test]
    fn diagnosis_pointers_and_prescription_diagnoses() {
        let mut c = claim();
        c.diagnoses.push("M54.2".into());
        c.lines[0].diagnosis_pointers = vec![1, 3];
        c.lines[1].diagnosis_pointers = vec![5];
        let f = scrub(&c, BILLING, &ctx());
        assert_eq!(codes(&f), ["diagnosis_not_on_prescription", "diagnosis_pointer_invalid"]);
        assert_eq!(f[0].message, "line 1: pointer 3 names a diagnosis the prescription does not carry");
        assert_eq!(f[1].message, "line 2: pointer 5 names no diagnosis of the claim");
        // without prescription facts only the claim itself is checked
        let mut no_rx = ctx();
        no_rx.prescription = None;
        assert_eq!(codes(&scrub(&c, BILLING, &no_rx)), ["diagnosis_pointer_invalid"]);
    }

    #[test]
    fn non_billable_diagnosis() {
        let mut c = claim();
        c.diagnoses[1] = "M54".into();
        let f = scrub(&c, BILLING, &ctx());
        assert_eq!(codes(&f), ["diagnosis_not_billable", "diagnosis_not_on_prescription"]);
        assert_eq!(f[0].message, "diagnosis 2 is a header, not a billable code");
    }

    #[test]
    fn units_must_be_supported_by_minutes() {
        // 38 + 15 = 53 minutes support 4 units: 97124 x3, 97140 x1
        let mut c = claim();
        c.lines[0].units = 4;
        let f = scrub(&c, BILLING, &ctx());
        assert_eq!(codes(&f), ["units_unsupported"]);
        assert_eq!(
            f[0].message,
            "line 1: 4 units of 97124 billed for the day, the minutes support 3 under the cms rule"
        );
        // the per-code rule is stricter for 7 + 7 minutes
        let mut c = claim();
        c.lines = vec![line("97124", 1, Some(7), &[1]), line("97140", 0, Some(7), &[1])];
        assert!(scrub(&c, BILLING, &ctx()).is_empty());
        let mut per_code = ctx();
        per_code.payer.unit_rule = UnitRule::PerCode;
        assert_eq!(codes(&scrub(&c, BILLING, &per_code)), ["units_unsupported"]);
        // billing fewer units than supported is fine
        let mut c = claim();
        c.lines[0].units = 1;
        assert!(scrub(&c, BILLING, &ctx()).is_empty());
    }

    #[test]
    fn units_of_a_code_on_two_lines_are_added() {
        let mut c = claim();
        c.lines = vec![line("97124", 2, Some(25), &[1]), line("97124", 1, Some(5), &[1])];
        // 30 minutes of 97124 support 2 units, 3 billed
        assert_eq!(codes(&scrub(&c, BILLING, &ctx())), ["units_unsupported", "units_unsupported"]);
    }

    #[test]
    fn missing_minutes_and_unknown_codes() {
        let mut c = claim();
        c.lines[0].minutes = None;
        c.lines[1].procedure_code = "99213".into();
        let f = scrub(&c, BILLING, &ctx());
        assert_eq!(codes(&f), ["minutes_missing", "procedure_unknown"]);
        // untimed codes need no minutes
        let mut c = claim();
        c.lines.push(line("97010", 1, None, &[1]));
        assert!(scrub(&c, BILLING, &ctx()).is_empty());
    }

    #[test]
    fn timely_filing_limit() {
        let mut late = ctx();
        late.today = date!(2026 - 04 - 11); // 91 days after 2026-01-10
        late.payer.timely_filing_days = 90;
        let f = scrub(&claim(), BILLING, &late);
        assert_eq!(codes(&f), ["timely_filing_exceeded"]);
        assert_eq!(f[0].message, "the first date of service is 91 days old, past the payer's 90 day filing limit");
        late.today = date!(2026 - 04 - 10);
        assert!(scrub(&claim(), BILLING, &late).is_empty());
    }

    #[test]
    fn replacement_needs_payer_claim_number_and_lines_are_required() {
        let mut c = claim();
        c.frequency = ClaimFrequency::Replacement;
        c.lines.clear();
        assert_eq!(codes(&scrub(&c, BILLING, &ctx())), ["no_service_lines", "payer_claim_number_missing"]);
    }
}
