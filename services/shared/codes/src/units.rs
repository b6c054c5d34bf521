//! Turns the minutes of a day's physical-medicine services into billable units.
//!
//! Timed codes are billed in 15-minute units; untimed codes are one unit each and their minutes
//! are not added to the timed total. Two rules exist and the payer picks one:
//!
//! * [`UnitRule::Cms`], the Medicare "8-minute rule": add the timed minutes of the day, convert
//!   the total (`< 8` → 0, `8..=22` → 1, `23..=37` → 2, then one more unit per 15 minutes), give
//!   each code one unit per full 15 minutes it received, and hand the leftover units to the codes
//!   with the most remaining minutes. Ties go to the code given first (first occurrence in the
//!   input), so the result never depends on hashing or sorting accidents.
//! * [`UnitRule::PerCode`], the "rule of eights" some commercial payers use: each timed code on its
//!   own, `< 8` minutes → 0 units, then the same 15-minute steps.
//!
//! A code outside the physical-medicine set of [`crate::cpt`] is refused rather than guessed as
//! timed: billing minutes of an unknown code could overstate units. The same code given twice in
//! one day is merged (its minutes are added) because units are computed per code and day.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::cpt;

/// Minutes per billing unit of a timed code.
const UNIT_MINUTES: u64 = 15;
/// Fewest minutes that earn a unit (half a unit, rounded up).
const MIN_BILLABLE_MINUTES: u64 = 8;

/// Why a set of minutes could not be turned into units.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitsError {
    /// The code is not in the physical-medicine set, so whether it is timed is unknown.
    #[error("procedure code {code} is not a known physical-medicine code")]
    UnknownCode { code: String },
    /// A `CODE=MINUTES` argument did not have that shape.
    #[error("expected CODE=MINUTES, for example 97124=38")]
    MalformedArgument,
    /// The minutes part was not a whole non-negative number that fits in 32 bits.
    #[error("minutes for procedure code {code} must be a whole number of minutes")]
    InvalidMinutes { code: String },
    /// The unit rule was neither `cms` nor `per-code`.
    #[error("unknown unit rule, expected cms or per-code")]
    UnknownRule,
}

/// Which way a payer turns minutes into units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnitRule {
    /// Medicare: the day's timed minutes are totalled, then units are distributed.
    #[default]
    Cms,
    /// Each timed code needs at least 8 minutes of its own.
    PerCode,
}

impl UnitRule {
    /// Parses `cms` or `per-code` (as typed on the command line or stored in payer settings).
    pub fn parse(s: &str) -> Result<Self, UnitsError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cms" => Ok(Self::Cms),
            "per-code" | "per_code" | "percode" => Ok(Self::PerCode),
            _ => Err(UnitsError::UnknownRule),
        }
    }

    /// The spelling [`UnitRule::parse`] accepts and serde writes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cms => "cms",
            Self::PerCode => "per-code",
        }
    }
}

impl FromStr for UnitRule {
    type Err = UnitsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for UnitRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One procedure code and the minutes spent on it, as typed `97124=38`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeMinutes {
    pub code: String,
    pub minutes: u32,
}

impl CodeMinutes {
    /// Parses a `CODE=MINUTES` argument; the code must be a known physical-medicine code so a
    /// typo is caught where it was typed.
    pub fn parse(arg: &str) -> Result<Self, UnitsError> {
        let (code, minutes) = arg.split_once('=').ok_or(UnitsError::MalformedArgument)?;
        let code = code.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(UnitsError::MalformedArgument);
        }
        if cpt::lookup(&code).is_none() {
            return Err(UnitsError::UnknownCode { code });
        }
        let minutes = minutes.trim().parse::<u32>().map_err(|_| UnitsError::InvalidMinutes { code: code.clone() })?;
        Ok(Self { code, minutes })
    }
}

/// The units of one day: what the claim lines carry.
///
/// `units` holds every code given, including codes that earned 0 units, so a caller can tell
/// "not billable" apart from "not done". `total_units` is the sum of `units` (timed and untimed);
/// `total_minutes` counts timed minutes only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayUnits {
    pub total_minutes: u64,
    pub total_units: u64,
    pub units: BTreeMap<String, u64>,
}

