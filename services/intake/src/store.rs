//! Every SQL statement of intake. Database errors become `ServiceError::Database` here and
//! nowhere else; the unique indexes on documents make duplicate submissions safe under races.

use rx_messaging::outbox::OutboxRow;
use rx_platform::audit::EntryRow;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::canonical::{BIRTH_DATE, Canonical, FAMILY, GIVEN, KnownPatient, MEMBER_ID, REFERENCES};
use crate::error::ServiceError;
use crate::reader::PageText;

/// A document as received.
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub clinic_id: &'a str,
    pub content: &'a [u8],
    pub media_type: &'a str,
    pub format: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub source_label: &'a str,
    pub channel: &'a str,
}

/// A prescription as stored.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: Uuid,
    pub clinic_id: String,
    pub document_id: Uuid,
    pub patient_id: Option<Uuid>,
    pub status: String,
    pub format: String,
    pub canonical: Canonical,
    pub review_reasons: Vec<String>,
    pub valid_from: Option<Date>,
    pub valid_until: Option<Date>,
}

/// One status change.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub status: String,
    pub at: OffsetDateTime,
    pub by: String,
    pub reason: String,
}

/// A stored OCR page.
#[derive(Debug, Clone)]
pub struct StoredPage {
    pub text: String,
    pub confidence: f32,
    pub image_png: Option<Vec<u8>>,
}

/// The state a new or re-validated prescription is saved with.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub status: &'static str,
    pub reasons: Vec<String>,
    pub valid_from: Option<Date>,
    pub valid_until: Option<Date>,
}

const RECORD_COLUMNS: &str = "id, clinic_id, document_id, patient_id, status, format, canonical, review_reasons, \
                              valid_from, valid_until";

fn record(row: &PgRow) -> Result<Record, ServiceError> {
    let canonical: sqlx::types::Json<Canonical> = row.try_get("canonical")?;
    Ok(Record {
        id: row.try_get("id")?,
        clinic_id: row.try_get("clinic_id")?,
        document_id: row.try_get("document_id")?,
        patient_id: row.try_get("patient_id")?,
        status: row.try_get("status")?,
        format: row.try_get("format")?,
        canonical: canonical.0,
        review_reasons: row.try_get("review_reasons")?,
        valid_from: row.try_get("valid_from")?,
        valid_until: row.try_get("valid_until")?,
    })
}

/// How documents are protected at rest: sealed with the keyring, or (development only)
/// stored as they are. Without either, storing a document is refused.
#[derive(Debug, Clone, Copy)]
pub struct Sealer<'k> {
    pub keyring: Option<&'k rx_seal::Keyring>,
    pub plaintext: bool,
}

impl Sealer<'_> {
    /// Binds a sealed value to its clinic, document, and part, so it opens nowhere else.
    fn aad(clinic_id: &str, document_id: Uuid, part: &str) -> Vec<u8> {
        format!("{clinic_id}/{document_id}/{part}").into_bytes()
    }

    pub fn seal(&self, clinic_id: &str, document_id: Uuid, part: &str, plain: &[u8]) -> Result<Vec<u8>, ServiceError> {
        match (self.keyring, self.plaintext) {
            (Some(k), _) => k
                .seal(plain, &Self::aad(clinic_id, document_id, part))
                .map_err(|e| ServiceError::Internal(format!("sealing a document: {e}"))),
            (None, true) => Ok(plain.to_vec()),
            (None, false) => Err(ServiceError::Internal("document encryption is not configured".into())),
        }
    }

    pub fn open(&self, clinic_id: &str, document_id: Uuid, part: &str, blob: &[u8]) -> Result<Vec<u8>, ServiceError> {
        match self.keyring {
            Some(k) => k
                .open(blob, &Self::aad(clinic_id, document_id, part))
                .map_err(|e| ServiceError::Internal(format!("opening a document: {e}"))),
            None if rx_seal::Keyring::key_id(blob).is_some() => {
                Err(ServiceError::Internal("the document is sealed and no keyring is configured".into()))
            }
            None => Ok(blob.to_vec()),
        }
    }
}

