//! The whole system as separate processes for the end-to-end tests: the payer simulator and one
//! `rxbridge serve` process per service, against a fresh database and a private broker
//! namespace; clients for their public interfaces (gRPC, MLLP); kill and restart.
#![allow(dead_code)] // each test binary uses part of this module

use std::time::Duration;

use rx_proto::benefits::v1::benefits_service_client::BenefitsServiceClient;
use rx_proto::claims::v1::claims_service_client::ClaimsServiceClient;
use rx_proto::intake::v1::intake_service_client::IntakeServiceClient;
use rx_proto::intake::v1::review_service_client::ReviewServiceClient;
use rxbridge_tests::db::TestDb;
use rxbridge_tests::procs::{Proc, ProcSpec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::transport::Channel;

pub const CLINIC: &str = "clinic-e2e";
/// Every consumer's queue is declared by every relay; all are deleted at the end.
pub const CONSUMERS: [&str; 2] = ["benefits", "claims"];

/// Which service a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Intake,
    Benefits,
    Claims,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Self::Intake => "intake",
            Self::Benefits => "benefits",
            Self::Claims => "claims",
        }
    }

    /// Lines "... listening on ..." it prints: metrics and gRPC, plus FHIR and MLLP for intake.
    fn listeners(self) -> usize {
        if self == Self::Intake { 4 } else { 2 }
    }
}

/// The running system.
pub struct System {
    pub db: TestDb,
    pub namespace: String,
    pub env: Vec<(String, String)>,
    pub sim: Proc,
    pub sim_addr: String,
    pub intake: Proc,
    pub benefits: Proc,
    pub claims: Proc,
    sim_file: std::path::PathBuf,
    _turn: std::fs::File,
}

/// One whole system at a time on this machine: each holds up to some fifty Postgres
/// connections (of the server's hundred) and four processes, and nextest runs tests in
/// parallel. The lock is released when the holder's file closes, also when a test panics.
async fn take_turn() -> anyhow::Result<std::fs::File> {
    let path = std::env::temp_dir().join("rxbridge-e2e-system.lock");
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(path)?;
    Ok(tokio::task::spawn_blocking(move || file.lock().map(|()| file)).await??)
}

/// What differs between runs.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The simulator's plans-and-clearinghouse file (JSON).
    pub sim_config: String,
    /// Per service, an AMQP URL other than the broker's (e.g. a proxy in front of it).
    pub amqp_urls: Vec<(Target, String)>,
    /// Extra variables for every service process.
    pub env: Vec<(String, String)>,
    /// Database pool sizes of some services (the others keep the default).
    pub db_max_connections: Vec<(Target, u32)>,
    /// `BENEFITS_PAYERS` entries beyond the endpoint (e.g. timeouts), merged into the payer.
    pub payer: serde_json::Map<String, serde_json::Value>,
}

impl System {
    pub async fn start(options: Options) -> anyhow::Result<Self> {
        Self::start_on(TestDb::create().await?, options).await
    }

    /// As `start`, on a database the test created (e.g. to reach it through a proxy).
    pub async fn start_on(db: TestDb, options: Options) -> anyhow::Result<Self> {
        let turn = take_turn().await?;
        let mut env = crate::support::env_for(&db);
        let namespace = env
            .iter()
            .find(|(k, _)| k == "RXBRIDGE_NAMESPACE")
            .map(|(_, v)| v.clone())
            .ok_or_else(|| anyhow::anyhow!("no namespace"))?;
        let status = crate::support::rxbridge().args(["migrate", "--target", "all"]).envs(env.clone()).status().await?;
        anyhow::ensure!(status.success(), "migrate failed");

        let sim_file = std::env::temp_dir().join(format!("rxbridge-e2e-{}.json", uuid::Uuid::new_v4().simple()));
        std::fs::write(&sim_file, &options.sim_config)?;
        let sim_args =
            ["payer-sim", "--config", &sim_file.to_string_lossy(), "--addr", "127.0.0.1:0"].map(str::to_owned).to_vec();
        let sim = Proc::start(&ProcSpec { binary: binary(), args: sim_args, env: env.clone(), listeners: 1 }).await?;
        let sim_addr = sim.addr("payer-sim")?;

        let mut payer = serde_json::Map::new();
        payer.insert("payer_id".into(), "SIMPAYER".into());
        payer.insert("name".into(), "SIMULATED HEALTH PLAN".into());
        payer.insert("endpoint".into(), format!("http://{sim_addr}/core/realtime").into());
        payer.extend(options.payer.clone());
        env.push(("BENEFITS_PAYERS".into(), serde_json::Value::Array(vec![payer.into()]).to_string()));
        env.push(("CLAIMS_CLEARINGHOUSE_URL".into(), format!("http://{sim_addr}/core/batch")));
        env.push(("CLAIMS_POLL_SECONDS".into(), "1".into()));
        env.push(("INTAKE_FHIR_ADDR".into(), "127.0.0.1:0".into()));
        env.push(("INTAKE_MLLP_ADDR".into(), "127.0.0.1:0".into()));
        env.push(("INTAKE_MLLP_CLINIC_ID".into(), CLINIC.into()));
        env.push(("OMP_THREAD_LIMIT".into(), "1".into()));
        env.push(("RUST_LOG".into(), "info,sqlx=warn,lapin=warn,h2=warn,tower=warn,hyper=warn,tonic=warn".into()));
        env.extend(options.env.clone());

        let spec = |target: Target| service_spec(&env, &options, target);
        let intake = Proc::start(&spec(Target::Intake)).await?;
        let benefits = Proc::start(&spec(Target::Benefits)).await?;
        let claims = Proc::start(&spec(Target::Claims)).await?;
        Ok(Self { db, namespace, env, sim, sim_addr, intake, benefits, claims, sim_file, _turn: turn })
    }

