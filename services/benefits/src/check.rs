//! One eligibility check, start to end but without writing it: the cache, a control number,
//! the 270, the payer call within its budget, the 271 interpreted into a [`Summary`].
//! Callers (the API, the consumer) record the result in their own transaction.

use std::sync::Arc;

use benefits_domain::{
    Dependent, EligibilityRequest, PayerProfile, Provider, ProviderId, ProviderKind, Subscriber, Trace, benefits_for,
    build_270, decide, interpret_271,
};
use rx_x12::{ControlNumbers, Envelope, PartyId, Usage};
use sqlx::PgPool;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};
use uuid::Uuid;

use crate::config::{BenefitsConfig, PayerConfig};
use crate::connector::{ConnectorError, PayerConnector, Resilient};
use crate::control_numbers::ControlNumberBlocks;
use crate::store::{self, Artifact, Coverage, Relationship, StoreError, StoredCheck};
use crate::summary::{Summary, reason};

/// What a check produced: a fresh answer with its X12, or a cached one.
#[derive(Debug, Clone)]
pub struct Performed {
    pub id: Uuid,
    pub summary: Summary,
    pub checked_at: OffsetDateTime,
    pub from_cache: bool,
    pub artifacts: Vec<Artifact>,
}

/// Performs checks with the configured payers.
#[derive(Debug)]
pub struct Checker {
    pub config: Arc<BenefitsConfig>,
    connector: Resilient,
    numbers: ControlNumberBlocks,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

impl Checker {
    pub fn new(config: Arc<BenefitsConfig>, connector: Arc<dyn PayerConnector>) -> Self {
        Self { config, connector: Resilient::new(connector), numbers: ControlNumberBlocks::default() }
    }

    /// The service type to ask about: the caller's, else the payer's default.
    pub fn service_type(&self, payer_id: &str, asked: &str) -> String {
        if !asked.trim().is_empty() {
            return asked.trim().to_owned();
        }
        self.config.payer(payer_id).map_or("AE", |p| p.default_service_type()).to_owned()
    }

    /// Since when a stored answer is still good.
    fn cache_since(&self, now: OffsetDateTime) -> OffsetDateTime {
        match self.config.cache_for {
            Some(d) => now - d,
            None => now.replace_time(Time::MIDNIGHT),
        }
    }

    /// Checks from the day's cache, read in the caller's clinic-scoped transaction, else with
    /// the payer.
    pub async fn check_in(
        &self,
        conn: &mut sqlx::PgConnection,
        pool: &PgPool,
        coverage: &Coverage,
        service_type: &str,
    ) -> Result<Performed, StoreError> {
        if let Some(hit) = self.cached_in(conn, coverage, service_type).await? {
            return Ok(hit);
        }
        self.ask_payer(pool, coverage, service_type, None).await
    }

    /// The day's answer from the cache, read in the caller's clinic-scoped transaction.
    pub async fn cached_in(
        &self,
        conn: &mut sqlx::PgConnection,
        coverage: &Coverage,
        service_type: &str,
    ) -> Result<Option<Performed>, StoreError> {
        Ok(self.cached_all_in(conn, &[(coverage, service_type)]).await?.pop().flatten())
    }

    /// [`Self::cached_in`] for several coverages, in one read: an answer (or none) for each, in
    /// order.
    pub async fn cached_all_in(
        &self,
        conn: &mut sqlx::PgConnection,
        asked: &[(&Coverage, &str)],
    ) -> Result<Vec<Option<Performed>>, StoreError> {
        let since = self.cache_since(OffsetDateTime::now_utc());
        let keys: Vec<store::CacheKey<'_>> = asked
            .iter()
            .map(|(c, service_type)| store::CacheKey {
                clinic_id: &c.clinic_id,
                patient_id: c.patient_id,
                payer_id: &c.payer_id,
                service_type,
            })
            .collect();
        let hits = store::cached_checks_in(conn, &keys, since).await?;
        Ok(hits.into_iter().map(|hit| hit.map(Self::from_cache)).collect())
    }

