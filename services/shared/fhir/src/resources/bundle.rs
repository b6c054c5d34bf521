//! Bundle: a collection, transaction, document or message carrying several resources.

use serde::{Deserialize, Serialize};

use crate::Resource;

/// A bundle of resources; `resource` of each entry is parsed by type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Bundle {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<BundleEntry>,
}

/// One entry: its full URL (the target of `urn:uuid:` and absolute references) and resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BundleEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
}

impl Bundle {
    /// The entries' resources with their entry index.
    pub fn resources(&self) -> impl Iterator<Item = (usize, &Resource)> {
        self.entry.iter().enumerate().filter_map(|(i, e)| e.resource.as_ref().map(|r| (i, r)))
    }
}