    /// The process spec of a service, as `start` ran it (for restarts).
    pub fn spec(&self, target: Target, options: &Options) -> ProcSpec {
        service_spec(&self.env, options, target)
    }

    pub fn proc_mut(&mut self, target: Target) -> &mut Proc {
        match target {
            Target::Intake => &mut self.intake,
            Target::Benefits => &mut self.benefits,
            Target::Claims => &mut self.claims,
        }
    }

    /// Kills a service with SIGKILL and starts it again; returns the old process's logs.
    pub async fn kill_and_restart(
        &mut self,
        target: Target,
        options: &Options,
    ) -> anyhow::Result<Vec<serde_json::Value>> {
        let spec = self.spec(target, options);
        let process = self.proc_mut(target);
        process.kill().await;
        let logs = process.logs();
        *process = Proc::start(&spec).await?;
        Ok(logs)
    }

    /// Kills a service with SIGKILL and leaves it down; returns its logs.
    pub async fn kill(&mut self, target: Target) -> Vec<serde_json::Value> {
        let process = self.proc_mut(target);
        process.kill().await;
        process.logs()
    }

    /// Starts a service that was killed.
    pub async fn restart(&mut self, target: Target, options: &Options) -> anyhow::Result<()> {
        let spec = self.spec(target, options);
        *self.proc_mut(target) = Proc::start(&spec).await?;
        Ok(())
    }

    pub async fn intake(&self) -> anyhow::Result<IntakeServiceClient<Channel>> {
        let addr = self.intake.addr("intake grpc")?;
        Ok(IntakeServiceClient::connect(format!("http://{addr}")).await?.max_decoding_message_size(64 << 20))
    }

    pub async fn review(&self) -> anyhow::Result<ReviewServiceClient<Channel>> {
        Ok(ReviewServiceClient::connect(format!("http://{}", self.intake.addr("intake grpc")?)).await?)
    }

    pub async fn benefits(&self) -> anyhow::Result<BenefitsServiceClient<Channel>> {
        Ok(BenefitsServiceClient::connect(format!("http://{}", self.benefits.addr("benefits grpc")?)).await?)
    }

    pub async fn claims(&self) -> anyhow::Result<ClaimsServiceClient<Channel>> {
        Ok(ClaimsServiceClient::connect(format!("http://{}", self.claims.addr("claims grpc")?)).await?)
    }

    /// Sends one HL7 v2 message over MLLP and returns the acknowledgement.
    pub async fn mllp(&self, message: &str) -> anyhow::Result<String> {
        mllp_to(&self.intake.addr("intake mllp")?, message).await
    }

    /// Stops every process and deletes the broker namespace and the simulator file.
    pub async fn finish(mut self) {
        for p in [&mut self.intake, &mut self.benefits, &mut self.claims, &mut self.sim] {
            p.kill().await;
        }
        rxbridge_tests::delete_namespace(&self.namespace, &CONSUMERS).await;
        let _ = std::fs::remove_file(&self.sim_file);
    }
}

