//! Clinics are kept apart by Postgres itself: every table with a clinic id has row-level
//! security (enabled and forced), the services connect as a role that neither owns the tables
//! nor bypasses the policies, and a transaction sees a clinic's rows only once it has set the
//! clinic (`SET LOCAL`, through `rx_platform::tenancy`).

use rx_platform::db::{self, BENEFITS, CLAIMS, INTAKE, ServiceSchema};
use rx_platform::tenancy::{self, Task};
use rxbridge_tests::db::TestDb;
use sqlx::PgPool;
use uuid::Uuid;

async fn pools(db: &TestDb) -> [(ServiceSchema, PgPool); 3] {
    [
        (INTAKE, db.service_pool(INTAKE, rx_intake::migrator()).await.expect("intake")),
        (BENEFITS, db.service_pool(BENEFITS, rx_benefits::migrator()).await.expect("benefits")),
        (CLAIMS, db.service_pool(CLAIMS, rx_claims::migrator()).await.expect("claims")),
    ]
}

async fn add_patient(pool: &PgPool, clinic: &str, row_clinic: &str, family: &str) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    let mut tx = tenancy::begin(pool, clinic).await?;
    sqlx::query(
        "INSERT INTO patients (id, clinic_id, family, given, birth_date, family_key, given_key)
         VALUES ($1, $2, $3, 'Ada', DATE '1970-01-01', lower($3), 'ada')",
    )
    .bind(id)
    .bind(row_clinic)
    .bind(family)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn visible_patients(pool: &PgPool, clinic: Option<&str>) -> i64 {
    let mut tx = match clinic {
        Some(c) => tenancy::begin(pool, c).await.expect("begin"),
        None => pool.begin().await.expect("begin"),
    };
    sqlx::query_scalar("SELECT count(*) FROM patients").fetch_one(&mut *tx).await.expect("count")
}

#[tokio::test]
async fn every_table_with_a_clinic_id_is_under_forced_row_security() {
    let test_db = TestDb::create().await.expect("database");
    let pools = pools(&test_db).await;
    for (schema, pool) in &pools {
        // tables of the schema with a clinic_id column, and whether RLS is enabled and forced
        let tables: Vec<(String, bool, bool)> = sqlx::query_as(
            "SELECT c.relname::text, c.relrowsecurity, c.relforcerowsecurity
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relkind = 'r'
               AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'clinic_id')",
        )
        .bind(schema.schema)
        .fetch_all(pool)
        .await
        .expect("catalog");
        assert!(tables.len() >= 4, "{}: only {} clinic tables found", schema.schema, tables.len());
        for (table, enabled, forced) in tables {
            assert!(
                enabled && forced,
                "{}.{table}: row-level security enabled={enabled} forced={forced}",
                schema.schema
            );
        }
        // the connecting role owns nothing in the schema and cannot bypass the policies
        let (role, superuser, bypass, owned): (String, bool, bool, i64) = sqlx::query_as(
            "SELECT r.rolname::text, r.rolsuper, r.rolbypassrls,
                    (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = $1 AND c.relowner = r.oid)
             FROM pg_roles r WHERE r.rolname = current_user",
        )
        .bind(schema.schema)
        .fetch_one(pool)
        .await
        .expect("role");
        assert_eq!(role, schema.app_role);
        assert!(!superuser && !bypass, "{role}: superuser={superuser} bypassrls={bypass}");
        assert_eq!(owned, 0, "{role} owns {owned} relations in {}", schema.schema);
    }
}

