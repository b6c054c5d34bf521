//! The machine's own limits, measured in the same run as rxbridge: how many transactions of
//! rxbridge's shape (one row plus one outbox row; the relay is woken in-process, not by a
//! `NOTIFY` that would serialize the commits) Postgres commits per
//! second at the load's concurrency, and how many messages RabbitMQ takes with publisher
//! confirms and delivers to a consumer on a quorum queue.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions,
};
use lapin::options::{QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Connection, ConnectionProperties};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgPoolOptions;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// A scratch database: the run creates its own schema there and drops it afterwards
    #[arg(long)]
    pub database_url: String,
    #[arg(long, default_value = "amqp://guest:guest@127.0.0.1:5672/%2f")]
    pub amqp_url: String,
    /// Concurrent transactions (use the load run's client count)
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Seconds per measurement
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Messages a publisher keeps unconfirmed (rxbridge's relay publishes a batch, then waits)
    #[arg(long, default_value_t = 100)]
    pub in_flight: usize,
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ceilings {
    pub postgres_concurrency: usize,
    pub postgres_commits_per_s: f64,
    pub rabbitmq_publishers: usize,
    pub rabbitmq_confirmed_publish_per_s: f64,
    pub rabbitmq_consume_per_s: f64,
}

pub async fn run(args: &Args) -> Result<Ceilings> {
    let seconds = Duration::from_secs(args.seconds.max(1));
    let postgres = postgres(&args.database_url, args.concurrency.max(1), seconds).await.context("postgres ceiling")?;
    let (publish, consume) =
        rabbitmq(&args.amqp_url, args.in_flight.max(1), seconds).await.context("rabbitmq ceiling")?;
    let c = Ceilings {
        postgres_concurrency: args.concurrency.max(1),
        postgres_commits_per_s: postgres,
        rabbitmq_publishers: 1,
        rabbitmq_confirmed_publish_per_s: publish,
        rabbitmq_consume_per_s: consume,
    };
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&c)?)?;
    }
    Ok(c)
}

/// The tables, in a schema of their own: intake's prescription row cut to what a commit costs
/// (a uuid key, text, a JSON document) and the messaging outbox exactly as migrated.
const DDL: [&str; 5] = [
    "DROP SCHEMA IF EXISTS rx_bench_ceiling CASCADE",
    "CREATE SCHEMA rx_bench_ceiling",
    "CREATE TABLE rx_bench_ceiling.prescriptions (id uuid PRIMARY KEY, clinic_id text NOT NULL, \
     canonical jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE rx_bench_ceiling.outbox (id uuid PRIMARY KEY, routing_key text NOT NULL, clinic_id text NOT NULL, \
     payload bytea NOT NULL, headers jsonb NOT NULL DEFAULT '{}', \
     created_at timestamptz NOT NULL DEFAULT now(), published_at timestamptz)",
    "CREATE INDEX outbox_unsent ON rx_bench_ceiling.outbox (id) WHERE published_at IS NULL",
];

