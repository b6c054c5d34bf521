//! An event as written to the outbox and as a consumer receives it.

use std::collections::HashMap;

use lapin::message::Delivery;
use lapin::types::AMQPValue;

/// Header that carries the clinic (tenant) id beside every event.
pub const CLINIC_HEADER: &str = "clinic_id";

/// An event to publish: its routing key (e.g. `prescription.accepted.v1`), the clinic it
/// belongs to, and the protobuf-encoded body.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub routing_key: String,
    pub clinic_id: String,
    pub payload: Vec<u8>,
}

/// A received event.
#[derive(Debug, Clone)]
pub struct Event {
    /// The event id (the outbox row id), unique per event and stable across redeliveries.
    pub id: String,
    pub routing_key: String,
    pub clinic_id: String,
    pub payload: Vec<u8>,
    /// String headers, including the W3C trace context.
    pub headers: HashMap<String, String>,
    /// The broker's flag that this delivery is not the first.
    pub redelivered: bool,
}

impl Event {
    /// Reads what the consumer needs from a delivery; `None` when it has no message id (it
    /// cannot be deduplicated, so it is treated as poison).
    pub fn from_delivery(delivery: &Delivery) -> Option<Self> {
        let id = delivery.properties.message_id().as_ref()?.as_str().to_owned();
        let headers: HashMap<String, String> = delivery
            .properties
            .headers()
            .as_ref()
            .map(|table| {
                table.inner().iter().filter_map(|(k, v)| header_string(v).map(|s| (k.as_str().to_owned(), s))).collect()
            })
            .unwrap_or_default();
        Some(Self {
            id,
            routing_key: delivery.routing_key.as_str().to_owned(),
            clinic_id: headers.get(CLINIC_HEADER).cloned().unwrap_or_default(),
            payload: delivery.data.clone(),
            headers,
            redelivered: delivery.redelivered,
        })
    }
}

fn header_string(value: &AMQPValue) -> Option<String> {
    match value {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}
