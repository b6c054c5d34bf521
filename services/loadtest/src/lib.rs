//! `rxbridge loadtest`: drives a running rxbridge over gRPC with the mix a clinic chain produces
//! (HL7 v2 and FHIR submissions, front-desk eligibility checks, session recording) from N
//! concurrent clients, at a fixed rate or as fast as it goes, and reports per-RPC and end-to-end
//! latency (HDR histograms), throughput, and each service process's memory and CPU.

mod documents;
mod events;
mod mix;
mod procs;
mod report;
mod stats;

use std::path::PathBuf;
use std::time::Duration;

pub use report::Report;

/// Options of `rxbridge loadtest`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Intake's gRPC endpoint
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    pub intake: String,
    /// Benefits' gRPC endpoint
    #[arg(long, default_value = "http://127.0.0.1:50052")]
    pub benefits: String,
    /// Claims' gRPC endpoint
    #[arg(long, default_value = "http://127.0.0.1:50053")]
    pub claims: String,
    /// The clinic the load runs as (`x-clinic-id`, for services started with
    /// AUTH_INSECURE_DEV_HEADERS=true)
    #[arg(long, default_value = "loadtest")]
    pub clinic: String,
    /// A bearer token to send instead (the services' normal authentication): its clinic and
    /// roles must allow submitting, eligibility checks and recording sessions
    #[arg(long, env = "RXBRIDGE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Concurrent clients, each on its own connection
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Requests per second over all clients; 0 runs as fast as the system answers
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// How long to drive the system, in seconds
    #[arg(long, default_value_t = 20)]
    pub duration: u64,
    /// After the run, how long to wait for the last `eligibility.checked.v1` events, in seconds
    #[arg(long, default_value_t = 5)]
    pub drain: u64,
    /// The mix as weights: hl7v2,fhir,eligibility_cached,eligibility_uncached,record_session
    #[arg(long, default_value = "40,20,25,5,10")]
    pub mix: String,
    /// How many different people the submissions are for (the three of payer-sim's example
    /// plans first, then generated ones; payer-sim must know them: see --write-plans)
    #[arg(long, default_value_t = 3)]
    pub members: usize,
    /// Write payer-sim's plans file for --members (the payer and plans of --plans-template)
    /// to this path and exit, without driving anything
    #[arg(long, requires = "plans_template")]
    pub write_plans: Option<PathBuf>,
    /// payer-sim's example plans file, for --write-plans
    #[arg(long)]
    pub plans_template: Option<PathBuf>,
    /// RabbitMQ, to watch `eligibility.checked.v1` for end-to-end latency (empty: do not watch)
    #[arg(long, env = "AMQP_URL", default_value = "amqp://guest:guest@127.0.0.1:5672/%2f")]
    pub amqp_url: String,
    /// Prefix of the exchange the services publish to
    #[arg(long, env = "RXBRIDGE_NAMESPACE", default_value = "rxbridge")]
    pub namespace: String,
    /// A service process to watch, as NAME=PID (repeatable)
    #[arg(long = "pid", value_name = "NAME=PID")]
    pub pids: Vec<String>,
    /// Also watch every `rxbridge serve --target X` process found in /proc
    #[arg(long)]
    pub find_processes: bool,
    /// Write the report as JSON here as well
    #[arg(long)]
    pub json: Option<PathBuf>,
}

impl Args {
    fn duration(&self) -> Duration {
        Duration::from_secs(self.duration.max(1))
    }
}

/// Runs the load and prints the table; the report is also returned (and written as JSON when
/// asked). With `--write-plans` only writes payer-sim's plans file.
pub async fn run(args: Args) -> anyhow::Result<Option<Report>> {
    if let (Some(out), Some(template)) = (&args.write_plans, &args.plans_template) {
        let template: serde_json::Value = serde_json::from_slice(&std::fs::read(template)?)?;
        let plans = documents::plans(&template, &documents::members(args.members))?;
        std::fs::write(out, serde_json::to_vec_pretty(&plans)?)?;
        return Ok(None);
    }
    let report = mix::drive(&args).await?;
    #[allow(clippy::print_stdout, reason = "the table is the command's output")]
    {
        println!("{}", report.table());
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)?;
    }
    Ok(Some(report))
}
