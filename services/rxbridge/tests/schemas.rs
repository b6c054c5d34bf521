//! Each service owns its schema: its role can use its own tables and no other service's, and
//! each schema keeps its own migration history.

use rx_platform::db::{self, BENEFITS, CLAIMS, INTAKE};
use rxbridge_tests::db::TestDb;

#[tokio::test]
async fn a_service_role_cannot_touch_another_services_schema() {
    let test_db = TestDb::create().await.expect("database");
    let intake = test_db.service_pool(INTAKE, rx_intake::migrator()).await.expect("intake");
    let benefits = test_db.service_pool(BENEFITS, rx_benefits::migrator()).await.expect("benefits");
    let _claims = test_db.service_pool(CLAIMS, rx_claims::migrator()).await.expect("claims");

    // Its own tables work.
    let own: i64 =
        sqlx::query_scalar("SELECT count(*) FROM benefits.outbox").fetch_one(&benefits).await.expect("own schema");
    assert_eq!(own, 0);
    sqlx::query("INSERT INTO intake.inbox (message_id, routing_key) VALUES ('x', 'y')")
        .execute(&intake)
        .await
        .expect("own write");

    // Another service's are refused with insufficient_privilege, for reading and for writing.
    for sql in [
        "SELECT count(*) FROM intake.inbox",
        "INSERT INTO intake.inbox (message_id, routing_key) VALUES ('z', 'y')",
        "CREATE TABLE intake.sneaky (id int)",
        "SELECT count(*) FROM claims.outbox",
    ] {
        let err = sqlx::query(sql).execute(&benefits).await.expect_err(sql);
        assert!(db::is_sqlstate(&err, "42501"), "{sql}: expected insufficient_privilege, got {err}");
    }

    // Migration history is kept per schema.
    for (pool, schema) in [(&intake, "intake"), (&benefits, "benefits")] {
        let applied: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {schema}._sqlx_migrations")))
                .fetch_one(pool)
                .await
                .expect("migrations table");
        assert!(applied >= 1, "{schema} has no migration history of its own");
    }
    let shared: Option<String> = sqlx::query_scalar("SELECT to_regclass('public._sqlx_migrations')::text")
        .fetch_one(&intake)
        .await
        .expect("lookup");
    assert_eq!(shared, None, "a shared public migrations table exists");
}
