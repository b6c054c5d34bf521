//! What to do next about an 835 adjustment, by group code and CARC (plus any RARC remarks).
//!
//! The mapping covers the adjustments a massage/therapy clinic meets most; anything else is
//! [`NextAction::ReviewManually`] rather than a guess. Descriptions come from the CARC and RARC
//! code lists embedded from `data/` (copies of `tests/fixtures/codes/*_tigershark.tsv`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ClaimsError;

const CARC_TSV: &str = include_str!("../data/carc.tsv");
const RARC_TSV: &str = include_str!("../data/rarc.tsv");

/// CAS01: who carries the adjusted amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AdjustmentGroup {
    /// Contractual obligation: the provider writes it off.
    #[serde(rename = "CO")]
    Co,
    /// Patient responsibility.
    #[serde(rename = "PR")]
    Pr,
    /// Other adjustment.
    #[serde(rename = "OA")]
    Oa,
    /// Payer-initiated reduction.
    #[serde(rename = "PI")]
    Pi,
    /// Correction and reversal (4010-era files only).
    #[serde(rename = "CR")]
    Cr,
}

impl AdjustmentGroup {
    /// Parses the two-letter X12 code.
    pub fn parse(code: &str) -> Result<Self, ClaimsError> {
        match code.trim() {
            "CO" => Ok(Self::Co),
            "PR" => Ok(Self::Pr),
            "OA" => Ok(Self::Oa),
            "PI" => Ok(Self::Pi),
            "CR" => Ok(Self::Cr),
            _ => Err(ClaimsError::UnknownAdjustmentGroup),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Co => "CO",
            Self::Pr => "PR",
            Self::Oa => "OA",
            Self::Pi => "PI",
            Self::Cr => "CR",
        }
    }
}

impl FromStr for AdjustmentGroup {
    type Err = ClaimsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for AdjustmentGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The work item an adjustment calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NextAction {
    /// Information was missing or invalid: fix the claim (see the remarks) and resubmit.
    FixAndResubmit,
    /// The payer doubts medical necessity: appeal with the prescription attached.
    AppealWithPrescription,
    /// Authorization was absent or did not apply: obtain it, then resubmit.
    ObtainAuthorization,
    /// Filed too late: nothing to recover, write the amount off.
    WriteOff,
    /// Bundled into another service or modifier problem: review modifiers (59/X{EPSU}, GP) and
    /// bundling before correcting.
    ReviewModifiersAndBundling,
    /// The patient owes it (deductible, co-insurance, co-payment...): bill the patient.
    BillPatient,
    /// An expected contractual reduction (fee schedule, sequestration): post it, no work.
    ContractualAdjustment,
    /// No rule for this combination: a person decides.
    ReviewManually,
}

impl NextAction {
    /// The stable code stored with the work item.
    pub fn code(self) -> &'static str {
        match self {
            Self::FixAndResubmit => "fix_and_resubmit",
            Self::AppealWithPrescription => "appeal_with_prescription",
            Self::ObtainAuthorization => "obtain_authorization",
            Self::WriteOff => "write_off",
            Self::ReviewModifiersAndBundling => "review_modifiers_and_bundling",
            Self::BillPatient => "bill_patient",
            Self::ContractualAdjustment => "contractual_adjustment",
            Self::ReviewManually => "review_manually",
        }
    }
}

/// A remark code (RARC) and its description when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remark {
    pub code: String,
    pub description: Option<&'static str>,
}

/// The advice for one adjustment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DenialAdvice {
    pub group: AdjustmentGroup,
    pub reason: String,
    pub action: NextAction,
    /// The CARC description, when the code is in the embedded list.
    pub reason_description: Option<&'static str>,
    pub remarks: Vec<Remark>,
}

/// The next action for an adjustment `group`-`reason` with its remark codes (LQ*HE, MOA, MIA).
pub fn next_action(group: AdjustmentGroup, reason: &str, remarks: &[&str]) -> DenialAdvice {
    let reason = reason.trim();
    let action = classify(group, reason);
    DenialAdvice {
        group,
        reason: reason.to_string(),
        action,
        reason_description: carc_description(reason),
        remarks: remarks
            .iter()
            .map(|r| Remark { code: r.trim().to_string(), description: rarc_description(r.trim()) })
            .collect(),
    }
}

