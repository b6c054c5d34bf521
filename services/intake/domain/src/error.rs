//! The crate's one error type: why an input could not be read as a prescription at all.
//! (A readable prescription with problems is not an error: it is `NeedsReview`.)
//!
//! Messages name formats, segments and positions, never values from the input.

use rx_fhir::FhirError;
use rx_hl7v2::{AckCode, ErrorCode, Hl7Error, Location};

/// Why input is unreadable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    #[error("input is empty")]
    Empty,
    #[error("input is not a recognised prescription format (FHIR JSON, HL7 v2 or a fax image)")]
    UnknownFormat,
    #[error("hl7 v2: {0}")]
    Hl7(Box<Hl7Error>),
    #[error("hl7 v2 batch holds {0} messages; send one prescription per message")]
    Hl7Batch(usize),
    #[error("hl7 v2 message type {0} is not an order or referral (ORM, OMG, REF)")]
    UnsupportedMessage(String),
    #[error("hl7 v2 {message} message has no {segment} segment (truncated?)")]
    MissingSegment { message: String, segment: &'static str },
    #[error("fhir: {0}")]
    Fhir(Box<FhirError>),
    #[error("fhir {0} is not a prescription: expected a ServiceRequest or a Bundle holding one")]
    NotAPrescription(String),
    #[error("fax text has no readable lines")]
    FaxEmpty,
    #[error("fax text is too large ({lines} lines, {chars} characters)")]
    FaxTooLarge { lines: usize, chars: usize },
    #[error("no prescription fields found in the fax text")]
    NothingFound,
}

impl From<Hl7Error> for IntakeError {
    fn from(e: Hl7Error) -> Self {
        Self::Hl7(Box::new(e))
    }
}

impl From<FhirError> for IntakeError {
    fn from(e: FhirError) -> Self {
        Self::Fhir(Box::new(e))
    }
}

impl IntakeError {
    /// How an HL7 v2 sender should be answered: acknowledgement code, table 0357 error code and
    /// location, for messages that could not be read.
    pub fn hl7_nak(&self) -> (AckCode, ErrorCode, Option<Location>) {
        match self {
            Self::Hl7(e) => (AckCode::Reject, e.error_code(), e.location().cloned()),
            Self::UnsupportedMessage(_) => (AckCode::Reject, ErrorCode::UnsupportedMessageType, None),
            Self::MissingSegment { .. } | Self::Hl7Batch(_) => (AckCode::Reject, ErrorCode::SegmentSequenceError, None),
            Self::Empty => (AckCode::Reject, ErrorCode::SegmentSequenceError, None),
            _ => (AckCode::Error, ErrorCode::ApplicationInternalError, None),
        }
    }
}

/// Keeps only a short run of letters, digits and `^`/`_` from input, for naming a message type
/// in an error without echoing arbitrary data.
pub(crate) fn sanitize_type(raw: &str) -> String {
    raw.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '^' | '_')).take(15).collect()
}
