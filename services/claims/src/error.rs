//! The claims service's one error type and its mapping to gRPC status, done once here.

use claims_domain::scope::ScopeViolation;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A request field is malformed.
    #[error("{field}: {message}")]
    InvalidArgument { field: &'static str, message: String },
    /// The session breaks scope rules and no override reason was given.
    #[error("session outside the prescription's scope: {}", rule_codes(.violations))]
    OutOfScope { violations: Vec<ScopeViolation> },
    /// A business rule refuses the request; `rule` is a stable code.
    #[error("{rule}: {message}")]
    Refused { rule: &'static str, message: String },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("the x-clinic-id metadata is required")]
    Unauthenticated,
    /// The clearinghouse could not take the request now.
    #[error("clearinghouse unavailable")]
    ClearinghouseUnavailable(#[source] crate::clearinghouse::ConnectorError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn rule_codes(violations: &[ScopeViolation]) -> String {
    violations.iter().map(|v| v.rule.code()).collect::<Vec<_>>().join(", ")
}

impl ServiceError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidArgument { field, message: message.into() }
    }

    pub fn refused(rule: &'static str, message: impl Into<String>) -> Self {
        Self::Refused { rule, message: message.into() }
    }
}

impl From<ServiceError> for Status {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::InvalidArgument { field, message } => Status::with_error_details(
                Code::InvalidArgument,
                format!("{field}: {message}"),
                ErrorDetails::with_bad_request_violation(field, message),
            ),
            ServiceError::OutOfScope { violations } => {
                let mut details = ErrorDetails::new();
                for v in &violations {
                    details.add_precondition_failure_violation("SCOPE", v.rule.code(), &v.message);
                }
                let message = format!("session outside the prescription's scope: {}", rule_codes(&violations));
                Status::with_error_details(Code::FailedPrecondition, message, details)
            }
            ServiceError::Refused { rule, message } => Status::with_error_details(
                Code::FailedPrecondition,
                format!("{rule}: {message}"),
                ErrorDetails::with_precondition_failure_violation("CLAIM", rule, message),
            ),
            ServiceError::NotFound(what) => Status::not_found(format!("{what} not found")),
            ServiceError::Unauthenticated => Status::unauthenticated("the x-clinic-id metadata is required"),
            ServiceError::ClearinghouseUnavailable(e) => {
                tracing::warn!(error = %e, "clearinghouse unavailable");
                Status::unavailable("the clearinghouse is unavailable, try again later")
            }
            ServiceError::Store(StoreError::Unavailable(e)) => {
                tracing::warn!(error = %e, "database unavailable");
                Status::unavailable("the database is unavailable, try again later")
            }
            ServiceError::Store(StoreError::Conflict(_)) => {
                Status::aborted("a concurrent change conflicted, try again")
            }
            ServiceError::Store(e) => {
                tracing::error!(error = %e, "store failure");
                Status::internal("internal error")
            }
        }
    }
}
