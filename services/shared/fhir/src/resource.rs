//! Any resource, dispatched on `resourceType`, and the guarded entry point that reads one
//! from bytes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::guard::{self, Limits};
use crate::resource_types::is_r4_resource_type;
use crate::{
    Bundle, Condition, Coverage, FhirError, Organization, Patient, Practitioner, PractitionerRole, ServiceRequest,
};

/// A resource rxbridge models, or the type and id of one it does not.
#[derive(Debug, Clone, PartialEq)]
pub enum Resource {
    ServiceRequest(Box<ServiceRequest>),
    Patient(Box<Patient>),
    Practitioner(Box<Practitioner>),
    PractitionerRole(Box<PractitionerRole>),
    Coverage(Box<Coverage>),
    Condition(Box<Condition>),
    Organization(Box<Organization>),
    Bundle(Box<Bundle>),
    Other(OtherResource),
}

/// A resource of a type rxbridge does not read (e.g. a Provenance in `contained`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherResource {
    pub resource_type: String,
    pub id: Option<String>,
}

impl Resource {
    /// The `resourceType`.
    pub fn resource_type(&self) -> &str {
        match self {
            Self::ServiceRequest(_) => "ServiceRequest",
            Self::Patient(_) => "Patient",
            Self::Practitioner(_) => "Practitioner",
            Self::PractitionerRole(_) => "PractitionerRole",
            Self::Coverage(_) => "Coverage",
            Self::Condition(_) => "Condition",
            Self::Organization(_) => "Organization",
            Self::Bundle(_) => "Bundle",
            Self::Other(o) => &o.resource_type,
        }
    }

    /// The logical id.
    pub fn id(&self) -> Option<&str> {
        match self {
            Self::ServiceRequest(r) => r.id.as_deref(),
            Self::Patient(r) => r.id.as_deref(),
            Self::Practitioner(r) => r.id.as_deref(),
            Self::PractitionerRole(r) => r.id.as_deref(),
            Self::Coverage(r) => r.id.as_deref(),
            Self::Condition(r) => r.id.as_deref(),
            Self::Organization(r) => r.id.as_deref(),
            Self::Bundle(r) => r.id.as_deref(),
            Self::Other(o) => o.id.as_deref(),
        }
    }

    /// Maps a JSON object onto the model its `resourceType` names. Types FHIR defines but
    /// rxbridge does not model become [`Resource::Other`]; anything else is an error.
    pub fn from_value(value: Value) -> Result<Self, FhirError> {
        let Value::Object(map) = &value else { return Err(FhirError::NotAResource) };
        let Some(Value::String(kind)) = map.get("resourceType") else { return Err(FhirError::NotAResource) };
        let kind = kind.clone();
        let model = |e: serde_json::Error| FhirError::shape(&kind, &e);
        Ok(match kind.as_str() {
            "ServiceRequest" => Self::ServiceRequest(Box::new(serde_json::from_value(value).map_err(model)?)),
            "Patient" => Self::Patient(Box::new(serde_json::from_value(value).map_err(model)?)),
            "Practitioner" => Self::Practitioner(Box::new(serde_json::from_value(value).map_err(model)?)),
            "PractitionerRole" => Self::PractitionerRole(Box::new(serde_json::from_value(value).map_err(model)?)),
            "Coverage" => Self::Coverage(Box::new(serde_json::from_value(value).map_err(model)?)),
            "Condition" => Self::Condition(Box::new(serde_json::from_value(value).map_err(model)?)),
            "Organization" => Self::Organization(Box::new(serde_json::from_value(value).map_err(model)?)),
            "Bundle" => Self::Bundle(Box::new(serde_json::from_value(value).map_err(model)?)),
            other if is_r4_resource_type(other) => {
                let id = map.get("id").and_then(Value::as_str).map(str::to_owned);
                Self::Other(OtherResource { resource_type: kind.clone(), id })
            }
            _ => return Err(FhirError::UnknownResourceType),
        })
    }

    /// The resource as a ServiceRequest, if it is one.
    pub fn as_service_request(&self) -> Option<&ServiceRequest> {
        if let Self::ServiceRequest(r) = self { Some(r) } else { None }
    }

    /// The resource as a Patient, if it is one.
    pub fn as_patient(&self) -> Option<&Patient> {
        if let Self::Patient(r) = self { Some(r) } else { None }
    }

    /// The resource as a Practitioner, if it is one.
    pub fn as_practitioner(&self) -> Option<&Practitioner> {
        if let Self::Practitioner(r) = self { Some(r) } else { None }
    }

    /// The resource as a PractitionerRole, if it is one.
    pub fn as_practitioner_role(&self) -> Option<&PractitionerRole> {
        if let Self::PractitionerRole(r) = self { Some(r) } else { None }
    }

    /// The resource as a Coverage, if it is one.
    pub fn as_coverage(&self) -> Option<&Coverage> {
        if let Self::Coverage(r) = self { Some(r) } else { None }
    }

    /// The resource as a Condition, if it is one.
    pub fn as_condition(&self) -> Option<&Condition> {
        if let Self::Condition(r) = self { Some(r) } else { None }
    }

    /// The resource as an Organization, if it is one.
    pub fn as_organization(&self) -> Option<&Organization> {
        if let Self::Organization(r) = self { Some(r) } else { None }
    }
}

