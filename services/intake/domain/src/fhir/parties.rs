//! Patient (subject), insurance (insurance → Coverage → payor) and prescriber (requester →
//! Practitioner / PractitionerRole, or the requester's own NPI identifier).

use rx_fhir::{Address, HumanName, Identifier, NPI_SYSTEM, Practitioner, Reference, Resource, ServiceRequest};

use super::Ctx;
use crate::dates::parse_fhir_date;
use crate::model::{PostalAddress, Prescription, Sex, Source, Sourced};

/// Confidence of a name split out of a reference's display text.
const DISPLAY_NAME: f32 = 0.7;

fn json(path: String) -> Source {
    Source::Json { path }
}

/// subject → Patient: preferred name, birthDate, gender. Without a resolvable Patient, the
/// subject's display text gives the name (less certain).
pub fn patient(sr: &ServiceRequest, ctx: &Ctx<'_>, rx: &mut Prescription) {
    let Some(subject) = &sr.subject else { return };
    // A relative literal reference names the patient in the sender's server; `urn:uuid:` and
    // `#contained` ones only live inside this document.
    if let Some(r) = subject.reference.as_deref().filter(|r| r.starts_with("Patient/") && !r.contains("/_history")) {
        rx.patient.add_reference(r.to_owned(), ctx.at("subject.reference"));
    }
    if let Some(key) = subject.identifier.as_ref().and_then(identifier_key) {
        rx.patient.add_reference(key, ctx.at("subject.identifier"));
    }
    let resolved = ctx.resolver.resolve(subject);
    let Some((patient, path)) = resolved.and_then(|r| r.resource.as_patient().map(|p| (p, r.path(&ctx.base)))) else {
        if let Some((given, family)) = subject.display.as_deref().and_then(split_display) {
            rx.patient.given = Some(Sourced::with_confidence(given, ctx.at("subject.display"), DISPLAY_NAME));
            rx.patient.family = Some(Sourced::with_confidence(family, ctx.at("subject.display"), DISPLAY_NAME));
        }
        return;
    };
    if let Some((i, name)) = HumanName::preferred(&patient.name) {
        if let Some(family) = name.family.as_deref().filter(|f| !f.trim().is_empty()) {
            rx.patient.family =
                Some(Sourced::exact(family.trim().to_owned(), json(format!("{path}.name[{i}].family"))));
        }
        if let Some(given) = name.given.first().filter(|g| !g.trim().is_empty()) {
            rx.patient.given =
                Some(Sourced::exact(given.trim().to_owned(), json(format!("{path}.name[{i}].given[0]"))));
        }
        if rx.patient.family.is_none()
            && let Some((given, family)) = name.text.as_deref().and_then(split_display)
        {
            rx.patient.given =
                Some(Sourced::with_confidence(given, json(format!("{path}.name[{i}].text")), DISPLAY_NAME));
            rx.patient.family =
                Some(Sourced::with_confidence(family, json(format!("{path}.name[{i}].text")), DISPLAY_NAME));
        }
    }
    if let Some(id) = patient.id.as_deref().filter(|id| !id.trim().is_empty()) {
        rx.patient.add_reference(format!("Patient/{}", id.trim()), json(format!("{path}.id")));
    }
    for (i, identifier) in patient.identifier.iter().enumerate() {
        if let Some(key) = identifier_key(identifier) {
            rx.patient.add_reference(key, json(format!("{path}.identifier[{i}]")));
        }
    }
    if let Some(dob) = patient.birth_date.as_deref().and_then(parse_fhir_date) {
        rx.patient.birth_date = Some(Sourced::exact(dob, json(format!("{path}.birthDate"))));
    }
    let sex = match patient.gender.as_deref() {
        Some("female") => Some(Sex::Female),
        Some("male") => Some(Sex::Male),
        Some("other") => Some(Sex::Other),
        Some("unknown") => Some(Sex::Unknown),
        _ => None,
    };
    if let Some(sex) = sex {
        rx.patient.sex = Some(Sourced::exact(sex, json(format!("{path}.gender"))));
    }
    if let Some((i, a)) = Address::preferred(&patient.address) {
        let line = |n: usize| a.line.get(n).map_or("", String::as_str);
        let text = |v: &Option<String>| v.as_deref().unwrap_or_default().to_owned();
        let address = PostalAddress::new(line(0), line(1), &text(&a.city), &text(&a.state), &text(&a.postal_code));
        if let Some(address) = address {
            rx.patient.address = Some(Sourced::exact(address, json(format!("{path}.address[{i}]"))));
        }
    }
}

/// `system|value` of an identifier that has both.
fn identifier_key(identifier: &Identifier) -> Option<String> {
    let system = identifier.system.as_deref()?.trim();
    let value = identifier.value.as_deref()?.trim();
    (!system.is_empty() && !value.is_empty()).then(|| format!("{system}|{value}"))
}

/// "Given [Middle] Family" or "Family, Given".
fn split_display(display: &str) -> Option<(String, String)> {
    let cleaned: Vec<&str> = display
        .split_whitespace()
        .filter(|w| !matches!(w.trim_end_matches('.').to_ascii_lowercase().as_str(), "dr" | "mr" | "mrs" | "ms"))
        .collect();
    let text = cleaned.join(" ");
    if let Some((family, given)) = text.split_once(',') {
        let given = given.split_whitespace().next()?.to_owned();
        let family = family.trim().to_owned();
        return (!family.is_empty()).then_some((given, family));
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        [given, .., family] => Some(((*given).to_owned(), (*family).to_owned())),
        _ => None,
    }
}

