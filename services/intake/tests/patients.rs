//! The patient registry under the one-statement submission: every document for one person
//! names one patient id, whatever a process remembers and however many submit at once, and a
//! wrong guess of the id writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use rx_intake::App;
use rx_intake::app::Submission;
use rx_intake::canonical::Canonical;
use rx_intake::store::{self, NewDocument, PatientKey, Record, Written};
use support::*;
use uuid::Uuid;

/// The synthetic order, as document `n` (its own control id and order number), for the
/// person with member id `member`.
fn order(n: u32, member: &str) -> Vec<u8> {
    String::from_utf8(fixture(ORM))
        .unwrap()
        .replace("MSG0001", &format!("MSG{n:04}"))
        .replace("RX0001", &format!("RX{n:04}"))
        .replace("MEM0000001", member)
        .into_bytes()
}

fn submission(clinic: &str, content: Vec<u8>) -> Submission {
    Submission {
        clinic_id: clinic.into(),
        content: content.into(),
        requested: Default::default(),
        idempotency_key: None,
        source_label: "patients test".into(),
        channel: "grpc",
        audit: None,
    }
}

async fn patient_of(app: &App, clinic: &str, content: Vec<u8>) -> Uuid {
    let submitted = app.submit(submission(clinic, content)).await.expect("submitted");
    assert!(!submitted.duplicate);
    submitted.view.record.patient_id.expect("the order names its patient")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_person_is_one_patient_whatever_a_process_remembers() {
    let h = harness().await;
    let first = patient_of(&h.app, CLINIC, order(1, "MEM0000001")).await;
    assert_eq!(h.app.patients.len(), 1, "the stored patient is remembered");
    assert_eq!(patient_of(&h.app, CLINIC, order(2, "MEM0000001")).await, first);

    // a process that has not seen the person (a second replica, a restart) finds the same one
    let fresh = App::new(h.pool.clone(), config());
    assert_eq!(patient_of(&fresh, CLINIC, order(3, "MEM0000001")).await, first);
    assert_eq!(fresh.patients.len(), 1);

    // another member id is another person; another clinic never shares a patient
    let other_member = patient_of(&h.app, CLINIC, order(4, "MEM0000002")).await;
    assert_ne!(other_member, first);
    let other_clinic = patient_of(&h.app, "clinic-elsewhere", order(5, "MEM0000001")).await;
    assert_ne!(other_clinic, first);

    assert_eq!(count(&h.inspect, "SELECT count(*) FROM patients").await, 3);
    assert_eq!(count(&h.inspect, "SELECT count(*) FROM prescriptions").await, 5);
    let events = count(&h.inspect, "SELECT count(*) FROM outbox WHERE routing_key = 'prescription.accepted.v1'").await;
    assert_eq!(events, 5, "one event per prescription, none for a retried guess");
    let named: i64 = sqlx::query_scalar("SELECT count(*) FROM prescriptions WHERE patient_id = $1")
        .bind(first)
        .fetch_one(&h.inspect)
        .await
        .unwrap();
    assert_eq!(named, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_person_sent_by_many_at_once_becomes_one_patient() {
    let h = harness().await;
    // every submission from its own cold process, so each guesses a new id of its own
    let submits = (0..8).map(|n| {
        let app = App::new(h.pool.clone(), config());
        async move { patient_of(&app, CLINIC, order(100 + n, "MEM0000009")).await }
    });
    let ids = futures_util::future::join_all(submits).await;
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(count(&h.inspect, "SELECT count(*) FROM patients").await, 1);
    assert_eq!(count(&h.inspect, "SELECT count(*) FROM prescriptions").await, 8);
    assert_eq!(count(&h.inspect, "SELECT count(*) FROM outbox").await, 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_guess_of_the_patient_writes_nothing_and_names_the_right_one() {
    let h = harness().await;
    let known = patient_of(&h.app, CLINIC, order(1, "MEM0000001")).await;

    let content = order(2, "MEM0000001");
    let read = rx_intake::reader::read(content.clone().into(), Default::default(), Default::default()).await.unwrap();
    let canonical = Canonical::from_prescription(&read.prescription);
    let verdict = h.app.verdict(&canonical);
    let record = Record {
        id: Uuid::now_v7(),
        clinic_id: CLINIC.into(),
        document_id: Uuid::now_v7(),
        patient_id: Some(Uuid::now_v7()),
        status: verdict.status.into(),
        format: "hl7v2".into(),
        canonical: canonical.clone(),
        review_reasons: verdict.reasons.clone(),
        valid_from: verdict.valid_from,
        valid_until: verdict.valid_until,
    };
    let key = PatientKey::of(&canonical).unwrap();
    let doc = NewDocument {
        clinic_id: CLINIC,
        content: &content,
        media_type: "x-application/hl7-v2+er7",
        format: "hl7v2",
        idempotency_key: None,
        source_label: "patients test",
        channel: "grpc",
    };
    let event = rx_messaging::outbox::row(&rx_intake::events::accepted(&record));
    let new = store::NewSubmission {
        doc: &doc,
        patient: Some(&key),
        record: &record,
        verdict: &verdict,
        event: &event,
        audit: None,
    };
    let mut tx = rx_platform::tenancy::begin(&h.pool, CLINIC).await.unwrap();
    let written = store::insert_submission(&mut tx, &new, h.app.config.sealer()).await.unwrap();
    assert!(matches!(written, Written::PatientIs(Some(id)) if id == known), "{written:?}");
    tx.commit().await.unwrap();
    for table in ["documents", "prescriptions", "status_history", "outbox", "patients"] {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&h.inspect)
            .await
            .unwrap();
        assert_eq!(n, 1, "{table}: only the first submission's row");
    }

    // the right id writes it all; the same document again is a duplicate that writes nothing
    let right = Record { patient_id: Some(known), ..record.clone() };
    let new = store::NewSubmission { record: &right, ..new };
    let mut tx = rx_platform::tenancy::begin(&h.pool, CLINIC).await.unwrap();
    let written = store::insert_submission(&mut tx, &new, h.app.config.sealer()).await.unwrap();
    assert!(matches!(&written, Written::Stored(entry) if entry.status == "accepted"), "{written:?}");
    tx.commit().await.unwrap();
    let again = Record { id: Uuid::now_v7(), document_id: Uuid::now_v7(), ..right.clone() };
    let new = store::NewSubmission { record: &again, ..new };
    let mut tx = rx_platform::tenancy::begin(&h.pool, CLINIC).await.unwrap();
    let written = store::insert_submission(&mut tx, &new, h.app.config.sealer()).await.unwrap();
    assert!(matches!(written, Written::Duplicate), "{written:?}");
    tx.rollback().await.unwrap();
    assert_eq!(count(&h.inspect, "SELECT count(*) FROM prescriptions").await, 2);
    assert_eq!(count(&h.inspect, "SELECT count(*) FROM outbox").await, 2);
}
