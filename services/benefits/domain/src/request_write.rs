//! Writes 270 inquiries (005010X279A1): one transaction set per request, HL 20 payer, HL 21
//! provider, HL 22 subscriber, HL 23 dependent when the patient is one.

use rx_x12::{ControlNumbers, Envelope, FunctionalGroup, OwnedSegment, TransactionSet};

use crate::error::Error;
use crate::request::{Dependent, EligibilityRequest, ProviderId};
use crate::values::format_d8;

/// The implementation guide written in GS08 and ST03.
pub const X279A1: &str = "005010X279A1";

/// Writes one interchange with one HS group holding one 270 per request. Control numbers are
/// the caller's (persisted per trading partner).
pub fn build_270(
    requests: &[EligibilityRequest],
    envelope: &Envelope,
    numbers: ControlNumbers,
) -> Result<String, Error> {
    if requests.is_empty() {
        return Err(Error::InvalidInput { field: "requests", reason: "at least one request is needed" });
    }
    let transactions = requests
        .iter()
        .map(|r| Ok(TransactionSet::new("270", Some(X279A1), body(r, envelope)?)))
        .collect::<Result<Vec<_>, Error>>()?;
    let group = FunctionalGroup::new("HS", X279A1, transactions);
    Ok(rx_x12::write(envelope, &[group], numbers)?)
}

fn require(value: &str, field: &'static str) -> Result<(), Error> {
    if value.trim().is_empty() { Err(Error::InvalidInput { field, reason: "must not be empty" }) } else { Ok(()) }
}

fn body(r: &EligibilityRequest, envelope: &Envelope) -> Result<Vec<OwnedSegment>, Error> {
    require(&r.payer.name, "payer name")?;
    require(&r.payer.payer_id, "payer id")?;
    require(&r.provider.name, "provider name")?;
    require(&r.subscriber.family, "subscriber family name")?;
    require(&r.trace.reference, "trace reference")?;
    if r.trace.originator.len() != 10 {
        return Err(Error::InvalidInput { field: "trace originator", reason: "must be 10 characters" });
    }
    if r.payer.service_types.is_empty() {
        return Err(Error::InvalidInput { field: "service types", reason: "at least one is needed" });
    }
    let dt = envelope.date_time;
    let mut segs = vec![
        OwnedSegment::new("BHT")
            .element("0022")
            .element("13")
            .element(r.inquiry_reference.as_deref().unwrap_or(&r.trace.reference))
            .element(format_d8(dt.date()))
            .element(format!("{:02}{:02}", dt.hour(), dt.minute())),
        OwnedSegment::new("HL").element("1").empty().element("20").element("1"),
        OwnedSegment::new("NM1")
            .element("PR")
            .element("2")
            .element(&r.payer.name)
            .empty()
            .empty()
            .empty()
            .empty()
            .element("PI")
            .element(&r.payer.payer_id),
        OwnedSegment::new("HL").element("2").element("1").element("21").element("1"),
    ];
    let p = &r.provider;
    let (qualifier, id) = match &p.id {
        ProviderId::Npi(npi) => ("XX", npi.as_str()),
        ProviderId::Other { qualifier, id } => (qualifier.as_str(), id.as_str()),
    };
    segs.push(
        OwnedSegment::new("NM1")
            .element(p.kind.code())
            .element(if p.organization { "2" } else { "1" })
            .element(&p.name)
            .optional(p.given.as_deref())
            .empty()
            .empty()
            .empty()
            .element(qualifier)
            .element(id),
    );
    let has_dependent = r.dependent.is_some();
    segs.push(OwnedSegment::new("HL").element("3").element("2").element("22").element(if has_dependent {
        "1"
    } else {
        "0"
    }));
    let trace = OwnedSegment::new("TRN").element("1").element(&r.trace.reference).element(&r.trace.originator);
    if !has_dependent {
        segs.push(trace.clone());
    }
    let s = &r.subscriber;
    let mut nm1 = OwnedSegment::new("NM1").element("IL").element("1").element(&s.family).optional(s.given.as_deref());
    if let Some(id) = &s.member_id {
        nm1 = nm1.empty().empty().empty().element("MI").element(id);
    }
    segs.push(nm1);
    if let Some(dob) = s.birth_date {
        segs.push(OwnedSegment::new("DMG").element("D8").element(format_d8(dob)));
    }
    match &r.dependent {
        None => inquiry(r, &mut segs),
        Some(d) => {
            require(&d.family, "dependent family name")?;
            segs.push(OwnedSegment::new("HL").element("4").element("3").element("23").element("0"));
            segs.push(trace);
            dependent(d, &mut segs);
            inquiry(r, &mut segs);
        }
    }
    Ok(segs)
}

fn dependent(d: &Dependent, segs: &mut Vec<OwnedSegment>) {
    segs.push(OwnedSegment::new("NM1").element("03").element("1").element(&d.family).optional(d.given.as_deref()));
    if let Some(dob) = d.birth_date {
        segs.push(OwnedSegment::new("DMG").element("D8").element(format_d8(dob)));
    }
}

/// DTP*291 and the EQ loop(s) of the patient's level.
fn inquiry(r: &EligibilityRequest, segs: &mut Vec<OwnedSegment>) {
    if let Some(date) = r.service_date {
        segs.push(OwnedSegment::new("DTP").element("291").element("D8").element(format_d8(date)));
    }
    let types = &r.payer.service_types;
    if r.payer.repeat_in_one_eq {
        segs.push(OwnedSegment::new("EQ").repeated(types.iter().map(String::as_str)));
    } else {
        segs.extend(types.iter().map(|t| OwnedSegment::new("EQ").element(t)));
    }
}