/// Sends one HL7 v2 message to an MLLP listener and returns the acknowledgement.
pub async fn mllp_to(addr: &str, message: &str) -> anyhow::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let mut frame = vec![0x0b];
    frame.extend_from_slice(message.as_bytes());
    frame.extend_from_slice(&[0x1c, 0x0d]);
    stream.write_all(&frame).await?;
    let mut ack = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        let mut buf = [0u8; 4096];
        while !ack.ends_with(&[0x1c, 0x0d]) {
            let n = stream.read(&mut buf).await?;
            anyhow::ensure!(n > 0, "mllp connection closed before the acknowledgement");
            ack.extend_from_slice(buf.get(..n).unwrap_or_default());
        }
        Ok(())
    })
    .await;
    anyhow::ensure!(matches!(read, Ok(Ok(()))), "no mllp acknowledgement: {read:?}");
    Ok(String::from_utf8_lossy(&ack).trim_matches(|c| c == '\x0b' || c == '\x1c' || c == '\r').to_owned())
}

fn binary() -> std::path::PathBuf {
    env!("CARGO_BIN_EXE_rxbridge").into()
}

fn service_spec(env: &[(String, String)], options: &Options, target: Target) -> ProcSpec {
    let mut env = env.to_vec();
    if let Some((_, url)) = options.amqp_urls.iter().find(|(t, _)| *t == target) {
        env.push(("AMQP_URL".into(), url.clone()));
    }
    if let Some((_, n)) = options.db_max_connections.iter().find(|(t, _)| *t == target) {
        env.push(("DB_MAX_CONNECTIONS".into(), n.to_string()));
    }
    ProcSpec {
        binary: binary(),
        args: vec!["serve".into(), "--target".into(), target.name().into()],
        env,
        listeners: target.listeners(),
    }
}

/// A request carrying the clinic (and, when given, a W3C `traceparent`).
pub fn request<T>(message: T, traceparent: Option<&str>) -> tonic::Request<T> {
    let mut r = tonic::Request::new(message);
    if let Ok(v) = CLINIC.parse() {
        r.metadata_mut().insert("x-clinic-id", v);
    }
    if let Some(Ok(v)) = traceparent.map(str::parse) {
        r.metadata_mut().insert("traceparent", v);
    }
    r
}

/// An HL7 v2.3 ORM^O01 massage order for a patient, valid from ten days ago for two months.
pub struct Referral<'a> {
    pub control_id: &'a str,
    pub family: &'a str,
    pub given: &'a str,
    /// YYYYMMDD
    pub birth_date: &'a str,
    pub member_id: &'a str,
    pub order: &'a str,
}

impl Referral<'_> {
    pub fn to_er7(&self) -> String {
        let today = time::OffsetDateTime::now_utc().date();
        let ymd = |d: time::Date| format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day());
        let (start, end) = (ymd(today - time::Duration::days(10)), ymd(today + time::Duration::days(50)));
        let ts = format!("{}0900", ymd(today - time::Duration::days(11)));
        let Self { control_id, family, given, birth_date, member_id, order } = self;
        let npi = "1245319599^EXAMPLEDOC^JORDAN^^^^^^NPI";
        let timing = format!("^2 per week x 4 weeks^^{start}^{end}^R");
        [
            format!("MSH|^~\\&|EHR|SYNTHCLINIC|MASSAGE|SYNTHMT|{ts}||ORM^O01|{control_id}|T|2.3"),
            format!(
                "PID|1||{order}MRN^^^SYNTHCLINIC^MR||{family}^{given}||{birth_date}|F|||1 SAMPLE ROAD^^SPRINGFIELD^IL^62702||5555550100"
            ),
            "PV1|1|O".to_owned(),
            format!(
                "IN1|1|PPOGOLD|SIMPAYER|SIMULATED HEALTH PLAN|PO BOX 1^^SPRINGFIELD^IL^62701||5555550111|GRP0001|SYNTHETIC EMPLOYER|||20260101|20271231||PPO|{family}^{given}|SEL|{birth_date}|1 SAMPLE ROAD^^SPRINGFIELD^IL^62702|||||||||||||||||{member_id}"
            ),
            format!("ORC|NW|{order}^EHR|||IP||{timing}||{ts}|||{npi}"),
            format!(
                "OBR|1|{order}^EHR||97124^MASSAGE THERAPY^C4|||{ts}|||||||||{npi}|||||||||||{timing}||||M54.50^Low back pain, unspecified^I10"
            ),
            "DG1|1||M54.50^Low back pain, unspecified^I10|||W".to_owned(),
            "NTE|1||Therapeutic massage, lumbar spine".to_owned(),
        ]
        .join("\r")
            + "\r"
    }
}
