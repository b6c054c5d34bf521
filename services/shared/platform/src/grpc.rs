//! The gRPC server every service runs: its own API beside the standard health service and
//! server reflection, one tower layer that traces and counts every call, and a graceful stop.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::audit;
use crate::auth::{self, AuthError, Authenticator};
use crate::tls::{PeerInfo, Protocol, Transport};
use sqlx::PgPool;

/// Largest request message accepted (a multi-page fax fits); larger ones get RESOURCE_EXHAUSTED.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 25 * 1024 * 1024;

/// The standard services every rxbridge gRPC server carries.
#[derive(Debug)]
pub struct StandardServices {
    pub routes: Routes,
    pub health: HealthReporter,
}

/// Builds health and reflection (v1 and v1alpha: grpcurl 1.8 still asks v1alpha).
pub fn standard_services() -> Result<StandardServices, tonic_reflection::server::Error> {
    let (health, health_service) = tonic_health::server::health_reporter();
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(rx_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let v1 = reflection().build_v1()?;
    let v1alpha = reflection().build_v1alpha()?;
    let routes = Routes::new(health_service).add_service(v1).add_service(v1alpha);
    Ok(StandardServices { routes, health })
}

/// Marks every named service and the server as a whole SERVING.
pub async fn mark_serving(health: &HealthReporter, services: &[&str]) {
    for name in services {
        health.set_service_status(*name, ServingStatus::Serving).await;
    }
    health.set_service_status("", ServingStatus::Serving).await;
}

/// Marks them NOT_SERVING, so load balancers stop sending before the server drains.
pub async fn mark_not_serving(health: &HealthReporter, services: &[&str]) {
    for name in services {
        health.set_service_status(*name, ServingStatus::NotServing).await;
    }
    health.set_service_status("", ServingStatus::NotServing).await;
}

/// Binds a listener and reports the address it really got (tests bind port 0).
pub async fn bind(addr: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// How a server checks and records its callers.
#[derive(Debug, Clone)]
pub struct Access {
    pub auth: Authenticator,
    /// Where each call is audited (the service's pool); `None` only in tests of handlers.
    pub audit: Option<PgPool>,
}

impl Access {
    /// Unauthenticated headers and no audit: in-process tests of handlers only.
    pub fn insecure_for_tests() -> Self {
        Self { auth: Authenticator::insecure_dev_headers(), audit: None }
    }
}

/// Serves `routes` in plaintext (in-process tests); see [`serve_on`].
pub async fn serve(
    listener: TcpListener,
    routes: Routes,
    access: Access,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    serve_on(listener, &Transport::Plaintext, routes, access, shutdown).await
}

/// Serves `routes` over `transport` until `shutdown` is cancelled, then lets in-flight calls
/// finish. Every call but health and reflection must pass `access`, and is audited.
pub async fn serve_on(
    listener: TcpListener,
    transport: &Transport,
    routes: Routes,
    access: Access,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let accepted = crate::tls::accept(listener, transport.acceptor(Protocol::Grpc), "grpc", shutdown.clone());
    let incoming = tokio_stream::wrappers::ReceiverStream::new(accepted).map(Ok::<_, std::io::Error>);
    tonic::transport::Server::builder()
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .layer(RpcLayer)
        .layer(AuthLayer { access })
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
        .await
}

/// Serves only the health service, in plaintext, for Kubernetes' gRPC probes (which cannot
/// speak TLS); it shares the statuses of the API server's `health` reporter. A client left
/// watching gets two seconds after `shutdown`, so it cannot hold up the process's exit.
pub async fn serve_health(
    listener: TcpListener,
    health: HealthReporter,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let service = tonic_health::pb::health_server::HealthServer::new(
        tonic_health::server::HealthService::from_health_reporter(health),
    );
    let accepted = crate::tls::accept(listener, None, "health", shutdown.clone());
    let incoming = tokio_stream::wrappers::ReceiverStream::new(accepted).map(Ok::<_, std::io::Error>);
    let serving = tonic::transport::Server::builder()
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned());
    tokio::select! {
        result = serving => result,
        () = async {
            shutdown.cancelled().await;
            tokio::time::sleep(Duration::from_secs(2)).await;
        } => Ok(()),
    }
}

/// Authenticates and authorizes each call (see [`crate::auth`]). The caller's clinic, subject
/// and roles then travel to the handler as the `x-clinic-id`, `x-subject` and `x-roles`
/// metadata, replacing whatever the client sent under those names.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    pub access: Access,
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService { inner, access: self.access.clone() }
    }
}

#[derive(Debug, Clone)]
pub struct AuthService<S> {
    inner: S,
    access: Access,
}

