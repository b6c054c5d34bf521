//! Unit tests of the fax extractor on small hand-written texts; the fixture faxes are tested
//! in `tests/fax.rs`.
#![allow(clippy::unwrap_used, clippy::panic)]

use time::macros::date;

use super::*;

fn rx(text: &str) -> Prescription {
    extract(&FaxText::from_plain(text, 0.95)).unwrap()
}

#[test]
fn labelled_pad() {
    let p = rx(
        "Date: 1/5/26\nPatient: Quinlan, Avery\nD.O.B. 3/14/75\nMember #: SHP448812097\nDx: M5450\nRx: 97124\n3X/WK X 2 WKS\n30-minute sessions\nArea: R ankle\nProvider: Dr. Dana Whitfield\nNPI # 1234567893",
    );
    assert_eq!(p.written_on.unwrap().value, date!(2026 - 01 - 05));
    assert_eq!(p.patient.family.unwrap().value, "Quinlan");
    assert_eq!(p.patient.given.unwrap().value, "Avery");
    assert_eq!(p.patient.birth_date.unwrap().value, date!(1975 - 03 - 14));
    assert_eq!(p.patient.member_id.unwrap().value, "SHP448812097");
    assert_eq!(p.diagnoses[0].value.code, "M5450");
    assert_eq!(p.procedures[0].value, "97124");
    let f = p.frequency.unwrap().value;
    assert_eq!((f.per_week, f.weeks), (3, Some(2)));
    assert_eq!(p.sessions.as_ref().unwrap().value, 6);
    assert!(matches!(p.sessions.unwrap().provenance.source, Source::Derived { .. }));
    assert_eq!(p.minutes_per_session.unwrap().value, 30);
    assert_eq!(p.body_sites[0].value.to_string(), "right ankle");
    assert_eq!(p.prescriber.name.unwrap().value, "Dana Whitfield");
    assert_eq!(p.prescriber.npi.unwrap().value, "1234567893");
}

#[test]
fn values_on_the_line_after_their_label() {
    let p = rx("Patient:\nAvery Quinlan\nDate of Birth:\n03/14/1975\nFrequency:\nonce a week x 8 weeks");
    assert_eq!(p.patient.family.unwrap().value, "Quinlan");
    assert_eq!(p.patient.birth_date.unwrap().provenance.source, Source::Fax { line: 4 });
    assert_eq!(p.sessions.unwrap().value, 8);
}

#[test]
fn confidence_follows_the_ocr_line_and_repairs() {
    let fax = FaxText::new(vec![
        FaxLine { text: "NPI: l234567893".into(), confidence: 0.8 },
        FaxLine { text: "Dx: M54.50".into(), confidence: 0.5 },
    ]);
    let p = extract(&fax).unwrap();
    let npi = p.prescriber.npi.unwrap();
    assert_eq!(npi.value, "1234567893");
    assert!((npi.confidence() - 0.8 * REPAIRED).abs() < 1e-6);
    assert!((p.diagnoses[0].confidence() - 0.5).abs() < 1e-6);
}

#[test]
fn ranges_are_flagged_with_lower_confidence() {
    let p = rx("Frequency: 1-2x/wk x 6 wks");
    let f = p.frequency.unwrap();
    assert_eq!((f.value.per_week, f.value.per_week_min, f.value.weeks), (2, Some(1), Some(6)));
    assert!(f.confidence() < 0.95 * 0.9);
    assert_eq!(p.sessions.unwrap().value, 12);
}

#[test]
fn sessions_given_without_weeks_gives_the_weeks() {
    let p = rx("Frequency: 2x per week\nVisits: 10");
    assert_eq!(p.sessions.unwrap().value, 10);
    assert_eq!(p.frequency.unwrap().value.weeks, Some(5));
}

#[test]
fn unreadable_fax_text() {
    assert_eq!(extract(&FaxText::default()), Err(IntakeError::FaxEmpty));
    assert_eq!(extract(&FaxText::from_plain(" \n\t\n", 0.9)), Err(IntakeError::FaxEmpty));
    assert_eq!(extract(&FaxText::from_plain("~~~ ### ~~~\n|||", 0.9)), Err(IntakeError::NothingFound));
    let huge = FaxText::from_plain(&"x\n".repeat(MAX_LINES + 1), 0.9);
    assert!(matches!(extract(&huge), Err(IntakeError::FaxTooLarge { .. })));
}

#[test]
fn nan_and_out_of_range_confidences_are_clamped() {
    let fax = FaxText::new(vec![
        FaxLine { text: "Dx: M54.50".into(), confidence: f32::NAN },
        FaxLine { text: "NPI: 1234567893".into(), confidence: 7.0 },
    ]);
    let p = extract(&fax).unwrap();
    assert_eq!(p.diagnoses[0].confidence(), 0.0);
    assert_eq!(p.prescriber.npi.unwrap().confidence(), 1.0);
}

#[test]
fn table_form_with_header_rows() {
    let p = rx(
        "REFERRAL\nDate of birth Patient name\n3/14/1975 Avery Quinlan\nMember ID Insurance\nSHP448812097 Synthetic Health\nDx\nM54.50\nVisits Per week Weeks Minutes\n8 2 4 60\nPhysician NPI\nDana Whitfield, MD 1234567893",
    );
    assert_eq!(p.patient.given.unwrap().value, "Avery");
    assert_eq!(p.patient.family.unwrap().value, "Quinlan");
    assert_eq!(p.patient.birth_date.unwrap().value, date!(1975 - 03 - 14));
    assert_eq!(p.patient.member_id.unwrap().value, "SHP448812097");
    assert_eq!(p.patient.payer_name.unwrap().value, "Synthetic Health");
    assert_eq!(p.sessions.unwrap().value, 8);
    let f = p.frequency.unwrap();
    assert_eq!((f.value.per_week, f.value.weeks), (2, Some(4)));
    assert_eq!(f.provenance.source, Source::Fax { line: 9 });
    assert_eq!(p.minutes_per_session.unwrap().value, 60);
    assert_eq!(p.prescriber.npi.unwrap().value, "1234567893");
    assert_eq!(p.prescriber.name.unwrap().value, "Dana Whitfield");
}

#[test]
fn a_count_before_a_colon_is_not_a_label() {
    let p = rx("Patient: Avery Quinlan\nRx: massage 97124\n6 sessions: 2 per week x 3 weeks, 45 min");
    assert_eq!(p.sessions.unwrap().value, 6);
    assert_eq!(p.frequency.unwrap().value.per_week, 2);
    assert_eq!(p.minutes_per_session.unwrap().value, 45);
}

#[test]
fn cover_sheet_and_unticked_options_are_not_read() {
    let p = rx(
        "FAX COVER\nRe: Jordan Pell\nDate: 01/02/2026\n\u{c}Date: 01/05/2026\nPatient: Avery Quinlan\nDx: M54.50\n[_] Massage 97124\n[x] Manual therapy 97140\n[_] 3x per week\n[x] 1x per week x 6 weeks",
    );
    assert_eq!(p.patient.given.unwrap().value, "Avery");
    assert_eq!(p.written_on.unwrap().value, date!(2026 - 01 - 05));
    assert_eq!(p.procedures.iter().map(|c| c.value.as_str()).collect::<Vec<_>>(), ["97140"]);
    let f = p.frequency.unwrap().value;
    assert_eq!((f.per_week, f.weeks), (1, Some(6)));
}