/// Commits per second of `concurrency` clients each looping: begin, insert a prescription-like
/// row (1 KB of JSON), insert an outbox row, commit.
async fn postgres(url: &str, concurrency: usize, seconds: Duration) -> Result<f64> {
    let pool = PgPoolOptions::new().max_connections(concurrency as u32).connect(url).await?;
    for ddl in DDL {
        sqlx::query(ddl).execute(&pool).await?;
    }
    let canonical = serde_json::json!({ "fields": vec!["x".repeat(40); 24] });
    let payload = vec![7u8; 600];
    let commits = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + seconds;
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (pool, commits, canonical, payload) = (pool.clone(), commits.clone(), canonical.clone(), payload.clone());
        tasks.spawn(async move {
            while Instant::now() < deadline {
                let mut tx = pool.begin().await?;
                sqlx::query(
                    "INSERT INTO rx_bench_ceiling.prescriptions (id, clinic_id, canonical) VALUES ($1, $2, $3)",
                )
                .bind(uuid::Uuid::now_v7())
                .bind("bench")
                .bind(&canonical)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO rx_bench_ceiling.outbox (id, routing_key, clinic_id, payload) VALUES ($1, $2, $3, $4)",
                )
                .bind(uuid::Uuid::now_v7())
                .bind("prescription.accepted.v1")
                .bind("bench")
                .bind(&payload)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                commits.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), sqlx::Error>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    let rate = commits.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    sqlx::query("DROP SCHEMA rx_bench_ceiling CASCADE").execute(&pool).await?;
    pool.close().await;
    Ok(rate)
}

/// Confirmed publishes per second into a fresh quorum queue (batches of `in_flight`, as the
/// relay does), with a consumer acknowledging each delivery at the same time; then the queue is
/// deleted. Returns (publish rate, consume rate).
async fn rabbitmq(url: &str, in_flight: usize, seconds: Duration) -> Result<(f64, f64)> {
    let conn =
        Connection::connect(url, ConnectionProperties::default().with_connection_name("rx-bench".into())).await?;
    let queue = format!("rx-bench.ceiling.{}", uuid::Uuid::new_v4());
    let setup = conn.create_channel().await?;
    let mut args = FieldTable::default();
    args.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
    let durable = QueueDeclareOptions { durable: true, ..Default::default() };
    setup.queue_declare(queue.as_str().into(), durable, args).await?;

    let consumer_channel = conn.create_channel().await?;
    consumer_channel.basic_qos(200, BasicQosOptions::default()).await?;
    let mut deliveries = consumer_channel
        .basic_consume(queue.as_str().into(), "rx-bench".into(), BasicConsumeOptions::default(), FieldTable::default())
        .await?;
    let consumed = Arc::new(AtomicU64::new(0));
    let counted = consumed.clone();
    let consumer = tokio::spawn(async move {
        while let Some(Ok(d)) = deliveries.next().await {
            if d.acker.ack(BasicAckOptions::default()).await.is_err() {
                break;
            }
            counted.fetch_add(1, Ordering::Relaxed);
        }
    });

    let publisher = conn.create_channel().await?;
    publisher.confirm_select(ConfirmSelectOptions::default()).await?;
    let payload = vec![7u8; 600];
    let start = Instant::now();
    let mut published = 0u64;
    while start.elapsed() < seconds {
        let mut confirms = Vec::with_capacity(in_flight);
        for _ in 0..in_flight {
            let props = BasicProperties::default().with_delivery_mode(2);
            confirms.push(
                publisher
                    .basic_publish("".into(), queue.as_str().into(), BasicPublishOptions::default(), &payload, props)
                    .await?,
            );
        }
        for c in confirms {
            anyhow::ensure!(c.await?.is_ack(), "the broker refused a message");
            published += 1;
        }
    }
    let publish_secs = start.elapsed().as_secs_f64();
    // let the consumer finish what was published, within the same time again
    let drain = Instant::now();
    while consumed.load(Ordering::Relaxed) < published && drain.elapsed() < seconds {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let consume_secs = start.elapsed().as_secs_f64();
    let got = consumed.load(Ordering::Relaxed);
    consumer.abort();
    setup.queue_delete(queue.as_str().into(), QueueDeleteOptions::default()).await?;
    let _ = conn.close(200, "done".into()).await;
    Ok((published as f64 / publish_secs, got as f64 / consume_secs))
}

/// Deletes the queues and exchanges a load run's namespace left on the broker.
pub async fn cleanup_namespace(url: &str, namespace: &str) -> Result<()> {
    anyhow::ensure!(
        !namespace.trim().is_empty() && namespace != "rxbridge",
        "refusing to clean namespace {namespace:?}"
    );
    let conn =
        Connection::connect(url, ConnectionProperties::default().with_connection_name("rx-bench".into())).await?;
    for consumer in ["benefits", "claims"] {
        for queue in [format!("{namespace}.{consumer}"), format!("{namespace}.{consumer}.dlq")] {
            // a fresh channel each time: deleting what is not there closes the channel
            let channel = conn.create_channel().await?;
            let _ = channel.queue_delete(queue.as_str().into(), QueueDeleteOptions::default()).await;
        }
    }
    for exchange in [format!("{namespace}.events"), format!("{namespace}.dlx")] {
        let channel = conn.create_channel().await?;
        let _ =
            channel.exchange_delete(exchange.as_str().into(), lapin::options::ExchangeDeleteOptions::default()).await;
    }
    let _ = conn.close(200, "done".into()).await;
    Ok(())
}
