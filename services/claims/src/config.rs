//! The claims service's settings, read once from the environment.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `CLAIMS_FEE_SCHEDULE` | built-in synthetic fees | JSON `{"97124": "40.00", ...}`: charge per unit |
//! | `CLAIMS_CLEARINGHOUSE_URL` | `http://127.0.0.1:8090/core/batch` | the CORE batch endpoint (payer-sim's by default) |
//! | `CLAIMS_POLL_SECONDS` | `30` | how often 999/277CA/835 are fetched and unsent claims retried (0 = never) |
//! | `CLAIMS_PRACTICE` | synthetic clinic | JSON [`Practice`]: submitter, receiver, billing provider, unit rule |
//! | `CLAIMS_COVERAGE_MAX_AGE_DAYS` | `30` | oldest eligibility check the scope rules trust |

use std::collections::BTreeMap;

use claims_domain::claim::{Address, BillingProvider, Receiver, Submitter};
use claims_domain::fees::FeeSchedule;
use claims_domain::scrub::{NpiCheckLevel, PayerRules};
use claims_domain::units::UnitRule;
use rust_decimal::Decimal;
use rx_platform::config::{self, ConfigError};
use serde::Deserialize;

/// A therapist who renders sessions: the 837P names them in loop 2310B.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Therapist {
    pub last: String,
    pub first: String,
    #[serde(default = "default_taxonomy")]
    pub taxonomy: String,
}

fn default_taxonomy() -> String {
    // massage therapist
    "225700000X".to_owned()
}

/// Who bills and where claims go: the parts of the 837P that are the clinic's, not the patient's.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Practice {
    pub submitter: Submitter,
    pub receiver: Receiver,
    pub billing_provider: BillingProvider,
    /// ISA06 / ISA08 (qualifier ZZ).
    pub interchange_sender: String,
    pub interchange_receiver: String,
    /// ISA15: true for test traffic.
    #[serde(default = "yes")]
    pub test_usage: bool,
    #[serde(default)]
    pub unit_rule: UnitRule,
    #[serde(default)]
    pub npi_check: NpiCheckLevel,
    #[serde(default = "default_filing_days")]
    pub timely_filing_days: u32,
    /// Rendering therapists by NPI; an NPI not listed is named `THERAPIST`.
    #[serde(default)]
    pub therapists: BTreeMap<String, Therapist>,
}

fn yes() -> bool {
    true
}

fn default_filing_days() -> u32 {
    365
}

impl Default for Practice {
    fn default() -> Self {
        Self {
            submitter: Submitter {
                name: "RXBRIDGE MASSAGE CLINIC".into(),
                id: "RXBRIDGE01".into(),
                contact_name: "BILLING DESK".into(),
                phone: "5555550100".into(),
            },
            receiver: Receiver { name: "PAYER SIMULATOR".into(), id: "PAYERSIM".into() },
            billing_provider: BillingProvider {
                name: "RXBRIDGE MASSAGE CLINIC".into(),
                npi: "1234567893".into(),
                taxonomy: "225700000X".into(),
                address: Address {
                    line1: "1 SAMPLE STREET".into(),
                    line2: None,
                    city: "SPRINGFIELD".into(),
                    state: "IL".into(),
                    postal_code: "627010001".into(),
                },
                tax_id: "123456789".into(),
            },
            interchange_sender: "RXBRIDGE01".into(),
            interchange_receiver: "PAYERSIM".into(),
            test_usage: true,
            unit_rule: UnitRule::Cms,
            npi_check: NpiCheckLevel::Strict,
            timely_filing_days: 365,
            therapists: BTreeMap::new(),
        }
    }
}

impl Practice {
    pub fn payer_rules(&self) -> PayerRules {
        PayerRules { unit_rule: self.unit_rule, timely_filing_days: self.timely_filing_days, npi_check: self.npi_check }
    }
}

/// Everything the claims service reads from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub fees: FeeSchedule,
    pub clearinghouse_url: String,
    pub poll_seconds: u64,
    pub practice: Practice,
    pub coverage_max_age_days: u32,
    /// How the X12 sent and received is kept (`DOCUMENT_KEYRING`, as intake's documents).
    pub at_rest: rx_seal::AtRest,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            fees: default_fees(),
            clearinghouse_url: DEFAULT_CLEARINGHOUSE_URL.to_owned(),
            poll_seconds: 30,
            practice: Practice::default(),
            coverage_max_age_days: 30,
            at_rest: rx_seal::AtRest::Plaintext,
        }
    }
}

