//! The benefits service's one error type and its mapping to gRPC status, done once here.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A request field is malformed; `field` names it (never its value).
    #[error("{field}: {message}")]
    InvalidArgument { field: String, message: String },
    /// A business rule refuses the request; `rule` is a stable code.
    #[error("{rule}: {message}")]
    Refused { rule: &'static str, message: String },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("the x-clinic-id metadata is required")]
    Unauthenticated,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ServiceError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidArgument { field: field.into(), message: message.into() }
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
            ServiceError::Refused { rule, message } => Status::with_error_details(
                Code::FailedPrecondition,
                format!("{rule}: {message}"),
                ErrorDetails::with_precondition_failure_violation("BENEFITS", rule, message),
            ),
            ServiceError::NotFound(what) => Status::not_found(format!("{what} not found")),
            ServiceError::Unauthenticated => Status::unauthenticated("the x-clinic-id metadata is required"),
            ServiceError::Store(StoreError::Unavailable(e)) => {
                tracing::warn!(error = %e, "database unavailable");
                Status::unavailable("the database is unavailable, try again later")
            }
            ServiceError::Store(e) => {
                tracing::error!(error = %e, "store failure");
                Status::internal("internal error")
            }
        }
    }
}
