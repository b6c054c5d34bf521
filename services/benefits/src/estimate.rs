//! Prices sessions for the API and the events: the fee schedule (configured fees, overridden
//! by the clinic's table) and the prescription's procedures turned into the domain's input.

use std::collections::BTreeMap;

use benefits_domain::{Estimate, EstimateInput, FeeSchedule, NetworkBenefits, Procedure};
use rust_decimal::Decimal;

/// The schedule from configured fees with the clinic's own fees on top.
pub fn fee_schedule(configured: &BTreeMap<String, Decimal>, clinic: &BTreeMap<String, Decimal>) -> FeeSchedule {
    let mut fees = FeeSchedule::new();
    for (code, fee) in configured.iter().chain(clinic.iter()) {
        // Both sources refuse negative fees before they get here.
        let _ = fees.insert(code.clone(), *fee);
    }
    fees
}

/// A prescription's session: its minutes shared evenly across its procedures (the first ones
/// take the remainder), as the prescription states only the session's length.
pub fn session_procedures(codes: &[String], minutes_per_session: u32) -> Vec<Procedure> {
    let n = u32::try_from(codes.len()).unwrap_or(u32::MAX).max(1);
    let (each, rest) = (minutes_per_session / n, minutes_per_session % n);
    codes
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let extra = u32::from(u32::try_from(i).unwrap_or(u32::MAX) < rest);
            Procedure { code: code.clone(), minutes: each + extra }
        })
        .collect()
}

pub fn price(
    fees: &FeeSchedule,
    procedures: &[Procedure],
    sessions: u32,
    benefits: &NetworkBenefits,
) -> Result<Estimate, benefits_domain::Error> {
    benefits_domain::estimate(&EstimateInput { fees, procedures, sessions, benefits })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_are_shared_across_procedures() {
        let codes = ["97124".to_owned(), "97140".to_owned()];
        let p = session_procedures(&codes, 45);
        assert_eq!(p.iter().map(|p| p.minutes).collect::<Vec<_>>(), vec![23, 22]);
        assert_eq!(session_procedures(&codes[..1], 60)[0].minutes, 60);
        assert!(session_procedures(&[], 60).is_empty());
    }

    #[test]
    fn clinic_fees_override_configured_ones() {
        let configured = BTreeMap::from([("97124".to_owned(), Decimal::new(40, 0))]);
        let clinic = BTreeMap::from([("97124".to_owned(), Decimal::new(50, 0))]);
        assert_eq!(fee_schedule(&configured, &clinic).fee("97124"), Some(Decimal::new(50, 0)));
        assert_eq!(fee_schedule(&configured, &BTreeMap::new()).fee("97124"), Some(Decimal::new(40, 0)));
    }
}
