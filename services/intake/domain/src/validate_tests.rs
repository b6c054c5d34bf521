//! Tests of each validation rule on a prescription that passes them all, changed one field at
//! a time.
#![allow(clippy::unwrap_used, clippy::panic)]

use time::macros::date;

use super::*;
use crate::body::{BodySite, Region};
use crate::model::{Diagnosis, Frequency, Source, Sourced};

fn src() -> Source {
    Source::Fax { line: 1 }
}

fn good() -> Prescription {
    let mut rx = Prescription::new(crate::model::SourceKind::Fax);
    rx.patient.family = Some(Sourced::exact("Quinlan".into(), src()));
    rx.patient.given = Some(Sourced::exact("Avery".into(), src()));
    rx.patient.birth_date = Some(Sourced::exact(date!(1975 - 03 - 14), src()));
    rx.prescriber.npi = Some(Sourced::exact("1234567893".into(), src()));
    rx.diagnoses.push(Sourced::exact(Diagnosis { code: "M5450".into(), text: None }, src()));
    rx.procedures.push(Sourced::exact("97124".into(), src()));
    rx.sessions = Some(Sourced::exact(8, src()));
    rx.frequency = Some(Sourced::exact(Frequency { per_week: 2, per_week_min: None, weeks: Some(4) }, src()));
    rx.body_sites.push(Sourced::exact(BodySite { region: Region::LumbarSpine, laterality: None }, src()));
    rx.written_on = Some(Sourced::exact(date!(2026 - 01 - 05), src()));
    rx
}

const TODAY: time::Date = date!(2026 - 01 - 10);

fn reasons(rx: &Prescription) -> Vec<String> {
    validate(rx, &ValidationConfig::default(), TODAY).reasons.iter().map(ToString::to_string).collect()
}

#[test]
fn the_good_prescription_is_accepted_with_its_window() {
    let v = validate(&good(), &ValidationConfig::default(), TODAY);
    assert_eq!(v.status, Status::Accepted, "{:?}", v.reasons);
    assert_eq!(v.window, Some(Window { start: date!(2026 - 01 - 05), end: Some(date!(2026 - 02 - 02)) }));
}

#[test]
fn stated_end_date_wins_for_the_window() {
    let mut rx = good();
    rx.end_of_treatment = Some(Sourced::exact(date!(2026 - 02 - 03), src()));
    assert_eq!(window(&rx).unwrap().end, Some(date!(2026 - 02 - 03)));
    rx.end_of_treatment = Some(Sourced::exact(date!(2025 - 12 - 31), src()));
    assert_eq!(reasons(&rx), ["end of treatment is before the prescription date"]);
}

#[test]
fn missing_fields() {
    let mut rx = good();
    rx.diagnoses.clear();
    rx.sessions = None;
    rx.frequency = None;
    assert_eq!(reasons(&rx), ["diagnosis code missing", "number of sessions missing", "treatment frequency missing"]);
    let mut rx = good();
    rx.patient.birth_date = None;
    rx.prescriber.npi = None;
    rx.body_sites.clear();
    assert_eq!(reasons(&rx), ["patient date of birth missing", "prescriber NPI missing", "body site missing"]);
}

#[test]
fn low_confidence_uses_the_configured_threshold() {
    let mut rx = good();
    rx.patient.birth_date.as_mut().unwrap().provenance.confidence = 0.55;
    assert_eq!(reasons(&rx), ["low confidence in patient date of birth (0.55)"]);
    let lenient = ValidationConfig { min_confidence: 0.5, ..ValidationConfig::default() };
    assert_eq!(validate(&rx, &lenient, TODAY).status, Status::Accepted);
}

#[test]
fn diagnosis_rules() {
    let mut rx = good();
    rx.diagnoses[0].value.code = "M545".into();
    assert_eq!(
        reasons(&rx),
        ["diagnosis M54.5 is a header, not a billable code: choose one of M54.50, M54.51, M54.59"]
    );
    rx.diagnoses[0].value.code = "M5458".into();
    assert_eq!(reasons(&rx), ["diagnosis M54.58 is not a valid ICD-10-CM code"]);
    rx.diagnoses[0].value.code = "E840".into();
    let r = reasons(&rx);
    assert_eq!(r.len(), 1);
    assert!(
        r[0].starts_with("primary diagnosis E84.0 is outside the reimbursable diagnoses (M00-M99, S00-T88, G43-G44"),
        "{r:?}"
    );
    // headache, neuropathy and pain are reimbursable by default
    for code in ["G44209", "G5600", "M792", "G894", "R52"] {
        rx.diagnoses[0].value.code = code.into();
        assert!(reasons(&rx).is_empty(), "{code}");
    }
    let custom = ValidationConfig { reimbursable: Icd10Set::parse(&["E84"]).unwrap(), ..ValidationConfig::default() };
    rx.diagnoses[0].value.code = "E840".into();
    assert_eq!(validate(&rx, &custom, TODAY).status, Status::Accepted);
}

#[test]
fn npi_rules_and_test_traffic() {
    let mut rx = good();
    rx.prescriber.npi.as_mut().unwrap().value = "1234567890".into();
    assert_eq!(reasons(&rx), ["prescriber NPI fails the check digit"]);
    let test_traffic = ValidationConfig { npi_check: NpiCheck::ShapeOnly, ..ValidationConfig::default() };
    assert_eq!(validate(&rx, &test_traffic, TODAY).status, Status::Accepted);
    rx.prescriber.npi.as_mut().unwrap().value = "12345".into();
    assert_eq!(reasons(&rx), ["prescriber NPI is invalid: npi must be exactly 10 digits, found 5 characters"]);
}

#[test]
fn procedures_sessions_and_age() {
    let mut rx = good();
    rx.procedures.push(Sourced::exact("99213".into(), src()));
    assert_eq!(reasons(&rx), ["procedure 99213 is not in the allowed set"]);

    let mut rx = good();
    rx.sessions.as_mut().unwrap().value = 0;
    assert_eq!(reasons(&rx), ["number of sessions must be at least 1"]);
    rx.sessions.as_mut().unwrap().value = 12;
    assert_eq!(reasons(&rx), ["12 sessions do not match 2 per week for 4 weeks (8)"]);
    rx.frequency.as_mut().unwrap().value.per_week_min = Some(1);
    rx.frequency.as_mut().unwrap().value.per_week = 3;
    assert!(reasons(&rx).is_empty(), "12 is within 1-3 per week for 4 weeks");

    let rx = good();
    let v = validate(&rx, &ValidationConfig::default(), date!(2026 - 07 - 10));
    assert_eq!(
        v.reasons.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["prescription is 186 days old (limit 180)"]
    );
    let v = validate(&rx, &ValidationConfig::default(), date!(2026 - 01 - 04));
    assert_eq!(v.reasons, [ReviewReason::WrittenInFuture]);
    assert_eq!(validate(&rx, &ValidationConfig::default(), date!(2026 - 07 - 04)).status, Status::Accepted);
}
