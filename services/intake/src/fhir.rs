//! FHIR R4 REST intake: `POST /fhir/r4/ServiceRequest` and `POST /fhir/r4/Bundle`.
//!
//! - The caller from its bearer token or, without one, its verified client certificate (see
//!   `rx_platform::auth`); neither: 401.
//! - Idempotency from header `Idempotency-Key` (same key, or the same bytes, returns the first
//!   prescription with `200 OK` instead of `201 Created`, and no second event).
//! - Success: `201 Created`, `Location: /fhir/r4/ServiceRequest/<prescription id>`, and an
//!   OperationOutcome naming the id and status (review reasons as warnings).
//! - Unreadable body: `400` with an OperationOutcome (the bytes are stored all the same);
//!   FHIR that is not a prescription: `422`; wrong media type: `415`; our failure: `503`/`500`.

use std::net::SocketAddr;

use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use rx_fhir::{IssueType, OperationOutcome};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::app::{App, Submission};
use crate::error::ServiceError;
use crate::reader::Requested;
use rx_platform::audit::{CallEntry, Entry};
use rx_platform::auth::{AuthError, Authenticator};
use rx_platform::tls::{Incoming, PeerInfo, Protocol, Transport};

/// Largest request body accepted.
pub const MAX_BODY: usize = 5 << 20;
const FHIR_JSON: &str = "application/fhir+json";

/// What the handlers share: the service and the verifier of callers.
#[derive(Debug, Clone)]
pub struct Fhir {
    pub app: App,
    pub auth: Authenticator,
}

/// The FHIR REST routes.
pub fn router(app: App, auth: Authenticator) -> Router {
    Router::new()
        .route("/fhir/r4/ServiceRequest", post(service_request))
        .route("/fhir/r4/Bundle", post(bundle))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(Fhir { app, auth })
}

/// Serves the routes on `listener` over `transport` until `stop`.
pub async fn serve(
    listener: TcpListener,
    app: App,
    auth: Authenticator,
    transport: Transport,
    stop: CancellationToken,
) {
    let incoming = match Incoming::new(listener, transport.acceptor(Protocol::Http1), "fhir", stop.clone()) {
        Ok(incoming) => incoming,
        Err(e) => return tracing::error!(error = %e, "fhir listener failed"),
    };
    let service = router(app, auth).into_make_service_with_connect_info::<PeerInfo>();
    if let Err(e) = axum::serve(incoming, service).with_graceful_shutdown(stop.cancelled_owned()).await {
        tracing::error!(error = %e, "fhir listener failed");
    }
}