/// Reads one resource with the default [`Limits`].
pub fn parse_resource(bytes: &[u8]) -> Result<Resource, FhirError> {
    parse_resource_with(bytes, &Limits::default())
}

/// Reads one resource: checks size and depth first, then requires a JSON object whose
/// `resourceType` is a FHIR R4 type.
pub fn parse_resource_with(bytes: &[u8], limits: &Limits) -> Result<Resource, FhirError> {
    guard::check(bytes, limits)?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value: Value = serde_json::from_slice(bytes).map_err(|e| FhirError::Json {
        problem: match e.classify() {
            serde_json::error::Category::Eof => "unexpected end of input",
            serde_json::error::Category::Syntax => "invalid syntax",
            serde_json::error::Category::Data | serde_json::error::Category::Io => "unreadable value",
        },
        line: e.line(),
        column: e.column(),
    })?;
    Resource::from_value(value)
}

impl<'de> Deserialize<'de> for Resource {
    /// Inside a Bundle or `contained`, a resource of an unknown type is kept as `Other`
    /// rather than failing the whole document.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let fallback_type = value.get("resourceType").and_then(Value::as_str).map(str::to_owned);
        match Resource::from_value(value) {
            Ok(r) => Ok(r),
            Err(FhirError::UnknownResourceType) => Ok(Resource::Other(OtherResource {
                resource_type: fallback_type.unwrap_or_default().chars().take(64).collect(),
                id: None,
            })),
            Err(e) => Err(serde::de::Error::custom(e)),
        }
    }
}

impl Serialize for Resource {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = match self {
            Self::ServiceRequest(r) => serde_json::to_value(r),
            Self::Patient(r) => serde_json::to_value(r),
            Self::Practitioner(r) => serde_json::to_value(r),
            Self::PractitionerRole(r) => serde_json::to_value(r),
            Self::Coverage(r) => serde_json::to_value(r),
            Self::Condition(r) => serde_json::to_value(r),
            Self::Organization(r) => serde_json::to_value(r),
            Self::Bundle(r) => serde_json::to_value(r),
            Self::Other(o) => Ok(match &o.id {
                Some(id) => serde_json::json!({ "id": id }),
                None => serde_json::json!({}),
            }),
        }
        .map_err(serde::ser::Error::custom)?;
        let mut map = match value {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        map.insert("resourceType".to_owned(), Value::String(self.resource_type().to_owned()));
        map.serialize(serializer)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn refuses_json_that_is_not_fhir() {
        assert_eq!(parse_resource(b""), Err(FhirError::Empty));
        assert_eq!(parse_resource(b"[1,2]"), Err(FhirError::NotAResource));
        assert_eq!(parse_resource(br#"{"id":"x"}"#), Err(FhirError::NotAResource));
        assert_eq!(parse_resource(br#"{"resourceType":5}"#), Err(FhirError::NotAResource));
        assert_eq!(parse_resource(br#"{"resourceType":"Prescription"}"#), Err(FhirError::UnknownResourceType));
        assert!(matches!(parse_resource(b"{\"resourceType\":"), Err(FhirError::Json { line: 1, .. })));
        assert!(matches!(parse_resource(b"MSH|^~\\&|"), Err(FhirError::Json { .. })));
    }

    #[test]
    fn known_but_unmodelled_types_are_kept_as_other() {
        let r = parse_resource(br#"{"resourceType":"Claim","id":"c1","total":{"value":1}}"#).unwrap();
        assert_eq!(r, Resource::Other(OtherResource { resource_type: "Claim".into(), id: Some("c1".into()) }));
    }

    #[test]
    fn shape_errors_do_not_echo_values() {
        let err = parse_resource(br#"{"resourceType":"Patient","name":[{"family":"Secretname","given":"Notalist"}]}"#)
            .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, FhirError::Shape { .. }), "{text}");
        assert!(!text.contains("Notalist") && !text.contains("Secretname"), "{text}");
        assert!(text.contains("expected a sequence"), "{text}");
    }

    #[test]
    fn unknown_types_inside_a_bundle_do_not_fail_it() {
        let json = br#"{"resourceType":"Bundle","type":"collection","entry":[
            {"fullUrl":"urn:uuid:1","resource":{"resourceType":"Madeup","id":"m"}},
            {"fullUrl":"urn:uuid:2","resource":{"resourceType":"Patient","id":"p","birthDate":"1980-01-01"}}]}"#;
        let Resource::Bundle(b) = parse_resource(json).unwrap() else { panic!("bundle") };
        assert_eq!(b.entry.len(), 2);
        assert_eq!(b.entry[0].resource.as_ref().unwrap().resource_type(), "Madeup");
        assert_eq!(
            b.entry[1].resource.as_ref().unwrap().as_patient().unwrap().birth_date.as_deref(),
            Some("1980-01-01")
        );
    }

    #[test]
    fn serialises_with_resource_type_and_round_trips() {
        let json =
            br#"{"resourceType":"Coverage","id":"c","subscriberId":"MEM1","payor":[{"reference":"Organization/2"}]}"#;
        let r = parse_resource(json).unwrap();
        let out = serde_json::to_vec(&r).unwrap();
        assert_eq!(parse_resource(&out).unwrap(), r);
        assert!(String::from_utf8(out).unwrap().contains("\"resourceType\":\"Coverage\""));
    }
}
