//! `rxbridge ops` against the real RabbitMQ and Postgres: a poison message reaches the
//! dead-letter queue after the delivery limit while the others flow on; `ops dlq list` shows it
//! (ids and death records, no payload), `replay` sends it back once the fault is fixed and takes
//! it out of the queue, `purge` needs `--yes`; `ops outbox` reports the unsent backlog.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{BasicProperties, Connection, ConnectionProperties};
use rx_messaging::{Consumer, ConsumerConfig, ConsumerSpec, Event, Handler, HandlerError, Topology};
use rx_platform::db::BENEFITS;
use rxbridge_tests::db::TestDb;
use rxbridge_tests::{amqp_url, delete_namespace, eventually, unique_namespace};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

const KEY: &str = "test.ops.v1";
const WAIT: Duration = Duration::from_secs(30);
const POISON: &[u8] = b"poison-payload-with-phi";

/// Records each payload as an effect; fails on the poison payload while `broken` is set.
#[derive(Clone)]
struct FlakyHandler {
    broken: Arc<AtomicBool>,
    poison_attempts: Arc<AtomicUsize>,
}

impl Handler for FlakyHandler {
    async fn handle(&self, tx: &mut PgConnection, event: &Event) -> Result<(), HandlerError> {
        if event.payload == POISON && self.broken.load(Ordering::SeqCst) {
            self.poison_attempts.fetch_add(1, Ordering::SeqCst);
            return Err(HandlerError::Failed("the handler cannot take this message yet".into()));
        }
        sqlx::query("INSERT INTO test_effects (payload) VALUES ($1)").bind(&event.payload).execute(&mut *tx).await?;
        Ok(())
    }
}

async fn effects(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM test_effects").fetch_one(pool).await.unwrap_or(-1)
}

async fn depth(topology: &Topology, queue: &str) -> Option<u32> {
    let conn = Connection::connect(&amqp_url(), ConnectionProperties::default()).await.ok()?;
    let channel = conn.create_channel().await.ok()?;
    let depth = topology.depth(&channel, queue).await.ok();
    let _ = conn.close(200, "done".into()).await;
    depth
}

/// Publishes as a relay does (message id, headers, confirms); `None` publishes without an id.
async fn publish(topology: &Topology, id: Option<&str>, payload: &[u8]) {
    let conn = Connection::connect(&amqp_url(), ConnectionProperties::default()).await.expect("connect");
    let channel = conn.create_channel().await.expect("channel");
    channel.confirm_select(ConfirmSelectOptions::default()).await.expect("confirms");
    let mut headers = FieldTable::default();
    headers.insert("clinic_id".into(), AMQPValue::LongString(LongString::from("clinic-ops")));
    let mut props = BasicProperties::default().with_headers(headers);
    if let Some(id) = id {
        props = props.with_message_id(id.into());
    }
    let confirm = channel
        .basic_publish(topology.events_exchange().into(), KEY.into(), BasicPublishOptions::default(), payload, props)
        .await
        .expect("publish")
        .await
        .expect("confirm");
    assert!(confirm.is_ack(), "the broker refused the test message");
    let _ = conn.close(200, "done".into()).await;
}