/// Binds the FHIR address and returns the listener and the address it really got.
pub async fn bind(addr: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

fn outcome(status: StatusCode, outcome: &OperationOutcome) -> Response {
    let mut resp = (status, outcome.to_json()).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    resp
}

fn refuse(status: StatusCode, code: IssueType, text: impl Into<String>) -> Response {
    outcome(status, &OperationOutcome::new().error(code, text))
}

/// The connection's peer, when served with connect info (not in router-only tests).
type Peer = Option<Extension<ConnectInfo<PeerInfo>>>;

async fn service_request(State(fhir): State<Fhir>, peer: Peer, headers: HeaderMap, body: Bytes) -> Response {
    create(fhir, peer, headers, body, "ServiceRequest").await
}

async fn bundle(State(fhir): State<Fhir>, peer: Peer, headers: HeaderMap, body: Bytes) -> Response {
    create(fhir, peer, headers, body, "Bundle").await
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

/// Who may post prescriptions over FHIR REST: the roles that may submit them over gRPC.
const SUBMIT: &str = "/rxbridge.intake.v1.IntakeService/SubmitDocument";

async fn create(fhir: Fhir, peer: Peer, headers: HeaderMap, body: Bytes, endpoint: &'static str) -> Response {
    let Fhir { app, auth } = fhir;
    let cert = peer.as_ref().and_then(|Extension(ConnectInfo(p))| p.cert.as_deref());
    let caller = match rx_platform::auth::authorize_peer(&auth, SUBMIT, &headers, cert) {
        Ok(caller) if caller.clinic_id.len() <= 64 => caller,
        Ok(_) => return refuse(StatusCode::UNAUTHORIZED, IssueType::Login, "the clinic id is too long"),
        Err(AuthError::Forbidden) => {
            return refuse(StatusCode::FORBIDDEN, IssueType::Forbidden, AuthError::Forbidden.to_string());
        }
        Err(e) => return refuse(StatusCode::UNAUTHORIZED, IssueType::Login, e.to_string()),
    };
    let clinic_id = caller.clinic_id.as_str();
    let media = header_text(&headers, "content-type").unwrap_or_default().to_ascii_lowercase();
    let essence = media.split(';').next().unwrap_or_default().trim();
    if !matches!(essence, FHIR_JSON | "application/json") {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            IssueType::NotSupported,
            "content type must be application/fhir+json or application/json",
        );
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body)
        && let Some(kind) = value.get("resourceType").and_then(|v| v.as_str())
        && kind != endpoint
    {
        let reason = format!("this endpoint takes a {endpoint}");
        if let Err(e) = app.keep_refused(clinic_id, &body, "fhir_rest", &reason).await {
            tracing::warn!(error = %e, "refused fhir document not stored");
        }
        return outcome(
            StatusCode::BAD_REQUEST,
            &OperationOutcome::new().error(IssueType::Invalid, reason).at("resourceType"),
        );
    }
    let call = CallEntry::new(Entry {
        clinic_id: clinic_id.to_owned(),
        subject: caller.subject.clone(),
        roles: caller.roles_text(),
        action: format!("fhir/r4/{endpoint} POST"),
        peer: peer
            .as_ref()
            .and_then(|Extension(ConnectInfo(p))| p.addr)
            .map(|a| a.ip().to_string())
            .unwrap_or_default(),
        ..Entry::default()
    });
    let submission = Submission {
        clinic_id: clinic_id.to_owned(),
        content: body,
        requested: Requested::Fhir,
        idempotency_key: header_text(&headers, "idempotency-key").map(str::to_owned),
        source_label: "fhir rest".into(),
        channel: "fhir_rest",
        audit: Some(call.clone()),
    };
    let submitted = app.submit(submission).await;
    app.audit_submission(&call, &submitted).await;
    match submitted {
        Ok(s) => {
            let r = &s.view.record;
            let mut oo =
                OperationOutcome::new().information(format!("prescription {} {}", r.id, r.status.replace('_', " ")));
            for reason in &r.review_reasons {
                oo = oo.warning(IssueType::BusinessRule, reason.clone());
            }
            let status = if s.duplicate { StatusCode::OK } else { StatusCode::CREATED };
            let mut resp = outcome(status, &oo);
            if let Ok(location) = HeaderValue::from_str(&format!("/fhir/r4/ServiceRequest/{}", r.id)) {
                resp.headers_mut().insert(header::LOCATION, location);
            }
            resp
        }
        Err(ServiceError::Unreadable(u)) => {
            let status = if u.reason.contains("is not a prescription") {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::BAD_REQUEST
            };
            let code = if status == StatusCode::BAD_REQUEST { IssueType::Structure } else { IssueType::Processing };
            outcome(status, &OperationOutcome::new().error(code, u.reason).at(u.field))
        }
        Err(ServiceError::InvalidArgument { field, reason }) => {
            outcome(StatusCode::BAD_REQUEST, &OperationOutcome::new().error(IssueType::Invalid, reason).at(field))
        }
        Err(e) if e.is_transient() => {
            tracing::warn!(error = %e, "fhir create failed");
            refuse(StatusCode::SERVICE_UNAVAILABLE, IssueType::Transient, "temporarily unavailable, retry later")
        }
        Err(e) => {
            tracing::error!(error = %e, "fhir create failed");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, IssueType::Exception, "internal error")
        }
    }
}
