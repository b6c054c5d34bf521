//! The token issuer's public keys fetched over HTTPS (`AUTH_JWKS_URL`): once at start-up (a
//! failure stops start-up) and then every `AUTH_JWKS_REFRESH_SECONDS`, keeping the last good
//! set when a refresh fails, so an issuer's outage never locks callers out and a rotated key is
//! picked up without a restart.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `AUTH_JWKS_URL` | unset | `https://` URL of the issuer's JWKS (instead of `AUTH_JWKS_FILE`) |
//! | `AUTH_JWKS_REFRESH_SECONDS` | `300` | how often the keys are fetched again |
//! | `AUTH_JWKS_CA_FILE` | unset | PEM CA(s) trusted for that URL besides the public web roots (a private issuer) |

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use jsonwebtoken::jwk::JwkSet;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::config::{ConfigError, var};

/// Largest JWKS accepted (a handful of keys is a few KiB).
const MAX_BODY: usize = 1 << 20;
/// Connect, handshake and answer must fit in this.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Where the keys come from and how to reach it.
#[derive(Clone)]
pub struct JwksUrl {
    uri: http::Uri,
    host: String,
    port: u16,
    tls: TlsConnector,
    pub refresh: Duration,
}

impl std::fmt::Debug for JwksUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksUrl").field("uri", &self.uri).field("refresh", &self.refresh).finish()
    }
}

fn malformed(name: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Malformed { name: name.to_owned(), reason: reason.into() }
}

impl JwksUrl {
    /// From the environment; `None` when `AUTH_JWKS_URL` is unset.
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        let Some(raw) = var("AUTH_JWKS_URL") else { return Ok(None) };
        let uri: http::Uri = raw.trim().parse().map_err(|e| malformed("AUTH_JWKS_URL", format!("not a URL: {e}")))?;
        if uri.scheme_str() != Some("https") {
            return Err(malformed("AUTH_JWKS_URL", "must be an https:// URL"));
        }
        let host = uri.host().ok_or_else(|| malformed("AUTH_JWKS_URL", "names no host"))?.to_owned();
        let port = uri.port_u16().unwrap_or(443);
        let refresh = match var("AUTH_JWKS_REFRESH_SECONDS") {
            None => 300,
            Some(s) => s
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|s| *s > 0)
                .ok_or_else(|| malformed("AUTH_JWKS_REFRESH_SECONDS", "expected seconds above 0"))?,
        };
        let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        if let Some(path) = var("AUTH_JWKS_CA_FILE") {
            let pem =
                std::fs::read(&path).map_err(|e| malformed("AUTH_JWKS_CA_FILE", format!("cannot read {path}: {e}")))?;
            for der in CertificateDer::pem_slice_iter(&pem) {
                let der = der.map_err(|e| malformed("AUTH_JWKS_CA_FILE", format!("not PEM certificates: {e}")))?;
                roots.add(der).map_err(|e| malformed("AUTH_JWKS_CA_FILE", format!("not a usable CA: {e}")))?;
            }
        }
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| malformed("AUTH_JWKS_URL", e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let tls = TlsConnector::from(Arc::new(config));
        Ok(Some(Self { uri, host, port, tls, refresh: Duration::from_secs(refresh) }))
    }

    /// Fetches and parses the key set; the error says what failed, for the log.
    pub async fn fetch(&self) -> Result<JwkSet, String> {
        tokio::time::timeout(TIMEOUT, self.fetch_once()).await.unwrap_or_else(|_| Err("timed out".into()))
    }

    async fn fetch_once(&self) -> Result<JwkSet, String> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port)).await.map_err(|e| format!("connect: {e}"))?;
        let name = ServerName::try_from(self.host.clone()).map_err(|e| format!("server name: {e}"))?;
        let tls = self.tls.connect(name, tcp).await.map_err(|e| format!("tls: {e}"))?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.map_err(|e| format!("http: {e}"))?;
        // The connection task ends when the response is read and the sender dropped.
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let path = self.uri.path_and_query().map_or("/", |p| p.as_str());
        let authority = self.uri.authority().map_or(self.host.as_str(), |a| a.as_str());
        let request = http::Request::get(path)
            .header(http::header::HOST, authority)
            .header(http::header::ACCEPT, "application/json")
            .body(Empty::<Bytes>::new())
            .map_err(|e| format!("request: {e}"))?;
        let response = sender.send_request(request).await.map_err(|e| format!("http: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("http status {}", response.status().as_u16()));
        }
        let body =
            Limited::new(response.into_body(), MAX_BODY).collect().await.map_err(|e| format!("body: {e}"))?.to_bytes();
        serde_json::from_slice(&body).map_err(|e| format!("not a JWKS: {e}"))
    }
}
