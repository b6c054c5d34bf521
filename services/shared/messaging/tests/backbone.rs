//! The messaging backbone against the real Postgres and RabbitMQ: an event written through the
//! outbox has one effect even when delivered twice; an event written while the broker is
//! unreachable is published once it returns; a message that always fails is dead-lettered
//! after the delivery limit while the others keep flowing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use rx_messaging::{
    Consumer, ConsumerConfig, ConsumerSpec, Event, Handler, HandlerError, NewEvent, Relay, RelayConfig, Topology,
};
use rx_platform::db::INTAKE;
use rxbridge_tests::db::TestDb;
use rxbridge_tests::proxy::TcpProxy;
use rxbridge_tests::{amqp_url, eventually, unique_namespace};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

const KEY: &str = "test.happened.v1";
const WAIT: Duration = Duration::from_secs(20);
const DELIVERY_LIMIT: u32 = 3;

fn spec(delivery_limit: u32) -> ConsumerSpec {
    ConsumerSpec { name: "test".into(), bindings: vec![KEY.into()], delivery_limit }
}

/// Records each event's payload as an effect; fails every time on the payload `poison`.
#[derive(Clone, Default)]
struct RecordingHandler {
    calls: Arc<AtomicUsize>,
    poison_calls: Arc<AtomicUsize>,
    /// The payload `held` waits until this is set (at most the test's wait).
    released: Arc<std::sync::atomic::AtomicBool>,
}

impl Handler for RecordingHandler {
    async fn handle(&self, tx: &mut PgConnection, event: &Event) -> Result<(), HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        // the deliveries behind these wait in the consumer's stream meanwhile
        if event.payload == b"held" {
            let released = self.released.clone();
            let _ = eventually(WAIT, || async { released.load(Ordering::SeqCst).then_some(()) }).await;
        }
        if event.payload == b"slow" {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        if event.payload == b"poison" {
            self.poison_calls.fetch_add(1, Ordering::SeqCst);
            return Err(HandlerError::Failed("this payload always fails".into()));
        }
        sqlx::query("INSERT INTO test_effects (payload, trace_id) VALUES ($1, $2)")
            .bind(&event.payload)
            .bind(rx_platform::telemetry::current_trace_id())
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}

struct Setup {
    db: TestDb,
    pool: PgPool,
    topology: Topology,
    shutdown: CancellationToken,
}

async fn setup() -> Setup {
    // Spans need a tracer provider to carry trace ids; install it once per test binary.
    static TELEMETRY: std::sync::OnceLock<Option<rx_platform::telemetry::Telemetry>> = std::sync::OnceLock::new();
    TELEMETRY.get_or_init(|| rx_platform::telemetry::init("backbone-test").ok());
    let db = TestDb::create().await.expect("test database");
    let pool = db.service_pool(INTAKE, sqlx::migrate!("../../../migrations/intake")).await.expect("pool");
    // created by the owner: the runtime role may use tables, not create them
    sqlx::query(
        "CREATE TABLE test_effects (id bigserial PRIMARY KEY, payload bytea NOT NULL, trace_id text,
             written_in bigint NOT NULL DEFAULT txid_current())",
    )
    .execute(&db.owner_pool(INTAKE).await.expect("owner"))
    .await
    .expect("effects table");
    Setup { db, pool, topology: Topology::new(unique_namespace()), shutdown: CancellationToken::new() }
}

fn relay(setup: &Setup, amqp: String) -> Relay {
    relay_polling(setup, amqp, Duration::from_millis(200))
}

fn relay_polling(setup: &Setup, amqp: String, poll_interval: Duration) -> Relay {
    Relay::new(
        setup.pool.clone(),
        setup.topology.clone(),
        RelayConfig {
            service: "test".into(),
            schema: INTAKE.schema.into(),
            amqp_url: amqp,
            batch_size: 100,
            poll_interval,
            retention: Duration::from_secs(3600),
            consumers: vec![spec(DELIVERY_LIMIT)],
        },
    )
}

fn consumer(setup: &Setup, handler: RecordingHandler, delivery_limit: u32) -> Consumer<RecordingHandler> {
    consumer_via(setup, handler, delivery_limit, amqp_url())
}