/// The duplicate lookup: by key, else by content, two lookups each on its own index (an OR
/// across both columns would scan every document of the clinic). Sent unprepared (see
/// [`find_duplicate`]).
pub const FIND_DUPLICATE: &str = "SELECT p.id FROM (
     (SELECT id, 0 AS rank FROM documents WHERE clinic_id = $1 AND readable AND idempotency_key = $2 LIMIT 1)
     UNION ALL
     (SELECT id, 1 AS rank FROM documents WHERE clinic_id = $1 AND readable AND sha256 = $3 LIMIT 1)
 ) d JOIN prescriptions p ON p.document_id = d.id
 ORDER BY d.rank LIMIT 1";

/// The prescription an earlier submission with the same key or the same bytes created.
pub async fn find_duplicate(
    conn: &mut PgConnection,
    clinic_id: &str,
    idempotency_key: Option<&str>,
    content: &[u8],
) -> Result<Option<Uuid>, ServiceError> {
    // Planned on every call, with the sizes the tables have now. Row-level security adds the
    // clinic to every query, so an index leading with clinic_id fits this one a little too;
    // before statistics exist the planner cannot tell it from the unique indexes, and a
    // prepared statement's generic plan made then is kept: it walked every prescription of the
    // clinic and, for each, every document (seconds per submission after a few thousand
    // documents, until autovacuum's first ANALYZE). Planning costs a fraction of a millisecond.
    let id = sqlx::query_scalar(FIND_DUPLICATE)
        .persistent(false)
        .bind(clinic_id)
        .bind(idempotency_key)
        .bind(rx_seal::fingerprint(content))
        .fetch_optional(&mut *conn)
        .await?;
    Ok(id)
}

/// Keeps a document that could not be read, with the reason; returns its id.
pub async fn insert_unreadable(
    pool: &PgPool,
    doc: &NewDocument<'_>,
    error: &str,
    sealer: Sealer<'_>,
) -> Result<Uuid, ServiceError> {
    let id = Uuid::now_v7();
    let sealed = sealer.seal(doc.clinic_id, id, "content", doc.content)?;
    let mut tx = rx_platform::tenancy::begin(pool, doc.clinic_id).await?;
    let query = sqlx::query_as::<_, (Uuid,)>(
        "INSERT INTO documents (id, clinic_id, content, media_type, format, idempotency_key, source_label, channel,
                                sha256, readable, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, false, $10) RETURNING id",
    );
    bind_document(query, id, doc, sealed).bind(error).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(id)
}

type PgQueryAs<'q, O> = sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>;

/// Binds a document's columns as $1-$9: id, clinic_id, content (sealed), media_type, format,
/// idempotency_key, source_label, channel, sha256.
fn bind_document<'q, O>(query: PgQueryAs<'q, O>, id: Uuid, doc: &NewDocument<'q>, sealed: Vec<u8>) -> PgQueryAs<'q, O> {
    query
        .bind(id)
        .bind(doc.clinic_id)
        .bind(sealed)
        .bind(doc.media_type)
        .bind(doc.format)
        .bind(doc.idempotency_key)
        .bind(doc.source_label)
        .bind(doc.channel)
        .bind(rx_seal::fingerprint(doc.content))
}

/// Binds what a prescription's row holds of its reading and verdict, in this order: status,
/// canonical fields, review reasons, prescriber NPI, primary diagnosis, valid from, valid until.
fn bind_verdict<'q, O>(query: PgQueryAs<'q, O>, record: &'q Record, verdict: &'q Verdict) -> PgQueryAs<'q, O> {
    query
        .bind(verdict.status)
        .bind(sqlx::types::Json(&record.canonical))
        .bind(&verdict.reasons)
        .bind(record.canonical.first(crate::canonical::NPI))
        .bind(record.canonical.first(crate::canonical::DIAGNOSES))
        .bind(verdict.valid_from)
        .bind(verdict.valid_until)
}

