//! The intake use cases, shared by gRPC, FHIR REST and MLLP: submit a document (read,
//! validate, store with its event in one transaction, idempotently), and the review actions.

use std::sync::Arc;

use bytes::Bytes;
use intake_domain::{Status, ValidationConfig, validate};
use rx_codes::npi::NpiCheck;
use rx_ocr::Limits;
use rx_platform::audit::{AuditResource, CallEntry};
use sqlx::PgPool;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use crate::canonical::{Canonical, REFERENCES};
use crate::error::ServiceError;
use crate::events;
use crate::patient_ids::PatientIds;
use crate::reader::{self, Requested};
use crate::store::{self, HistoryEntry, NewDocument, Record, Verdict};

/// Longest idempotency key accepted.
pub const MAX_IDEMPOTENCY_KEY: usize = 128;

/// Intake's settings.
#[derive(Debug, Clone, Default)]
pub struct IntakeConfig {
    pub validation: ValidationConfig,
    /// A fixed "today" for validation (tests, replays); the clock when `None`.
    pub today: Option<Date>,
    pub ocr: Limits,
    /// Seals every stored document, page image and OCR text (envelope encryption).
    pub keyring: Option<Arc<rx_seal::Keyring>>,
    /// Stores documents unencrypted when there is no keyring: local development only.
    pub plaintext_documents: bool,
}

impl IntakeConfig {
    /// From the environment, with the document keys: `DOCUMENT_KEYRING` (JSON, see `rx_seal`),
    /// or `DOCUMENT_PLAINTEXT=true` for local development.
    pub fn from_env() -> Result<Self, rx_platform::config::ConfigError> {
        let mut config = Self::settings_from_env()?;
        match rx_platform::config::documents_at_rest()? {
            rx_seal::AtRest::Sealed(keyring) => config.keyring = Some(keyring),
            rx_seal::AtRest::Plaintext => config.plaintext_documents = true,
        }
        Ok(config)
    }

    /// The settings without the document keys (what `rxbridge config show` checks):
    /// `INTAKE_NPI_CHECK` = `strict` (default) or `shape` (test traffic whose NPIs fail the
    /// check digit).
    pub fn settings_from_env() -> Result<Self, rx_platform::config::ConfigError> {
        let mut config = Self::default();
        config.validation.npi_check = match rx_platform::config::string_or("INTAKE_NPI_CHECK", "strict").as_str() {
            "strict" => NpiCheck::Strict,
            "shape" => NpiCheck::ShapeOnly,
            _ => {
                return Err(rx_platform::config::ConfigError::Malformed {
                    name: "INTAKE_NPI_CHECK".into(),
                    reason: "expected strict or shape".into(),
                });
            }
        };
        Ok(config)
    }

    /// How documents are protected at rest.
    pub fn sealer(&self) -> store::Sealer<'_> {
        store::Sealer { keyring: self.keyring.as_deref(), plaintext: self.plaintext_documents }
    }
}

/// What the audit trail names for a prescription: it and its patient.
pub fn resource_of(record: &Record) -> AuditResource {
    AuditResource {
        kind: "prescription",
        id: record.id.to_string(),
        patient_id: record.patient_id.map(|p| p.to_string()).unwrap_or_default(),
    }
}

/// A document to take in.
#[derive(Debug, Clone)]
pub struct Submission {
    pub clinic_id: String,
    pub content: Bytes,
    pub requested: Requested,
    pub idempotency_key: Option<String>,
    pub source_label: String,
    /// `grpc`, `fhir_rest` or `mllp`.
    pub channel: &'static str,
    /// The call's audit entry, written with a new prescription in its transaction.
    pub audit: Option<CallEntry>,
}

/// A prescription with its history.
#[derive(Debug, Clone)]
pub struct View {
    pub record: Record,
    pub history: Vec<HistoryEntry>,
}

/// The outcome of a submission.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub view: View,
    pub duplicate: bool,
}

/// The intake service's state.
#[derive(Debug, Clone)]
pub struct App {
    pub pool: PgPool,
    pub config: Arc<IntakeConfig>,
    /// Registry ids of patients seen, so a submission is one statement (see `patient_ids`).
    pub patients: Arc<PatientIds>,
}

