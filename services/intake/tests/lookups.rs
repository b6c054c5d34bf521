//! The duplicate lookup every submission makes stays cheap on tables that have grown since the
//! planner last had statistics: it keeps no plan made while they were empty, and a plan made
//! now uses the unique indexes. The work is counted in buffers, not timed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rx_platform::db::INTAKE;
use rxbridge_tests::db::TestDb;
use sqlx::Connection;

const CLINIC: &str = "clinic-lookups";
const DOCUMENTS: i64 = 3_000;

/// Shared buffers a plan touched, from `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`.
fn buffers(plan: &serde_json::Value) -> i64 {
    let node = &plan[0]["Plan"];
    node["Shared Hit Blocks"].as_i64().unwrap_or(0) + node["Shared Read Blocks"].as_i64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_duplicate_lookup_stays_flat_on_tables_grown_without_statistics() {
    let db = TestDb::create().await.unwrap();
    let pool = db.service_pool(INTAKE, rx_intake::migrator()).await.unwrap();
    let owner = db.owner_pool(INTAKE).await.unwrap();
    // no statistics will appear during the test
    for table in ["documents", "prescriptions"] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("ALTER TABLE {table} SET (autovacuum_enabled = false)")))
            .execute(&owner)
            .await
            .unwrap();
    }

    let mut conn = pool.acquire().await.unwrap().detach();
    sqlx::query("SELECT set_config('rxbridge.clinic_id', $1, false)").bind(CLINIC).execute(&mut conn).await.unwrap();
    // while the tables are empty, the service looks up a few times (a prepared statement
    // would be given its lasting generic plan after five)
    for i in 0..6 {
        let found =
            rx_intake::store::find_duplicate(&mut conn, CLINIC, Some(&format!("k{i}")), b"bytes").await.unwrap();
        assert_eq!(found, None);
    }
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_prepared_statements WHERE statement = $1")
        .bind(rx_intake::store::FIND_DUPLICATE)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(kept, 0, "the duplicate lookup keeps no plan on the connection");

    // then the clinic's documents and prescriptions arrive
    let mut tx = owner.begin().await.unwrap();
    sqlx::query("SELECT set_config('rxbridge.clinic_id', $1, true)").bind(CLINIC).execute(&mut *tx).await.unwrap();
    // one statement: each document with its prescription
    sqlx::query(
        "WITH d AS (
             INSERT INTO documents (id, clinic_id, content, media_type, format, sha256, idempotency_key, channel, readable)
             SELECT md5('d' || n)::uuid, $1, '\\x00', 'x-application/hl7-v2+er7', 'hl7v2', md5('s' || n), 'key-' || n, 'grpc', true
               FROM generate_series(1, $2) n
             RETURNING id, idempotency_key)
         INSERT INTO prescriptions (id, clinic_id, document_id, status, format, canonical)
         SELECT md5('p' || substr(idempotency_key, 5))::uuid, $1, id, 'accepted', 'hl7v2', '[]' FROM d",
    )
    .bind(CLINIC)
    .bind(DOCUMENTS)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // planned now, over 3,000 documents without statistics: a miss and a hit by key
    let explain = |key: &str| {
        format!(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {}",
            rx_intake::store::FIND_DUPLICATE
                .replace("$1", "'clinic-lookups'")
                .replace("$2", &format!("'{key}'"))
                .replace("$3", "'no-such-digest'")
        )
    };
    let miss: serde_json::Value =
        sqlx::query_scalar(sqlx::AssertSqlSafe(explain("no-such-key"))).fetch_one(&mut conn).await.unwrap();
    let hit: serde_json::Value =
        sqlx::query_scalar(sqlx::AssertSqlSafe(explain("key-1234"))).fetch_one(&mut conn).await.unwrap();
    let found = rx_intake::store::find_duplicate(&mut conn, CLINIC, Some("key-1234"), b"x").await.unwrap();
    let expected: uuid::Uuid = sqlx::query_scalar("SELECT md5('p1234')::uuid").fetch_one(&mut conn).await.unwrap();
    assert_eq!(found, Some(expected), "the lookup finds the prescription of the document with the key");
    // index descents only: a handful of pages, not a walk over the clinic's rows
    for (what, plan) in [("miss", &miss), ("hit", &hit)] {
        assert!(buffers(plan) < 40, "{what}: {} buffers for one lookup: {plan:#}", buffers(plan));
    }
    conn.close().await.unwrap();
}
