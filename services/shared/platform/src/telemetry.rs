//! Logs as JSON lines on stdout, spans as OpenTelemetry traces (exported over OTLP when the
//! standard `OTEL_EXPORTER_OTLP_ENDPOINT` is set), and W3C trace context carried across gRPC
//! metadata and AMQP headers, so one trace follows a prescription through every service.
//!
//! Nothing here records request bodies or patient fields: spans carry ids only.

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// The default filter: our crates at info, chatty dependencies at warn.
const DEFAULT_FILTER: &str = "info,sqlx=warn,lapin=warn,h2=warn,tower=warn,hyper=warn,tonic=warn";

/// Keeps the tracer provider alive; flushes pending spans when dropped.
#[derive(Debug)]
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        let _ = self.provider.shutdown();
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("cannot build the OTLP exporter: {0}")]
    Exporter(String),
    #[error("cannot install the log subscriber: {0}")]
    Subscriber(String),
}

/// Installs logging and tracing for the process. Spans always get trace ids (so logs can be
/// correlated even without a collector); they are exported only when an OTLP endpoint is set.
pub fn init(service_name: &str) -> Result<Telemetry, TelemetryError> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let resource = opentelemetry_sdk::Resource::builder().with_service_name(service_name.to_owned()).build();
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if crate::config::var("OTEL_EXPORTER_OTLP_ENDPOINT").is_some()
        || crate::config::var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_some()
    {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .build()
            .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
        builder = builder.with_batch_exporter(exporter);
    }
    let provider = builder.build();
    opentelemetry::global::set_tracer_provider(provider.clone());
    let tracer = provider.tracer("rxbridge");

    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let json = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_writer(std::io::stdout)
        .with_filter(filter());
    // The same filter for spans: unfiltered, every trace-level span of the HTTP/2 and database
    // crates would be built (and exported) on each request.
    let otel = tracing_opentelemetry::layer().with_tracer(tracer).with_filter(filter());
    tracing_subscriber::registry()
        .with(json)
        .with(otel)
        .try_init()
        .map_err(|e| TelemetryError::Subscriber(e.to_string()))?;
    Ok(Telemetry { provider })
}

/// The W3C trace context of the current span, as headers to carry along (`traceparent`,
/// `tracestate`).
pub fn current_context_headers() -> HashMap<String, String> {
    let mut carrier = MapCarrier::default();
    let context = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.0
}

/// Makes `span` a child of the trace described by `carrier`, if it carries one, and records
/// the trace id on the span's `trace_id` field (declare it `tracing::field::Empty`) so JSON logs
/// can be followed across services.
pub fn continue_trace(span: &tracing::Span, carrier: &dyn Extractor) {
    let parent = TraceContextPropagator::new().extract(carrier);
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
    record_trace_id(span);
}

/// Records the span's OpenTelemetry trace id in its `trace_id` field.
pub fn record_trace_id(span: &tracing::Span) {
    let id = span.context().span().span_context().trace_id();
    if id != opentelemetry::trace::TraceId::INVALID {
        span.record("trace_id", tracing::field::display(id));
    }
}

/// The trace id of the current span, if any (for tests and error reports).
pub fn current_trace_id() -> Option<String> {
    let id = tracing::Span::current().context().span().span_context().trace_id();
    (id != opentelemetry::trace::TraceId::INVALID).then(|| id.to_string())
}

/// A plain map that trace context is injected into and extracted from.
#[derive(Debug, Default, Clone)]
pub struct MapCarrier(pub HashMap<String, String>);

impl Injector for MapCarrier {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
}

impl Extractor for MapCarrier {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

/// Reads trace context from HTTP/2 headers (gRPC metadata travels in them).
#[derive(Debug)]
pub struct HeaderCarrier<'a>(pub &'a http::HeaderMap);

impl Extractor for HeaderCarrier<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}
