//! FHIR R4 general-purpose data types, reduced to the elements rxbridge reads.
//!
//! Every field is optional (or an empty list) so that partial documents deserialise; which
//! elements are required for a prescription is decided by the intake domain, not here.

use serde::{Deserialize, Serialize};

/// A code from a code system.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Coding {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// Codes from one or more systems, and/or free text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CodeableConcept {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl CodeableConcept {
    /// The codings whose system is `system` (compared exactly).
    pub fn codings_in<'a>(&'a self, system: &'a str) -> impl Iterator<Item = &'a Coding> + 'a {
        self.coding.iter().filter(move |c| c.system.as_deref() == Some(system))
    }

    /// The text, else the first coding's display.
    pub fn label(&self) -> Option<&str> {
        self.text.as_deref().or_else(|| self.coding.iter().find_map(|c| c.display.as_deref()))
    }
}

/// A business identifier, e.g. an NPI or a member id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Identifier {
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A reference to another resource: literal (`Patient/123`, `urn:uuid:...`, `#contained`),
/// logical (by identifier) or display-only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Reference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// A person's name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HumanName {
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prefix: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suffix: Vec<String>,
}

impl HumanName {
    /// The name to use from a list: `official`, then `usual`, then the first without a `use`
    /// of `old`/`maiden`, then the first.
    pub fn preferred(names: &[HumanName]) -> Option<(usize, &HumanName)> {
        let by_use = |u: &str| names.iter().enumerate().find(|(_, n)| n.use_.as_deref() == Some(u));
        by_use("official")
            .or_else(|| by_use("usual"))
            .or_else(|| names.iter().enumerate().find(|(_, n)| !matches!(n.use_.as_deref(), Some("old" | "maiden"))))
            .or_else(|| names.iter().enumerate().next())
    }
}

/// A postal address (`home`, `work`, ...; `type` postal, physical or both).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Address {
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub line: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl Address {
    /// The address to mail a patient at: `home`, then one without a `use` of `old`/`temp`/
    /// `billing`, then the first; physical-only addresses come last.
    pub fn preferred(addresses: &[Address]) -> Option<(usize, &Address)> {
        let mailable = |a: &&Address| a.type_.as_deref() != Some("physical");
        let current = |a: &&Address| !matches!(a.use_.as_deref(), Some("old" | "temp" | "billing"));
        let indexed = || addresses.iter().enumerate();
        indexed()
            .find(|(_, a)| a.use_.as_deref() == Some("home") && mailable(a))
            .or_else(|| indexed().find(|(_, a)| current(a) && mailable(a)))
            .or_else(|| indexed().next())
    }
}

/// A time range; either end may be open. Dates stay as written (`2026`, `2026-01`, full
/// dates or date-times): precision matters and is the caller's to interpret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Period {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// A measured amount (also used for Duration, Age, Count, SimpleQuantity).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Quantity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// When something happens: events and/or a repeat rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Timing {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub event: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat: Option<TimingRepeat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
}

/// Timing.repeat: `frequency` times per `period` `periodUnit`, each lasting `duration`
/// `durationUnit`, `count` times in all, within `boundsPeriod` or `boundsDuration`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TimingRepeat {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bounds_period: Option<Period>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bounds_duration: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count_max: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_max: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_unit: Option<String>,
}

/// A note.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Annotation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Resource metadata; only tags and profiles are kept (e.g. the HTEST test-data tag).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Meta {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<Coding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profile: Vec<String>,
}