/// insurance → Coverage (or the Bundle's first Coverage): subscriberId (else the first
/// identifier) as member id; payor → Organization name and identifier.
pub fn coverage(sr: &ServiceRequest, ctx: &Ctx<'_>, rx: &mut Prescription) {
    let from_reference = sr
        .insurance
        .iter()
        .filter_map(|r| ctx.resolver.resolve(r))
        .find_map(|r| r.resource.as_coverage().map(|c| (c, r.path(&ctx.base))));
    let from_bundle = || {
        ctx.bundle?.resources().find_map(|(i, r)| r.as_coverage().map(|c| (c, format!("Bundle.entry[{i}].resource"))))
    };
    let Some((coverage, path)) = from_reference.or_else(from_bundle) else { return };
    let member = coverage
        .subscriber_id
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| (s, format!("{path}.subscriberId")))
        .or_else(|| {
            coverage
                .identifier
                .iter()
                .enumerate()
                .find_map(|(i, id)| id.value.as_deref().map(|v| (v, format!("{path}.identifier[{i}].value"))))
        });
    if let Some((id, at)) = member {
        rx.patient.member_id = Some(Sourced::exact(id.trim().to_owned(), json(at)));
    }
    let Some(payor) = coverage.payor.first() else { return };
    let org = ctx.resolver.resolve(payor).and_then(|r| r.resource.as_organization().map(|o| (o, r.path(&ctx.base))));
    match org {
        Some((org, org_path)) => {
            if let Some(name) = org.name.as_deref() {
                rx.patient.payer_name = Some(Sourced::exact(name.to_owned(), json(format!("{org_path}.name"))));
            }
            if let Some((i, v)) =
                org.identifier.iter().enumerate().find_map(|(i, id)| id.value.as_deref().map(|v| (i, v)))
            {
                rx.patient.payer_id =
                    Some(Sourced::exact(v.to_owned(), json(format!("{org_path}.identifier[{i}].value"))));
            }
        }
        None => {
            if let Some(name) = payor.display.as_deref() {
                rx.patient.payer_name = Some(Sourced::exact(name.to_owned(), json(format!("{path}.payor[0].display"))));
            }
            if let Some(v) = payor.identifier.as_ref().and_then(|id| id.value.as_deref()) {
                rx.patient.payer_id =
                    Some(Sourced::exact(v.to_owned(), json(format!("{path}.payor[0].identifier.value"))));
            }
        }
    }
}

fn npi_of(ids: &[Identifier]) -> Option<(usize, &str)> {
    ids.iter().enumerate().find_map(|(i, id)| {
        (id.system.as_deref() == Some(NPI_SYSTEM)).then_some(id.value.as_deref()).flatten().map(|v| (i, v))
    })
}

fn name_of(p: &Practitioner) -> Option<(usize, String)> {
    let (i, name) = HumanName::preferred(&p.name)?;
    let given = name.given.first().map(String::as_str).unwrap_or_default();
    let full = match (&name.text, &name.family) {
        (_, Some(family)) => format!("{given} {family}").trim().to_owned(),
        (Some(text), None) => text.trim().to_owned(),
        (None, None) => return None,
    };
    (!full.is_empty()).then_some((i, full))
}

/// requester: its NPI identifier, or the resolved Practitioner's (directly or through a
/// PractitionerRole); the name from the Practitioner, else the display text.
pub fn prescriber(sr: &ServiceRequest, ctx: &Ctx<'_>, rx: &mut Prescription) {
    let Some(requester) = &sr.requester else { return };
    if let Some(id) = &requester.identifier
        && id.system.as_deref() == Some(NPI_SYSTEM)
        && let Some(v) = id.value.as_deref()
    {
        rx.prescriber.npi = Some(Sourced::exact(v.trim().to_owned(), ctx.at("requester.identifier.value")));
    }
    let mut display: Option<(&str, Source)> = requester.display.as_deref().map(|d| (d, ctx.at("requester.display")));
    if let Some(resolved) = ctx.resolver.resolve(requester) {
        let path = resolved.path(&ctx.base);
        let mut practitioner: Option<(&Practitioner, String)> = None;
        match resolved.resource {
            Resource::Practitioner(p) => practitioner = Some((p, path)),
            Resource::PractitionerRole(role) => {
                if rx.prescriber.npi.is_none()
                    && let Some((i, v)) = npi_of(&role.identifier)
                {
                    rx.prescriber.npi =
                        Some(Sourced::exact(v.trim().to_owned(), json(format!("{path}.identifier[{i}].value"))));
                }
                let person: Option<&Reference> = role.practitioner.as_ref();
                if let Some(person) = person {
                    if display.is_none() {
                        display = person.display.as_deref().map(|d| (d, json(format!("{path}.practitioner.display"))));
                    }
                    practitioner = ctx
                        .resolver
                        .resolve(person)
                        .and_then(|r| r.resource.as_practitioner().map(|p| (p, r.path(&ctx.base))));
                }
            }
            _ => {}
        }
        if let Some((p, p_path)) = practitioner {
            if rx.prescriber.npi.is_none()
                && let Some((i, v)) = npi_of(&p.identifier)
            {
                rx.prescriber.npi =
                    Some(Sourced::exact(v.trim().to_owned(), json(format!("{p_path}.identifier[{i}].value"))));
            }
            if let Some((i, name)) = name_of(p) {
                rx.prescriber.name = Some(Sourced::exact(name, json(format!("{p_path}.name[{i}]"))));
            }
        }
    }
    if rx.prescriber.name.is_none()
        && let Some((d, source)) = display
        && !d.trim().is_empty()
    {
        rx.prescriber.name = Some(Sourced::exact(d.trim().to_owned(), source));
    }
}