/// Stores the OCR pages of a document.
pub async fn insert_pages(
    conn: &mut PgConnection,
    clinic_id: &str,
    document_id: Uuid,
    pages: &[PageText],
    sealer: Sealer<'_>,
) -> Result<(), ServiceError> {
    for (i, page) in pages.iter().enumerate() {
        let text = sealer.seal(clinic_id, document_id, &format!("page {i} text"), page.text.as_bytes())?;
        let image = match &page.image_png {
            Some(png) => Some(sealer.seal(clinic_id, document_id, &format!("page {i} image"), png)?),
            None => None,
        };
        sqlx::query(
            "INSERT INTO ocr_pages (document_id, clinic_id, page_no, text, confidence, image_png)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(document_id)
        .bind(clinic_id)
        .bind(i32::try_from(i + 1).unwrap_or(i32::MAX))
        .bind(text)
        .bind(page.confidence)
        .bind(image)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// How the registry tells people apart: name (compared by its words, ignoring case), birth date
/// and member id (empty when the prescription names none).
#[derive(Debug, Clone)]
pub struct PatientKey<'a> {
    family: &'a str,
    given: &'a str,
    family_key: String,
    given_key: String,
    birth_date: Date,
    member_id: &'a str,
}

impl<'a> PatientKey<'a> {
    /// `None` when the prescription lacks name or birth date.
    pub fn of(canonical: &'a Canonical) -> Option<Self> {
        let (Some(family), Some(given), Some(birth_date)) =
            (canonical.first(FAMILY), canonical.first(GIVEN), canonical.date(BIRTH_DATE))
        else {
            return None;
        };
        let key = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        Some(Self {
            family: family.trim(),
            given: given.trim(),
            family_key: key(family),
            given_key: key(given),
            birth_date,
            member_id: canonical.first(MEMBER_ID).map(str::trim).unwrap_or_default(),
        })
    }

    pub fn family_key(&self) -> &str {
        &self.family_key
    }

    pub fn given_key(&self) -> &str {
        &self.given_key
    }

    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    pub fn member_id(&self) -> &str {
        self.member_id
    }
}

/// Finds or creates the clinic's patient with the prescription's name, birth date and member
/// id; `None` when the prescription lacks name or birth date. The sender's references to the
/// patient are the caller's to remember ([`remember_references`], or with the new prescription
/// in [`insert_prescription`]).
pub async fn match_patient(
    conn: &mut PgConnection,
    clinic_id: &str,
    canonical: &Canonical,
) -> Result<Option<Uuid>, ServiceError> {
    let Some(key) = PatientKey::of(canonical) else {
        return Ok(None);
    };
    match find_patient(&mut *conn, clinic_id, &key).await? {
        Some(id) => Ok(Some(id)),
        None => create_patient(conn, clinic_id, &key).await.map(Some),
    }
}

pub async fn find_patient(
    conn: &mut PgConnection,
    clinic_id: &str,
    key: &PatientKey<'_>,
) -> Result<Option<Uuid>, ServiceError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM patients WHERE clinic_id = $1 AND family_key = $2 AND given_key = $3
           AND birth_date = $4 AND member_id = $5",
    )
    .bind(clinic_id)
    .bind(&key.family_key)
    .bind(&key.given_key)
    .bind(key.birth_date)
    .bind(key.member_id)
    .fetch_optional(conn)
    .await?)
}

/// Adds a patient no lookup found. Find first, insert only when missing (DO NOTHING takes no
/// lock on an existing row): an upsert would lock the patient's row until commit and
/// serialize every concurrent submission for the same patient.
pub async fn create_patient(
    conn: &mut PgConnection,
    clinic_id: &str,
    key: &PatientKey<'_>,
) -> Result<Uuid, ServiceError> {
    let inserted: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO patients (id, clinic_id, family, given, birth_date, member_id, family_key, given_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (clinic_id, family_key, given_key, birth_date, member_id) DO NOTHING
         RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(clinic_id)
    .bind(key.family)
    .bind(key.given)
    .bind(key.birth_date)
    .bind(key.member_id)
    .bind(&key.family_key)
    .bind(&key.given_key)
    .fetch_optional(&mut *conn)
    .await?;
    match inserted {
        Some(id) => Ok(id),
        // A concurrent submission inserted the same patient first.
        None => find_patient(conn, clinic_id, key)
            .await?
            .ok_or_else(|| ServiceError::Internal("a patient neither inserted nor found".into())),
    }
}

/// The clinic's patient one of `references` names, if any (the most recently confirmed).
pub async fn known_patient(
    conn: &mut PgConnection,
    clinic_id: &str,
    references: &[String],
) -> Result<Option<KnownPatient>, ServiceError> {
    if references.is_empty() {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT p.id, r.reference, p.family, p.given, p.birth_date, p.member_id
         FROM patient_references r JOIN patients p ON p.id = r.patient_id AND p.clinic_id = r.clinic_id
         WHERE r.clinic_id = $1 AND r.reference = ANY($2)
         ORDER BY r.updated_at DESC LIMIT 1",
    )
    .bind(clinic_id)
    .bind(references)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(KnownPatient {
        id: row.try_get("id")?,
        reference: row.try_get("reference")?,
        family: row.try_get("family")?,
        given: row.try_get("given")?,
        birth_date: row.try_get("birth_date")?,
        member_id: row.try_get("member_id")?,
    }))
}

