//! `rx-bench`: the steps of `make bench` that are not criterion or the peers themselves.
#![allow(clippy::print_stdout, reason = "a command-line tool: the report goes to stdout")]

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(about = "rxbridge benchmarks: shared inputs and the report")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write the input files rxbridge and the peers both read, and their manifest
    Inputs {
        #[arg(long, default_value = "target/bench/inputs")]
        out: PathBuf,
    },
    /// Measure the machine's ceilings: Postgres commits of rxbridge's transaction shape and
    /// RabbitMQ confirmed publish + consume on a quorum queue
    Ceilings(rx_bench::ceilings::Args),
    /// Delete the queues and exchanges of a load run's namespace
    CleanupBroker {
        #[arg(long)]
        namespace: String,
        #[arg(long, default_value = "amqp://guest:guest@127.0.0.1:5672/%2f")]
        amqp_url: String,
    },
    /// Put criterion's estimates, the peers' rates and the load run side by side in one table
    Report(rx_bench::report::Args),
    /// Sign a bearer token with a test key (tests/fixtures/auth), so the load run goes through
    /// the services' real authentication
    Token {
        /// PKCS#8 PEM of an RS256 key whose public half is in the services' JWKS
        #[arg(long)]
        key: PathBuf,
        #[arg(long, default_value = "test-rs256")]
        kid: String,
        #[arg(long, default_value = "https://auth.rxbridge.test/")]
        issuer: String,
        #[arg(long, default_value = "rxbridge")]
        audience: String,
        #[arg(long, default_value = "loadtest")]
        clinic: String,
        /// Seconds the token stays valid
        #[arg(long, default_value_t = 3600)]
        lifetime: i64,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Inputs { out } => {
            let m = rx_bench::inputs::generate(&out)?;
            println!("{} inputs in {}", m.inputs.len(), out.display());
        }
        Command::Ceilings(args) => {
            let c = rx_bench::ceilings::run(&args).await?;
            println!("{}", serde_json::to_string_pretty(&c)?);
        }
        Command::CleanupBroker { namespace, amqp_url } => {
            rx_bench::ceilings::cleanup_namespace(&amqp_url, &namespace).await?;
        }
        Command::Report(args) => {
            let table = rx_bench::report::write(&args)?;
            println!("{table}");
        }
        Command::Token { key, kid, issuer, audience, clinic, lifetime } => {
            let pem = std::fs::read(&key)?;
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let claims = serde_json::json!({
                "iss": issuer, "aud": audience, "sub": "loadtest", "clinic_id": clinic,
                "roles": ["integrator", "front_desk", "therapist"], "iat": now, "exp": now + lifetime,
            });
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
            header.kid = Some(kid);
            let token = jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_rsa_pem(&pem)?)?;
            println!("{token}");
        }
    }
    Ok(())
}
