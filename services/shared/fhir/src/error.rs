//! The crate's one error type. Messages describe structure (line, column, field names) and
//! never echo values from the document, which may be patient data.

/// Why a document could not be read as a FHIR resource.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FhirError {
    #[error("fhir document is empty")]
    Empty,
    #[error("fhir document is {size} bytes, over the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("fhir document nests deeper than {limit} levels")]
    TooDeep { limit: usize },
    #[error("not json: {problem} at line {line}, column {column}")]
    Json { problem: &'static str, line: usize, column: usize },
    #[error("json is not a fhir resource: no resourceType")]
    NotAResource,
    #[error("json is not a fhir resource: unknown resourceType")]
    UnknownResourceType,
    #[error("{resource_type} does not match the fhir r4 model: {problem}")]
    Shape { resource_type: String, problem: String },
    #[error("expected a {expected}, got a {found}")]
    WrongResourceType { expected: &'static str, found: String },
}

impl FhirError {
    /// Wraps a serde error from mapping a value onto a model, keeping only what cannot leak
    /// data: missing field names and the expected type, never the offending value.
    pub(crate) fn shape(resource_type: &str, err: &serde_json::Error) -> Self {
        let msg = err.to_string();
        let problem = if let Some(rest) = msg.strip_prefix("missing field ") {
            format!("missing field {}", rest.split_whitespace().next().unwrap_or_default())
        } else if let Some((_, expected)) = msg.split_once(", expected ") {
            let expected: String = expected.split(" at line").next().unwrap_or_default().chars().take(80).collect();
            if msg.starts_with("invalid type") {
                format!("a value has the wrong type, expected {expected}")
            } else {
                format!("a value is out of range, expected {expected}")
            }
        } else {
            "a value does not fit the model".to_owned()
        };
        Self::Shape { resource_type: resource_type.to_owned(), problem }
    }
}