/// Records that the sender names `patient_id` by each of `references` (the latest wins).
pub async fn remember_references(
    conn: &mut PgConnection,
    clinic_id: &str,
    patient_id: Uuid,
    references: &[String],
) -> Result<(), ServiceError> {
    if references.is_empty() {
        return Ok(());
    }
    // Insert what is new and repoint what changed, in one statement: the update sees the rows
    // as they were before the insert, so it repoints only references that pointed elsewhere;
    // references already right are left unlocked, so concurrent documents for one patient do
    // not queue behind each other.
    sqlx::query(
        "WITH added AS (
             INSERT INTO patient_references (clinic_id, reference, patient_id)
             SELECT $1, r, $3 FROM unnest($2::text[]) AS r
             ON CONFLICT (clinic_id, reference) DO NOTHING
         )
         UPDATE patient_references SET patient_id = $3, updated_at = now()
         WHERE clinic_id = $1 AND reference = ANY($2) AND patient_id <> $3",
    )
    .bind(clinic_id)
    .bind(references)
    .bind(patient_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What [`insert_submission`] did.
#[derive(Debug, Clone)]
pub enum Written {
    /// Everything was written; the entry is the prescription's first history entry.
    Stored(HistoryEntry),
    /// An earlier document has the same idempotency key or bytes: nothing of this one was
    /// written (the caller rolls back and answers with that one's prescription).
    Duplicate,
    /// The registry knows the patient by another id than the record's (`None`: a concurrent
    /// submission added them after this statement began). Nothing was written; the caller
    /// retries with that id (looked up again when `None`).
    PatientIs(Option<Uuid>),
}

/// What a readable submission writes.
#[derive(Debug, Clone, Copy)]
pub struct NewSubmission<'a> {
    pub doc: &'a NewDocument<'a>,
    /// The prescription's patient, when it names one.
    pub patient: Option<&'a PatientKey<'a>>,
    pub record: &'a Record,
    pub verdict: &'a Verdict,
    pub event: &'a OutboxRow,
    /// The call's audit entry, when the channel audits it here.
    pub audit: Option<&'a EntryRow>,
}