impl App {
    pub fn new(pool: PgPool, config: IntakeConfig) -> Self {
        Self { pool, config: Arc::new(config), patients: Arc::default() }
    }

    fn today(&self) -> Date {
        self.config.today.unwrap_or_else(|| OffsetDateTime::now_utc().date())
    }

    /// Validates the canonical fields: status, reasons and the treatment window (a
    /// prescription stating no end is valid for the age limit, 180 days by default).
    pub fn verdict(&self, canonical: &Canonical) -> Verdict {
        let rx = canonical.to_prescription();
        let v = validate(&rx, &self.config.validation, self.today());
        let valid_from = v.window.map(|w| w.start);
        let valid_until = v
            .window
            .and_then(|w| w.end.or_else(|| w.start.checked_add(Duration::days(self.config.validation.max_age_days))));
        Verdict {
            status: match v.status {
                Status::Accepted => "accepted",
                Status::NeedsReview => "needs_review",
            },
            reasons: v.reasons.iter().map(ToString::to_string).collect(),
            valid_from,
            valid_until,
        }
    }

    /// A transaction that sees only this clinic's rows (row-level security).
    async fn scoped(&self, clinic_id: &str) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, ServiceError> {
        Ok(rx_platform::tenancy::begin(&self.pool, clinic_id).await?)
    }

    async fn view(&self, clinic_id: &str, id: Uuid) -> Result<View, ServiceError> {
        let mut conn = self.scoped(clinic_id).await?;
        view_in(&mut conn, clinic_id, id).await
    }

