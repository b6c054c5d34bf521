//! End-to-end latency: from the start of a submission to the `eligibility.checked.v1` event
//! benefits publishes for it, seen on the load's own exclusive queue bound to the events exchange.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hdrhistogram::Histogram;
use lapin::options::{BasicConsumeOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties, ExchangeKind};
use prost::Message;
use rx_proto::events::v1::EligibilityChecked;

use crate::stats::{histogram, micros};

pub const ELIGIBILITY_CHECKED: &str = "eligibility.checked.v1";

/// How long after its eligibility event a prescription is used for session recording. Claims
/// learns of a prescription from intake's event and benefits' on separate queues: right after
/// the second one, claims may not have taken the first yet, and the session would be refused
/// as NOT_FOUND (a front desk records a session days later, not milliseconds).
const SETTLE: Duration = Duration::from_secs(1);

/// Matches submissions with their eligibility events, in whichever order the two arrive.
#[derive(Debug)]
pub struct Tracker {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Accepted submissions still waiting for their event: id -> when the submission started.
    waiting: HashMap<String, Instant>,
    /// Events that came before the submission's answer did: id -> when the event came.
    early: HashMap<String, Instant>,
    latency: Histogram<u64>,
    /// Prescriptions whose eligibility was checked, for session recording, with when that was
    /// learnt (in order).
    checked: Vec<(String, Instant)>,
    last_match: Option<Instant>,
}

impl Tracker {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State {
                waiting: HashMap::new(),
                early: HashMap::new(),
                latency: histogram(),
                checked: Vec::new(),
                last_match: None,
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An accepted prescription, submitted at `started`.
    pub fn submitted(&self, id: String, started: Instant) {
        let mut s = self.lock();
        match s.early.remove(&id) {
            Some(seen) => s.matched(id, seen.saturating_duration_since(started), seen),
            None => {
                s.waiting.insert(id, started);
            }
        }
    }

    fn event(&self, id: String, seen: Instant) {
        let mut s = self.lock();
        match s.waiting.remove(&id) {
            Some(started) => s.matched(id, seen.saturating_duration_since(started), seen),
            None => {
                s.early.insert(id, seen);
            }
        }
    }

    /// A prescription whose eligibility was checked at least [`SETTLE`] ago (round robin over
    /// those).
    pub fn checked_prescription(&self, n: u64) -> Option<String> {
        self.checked_prescription_at(n, Instant::now())
    }

    fn checked_prescription_at(&self, n: u64, now: Instant) -> Option<String> {
        let s = self.lock();
        let settled = s.checked.partition_point(|(_, at)| now.saturating_duration_since(*at) >= SETTLE) as u64;
        (settled > 0).then(|| s.checked[(n % settled) as usize].0.clone())
    }

    pub fn waiting(&self) -> usize {
        self.lock().waiting.len()
    }

    /// The end-to-end histogram, the number still unmatched, and when the last match came.
    pub fn finish(&self) -> (Histogram<u64>, usize, Option<Instant>) {
        let s = self.lock();
        (s.latency.clone(), s.waiting.len(), s.last_match)
    }
}

impl State {
    fn matched(&mut self, id: String, took: std::time::Duration, seen: Instant) {
        self.latency.saturating_record(micros(took));
        self.checked.push((id, Instant::now()));
        self.last_match = Some(seen);
    }
}

/// Binds an exclusive, auto-deleted queue to `eligibility.checked.v1` and feeds `tracker` until
/// the connection closes. Returns once the queue is bound, so no event of the run is missed.
pub async fn watch(
    amqp_url: &str,
    namespace: &str,
    tracker: Arc<Tracker>,
) -> anyhow::Result<(Connection, tokio::task::JoinHandle<()>)> {
    let conn =
        Connection::connect(amqp_url, ConnectionProperties::default().with_connection_name("loadtest".into())).await?;
    let channel = conn.create_channel().await?;
    let exchange = format!("{namespace}.events");
    let durable = ExchangeDeclareOptions { durable: true, ..Default::default() };
    channel.exchange_declare(exchange.as_str().into(), ExchangeKind::Topic, durable, FieldTable::default()).await?;
    let exclusive = QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() };
    let queue = channel.queue_declare("".into(), exclusive, FieldTable::default()).await?;
    let name = queue.name().clone();
    channel
        .queue_bind(
            name.clone(),
            exchange.as_str().into(),
            ELIGIBILITY_CHECKED.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let no_ack = BasicConsumeOptions { no_ack: true, ..Default::default() };
    let mut deliveries = channel.basic_consume(name, "loadtest".into(), no_ack, FieldTable::default()).await?;
    let task = tokio::spawn(async move {
        while let Some(Ok(delivery)) = deliveries.next().await {
            let seen = Instant::now();
            if let Ok(e) = EligibilityChecked::decode(delivery.data.as_slice()) {
                tracker.event(e.prescription_id, seen);
            }
        }
    });
    Ok((conn, task))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_go_only_to_prescriptions_checked_a_while_ago() {
        let tracker = Tracker::new();
        let start = Instant::now();
        tracker.submitted("first".into(), start);
        tracker.event("first".into(), Instant::now());
        // just matched: not yet settled, so none is offered
        assert_eq!(tracker.checked_prescription_at(0, Instant::now()), None);
        let later = Instant::now() + SETTLE;
        tracker.event("second".into(), later);
        tracker.submitted("second".into(), start);
        // a second later the first is settled; the second was matched just now and is not
        assert_eq!(tracker.checked_prescription_at(0, later), Some("first".into()));
        assert_eq!(tracker.checked_prescription_at(1, later), Some("first".into()));
        assert_eq!(tracker.checked_prescription_at(1, later + SETTLE), Some("second".into()));
    }
}
