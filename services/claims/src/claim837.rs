//! Turns what claims stored (prescription, claim, lines, practice settings) into the domain's
//! 837P claim and batch; pure, so the mapping is tested without a database.

use claims_domain::body_site::BodySite;
use claims_domain::claim::{
    Address, Claim, ClaimBatch, Payer, PayerResponsibility, PersonName, ReferringProvider, RenderingProvider,
    ServiceLine, Sex, Subscriber,
};
use claims_domain::lifecycle::ClaimFrequency;
use claims_domain::scrub::PrescriptionFacts;

use crate::config::Practice;
use crate::store::{ClaimRow, LineRow, PrescriptionRow};

/// CLM05-3 as stored ("1", "7", "8").
pub fn frequency(code: &str) -> ClaimFrequency {
    match code {
        "7" => ClaimFrequency::Replacement,
        "8" => ClaimFrequency::Void,
        _ => ClaimFrequency::Original,
    }
}

fn person(family: &str, given: &str) -> PersonName {
    let mut parts = given.split_whitespace();
    let first = parts.next().unwrap_or_default().to_owned();
    let middle: Vec<&str> = parts.collect();
    PersonName {
        last: if family.trim().is_empty() { "UNKNOWN".to_owned() } else { family.trim().to_owned() },
        first,
        middle: if middle.is_empty() { None } else { Some(middle.join(" ")) },
    }
}

/// The claim as the 837P carries it. The patient is billed as the subscriber (events carry no
/// separate policy holder yet).
pub fn domain_claim(p: &PrescriptionRow, c: &ClaimRow, lines: &[LineRow], practice: &Practice) -> Claim {
    let pointers: Vec<u8> = (1..=u8::try_from(c.diagnoses.len().min(4)).unwrap_or(4)).collect();
    let rendering = (c.rendering_npi != practice.billing_provider.npi).then(|| {
        let therapist = practice.therapists.get(&c.rendering_npi);
        RenderingProvider {
            name: therapist.map_or_else(|| person("THERAPIST", ""), |t| person(&t.last, &t.first)),
            npi: c.rendering_npi.clone(),
            taxonomy: therapist.map_or_else(|| "225700000X".to_owned(), |t| t.taxonomy.clone()),
        }
    });
    let payer_id = if p.payer_id.trim().is_empty() { practice.receiver.id.clone() } else { p.payer_id.clone() };
    let payer_name = if p.payer_name.trim().is_empty() { payer_id.clone() } else { p.payer_name.clone() };
    Claim {
        patient_control_number: c.patient_control_number.clone(),
        frequency: frequency(&c.frequency_code),
        payer_claim_control_number: c.payer_claim_control_number.clone(),
        place_of_service: c.place_of_service.clone(),
        onset_date: None,
        referral_number: None,
        prior_authorization: c.prior_authorization.clone(),
        diagnoses: c.diagnoses.clone(),
        subscriber: Subscriber {
            name: person(&p.patient_family, &p.patient_given),
            member_id: p.member_id.clone(),
            address: patient_address(p),
            birth_date: p.patient_birth_date,
            sex: match p.patient_sex.as_str() {
                "F" => Some(Sex::Female),
                "M" => Some(Sex::Male),
                _ => None,
            },
            group_number: None,
            responsibility: PayerResponsibility::Primary,
            claim_filing_code: "CI".to_owned(),
        },
        patient: None,
        payer: Payer { name: payer_name, payer_id },
        referring: Some(ReferringProvider {
            name: person(&p.prescriber_family, &p.prescriber_given),
            npi: p.prescriber_npi.clone(),
        }),
        rendering,
        lines: (1..)
            .zip(lines)
            .map(|(n, l)| ServiceLine {
                procedure_code: l.code.clone(),
                modifiers: l.modifiers.clone(),
                units: l.units,
                minutes: Some(l.minutes),
                place_of_service: None,
                diagnosis_pointers: pointers.clone(),
                date_of_service: c.date_of_service,
                line_control_number: Some(format!("{}-{n}", c.patient_control_number)),
            })
            .collect(),
    }
}

/// The stored patient address, when intake knew one.
pub fn patient_address(p: &PrescriptionRow) -> Option<Address> {
    let v: serde_json::Value = serde_json::from_str(p.patient_address.as_deref()?).ok()?;
    let field = |name: &str| v.get(name).and_then(|x| x.as_str()).map(str::trim).unwrap_or_default().to_owned();
    let line2 = field("line2");
    let address = Address {
        line1: field("line1"),
        line2: (!line2.is_empty()).then_some(line2),
        city: field("city"),
        state: field("state"),
        postal_code: field("postal_code"),
    };
    (!address.line1.is_empty() && !address.city.is_empty()).then_some(address)
}

/// What the 837P needs about the patient and the claims database may lack (events from older
/// intake versions carry no address): reported like a scrub finding.
pub fn demographics_findings(p: &PrescriptionRow) -> Vec<String> {
    let mut out = Vec::new();
    if patient_address(p).is_none() {
        out.push("patient_address_missing: the patient's postal address is unknown".to_owned());
    }
    if p.patient_birth_date.is_none() {
        out.push("patient_birth_date_missing: the patient's date of birth is unknown".to_owned());
    }
    if p.member_id.trim().is_empty() {
        out.push("member_id_missing: the patient's member id is unknown".to_owned());
    }
    out
}

/// One claim in a batch of its own (claims are sent as sessions are recorded).
pub fn batch(claim: Claim, practice: &Practice) -> ClaimBatch {
    ClaimBatch {
        reference: claim.patient_control_number.clone(),
        submitter: practice.submitter.clone(),
        receiver: practice.receiver.clone(),
        billing_provider: practice.billing_provider.clone(),
        claims: vec![claim],
    }
}