    /// Takes in a document. Unreadable documents are stored and refused; a repeated key or
    /// repeated bytes return the first prescription with `duplicate` and no new event.
    #[tracing::instrument(skip_all, fields(channel = s.channel))]
    pub async fn submit(&self, s: Submission) -> Result<Submitted, ServiceError> {
        let key = s.idempotency_key.as_deref().map(str::trim).filter(|k| !k.is_empty());
        if key.is_some_and(|k| k.len() > MAX_IDEMPOTENCY_KEY) {
            return Err(ServiceError::InvalidArgument {
                field: "idempotency_key".into(),
                reason: format!("longer than {MAX_IDEMPOTENCY_KEY} characters"),
            });
        }
        let detected = intake_domain::format_detect(&s.content);
        // A fax is looked up before its OCR (seconds of work); text formats read in well under
        // a millisecond and meet their duplicate at the insert instead, one transaction fewer.
        if matches!(detected, intake_domain::Format::Fax(_))
            && let Some(duplicate) = self.earlier(&s.clinic_id, key, &s.content).await?
        {
            return Ok(duplicate);
        }
        let mut doc = NewDocument {
            clinic_id: &s.clinic_id,
            content: &s.content,
            media_type: reader::media_type(detected),
            format: reader::format_name(detected),
            idempotency_key: key,
            source_label: &s.source_label,
            channel: s.channel,
        };
        let read = match reader::read(s.content.clone(), s.requested, self.config.ocr.clone()).await {
            Ok(read) => read,
            Err(e) => {
                // the same key or bytes as an earlier document answer as that one did
                if let Some(duplicate) = self.earlier(&s.clinic_id, key, &s.content).await? {
                    return Ok(duplicate);
                }
                let why = match &e {
                    ServiceError::Unreadable(u) => u.reason.clone(),
                    _ => "internal error while reading".into(),
                };
                let id = store::insert_unreadable(&self.pool, &doc, &why, self.config.sealer()).await?;
                tracing::info!(document_id = %id, "unreadable document stored");
                return Err(e);
            }
        };
        doc.format = reader::format_name(read.format);
        doc.media_type = reader::media_type(read.format);
        let mut canonical = Canonical::from_prescription(&read.prescription);
        let certain = |name| canonical.field(name).is_some_and(|f| f.confidence >= 1.0);
        if !(certain(crate::canonical::FAMILY) && certain(crate::canonical::BIRTH_DATE)) {
            // A document that only points at a patient the clinic already knows (a FHIR
            // ServiceRequest whose subject was sent before) is completed from the registry.
            let mut conn = self.scoped(&s.clinic_id).await?;
            let references = canonical.values(crate::canonical::REFERENCES).to_vec();
            if let Some(known) = store::known_patient(&mut conn, &s.clinic_id, &references).await? {
                canonical.complete_patient(&known);
            }
        }
        let verdict = self.verdict(&canonical);

        // The relay is woken right after the commit (see `rx_messaging::outbox`).
        let stored = rx_messaging::outbox::waking_relays(async {
            let mut record = Record {
                id: Uuid::now_v7(),
                clinic_id: s.clinic_id.clone(),
                document_id: Uuid::now_v7(),
                patient_id: None,
                status: verdict.status.to_owned(),
                format: doc.format.to_owned(),
                canonical,
                review_reasons: verdict.reasons.clone(),
                valid_from: verdict.valid_from,
                valid_until: verdict.valid_until,
            };
            let key = store::PatientKey::of(&record.canonical);
            // the id this process last stored for the person, or a new one (see `patient_ids`)
            record.patient_id = key.as_ref().map(|k| self.patients.hint(&s.clinic_id, k).unwrap_or_else(Uuid::now_v7));
            let mut tx = self.scoped(&s.clinic_id).await?;
            // a wrong guess costs one more statement; the guess after it is the registry's id
            for _ in 0..3 {
                let event = if verdict.status == "accepted" {
                    events::accepted(&record)
                } else {
                    events::needs_review(&record, &verdict.reasons)
                };
                let event = rx_messaging::outbox::row(&event);
                let audit = s.audit.as_ref().map(|call| call.ok_row(resource_of(&record)));
                let sealer = self.config.sealer();
                let new = store::NewSubmission {
                    doc: &doc,
                    patient: key.as_ref(),
                    record: &record,
                    verdict: &verdict,
                    event: &event,
                    audit: audit.as_ref(),
                };
                match store::insert_submission(&mut tx, &new, sealer).await? {
                    store::Written::Stored(received) => {
                        let pages = &read.pages;
                        store::insert_pages(&mut tx, &s.clinic_id, record.document_id, pages, sealer).await?;
                        rx_platform::audit::commit_written(tx, s.audit.as_ref()).await?;
                        if let (Some(key), Some(id)) = (&key, record.patient_id) {
                            self.patients.remember(&s.clinic_id, key, id);
                        }
                        // what was just written is the whole view: no read back
                        return Ok::<_, ServiceError>(Some(View { record, history: vec![received] }));
                    }
                    store::Written::Duplicate => {
                        tx.rollback().await?;
                        return Ok(None);
                    }
                    store::Written::PatientIs(Some(id)) => record.patient_id = Some(id),
                    store::Written::PatientIs(None) => {
                        // added by a concurrent submission that committed after the statement began
                        if let Some(key) = &key {
                            record.patient_id = store::find_patient(&mut tx, &s.clinic_id, key).await?;
                        }
                    }
                }
            }
            Err(ServiceError::Internal("the prescription's patient could not be settled".into()))
        })
        .await?;
        let Some(view) = stored else {
            // an earlier submission of the same document (or a concurrent one that won the race)
            return self
                .earlier(&s.clinic_id, key, &s.content)
                .await?
                .ok_or_else(|| ServiceError::Internal("duplicate document without prescription".into()));
        };
        tracing::info!(prescription_id = %view.record.id, status = verdict.status, "prescription stored");
        Ok(Submitted { view, duplicate: false })
    }

    /// The prescription of an earlier document with the same idempotency key or bytes.
    async fn earlier(
        &self,
        clinic_id: &str,
        key: Option<&str>,
        content: &[u8],
    ) -> Result<Option<Submitted>, ServiceError> {
        let mut conn = self.scoped(clinic_id).await?;
        let Some(id) = store::find_duplicate(&mut conn, clinic_id, key, content).await? else {
            return Ok(None);
        };
        Ok(Some(Submitted { view: view_in(&mut conn, clinic_id, id).await?, duplicate: true }))
    }

