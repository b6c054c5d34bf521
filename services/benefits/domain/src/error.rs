//! The crate's one error type. Messages name loops, segments and fields, never values that
//! could be PHI (names, member ids, dates of birth).

/// Everything that can go wrong building a 270, reading a 271 or estimating a cost.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The X12 syntax is broken in a way that loses data (not only a wrong count).
    #[error("x12: {0}")]
    X12(#[from] rx_x12::Error),
    /// The input holds no transaction set of the kind asked for.
    #[error("no {expected} transaction set in the input")]
    NoTransaction { expected: &'static str },
    /// A field of a request or estimate input is unusable.
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: &'static str, reason: &'static str },
    /// A procedure code the estimate cannot price or count units for.
    #[error("procedure {code}: {reason}")]
    Procedure { code: String, reason: &'static str },
}
