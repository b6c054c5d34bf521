//! The command line: `serve`, `migrate`, `db init`, and the offline tools.

use clap::{Parser, Subcommand, ValueEnum};

use crate::settings::Settings;
use crate::system::Service;

#[derive(Debug, Parser)]
#[command(
    name = "rxbridge",
    version,
    about = "Prescriptions for medical massage and therapy, from arrival to paid claim"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs one service, or all of them in one process.
    Serve {
        #[arg(long, value_enum)]
        target: Target,
    },
    /// Applies a service's database migrations (as the owner of that service's schema).
    Migrate {
        #[arg(long, value_enum)]
        target: Target,
        /// Apply nothing: wait until every migration this binary carries has been applied
        /// (by the migration job), up to this many seconds; for init containers.
        #[arg(long, value_name = "SECONDS")]
        wait: Option<u64>,
    },
    /// Shows the configuration a service would run with (addresses, no secrets); fails naming
    /// any missing or malformed variable. Deployments are checked with it.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Database administration.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Intake's offline tools.
    Intake {
        #[command(subcommand)]
        command: rx_intake::cli::Command,
    },
    /// Benefits' offline tools.
    Benefits {
        #[command(subcommand)]
        command: rx_benefits::cli::Command,
    },
    /// Claims' offline tools.
    Claims {
        #[command(subcommand)]
        command: rx_claims::cli::Command,
    },
    /// Reads X12 acknowledgments and remittances (999, 277CA, 835).
    X12 {
        #[command(subcommand)]
        command: rx_claims::cli::X12Command,
    },
    /// Runs the payer and clearinghouse simulator.
    PayerSim(rx_payer_sim::cli::Args),
    /// Drives a running system over gRPC and reports latency, throughput and process usage.
    Loadtest(rx_loadtest::Args),
    /// Operators' commands: dead-letter queues and outbox backlogs.
    Ops {
        #[command(subcommand)]
        command: crate::ops::Command,
    },
    /// Document key rotation: after adding a new current key to DOCUMENT_KEYRING, moves every
    /// stored document's data key to it (intake's faxes, HL7 and FHIR; benefits' 270/271;
    /// claims' 837P/999/277CA/835); then the old key can be removed.
    RewrapDocuments {
        #[arg(long, value_enum, default_value = "all")]
        target: Target,
        /// Documents per transaction.
        #[arg(long, default_value_t = 200)]
        batch: i64,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Prints the settings as JSON.
    Show {
        #[arg(long, value_enum)]
        target: Target,
    },
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Creates the database, one role per service and each service's schema (idempotent).
    Init {
        /// An administrator's connection URL.
        #[arg(long, env = "RXBRIDGE_ADMIN_DATABASE_URL")]
        admin_url: String,
        /// The database to create.
        #[arg(long, default_value = "rxbridge")]
        database: String,
    },
}

/// Which service a command applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    Intake,
    Benefits,
    Claims,
    All,
}

impl Target {
    pub fn services(self) -> Vec<Service> {
        match self {
            Self::Intake => vec![Service::Intake],
            Self::Benefits => vec![Service::Benefits],
            Self::Claims => vec![Service::Claims],
            Self::All => vec![Service::Intake, Service::Benefits, Service::Claims],
        }
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { target } => {
            let settings = Settings::from_env(&target.services())?;
            crate::serve::run(settings, target).await
        }
        Command::Migrate { target, wait } => {
            let settings = Settings::from_env(&target.services())?;
            for service in target.services() {
                // applying needs the owner; waiting only reads the history, as the runtime role
                let pool = match wait {
                    None => service.connect_as_owner(&settings).await?,
                    Some(_) => service.connect(&settings).await?,
                };
                match wait {
                    None => {
                        rx_platform::db::migrate(&pool, service.schema(), service.migrator()).await?;
                        println!("migrated {}", service.name());
                    }
                    Some(seconds) => {
                        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
                        while !rx_platform::db::is_migrated(&pool, service.schema(), &service.migrator()).await {
                            anyhow::ensure!(
                                std::time::Instant::now() < deadline,
                                "{}: migrations not applied after {seconds} s",
                                service.name()
                            );
                            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        }
                        println!("{} schema is up to date", service.name());
                    }
                }
                pool.close().await;
            }
            Ok(())
        }
        Command::Config { command: ConfigCommand::Show { target } } => {
            let settings = Settings::from_env(&target.services())?;
            println!("{}", serde_json::to_string_pretty(&settings.describe(&target.services())?)?);
            Ok(())
        }
        Command::Intake { command } => command.run().await,
        Command::Benefits { command } => command.run().await,
        Command::Claims { command } => command.run().await,
        Command::X12 { command } => command.run().await,
        Command::PayerSim(args) => args.run(|addr| println!("payer-sim listening on {addr}")).await,
        Command::Loadtest(args) => rx_loadtest::run(args).await.map(drop),
        Command::Ops { command } => command.run().await,
        Command::RewrapDocuments { target, batch } => {
            let settings = Settings::from_env(&target.services())?;
            let keyring = match rx_platform::config::documents_at_rest()? {
                rx_seal::AtRest::Sealed(keyring) => keyring,
                rx_seal::AtRest::Plaintext => anyhow::bail!("DOCUMENT_KEYRING is not set"),
            };
            let batch = batch.max(1);
            for service in target.services() {
                let pool = service.connect(&settings).await?;
                let done = match service {
                    Service::Intake => rx_intake::store::rewrap_documents(&pool, &keyring, batch).await?,
                    Service::Benefits => rx_benefits::store::rewrap_artifacts(&pool, &keyring, batch).await?,
                    Service::Claims => rx_claims::store::rewrap_x12(&pool, &keyring, batch).await?,
                };
                println!(
                    "{} documents examined={} rewrapped={} current_key={}",
                    service.name(),
                    done.examined,
                    done.rewrapped,
                    keyring.current()
                );
                pool.close().await;
            }
            Ok(())
        }
        Command::Db { command: DbCommand::Init { admin_url, database } } => {
            rx_platform::db::bootstrap(&rx_platform::config::Secret::new(admin_url), &database).await?;
            println!("database {database} ready with roles and schemas for intake, benefits and claims");
            Ok(())
        }
    }
}