impl DayUnits {
    /// Units billed for one code (0 when the code was not given).
    pub fn units_for(&self, code: &str) -> u64 {
        self.units.get(code).copied().unwrap_or(0)
    }
}

/// Units the CMS table gives for a day's total timed minutes: `< 8` → 0, `8..=22` → 1,
/// `23..=37` → 2, and one more per further 15 minutes.
pub fn cms_units_for_total(total_minutes: u64) -> u64 {
    // Adding 7 rounds half a unit (8 of 15 minutes) up; below 8 minutes this yields 0.
    total_minutes.saturating_add(MIN_BILLABLE_MINUTES - 1) / UNIT_MINUTES
}

/// Units for the minutes of the day under `rule`.
///
/// `entries` pairs a procedure code with its minutes, in the order the services were recorded;
/// that order breaks ties. Fails on a code outside the physical-medicine set.
pub fn units_for_day<S: AsRef<str>>(entries: &[(S, u32)], rule: UnitRule) -> Result<DayUnits, UnitsError> {
    let merged = merge(entries)?;
    let mut units = BTreeMap::new();
    let mut timed: Vec<(&str, u64)> = Vec::new();
    for (code, minutes, is_timed) in &merged {
        if *is_timed {
            timed.push((code.as_str(), *minutes));
        } else {
            units.insert(code.clone(), 1);
        }
    }
    let total_minutes: u64 = timed.iter().map(|(_, m)| m).sum();
    match rule {
        UnitRule::Cms => distribute_cms(&timed, total_minutes, &mut units),
        UnitRule::PerCode => {
            for (code, minutes) in &timed {
                units.insert((*code).to_string(), cms_units_for_total(*minutes));
            }
        }
    }
    let total_units = units.values().sum();
    Ok(DayUnits { total_minutes, total_units, units })
}

/// Convenience over [`units_for_day`] for parsed `CODE=MINUTES` arguments.
pub fn units_for_entries(entries: &[CodeMinutes], rule: UnitRule) -> Result<DayUnits, UnitsError> {
    let pairs: Vec<(&str, u32)> = entries.iter().map(|e| (e.code.as_str(), e.minutes)).collect();
    units_for_day(&pairs, rule)
}

/// Merges repeated codes (first occurrence keeps its place) and looks up whether each is timed.
fn merge<S: AsRef<str>>(entries: &[(S, u32)]) -> Result<Vec<(String, u64, bool)>, UnitsError> {
    let mut merged: Vec<(String, u64, bool)> = Vec::with_capacity(entries.len());
    for (code, minutes) in entries {
        let code = code.as_ref().trim().to_ascii_uppercase();
        let is_timed = cpt::is_timed(&code).ok_or_else(|| UnitsError::UnknownCode { code: code.clone() })?;
        match merged.iter_mut().find(|(c, _, _)| *c == code) {
            Some(entry) => entry.1 += u64::from(*minutes),
            None => merged.push((code, u64::from(*minutes), is_timed)),
        }
    }
    Ok(merged)
}