fn consumer_via(
    setup: &Setup,
    handler: RecordingHandler,
    delivery_limit: u32,
    amqp: String,
) -> Consumer<RecordingHandler> {
    Consumer::new(
        setup.pool.clone(),
        setup.topology.clone(),
        ConsumerConfig {
            service: "test".into(),
            spec: spec(delivery_limit),
            amqp_url: amqp,
            prefetch: 10,
            transient_attempts: 3,
            batch: 1,
        },
        handler,
    )
}

async fn write_event(pool: &PgPool, payload: &[u8]) -> uuid::Uuid {
    let mut tx = rx_platform::tenancy::begin(pool, "clinic-a").await.expect("begin");
    let id = rx_messaging::outbox::enqueue(
        &mut tx,
        &NewEvent { routing_key: KEY.into(), clinic_id: "clinic-a".into(), payload: payload.to_vec() },
    )
    .await
    .expect("enqueue");
    tx.commit().await.expect("commit");
    id
}

async fn effects(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM test_effects").fetch_one(pool).await.expect("count")
}

async fn published(pool: &PgPool, id: uuid::Uuid) -> bool {
    let mut tx = rx_platform::tenancy::begin(pool, "clinic-a").await.expect("begin");
    sqlx::query_scalar("SELECT published_at IS NOT NULL FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .expect("outbox row")
}

/// The clinic header every event we publish carries (consumers refuse events without one).
fn clinic_header() -> FieldTable {
    let mut headers = FieldTable::default();
    headers.insert(
        rx_messaging::event::CLINIC_HEADER.into(),
        lapin::types::AMQPValue::LongString(lapin::types::LongString::from("clinic-a")),
    );
    headers
}

/// Publishes a message with a given id straight to the exchange, as a redelivery would arrive.
async fn publish_raw(topology: &Topology, id: &str, payload: &[u8]) {
    let conn = Connection::connect(&amqp_url(), ConnectionProperties::default()).await.expect("connect");
    let channel = conn.create_channel().await.expect("channel");
    channel.confirm_select(ConfirmSelectOptions::default()).await.expect("confirms");
    channel
        .basic_publish(
            topology.events_exchange().into(),
            KEY.into(),
            BasicPublishOptions::default(),
            payload,
            BasicProperties::default().with_message_id(id.into()).with_headers(clinic_header()),
        )
        .await
        .expect("publish")
        .await
        .expect("confirm");
    let _ = conn.close(200, "done".into()).await;
}

#[tokio::test]
async fn a_message_delivered_twice_has_one_effect() {
    let setup = setup().await;
    let handler = RecordingHandler::default();
    tokio::spawn(consumer(&setup, handler.clone(), DELIVERY_LIMIT).run(setup.shutdown.clone()));
    tokio::spawn(relay(&setup, amqp_url()).run(setup.shutdown.clone()));

    let id = write_event(&setup.pool, b"first").await;
    let pool = setup.pool.clone();
    let once = eventually(WAIT, || async { (effects(&pool).await == 1).then_some(()) }).await;
    assert!(once.is_some(), "the event never took effect");
    assert!(published(&setup.pool, id).await, "the relay did not mark the row sent");

    // The same message again, as the broker redelivers after a lost ack.
    publish_raw(&setup.topology, &id.to_string(), b"first").await;
    let handler_calls = handler.calls.clone();
    let seen = eventually(WAIT, || async {
        let inbox: i64 = sqlx::query_scalar("SELECT count(*) FROM inbox").fetch_one(&pool).await.ok()?;
        // The duplicate is acknowledged without calling the handler or writing anything.
        (inbox == 1 && queue_is_empty(&setup.topology).await).then_some(())
    })
    .await;
    assert!(seen.is_some(), "the duplicate was not consumed");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(effects(&setup.pool).await, 1, "the duplicate had a second effect");
    assert_eq!(handler_calls.load(Ordering::SeqCst), 1, "the handler ran for the duplicate");
    setup.shutdown.cancel();
}

#[tokio::test]
async fn an_event_written_inside_waking_relays_is_published_without_a_notify() {
    let setup = setup().await;
    let handler = RecordingHandler::default();
    tokio::spawn(consumer(&setup, handler.clone(), DELIVERY_LIMIT).run(setup.shutdown.clone()));
    // The relay never polls on its own during the test: only a wake-up can make it look.
    tokio::spawn(relay_polling(&setup, amqp_url(), Duration::from_secs(3600)).run(setup.shutdown.clone()));
    let pool = setup.pool.clone();

    // A first event, notified at commit, shows the relay is waiting for wake-ups.
    let first = write_event(&pool, b"notified").await;
    assert!(eventually(WAIT, || async { published(&pool, first).await.then_some(()) }).await.is_some());

    let second = rx_messaging::outbox::waking_relays(async {
        let mut tx = rx_platform::tenancy::begin(&pool, "clinic-a").await?;
        let id = rx_messaging::outbox::enqueue(
            &mut tx,
            &NewEvent { routing_key: KEY.into(), clinic_id: "clinic-a".into(), payload: b"woken".to_vec() },
        )
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    })
    .await
    .expect("write inside waking_relays");
    let done =
        eventually(WAIT, || async { (published(&pool, second).await && effects(&pool).await == 2).then_some(()) })
            .await;
    assert!(done.is_some(), "the relay was not woken by the commit");
    setup.shutdown.cancel();
}

#[tokio::test]
async fn an_event_committed_long_after_its_id_was_taken_is_still_published() {
    let setup = setup().await;
    let handler = RecordingHandler::default();
    tokio::spawn(consumer(&setup, handler.clone(), DELIVERY_LIMIT).run(setup.shutdown.clone()));
    tokio::spawn(relay(&setup, amqp_url()).run(setup.shutdown.clone()));
    let pool = setup.pool.clone();

    // A slow writer takes its event's id, then sits on its transaction...
    let mut slow = rx_platform::tenancy::begin(&pool, "clinic-a").await.expect("begin");
    let late = rx_messaging::outbox::enqueue(
        &mut slow,
        &NewEvent { routing_key: KEY.into(), clinic_id: "clinic-a".into(), payload: b"late".to_vec() },
    )
    .await
    .expect("enqueue");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // ...while newer events go out, so the relay's looks now start after the slow one's id.
    for n in 0..3 {
        let id = write_event(&pool, format!("on-time-{n}").as_bytes()).await;
        assert!(eventually(WAIT, || async { published(&pool, id).await.then_some(()) }).await.is_some());
    }
    slow.commit().await.expect("commit");
    let done =
        eventually(WAIT, || async { (published(&pool, late).await && effects(&pool).await == 4).then_some(()) }).await;
    assert!(done.is_some(), "the late event was never published");
    setup.shutdown.cancel();
}

async fn queue_is_empty(topology: &Topology) -> bool {
    queue_depth(topology, &topology.queue("test")).await == Some(0)
}

async fn queue_depth(topology: &Topology, queue: &str) -> Option<u32> {
    let conn = Connection::connect(&amqp_url(), ConnectionProperties::default()).await.ok()?;
    let channel = conn.create_channel().await.ok()?;
    let depth = topology.depth(&channel, queue).await.ok();
    let _ = conn.close(200, "done".into()).await;
    depth
}

#[tokio::test]
async fn an_event_written_while_the_broker_is_away_is_published_when_it_returns() {
    let setup = setup().await;
    let handler = RecordingHandler::default();
    tokio::spawn(consumer(&setup, handler.clone(), DELIVERY_LIMIT).run(setup.shutdown.clone()));
    // Wait until the consumer declared its queue, so the event has somewhere to go.
    let topology = setup.topology.clone();
    assert!(eventually(WAIT, || async { queue_depth(&topology, &topology.queue("test")).await }).await.is_some());

    let broker: std::net::SocketAddr = "127.0.0.1:5672".parse().expect("addr");
    let proxy = TcpProxy::start(broker).await.expect("proxy");
    proxy.cut();
    let relay_url = format!("amqp://guest:guest@{}/%2f", proxy.addr);
    tokio::spawn(relay(&setup, relay_url).run(setup.shutdown.clone()));

    let id = write_event(&setup.pool, b"while-away").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!published(&setup.pool, id).await, "published while the broker was unreachable");
    assert_eq!(effects(&setup.pool).await, 0);

    proxy.restore();
    let pool = setup.pool.clone();
    let done = eventually(WAIT, || async { (effects(&pool).await == 1).then_some(()) }).await;
    assert!(done.is_some(), "the event was lost after the broker came back");
    assert!(published(&setup.pool, id).await);
    setup.shutdown.cancel();
}

