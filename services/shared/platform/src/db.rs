//! Postgres access shared by the services: one pool per service, pinned to that service's
//! schema and role; per-schema migrations; and the one-time bootstrap that creates the roles
//! and schemas (run with an administrator's connection, never by a service).

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};

use crate::config::Secret;

/// A service's place in the database: its schema, the role that owns it (and applies the
/// migrations), and the role the running service connects as. The runtime role owns nothing,
/// so row-level security binds it (see [`crate::tenancy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceSchema {
    pub schema: &'static str,
    pub role: &'static str,
    pub app_role: &'static str,
}

pub const INTAKE: ServiceSchema =
    ServiceSchema { schema: "intake", role: "rxbridge_intake", app_role: "rxbridge_intake_app" };
pub const BENEFITS: ServiceSchema =
    ServiceSchema { schema: "benefits", role: "rxbridge_benefits", app_role: "rxbridge_benefits_app" };
pub const CLAIMS: ServiceSchema =
    ServiceSchema { schema: "claims", role: "rxbridge_claims", app_role: "rxbridge_claims_app" };
pub const ALL: [ServiceSchema; 3] = [INTAKE, BENEFITS, CLAIMS];

/// A pooled connection idle for less than this is handed out without a ping. sqlx pings every
/// connection as it comes back to the pool, so pinging it again on the way out is a second
/// round trip per transaction that tells nothing new; one idle longer (the server may have
/// restarted meanwhile) is still pinged, and replaced when the ping fails.
pub const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(5);

/// Opens a pool whose connections see only `schema` first on their search path.
pub async fn connect(url: &Secret, schema: ServiceSchema, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(url.expose())?
        .options([("search_path", schema.schema)])
        .application_name(&format!("rxbridge-{}", schema.schema))
        .log_statements(tracing::log::LevelFilter::Trace)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(2));
    PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_WHEN_IDLE_FOR {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await
}

/// Applies a service's migrations, keeping their history in that schema's own table
/// (sqlx would otherwise share one `_sqlx_migrations` table between services).
pub async fn migrate(
    pool: &PgPool,
    schema: ServiceSchema,
    mut migrator: Migrator,
) -> Result<(), sqlx::migrate::MigrateError> {
    migrator.dangerous_set_table_name(format!("{}._sqlx_migrations", schema.schema));
    migrator.run(pool).await
}

/// Whether every migration of `migrator` has been applied successfully to the schema (false
/// also when the history table does not exist yet).
pub async fn is_migrated(pool: &PgPool, schema: ServiceSchema, migrator: &Migrator) -> bool {
    let sql = format!("SELECT version FROM {}._sqlx_migrations WHERE success", schema.schema);
    let Ok(applied) = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await else {
        return false;
    };
    migrator.iter().filter(|m| m.migration_type.is_up_migration()).all(|m| applied.contains(&m.version))
}

/// Creates the database (if missing), two login roles per service (the schema's owner, which
/// migrates, and the runtime role, which may only use the tables) and each service's schema,
/// with nothing granted across schemas. Idempotent; safe to run concurrently.
pub async fn bootstrap(admin_url: &Secret, database: &str) -> Result<(), sqlx::Error> {
    let admin = PgConnectOptions::from_str(admin_url.expose())?;
    let mut server = admin.clone().database("postgres").connect().await?;
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(database)
        .fetch_optional(&mut server)
        .await?;
    if exists.is_none() {
        let created = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {}", quote_ident(database))))
            .execute(&mut server)
            .await;
        // A concurrent bootstrap may have created it first (duplicate_database).
        if let Err(e) = created
            && !is_sqlstate(&e, "42P04")
        {
            return Err(e);
        }
    }

    // Roles are cluster-wide: serialise concurrent bootstraps (parallel tests, each with its
    // own database). Advisory locks belong to one database, so the lock is taken in
    // `postgres`, which every bootstrap shares; creating the same role from two sessions at
    // once fails ("tuple concurrently updated") on a server that has none of them yet.
    sqlx::query("SELECT pg_advisory_lock(727274)").execute(&mut server).await?;
    let result = match admin.database(database).connect().await {
        Ok(mut conn) => create_roles_and_schemas(&mut conn, database).await,
        Err(e) => Err(e),
    };
    sqlx::query("SELECT pg_advisory_unlock(727274)").execute(&mut server).await?;
    result
}

async fn create_roles_and_schemas(conn: &mut sqlx::PgConnection, database: &str) -> Result<(), sqlx::Error> {
    let db = quote_ident(database);
    let mut sql = format!("REVOKE ALL ON DATABASE {db} FROM PUBLIC;\nREVOKE CREATE ON SCHEMA public FROM PUBLIC;\n");
    for s in ALL {
        let role = quote_ident(s.role);
        let app = quote_ident(s.app_role);
        let schema = quote_ident(s.schema);
        for name in [s.role, s.app_role] {
            sql.push_str(&format!(
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN CREATE ROLE {ident} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS; END IF; END $$;\n\
                 GRANT CONNECT ON DATABASE {db} TO {ident};\n",
                ident = quote_ident(name),
            ));
        }
        // The runtime role gets data access only, on the tables the owner creates; the
        // row-level security migration takes back what it must not do (change audit rows or
        // the migration history) and grants on tables that existed before this bootstrap.
        sql.push_str(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {role};\n\
             REVOKE ALL ON SCHEMA {schema} FROM PUBLIC;\n\
             GRANT USAGE ON SCHEMA {schema} TO {app};\n\
             ALTER DEFAULT PRIVILEGES FOR ROLE {role} IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app};\n\
             ALTER DEFAULT PRIVILEGES FOR ROLE {role} IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {app};\n",
        ));
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(conn).await?;
    Ok(())
}

/// Quotes an identifier for SQL that cannot take bind parameters (DDL).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Whether a database error carries the given SQLSTATE code.
pub fn is_sqlstate(error: &sqlx::Error, code: &str) -> bool {
    error.as_database_error().and_then(|e| e.code()).is_some_and(|c| c == code)
}

/// Whether an error is worth retrying: the connection dropped, the pool timed out, or the
/// database reported a serialization failure, deadlock or shutdown.
pub fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| {
            matches!(c.as_ref(), "40001" | "40P01" | "57P01" | "57P02" | "57P03" | "08000" | "08003" | "08006")
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_against_injection() {
        assert_eq!(quote_ident("intake"), "\"intake\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