/// The CMS distribution: full 15-minute blocks first, then leftover units by most remaining
/// minutes, ties to the earlier code.
fn distribute_cms(timed: &[(&str, u64)], total_minutes: u64, units: &mut BTreeMap<String, u64>) {
    let total_units = cms_units_for_total(total_minutes);
    let mut given = 0u64;
    for (code, minutes) in timed {
        let full = minutes / UNIT_MINUTES;
        given += full;
        units.insert((*code).to_string(), full);
    }
    // Leftover units never exceed the number of codes with remaining minutes (each remainder is
    // at most 14, so they add up to less than one unit per code), hence at most one extra each.
    let leftover = total_units.saturating_sub(given);
    let mut by_remainder: Vec<(usize, &str, u64)> = timed
        .iter()
        .enumerate()
        .map(|(i, (code, minutes))| (i, *code, minutes % UNIT_MINUTES))
        .filter(|(_, _, rest)| *rest > 0)
        .collect();
    // Stable order: most remaining minutes first, then the order given.
    by_remainder.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    for (_, code, _) in by_remainder.into_iter().take(usize::try_from(leftover).unwrap_or(usize::MAX)) {
        if let Some(u) = units.get_mut(code) {
            *u += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type Res = Result<(), UnitsError>;

    fn cms(entries: &[(&str, u32)]) -> Result<DayUnits, UnitsError> {
        units_for_day(entries, UnitRule::Cms)
    }

    fn per_code(entries: &[(&str, u32)]) -> Result<DayUnits, UnitsError> {
        units_for_day(entries, UnitRule::PerCode)
    }

    fn fail(e: UnitsError) -> TestCaseError {
        TestCaseError::fail(e.to_string())
    }

    #[test]
    fn table_boundaries() {
        let cases = [
            (0, 0),
            (7, 0),
            (8, 1),
            (22, 1),
            (23, 2),
            (37, 2),
            (38, 3),
            (52, 3),
            (53, 4),
            (67, 4),
            (68, 5),
            (82, 5),
            (83, 6),
            (97, 6),
            (98, 7),
            (112, 7),
            (113, 8),
            (127, 8),
            (128, 9),
        ];
        for (minutes, expected) in cases {
            assert_eq!(cms_units_for_total(minutes), expected, "{minutes} minutes");
        }
    }

    #[test]
    fn massage_25_minutes_alone_is_two_units() -> Res {
        let u = cms(&[("97124", 25)])?;
        assert_eq!(u.total_minutes, 25);
        assert_eq!(u.total_units, 2);
        assert_eq!(u.units_for("97124"), 2);
        Ok(())
    }

    #[test]
    fn twenty_and_twenty_tie_goes_to_the_first_code() -> Res {
        let u = cms(&[("97124", 20), ("97140", 20)])?;
        assert_eq!((u.total_minutes, u.total_units), (40, 3));
        assert_eq!(u.units_for("97124"), 2);
        assert_eq!(u.units_for("97140"), 1);
        // reversing the order reverses the tie-break
        let u = cms(&[("97140", 20), ("97124", 20)])?;
        assert_eq!(u.units_for("97140"), 2);
        assert_eq!(u.units_for("97124"), 1);
        Ok(())
    }

    #[test]
    fn leftover_unit_goes_to_most_remaining_minutes() -> Res {
        let u = cms(&[("97110", 33), ("97124", 7)])?;
        assert_eq!((u.total_minutes, u.total_units), (40, 3));
        assert_eq!(u.units_for("97110"), 2);
        assert_eq!(u.units_for("97124"), 1);
        Ok(())
    }

    #[test]
    fn untimed_hot_pack_is_its_own_unit_and_adds_no_minutes() -> Res {
        let u = cms(&[("97110", 33), ("97124", 7), ("97010", 15)])?;
        assert_eq!(u.total_minutes, 40);
        assert_eq!(u.units_for("97010"), 1);
        assert_eq!(u.total_units, 4);
        // untimed minutes would otherwise push 40 → 55 (4 timed units)
        assert_eq!(u.units_for("97110") + u.units_for("97124"), 3);
        Ok(())
    }

    #[test]
    fn two_short_services_bill_one_unit_of_the_longer() -> Res {
        let u = cms(&[("97124", 7), ("97140", 7)])?;
        assert_eq!((u.total_minutes, u.total_units), (14, 1));
        assert_eq!(u.units_for("97124"), 1);
        assert_eq!(u.units_for("97140"), 0);
        let u = cms(&[("97124", 3), ("97140", 6)])?;
        assert_eq!(u.total_units, 1);
        assert_eq!(u.units_for("97140"), 1);
        assert_eq!(u.units_for("97124"), 0);
        Ok(())
    }

    #[test]
    fn under_eight_minutes_alone_is_not_billable() -> Res {
        let u = cms(&[("97140", 5)])?;
        assert_eq!((u.total_minutes, u.total_units), (5, 0));
        assert_eq!(u.units.get("97140"), Some(&0));
        Ok(())
    }

    #[test]
    fn twenty_four_and_twenty_three() -> Res {
        let u = cms(&[("97112", 24), ("97110", 23)])?;
        assert_eq!((u.total_minutes, u.total_units), (47, 3));
        assert_eq!(u.units_for("97112"), 2);
        assert_eq!(u.units_for("97110"), 1);
        Ok(())
    }

    #[test]
    fn brief_example_38_and_15() -> Res {
        let u = cms(&[("97124", 38), ("97140", 15)])?;
        assert_eq!((u.total_minutes, u.total_units), (53, 4));
        assert_eq!(u.units_for("97124"), 3);
        assert_eq!(u.units_for("97140"), 1);
        Ok(())
    }

    #[test]
    fn per_code_rule_counts_each_code_alone() -> Res {
        // 7 + 7 reaches 8 in total but neither code does on its own
        let u = per_code(&[("97124", 7), ("97140", 7)])?;
        assert_eq!((u.total_minutes, u.total_units), (14, 0));
        let u = per_code(&[("97124", 38), ("97140", 15)])?;
        assert_eq!(u.units_for("97124"), 3);
        assert_eq!(u.units_for("97140"), 1);
        // 20 + 20: one unit each (5 left over each is under 8) → 2, not the CMS 3
        let u = per_code(&[("97124", 20), ("97140", 20)])?;
        assert_eq!(u.total_units, 2);
        let u = per_code(&[("97124", 23), ("97140", 8), ("97010", 0)])?;
        assert_eq!(u.units_for("97124"), 2);
        assert_eq!(u.units_for("97140"), 1);
        assert_eq!(u.units_for("97010"), 1);
        assert_eq!(u.total_units, 4);
        assert_eq!(u.total_minutes, 31);
        Ok(())
    }

    #[test]
    fn zero_minutes_and_empty_day() -> Res {
        let u = cms(&[("97124", 0)])?;
        assert_eq!((u.total_minutes, u.total_units), (0, 0));
        let u = cms(&[])?;
        assert_eq!(u.total_units, 0);
        assert!(u.units.is_empty());
        Ok(())
    }

    #[test]
    fn very_large_minutes_do_not_overflow() -> Res {
        let u = cms(&[("97124", u32::MAX), ("97140", u32::MAX), ("97110", 14)])?;
        let total = 2 * u64::from(u32::MAX) + 14;
        assert_eq!(u.total_minutes, total);
        assert_eq!(u.total_units, cms_units_for_total(total));
        let u = per_code(&[("97124", u32::MAX)])?;
        assert_eq!(u.total_units, (u64::from(u32::MAX) + 7) / 15);
        Ok(())
    }

    #[test]
    fn repeated_code_is_merged() -> Res {
        // 97124 twice for 10 minutes is one 20-minute service: a full block plus 5 left, which
        // beats the 4 minutes of 97140 for the leftover unit
        let u = cms(&[("97124", 10), ("97140", 4), ("97124", 10)])?;
        assert_eq!(u.total_minutes, 24);
        assert_eq!(u.units.len(), 2);
        assert_eq!(u.units_for("97124"), 2);
        assert_eq!(u.units_for("97140"), 0);
        Ok(())
    }

    #[test]
    fn unknown_code_is_refused() -> Res {
        let err = units_for_day(&[("99213", 20)], UnitRule::Cms);
        assert_eq!(err, Err(UnitsError::UnknownCode { code: "99213".into() }));
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("procedure code 99213 is not a known physical-medicine code".into())
        );
        Ok(())
    }

    #[test]
    fn parses_code_minutes_arguments() -> Res {
        assert_eq!(CodeMinutes::parse("97124=38"), Ok(CodeMinutes { code: "97124".into(), minutes: 38 }));
        assert_eq!(CodeMinutes::parse(" g0283 = 10 "), Ok(CodeMinutes { code: "G0283".into(), minutes: 10 }));
        assert_eq!(CodeMinutes::parse("97124"), Err(UnitsError::MalformedArgument));
        assert_eq!(CodeMinutes::parse("=5"), Err(UnitsError::MalformedArgument));
        assert_eq!(CodeMinutes::parse("97124=-3"), Err(UnitsError::InvalidMinutes { code: "97124".into() }));
        assert_eq!(CodeMinutes::parse("97124=1.5"), Err(UnitsError::InvalidMinutes { code: "97124".into() }));
        assert_eq!(CodeMinutes::parse("12345=5"), Err(UnitsError::UnknownCode { code: "12345".into() }));
        let parsed = ["97124=38", "97140=15"].map(CodeMinutes::parse);
        let entries: Vec<CodeMinutes> = parsed.into_iter().flatten().collect();
        assert_eq!(units_for_entries(&entries, UnitRule::Cms).map(|u| u.total_units), Ok(4));
        Ok(())
    }

    #[test]
    fn parses_rules() -> Res {
        assert_eq!(UnitRule::parse("cms"), Ok(UnitRule::Cms));
        assert_eq!("PER-CODE".parse::<UnitRule>(), Ok(UnitRule::PerCode));
        assert_eq!(UnitRule::parse("eights"), Err(UnitsError::UnknownRule));
        assert_eq!(UnitRule::PerCode.to_string(), "per-code");
        Ok(())
    }

    const TIMED: [&str; 6] = ["97032", "97110", "97112", "97124", "97140", "97530"];
    const UNTIMED: [&str; 3] = ["97010", "97014", "G0283"];

    fn day() -> impl Strategy<Value = Vec<(&'static str, u32)>> {
        let timed = (0..TIMED.len(), 0u32..200).prop_map(|(i, m)| (TIMED[i], m));
        prop::collection::vec(timed, 0..6)
    }

    fn distinct(entries: &[(&'static str, u32)]) -> Vec<(&'static str, u32)> {
        let mut out: Vec<(&'static str, u32)> = Vec::new();
        for (c, m) in entries {
            if !out.iter().any(|(o, _)| o == c) {
                out.push((c, *m));
            }
        }
        out
    }

    proptest! {
        #[test]
        fn cms_total_matches_table_and_per_code_sum(entries in day()) {
            let u = cms(&entries).map_err(fail)?;
            let minutes: u64 = entries.iter().map(|(_, m)| u64::from(*m)).sum();
            prop_assert_eq!(u.total_minutes, minutes);
            prop_assert_eq!(u.total_units, cms_units_for_total(minutes));
            prop_assert_eq!(u.units.values().sum::<u64>(), u.total_units);
        }

        #[test]
        fn cms_never_leaves_a_fifteen_minute_code_at_zero(entries in day()) {
            let entries = distinct(&entries);
            let u = cms(&entries).map_err(fail)?;
            for (code, minutes) in &entries {
                let got = u.units_for(code);
                if *minutes >= 15 {
                    prop_assert!(got >= 1, "{} with {} minutes got 0", code, minutes);
                }
                // a code never gets more than one unit above its full 15-minute blocks
                let full = u64::from(*minutes) / 15;
                prop_assert!(got == full || got == full + 1);
            }
        }

        #[test]
        fn untimed_codes_add_one_unit_each(entries in day(), extra in prop::sample::subsequence(UNTIMED.to_vec(), 0..=3), m in 0u32..90) {
            let base = cms(&entries).map_err(fail)?;
            let mut with: Vec<(&str, u32)> = entries.clone();
            with.extend(extra.iter().map(|c| (*c, m)));
            let u = cms(&with).map_err(fail)?;
            prop_assert_eq!(u.total_minutes, base.total_minutes);
            prop_assert_eq!(u.total_units, base.total_units + extra.len() as u64);
        }

        #[test]
        fn per_code_is_each_code_alone(entries in day()) {
            let entries = distinct(&entries);
            let u = per_code(&entries).map_err(fail)?;
            for (code, minutes) in &entries {
                prop_assert_eq!(u.units_for(code), cms_units_for_total(u64::from(*minutes)));
            }
            prop_assert_eq!(u.units.values().sum::<u64>(), u.total_units);
        }

        #[test]
        fn argument_round_trip(i in 0..TIMED.len(), m in any::<u32>()) {
            let arg = format!("{}={}", TIMED[i], m);
            prop_assert_eq!(CodeMinutes::parse(&arg), Ok(CodeMinutes { code: TIMED[i].into(), minutes: m }));
        }
    }
}