    /// Audits a submission that arrived outside gRPC (whose layer audits every call): FHIR
    /// REST and MLLP. A new prescription's entry was written with it; every other outcome is
    /// written here. A trail that cannot be written is logged, not fatal: the document is
    /// already stored and acknowledged.
    pub async fn audit_submission(&self, call: &CallEntry, outcome: &Result<Submitted, ServiceError>) {
        let (resource, result) = match outcome {
            Ok(_) if call.is_written() => return,
            Ok(s) => (resource_of(&s.view.record), "OK"),
            Err(ServiceError::Unreadable(_) | ServiceError::InvalidArgument { .. }) => {
                (AuditResource::default(), "INVALID_ARGUMENT")
            }
            Err(_) => (AuditResource::default(), "UNAVAILABLE"),
        };
        let entry = rx_platform::audit::Entry { resource, outcome: result.to_owned(), ..call.entry().clone() };
        if let Err(e) = rx_platform::audit::record(&self.pool, &entry).await {
            tracing::error!(error = %e, action = %entry.action, "submission not audited");
        }
    }

    /// Keeps a document an adapter refused before reading it (e.g. a FHIR resource posted to
    /// the wrong endpoint), so every document received is on record.
    pub async fn keep_refused(
        &self,
        clinic_id: &str,
        content: &[u8],
        channel: &str,
        reason: &str,
    ) -> Result<Uuid, ServiceError> {
        let detected = intake_domain::format_detect(content);
        let doc = NewDocument {
            clinic_id,
            content,
            media_type: reader::media_type(detected),
            format: reader::format_name(detected),
            idempotency_key: None,
            source_label: "",
            channel,
        };
        store::insert_unreadable(&self.pool, &doc, reason, self.config.sealer()).await
    }

    /// One prescription with its history.
    pub async fn get(&self, clinic_id: &str, id: Uuid) -> Result<View, ServiceError> {
        self.view(clinic_id, id).await
    }

