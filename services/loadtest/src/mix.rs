//! The clients and the mix: who sends what, how often, and what each answer means.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rx_proto::benefits::v1::benefits_service_client::BenefitsServiceClient;
use rx_proto::benefits::v1::{CheckEligibilityRequest, Coverage, Relationship, UpsertCoverageRequest};
use rx_proto::claims::v1::claims_service_client::ClaimsServiceClient;
use rx_proto::claims::v1::{ProcedureMinutes, RecordSessionRequest};
use rx_proto::common::v1::{BodySite, Date, PersonName};
use rx_proto::intake::v1::intake_service_client::IntakeServiceClient;
use rx_proto::intake::v1::{DocumentFormat, PrescriptionStatus, SubmitDocumentRequest};
use tonic::transport::{Channel, Endpoint};

use crate::Args;
use crate::documents::{self, Dates, Member};
use crate::events::{self, Tracker};
use crate::procs;
use crate::report::Report;
use crate::stats::Recorder;

/// The operations of the mix, in the order of `--mix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    SubmitHl7v2,
    SubmitFhir,
    EligibilityCached,
    EligibilityUncached,
    RecordSession,
}

impl Op {
    const ALL: [Op; 5] =
        [Op::SubmitHl7v2, Op::SubmitFhir, Op::EligibilityCached, Op::EligibilityUncached, Op::RecordSession];

    pub fn name(self) -> &'static str {
        match self {
            Op::SubmitHl7v2 => "SubmitDocument (HL7 v2)",
            Op::SubmitFhir => "SubmitDocument (FHIR)",
            Op::EligibilityCached => "CheckEligibility (cached)",
            Op::EligibilityUncached => "CheckEligibility (force_refresh)",
            Op::RecordSession => "RecordSession",
        }
    }
}

/// A deterministic weighted round robin: op `k` of the run.
#[derive(Debug, Clone)]
struct Mix {
    slots: Vec<Op>,
}

impl Mix {
    fn parse(s: &str) -> anyhow::Result<Self> {
        let weights: Vec<u32> = s.split(',').map(|w| w.trim().parse()).collect::<Result<_, _>>()?;
        anyhow::ensure!(weights.len() == Op::ALL.len(), "--mix wants {} weights", Op::ALL.len());
        let mut slots = Vec::new();
        // interleave so that a short run still sees every kind of request
        let max = weights.iter().copied().max().unwrap_or(0);
        for round in 0..max {
            for (op, w) in Op::ALL.iter().zip(&weights) {
                if round < *w {
                    slots.push(*op);
                }
            }
        }
        anyhow::ensure!(!slots.is_empty(), "--mix gives every request a weight of 0");
        Ok(Self { slots })
    }

    fn op(&self, k: u64) -> Op {
        self.slots[(k % self.slots.len() as u64) as usize]
    }
}

/// When client `index` of `count` first sends at a fixed rate: the clients take turns evenly
/// across one period, so the offered load is a steady stream rather than all of them at once
/// (which measured the latency of a burst of `count` requests, not of the rate).
fn stagger(period: Duration, index: usize, count: usize) -> Duration {
    let count = u32::try_from(count.max(1)).unwrap_or(u32::MAX);
    let index = u32::try_from(index).unwrap_or(u32::MAX).min(count - 1);
    period / count * index
}

/// One client: its own connection to each service.
#[derive(Debug, Clone)]
struct Client {
    intake: IntakeServiceClient<Channel>,
    benefits: BenefitsServiceClient<Channel>,
    claims: ClaimsServiceClient<Channel>,
}

/// Connects to a service, trying again for a moment when refused: a service that has just
/// printed its listening line can still refuse a burst of connections for a few milliseconds
/// (seen once in ~40 runs of make bench's load run).
async fn channel(url: &str) -> anyhow::Result<Channel> {
    let endpoint = Endpoint::from_shared(url.to_owned())?.connect_timeout(Duration::from_secs(5));
    let mut tries = 0;
    loop {
        match endpoint.connect().await {
            Ok(channel) => return Ok(channel),
            Err(_) if tries < 20 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(anyhow::anyhow!("cannot connect to {url}: {e}")),
        }
    }
}

impl Client {
    async fn connect(args: &Args) -> anyhow::Result<Self> {
        Ok(Self {
            intake: IntakeServiceClient::new(channel(&args.intake).await?),
            benefits: BenefitsServiceClient::new(channel(&args.benefits).await?),
            claims: ClaimsServiceClient::new(channel(&args.claims).await?),
        })
    }
}

/// What every client shares.
#[derive(Debug)]
struct Shared {
    clinic: tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
    bearer: Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>,
    mix: Mix,
    dates: Dates,
    /// The people the submissions are for.
    members: Vec<Member>,
    /// The front desk's patients' ids in intake, for eligibility checks.
    patients: Vec<String>,
    /// Prescriptions to record sessions on until eligibility events name others.
    seeded: Vec<String>,
    next: AtomicU64,
    /// Document numbers of this run start here, so reruns on one database do not repeat.
    base: u64,
    recorder: Recorder,
    tracker: Arc<Tracker>,
    accepted: AtomicU64,
    needs_review: AtomicU64,
}

