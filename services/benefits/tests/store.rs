//! Store behaviour that concurrent consumers depend on, against the real Postgres.

mod support;

use rx_benefits::store::{self, Coverage, Relationship};
use uuid::Uuid;

fn coverage(patient_id: Uuid, member_id: &str) -> Coverage {
    Coverage {
        clinic_id: "clinic-test".into(),
        patient_id,
        payer_id: "SIMPAYER".into(),
        member_id: member_id.into(),
        relationship: Relationship::Subscriber,
        patient_family: "TESTPATIENT".into(),
        patient_given: "ALEX".into(),
        patient_birth_date: time::Date::from_calendar_date(1980, time::Month::April, 12).ok(),
        subscriber_family: String::new(),
        subscriber_given: String::new(),
        subscriber_birth_date: None,
    }
}

#[tokio::test]
async fn writing_a_coverage_unchanged_leaves_its_row_unlocked_and_a_change_is_still_written() {
    let h = support::harness().await;
    let patient = Uuid::new_v4();
    let first = coverage(patient, "SIM100001");
    store::upsert_coverage_pool(&h.pool, &first).await.expect("first write");

    // A consumer writes the coverage its prescription names, the same as stored ...
    let mut consumer = rx_platform::tenancy::begin(&h.pool, "clinic-test").await.expect("begin");
    store::upsert_coverage(&mut consumer, &first).await.expect("unchanged write");
    // ... and another transaction can still lock the row at once: nothing queues behind it.
    let mut other = rx_platform::tenancy::begin(&h.pool, "clinic-test").await.expect("begin");
    let locked = sqlx::query("SELECT 1 FROM coverages WHERE clinic_id = $1 AND patient_id = $2 FOR UPDATE NOWAIT")
        .bind(&first.clinic_id)
        .bind(patient)
        .fetch_optional(&mut *other)
        .await;
    assert!(matches!(locked, Ok(Some(_))), "the unchanged write locked the row: {locked:?}");
    other.rollback().await.expect("rollback");

    let changed = coverage(patient, "SIM100002");
    store::upsert_coverage(&mut consumer, &changed).await.expect("changed write");
    consumer.commit().await.expect("commit");
    let stored = store::coverage(&h.pool, &first.clinic_id, patient).await.expect("read").expect("stored");
    assert_eq!(stored, changed);

    // A coverage seen for the first time is inserted.
    let fresh = coverage(Uuid::new_v4(), "SIM100003");
    let mut tx = rx_platform::tenancy::begin(&h.pool, "clinic-test").await.expect("begin");
    store::upsert_coverage(&mut tx, &fresh).await.expect("insert");
    tx.commit().await.expect("commit");
    let stored = store::coverage(&h.pool, &fresh.clinic_id, fresh.patient_id).await.expect("read").expect("stored");
    assert_eq!(stored, fresh);
    h.shutdown.cancel();
}