    /// A patient's prescriptions, newest first.
    pub async fn list_patient(
        &self,
        clinic_id: &str,
        patient_id: Uuid,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<View>, ServiceError> {
        let mut conn = self.scoped(clinic_id).await?;
        let records = store::list_for_patient(&mut conn, clinic_id, patient_id, limit, offset).await?;
        with_history(&mut conn, records).await
    }

    /// The review queue, oldest first.
    pub async fn list_pending(&self, clinic_id: &str, limit: i64, offset: i64) -> Result<Vec<View>, ServiceError> {
        let mut conn = self.scoped(clinic_id).await?;
        let records = store::list_pending(&mut conn, clinic_id, limit, offset).await?;
        with_history(&mut conn, records).await
    }

    /// The prescription with its original and its OCR pages.
    pub async fn review_item(
        &self,
        clinic_id: &str,
        id: Uuid,
    ) -> Result<(View, Vec<u8>, String, Vec<store::StoredPage>), ServiceError> {
        let view = self.view(clinic_id, id).await?;
        let mut conn = self.scoped(clinic_id).await?;
        let (content, media_type, pages) =
            store::document(&mut conn, clinic_id, view.record.document_id, self.config.sealer()).await?;
        Ok((view, content, media_type, pages))
    }

    async fn locked_in_review(
        &self,
        tx: &mut sqlx::PgConnection,
        clinic_id: &str,
        id: Uuid,
        action: &str,
    ) -> Result<Record, ServiceError> {
        let record = store::get(tx, clinic_id, id, true).await?;
        if record.status != "needs_review" {
            return Err(ServiceError::FailedPrecondition(format!(
                "only prescriptions waiting for review can be {action}; this one is {}",
                record.status
            )));
        }
        Ok(record)
    }

    /// Applies a reviewer's corrections (each recorded with who and when) and validates again;
    /// the prescription stays in review until approved.
    pub async fn correct(
        &self,
        clinic_id: &str,
        id: Uuid,
        corrections: Vec<(String, Vec<String>)>,
        by: &str,
    ) -> Result<View, ServiceError> {
        if corrections.is_empty() {
            return Err(ServiceError::InvalidArgument {
                field: "corrections".into(),
                reason: "no corrections given".into(),
            });
        }
        let mut tx = self.scoped(clinic_id).await?;
        let mut record = self.locked_in_review(&mut tx, clinic_id, id, "corrected").await?;
        for (i, (name, values)) in corrections.into_iter().enumerate() {
            let values: Vec<String> = values.into_iter().map(|v| v.trim().to_owned()).collect();
            let old = record.canonical.correct(&name, values.clone(), by).map_err(|e| {
                ServiceError::InvalidArgument { field: format!("corrections[{i}]"), reason: e.to_string() }
            })?;
            store::add_correction(&mut tx, &record, &name, &old, &values, by).await?;
        }
        let mut verdict = self.verdict(&record.canonical);
        verdict.status = "needs_review";
        record.patient_id = store::match_patient(&mut tx, clinic_id, &record.canonical).await?;
        if let Some(patient) = record.patient_id {
            store::remember_references(&mut tx, clinic_id, patient, record.canonical.values(REFERENCES)).await?;
        }
        record.review_reasons = verdict.reasons.clone();
        store::update_prescription(&mut tx, &record, &verdict).await?;
        tx.commit().await?;
        self.view(clinic_id, id).await
    }

    /// Approves: every field counts as checked by the reviewer, and the prescription is
    /// accepted if it then passes validation (else FAILED_PRECONDITION naming the reasons).
    pub async fn approve(&self, clinic_id: &str, id: Uuid, by: &str) -> Result<View, ServiceError> {
        let mut tx = self.scoped(clinic_id).await?;
        let mut record = self.locked_in_review(&mut tx, clinic_id, id, "approved").await?;
        record.canonical.confirm_all();
        let verdict = self.verdict(&record.canonical);
        if verdict.status != "accepted" {
            return Err(ServiceError::FailedPrecondition(format!(
                "prescription still fails validation: {}",
                verdict.reasons.join("; ")
            )));
        }
        record.patient_id = store::match_patient(&mut tx, clinic_id, &record.canonical).await?;
        if let Some(patient) = record.patient_id {
            store::remember_references(&mut tx, clinic_id, patient, record.canonical.values(REFERENCES)).await?;
        }
        record.review_reasons.clear();
        record.valid_from = verdict.valid_from;
        record.valid_until = verdict.valid_until;
        store::update_prescription(&mut tx, &record, &verdict).await?;
        store::add_history(&mut tx, &record, "accepted", by, "approved in review").await?;
        rx_messaging::outbox::enqueue(&mut tx, &events::accepted(&record)).await?;
        tx.commit().await?;
        tracing::info!(prescription_id = %id, "prescription approved");
        self.view(clinic_id, id).await
    }

    /// Rejects with the reviewer's reason.
    pub async fn reject(&self, clinic_id: &str, id: Uuid, by: &str, reason: &str) -> Result<View, ServiceError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.len() > 1000 {
            return Err(ServiceError::InvalidArgument {
                field: "reason".into(),
                reason: "a reason of 1 to 1000 characters is required".into(),
            });
        }
        let mut tx = self.scoped(clinic_id).await?;
        let record = self.locked_in_review(&mut tx, clinic_id, id, "rejected").await?;
        let verdict = Verdict {
            status: "rejected",
            reasons: record.review_reasons.clone(),
            valid_from: record.valid_from,
            valid_until: record.valid_until,
        };
        store::update_prescription(&mut tx, &record, &verdict).await?;
        store::add_history(&mut tx, &record, "rejected", by, reason).await?;
        rx_messaging::outbox::enqueue(&mut tx, &events::rejected(&record, reason)).await?;
        tx.commit().await?;
        tracing::info!(prescription_id = %id, "prescription rejected");
        self.view(clinic_id, id).await
    }
}

/// A prescription with its history, in the caller's clinic-scoped transaction.
async fn view_in(conn: &mut sqlx::PgConnection, clinic_id: &str, id: Uuid) -> Result<View, ServiceError> {
    let record = store::get(conn, clinic_id, id, false).await?;
    let history = store::history(conn, id).await?;
    Ok(View { record, history })
}

async fn with_history(conn: &mut sqlx::PgConnection, records: Vec<Record>) -> Result<Vec<View>, ServiceError> {
    let mut out = Vec::with_capacity(records.len());
    for record in records {
        let history = store::history(conn, record.id).await?;
        out.push(View { record, history });
    }
    Ok(out)
}