impl Shared {
    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut r = tonic::Request::new(message);
        match &self.bearer {
            Some(bearer) => r.metadata_mut().insert("authorization", bearer.clone()),
            None => r.metadata_mut().insert("x-clinic-id", self.clinic.clone()),
        };
        r.set_timeout(Duration::from_secs(30));
        r
    }
}

fn date(d: time::Date) -> Option<Date> {
    Some(Date { year: d.year(), month: i32::from(u8::from(d.month())), day: i32::from(d.day()) })
}

fn member_date(compact: &str) -> Option<Date> {
    let n = |r: std::ops::Range<usize>| compact.get(r).and_then(|s| s.parse().ok()).unwrap_or(0);
    Some(Date { year: n(0..4), month: n(4..6), day: n(6..8) })
}

/// Drives the system for `args.duration` and returns the figures.
pub async fn drive(args: &Args) -> anyhow::Result<Report> {
    let mix = Mix::parse(&args.mix)?;
    let watched = procs::resolve(&args.pids, args.find_processes)?;
    let tracker = Tracker::new();
    let watcher = if args.amqp_url.is_empty() {
        None
    } else {
        Some(events::watch(&args.amqp_url, &args.namespace, tracker.clone()).await?)
    };
    let mut clients = Vec::with_capacity(args.clients.max(1));
    for _ in 0..args.clients.max(1) {
        clients.push(Client::connect(args).await?);
    }
    let base = time::OffsetDateTime::now_utc().unix_timestamp().unsigned_abs() % 100_000 * 100_000;
    let mut shared = Shared {
        clinic: args.clinic.parse()?,
        bearer: args.token.as_ref().map(|t| format!("Bearer {t}").parse()).transpose()?,
        mix,
        dates: Dates::now(),
        members: documents::members(args.members),
        patients: Vec::new(),
        seeded: Vec::new(),
        next: AtomicU64::new(0),
        base,
        recorder: Recorder::default(),
        tracker: tracker.clone(),
        accepted: AtomicU64::new(0),
        needs_review: AtomicU64::new(0),
    };
    seed(&mut shared, &clients[0]).await?;
    let shared = Arc::new(shared);

    let (stop, stopped) = tokio::sync::oneshot::channel();
    let sampler = tokio::spawn(procs::sample(watched, stopped));
    let start = Instant::now();
    let deadline = start + args.duration();
    let pace = (args.rate > 0.0).then(|| Duration::from_secs_f64(clients.len() as f64 / args.rate));
    let mut tasks = tokio::task::JoinSet::new();
    let count = clients.len();
    for (index, client) in clients.into_iter().enumerate() {
        let shared = shared.clone();
        tasks.spawn(async move {
            let mut tick = pace.map(|p| {
                let first = tokio::time::Instant::from_std(start) + stagger(p, index, count);
                let mut i = tokio::time::interval_at(first, p);
                i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                i
            });
            let mut client = client;
            while Instant::now() < deadline {
                if let Some(t) = tick.as_mut() {
                    t.tick().await;
                }
                let k = shared.next.fetch_add(1, Ordering::Relaxed);
                one(&shared, &mut client, k).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = start.elapsed();
    let drain_until = Instant::now() + Duration::from_secs(args.drain);
    while watcher.is_some() && tracker.waiting() > 0 && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop.send(());
    let usage = sampler.await.unwrap_or_default();
    if let Some((conn, task)) = watcher {
        let _ = conn.close(200, "done".into()).await;
        task.abort();
    }
    Ok(Report::build(
        args,
        &shared.recorder,
        &tracker,
        start,
        elapsed,
        usage,
        [shared.accepted.load(Ordering::Relaxed), shared.needs_review.load(Ordering::Relaxed)],
    ))
}

/// How many of the members the front desk checks and records sessions for.
const FRONT_DESK_PATIENTS: usize = 24;

/// One HL7 v2 order per front-desk patient gives the patients the front desk checks, with
/// their coverage.
async fn seed(shared: &mut Shared, client: &Client) -> anyhow::Result<()> {
    let mut c = client.clone();
    let front_desk: Vec<Member> = shared.members.iter().take(FRONT_DESK_PATIENTS).cloned().collect();
    for (i, m) in front_desk.iter().enumerate() {
        let content = documents::hl7(shared.base + 99_000 + i as u64, m, shared.dates);
        let req = shared.request(SubmitDocumentRequest {
            content,
            format: DocumentFormat::Hl7v2.into(),
            idempotency_key: uuid::Uuid::new_v4().to_string(),
            source_label: "loadtest".into(),
        });
        let p = c.intake.submit_document(req).await?.into_inner().prescription.unwrap_or_default();
        anyhow::ensure!(
            p.status == i32::from(PrescriptionStatus::Accepted),
            "the seed prescription for {} was not accepted: {:?}",
            m.member_id,
            p.review_reasons
        );
        c.benefits.upsert_coverage(shared.request(coverage(&p.patient_id, m))).await?;
        shared.patients.push(p.patient_id);
        shared.seeded.push(p.id);
    }
    Ok(())
}

fn coverage(patient_id: &str, m: &Member) -> UpsertCoverageRequest {
    UpsertCoverageRequest {
        coverage: Some(Coverage {
            patient_id: patient_id.to_owned(),
            payer_id: documents::PAYER_ID.into(),
            member_id: m.member_id.clone(),
            relationship: Relationship::Subscriber.into(),
            patient_name: Some(PersonName { family: m.family.clone(), given: m.given.clone() }),
            patient_birth_date: member_date(&m.birth),
            ..Default::default()
        }),
    }
}

async fn one(shared: &Shared, c: &mut Client, k: u64) {
    let op = shared.mix.op(k);
    let member = &shared.members[(k % shared.members.len() as u64) as usize];
    let started = Instant::now();
    let outcome: Result<(), tonic::Status> = match op {
        Op::SubmitHl7v2 | Op::SubmitFhir => {
            let (content, format) = if op == Op::SubmitHl7v2 {
                (documents::hl7(shared.base + k, member, shared.dates), DocumentFormat::Hl7v2)
            } else {
                (documents::fhir(shared.base + k, member, shared.dates), DocumentFormat::FhirR4)
            };
            let req = shared.request(SubmitDocumentRequest {
                content,
                format: format.into(),
                idempotency_key: uuid::Uuid::new_v4().to_string(),
                source_label: "loadtest".into(),
            });
            c.intake.submit_document(req).await.map(|r| {
                let p = r.into_inner().prescription.unwrap_or_default();
                if p.status == i32::from(PrescriptionStatus::Accepted) {
                    shared.accepted.fetch_add(1, Ordering::Relaxed);
                    shared.tracker.submitted(p.id, started);
                } else {
                    shared.needs_review.fetch_add(1, Ordering::Relaxed);
                }
            })
        }
        Op::EligibilityCached | Op::EligibilityUncached => {
            let patient_id = shared.patients[(k % shared.patients.len() as u64) as usize].clone();
            let req = shared.request(CheckEligibilityRequest {
                patient_id,
                force_refresh: op == Op::EligibilityUncached,
                ..Default::default()
            });
            c.benefits.check_eligibility(req).await.map(|_| ())
        }
        Op::RecordSession => {
            let prescription_id = shared
                .tracker
                .checked_prescription(k)
                .unwrap_or_else(|| shared.seeded[(k % shared.seeded.len() as u64) as usize].clone());
            let req = shared.request(RecordSessionRequest {
                prescription_id,
                date_of_service: date(shared.dates.today),
                rendering_npi: "1234567893".into(),
                place_of_service: "11".into(),
                procedures: vec![ProcedureMinutes { code: "97124".into(), minutes: 30, modifiers: vec![] }],
                body_sites: vec![BodySite { region: "lumbar spine".into(), laterality: String::new() }],
                override_reason: "load test".into(),
                idempotency_key: uuid::Uuid::new_v4().to_string(),
            });
            c.claims.record_session(req).await.map(|_| ())
        }
    };
    let took = started.elapsed();
    match outcome {
        Ok(()) => shared.recorder.ok(op.name(), took),
        Err(status) => shared.recorder.error(op.name(), took, format!("{:?}", status.code())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_interleaves_by_weight() {
        let mix = Mix::parse("2,1,0,0,1").unwrap();
        let ops: Vec<Op> = (0..4).map(|k| mix.op(k)).collect();
        assert_eq!(ops, [Op::SubmitHl7v2, Op::SubmitFhir, Op::RecordSession, Op::SubmitHl7v2]);
        assert_eq!(mix.op(4), Op::SubmitHl7v2);
        assert!(Mix::parse("1,2").is_err());
        assert!(Mix::parse("0,0,0,0,0").is_err());
    }

    #[test]
    fn paced_clients_take_turns_across_the_period() {
        // 16 clients at 100 requests/s: each sends every 160 ms, one every 10 ms between them
        let period = Duration::from_millis(160);
        let firsts: Vec<Duration> = (0..16).map(|i| stagger(period, i, 16)).collect();
        assert_eq!(firsts[0], Duration::ZERO);
        assert!(firsts.windows(2).all(|w| w[1] - w[0] == Duration::from_millis(10)), "{firsts:?}");
        assert!(firsts[15] < period);
        assert_eq!(stagger(period, 0, 0), Duration::ZERO);
    }
}