#[tokio::test]
async fn a_transaction_sees_only_the_clinic_it_set_and_none_without_one() {
    let test_db = TestDb::create().await.expect("database");
    let [(_, intake), ..] = pools(&test_db).await;

    add_patient(&intake, "clinic-a", "clinic-a", "Alpha").await.expect("clinic a's patient");
    add_patient(&intake, "clinic-b", "clinic-b", "Beta").await.expect("clinic b's patient");

    assert_eq!(visible_patients(&intake, Some("clinic-a")).await, 1);
    assert_eq!(visible_patients(&intake, Some("clinic-b")).await, 1);
    assert_eq!(visible_patients(&intake, Some("clinic-c")).await, 0);
    // a query that forgets the clinic sees nothing, in a transaction or not
    assert_eq!(visible_patients(&intake, None).await, 0);
    let bare: i64 = sqlx::query_scalar("SELECT count(*) FROM patients").fetch_one(&intake).await.expect("count");
    assert_eq!(bare, 0);
    // the setting ends with its transaction: the pooled connection that served clinic a
    // (the pool may hand the same one back) sees nothing afterwards
    for _ in 0..4 {
        assert_eq!(visible_patients(&intake, None).await, 0);
    }

    // writing another clinic's row, or a row without a clinic set, is refused
    let forged = add_patient(&intake, "clinic-a", "clinic-b", "Forged").await.expect_err("forged clinic");
    assert!(db::is_sqlstate(&forged, "42501"), "expected a policy violation, got {forged}");
    let unscoped = sqlx::query(
        "INSERT INTO patients (id, clinic_id, family, given, birth_date, family_key, given_key)
         VALUES ($1, 'clinic-a', 'X', 'Y', DATE '1970-01-01', 'x', 'y')",
    )
    .bind(Uuid::now_v7())
    .execute(&intake)
    .await
    .expect_err("insert without a clinic");
    assert!(db::is_sqlstate(&unscoped, "42501"), "expected a policy violation, got {unscoped}");

    // nor can a transaction of clinic a change or delete clinic b's rows: they are not there
    let mut tx = tenancy::begin(&intake, "clinic-a").await.expect("begin");
    let touched = sqlx::query("UPDATE patients SET family = 'Changed' WHERE family = 'Beta'")
        .execute(&mut *tx)
        .await
        .expect("update")
        .rows_affected()
        + sqlx::query("DELETE FROM patients WHERE family = 'Beta'")
            .execute(&mut *tx)
            .await
            .expect("delete")
            .rows_affected();
    tx.commit().await.expect("commit");
    assert_eq!(touched, 0);
    assert_eq!(visible_patients(&intake, Some("clinic-b")).await, 1);

    // a clinic id that is not a plain token still works (bound as a parameter, not spliced)
    add_patient(&intake, "clinic'; DROP TABLE patients; --", "clinic'; DROP TABLE patients; --", "Odd")
        .await
        .expect("odd clinic id");
    assert_eq!(visible_patients(&intake, Some("clinic'; DROP TABLE patients; --")).await, 1);
    assert_eq!(visible_patients(&intake, Some("clinic-a")).await, 1);
}

#[tokio::test]
async fn the_owner_is_bound_too_and_tasks_see_only_their_own_tables() {
    let test_db = TestDb::create().await.expect("database");
    let [(_, intake), ..] = pools(&test_db).await;
    add_patient(&intake, "clinic-a", "clinic-a", "Alpha").await.expect("patient");
    let mut tx = tenancy::begin(&intake, "clinic-a").await.expect("begin");
    sqlx::query("INSERT INTO outbox (id, routing_key, clinic_id, payload) VALUES ($1, 'k', 'clinic-a', '')")
        .bind(Uuid::now_v7())
        .execute(&mut *tx)
        .await
        .expect("outbox row");
    tx.commit().await.expect("commit");

    // FORCE: even the schema's owner sees nothing without a clinic
    let owner = db::connect(&test_db.owner_url_for(INTAKE), INTAKE, 1).await.expect("owner");
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM patients").fetch_one(&owner).await.expect("count");
    assert_eq!(seen, 0);

    // the relay task sees every clinic's outbox, and still no patient
    let mut relay = tenancy::begin_task(&intake, Task::Relay).await.expect("relay");
    let outbox: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox").fetch_one(&mut *relay).await.expect("outbox");
    let patients: i64 =
        sqlx::query_scalar("SELECT count(*) FROM patients").fetch_one(&mut *relay).await.expect("patients");
    assert_eq!((outbox, patients), (1, 0));
}