impl<S, B, R> tower::Service<http::Request<B>> for AuthService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let path = request.uri().path().to_owned();
        if auth::is_public(&path) {
            return Box::pin(inner.call(request));
        }
        let peer = request.extensions().get::<PeerInfo>().cloned().unwrap_or_default();
        let mut entry = audit::Entry {
            action: path.trim_start_matches('/').to_owned(),
            peer: peer.addr.map(|a| a.ip().to_string()).unwrap_or_default(),
            ..audit::Entry::default()
        };
        let pool = self.access.audit.clone();
        let checked = self.access.auth.authenticate_peer(request.headers(), peer.cert.as_deref()).and_then(|caller| {
            // A known caller asking too much is recorded under their clinic.
            entry.clinic_id.clone_from(&caller.clinic_id);
            entry.subject.clone_from(&caller.subject);
            entry.roles = caller.roles_text();
            if auth::permits(&caller, &path) { Ok(caller) } else { Err(AuthError::Forbidden) }
        });
        match checked {
            Ok(_) => {
                let headers = request.headers_mut();
                for (name, value) in [
                    ("x-clinic-id", entry.clinic_id.as_str()),
                    ("x-subject", entry.subject.as_str()),
                    ("x-roles", entry.roles.as_str()),
                ] {
                    headers.remove(name);
                    if let Ok(v) = http::HeaderValue::from_str(value) {
                        headers.insert(name, v);
                    }
                }
            }
            Err(e) => {
                metrics::counter!("grpc_server_auth_failures_total", "reason" => auth_reason(&e)).increment(1);
                let status = e.status();
                entry.outcome = audit::code_name(status.code()).to_owned();
                return Box::pin(async move {
                    if let Some(pool) = pool
                        && let Err(err) = audit::record(&pool, &entry).await
                    {
                        tracing::warn!(error = %err, "refused call not audited");
                    }
                    Ok(status.into_http::<R>())
                });
            }
        }
        let call = audit::CallEntry::new(entry.clone());
        request.extensions_mut().insert(call.clone());
        Box::pin(async move {
            let response = inner.call(request).await?;
            let Some(pool) = pool else { return Ok(response) };
            let code = grpc_status(response.headers());
            if code == tonic::Code::Ok && call.is_written() {
                // the handler wrote the entry in its own transaction
                return Ok(response);
            }
            entry.outcome = audit::code_name(code).to_owned();
            if let Some(resource) = response.extensions().get::<audit::AuditResource>() {
                entry.resource = resource.clone();
            }
            // No answer without its audit entry: a trail that cannot be written fails the call.
            if let Err(err) = audit::record(&pool, &entry).await {
                tracing::error!(error = %err, action = %entry.action, "audit entry not written; answer withheld");
                return Ok(tonic::Status::unavailable("the audit trail is unavailable").into_http::<R>());
            }
            Ok(response)
        })
    }
}

/// A low-cardinality label for an authentication failure.
fn auth_reason(e: &AuthError) -> &'static str {
    match e {
        AuthError::Forbidden => "forbidden",
        AuthError::Missing => "missing",
        AuthError::Expired => "expired",
        AuthError::UnknownCertificate => "unknown_certificate",
        AuthError::CertificateMismatch => "certificate_mismatch",
        _ => "invalid",
    }
}

/// The status of a response as a code (see [`grpc_code`]).
fn grpc_status(headers: &http::HeaderMap) -> tonic::Code {
    grpc_code(headers).parse::<i32>().map_or(tonic::Code::Unknown, tonic::Code::from)
}

/// Traces each call as a span that continues the caller's W3C trace context, and counts it.
#[derive(Debug, Clone, Copy)]
pub struct RpcLayer;

impl<S> tower::Layer<S> for RpcLayer {
    type Service = RpcService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcService { inner }
    }
}

#[derive(Debug, Clone)]
pub struct RpcService<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, R> tower::Service<http::Request<B>> for RpcService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The clone is ready only after poll_ready; call the one that was polled.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let path = request.uri().path().to_owned();
        let (service, method) = split_path(&path);
        let span = tracing::info_span!(
            "grpc",
            otel.name = %path,
            rpc.service = %service,
            rpc.method = %method,
            trace_id = tracing::field::Empty,
        );
        crate::telemetry::continue_trace(&span, &crate::telemetry::HeaderCarrier(request.headers()));
        let started = Instant::now();
        let service = service.to_owned();
        let method = method.to_owned();
        let fut = inner.call(request);
        Box::pin(tracing::Instrument::instrument(
            async move {
                let result = fut.await;
                let code = match &result {
                    Ok(response) => grpc_code(response.headers()),
                    Err(_) => "transport_error".to_owned(),
                };
                let labels = [("service", service.clone()), ("method", method.clone())];
                metrics::histogram!("grpc_server_request_duration_seconds", &labels)
                    .record(started.elapsed().as_secs_f64());
                metrics::counter!("grpc_server_requests_total", "service" => service, "method" => method, "code" => code)
                    .increment(1);
                result
            },
            span,
        ))
    }
}

fn split_path(path: &str) -> (&str, &str) {
    let trimmed = path.trim_start_matches('/');
    trimmed.split_once('/').unwrap_or((trimmed, ""))
}

/// The status of a unary call: errors arrive as trailers-only responses whose headers carry
/// `grpc-status`; success puts it in trailers, which this layer does not wait for.
fn grpc_code(headers: &http::HeaderMap) -> String {
    headers.get("grpc-status").and_then(|v| v.to_str().ok()).map_or_else(|| "0".to_owned(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_splits_into_service_and_method() {
        assert_eq!(
            split_path("/rxbridge.intake.v1.IntakeService/SubmitDocument"),
            ("rxbridge.intake.v1.IntakeService", "SubmitDocument")
        );
        assert_eq!(split_path("/"), ("", ""));
    }

    #[test]
    fn trailers_only_errors_report_their_code() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(grpc_code(&headers), "0");
        headers.insert("grpc-status", http::HeaderValue::from_static("3"));
        assert_eq!(grpc_code(&headers), "3");
    }
}
