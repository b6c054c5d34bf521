//! The documents the load submits: the synthetic HL7 v2 ORM^O01 and FHIR Bundle of the test
//! fixtures, rewritten for one of payer-sim's example members, dated around today, and made
//! unique per submission (control id, placer number, identifiers).

use time::{Date, Duration as Days, OffsetDateTime};

const ORM: &str = include_str!("../../../tests/fixtures/synthetic/hl7v2_orm_o01_massage_order_v23.hl7");
const BUNDLE: &str = include_str!("../../intake/domain/tests/data/fhir_bundle_massage_prescription.json");

/// A synthetic person with a plan at the simulated payer: the three of
/// `services/payer-sim/examples/plans.json`, then as many generated ones as the run asks for
/// (`rxbridge loadtest --write-plans` tells payer-sim about them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub member_id: String,
    /// The clinic's record number for the person (HL7 PID-3, the FHIR Patient's identifier and
    /// id): one per person, as a sending system keeps them. The fixtures give every document
    /// the same one, which would make intake repoint it from person to person on every document.
    pub mrn: String,
    pub family: String,
    pub given: String,
    /// YYYYMMDD
    pub birth: String,
}

pub const PAYER_ID: &str = "SIMPAYER";

/// The members of payer-sim's example plans file.
const EXAMPLE_MEMBERS: [(&str, &str, &str, &str, &str); 3] = [
    ("SIM100001", "LOADPT01", "TESTPATIENT", "ALEX", "19800412"),
    ("SIM100002", "LOADPT02", "SAMPLEPERSON", "JORDAN", "19750930"),
    ("SIM100003", "LOADPT03", "EXAMPLECASE", "RIVER", "19900101"),
];

const GIVEN: [&str; 8] = ["ALEX", "JORDAN", "RIVER", "SAM", "ROBIN", "CASEY", "TAYLOR", "MORGAN"];

/// `n` members (at least one): the example ones first, then generated people with their own
/// member id, record number, made-up family name and birth date.
pub fn members(n: usize) -> Vec<Member> {
    (0..n.max(1))
        .map(|i| match EXAMPLE_MEMBERS.get(i) {
            Some((member_id, mrn, family, given, birth)) => Member {
                member_id: (*member_id).into(),
                mrn: (*mrn).into(),
                family: (*family).into(),
                given: (*given).into(),
                birth: (*birth).into(),
            },
            None => generated(i),
        })
        .collect()
}

fn generated(i: usize) -> Member {
    // letters only, as a family name is: two syllables per base-100 digit of i
    const SYLLABLES: [&str; 10] = ["KA", "LO", "MI", "NE", "RU", "SA", "TO", "VE", "DI", "BO"];
    let mut family = String::from("LOAD");
    let mut rest = i;
    for _ in 0..3 {
        family.push_str(SYLLABLES[rest % 10]);
        rest /= 10;
    }
    let birth = Date::from_calendar_date(1950, time::Month::January, 1).unwrap_or(Date::MIN)
        + Days::days(((i * 379) % 18_000) as i64);
    Member {
        member_id: format!("SIM2{i:05}"),
        mrn: format!("LOADPT{i:05}"),
        family,
        given: GIVEN[i % GIVEN.len()].into(),
        birth: Dates::compact(birth),
    }
}

/// payer-sim's plans file for `members`: the template's payer and members, and each generated
/// member with the plan of one of the three example members (in turn).
pub fn plans(template: &serde_json::Value, members: &[Member]) -> anyhow::Result<serde_json::Value> {
    let mut plans = template.clone();
    let known = plans["eligibility"]["members"]
        .as_array()
        .filter(|m| !m.is_empty())
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the plans template lists no eligibility members"))?;
    // the generated follow the plans of the example members (active, with benefits)
    let examples: Vec<&serde_json::Value> =
        EXAMPLE_MEMBERS.iter().filter_map(|(id, ..)| known.iter().find(|m| m["member_id"] == *id)).collect();
    anyhow::ensure!(examples.len() == EXAMPLE_MEMBERS.len(), "the plans template lacks the example members");
    let mut all = known.clone();
    for (i, m) in members.iter().enumerate().skip(EXAMPLE_MEMBERS.len()) {
        let mut entry = examples[i % examples.len()].clone();
        let birth = format!("{}-{}-{}", &m.birth[..4], &m.birth[4..6], &m.birth[6..]);
        entry["member_id"] = m.member_id.clone().into();
        entry["family"] = m.family.clone().into();
        entry["given"] = m.given.clone().into();
        entry["birth_date"] = birth.into();
        all.push(entry);
    }
    plans["eligibility"]["members"] = all.into();
    Ok(plans)
}

/// A prescriber NPI with a valid check digit.
const NPI: &str = "1234567893";

/// Dates around today: written today, valid from yesterday for four weeks, plan year around it.
#[derive(Debug, Clone, Copy)]
pub struct Dates {
    pub today: Date,
}

impl Dates {
    pub fn now() -> Self {
        Self { today: OffsetDateTime::now_utc().date() }
    }

    pub(crate) fn compact(d: Date) -> String {
        format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
    }

