//! The service's one error type and its translation to gRPC status (the FHIR and MLLP
//! adapters translate it themselves). Messages name fields and rules, never patient values.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// Why a document could not be read at all; the field is the request field to blame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// `content` or `format`.
    pub field: &'static str,
    /// Why, e.g. "hl7 v2 ORM message has no PID segment (truncated?)".
    pub reason: String,
    /// For HL7 senders: accept code, table 0357 code and location.
    pub hl7: Option<Box<(rx_hl7v2::AckCode, rx_hl7v2::ErrorCode, Option<rx_hl7v2::Location>)>>,
}

/// What can go wrong in the service.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The document is unreadable (it has been stored all the same).
    #[error("document is unreadable: {}", .0.reason)]
    Unreadable(Unreadable),
    /// A request field is invalid.
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: String, reason: String },
    /// No clinic in the request.
    #[error("missing clinic: send x-clinic-id")]
    Unauthenticated,
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A business rule refuses the operation.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The database failed; details stay in the logs.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Reading the document failed for an internal reason (e.g. the OCR worker panicked).
    #[error("internal: {0}")]
    Internal(String),
}

impl ServiceError {
    /// Whether retrying later may succeed (database outages, lost connections).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Database(e) => rx_platform::db::is_transient(e) || matches!(e, sqlx::Error::PoolTimedOut),
            Self::Internal(_) => true,
            _ => false,
        }
    }
}

impl From<ServiceError> for Status {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Unreadable(u) => Status::with_error_details(
                Code::InvalidArgument,
                format!("document is unreadable: {}", u.reason),
                ErrorDetails::with_bad_request_violation(u.field, u.reason),
            ),
            ServiceError::InvalidArgument { field, reason } => Status::with_error_details(
                Code::InvalidArgument,
                format!("invalid {field}: {reason}"),
                ErrorDetails::with_bad_request_violation(field, reason),
            ),
            ServiceError::Unauthenticated => Status::unauthenticated("missing clinic: send x-clinic-id"),
            ServiceError::NotFound(what) => Status::not_found(format!("{what} not found")),
            ServiceError::FailedPrecondition(rule) => Status::failed_precondition(rule),
            ServiceError::Database(err) => {
                tracing::error!(error = %err, "intake database error");
                if rx_platform::db::is_transient(&err) || matches!(err, sqlx::Error::PoolTimedOut) {
                    Status::unavailable("the database is unavailable, retry later")
                } else {
                    Status::internal("internal error")
                }
            }
            ServiceError::Internal(reason) => {
                tracing::error!(%reason, "intake internal error");
                Status::internal("internal error")
            }
        }
    }
}
