//! The one error type of the claims domain.
//!
//! Messages name the rule, field, segment or position involved and never a patient's name, date
//! of birth or member id.

use rx_codes::units::UnitsError;

use crate::lifecycle::InvalidTransition;
use crate::scope::ScopeViolation;

/// Everything that can go wrong in the pure claims logic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    /// Minutes could not be turned into units (unknown code, malformed argument).
    #[error(transparent)]
    Units(#[from] UnitsError),
    /// A body-site text matched none of the regions the scope rules know.
    #[error("unrecognised body site")]
    UnknownBodySite,
    /// An override of the scope rules was asked for without saying why.
    #[error("an override needs a non-empty reason")]
    EmptyOverrideReason,
    /// The session breaks one or more scope rules and no override was given.
    #[error("session refused: {}", codes(.violations))]
    OutOfScope { violations: Vec<ScopeViolation> },
    /// The claim state machine refused an event.
    #[error(transparent)]
    InvalidTransition(#[from] InvalidTransition),
    /// A claim adjustment group code other than CO, PR, OA, PI or CR.
    #[error("unknown claim adjustment group code")]
    UnknownAdjustmentGroup,
    /// The fee schedule has no charge for a procedure code on a claim line.
    #[error("the fee schedule has no charge for procedure code {code}")]
    NoFee { code: String },
    /// A fee is negative, finer than a cent, or overflows when multiplied by the units.
    #[error("invalid fee for procedure code {code}")]
    InvalidFee { code: String },
    /// A claim (0-based index in its batch) cannot be written as a valid 837P.
    #[error("claim {claim}: {reason}")]
    InvalidClaim { claim: usize, reason: &'static str },
    /// The input holds no transaction of the kind asked for (or summarize does not know it).
    #[error("expected {expected}, found {found}")]
    WrongTransaction { expected: &'static str, found: String },
    /// A segment every transaction of this kind needs is absent.
    #[error("{segment} segment is missing")]
    MissingSegment { segment: &'static str },
    /// A segment appears where its loop cannot hold it.
    #[error("{segment} segment out of place at {at}")]
    UnexpectedSegment { segment: &'static str, at: rx_x12::Position },
    /// A required element is absent or empty.
    #[error("{segment}{element:02} is missing at {at}")]
    MissingElement { segment: &'static str, element: usize, at: rx_x12::Position },
    /// An amount, quantity or count element is not a number.
    #[error("{segment}{element:02} is not a valid number at {at}")]
    InvalidNumber { segment: &'static str, element: usize, at: rx_x12::Position },
    /// A coded element holds a code the reader does not know.
    #[error("{segment}{element:02} holds an unknown code at {at}")]
    InvalidCode { segment: &'static str, element: usize, at: rx_x12::Position },
    /// X12 syntax or envelope problem (reading or writing).
    #[error("x12: {0}")]
    X12(#[from] rx_x12::Error),
}

/// Joins the stable rule codes, e.g. `outside_window, coverage_stale`.
fn codes(violations: &[ScopeViolation]) -> String {
    violations.iter().map(|v| v.rule.code()).collect::<Vec<_>>().join(", ")
}
