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

#[tokio::test]
async fn control_numbers_from_blocks_are_never_handed_out_twice_across_processes_and_restarts() {
    use rx_benefits::control_numbers::{BLOCK, ControlNumberBlocks};
    let h = support::harness().await;
    // two processes taking numbers in turn, then one of them restarting halfway through a block
    let (first, second) = (ControlNumberBlocks::default(), ControlNumberBlocks::default());
    let mut taken = Vec::new();
    for _ in 0..BLOCK + 10 {
        taken.push(first.next(&h.pool, "PAYERA").await.expect("first"));
        taken.push(second.next(&h.pool, "PAYERA").await.expect("second"));
    }
    let restarted = ControlNumberBlocks::default();
    taken.push(restarted.next(&h.pool, "PAYERA").await.expect("after a restart"));
    let mut unique = taken.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), taken.len(), "a number went out twice");
    assert!(taken.iter().all(|n| (1..=999_999_999).contains(n)));
    // a process takes its block's numbers in order; another partner has its own counter
    assert_eq!(taken[2] - taken[0], 1);
    assert_eq!(first.next(&h.pool, "PAYERB").await.expect("other partner"), 1);

    // a block that would pass ISA13's nine digits starts again at 1
    sqlx::query("UPDATE control_numbers SET last = 999999990 WHERE partner = 'PAYERA'")
        .execute(&h.inspect)
        .await
        .expect("near the end");
    let late = ControlNumberBlocks::default();
    assert_eq!(late.next(&h.pool, "PAYERA").await.expect("wrapped"), 1);
    assert_eq!(late.next(&h.pool, "PAYERA").await.expect("wrapped"), 2);
    h.shutdown.cancel();
}
