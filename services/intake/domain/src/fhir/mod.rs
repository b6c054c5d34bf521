//! Mapping a FHIR R4 ServiceRequest, alone or in a Bundle with its Patient, Practitioner,
//! Coverage and Conditions, to a prescription (STANDARDS.md §8).

mod order;
mod parties;

use rx_fhir::{Bundle, Resolver, Resource, ServiceRequest, parse_resource};

use crate::IntakeError;
use crate::complete::complete;
use crate::model::{Prescription, Source, SourceKind};

/// Reads a FHIR JSON document holding a prescription.
pub fn from_fhir_json(bytes: &[u8]) -> Result<Prescription, IntakeError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(IntakeError::Empty);
    }
    match parse_resource(bytes)? {
        Resource::ServiceRequest(sr) => Ok(map_service_request(&sr, None, "ServiceRequest".to_owned())),
        Resource::Bundle(bundle) => {
            let Some((i, sr)) = pick_order(&bundle) else {
                return Err(IntakeError::NotAPrescription("Bundle without a ServiceRequest".to_owned()));
            };
            Ok(map_service_request(sr, Some(&bundle), format!("Bundle.entry[{i}].resource")))
        }
        other => Err(IntakeError::NotAPrescription(other.resource_type().chars().take(40).collect())),
    }
}

/// The ServiceRequest to read from a bundle: the first active order, else the first one.
fn pick_order(bundle: &Bundle) -> Option<(usize, &ServiceRequest)> {
    let orders: Vec<(usize, &ServiceRequest)> =
        bundle.resources().filter_map(|(i, r)| r.as_service_request().map(|sr| (i, sr))).collect();
    orders
        .iter()
        .find(|(_, sr)| {
            sr.status.as_deref() == Some("active") && sr.intent.as_deref().is_some_and(|i| i.contains("order"))
        })
        .or_else(|| orders.first())
        .copied()
}

/// Shared context of one mapping: the resolver and the JSON path of the ServiceRequest.
pub(crate) struct Ctx<'a> {
    pub resolver: Resolver<'a>,
    pub bundle: Option<&'a Bundle>,
    pub base: String,
}

impl Ctx<'_> {
    /// A source at `path` below the ServiceRequest.
    pub fn at(&self, path: &str) -> Source {
        Source::Json { path: format!("{}.{path}", self.base) }
    }
}

/// Maps a ServiceRequest; `base` is its JSON path in the document.
pub fn map_service_request(sr: &ServiceRequest, bundle: Option<&Bundle>, base: String) -> Prescription {
    let ctx = Ctx { resolver: Resolver::new(bundle, &sr.contained), bundle, base };
    let mut rx = Prescription::new(SourceKind::Fhir);
    parties::patient(sr, &ctx, &mut rx);
    parties::coverage(sr, &ctx, &mut rx);
    parties::prescriber(sr, &ctx, &mut rx);
    order::diagnoses(sr, &ctx, &mut rx);
    order::procedures(sr, &ctx, &mut rx);
    order::timing(sr, &ctx, &mut rx);
    order::body_sites(sr, &ctx, &mut rx);
    order::dates(sr, &ctx, &mut rx);
    complete(&mut rx);
    rx
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
