//! The documents the load submits: the synthetic HL7 v2 ORM^O01 and FHIR Bundle of the test
//! fixtures, rewritten for one of payer-sim's example members, dated around today, and made
//! unique per submission (control id, placer number, identifiers).

use time::{Date, Duration as Days, OffsetDateTime};

const ORM: &str = include_str!("../../../tests/fixtures/synthetic/hl7v2_orm_o01_massage_order_v23.hl7");
const BUNDLE: &str = include_str!("../../intake/domain/tests/data/fhir_bundle_massage_prescription.json");

/// A member `services/payer-sim/examples/plans.json` knows (synthetic people only).
#[derive(Debug, Clone, Copy)]
pub struct Member {
    pub member_id: &'static str,
    /// The clinic's record number for the person (HL7 PID-3, the FHIR Patient's identifier and
    /// id): one per person, as a sending system keeps them. The fixtures give every document
    /// the same one, which would make intake repoint it from person to person on every document.
    pub mrn: &'static str,
    pub family: &'static str,
    pub given: &'static str,
    /// YYYYMMDD
    pub birth: &'static str,
}

pub const PAYER_ID: &str = "SIMPAYER";

pub const MEMBERS: [Member; 3] = [
    Member { member_id: "SIM100001", mrn: "LOADPT01", family: "TESTPATIENT", given: "ALEX", birth: "19800412" },
    Member { member_id: "SIM100002", mrn: "LOADPT02", family: "SAMPLEPERSON", given: "JORDAN", birth: "19750930" },
    Member { member_id: "SIM100003", mrn: "LOADPT03", family: "EXAMPLECASE", given: "RIVER", birth: "19900101" },
];

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

    fn compact(d: Date) -> String {
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
pub fn hl7(n: u64, member: Member, dates: Dates) -> Vec<u8> {
    let [written, from, until, plan_from, plan_until] = dates.offsets().map(Dates::compact);
    ORM.replace("20260105101500", &format!("{written}101500"))
        .replace("20260106", &from)
        .replace("20260203", &until)
        .replace("20260101", &plan_from)
        .replace("20261231", &plan_until)
        .replace("MSG0001", &format!("LOAD{n:010}"))
        .replace("RX0001", &format!("LRX{n:010}"))
        .replace("TESTPATIENT^AVERY", &format!("{}^{}", member.family, member.given))
        .replace("19800101", member.birth)
        .replace("MEM0000001", member.member_id)
        .replace("MRN0001", member.mrn)
        .replace("PAYER01", PAYER_ID)
        .replace("1122334455", NPI)
        .into_bytes()
}

/// The FHIR Bundle number `n` for `member`.
pub fn fhir(n: u64, member: Member, dates: Dates) -> Vec<u8> {
    let [written, from, until, plan_from, _] = dates.offsets().map(Dates::iso);
    let birth = format!("{}-{}-{}", &member.birth[..4], &member.birth[4..6], &member.birth[6..]);
    BUNDLE
        .replace("2026-01-05", &written)
        .replace("2026-01-06", &from)
        .replace("2026-02-03", &until)
        .replace("2026-01-01", &plan_from)
        .replace("FAX-20260105-0001", &format!("LOAD-{n:010}"))
        .replace("synthetic-massage-rx-1", &format!("load-rx-{n}"))
        .replace("Testpatient", &title(member.family))
        .replace("Avery", &title(member.given))
        .replace("1980-01-01", &birth)
        .replace("MEM0000001", member.member_id)
        .replace("MRN0001", member.mrn)
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
        let m = MEMBERS[1];
        for doc in [hl7(7, m, dates), fhir(7, m, dates)] {
            let text = String::from_utf8(doc).unwrap();
            assert!(text.contains(m.member_id) && text.contains(PAYER_ID), "{text}");
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