/// A readable document with its prescription, the prescription's patient (added to the registry
/// when new), its first history entry, the sender's references to the patient (as
/// [`remember_references`] does), its event and the call's audit entry, in one statement: a
/// submission is one round trip between its begin and its commit. The prescription's fields
/// are its `canonical` column; nothing reads them apart from it (see `migrations/intake/0007`).
///
/// The event names the patient, so the id must be settled before the statement is sent:
/// `record.patient_id` is the caller's guess (the id this process last stored for `patient`,
/// or a new one). The statement looks the patient up by `patient` and writes only when the
/// guess is right, or when the patient is new and is added under it.
pub async fn insert_submission(
    conn: &mut PgConnection,
    new: &NewSubmission<'_>,
    sealer: Sealer<'_>,
) -> Result<Written, ServiceError> {
    let NewSubmission { doc, patient, record, verdict, event, audit } = *new;
    if patient.is_some() != record.patient_id.is_some() {
        return Err(ServiceError::Internal("a patient key without an id, or an id without a key".into()));
    }
    const BY: &str = "system";
    let sealed = sealer.seal(doc.clinic_id, record.document_id, "content", doc.content)?;
    let reason = verdict.reasons.join("; ");
    let query = sqlx::query_as::<_, (bool, Option<Uuid>, Option<OffsetDateTime>)>(
        "WITH found AS (
             SELECT id FROM patients
             WHERE $16::uuid IS NOT NULL AND clinic_id = $2 AND family_key = $10 AND given_key = $11
               AND birth_date = $12 AND member_id = $13),
         -- DO NOTHING takes no lock on an existing row, so concurrent submissions for one
         -- patient do not queue behind each other
         patient_added AS (
             INSERT INTO patients (id, clinic_id, family, given, birth_date, member_id, family_key, given_key)
             SELECT $16, $2, $14, $15, $12, $13, $10, $11
             WHERE $16::uuid IS NOT NULL AND NOT EXISTS (SELECT FROM found)
             ON CONFLICT (clinic_id, family_key, given_key, birth_date, member_id) DO NOTHING
             RETURNING id),
         settled AS (
             SELECT $16::uuid IS NULL OR $16 IS NOT DISTINCT FROM (SELECT id FROM found)
                    OR EXISTS (SELECT FROM patient_added) AS ok),
         document AS (
             INSERT INTO documents (id, clinic_id, content, media_type, format, idempotency_key, source_label, channel,
                                    sha256, readable)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, true FROM settled WHERE ok
             ON CONFLICT DO NOTHING
             RETURNING id),
         prescription AS (
             INSERT INTO prescriptions (id, clinic_id, document_id, patient_id, status, format, canonical,
                                        review_reasons, prescriber_npi, primary_diagnosis, valid_from, valid_until)
             SELECT $17, $2, id, $16, $18, $25, $19, $20, $21, $22, $23, $24 FROM document
             RETURNING id),
         history AS (
             INSERT INTO status_history (prescription_id, clinic_id, status, by_subject, reason)
             SELECT id, $2, $18, $26, $27 FROM prescription
             RETURNING at),
         references_added AS (
             INSERT INTO patient_references (clinic_id, reference, patient_id)
             SELECT $2, r, $16 FROM unnest($28::text[]) AS r
             WHERE $16::uuid IS NOT NULL AND EXISTS (SELECT FROM document)
             ON CONFLICT (clinic_id, reference) DO NOTHING),
         references_moved AS (
             UPDATE patient_references SET patient_id = $16, updated_at = now()
             WHERE clinic_id = $2 AND reference = ANY($28) AND patient_id <> $16 AND EXISTS (SELECT FROM document)),
         event AS (
             INSERT INTO outbox (id, routing_key, clinic_id, payload, headers)
             SELECT $29, $30, $31, $32, $33 FROM document),
         audited AS (
             INSERT INTO audit_log (id, clinic_id, subject, roles, action, resource_type, resource_id, patient_id,
                                    peer, outcome)
             SELECT $34, $35, $36, $37, $38, $39, $40, $41, $42, $43 FROM document WHERE $34::uuid IS NOT NULL)
         SELECT (SELECT ok FROM settled), (SELECT id FROM found), (SELECT at FROM history)",
    );
    let query = bind_document(query, record.document_id, doc, sealed)
        .bind(patient.map(|p| p.family_key.as_str()))
        .bind(patient.map(|p| p.given_key.as_str()))
        .bind(patient.map(|p| p.birth_date))
        .bind(patient.map(|p| p.member_id))
        .bind(patient.map(|p| p.family))
        .bind(patient.map(|p| p.given))
        .bind(record.patient_id)
        .bind(record.id);
    let (settled, found, at) = bind_verdict(query, record, verdict)
        .bind(&record.format)
        .bind(BY)
        .bind(&reason)
        .bind(record.canonical.values(REFERENCES))
        .bind(event.id)
        .bind(&event.routing_key)
        .bind(&event.clinic_id)
        .bind(&event.payload)
        .bind(&event.headers)
        .bind(audit.map(|a| a.id))
        .bind(audit.map(|a| a.entry.clinic_id.as_str()))
        .bind(audit.map(|a| a.entry.subject.as_str()))
        .bind(audit.map(|a| a.entry.roles.as_str()))
        .bind(audit.map(|a| a.entry.action.as_str()))
        .bind(audit.map(|a| a.entry.resource.kind))
        .bind(audit.map(|a| a.entry.resource.id.as_str()))
        .bind(audit.map(|a| a.entry.resource.patient_id.as_str()))
        .bind(audit.map(|a| a.entry.peer.as_str()))
        .bind(audit.map(|a| a.entry.outcome.as_str()))
        .fetch_one(&mut *conn)
        .await?;
    if !settled {
        return Ok(Written::PatientIs(found));
    }
    let Some(at) = at else { return Ok(Written::Duplicate) };
    rx_messaging::outbox::written(conn).await?;
    Ok(Written::Stored(HistoryEntry { status: verdict.status.to_owned(), at, by: BY.to_owned(), reason }))
}