/// Runs `rxbridge ops ARGS`; returns success and stdout.
async fn ops(env: &[(String, String)], args: &[&str]) -> (bool, String) {
    let out = support::rxbridge().arg("ops").args(args).envs(env.iter().cloned()).output().await.expect("run ops");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout.lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_is_dead_lettered_listed_replayed_and_purged() {
    let db = TestDb::create().await.expect("database");
    let pool = db.service_pool(BENEFITS, rx_benefits::migrator()).await.expect("benefits pool");
    // created by the owner: the runtime role may use tables, not create them
    sqlx::query("CREATE TABLE test_effects (id bigserial PRIMARY KEY, payload bytea NOT NULL)")
        .execute(&db.owner_pool(BENEFITS).await.expect("owner"))
        .await
        .expect("effects table");
    let namespace = unique_namespace();
    let topology = Topology::new(namespace.clone());
    let env = vec![("RXBRIDGE_NAMESPACE".to_owned(), namespace.clone()), ("AMQP_URL".to_owned(), amqp_url())];

    // A consumer named like the benefits service, so `--target benefits` finds its queues.
    let handler = FlakyHandler { broken: Arc::new(AtomicBool::new(true)), poison_attempts: Arc::default() };
    let spec = ConsumerSpec { name: "benefits".into(), bindings: vec![KEY.into()], delivery_limit: 2 };
    let config = ConsumerConfig {
        service: "benefits".into(),
        spec,
        amqp_url: amqp_url(),
        prefetch: 10,
        transient_attempts: 1,
        batch: 1,
    };
    let stop = CancellationToken::new();
    tokio::spawn(Consumer::new(pool.clone(), topology.clone(), config, handler.clone()).run(stop.clone()));
    let main_queue = topology.queue("benefits");
    let dlq = topology.dead_letter_queue("benefits");
    assert!(eventually(WAIT, || depth(&topology, &main_queue)).await.is_some(), "the consumer declared no queue");

    let poison_id = uuid::Uuid::now_v7().to_string();
    publish(&topology, Some(&poison_id), POISON).await;
    for i in 0..5u8 {
        publish(&topology, Some(&uuid::Uuid::now_v7().to_string()), &[b'g', i]).await;
    }
    let flowed = eventually(WAIT, || async { (effects(&pool).await == 5).then_some(()) }).await;
    assert!(flowed.is_some(), "good messages were held up by the poison one");
    let dead = eventually(WAIT, || async { (depth(&topology, &dlq).await == Some(1)).then_some(()) }).await;
    assert!(dead.is_some(), "the poison message did not reach the dead-letter queue");
    assert_eq!(depth(&topology, &main_queue).await, Some(0), "the poison message is still in the main queue");
    let attempts = handler.poison_attempts.load(Ordering::SeqCst);
    assert!((2..=3).contains(&attempts), "poison handled {attempts} times with a delivery limit of 2");

    // list: the id and the death record, never the payload; the queue is left as it was.
    let (ok, stdout) = ops(&env, &["dlq", "list", "--target", "benefits"]).await;
    assert!(ok, "ops dlq list failed");
    assert!(!stdout.contains("poison-payload"), "the listing shows payload contents");
    let listed = json_lines(&stdout);
    assert_eq!(listed.len(), 1, "listed: {stdout}");
    let letter = &listed[0];
    assert_eq!(letter["message_id"], poison_id.as_str());
    assert_eq!(letter["routing_key"], KEY);
    assert_eq!(letter["exchange"], topology.events_exchange().as_str());
    assert_eq!(letter["reason"], "delivery_limit");
    assert!(letter["death_count"].as_u64() >= Some(1), "death count: {letter}");
    assert!(letter["first_death_at"].as_str().is_some_and(|t| t.ends_with('Z')), "first death: {letter}");
    assert_eq!(depth(&topology, &dlq).await, Some(1), "listing took the message out of the queue");

    // replay of an id that is not there fails and changes nothing.
    let (ok, _) = ops(&env, &["dlq", "replay", "--target", "benefits", "--message-id", "no-such-id"]).await;
    assert!(!ok, "replaying an unknown id succeeded");
    assert_eq!(depth(&topology, &dlq).await, Some(1));

    // Once fixed, the replayed message takes effect and leaves the dead-letter queue.
    handler.broken.store(false, Ordering::SeqCst);
    let (ok, stdout) = ops(&env, &["dlq", "replay", "--target", "benefits", "--message-id", &poison_id]).await;
    assert!(ok, "ops dlq replay failed: {stdout}");
    assert_eq!(json_lines(&stdout)[0]["replayed"], 1);
    let replayed = eventually(WAIT, || async { (effects(&pool).await == 6).then_some(()) }).await;
    assert!(replayed.is_some(), "the replayed message had no effect");
    assert_eq!(depth(&topology, &dlq).await, Some(0), "the replayed message is still dead-lettered");

    // A message without an id is poison at once; purge refuses without --yes, then empties.
    publish(&topology, None, b"no-id").await;
    let dead = eventually(WAIT, || async { (depth(&topology, &dlq).await == Some(1)).then_some(()) }).await;
    assert!(dead.is_some(), "a message without an id was not dead-lettered");
    let listed = json_lines(&ops(&env, &["dlq", "list", "--target", "benefits"]).await.1);
    assert_eq!(listed.len(), 1);
    assert!(listed[0]["message_id"].is_null());
    assert_eq!(listed[0]["reason"], "rejected");
    let (ok, _) = ops(&env, &["dlq", "purge", "--target", "benefits"]).await;
    assert!(!ok, "purge ran without --yes");
    assert_eq!(depth(&topology, &dlq).await, Some(1));
    let (ok, stdout) = ops(&env, &["dlq", "purge", "--target", "benefits", "--yes"]).await;
    assert!(ok, "ops dlq purge failed");
    assert_eq!(json_lines(&stdout)[0]["purged"], 1);
    assert_eq!(depth(&topology, &dlq).await, Some(0));
    assert_eq!(effects(&pool).await, 6, "the purged message had an effect");

    // intake consumes nothing, so it has no dead-letter queue.
    assert!(!ops(&env, &["dlq", "list", "--target", "intake"]).await.0);

    stop.cancel();
    delete_namespace(&namespace, &["benefits"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_backlog_is_reported_per_service() {
    let db = TestDb::create().await.expect("database");
    let env = support::env_for(&db);
    let status = support::rxbridge().args(["migrate", "--target", "all"]).envs(env.clone()).status().await;
    assert!(status.is_ok_and(|s| s.success()), "migrate failed");

    let pool = rx_platform::db::connect(&db.url_for(BENEFITS), BENEFITS, 2).await.expect("benefits pool");
    for _ in 0..3 {
        let mut tx = rx_platform::tenancy::begin(&pool, "clinic-ops").await.expect("begin");
        let event =
            rx_messaging::NewEvent { routing_key: KEY.into(), clinic_id: "clinic-ops".into(), payload: vec![1] };
        rx_messaging::outbox::enqueue(&mut tx, &event).await.expect("enqueue");
        tx.commit().await.expect("commit");
    }
    let inspect = db.inspector(BENEFITS).await.expect("inspector");
    sqlx::query("UPDATE outbox SET created_at = now() - interval '90 seconds'").execute(&inspect).await.expect("age");

    let (ok, stdout) = ops(&env, &["outbox"]).await;
    assert!(ok, "ops outbox failed");
    let rows = json_lines(&stdout);
    let by_service = |name: &str| rows.iter().find(|r| r["service"] == name).cloned().expect("a line per service");
    assert_eq!(rows.len(), 3, "{stdout}");
    assert_eq!(by_service("benefits")["backlog"], 3);
    assert!(by_service("benefits")["oldest_unsent_seconds"].as_f64() >= Some(90.0));
    assert_eq!(by_service("intake")["backlog"], 0);
    assert_eq!(by_service("claims")["oldest_unsent_seconds"].as_f64(), Some(0.0));

    let only = json_lines(&ops(&env, &["outbox", "--target", "benefits"]).await.1);
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["backlog"], 3);
}
