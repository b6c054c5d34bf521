//! ServiceRequest (the order itself) and Condition (a diagnosis it points to).

use serde::{Deserialize, Serialize};

use crate::{Annotation, CodeableConcept, Identifier, Meta, Period, Quantity, Reference, Resource, Timing};

/// An order for a service: for rxbridge, a massage or therapy prescription (STANDARDS.md §8).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contained: Vec<Resource>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requisition: Option<Identifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub do_not_perform: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub order_detail: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity_quantity: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurrence_date_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurrence_period: Option<Period>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurrence_timing: Option<Timing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authored_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performer_type: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub performer: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reason_code: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reason_reference: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub insurance: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub supporting_info: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub body_site: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_instruction: Option<String>,
}

/// A diagnosis or problem.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Condition {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clinical_status: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_status: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub body_site: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onset_date_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_date: Option<String>,
}