    fn iso(d: Date) -> String {
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }

    fn offsets(self) -> [Date; 5] {
        let t = self.today;
        [t, t - Days::days(1), t + Days::days(27), t - Days::days(30), t + Days::days(335)]
    }
}

/// The HL7 v2 order number `n` for `member`.
pub fn hl7(n: u64, member: &Member, dates: Dates) -> Vec<u8> {
    let [written, from, until, plan_from, plan_until] = dates.offsets().map(Dates::compact);
    ORM.replace("20260105101500", &format!("{written}101500"))
        .replace("20260106", &from)
        .replace("20260203", &until)
        .replace("20260101", &plan_from)
        .replace("20261231", &plan_until)
        .replace("MSG0001", &format!("LOAD{n:010}"))
        .replace("RX0001", &format!("LRX{n:010}"))
        .replace("TESTPATIENT^AVERY", &format!("{}^{}", member.family, member.given))
        .replace("19800101", &member.birth)
        .replace("MEM0000001", &member.member_id)
        .replace("MRN0001", &member.mrn)
        .replace("PAYER01", PAYER_ID)
        .replace("1122334455", NPI)
        .into_bytes()
}

/// The FHIR Bundle number `n` for `member`.
pub fn fhir(n: u64, member: &Member, dates: Dates) -> Vec<u8> {
    let [written, from, until, plan_from, _] = dates.offsets().map(Dates::iso);
    let birth = format!("{}-{}-{}", &member.birth[..4], &member.birth[4..6], &member.birth[6..]);
    BUNDLE
        .replace("2026-01-05", &written)
        .replace("2026-01-06", &from)
        .replace("2026-02-03", &until)
        .replace("2026-01-01", &plan_from)
        .replace("FAX-20260105-0001", &format!("LOAD-{n:010}"))
        .replace("synthetic-massage-rx-1", &format!("load-rx-{n}"))
        .replace("Testpatient", &title(&member.family))
        .replace("Avery", &title(&member.given))
        .replace("1980-01-01", &birth)
        .replace("MEM0000001", &member.member_id)
        .replace("MRN0001", &member.mrn)
        .replace("synthetic-patient-1", &format!("load-patient-{}", member.mrn))
        .replace("PAYER01", PAYER_ID)
        .replace("1122334455", NPI)
        .into_bytes()
}

fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        if i == 0 { out.push(c) } else { out.extend(c.to_lowercase()) }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_name_the_member_and_none_of_the_template() {
        let dates = Dates { today: time::macros::date!(2026 - 12 - 06) };
        let crowd = members(5);
        for m in [&crowd[1], &crowd[4]] {
            for doc in [hl7(7, m, dates), fhir(7, m, dates)] {
                let text = String::from_utf8(doc).unwrap();
                assert!(text.contains(&m.member_id) && text.contains(&m.mrn) && text.contains(PAYER_ID), "{text}");
                for template in [
                    "MEM0000001",
                    "MRN0001",
                    "synthetic-patient-1",
                    "PAYER01",
                    "1122334455",
                    "AVERY",
                    "Avery",
                    "20260106",
                    "2026-01-06",
                ] {
                    assert!(!text.contains(template), "{template} left in {text}");
                }
            }
            assert_ne!(hl7(1, m, dates), hl7(2, m, dates));
            assert_ne!(fhir(1, m, dates), fhir(2, m, dates));
        }
    }

    #[test]
    fn generated_members_are_distinct_people_that_the_plans_file_knows() {
        let crowd = members(500);
        assert_eq!(crowd[0].member_id, "SIM100001");
        let ids: std::collections::BTreeSet<_> = crowd.iter().map(|m| &m.member_id).collect();
        let people: std::collections::BTreeSet<_> = crowd.iter().map(|m| (&m.family, &m.given, &m.birth)).collect();
        let mrns: std::collections::BTreeSet<_> = crowd.iter().map(|m| &m.mrn).collect();
        assert_eq!((ids.len(), people.len(), mrns.len()), (500, 500, 500));
        assert!(crowd.iter().all(|m| m.family.chars().all(|c| c.is_ascii_uppercase())));

        let template: serde_json::Value =
            serde_json::from_str(include_str!("../../payer-sim/examples/plans.json")).unwrap();
        let plans = plans(&template, &crowd).unwrap();
        let listed = plans["eligibility"]["members"].as_array().unwrap();
        let in_template = template["eligibility"]["members"].as_array().unwrap().len();
        assert_eq!(listed.len(), in_template + 497);
        let m = &crowd[321];
        let entry = listed.iter().find(|e| e["member_id"] == m.member_id.as_str()).unwrap();
        let birth = format!("{}-{}-{}", &m.birth[..4], &m.birth[4..6], &m.birth[6..]);
        assert_eq!(
            (entry["family"].as_str(), entry["birth_date"].as_str()),
            (Some(m.family.as_str()), Some(birth.as_str()))
        );
        assert_eq!(entry["benefits"], listed[321 % 3]["benefits"], "the plan of the example member it follows");
        // payer-sim reads it
        let _: rx_payer_sim::SimConfig = serde_json::from_value(plans).unwrap();
    }
}
