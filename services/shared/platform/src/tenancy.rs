//! Clinics kept apart by the database itself. Every table holding patient data has row-level
//! security (enabled and forced) with a policy comparing its `clinic_id` to the transaction's
//! `rxbridge.clinic_id` setting; the services connect as a role that owns nothing, so a query
//! run without a clinic sees no rows and cannot write any. The setting is `SET LOCAL` (it ends
//! with the transaction), so a pooled connection never carries one clinic into the next use.
//!
//! A few background tasks work across clinics (the outbox relay, the recheck scheduler, the
//! claims that wait for resubmission, the routing of payer responses, key rotation). Each names
//! itself in `rxbridge.task`, and only the tables and commands its policy lists open to it.

use sqlx::{PgConnection, PgPool, Postgres, Transaction};

/// The setting the clinic policies read.
pub const CLINIC_SETTING: &str = "rxbridge.clinic_id";
/// The setting the cross-clinic task policies read.
pub const TASK_SETTING: &str = "rxbridge.task";

/// The background tasks allowed to look across clinics, each on its own tables only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Publishes every clinic's outbox rows and prunes them (outbox).
    Relay,
    /// Finds prescriptions whose eligibility check is due again (benefits).
    Recheck,
    /// Finds claims waiting to be submitted again (claims).
    Resubmit,
    /// Finds which clinic's claim a payer response is about (claims).
    RouteResponses,
    /// Rewraps document keys after a master key rotation (intake).
    Rewrap,
}

impl Task {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Relay => "relay",
            Self::Recheck => "recheck",
            Self::Resubmit => "resubmit",
            Self::RouteResponses => "route-responses",
            Self::Rewrap => "rewrap",
        }
    }
}

/// Begins a transaction that sees only `clinic_id`'s rows.
pub async fn begin(pool: &PgPool, clinic_id: &str) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    match literal(clinic_id) {
        // one round trip: the begin and the setting travel as one simple query
        Some(quoted) => {
            pool.begin_with(sqlx::AssertSqlSafe(format!(
                "BEGIN; SELECT set_config('{CLINIC_SETTING}', {quoted}, true)"
            )))
            .await
        }
        None => {
            let mut tx = pool.begin().await?;
            set_clinic(&mut tx, clinic_id).await?;
            Ok(tx)
        }
    }
}

/// Begins a transaction for a cross-clinic task; it sees no clinic's rows except where the
/// task's own policies open a table to it.
pub async fn begin_task(pool: &PgPool, task: Task) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    pool.begin_with(sqlx::AssertSqlSafe(format!(
        "BEGIN; SELECT set_config('{TASK_SETTING}', '{}', true)",
        task.as_str()
    )))
    .await
}

/// Switches an open transaction to `clinic_id` (and out of any task), e.g. after a task found
/// which clinic a payer response belongs to.
pub async fn set_clinic(conn: &mut PgConnection, clinic_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT set_config($1, $2, true), set_config($3, '', true)")
        .bind(CLINIC_SETTING)
        .bind(clinic_id)
        .bind(TASK_SETTING)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Switches an open transaction to a task (and out of any clinic).
pub async fn set_task(conn: &mut PgConnection, task: Task) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT set_config($1, $2, true), set_config($3, '', true)")
        .bind(TASK_SETTING)
        .bind(task.as_str())
        .bind(CLINIC_SETTING)
        .execute(conn)
        .await
        .map(|_| ())
}

/// The id as an SQL literal when it is made only of characters that need no escaping (every
/// clinic id we issue); anything else goes as a bind parameter instead.
fn literal(clinic_id: &str) -> Option<String> {
    let plain = !clinic_id.is_empty()
        && clinic_id.len() <= 128
        && clinic_id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'@'));
    plain.then(|| format!("'{clinic_id}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_inlined() {
        assert_eq!(literal("clinic-a_1.x"), Some("'clinic-a_1.x'".to_owned()));
        assert_eq!(literal("a'b"), None);
        assert_eq!(literal("a\\b"), None);
        assert_eq!(literal("a b"), None);
        assert_eq!(literal(""), None);
        assert_eq!(literal(&"x".repeat(129)), None);
    }
}