#[tokio::test]
async fn a_message_that_always_fails_is_dead_lettered_while_others_flow() {
    let setup = setup().await;
    let handler = RecordingHandler::default();
    let limit = DELIVERY_LIMIT;
    tokio::spawn(consumer(&setup, handler.clone(), limit).run(setup.shutdown.clone()));
    tokio::spawn(relay(&setup, amqp_url()).run(setup.shutdown.clone()));

    write_event(&setup.pool, b"poison").await;
    for i in 0..5u8 {
        write_event(&setup.pool, &[b'g', i]).await;
    }
    let pool = setup.pool.clone();
    let topology = setup.topology.clone();
    let flowed = eventually(WAIT, || async { (effects(&pool).await == 5).then_some(()) }).await;
    assert!(flowed.is_some(), "good messages were held up by the poison one");
    let dead = eventually(WAIT, || async {
        (queue_depth(&topology, &topology.dead_letter_queue("test")).await == Some(1)).then_some(())
    })
    .await;
    assert!(dead.is_some(), "the poison message did not reach the dead-letter queue");
    assert!(queue_is_empty(&setup.topology).await, "the poison message is still in the main queue");
    // Delivered once plus `limit` redeliveries, then dead-lettered: never an endless loop.
    let poison_calls = handler.poison_calls.load(Ordering::SeqCst);
    assert!(poison_calls >= 2 && poison_calls <= limit as usize + 1, "poison handled {poison_calls} times");
    setup.shutdown.cancel();
}