fn classify(group: AdjustmentGroup, reason: &str) -> NextAction {
    if group == AdjustmentGroup::Pr {
        // deductible (1), co-insurance (2), co-payment (3) and any other amount the payer
        // assigns to the patient
        return NextAction::BillPatient;
    }
    match reason {
        // lacks information; attachment required; missing/invalid claim data
        "16" | "252" => NextAction::FixAndResubmit,
        "50" | "56" => NextAction::AppealWithPrescription,
        "15" | "197" | "198" => NextAction::ObtainAuthorization,
        "29" => NextAction::WriteOff,
        "4" | "97" | "234" => NextAction::ReviewModifiersAndBundling,
        "45" | "253" => NextAction::ContractualAdjustment,
        _ => NextAction::ReviewManually,
    }
}

/// The description of a claim adjustment reason code (CARC).
pub fn carc_description(code: &str) -> Option<&'static str> {
    lookup(CARC_TSV, code)
}

/// The description of a remittance advice remark code (RARC).
pub fn rarc_description(code: &str) -> Option<&'static str> {
    lookup(RARC_TSV, code)
}

/// Scans a `code<TAB>description` table (header line first); the tables are a few hundred rows,
/// read only when an adjustment is explained, so a scan beats building an index at start-up.
fn lookup(table: &'static str, code: &str) -> Option<&'static str> {
    let code = code.trim();
    if code.is_empty() {
        return None;
    }
    table.lines().skip(1).filter_map(|line| line.split_once('\t')).find(|(c, _)| *c == code).map(|(_, d)| d.trim_end())
}

#[cfg(test)]
mod tests {
    use super::AdjustmentGroup::*;
    use super::NextAction::*;
    use super::*;

    #[test]
    fn required_mappings() {
        let cases = [
            (Co, "16", FixAndResubmit),
            (Co, "50", AppealWithPrescription),
            (Co, "197", ObtainAuthorization),
            (Co, "15", ObtainAuthorization),
            (Co, "29", WriteOff),
            (Co, "97", ReviewModifiersAndBundling),
            (Pr, "1", BillPatient),
            (Pr, "2", BillPatient),
            (Pr, "3", BillPatient),
            (Co, "45", ContractualAdjustment),
            (Oa, "18", ReviewManually),
            (Co, "999999", ReviewManually),
        ];
        for (group, reason, action) in cases {
            assert_eq!(next_action(group, reason, &[]).action, action, "{group}-{reason}");
        }
    }

    #[test]
    fn co16_carries_its_remarks_with_descriptions() {
        let advice = next_action(Co, "16", &["N130", "MA130", "ZZ999"]);
        assert_eq!(advice.action, FixAndResubmit);
        assert!(advice.reason_description.is_some_and(|d| d.starts_with("Claim/service lacks information")));
        let codes: Vec<&str> = advice.remarks.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["N130", "MA130", "ZZ999"]);
        assert!(advice.remarks[0].description.is_some_and(|d| d.starts_with("Consult plan benefit")));
        assert!(advice.remarks[1].description.is_some());
        assert_eq!(advice.remarks[2].description, None);
    }

    #[test]
    fn descriptions_come_from_the_embedded_tables() {
        assert_eq!(carc_description("1"), Some("Deductible Amount"));
        assert_eq!(carc_description("197"), Some("Precertification/authorization/notification absent."));
        assert_eq!(carc_description("29"), Some("The time limit for filing has expired."));
        assert_eq!(carc_description("code"), None, "header is not a code");
        assert_eq!(carc_description(""), None);
        assert_eq!(rarc_description("M20"), Some("Missing/incomplete/invalid HCPCS."));
    }

    #[test]
    fn embedded_tables_match_the_fixtures() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../tests/fixtures/codes/");
        let carc = std::fs::read_to_string(format!("{dir}carc_claim_adjustment_reason_codes_tigershark.tsv"));
        let rarc = std::fs::read_to_string(format!("{dir}rarc_remittance_advice_remark_codes_tigershark.tsv"));
        assert_eq!(carc.ok().as_deref(), Some(CARC_TSV));
        assert_eq!(rarc.ok().as_deref(), Some(RARC_TSV));
    }

    #[test]
    fn group_codes_round_trip() -> Result<(), ClaimsError> {
        for g in [Co, Pr, Oa, Pi, Cr] {
            assert_eq!(AdjustmentGroup::parse(g.code())?, g);
            assert_eq!(serde_json::to_value(g).ok(), Some(serde_json::Value::from(g.code())));
        }
        assert_eq!(AdjustmentGroup::parse("XX"), Err(ClaimsError::UnknownAdjustmentGroup));
        Ok(())
    }
}
