//! CAQH CORE connectivity, real time: one HTTP POST of a SOAP 1.2 envelope carrying a
//! `COREEnvelopeRealTimeRequest` (PayloadType `X12_270_Request_005010X279A1`, ProcessingMode
//! `RealTime`, a UUID PayloadID, RFC 3339 TimeStamp, SenderID, ReceiverID, CORERuleVersion
//! 2.2.0, the 270 as CDATA Payload), credentials as a WS-Security UsernameToken in the SOAP
//! header. The answer is a `COREEnvelopeRealTimeResponse` with PayloadType
//! `X12_271_Response_005010X279A1`, or an error code and message.
//!
//! One connection per request over hyper's HTTP/1 client: eligibility checks are few per
//! second, and a fresh connection never inherits a half-dead socket. HTTPS uses rustls with
//! the ring provider and the Mozilla roots; plain http is for a local simulator.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rx_payer_sim::core::{self as wire, CoreEnvelope, EnvelopeError, UsernameToken};
use time::OffsetDateTime;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use super::{ConnectorError, PayerConnector};
use crate::config::PayerConfig;

/// The CORE real-time connector.
pub struct CoreConnector {
    tls: Option<TlsConnector>,
    /// Connectors trusting a payer's extra roots, by `ca_file`.
    private: Mutex<HashMap<String, TlsConnector>>,
}

impl std::fmt::Debug for CoreConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreConnector").field("tls", &self.tls.is_some()).finish()
    }
}

impl Default for CoreConnector {
    fn default() -> Self {
        Self::new()
    }
}

fn tls_connector(extra: &[CertificateDer<'static>]) -> Option<TlsConnector> {
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let (_, _ignored) = roots.add_parsable_certificates(extra.iter().cloned());
    ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()
        .map(|b| TlsConnector::from(Arc::new(b.with_root_certificates(roots).with_no_client_auth())))
}

impl CoreConnector {
    pub fn new() -> Self {
        Self { tls: tls_connector(&[]), private: Mutex::new(HashMap::new()) }
    }

    /// The TLS connector for a payer: the shared one, or one that also trusts its `ca_file`.
    fn tls_for(&self, payer: &PayerConfig) -> Result<TlsConnector, ConnectorError> {
        let Some(path) = &payer.ca_file else {
            return self.tls.clone().ok_or_else(|| ConnectorError::Connect("tls unavailable".into()));
        };
        let mut private = self.private.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = private.get(path) {
            return Ok(c.clone());
        }
        let roots = crate::config::load_roots(path).map_err(ConnectorError::Connect)?;
        let c = tls_connector(&roots).ok_or_else(|| ConnectorError::Connect("tls unavailable".into()))?;
        private.insert(path.clone(), c.clone());
        Ok(c)
    }
}

fn connect_err(e: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Connect(e.to_string())
}

/// Builds the SOAP request for `x12` to `payer`.
pub fn request_envelope(payer: &PayerConfig, x12: String) -> String {
    let now = OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let env = CoreEnvelope::real_time_request(
        uuid::Uuid::new_v4().to_string(),
        now,
        payer.sender_id.clone(),
        payer.receiver().to_owned(),
        x12,
    );
    let token = match (&payer.username, &payer.password) {
        (Some(u), Some(p)) => Some(UsernameToken { username: u.clone(), password: p.clone() }),
        _ => None,
    };
    env.to_soap(wire::REAL_TIME_REQUEST, token.as_ref())
}

/// Reads the SOAP answer: the 271 text, or why there is none.
pub fn read_response(status: u16, body: &str) -> Result<String, ConnectorError> {
    let env = match CoreEnvelope::from_soap(body, wire::REAL_TIME_RESPONSE) {
        Ok(env) => env,
        // A 5xx with a fault or garbage body is the status's story, not the envelope's.
        Err(_) if status >= 500 || status == 429 => return Err(ConnectorError::Http(status)),
        Err(EnvelopeError::Fault(_)) if status >= 400 => return Err(ConnectorError::Http(status)),
        Err(e) => return Err(ConnectorError::Envelope(e.to_string())),
    };
    if let Some(code) = env.error_code.as_deref().filter(|c| *c != wire::SUCCESS) {
        return Err(ConnectorError::Core { code: code.to_owned(), message: env.error_message.clone() });
    }
    if !(200..300).contains(&status) {
        return Err(ConnectorError::Http(status));
    }
    if env.payload_type != wire::X12_271_RESPONSE {
        return Err(ConnectorError::Envelope(format!("unexpected payload type {}", env.payload_type)));
    }
    env.payload.ok_or_else(|| ConnectorError::Envelope("no payload".into()))
}

async fn exchange<I>(io: I, req: http::Request<Full<Bytes>>) -> Result<(u16, String), ConnectorError>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.map_err(connect_err)?;
    let call = async move {
        let resp = sender.send_request(req).await.map_err(connect_err)?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.map_err(connect_err)?.to_bytes();
        Ok::<_, ConnectorError>((status, String::from_utf8_lossy(&body).into_owned()))
    };
    tokio::pin!(conn);
    tokio::pin!(call);
    tokio::select! {
        r = &mut call => r,
        c = &mut conn => match c {
            Err(e) => Err(connect_err(e)),
            Ok(()) => call.await,
        },
    }
}

