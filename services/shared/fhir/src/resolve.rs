//! Following references: `#id` into the referring resource's `contained` list; `urn:uuid:`,
//! absolute URLs and relative `Type/id` into the entries of a Bundle.

use crate::{Bundle, Reference, Resource};

/// A resolved reference, with a path saying where the target was found (for provenance).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolved<'a> {
    pub resource: &'a Resource,
    /// E.g. `Bundle.entry[2].resource` or `contained[1]`.
    pub index: ResolvedAt,
}

/// Where a reference target lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResolvedAt {
    Contained(usize),
    Entry(usize),
}

impl Resolved<'_> {
    /// A JSON path to the target, relative to the document root.
    pub fn path(&self, container_path: &str) -> String {
        match self.index {
            ResolvedAt::Contained(i) => format!("{container_path}.contained[{i}]"),
            ResolvedAt::Entry(i) => format!("Bundle.entry[{i}].resource"),
        }
    }
}

/// Resolves references made by one resource, given its `contained` list and, when it came in
/// a Bundle, that bundle.
#[derive(Debug, Clone, Copy)]
pub struct Resolver<'a> {
    bundle: Option<&'a Bundle>,
    contained: &'a [Resource],
}

impl<'a> Resolver<'a> {
    /// A resolver for a resource with these `contained` resources, inside `bundle` if any.
    pub fn new(bundle: Option<&'a Bundle>, contained: &'a [Resource]) -> Self {
        Self { bundle, contained }
    }

    /// The target of `reference`, when it is in the document.
    pub fn resolve(&self, reference: &Reference) -> Option<Resolved<'a>> {
        let target = reference.reference.as_deref()?.trim();
        if let Some(id) = target.strip_prefix('#') {
            return self
                .contained
                .iter()
                .enumerate()
                .find(|(_, r)| r.id() == Some(id))
                .map(|(i, resource)| Resolved { resource, index: ResolvedAt::Contained(i) });
        }
        let bundle = self.bundle?;
        // 1. exact fullUrl match (urn:uuid:, urn:oid:, absolute URLs)
        if let Some((i, resource)) = bundle
            .entry
            .iter()
            .enumerate()
            .find(|(_, e)| e.full_url.as_deref() == Some(target))
            .and_then(|(i, e)| e.resource.as_ref().map(|r| (i, r)))
        {
            return Some(Resolved { resource, index: ResolvedAt::Entry(i) });
        }
        // 2. Type/id, possibly as the tail of an absolute URL, possibly versioned
        let (kind, id) = type_and_id(target)?;
        bundle
            .resources()
            .find(|(_, r)| r.resource_type() == kind && r.id() == Some(id))
            .map(|(i, resource)| Resolved { resource, index: ResolvedAt::Entry(i) })
    }
}

/// `Patient/123`, `http://x/fhir/Patient/123` or `Patient/123/_history/2` -> (`Patient`, `123`).
fn type_and_id(reference: &str) -> Option<(&str, &str)> {
    let without_history = match reference.find("/_history/") {
        Some(at) => reference.get(..at)?,
        None => reference,
    };
    let mut parts = without_history.rsplit('/');
    let id = parts.next().filter(|s| !s.is_empty())?;
    let kind = parts.next().filter(|s| s.starts_with(|c: char| c.is_ascii_uppercase()))?;
    Some((kind, id))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::parse_resource;

    fn bundle() -> Bundle {
        let json = br#"{"resourceType":"Bundle","type":"collection","entry":[
            {"fullUrl":"urn:uuid:0a1b","resource":{"resourceType":"Patient","id":"p1"}},
            {"fullUrl":"http://ex.org/fhir/Practitioner/dr","resource":{"resourceType":"Practitioner","id":"dr"}},
            {"resource":{"resourceType":"Coverage","id":"cov"}}]}"#;
        match parse_resource(json).unwrap() {
            Resource::Bundle(b) => *b,
            _ => panic!("bundle"),
        }
    }

    fn reference(r: &str) -> Reference {
        Reference { reference: Some(r.to_owned()), ..Reference::default() }
    }

    #[test]
    fn every_reference_form() {
        let b = bundle();
        let resolver = Resolver::new(Some(&b), &[]);
        let kind = |r: &str| resolver.resolve(&reference(r)).map(|x| (x.resource.resource_type().to_owned(), x.index));
        assert_eq!(kind("urn:uuid:0a1b"), Some(("Patient".into(), ResolvedAt::Entry(0))));
        assert_eq!(kind("Patient/p1"), Some(("Patient".into(), ResolvedAt::Entry(0))));
        assert_eq!(kind("Practitioner/dr"), Some(("Practitioner".into(), ResolvedAt::Entry(1))));
        assert_eq!(kind("http://ex.org/fhir/Practitioner/dr"), Some(("Practitioner".into(), ResolvedAt::Entry(1))));
        assert_eq!(kind("Coverage/cov/_history/3"), Some(("Coverage".into(), ResolvedAt::Entry(2))));
        assert_eq!(kind("Patient/nobody"), None);
        assert_eq!(kind("urn:uuid:ffff"), None);
        assert_eq!(kind("#x"), None);
    }

    #[test]
    fn contained_reference() {
        let json = br##"{"resourceType":"ServiceRequest","contained":[
            {"resourceType":"Provenance","id":"sig"},
            {"resourceType":"Condition","id":"cf","code":{"text":"x"}}],
            "reasonReference":[{"reference":"#cf"}]}"##;
        let Resource::ServiceRequest(sr) = parse_resource(json).unwrap() else { panic!("sr") };
        let resolver = Resolver::new(None, &sr.contained);
        let hit = resolver.resolve(&sr.reason_reference[0]).unwrap();
        assert_eq!(hit.index, ResolvedAt::Contained(1));
        assert_eq!(hit.path("ServiceRequest"), "ServiceRequest.contained[1]");
        assert!(hit.resource.as_condition().is_some());
        assert!(resolver.resolve(&reference("Patient/x")).is_none(), "no bundle, no relative resolution");
    }
}