/// Saves a changed prescription (fields, status, reasons, window, patient).
pub async fn update_prescription(
    conn: &mut PgConnection,
    record: &Record,
    verdict: &Verdict,
) -> Result<(), ServiceError> {
    let query = sqlx::query_as::<_, (Uuid,)>(
        "UPDATE prescriptions SET status = $1, canonical = $2, review_reasons = $3, prescriber_npi = $4,
                primary_diagnosis = $5, valid_from = $6, valid_until = $7, patient_id = $8, updated_at = now()
         WHERE id = $9 AND clinic_id = $10
         RETURNING id",
    );
    bind_verdict(query, record, verdict)
        .bind(record.patient_id)
        .bind(record.id)
        .bind(&record.clinic_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(ServiceError::NotFound("prescription"))?;
    Ok(())
}

/// Appends a status change.
pub async fn add_history(
    conn: &mut PgConnection,
    record: &Record,
    status: &str,
    by: &str,
    reason: &str,
) -> Result<HistoryEntry, ServiceError> {
    let at = sqlx::query_scalar(
        "INSERT INTO status_history (prescription_id, clinic_id, status, by_subject, reason) VALUES ($1, $2, $3, $4, $5)
         RETURNING at",
    )
        .bind(record.id)
        .bind(&record.clinic_id)
        .bind(status)
        .bind(by)
        .bind(reason)
        .fetch_one(&mut *conn)
        .await?;
    Ok(HistoryEntry { status: status.to_owned(), at, by: by.to_owned(), reason: reason.to_owned() })
}

/// Records one review correction.
pub async fn add_correction(
    conn: &mut PgConnection,
    record: &Record,
    field: &str,
    old: &[String],
    new: &[String],
    by: &str,
) -> Result<(), ServiceError> {
    sqlx::query(
        "INSERT INTO review_corrections (prescription_id, clinic_id, field, old_values, new_values, by_subject)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(record.id)
    .bind(&record.clinic_id)
    .bind(field)
    .bind(old)
    .bind(new)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One prescription of the clinic; `lock` takes a row lock for a change.
pub async fn get(conn: &mut PgConnection, clinic_id: &str, id: Uuid, lock: bool) -> Result<Record, ServiceError> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM prescriptions WHERE id = $1 AND clinic_id = $2{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(clinic_id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(record).transpose()?.ok_or(ServiceError::NotFound("prescription"))
}

/// The status history, oldest first.
pub async fn history(conn: &mut PgConnection, id: Uuid) -> Result<Vec<HistoryEntry>, ServiceError> {
    let rows =
        sqlx::query("SELECT status, at, by_subject, reason FROM status_history WHERE prescription_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(HistoryEntry {
                status: r.try_get("status")?,
                at: r.try_get("at")?,
                by: r.try_get("by_subject")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect()
}

/// A patient's prescriptions, newest first.
pub async fn list_for_patient(
    conn: &mut PgConnection,
    clinic_id: &str,
    patient_id: Uuid,
    limit: i64,
    offset: i64,
) -> Result<Vec<Record>, ServiceError> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM prescriptions WHERE clinic_id = $1 AND patient_id = $2
         ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(clinic_id)
        .bind(patient_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(conn)
        .await?;
    rows.iter().map(record).collect()
}

/// Prescriptions waiting for review, oldest first.
pub async fn list_pending(
    conn: &mut PgConnection,
    clinic_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<Record>, ServiceError> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM prescriptions WHERE clinic_id = $1 AND status = 'needs_review'
         ORDER BY created_at, id LIMIT $2 OFFSET $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(clinic_id).bind(limit).bind(offset).fetch_all(conn).await?;
    rows.iter().map(record).collect()
}

/// The original document and its OCR pages.
pub async fn document(
    conn: &mut PgConnection,
    clinic_id: &str,
    document_id: Uuid,
    sealer: Sealer<'_>,
) -> Result<(Vec<u8>, String, Vec<StoredPage>), ServiceError> {
    let row = sqlx::query("SELECT content, media_type FROM documents WHERE id = $1 AND clinic_id = $2")
        .bind(document_id)
        .bind(clinic_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(ServiceError::NotFound("document"))?;
    let pages = sqlx::query(
        "SELECT page_no, text, confidence, image_png FROM ocr_pages WHERE document_id = $1 AND clinic_id = $2
         ORDER BY page_no",
    )
    .bind(document_id)
    .bind(clinic_id)
    .fetch_all(&mut *conn)
    .await?;
    let pages = pages
        .iter()
        .map(|r| {
            // Sealed under the page's index from 0, as written by `insert_pages`.
            let i = r.try_get::<i32, _>("page_no")? - 1;
            let text: Vec<u8> = r.try_get("text")?;
            let text = sealer.open(clinic_id, document_id, &format!("page {i} text"), &text)?;
            let image: Option<Vec<u8>> = r.try_get("image_png")?;
            let image_png = match image {
                Some(blob) => Some(sealer.open(clinic_id, document_id, &format!("page {i} image"), &blob)?),
                None => None,
            };
            Ok(StoredPage {
                text: String::from_utf8_lossy(&text).into_owned(),
                confidence: r.try_get("confidence")?,
                image_png,
            })
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;
    let content: Vec<u8> = row.try_get("content")?;
    let content = sealer.open(clinic_id, document_id, "content", &content)?;
    Ok((content, row.try_get("media_type")?, pages))
}

/// Moves every stored document, page image and OCR text to the keyring's current master key
/// (sealing any stored before encryption was on), `batch` documents per transaction. Safe to
/// run while intake serves and to run again: what is already current is left alone.
pub async fn rewrap_documents(
    pool: &PgPool,
    keyring: &rx_seal::Keyring,
    batch: i64,
) -> Result<rx_seal::Rewrapped, ServiceError> {
    let mut done = rx_seal::Rewrapped::default();
    let mut after = Uuid::nil();
    loop {
        let mut tx = rx_platform::tenancy::begin_task(pool, rx_platform::tenancy::Task::Rewrap).await?;
        let rows: Vec<(Uuid, String, Vec<u8>)> = sqlx::query_as(
            "SELECT id, clinic_id, content FROM documents WHERE id > $1 ORDER BY id LIMIT $2 FOR UPDATE",
        )
        .bind(after)
        .bind(batch)
        .fetch_all(&mut *tx)
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (id, clinic, content) in &rows {
            done.examined += 1;
            let mut changed = false;
            let aad = |part: &str| format!("{clinic}/{id}/{part}").into_bytes();
            let rewrap = |blob: &[u8], part: &str| {
                keyring.rewrap(blob, &aad(part)).map_err(|e| ServiceError::Internal(format!("document {id}: {e}")))
            };
            if let Some(new) = rewrap(content, "content")? {
                sqlx::query("UPDATE documents SET content = $1 WHERE id = $2")
                    .bind(new)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                changed = true;
            }
            let pages: Vec<(i32, Vec<u8>, Option<Vec<u8>>)> = sqlx::query_as(
                "SELECT page_no, text, image_png FROM ocr_pages WHERE document_id = $1 ORDER BY page_no",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            for (page_no, text, image) in pages {
                let i = page_no - 1;
                let text = rewrap(&text, &format!("page {i} text"))?;
                let image = match &image {
                    Some(png) => rewrap(png, &format!("page {i} image"))?,
                    None => None,
                };
                if text.is_some() || image.is_some() {
                    sqlx::query(
                        "UPDATE ocr_pages SET text = COALESCE($1, text), image_png = COALESCE($2, image_png)
                         WHERE document_id = $3 AND page_no = $4",
                    )
                    .bind(text)
                    .bind(image)
                    .bind(id)
                    .bind(page_no)
                    .execute(&mut *tx)
                    .await?;
                    changed = true;
                }
            }
            done.rewrapped += u64::from(changed);
        }
        tx.commit().await?;
    }
    Ok(done)
}
