//! Estimates what a prescription costs the patient and the plan, session by session, from a
//! fee schedule and the in-network benefits.
//!
//! Per covered session, in order: the remaining deductible is drained first (sessions drain
//! it in turn), then co-insurance applies to the rest of the charge, or, when the payer gave no
//! co-insurance, the per-visit copay (never more than what is left); the patient's share is
//! capped by the remaining out-of-pocket maximum when known. Sessions beyond the visits
//! remaining, or for a service the plan does not cover, are paid in full by the patient.
//!
//! Rounding: all arithmetic is exact (`Decimal`); only each session's patient share is
//! rounded, to cents, half away from zero; the plan pays the charge minus that share, so the
//! two always add up to the charge. Charges are the fee times units, rounded to cents.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::Error;
use crate::select::NetworkBenefits;
use crate::units::units_for_minutes;

/// Charge per unit for each procedure code.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FeeSchedule {
    fees: BTreeMap<String, Decimal>,
}

impl FeeSchedule {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the charge per unit of `code`; refuses a negative charge.
    pub fn insert(&mut self, code: impl Into<String>, per_unit: Decimal) -> Result<(), Error> {
        if per_unit.is_sign_negative() {
            return Err(Error::InvalidInput { field: "fee", reason: "must not be negative" });
        }
        self.fees.insert(code.into(), per_unit);
        Ok(())
    }

    pub fn fee(&self, code: &str) -> Option<Decimal> {
        self.fees.get(code).copied()
    }
}

/// One procedure of a session and how long it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Procedure {
    pub code: String,
    pub minutes: u32,
}

/// What an estimate needs.
#[derive(Debug, Clone, Copy)]
pub struct EstimateInput<'a> {
    pub fees: &'a FeeSchedule,
    /// The procedures of every session (each session is the same).
    pub procedures: &'a [Procedure],
    pub sessions: u32,
    pub benefits: &'a NetworkBenefits,
}

/// Units and charge of one procedure in a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineUnits {
    pub code: String,
    pub units: u32,
    pub charge: Decimal,
}

/// One session's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionEstimate {
    /// 1-based session number.
    pub session: u32,
    pub covered: bool,
    pub charge: Decimal,
    pub patient_pays: Decimal,
    pub plan_pays: Decimal,
    /// How much of the deductible this session used.
    pub deductible_applied: Decimal,
    /// Deductible left after this session.
    pub deductible_remaining: Decimal,
}

/// Sums over all sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub charge: Decimal,
    pub patient_pays: Decimal,
    pub plan_pays: Decimal,
}

/// The estimate for a whole prescription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    pub lines: Vec<LineUnits>,
    pub sessions: Vec<SessionEstimate>,
    pub total: Totals,
    /// False when the payer gave neither co-insurance nor copay: covered sessions then cost
    /// the patient only the deductible, which may be optimistic.
    pub cost_share_known: bool,
}

impl Estimate {
    pub fn first_session(&self) -> Option<&SessionEstimate> {
        self.sessions.first()
    }
}

/// A prescription longer than this is a data error, not a plan of care.
const MAX_SESSIONS: u32 = 1000;

fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn lines(input: &EstimateInput<'_>) -> Result<Vec<LineUnits>, Error> {
    input
        .procedures
        .iter()
        .map(|p| {
            let timed = rx_codes::cpt::is_timed(&p.code).ok_or_else(|| Error::Procedure {
                code: p.code.clone(),
                reason: "not a known physical-medicine code",
            })?;
            let fee = input
                .fees
                .fee(&p.code)
                .ok_or_else(|| Error::Procedure { code: p.code.clone(), reason: "no fee in the schedule" })?;
            let units = if timed { units_for_minutes(p.minutes) } else { 1 };
            Ok(LineUnits { code: p.code.clone(), units, charge: cents(fee * Decimal::from(units)) })
        })
        .collect()
}

fn check(b: &NetworkBenefits) -> Result<(), Error> {
    let negative = |v: Option<Decimal>| v.is_some_and(|v| v.is_sign_negative());
    if negative(b.copay) || negative(b.deductible_remaining) || negative(b.out_of_pocket_remaining) {
        return Err(Error::InvalidInput { field: "benefits", reason: "amounts must not be negative" });
    }
    if b.coinsurance.is_some_and(|c| c.is_sign_negative() || c > Decimal::ONE) {
        return Err(Error::InvalidInput { field: "coinsurance", reason: "must be a fraction from 0 to 1" });
    }
    Ok(())
}

/// Prices every session of a prescription. Pure and exact; see the module docs for the rules.
pub fn estimate(input: &EstimateInput<'_>) -> Result<Estimate, Error> {
    if input.sessions > MAX_SESSIONS {
        return Err(Error::InvalidInput { field: "sessions", reason: "more than 1000" });
    }
    let b = input.benefits;
    check(b)?;
    let lines = lines(input)?;
    let charge: Decimal = lines.iter().map(|l| l.charge).sum();
    let mut deductible_left = b.deductible_remaining.unwrap_or(Decimal::ZERO);
    let mut oop_left = b.out_of_pocket_remaining;
    let mut sessions = Vec::with_capacity(usize::try_from(input.sessions).unwrap_or_default());
    let mut total = Totals::default();
    for session in 1..=input.sessions {
        let covered = !b.not_covered && b.visits_remaining.is_none_or(|v| session <= v);
        let (patient, deductible_applied) = if covered {
            let mut applied = deductible_left.min(charge);
            let rest = charge - applied;
            let share = match (b.coinsurance, b.copay) {
                (Some(c), _) => rest * c,
                (None, Some(copay)) => copay.min(rest),
                (None, None) => Decimal::ZERO,
            };
            let mut patient = cents(applied + share).min(charge);
            if let Some(left) = oop_left.as_mut() {
                patient = patient.min(*left);
                *left -= patient;
                applied = applied.min(patient);
            }
            deductible_left -= applied;
            (patient, applied)
        } else {
            (charge, Decimal::ZERO)
        };
        let s = SessionEstimate {
            session,
            covered,
            charge,
            patient_pays: patient,
            plan_pays: charge - patient,
            deductible_applied,
            deductible_remaining: deductible_left,
        };
        total.charge += s.charge;
        total.patient_pays += s.patient_pays;
        total.plan_pays += s.plan_pays;
        sessions.push(s);
    }
    Ok(Estimate { lines, sessions, total, cost_share_known: b.coinsurance.is_some() || b.copay.is_some() })
}