pub fn prescription_facts(p: &PrescriptionRow) -> PrescriptionFacts {
    PrescriptionFacts { written_on: p.valid_from, treatment_ends_on: p.valid_until, diagnoses: p.diagnoses.clone() }
}

/// The stored body sites (`[{"region", "laterality"}]`) as the scope rules read them; a site
/// no rule understands is left out (and so cannot cover anything).
pub fn stored_sites(json: &str) -> Vec<BodySite> {
    let list: Vec<serde_json::Value> = serde_json::from_str(json).unwrap_or_default();
    list.iter()
        .filter_map(|v| {
            let region = v.get("region")?.as_str()?;
            let side = v.get("laterality").and_then(|s| s.as_str()).unwrap_or_default();
            BodySite::parse(&format!("{side} {region}")).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use time::macros::date;
    use uuid::Uuid;

    use super::*;

    fn prescription() -> PrescriptionRow {
        PrescriptionRow {
            id: Uuid::nil(),
            clinic_id: "c1".into(),
            patient_id: Uuid::nil(),
            patient_family: "TESTPATIENT".into(),
            patient_given: "AVERY JO".into(),
            patient_birth_date: Some(date!(1980 - 01 - 01)),
            patient_sex: "F".into(),
            patient_address: Some(r#"{"line1": "1 SAMPLE ROAD", "city": "SPRINGFIELD", "state": "IL", "postal_code": "62702"}"#.into()),
            payer_id: String::new(),
            payer_name: String::new(),
            member_id: "MEM1".into(),
            relationship: "subscriber".into(),
            prescriber_npi: "1245319599".into(),
            prescriber_family: "DOC".into(),
            prescriber_given: "JORDAN".into(),
            diagnoses: vec!["M54.50".into(), "M54.2".into(), "M62.830".into(), "M25.511".into(), "M79.1".into()],
            procedures: vec!["97124".into()],
            sessions: 4,
            valid_from: date!(2026 - 01 - 01),
            valid_until: date!(2026 - 03 - 01),
            body_sites: r#"[{"region": "lumbar spine", "laterality": ""}, {"region": "shoulder", "laterality": "left"}, {"region": "elsewhere", "laterality": ""}]"#.into(),
        }
    }

    fn claim(rendering: &str, frequency: &str) -> ClaimRow {
        ClaimRow {
            id: Uuid::nil(),
            clinic_id: "c1".into(),
            prescription_id: Uuid::nil(),
            patient_id: Uuid::nil(),
            patient_control_number: "RX0000000001".into(),
            payer_claim_control_number: Some("SIM1".into()),
            state: "draft".into(),
            frequency_code: frequency.into(),
            attempts: 0,
            diagnoses: prescription().diagnoses,
            prior_authorization: None,
            place_of_service: "11".into(),
            rendering_npi: rendering.into(),
            date_of_service: date!(2026 - 01 - 10),
            total_charge: Decimal::new(16500, 2),
            paid: Decimal::ZERO,
            patient_responsibility: Decimal::ZERO,
            scrub_findings: Vec::new(),
            next_action: String::new(),
            last_group_control_number: None,
        }
    }

    fn line() -> LineRow {
        LineRow {
            code: "97124".into(),
            modifiers: vec!["GP".into()],
            minutes: 38,
            units: 3,
            charge: Decimal::new(12000, 2),
        }
    }

    #[test]
    fn the_stored_rows_become_the_837p_claim() {
        let practice = Practice::default();
        let c = domain_claim(&prescription(), &claim("1003000126", "7"), &[line()], &practice);
        assert_eq!(c.frequency, ClaimFrequency::Replacement);
        assert_eq!(c.subscriber.name.first, "AVERY");
        assert_eq!(c.subscriber.name.middle.as_deref(), Some("JO"));
        assert_eq!(c.subscriber.sex, Some(Sex::Female));
        assert_eq!(c.subscriber.address.as_ref().map(|a| a.postal_code.as_str()), Some("62702"));
        // no payer on the prescription: the receiver stands in
        assert_eq!(c.payer.payer_id, practice.receiver.id);
        // at most four pointers per line, to the first diagnoses
        assert_eq!(c.lines.first().map(|l| l.diagnosis_pointers.clone()), Some(vec![1, 2, 3, 4]));
        assert_eq!(c.lines.first().and_then(|l| l.line_control_number.clone()).as_deref(), Some("RX0000000001-1"));
        assert_eq!(c.rendering.as_ref().map(|r| r.name.last.as_str()), Some("THERAPIST"));
        let own = domain_claim(&prescription(), &claim(&practice.billing_provider.npi, "1"), &[line()], &practice);
        assert!(own.rendering.is_none(), "the billing provider renders: no 2310B");
    }

    #[test]
    fn missing_demographics_are_reported_not_guessed() {
        assert!(demographics_findings(&prescription()).is_empty());
        let mut p = prescription();
        p.patient_address = None;
        p.patient_birth_date = None;
        let codes: Vec<String> =
            demographics_findings(&p).iter().filter_map(|f| f.split(':').next().map(str::to_owned)).collect();
        assert_eq!(codes, ["patient_address_missing", "patient_birth_date_missing"]);
    }

    #[test]
    fn stored_sites_keep_what_the_scope_rules_understand() {
        let sites = stored_sites(&prescription().body_sites);
        assert_eq!(sites.len(), 2);
        assert!(stored_sites("not json").is_empty());
    }
}
