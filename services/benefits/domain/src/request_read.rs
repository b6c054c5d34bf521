//! Reads 270 inquiries back into [`EligibilityRequest`]s: to check what we send, and to read
//! public samples. Provider ids other than a well-shaped NPI are kept as they are.

use rx_codes::npi::{Npi, NpiCheck};
use rx_x12::{HlTree, Segment};

use crate::error::Error;
use crate::input::read_x12;
use crate::request::{
    Dependent, EligibilityRequest, PayerProfile, Provider, ProviderId, ProviderKind, Subscriber, Trace,
};
use crate::values::{parse_d8, parse_dtp};

/// Every inquiry of every 270 in `input`: one per subscriber (or dependent) loop.
pub fn parse_270(input: &[u8]) -> Result<Vec<EligibilityRequest>, Error> {
    let (doc, _) = read_x12(input)?;
    let mut out = Vec::new();
    let mut found = false;
    for (_, t) in doc.transactions().filter(|(_, t)| t.id == "270") {
        found = true;
        let tree = HlTree::build(&t.segments)?;
        let bht = tree.header.iter().find(|s| s.id() == "BHT").and_then(|s| s.element(3)).map(str::to_owned);
        for (i, sub) in tree.with_level("22") {
            let mut payer = PayerProfile { service_types: Vec::new(), ..PayerProfile::new("", "") };
            let mut provider = None;
            for a in tree.ancestors(i) {
                let nm1 = a.body().iter().find(|s| s.id() == "NM1");
                match (a.level, nm1) {
                    ("20", Some(n)) => {
                        payer.name = n.element_or_empty(3).to_owned();
                        payer.payer_id = n.element_or_empty(9).to_owned();
                    }
                    ("21", Some(n)) => provider = Some(read_provider(n)),
                    _ => {}
                }
            }
            let Some(provider) = provider else {
                return Err(Error::InvalidInput { field: "270", reason: "subscriber loop without provider loop" });
            };
            let dependents: Vec<_> = tree.children(i).filter(|c| c.level == "23").collect();
            let subscriber_part = read_person(sub.body(), &mut payer);
            if dependents.is_empty() {
                out.push(request(payer, provider, subscriber_part, None, bht.clone()));
                continue;
            }
            for d in dependents {
                let mut payer = PayerProfile { service_types: Vec::new(), ..payer.clone() };
                let dep = read_person(d.body(), &mut payer);
                out.push(request(payer, provider.clone(), subscriber_part.clone(), Some(dep), bht.clone()));
            }
        }
    }
    if !found {
        return Err(Error::NoTransaction { expected: "270" });
    }
    Ok(out)
}

fn read_provider(n: &Segment<'_>) -> Provider {
    let kind = match n.element_or_empty(1) {
        "1P" => ProviderKind::Provider,
        "FA" => ProviderKind::Facility,
        other => ProviderKind::Other(other.to_owned()),
    };
    let qualifier = n.element_or_empty(8);
    let id = n.element_or_empty(9);
    let id = match (qualifier, Npi::parse_with(id, NpiCheck::ShapeOnly)) {
        ("XX", Ok(npi)) => ProviderId::Npi(npi),
        _ => ProviderId::Other { qualifier: qualifier.to_owned(), id: id.to_owned() },
    };
    Provider {
        kind,
        organization: n.element(2) != Some("1"),
        name: n.element_or_empty(3).to_owned(),
        given: n.element(4).map(str::to_owned),
        id,
    }
}

/// What one subscriber or dependent loop says.
#[derive(Clone, Default)]
struct Person {
    member_id: Option<String>,
    family: String,
    given: Option<String>,
    birth_date: Option<time::Date>,
    trace: Option<Trace>,
    service_date: Option<time::Date>,
}

fn read_person(body: &[Segment<'_>], payer: &mut PayerProfile) -> Person {
    let mut p = Person::default();
    for s in body {
        match s.id() {
            "NM1" => {
                p.family = s.element_or_empty(3).to_owned();
                p.given = s.element(4).map(str::to_owned);
                p.member_id = s.element(9).map(str::to_owned);
            }
            "DMG" if s.element(1) == Some("D8") => p.birth_date = s.element(2).and_then(parse_d8),
            "TRN" if p.trace.is_none() => {
                p.trace = Some(Trace {
                    reference: s.element_or_empty(2).to_owned(),
                    originator: s.element_or_empty(3).to_owned(),
                });
            }
            "DTP" if s.element(1) == Some("291") => {
                p.service_date = parse_dtp(s.element_or_empty(2), s.element_or_empty(3)).map(|(b, _)| b);
            }
            "EQ" => {
                let types: Vec<String> = s.repetitions(1).map(str::to_owned).collect();
                payer.repeat_in_one_eq |= types.len() > 1;
                payer.service_types.extend(types);
            }
            _ => {}
        }
    }
    p
}

fn request(
    payer: PayerProfile,
    provider: Provider,
    sub: Person,
    dep: Option<Person>,
    inquiry_reference: Option<String>,
) -> EligibilityRequest {
    let trace = dep.as_ref().and_then(|d| d.trace.clone()).or_else(|| sub.trace.clone());
    let service_date = dep.as_ref().and_then(|d| d.service_date).or(sub.service_date);
    EligibilityRequest {
        payer,
        provider,
        subscriber: Subscriber {
            member_id: sub.member_id,
            family: sub.family,
            given: sub.given,
            birth_date: sub.birth_date,
        },
        dependent: dep.map(|d| Dependent { family: d.family, given: d.given, birth_date: d.birth_date }),
        trace: trace.unwrap_or(Trace { reference: String::new(), originator: String::new() }),
        inquiry_reference,
        service_date,
    }
}
