//! The audit writer against the real Postgres: entries of concurrent calls are all committed
//! (in shared group commits), and a trail that cannot be written fails every waiting call.

use rx_platform::audit::{AuditResource, Entry, Writer};
use rx_platform::db::INTAKE;
use rxbridge_tests::db::TestDb;

fn entry(n: usize) -> Entry {
    Entry {
        clinic_id: if n.is_multiple_of(2) { "clinic-a" } else { "clinic-b" }.into(),
        subject: format!("user-{n}"),
        roles: "front_desk".into(),
        action: "rxbridge.benefits.v1.BenefitsService/CheckEligibility".into(),
        resource: AuditResource { kind: "coverage", id: format!("c-{n}"), patient_id: format!("p-{n}") },
        peer: "127.0.0.1".into(),
        outcome: "OK".into(),
    }
}

#[tokio::test]
async fn concurrent_entries_are_all_committed_and_a_broken_trail_fails_the_calls() {
    let db = TestDb::create().await.expect("test database");
    let pool = db.service_pool(INTAKE, sqlx::migrate!("../../../migrations/intake")).await.expect("pool");
    let writer = Writer::spawn(pool.clone());

    let calls: Vec<_> = (0..100)
        .map(|n| {
            let writer = writer.clone();
            tokio::spawn(async move { writer.record(entry(n)).await })
        })
        .collect();
    for call in calls {
        call.await.expect("task").expect("entry committed");
    }
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT subject, resource_id, patient_id FROM audit_log ORDER BY subject")
            .fetch_all(&pool)
            .await
            .expect("read trail");
    assert_eq!(rows.len(), 100);
    let clinics: i64 = sqlx::query_scalar("SELECT count(DISTINCT clinic_id) FROM audit_log")
        .fetch_one(&pool)
        .await
        .expect("read trail");
    assert_eq!(clinics, 2);
    assert!(rows.iter().all(|(s, r, p)| s.strip_prefix("user-") == r.strip_prefix("c-") && r[2..] == p[2..]));

    // The trail cannot be written: every call waiting on it hears so.
    sqlx::query("ALTER TABLE audit_log RENAME TO audit_log_away").execute(&pool).await.expect("rename");
    let failed = futures_join(&writer, 5).await;
    assert!(failed.iter().all(Result::is_err), "an entry was reported written: {failed:?}");
}

async fn futures_join(writer: &Writer, n: usize) -> Vec<Result<(), String>> {
    let calls: Vec<_> = (0..n)
        .map(|i| {
            let writer = writer.clone();
            tokio::spawn(async move { writer.record(entry(1000 + i)).await })
        })
        .collect();
    let mut out = Vec::new();
    for call in calls {
        out.push(call.await.expect("task"));
    }
    out
}
