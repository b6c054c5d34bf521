//! The clinic's fee schedule: what one unit of each procedure is charged at.
//!
//! Line charges are units × charge per unit, exact in `Decimal`; the 837P never carries a
//! charge the schedule did not produce.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::ClaimsError;

/// Charge per unit by procedure code.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FeeSchedule {
    per_unit: BTreeMap<String, Decimal>,
}

impl FeeSchedule {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the charge per unit of a procedure code; refuses negative charges and more than
    /// two decimals (cents), which X12 amounts could not carry exactly.
    pub fn set(&mut self, code: &str, per_unit: Decimal) -> Result<(), ClaimsError> {
        if per_unit.is_sign_negative() || per_unit.round_dp(2) != per_unit {
            return Err(ClaimsError::InvalidFee { code: code.to_string() });
        }
        self.per_unit.insert(code.trim().to_ascii_uppercase(), per_unit);
        Ok(())
    }

    /// Builder-style [`FeeSchedule::set`].
    pub fn with(mut self, code: &str, per_unit: Decimal) -> Result<Self, ClaimsError> {
        self.set(code, per_unit)?;
        Ok(self)
    }

    /// The charge per unit, if the code is priced.
    pub fn per_unit(&self, code: &str) -> Option<Decimal> {
        self.per_unit.get(code).copied()
    }

    /// The line charge: units × charge per unit.
    pub fn line_charge(&self, code: &str, units: u32) -> Result<Decimal, ClaimsError> {
        let per_unit = self.per_unit(code).ok_or_else(|| ClaimsError::NoFee { code: code.to_string() })?;
        per_unit.checked_mul(Decimal::from(units)).ok_or_else(|| ClaimsError::InvalidFee { code: code.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_charge_is_units_times_per_unit() -> Result<(), ClaimsError> {
        let fees = FeeSchedule::new().with("97124", Decimal::new(55, 0))?.with("97140", Decimal::new(8025, 2))?;
        assert_eq!(fees.line_charge("97124", 2)?, Decimal::new(110, 0));
        assert_eq!(fees.line_charge("97140", 3)?, Decimal::new(24075, 2));
        assert_eq!(fees.line_charge("97140", 0)?, Decimal::new(0, 0));
        assert_eq!(fees.line_charge("97110", 1), Err(ClaimsError::NoFee { code: "97110".into() }));
        Ok(())
    }

    #[test]
    fn refuses_negative_and_sub_cent_fees() {
        let mut fees = FeeSchedule::new();
        assert!(fees.set("97124", Decimal::new(-1, 0)).is_err());
        assert!(fees.set("97124", Decimal::new(10005, 3)).is_err());
        assert!(fees.set("97124", Decimal::new(1050, 2)).is_ok());
    }
}