    fn from_cache(hit: StoredCheck) -> Performed {
        Performed {
            id: Uuid::now_v7(),
            summary: hit.summary,
            checked_at: hit.checked_at,
            from_cache: true,
            artifacts: Vec::new(),
        }
    }

    /// Asks the payer (no cache): a 270 under the next control number, the 271 interpreted.
    pub async fn ask_payer(
        &self,
        pool: &PgPool,
        coverage: &Coverage,
        service_type: &str,
        date_of_service: Option<Date>,
    ) -> Result<Performed, StoreError> {
        let control = self.control_number(pool, coverage).await?;
        Ok(self.ask_payer_under(coverage, service_type, date_of_service, control).await)
    }

    /// The control number a check of `coverage` goes out under, from this process's reserved
    /// block (a new block is reserved through `pool` now and then); `None` when no payer is
    /// configured for it.
    async fn control_number(&self, pool: &PgPool, coverage: &Coverage) -> Result<Option<u32>, StoreError> {
        match self.config.payer(&coverage.payer_id) {
            Some(payer) => Ok(Some(self.numbers.next(pool, payer.receiver()).await?)),
            None => Ok(None),
        }
    }

    /// Asks the payer under a control number from [`Self::control_number`].
    async fn ask_payer_under(
        &self,
        coverage: &Coverage,
        service_type: &str,
        date_of_service: Option<Date>,
        control: Option<u32>,
    ) -> Performed {
        let id = Uuid::now_v7();
        let (Some(payer), Some(control)) = (self.config.payer(&coverage.payer_id), control) else {
            let now = OffsetDateTime::now_utc();
            let summary =
                Summary::needs_attention(&coverage.payer_id, service_type, reason::PAYER_NOT_CONFIGURED, rfc3339(now));
            return Performed { id, summary, checked_at: now, from_cache: false, artifacts: Vec::new() };
        };
        self.ask(payer, id, coverage, service_type, date_of_service, control).await
    }

    async fn ask(
        &self,
        payer: &PayerConfig,
        id: Uuid,
        coverage: &Coverage,
        service_type: &str,
        date_of_service: Option<Date>,
        control: u32,
    ) -> Performed {
        let started = OffsetDateTime::now_utc();
        let trace = id.simple().to_string();
        let x270 = match self.inquiry(payer, coverage, service_type, date_of_service, &trace, control, started) {
            Ok(x) => x,
            Err(e) => {
                tracing::info!(check_id = %id, error = %e, "cannot build the 270");
                let summary = Summary::needs_attention(
                    &payer.payer_id,
                    service_type,
                    reason::COVERAGE_INCOMPLETE,
                    rfc3339(started),
                );
                return Performed { id, summary, checked_at: started, from_cache: false, artifacts: Vec::new() };
            }
        };
        let exchange = self.connector.call(payer, &x270).await;
        let mut artifacts = Vec::new();
        for a in &exchange.attempts {
            let attempt = i32::try_from(a.number).unwrap_or(i32::MAX);
            artifacts.push(Artifact { kind: "270", attempt, content: x270.clone(), recorded_at: a.sent_at });
            if let Some(x271) = &a.x271 {
                artifacts.push(Artifact { kind: "271", attempt, content: x271.clone(), recorded_at: a.ended_at });
            }
        }
        let now = OffsetDateTime::now_utc();
        let summary = match &exchange.outcome {
            Ok(x271) => self.interpret(payer, x271, &trace, service_type, now),
            // AAA 42 to the end of the budget: the payer answered "not now".
            Err(ConnectorError::Unavailable271) => match exchange.attempts.last().and_then(|a| a.x271.as_deref()) {
                Some(x271) => self.interpret(payer, x271, &trace, service_type, now),
                None => {
                    Summary::needs_attention(&payer.payer_id, service_type, reason::PAYER_UNAVAILABLE, rfc3339(now))
                }
            },
            Err(e) => {
                let why = if e.is_transient() || *e == ConnectorError::CircuitOpen {
                    reason::PAYER_UNAVAILABLE
                } else {
                    reason::PAYER_ERROR
                };
                tracing::warn!(check_id = %id, payer_id = %payer.payer_id, error = %e, "no usable answer from the payer");
                Summary::needs_attention(&payer.payer_id, service_type, why, rfc3339(now))
            }
        };
        let mut summary = summary;
        if summary.attention_reason == reason::PAYER_UNAVAILABLE {
            // "ask again later" answers must not be served from the cache
            summary.payer_answered = false;
        }
        Performed { id, summary, checked_at: now, from_cache: false, artifacts }
    }

