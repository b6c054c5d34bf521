//! Operators' commands: the dead-letter queues (`ops dlq list|replay|purge`) and the outbox
//! backlogs (`ops outbox`). Output is one JSON object per line; nothing printed carries a
//! payload, since event payloads hold patient data.

use clap::Subcommand;
use rx_messaging::Topology;
use rx_messaging::dead_letters::{DeadLetter, DeadLetters, Selection};

use crate::cli::Target;
use crate::settings::Settings;
use crate::system::Service;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// A consuming service's dead-letter queue.
    Dlq {
        #[command(subcommand)]
        command: DlqCommand,
    },
    /// Unsent events per service: backlog and age of the oldest.
    Outbox {
        #[arg(long, value_enum, default_value = "all")]
        target: Target,
    },
}

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// Lists dead letters: message id, routing key, death count and reason, first death.
    List {
        #[arg(long, value_enum)]
        target: Target,
    },
    /// Republishes dead letters to the exchange and routing key they were first published with,
    /// removing each from the queue once the broker confirmed it.
    Replay {
        #[arg(long, value_enum)]
        target: Target,
        /// The message to replay.
        #[arg(long, conflicts_with = "all", required_unless_present = "all")]
        message_id: Option<String>,
        /// Replay every message in the queue.
        #[arg(long)]
        all: bool,
    },
    /// Deletes every dead letter.
    Purge {
        #[arg(long, value_enum)]
        target: Target,
        /// Confirms the deletion.
        #[arg(long)]
        yes: bool,
    },
}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Self::Dlq { command } => command.run().await,
            Self::Outbox { target } => outbox(target).await,
        }
    }
}

impl DlqCommand {
    async fn run(self) -> anyhow::Result<()> {
        let target = match &self {
            Self::List { target } | Self::Replay { target, .. } | Self::Purge { target, .. } => *target,
        };
        if let Self::Purge { yes: false, .. } = self {
            anyhow::bail!("purge deletes dead letters for good: add --yes to confirm");
        }
        let settings = Settings::from_env(&[])?;
        let topology = Topology::new(settings.namespace.clone());
        let consumers = consumers(target);
        anyhow::ensure!(!consumers.is_empty(), "intake consumes no events, so it has no dead-letter queue");
        let mut replayed = 0;
        for consumer in consumers {
            let dlq = DeadLetters::open(settings.amqp_url.expose(), &topology, consumer).await?;
            let result = self.apply(&dlq, consumer).await;
            dlq.close().await;
            replayed += result?;
        }
        if let Self::Replay { message_id: Some(id), .. } = &self {
            anyhow::ensure!(replayed > 0, "no replayable dead letter with message id {id}");
        }
        Ok(())
    }

    /// Runs the command on one queue; returns how many messages it replayed.
    async fn apply(&self, dlq: &DeadLetters, consumer: &str) -> anyhow::Result<usize> {
        match self {
            Self::List { .. } => {
                for letter in dlq.list().await? {
                    println!("{}", describe(consumer, &letter));
                }
                Ok(0)
            }
            Self::Replay { message_id, .. } => {
                let selection = message_id.clone().map_or(Selection::All, Selection::One);
                let done = dlq.replay(&selection).await?;
                println!(
                    "{}",
                    serde_json::json!({ "service": consumer, "replayed": done.replayed, "skipped": done.skipped })
                );
                Ok(done.replayed)
            }
            Self::Purge { .. } => {
                let purged = dlq.purge().await?;
                println!("{}", serde_json::json!({ "service": consumer, "purged": purged }));
                Ok(0)
            }
        }
    }
}

/// The consumers among the target's services (intake consumes nothing).
fn consumers(target: Target) -> Vec<&'static str> {
    target
        .services()
        .into_iter()
        .filter_map(|service| match service {
            Service::Intake => None,
            other => Some(other.name()),
        })
        .collect()
}

fn describe(consumer: &str, letter: &DeadLetter) -> serde_json::Value {
    serde_json::json!({
        "service": consumer,
        "message_id": letter.message_id,
        "routing_key": letter.routing_key,
        "exchange": letter.exchange,
        "death_count": letter.death_count,
        "reason": letter.reason,
        "first_death_at": letter.first_death_rfc3339(),
    })
}

async fn outbox(target: Target) -> anyhow::Result<()> {
    let services = target.services();
    let settings = Settings::from_env(&services)?;
    for service in services {
        let pool = service.connect(&settings).await?;
        let backlog = rx_messaging::outbox::backlog(&pool).await;
        pool.close().await;
        let (count, oldest) =
            backlog.map_err(|e| anyhow::anyhow!("{}: cannot read the outbox: {e}", service.name()))?;
        println!(
            "{}",
            serde_json::json!({ "service": service.name(), "backlog": count, "oldest_unsent_seconds": oldest })
        );
    }
    Ok(())
}
