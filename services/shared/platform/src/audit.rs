//! The audit trail every service keeps in its own schema (`audit_log`, append-only). The gRPC
//! layer writes one entry per authenticated call (and per refused one) before the answer leaves,
//! so no patient data is read without a trace; handlers name the record a call concerned by
//! attaching an [`AuditResource`] to their response. Entries hold ids, never values.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::{PgConnection, PgPool, Row};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use rx_proto::audit::v1::audit_service_server::{AuditService, AuditServiceServer};
use rx_proto::audit::v1::{AuditEntry, QueryAuditRequest, QueryAuditResponse};

/// The record a call concerned, attached by the handler to its response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditResource {
    pub kind: &'static str,
    pub id: String,
    pub patient_id: String,
}

/// Attaches the record to a response for the audit entry of this call.
pub fn concerning<T>(
    mut response: Response<T>,
    kind: &'static str,
    id: impl ToString,
    patient_id: impl ToString,
) -> Response<T> {
    let resource = AuditResource { kind, id: id.to_string(), patient_id: patient_id.to_string() };
    response.extensions_mut().insert(resource);
    response
}

/// One entry to write.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    pub clinic_id: String,
    pub subject: String,
    pub roles: String,
    pub action: String,
    pub resource: AuditResource,
    pub peer: String,
    pub outcome: String,
}

/// Appends an entry (in its clinic's scope: the table's policy checks the clinic).
pub async fn record(pool: &PgPool, e: &Entry) -> Result<(), sqlx::Error> {
    let mut tx = crate::tenancy::begin(pool, &e.clinic_id).await?;
    insert(&mut tx, e).await?;
    tx.commit().await
}

async fn insert(conn: &mut PgConnection, e: &Entry) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (id, clinic_id, subject, roles, action, resource_type, resource_id, patient_id, peer, outcome)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(Uuid::now_v7())
    .bind(&e.clinic_id)
    .bind(&e.subject)
    .bind(&e.roles)
    .bind(&e.action)
    .bind(e.resource.kind)
    .bind(&e.resource.id)
    .bind(&e.resource.patient_id)
    .bind(&e.peer)
    .bind(&e.outcome)
    .execute(conn)
    .await?;
    Ok(())
}

/// The entry of one call in progress: who, what and from where, before the outcome is known.
/// The gRPC layer hands it to the handler as a request extension (adapters outside gRPC make
/// their own). A handler whose success ends in a write transaction commits the entry with it
/// ([`commit_with`]), so the change and its trace commit together and the call costs
/// one transaction instead of two; whoever audits the call afterwards skips a successful call
/// whose entry was committed, and writes every other one itself.
#[derive(Debug, Clone)]
pub struct CallEntry {
    entry: Arc<Entry>,
    written: Arc<AtomicBool>,
}

impl CallEntry {
    pub fn new(entry: Entry) -> Self {
        Self { entry: Arc::new(entry), written: Arc::new(AtomicBool::new(false)) }
    }

    /// The entry the gRPC layer attached to `request`, if any.
    pub fn of<T>(request: &Request<T>) -> Option<CallEntry> {
        request.extensions().get::<CallEntry>().cloned()
    }

    /// The entry as it stands (outcome and record not yet set).
    pub fn entry(&self) -> &Entry {
        &self.entry
    }

    /// Whether the call's successful outcome is already on record.
    pub fn is_written(&self) -> bool {
        self.written.load(Ordering::Acquire)
    }

    /// The entry of the call succeeding with `resource`.
    fn ok(&self, resource: AuditResource) -> Entry {
        Entry { resource, outcome: code_name(tonic::Code::Ok).to_owned(), ..(*self.entry).clone() }
    }

    /// [`Self::ok`] as a row for the caller to write (see [`EntryRow`]).
    pub fn ok_row(&self, resource: AuditResource) -> EntryRow {
        EntryRow { id: Uuid::now_v7(), entry: self.ok(resource) }
    }
}

/// The row of a successful call's entry naming `resource`, for a handler that writes it within
/// a statement of its own (one round trip fewer) and then commits with [`commit_written`].
/// Its columns are those of the `audit_log` table: id, clinic, subject, roles, action, resource
/// type, id and patient, peer, outcome.
#[derive(Debug, Clone)]
pub struct EntryRow {
    pub id: Uuid,
    pub entry: Entry,
}

/// Commits `tx`, in which the caller wrote `call`'s [`EntryRow`], and marks the entry written
/// once the commit went through.
pub async fn commit_written(
    tx: sqlx::Transaction<'_, sqlx::Postgres>,
    call: Option<&CallEntry>,
) -> Result<(), sqlx::Error> {
    tx.commit().await?;
    if let Some(call) = call {
        call.written.store(true, Ordering::Release);
    }
    Ok(())
}