impl CoreConnector {
    async fn post(&self, payer: &PayerConfig, body: String) -> Result<(u16, String), ConnectorError> {
        let uri: http::Uri = payer.endpoint.parse().map_err(connect_err)?;
        let https = uri.scheme_str() == Some("https");
        let host = uri.host().ok_or_else(|| ConnectorError::Connect("endpoint without host".into()))?.to_owned();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let authority = uri.authority().map_or(host.clone(), |a| a.to_string());
        let req = http::Request::post(path)
            .header(http::header::HOST, authority)
            .header(
                http::header::CONTENT_TYPE,
                format!("{}; action=\"RealTimeTransaction\"", wire::SOAP12_CONTENT_TYPE),
            )
            .body(Full::new(Bytes::from(body)))
            .map_err(connect_err)?;
        let tcp = TcpStream::connect((host.as_str(), port)).await.map_err(connect_err)?;
        let _ = tcp.set_nodelay(true);
        if https {
            let tls = self.tls_for(payer)?;
            let name = ServerName::try_from(host).map_err(connect_err)?;
            let stream = tls.connect(name, tcp).await.map_err(connect_err)?;
            exchange(TokioIo::new(stream), req).await
        } else {
            exchange(TokioIo::new(tcp), req).await
        }
    }
}

impl PayerConnector for CoreConnector {
    fn eligibility<'a>(
        &'a self,
        payer: &'a PayerConfig,
        x12_270: String,
    ) -> BoxFuture<'a, Result<String, ConnectorError>> {
        Box::pin(async move {
            let body = request_envelope(payer, x12_270);
            let (status, text) = tokio::time::timeout(payer.timeout(), self.post(payer, body))
                .await
                .map_err(|_| ConnectorError::Timeout)??;
            read_response(status, &text)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(code: &str, payload: Option<&str>, payload_type: &str) -> String {
        CoreEnvelope {
            payload_type: payload_type.into(),
            processing_mode: wire::REAL_TIME.into(),
            payload_id: "1".into(),
            timestamp: "t".into(),
            sender_id: "P".into(),
            receiver_id: "C".into(),
            rule_version: wire::CORE_RULE_VERSION.into(),
            payload: payload.map(str::to_owned),
            error_code: Some(code.into()),
            error_message: Some("m".into()),
            extra: Vec::new(),
        }
        .to_soap(wire::REAL_TIME_RESPONSE, None)
    }

    #[test]
    fn responses_map_to_271_or_errors() {
        assert_eq!(read_response(200, &response("Success", Some("ISA~"), wire::X12_271_RESPONSE)), Ok("ISA~".into()));
        assert_eq!(
            read_response(401, &response("Unauthorized", None, wire::CORE_ERROR)),
            Err(ConnectorError::Core { code: "Unauthorized".into(), message: Some("m".into()) })
        );
        assert_eq!(read_response(503, &wire::soap_fault(false, "down")), Err(ConnectorError::Http(503)));
        assert_eq!(read_response(502, "<html>bad gateway</html>"), Err(ConnectorError::Http(502)));
        assert!(matches!(read_response(200, "garbage"), Err(ConnectorError::Envelope(_))));
        assert!(matches!(
            read_response(200, &response("Success", Some("x"), "X12_999_Response")),
            Err(ConnectorError::Envelope(_))
        ));
        assert!(ConnectorError::Http(503).is_transient());
        assert!(!ConnectorError::Http(400).is_transient());
    }

    #[test]
    fn requests_carry_the_core_fields_and_credentials() {
        let mut payer = PayerConfig::new("P1", "PLAN", "http://127.0.0.1:1/core");
        payer.username = Some("clinic".into());
        payer.password = Some("secret".into());
        let xml = request_envelope(&payer, "ISA*00~".into());
        let env = CoreEnvelope::from_soap(&xml, wire::REAL_TIME_REQUEST).expect("readable");
        assert_eq!(env.payload_type, wire::X12_270_REQUEST);
        assert_eq!(env.processing_mode, "RealTime");
        assert_eq!(env.rule_version, "2.2.0");
        assert_eq!((env.sender_id.as_str(), env.receiver_id.as_str()), ("RXBRIDGE", "P1"));
        assert!(uuid::Uuid::parse_str(&env.payload_id).is_ok());
        assert!(OffsetDateTime::parse(&env.timestamp, &time::format_description::well_known::Rfc3339).is_ok());
        assert_eq!(env.payload.as_deref(), Some("ISA*00~"));
        assert_eq!(wire::username_token(&xml).map(|t| t.password), Some("secret".into()));
    }
}
