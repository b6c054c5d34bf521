//! The PHI canary's instruments: a synthetic patient whose values exist nowhere else, a minimal
//! OTLP/gRPC trace collector the services export their spans to, and readers that turn AMQP
//! headers, dead letters and spans into plain strings to search.

use std::sync::{Arc, Mutex};

use lapin::message::BasicGetMessage;
use lapin::options::BasicGetOptions;
use lapin::types::{AMQPValue, FieldTable};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};

/// A synthetic patient drawn from a fresh UUID, so any hit can only come from this run's data.
#[derive(Debug, Clone)]
pub struct Patient {
    pub family: String,
    pub given: String,
    pub birth: (i32, i32, i32),
    pub member_id: String,
}

impl Patient {
    pub fn new() -> Self {
        let b = *uuid::Uuid::new_v4().as_bytes();
        let letters = |from: &[u8]| from.iter().map(|x| char::from(b'A' + x % 26)).collect::<String>();
        let digits = |from: &[u8]| from.iter().map(|x| char::from(b'0' + x % 10)).collect::<String>();
        Self {
            family: format!("CANARY{}", letters(&b[0..6])),
            given: format!("PHI{}", letters(&b[6..11])),
            birth: (1940 + i32::from(b[11] % 60), 1 + i32::from(b[12] % 12), 1 + i32::from(b[13] % 28)),
            member_id: format!("CNRY{}", digits(&b[8..16])),
        }
    }

    /// `YYYYMMDD`, as HL7 v2 and X12 write it.
    pub fn birth_compact(&self) -> String {
        let (y, m, d) = self.birth;
        format!("{y:04}{m:02}{d:02}")
    }

    /// `YYYY-MM-DD`, as FHIR and JSON write it.
    pub fn birth_iso(&self) -> String {
        let (y, m, d) = self.birth;
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// Every form in which this patient's values could leak.
    pub fn needles(&self) -> Vec<String> {
        vec![self.family.clone(), self.given.clone(), self.birth_compact(), self.birth_iso(), self.member_id.clone()]
    }
}

/// Receives OTLP trace exports and keeps every request.
#[derive(Debug, Clone, Default)]
pub struct Collector(Arc<Mutex<Vec<ExportTraceServiceRequest>>>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.lock().expect("spans").push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

/// One exported span, flattened: the service that sent it, its name, and every attribute of
/// the span, its events, links, status and resource as `key=value`.
#[derive(Debug, Clone)]
pub struct SpanText {
    pub service: String,
    pub name: String,
    pub attributes: Vec<String>,
}

impl Collector {
    /// Serves OTLP/gRPC on a free local port; returns the collector and its endpoint URL.
    pub async fn start() -> (Self, String) {
        let incoming = tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
        let addr = incoming.local_addr().expect("collector address");
        let collector = Self::default();
        let server = tonic::transport::Server::builder().add_service(TraceServiceServer::new(collector.clone()));
        tokio::spawn(server.serve_with_incoming(incoming));
        (collector, format!("http://{addr}"))
    }

    pub fn spans(&self) -> Vec<SpanText> {
        let mut out = Vec::new();
        for request in self.0.lock().expect("spans").iter() {
            for resource_spans in &request.resource_spans {
                let resource = resource_spans.resource.as_ref().map(|r| pairs(&r.attributes)).unwrap_or_default();
                let service = resource
                    .iter()
                    .find_map(|kv| kv.strip_prefix("service.name=").map(str::to_owned))
                    .unwrap_or_default();
                for span in resource_spans.scope_spans.iter().flat_map(|s| &s.spans) {
                    let mut attributes = pairs(&span.attributes);
                    for event in &span.events {
                        attributes.push(format!("event={}", event.name));
                        attributes.extend(pairs(&event.attributes));
                    }
                    for link in &span.links {
                        attributes.extend(pairs(&link.attributes));
                    }
                    if let Some(status) = &span.status {
                        attributes.push(format!("status.message={}", status.message));
                    }
                    attributes.extend(resource.iter().map(|kv| format!("resource.{kv}")));
                    out.push(SpanText { service: service.clone(), name: span.name.clone(), attributes });
                }
            }
        }
        out
    }
}

fn pairs(attributes: &[KeyValue]) -> Vec<String> {
    attributes.iter().map(|kv| format!("{}={}", kv.key, any(kv.value.as_ref()))).collect()
}

fn any(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        None => String::new(),
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::DoubleValue(d)) => d.to_string(),
        Some(Value::BytesValue(b)) => String::from_utf8_lossy(b).into_owned(),
        Some(Value::ArrayValue(a)) => a.values.iter().map(|v| any(Some(v))).collect::<Vec<_>>().join(","),
        Some(Value::KvlistValue(l)) => pairs(&l.values).join(","),
        // An index into a dictionary the exporter does not send here: nothing to search.
        Some(Value::StringValueStrindex(i)) => i.to_string(),
    }
}

/// Every key and value of an AMQP header table, nested tables and arrays (`x-death`) included,
/// as text: byte strings are decoded, so a search sees what a reader of the headers would.
pub fn header_strings(table: &FieldTable, out: &mut Vec<String>) {
    for (key, value) in table.inner() {
        out.push(key.as_str().to_owned());
        value_strings(value, out);
    }
}

fn value_strings(value: &AMQPValue, out: &mut Vec<String>) {
    match value {
        AMQPValue::LongString(s) => out.push(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => out.push(s.as_str().to_owned()),
        AMQPValue::ByteArray(b) => out.push(String::from_utf8_lossy(b.as_slice()).into_owned()),
        AMQPValue::FieldTable(t) => header_strings(t, out),
        AMQPValue::FieldArray(a) => a.as_slice().iter().for_each(|v| value_strings(v, out)),
        other => out.push(format!("{other:?}")),
    }
}

/// Every property of a delivery but its body, as text: routing key, exchange, message id,
/// type, and every header.
pub fn delivery_strings(routing_key: &str, exchange: &str, properties: &lapin::BasicProperties) -> Vec<String> {
    let mut out = vec![routing_key.to_owned(), exchange.to_owned()];
    let text = |s: &Option<lapin::types::ShortString>| s.as_ref().map(|s| s.as_str().to_owned());
    out.extend(
        [properties.message_id(), properties.kind(), properties.content_type(), properties.correlation_id()]
            .into_iter()
            .filter_map(text),
    );
    if let Some(headers) = properties.headers() {
        header_strings(headers, &mut out);
    }
    out
}

/// Every message in `queue`, read with `basic.get` without acknowledging; closing the channel
/// hands them all back, so the queue is left as it was.
pub async fn peek(connection: &lapin::Connection, queue: &str) -> Vec<BasicGetMessage> {
    let channel = connection.create_channel().await.expect("channel");
    let mut messages = Vec::new();
    while let Some(message) =
        channel.basic_get(queue.into(), BasicGetOptions { no_ack: false }).await.expect("basic.get")
    {
        messages.push(message);
    }
    let _ = channel.close(200, "peeked".into()).await;
    messages
}