/// Commits `tx`, the transaction that makes a call succeed, with the call's entry (if any)
/// naming `resource`, and marks the entry written once the commit went through. `tx` is scoped
/// to the entry's clinic.
pub async fn commit_with(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    call: Option<&CallEntry>,
    resource: AuditResource,
) -> Result<(), sqlx::Error> {
    if let Some(call) = call {
        insert(&mut tx, &call.ok(resource)).await?;
    }
    tx.commit().await?;
    if let Some(call) = call {
        call.written.store(true, Ordering::Release);
    }
    Ok(())
}

/// The name of a gRPC status code, as entries record outcomes.
pub fn code_name(code: tonic::Code) -> &'static str {
    match code {
        tonic::Code::Ok => "OK",
        tonic::Code::Cancelled => "CANCELLED",
        tonic::Code::InvalidArgument => "INVALID_ARGUMENT",
        tonic::Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        tonic::Code::NotFound => "NOT_FOUND",
        tonic::Code::AlreadyExists => "ALREADY_EXISTS",
        tonic::Code::PermissionDenied => "PERMISSION_DENIED",
        tonic::Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        tonic::Code::FailedPrecondition => "FAILED_PRECONDITION",
        tonic::Code::Unavailable => "UNAVAILABLE",
        tonic::Code::Unauthenticated => "UNAUTHENTICATED",
        _ => "ERROR",
    }
}

/// `AuditService` over one service's trail; callers see their clinic's entries only.
#[derive(Debug, Clone)]
pub struct Trail {
    pool: PgPool,
}

impl Trail {
    pub fn server(pool: PgPool) -> AuditServiceServer<Trail> {
        AuditServiceServer::new(Trail { pool })
    }
}

fn instant(field: &str, value: &str) -> Result<Option<OffsetDateTime>, Status> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    OffsetDateTime::parse(value.trim(), &Rfc3339)
        .map(Some)
        .map_err(|_| Status::invalid_argument(format!("{field}: expected an RFC 3339 instant")))
}

#[tonic::async_trait]
impl AuditService for Trail {
    async fn query_audit(&self, request: Request<QueryAuditRequest>) -> Result<Response<QueryAuditResponse>, Status> {
        let clinic = request
            .metadata()
            .get("x-clinic-id")
            .and_then(|v| v.to_str().ok())
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Status::unauthenticated("no clinic"))?
            .to_owned();
        let q = request.into_inner();
        let since = instant("since", &q.since)?;
        let until = instant("until", &q.until)?;
        let limit = match q.limit {
            0 => 100,
            n => i64::from(n.min(1000)),
        };
        let unavailable = |e: sqlx::Error| {
            tracing::error!(error = %e, "audit query failed");
            Status::unavailable("the audit trail cannot be read now")
        };
        let mut tx = crate::tenancy::begin(&self.pool, &clinic).await.map_err(unavailable)?;
        let rows = sqlx::query(
            "SELECT id, at, clinic_id, subject, roles, action, resource_type, resource_id, patient_id, peer, outcome
             FROM audit_log
             WHERE clinic_id = $1 AND ($2 = '' OR patient_id = $2) AND ($3 = '' OR subject = $3)
               AND ($4::timestamptz IS NULL OR at >= $4) AND ($5::timestamptz IS NULL OR at < $5)
             ORDER BY at DESC, id DESC LIMIT $6",
        )
        .bind(&clinic)
        .bind(q.patient_id.trim())
        .bind(q.subject.trim())
        .bind(since)
        .bind(until)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        let entries = rows
            .iter()
            .map(|r| -> Result<AuditEntry, sqlx::Error> {
                let at: OffsetDateTime = r.try_get("at")?;
                let roles: String = r.try_get("roles")?;
                Ok(AuditEntry {
                    id: r.try_get::<Uuid, _>("id")?.to_string(),
                    at: at.format(&Rfc3339).unwrap_or_default(),
                    clinic_id: r.try_get("clinic_id")?,
                    subject: r.try_get("subject")?,
                    roles: roles.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                    action: r.try_get("action")?,
                    resource_type: r.try_get("resource_type")?,
                    resource_id: r.try_get("resource_id")?,
                    patient_id: r.try_get("patient_id")?,
                    peer: r.try_get("peer")?,
                    outcome: r.try_get("outcome")?,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| Status::internal("unreadable audit entry"))?;
        Ok(Response::new(QueryAuditResponse { entries }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_named_like_grpc_codes() {
        assert_eq!(code_name(tonic::Code::Ok), "OK");
        assert_eq!(code_name(tonic::Code::NotFound), "NOT_FOUND");
        assert_eq!(code_name(tonic::Code::Unauthenticated), "UNAUTHENTICATED");
        assert_eq!(code_name(tonic::Code::DataLoss), "ERROR");
    }

    #[test]
    fn handlers_attach_the_record_to_the_response() {
        let r = concerning(Response::new(()), "prescription", "p-1", "pat-1");
        let got = r.extensions().get::<AuditResource>().cloned().unwrap_or_default();
        assert_eq!((got.kind, got.id.as_str(), got.patient_id.as_str()), ("prescription", "p-1", "pat-1"));
    }
}
