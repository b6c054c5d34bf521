//! OperationOutcome, the resource a FHIR endpoint answers with when it refuses or questions a
//! request: a list of issues with severity, type, diagnostics and the FHIRPath of each.

use serde::{Deserialize, Serialize};

use crate::FhirError;

/// How bad an issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueSeverity {
    Fatal,
    Error,
    Warning,
    Information,
}

/// The issue-type value set (`http://hl7.org/fhir/issue-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssueType {
    Invalid,
    Structure,
    Required,
    Value,
    Invariant,
    Security,
    Login,
    Unknown,
    Expired,
    Forbidden,
    Suppressed,
    Processing,
    NotSupported,
    Duplicate,
    MultipleMatches,
    NotFound,
    Deleted,
    TooLong,
    CodeInvalid,
    Extension,
    TooCostly,
    BusinessRule,
    Conflict,
    Transient,
    LockError,
    NoStore,
    Exception,
    Timeout,
    Incomplete,
    Throttled,
    Informational,
}

/// One issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    pub severity: IssueSeverity,
    pub code: IssueType,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub diagnostics: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub expression: Vec<String>,
}

/// An OperationOutcome under construction; serialises with `"resourceType":"OperationOutcome"`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "resourceType", rename = "OperationOutcome")]
pub struct OperationOutcome {
    pub issue: Vec<Issue>,
}

impl OperationOutcome {
    /// An outcome with no issues yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an issue.
    pub fn issue(mut self, severity: IssueSeverity, code: IssueType, diagnostics: impl Into<String>) -> Self {
        self.issue.push(Issue { severity, code, diagnostics: Some(diagnostics.into()), expression: Vec::new() });
        self
    }

    /// Adds an error.
    pub fn error(self, code: IssueType, diagnostics: impl Into<String>) -> Self {
        self.issue(IssueSeverity::Error, code, diagnostics)
    }

    /// Adds a warning.
    pub fn warning(self, code: IssueType, diagnostics: impl Into<String>) -> Self {
        self.issue(IssueSeverity::Warning, code, diagnostics)
    }

    /// Adds an informational note.
    pub fn information(self, diagnostics: impl Into<String>) -> Self {
        self.issue(IssueSeverity::Information, IssueType::Informational, diagnostics)
    }

    /// Attaches a FHIRPath expression (e.g. `ServiceRequest.reasonCode[0]`) to the last issue.
    pub fn at(mut self, expression: impl Into<String>) -> Self {
        if let Some(last) = self.issue.last_mut() {
            last.expression.push(expression.into());
        }
        self
    }

    /// Whether nothing worse than a warning was reported.
    pub fn is_ok(&self) -> bool {
        !self.issue.iter().any(|i| matches!(i.severity, IssueSeverity::Error | IssueSeverity::Fatal))
    }

    /// The outcome as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"resourceType":"OperationOutcome","issue":[{"severity":"fatal","code":"exception"}]}"#.to_owned()
        })
    }
}

impl From<&FhirError> for OperationOutcome {
    /// The outcome to return for a document that could not be read.
    fn from(e: &FhirError) -> Self {
        let code = match e {
            FhirError::Empty | FhirError::NotAResource | FhirError::Json { .. } => IssueType::Structure,
            FhirError::TooLarge { .. } | FhirError::TooDeep { .. } => IssueType::TooCostly,
            FhirError::UnknownResourceType | FhirError::WrongResourceType { .. } => IssueType::NotSupported,
            FhirError::Shape { .. } => IssueType::Invalid,
        };
        let severity = if matches!(code, IssueType::Invalid) { IssueSeverity::Error } else { IssueSeverity::Fatal };
        Self::new().issue(severity, code, e.to_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_r4_shape() {
        let oo = OperationOutcome::new()
            .error(IssueType::Required, "diagnosis code missing")
            .at("ServiceRequest.reasonCode")
            .warning(IssueType::BusinessRule, "prescription older than 180 days");
        let v: serde_json::Value = serde_json::from_str(&oo.to_json()).unwrap();
        assert_eq!(v["resourceType"], "OperationOutcome");
        assert_eq!(v["issue"][0]["severity"], "error");
        assert_eq!(v["issue"][0]["code"], "required");
        assert_eq!(v["issue"][0]["expression"][0], "ServiceRequest.reasonCode");
        assert_eq!(v["issue"][1]["code"], "business-rule");
        assert!(v["issue"][1].get("expression").is_none());
        assert!(!oo.is_ok());
        assert!(OperationOutcome::new().warning(IssueType::TooCostly, "x").is_ok());
    }

    #[test]
    fn from_error_and_back_through_the_parser() {
        let oo = OperationOutcome::from(&FhirError::TooDeep { limit: 64 });
        let json = oo.to_json();
        assert!(json.contains("\"code\":\"too-costly\""), "{json}");
        let back: OperationOutcome = serde_json::from_str(&json).unwrap();
        assert_eq!(back, oo);
        assert!(matches!(crate::parse_resource(json.as_bytes()).unwrap(), crate::Resource::Other(_)));
    }
}