#[tokio::test]
async fn the_trace_of_the_writer_continues_in_the_consumer() {
    let setup = setup().await;
    tokio::spawn(consumer(&setup, RecordingHandler::default(), DELIVERY_LIMIT).run(setup.shutdown.clone()));
    tokio::spawn(relay(&setup, amqp_url()).run(setup.shutdown.clone()));

    let span = tracing::info_span!("write_prescription");
    let writer_trace = {
        let _entered = span.enter();
        rx_platform::telemetry::current_trace_id().expect("the writer span has a trace id")
    };
    tracing::Instrument::instrument(write_event(&setup.pool, b"traced"), span).await;

    let pool = setup.pool.clone();
    let consumer_trace = eventually(WAIT, || async {
        sqlx::query_scalar::<_, Option<String>>("SELECT trace_id FROM test_effects WHERE payload = 'traced'")
            .fetch_optional(&pool)
            .await
            .ok()
            .flatten()
    })
    .await
    .flatten();
    assert_eq!(consumer_trace.as_deref(), Some(writer_trace.as_str()), "the consumer did not continue the trace");
    setup.shutdown.cancel();
}

#[tokio::test]
async fn a_consumer_cut_off_from_the_broker_reconnects_and_catches_up() {
    let setup = setup().await;
    let broker: std::net::SocketAddr = "127.0.0.1:5672".parse().expect("addr");
    let proxy = TcpProxy::start(broker).await.expect("proxy");
    let via_proxy = format!("amqp://guest:guest@{}/%2f", proxy.addr);
    tokio::spawn(
        consumer_via(&setup, RecordingHandler::default(), DELIVERY_LIMIT, via_proxy).run(setup.shutdown.clone()),
    );
    tokio::spawn(relay(&setup, amqp_url()).run(setup.shutdown.clone()));

    write_event(&setup.pool, b"before").await;
    let pool = setup.pool.clone();
    assert!(eventually(WAIT, || async { (effects(&pool).await == 1).then_some(()) }).await.is_some());

    proxy.cut();
    for i in 0..3u8 {
        write_event(&setup.pool, &[b'd', i]).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(effects(&setup.pool).await, 1, "consumed while cut off");
    proxy.restore();
    let caught_up = eventually(Duration::from_secs(40), || async { (effects(&pool).await == 4).then_some(()) }).await;
    assert!(caught_up.is_some(), "the consumer did not come back after the broker connection was cut");
    setup.shutdown.cancel();
}

/// Effects of the payloads starting with `prefix`: (payload, transaction it was written in).
async fn effects_of(pool: &PgPool, prefix: &str) -> Vec<(String, i64)> {
    sqlx::query_as(
        "SELECT convert_from(payload, 'UTF8'), written_in FROM test_effects WHERE payload LIKE $1 ORDER BY 1",
    )
    .bind(format!("{prefix}%").into_bytes())
    .fetch_all(pool)
    .await
    .expect("effects")
}

#[tokio::test]
async fn deliveries_waiting_together_share_a_transaction_and_a_failing_one_goes_alone() {
    let setup = setup().await;
    let topology = setup.topology.clone();
    let conn = Connection::connect(&amqp_url(), ConnectionProperties::default()).await.expect("connect");
    topology
        .declare_consumer(&conn.create_channel().await.expect("channel"), &spec(DELIVERY_LIMIT))
        .await
        .expect("queue");
    // Two connections: one handler in flight at a time, so what arrives meanwhile waits for
    // the next batch.
    let pool = rx_platform::db::connect(&setup.db.url_for(INTAKE), INTAKE, 2).await.expect("pool");
    let handler = RecordingHandler::default();
    let config = ConsumerConfig {
        service: "test".into(),
        spec: spec(DELIVERY_LIMIT),
        amqp_url: amqp_url(),
        prefetch: 20,
        transient_attempts: 3,
        batch: 16,
    };
    tokio::spawn(Consumer::new(pool, topology.clone(), config, handler.clone()).run(setup.shutdown.clone()));

    // A message that holds the only handler slot, then eight more and one of them again (a
    // redelivery); it lets go once all of them are with the consumer (none left in the queue).
    publish_raw(&topology, "wave-1-held", b"held").await;
    for i in 0..8 {
        publish_raw(&topology, &format!("wave-1-{i}"), format!("m{i}").as_bytes()).await;
    }
    publish_raw(&topology, "wave-1-3", b"m3").await;
    assert!(eventually(WAIT, || async { queue_is_empty(&topology).await.then_some(()) }).await.is_some());
    handler.released.store(true, Ordering::SeqCst);
    let inspect = setup.pool.clone();
    let first = eventually(WAIT, || async {
        let e = effects_of(&inspect, "m").await;
        (e.len() >= 8 && queue_is_empty(&topology).await).then_some(e)
    })
    .await
    .expect("the first wave took effect");
    let payloads: Vec<&str> = first.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(payloads, ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"], "each once, the repeat without effect");
    let mut transactions: Vec<i64> = first.iter().map(|(_, tx)| *tx).collect();
    transactions.dedup();
    assert!(transactions.len() <= 2, "the messages waiting behind the held one were applied together: {first:?}");

    // Again, with a message that always fails among them: the batch is rolled back and its
    // messages go one by one, so the others take effect and the failing one is dead-lettered.
    publish_raw(&topology, "wave-2-slow", b"slow").await;
    publish_raw(&topology, "wave-2-poison", b"poison").await;
    for i in 0..4 {
        publish_raw(&topology, &format!("wave-2-{i}"), format!("n{i}").as_bytes()).await;
    }
    let second = eventually(WAIT, || async {
        let e = effects_of(&inspect, "n").await;
        let dead = queue_depth(&topology, &topology.dead_letter_queue("test")).await == Some(1);
        (e.len() >= 4 && dead).then_some(e)
    })
    .await
    .expect("the second wave took effect and the failing message was dead-lettered");
    let payloads: Vec<&str> = second.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(payloads, ["n0", "n1", "n2", "n3"]);
    assert_eq!(effects(&setup.pool).await, 14, "held, slow, m0..m7, n0..n3, nothing more");
    let _ = conn.close(200, "done".into()).await;
    setup.shutdown.cancel();
}