    fn interpret(
        &self,
        payer: &PayerConfig,
        x271: &str,
        trace: &str,
        service_type: &str,
        now: OffsetDateTime,
    ) -> Summary {
        let interpretation = match interpret_271(x271.as_bytes()) {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(payer_id = %payer.payer_id, error = %e, "unreadable 271");
                return Summary::needs_attention(
                    &payer.payer_id,
                    service_type,
                    reason::UNREADABLE_RESPONSE,
                    rfc3339(now),
                );
            }
        };
        let responses = &interpretation.responses;
        let member = responses.iter().find(|m| m.traces.contains(&trace)).or_else(|| responses.first());
        let Some(member) = member else {
            return Summary::needs_attention(&payer.payer_id, service_type, reason::NO_ANSWER_FOR_MEMBER, rfc3339(now));
        };
        let benefits = benefits_for(member, service_type);
        let decision = decide(member, &benefits);
        Summary::from_answer(&payer.payer_id, member, &benefits, &decision, rfc3339(now))
    }

    #[allow(clippy::too_many_arguments)]
    fn inquiry(
        &self,
        payer: &PayerConfig,
        c: &Coverage,
        service_type: &str,
        date_of_service: Option<Date>,
        trace: &str,
        control: u32,
        now: OffsetDateTime,
    ) -> Result<String, benefits_domain::Error> {
        let mut profile = PayerProfile::new(&payer.name, &payer.payer_id);
        let mut types = vec![service_type.to_owned()];
        types.extend(payer.service_types.iter().filter(|t| *t != service_type).cloned());
        profile.service_types = types;
        let npi = rx_codes::npi::Npi::parse(&self.config.provider_npi)
            .map(ProviderId::Npi)
            .unwrap_or_else(|_| ProviderId::Other { qualifier: "XX".into(), id: self.config.provider_npi.clone() });
        let given = |g: &str| (!g.trim().is_empty()).then(|| g.to_owned());
        let as_dependent = c.relationship == Relationship::Dependent && !c.subscriber_family.trim().is_empty();
        let (subscriber, dependent) = if as_dependent {
            (
                Subscriber {
                    member_id: Some(c.member_id.clone()),
                    family: c.subscriber_family.clone(),
                    given: given(&c.subscriber_given),
                    birth_date: c.subscriber_birth_date,
                },
                Some(Dependent {
                    family: c.patient_family.clone(),
                    given: given(&c.patient_given),
                    birth_date: c.patient_birth_date,
                }),
            )
        } else {
            (
                Subscriber {
                    member_id: Some(c.member_id.clone()),
                    family: c.patient_family.clone(),
                    given: given(&c.patient_given),
                    birth_date: c.patient_birth_date,
                },
                None,
            )
        };
        let request = EligibilityRequest {
            payer: profile,
            provider: Provider {
                kind: ProviderKind::Provider,
                organization: true,
                name: self.config.provider_name.clone(),
                given: None,
                id: npi,
            },
            subscriber,
            dependent,
            trace: Trace { reference: trace.to_owned(), originator: self.config.trace_originator.clone() },
            inquiry_reference: None,
            service_date: date_of_service,
        };
        let envelope = Envelope::new(
            PartyId::new(&payer.isa_qualifier, &payer.sender_id),
            PartyId::new(&payer.isa_qualifier, payer.receiver()),
            PrimitiveDateTime::new(now.date(), now.time()),
            if payer.production { Usage::Production } else { Usage::Test },
        );
        build_270(&[request], &envelope, ControlNumbers { interchange: control, group: control, first_transaction: 1 })
    }
}
