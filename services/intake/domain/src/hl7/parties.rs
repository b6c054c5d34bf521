//! Patient (PID), insurance (IN1) and prescriber (ORC-12, OBR-16, PRD, ROL, PV1-8).

use rx_hl7v2::{Field, Message, Segment};

use super::at;
use crate::dates::parse_hl7_ts;
use crate::model::{PostalAddress, Prescription, Sex, Sourced};

/// Confidence of a ten-digit provider id not marked as an NPI.
const UNMARKED_NPI: f32 = 0.8;

/// The OID of the NPI code system, used as an assigning authority.
const NPI_OID: &str = "2.16.840.1.113883.4.6";

/// PID-5 name, PID-7 birth date, PID-8 sex.
pub fn patient(msg: &Message<'_>, rx: &mut Prescription) {
    let Some(pid) = msg.segment("PID") else { return };
    let name = pid.field(5);
    let family = name.component(1).subcomponent(1);
    let given = name.component(2).text();
    if !family.trim().is_empty() {
        rx.patient.family = Some(Sourced::exact(family.trim().to_owned(), at(&pid, 5, Some(1))));
    }
    if !given.trim().is_empty() {
        rx.patient.given = Some(Sourced::exact(given.trim().to_owned(), at(&pid, 5, Some(2))));
    }
    // PID-3: the sender's patient ids (CX: id ^^^ assigning authority), as `authority|id`.
    for cx in pid.field(3).repetitions() {
        let (id, authority) = (cx.component(1).text(), cx.component(4).subcomponent(1));
        if !id.trim().is_empty() && !authority.trim().is_empty() {
            rx.patient.add_reference(format!("{}|{}", authority.trim(), id.trim()), at(&pid, 3, Some(1)));
        }
    }
    if let Some(dob) = parse_hl7_ts(pid.field(7).component(1).raw()) {
        rx.patient.birth_date = Some(Sourced::exact(dob, at(&pid, 7, None)));
    }
    let sex = match pid.field(8).component(1).raw() {
        "F" => Some(Sex::Female),
        "M" => Some(Sex::Male),
        "O" | "A" | "N" => Some(Sex::Other),
        "U" => Some(Sex::Unknown),
        _ => None,
    };
    if let Some(sex) = sex {
        rx.patient.sex = Some(Sourced::exact(sex, at(&pid, 8, None)));
    }
    // PID-11 (XAD): street, other designation, city, state, ZIP; the first repetition.
    let xad = pid.field(11);
    let part = |n: usize| xad.component(n).text();
    if let Some(address) = PostalAddress::new(&part(1), &part(2), &part(3), &part(4), &part(5)) {
        rx.patient.address = Some(Sourced::exact(address, at(&pid, 11, None)));
    }
}

/// The first IN1: member id from IN1-36 (policy number) or IN1-49 (insured's id), payer name
/// IN1-4, payer id IN1-3.
pub fn insurance(msg: &Message<'_>, rx: &mut Prescription) {
    let Some(in1) = msg.segment("IN1") else { return };
    let member =
        [36, 49].into_iter().map(|f| (f, in1.field(f).component(1).text())).find(|(_, v)| !v.trim().is_empty());
    if let Some((field, id)) = member {
        rx.patient.member_id = Some(Sourced::exact(id.trim().to_owned(), at(&in1, field, None)));
    }
    let name = in1.field(4).component(1).text();
    if !name.trim().is_empty() {
        rx.patient.payer_name = Some(Sourced::exact(name.trim().to_owned(), at(&in1, 4, Some(1))));
    }
    let id = in1.field(3).component(1).text();
    if !id.trim().is_empty() {
        rx.patient.payer_id = Some(Sourced::exact(id.trim().to_owned(), at(&in1, 3, Some(1))));
    }
}

/// A person read from an XCN field (id^family^given^...^assigning authority(9)^...^id type(13)).
struct Clinician {
    npi: Option<(String, f32)>,
    name: Option<String>,
}

fn from_xcn(field: Field<'_>) -> Clinician {
    let id = field.component(1).text().trim().to_owned();
    let authority = field.component(9).raw();
    let id_type = field.component(13).raw();
    let marked = id_type.eq_ignore_ascii_case("NPI")
        || authority.as_bytes().windows(3).any(|w| w.eq_ignore_ascii_case(b"NPI"))
        || authority.contains(NPI_OID);
    let conf = if marked { 1.0 } else { UNMARKED_NPI };
    let npi = is_ten_digits(&id).then_some((id, conf));
    let family = field.component(2).subcomponent(1);
    let given = field.component(3).text();
    Clinician { npi, name: join_name(&given, &family) }
}

fn is_ten_digits(s: &str) -> bool {
    s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit())
}

fn join_name(given: &str, family: &str) -> Option<String> {
    let name = format!("{} {}", given.trim(), family.trim()).trim().to_owned();
    (!name.is_empty()).then_some(name)
}

/// A clinician, the segment and field holding them, and the components of NPI and name.
type Candidate<'a> = (Clinician, Segment<'a>, usize, Option<usize>, Option<usize>);

/// The ordering or referring provider: PRD (referring), ORC-12, OBR-16, ROL, PV1-8.
pub fn prescriber(msg: &Message<'_>, rx: &mut Prescription) {
    let mut candidates: Vec<Candidate<'_>> = Vec::new();
    // The referring provider of a referral (PRD role RP) is named explicitly, so it comes first.
    for prd in msg.segments_with_id("PRD") {
        let role = prd.field(1).component(1).raw();
        if !matches!(role, "RP" | "PP" | "") {
            continue;
        }
        let name = prd.field(2);
        let npi = prd
            .field(7)
            .repetitions()
            .find(|r| r.component(2).raw().eq_ignore_ascii_case("NPI") && is_ten_digits(r.component(1).raw()))
            .map(|r| (r.component(1).raw().to_owned(), 1.0));
        let clinician =
            Clinician { npi, name: join_name(&name.component(2).text(), &name.component(1).subcomponent(1)) };
        // PRD-7 holds the NPI, PRD-2 the name: recorded by field below
        candidates.push((clinician, prd, 7, Some(1), None));
    }
    // later sources are read only while no clinician with an NPI has been found
    for (seg_id, field) in [("ORC", 12), ("OBR", 16), ("ROL", 4), ("PV1", 8)] {
        for seg in msg.segments_with_id(seg_id) {
            if candidates.iter().any(|(c, ..)| c.npi.is_some()) {
                break;
            }
            candidates.push((from_xcn(seg.field(field)), seg, field, Some(1), Some(2)));
        }
    }
    // The first clinician with an NPI is the prescriber; without any NPI, the first named one.
    let chosen = candidates
        .iter()
        .find(|(c, ..)| c.npi.is_some())
        .or_else(|| candidates.iter().find(|(c, ..)| c.name.is_some()));
    if let Some((clinician, seg, field, npi_component, name_component)) = chosen {
        if let Some((npi, conf)) = &clinician.npi {
            rx.prescriber.npi = Some(Sourced::with_confidence(npi.clone(), at(seg, *field, *npi_component), *conf));
        }
        if let Some(name) = &clinician.name {
            // a PRD keeps the name in PRD-2, an XCN in component 2 of the same field
            let name_field = if seg.id() == "PRD" { 2 } else { *field };
            rx.prescriber.name = Some(Sourced::exact(name.clone(), at(seg, name_field, *name_component)));
        }
    }
}
