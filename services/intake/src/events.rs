//! What intake publishes: `prescription.accepted.v1` (everything benefits and claims need),
//! `prescription.needs_review.v1` and `prescription.rejected.v1`. Intake consumes no events.

use intake_domain::Laterality;
use prost::Message;
use rx_messaging::NewEvent;
use rx_proto::common::v1::{BodySite, Date as ProtoDate, PersonName};
use rx_proto::events::v1::{
    CoverageHint, EventMeta, PostalAddress, PrescriptionAccepted, PrescriptionNeedsReview, PrescriptionRejected,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::canonical::{self as c, Canonical};
use crate::store::Record;

pub const PRESCRIPTION_ACCEPTED: &str = "prescription.accepted.v1";
pub const PRESCRIPTION_NEEDS_REVIEW: &str = "prescription.needs_review.v1";
pub const PRESCRIPTION_REJECTED: &str = "prescription.rejected.v1";

fn meta(clinic_id: &str) -> Option<EventMeta> {
    Some(EventMeta {
        event_id: Uuid::now_v7().to_string(),
        clinic_id: clinic_id.to_owned(),
        occurred_at: OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default(),
    })
}

/// A `common.v1.Date`.
pub fn proto_date(date: time::Date) -> ProtoDate {
    ProtoDate { year: date.year(), month: i32::from(u8::from(date.month())), day: i32::from(date.day()) }
}

/// Splits a prescriber's name as written ("Dr Jordan Exampledoc, MD", "EXAMPLEDOC, JORDAN")
/// into family and given names.
pub fn split_name(raw: &str) -> PersonName {
    const TITLES: &[&str] = &["dr", "dr.", "md", "m.d.", "do", "d.o.", "np", "pa", "pa-c", "dpm", "dc"];
    let cleaned: Vec<&str> = raw
        .split(|ch: char| ch.is_whitespace() || ch == ',')
        .filter(|w| !w.is_empty() && !TITLES.contains(&w.to_ascii_lowercase().as_str()))
        .collect();
    let comma_first = raw.split_once(',').map(|(a, _)| a.split_whitespace().count() == 1).unwrap_or(false)
        && !raw.to_ascii_lowercase().trim_end().ends_with("md");
    match cleaned.as_slice() {
        [] => PersonName::default(),
        [one] => PersonName { family: (*one).to_owned(), given: String::new() },
        [first, rest @ ..] if comma_first => PersonName { family: (*first).to_owned(), given: rest.join(" ") },
        [init @ .., last] => PersonName { family: (*last).to_owned(), given: init.join(" ") },
    }
}

/// Body sites as the events carry them: region and side.
pub fn body_sites(canonical: &Canonical) -> Vec<BodySite> {
    canonical
        .values(c::BODY_SITES)
        .iter()
        .flat_map(|v| intake_domain::find_body_sites(v))
        .map(|s| BodySite {
            region: s.region.name().to_owned(),
            laterality: match s.laterality {
                Some(Laterality::Left) => "left",
                Some(Laterality::Right) => "right",
                Some(Laterality::Bilateral) => "bilateral",
                None => "",
            }
            .to_owned(),
        })
        .collect()
}

/// The accepted event: every field benefits and claims use.
pub fn accepted(record: &Record) -> NewEvent {
    let cn = &record.canonical;
    let text = |name| cn.first(name).unwrap_or_default().to_owned();
    let event = PrescriptionAccepted {
        meta: meta(&record.clinic_id),
        prescription_id: record.id.to_string(),
        patient_id: record.patient_id.map(|p| p.to_string()).unwrap_or_default(),
        patient_name: Some(PersonName { family: text(c::FAMILY), given: text(c::GIVEN) }),
        patient_birth_date: cn.date(c::BIRTH_DATE).map(proto_date),
        coverage: Some(CoverageHint {
            payer_id: text(c::PAYER_ID),
            payer_name: text(c::PAYER_NAME),
            member_id: text(c::MEMBER_ID),
            relationship: String::new(),
        }),
        prescriber_npi: text(c::NPI),
        prescriber_name: cn.first(c::PRESCRIBER_NAME).map(split_name),
        diagnoses: cn.values(c::DIAGNOSES).to_vec(),
        procedures: cn.values(c::PROCEDURES).to_vec(),
        sessions: cn.number(c::SESSIONS).unwrap_or_default(),
        per_week: cn.number(c::PER_WEEK).unwrap_or_default(),
        weeks: cn.number(c::WEEKS).unwrap_or_default(),
        minutes_per_session: cn.number(c::MINUTES).unwrap_or_default(),
        body_sites: body_sites(cn),
        valid_from: record.valid_from.map(proto_date),
        valid_until: record.valid_until.map(proto_date),
        patient_address: cn.address().map(|a| PostalAddress {
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            state: a.state,
            postal_code: a.postal_code,
        }),
        patient_sex: match cn.first(c::SEX) {
            Some("female") => "F".into(),
            Some("male") => "M".into(),
            _ => String::new(),
        },
    };
    NewEvent {
        routing_key: PRESCRIPTION_ACCEPTED.into(),
        clinic_id: record.clinic_id.clone(),
        payload: event.encode_to_vec(),
    }
}

/// The needs-review event with the reasons.
pub fn needs_review(record: &Record, reasons: &[String]) -> NewEvent {
    let event = PrescriptionNeedsReview {
        meta: meta(&record.clinic_id),
        prescription_id: record.id.to_string(),
        reasons: reasons.to_vec(),
    };
    NewEvent {
        routing_key: PRESCRIPTION_NEEDS_REVIEW.into(),
        clinic_id: record.clinic_id.clone(),
        payload: event.encode_to_vec(),
    }
}

/// The rejected event with the reviewer's reason.
pub fn rejected(record: &Record, reason: &str) -> NewEvent {
    let event = PrescriptionRejected {
        meta: meta(&record.clinic_id),
        prescription_id: record.id.to_string(),
        reason: reason.into(),
    };
    NewEvent {
        routing_key: PRESCRIPTION_REJECTED.into(),
        clinic_id: record.clinic_id.clone(),
        payload: event.encode_to_vec(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn prescriber_names_split_into_family_and_given() {
        let n = split_name("Dr Jordan Exampledoc");
        assert_eq!((n.family.as_str(), n.given.as_str()), ("Exampledoc", "Jordan"));
        let n = split_name("JORDAN EXAMPLEDOC");
        assert_eq!((n.family.as_str(), n.given.as_str()), ("EXAMPLEDOC", "JORDAN"));
        let n = split_name("Exampledoc, Jordan");
        assert_eq!((n.family.as_str(), n.given.as_str()), ("Exampledoc", "Jordan"));
        let n = split_name("Dana Whitfield, MD");
        assert_eq!((n.family.as_str(), n.given.as_str()), ("Whitfield", "Dana"));
    }
}