const DEFAULT_CLEARINGHOUSE_URL: &str = "http://127.0.0.1:8090/core/batch";

/// Synthetic charges per unit for the physical-medicine codes a massage clinic bills.
const DEFAULT_FEES: &[(&str, i64)] =
    &[("97124", 4000), ("97140", 4500), ("97110", 4200), ("97112", 4400), ("97530", 4600), ("97010", 1500)];

pub fn default_fees() -> FeeSchedule {
    let mut fees = FeeSchedule::new();
    for (code, cents) in DEFAULT_FEES {
        // constants with two decimals: `set` cannot refuse them
        let _ = fees.set(code, Decimal::new(*cents, 2));
    }
    fees
}

fn invalid(name: &str, reason: impl std::fmt::Display) -> ConfigError {
    ConfigError::Malformed { name: name.to_owned(), reason: reason.to_string() }
}

/// Parses the `CLAIMS_FEE_SCHEDULE` JSON: code → charge per unit as a decimal string.
pub fn parse_fees(json: &str) -> Result<FeeSchedule, String> {
    let map: BTreeMap<String, String> = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let mut fees = FeeSchedule::new();
    for (code, amount) in map {
        let amount: Decimal = amount.trim().parse().map_err(|_| format!("charge for {code} is not a decimal"))?;
        fees.set(&code, amount).map_err(|e| e.to_string())?;
    }
    Ok(fees)
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let fees = match config::var("CLAIMS_FEE_SCHEDULE") {
            Some(json) => parse_fees(&json).map_err(|e| invalid("CLAIMS_FEE_SCHEDULE", e))?,
            None => default_fees(),
        };
        let practice = match config::var("CLAIMS_PRACTICE") {
            Some(json) => serde_json::from_str(&json).map_err(|e| invalid("CLAIMS_PRACTICE", e))?,
            None => Practice::default(),
        };
        let clearinghouse_url = config::string_or("CLAIMS_CLEARINGHOUSE_URL", DEFAULT_CLEARINGHOUSE_URL);
        if !clearinghouse_url.starts_with("http://") {
            return Err(invalid("CLAIMS_CLEARINGHOUSE_URL", "only http:// urls are supported"));
        }
        Ok(Self {
            fees,
            clearinghouse_url,
            poll_seconds: config::parse_or("CLAIMS_POLL_SECONDS", 30u64)?,
            practice,
            coverage_max_age_days: config::parse_or("CLAIMS_COVERAGE_MAX_AGE_DAYS", 30u32)?,
            at_rest: config::documents_at_rest()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_schedule_json_is_parsed_exactly_or_refused() -> Result<(), String> {
        let fees = parse_fees(r#"{"97124": "40.00", "97140": "45.5"}"#)?;
        assert_eq!(fees.per_unit("97124"), Some(Decimal::new(4000, 2)));
        assert_eq!(fees.per_unit("97140"), Some(Decimal::new(455, 1)));
        assert!(parse_fees(r#"{"97124": "forty"}"#).is_err());
        assert!(parse_fees(r#"{"97124": "40.001"}"#).is_err());
        assert!(parse_fees("[1, 2]").is_err());
        Ok(())
    }

    #[test]
    fn the_default_practice_uses_valid_synthetic_numbers() {
        let fees = default_fees();
        assert_eq!(fees.line_charge("97124", 3), Ok(Decimal::new(12000, 2)));
        let practice: Result<Practice, _> = serde_json::from_str(
            r#"{"submitter": {"name": "S", "id": "S1", "contact_name": "B", "phone": "5555550100"},
                "receiver": {"name": "R", "id": "R1"},
                "billing_provider": {"name": "B", "npi": "1234567893", "taxonomy": "225700000X",
                    "address": {"line1": "1 A", "line2": null, "city": "C", "state": "IL", "postal_code": "62701"},
                    "tax_id": "123456789"},
                "interchange_sender": "S1", "interchange_receiver": "R1", "unit_rule": "per-code"}"#,
        );
        assert_eq!(practice.map(|p| p.unit_rule).ok(), Some(UnitRule::PerCode));
    }
}
