//! Transport security for every listener (gRPC, FHIR REST, MLLP): TLS from PEM files, with
//! client certificates verified against a CA when one is configured, so integrators' systems
//! can authenticate with a certificate. Plaintext only when asked for explicitly.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `TLS_CERT_FILE`, `TLS_KEY_FILE` | required | the server's certificate chain and private key (PEM) |
//! | `TLS_CLIENT_CA_FILE` | unset | CA(s) whose client certificates are accepted (mutual TLS); a certificate from another CA fails the handshake |
//! | `TLS_CLIENT_IDENTITIES` | unset | JSON file mapping a client certificate's DNS name or CN to a clinic and roles (see [`crate::auth::ClientIdentities`]) |
//! | `TLS_INSECURE_PLAINTEXT` | unset | `true`: no TLS on any listener (local development only; warned at start-up) |

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{self, RootCertStore, ServerConfig};
use tokio_util::sync::CancellationToken;

use crate::config::{ConfigError, var};

/// A client that does not finish its handshake within this long is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How listeners talk to their clients.
#[derive(Clone)]
pub enum Transport {
    /// No encryption: only with `TLS_INSECURE_PLAINTEXT=true` (and in-process tests).
    Plaintext,
    Tls(Arc<TlsServer>),
}

/// The server's TLS configurations: one where a client certificate is optional (gRPC and
/// FHIR, whose callers may present a bearer token instead) and, with a client CA, one where it
/// is required (MLLP, which has no other way to say who is sending).
pub struct TlsServer {
    optional_client: Arc<ServerConfig>,
    required_client: Option<Arc<ServerConfig>>,
}

impl std::fmt::Debug for TlsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsServer").field("client_certificates", &self.required_client.is_some()).finish()
    }
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.mode())
    }
}

/// Which protocol a listener speaks over TLS (its ALPN name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// gRPC: HTTP/2 only.
    Grpc,
    /// FHIR REST: HTTP/1.1.
    Http1,
    /// MLLP: no ALPN; a client certificate is required when client CAs are configured.
    Mllp,
}

fn malformed(name: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Malformed { name: name.to_owned(), reason: reason.into() }
}

fn is_true(name: &str) -> bool {
    var(name).is_some_and(|v| v.trim() == "true")
}

impl Transport {
    /// From the environment (see the module table). With neither certificate nor the explicit
    /// plaintext flag, start-up stops naming both.
    pub fn from_env() -> Result<Self, ConfigError> {
        let cert = var("TLS_CERT_FILE");
        if is_true("TLS_INSECURE_PLAINTEXT") {
            if cert.is_some() {
                return Err(malformed("TLS_INSECURE_PLAINTEXT", "cannot be true while TLS_CERT_FILE is set"));
            }
            tracing::warn!("TLS_INSECURE_PLAINTEXT=true: every listener is plaintext; never use this with real data");
            return Ok(Self::Plaintext);
        }
        let Some(cert) = cert else {
            return Err(ConfigError::Missing {
                name: "TLS_CERT_FILE (with TLS_KEY_FILE; or TLS_INSECURE_PLAINTEXT=true for local development)".into(),
            });
        };
        let key = var("TLS_KEY_FILE").ok_or_else(|| ConfigError::Missing { name: "TLS_KEY_FILE".into() })?;
        let client_ca = var("TLS_CLIENT_CA_FILE");
        if client_ca.is_none() && var("TLS_CLIENT_IDENTITIES").is_some() {
            return Err(malformed("TLS_CLIENT_IDENTITIES", "needs TLS_CLIENT_CA_FILE to verify client certificates"));
        }
        if client_ca.is_some() && var("TLS_CLIENT_IDENTITIES").is_none() {
            tracing::warn!(
                "TLS_CLIENT_CA_FILE without TLS_CLIENT_IDENTITIES: no client certificate names a clinic, so MLLP accepts no sender"
            );
        }
        let server = TlsServer::from_files(&cert, &key, client_ca.as_deref())?;
        Ok(Self::Tls(Arc::new(server)))
    }

    /// What `config show` reports: `tls`, `mtls` (client certificates verified),
    /// `insecure_plaintext` or `unconfigured` (fine for migrations; `serve` refuses to start).
    /// Files are read when they exist (a Secret mounted elsewhere is checked by the pod).
    pub fn describe_env() -> Result<&'static str, ConfigError> {
        if is_true("TLS_INSECURE_PLAINTEXT") {
            return Self::from_env().map(|_| "insecure_plaintext");
        }
        let Some(cert) = var("TLS_CERT_FILE") else { return Ok("unconfigured") };
        let key = var("TLS_KEY_FILE").ok_or_else(|| ConfigError::Missing { name: "TLS_KEY_FILE".into() })?;
        let files = [Some(cert), Some(key), var("TLS_CLIENT_CA_FILE")];
        if files.iter().flatten().all(|f| std::path::Path::new(f).exists()) {
            Self::from_env()?;
        }
        Ok(if var("TLS_CLIENT_CA_FILE").is_some() { "mtls" } else { "tls" })
    }

    pub fn mode(&self) -> &'static str {
        match self {
            Self::Plaintext => "insecure_plaintext",
            Self::Tls(s) if s.required_client.is_some() => "mtls",
            Self::Tls(_) => "tls",
        }
    }

    /// Whether client certificates are verified (and MLLP requires one).
    pub fn is_mutual(&self) -> bool {
        matches!(self, Self::Tls(s) if s.required_client.is_some())
    }

    /// The acceptor for a listener of `protocol`; `None` for plaintext.
    pub fn acceptor(&self, protocol: Protocol) -> Option<TlsAcceptor> {
        let Self::Tls(server) = self else { return None };
        let base = match (protocol, &server.required_client) {
            (Protocol::Mllp, Some(required)) => required,
            _ => &server.optional_client,
        };
        let mut config = (**base).clone();
        config.alpn_protocols = match protocol {
            Protocol::Grpc => vec![b"h2".to_vec()],
            Protocol::Http1 => vec![b"http/1.1".to_vec()],
            Protocol::Mllp => Vec::new(),
        };
        Some(TlsAcceptor::from(Arc::new(config)))
    }
}

impl TlsServer {
    /// Reads the PEM files and builds the configurations (ring provider, TLS 1.2 and 1.3).
    pub fn from_files(cert: &str, key: &str, client_ca: Option<&str>) -> Result<Self, ConfigError> {
        let read = |name: &str, path: &str| {
            std::fs::read(path).map_err(|e| malformed(name, format!("cannot read {path}: {e}")))
        };
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&read("TLS_CERT_FILE", cert)?)
            .collect::<Result<_, _>>()
            .map_err(|e| malformed("TLS_CERT_FILE", format!("not PEM certificates: {e}")))?;
        if chain.is_empty() {
            return Err(malformed("TLS_CERT_FILE", "holds no certificate"));
        }
        let private = PrivateKeyDer::from_pem_slice(&read("TLS_KEY_FILE", key)?)
            .map_err(|e| malformed("TLS_KEY_FILE", format!("not a PEM private key: {e}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let build = |verifier: Option<Arc<dyn rustls::server::danger::ClientCertVerifier>>| {
            let builder = ServerConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| malformed("TLS_CERT_FILE", e.to_string()))?;
            let builder = match verifier {
                Some(v) => builder.with_client_cert_verifier(v),
                None => builder.with_no_client_auth(),
            };
            builder
                .with_single_cert(chain.clone(), private.clone_key())
                .map(Arc::new)
                .map_err(|e| malformed("TLS_KEY_FILE", format!("does not match the certificate: {e}")))
        };
        let Some(ca) = client_ca else {
            return Ok(Self { optional_client: build(None)?, required_client: None });
        };
        let mut roots = RootCertStore::empty();
        for der in CertificateDer::pem_slice_iter(&read("TLS_CLIENT_CA_FILE", ca)?) {
            let der = der.map_err(|e| malformed("TLS_CLIENT_CA_FILE", format!("not PEM certificates: {e}")))?;
            roots.add(der).map_err(|e| malformed("TLS_CLIENT_CA_FILE", format!("not a usable CA: {e}")))?;
        }
        if roots.is_empty() {
            return Err(malformed("TLS_CLIENT_CA_FILE", "holds no certificate"));
        }
        let roots = Arc::new(roots);
        let verifier = |optional: bool| {
            let b = WebPkiClientVerifier::builder_with_provider(roots.clone(), provider.clone());
            let b = if optional { b.allow_unauthenticated() } else { b };
            b.build().map_err(|e| malformed("TLS_CLIENT_CA_FILE", e.to_string()))
        };
        Ok(Self {
            optional_client: build(Some(verifier(true)?))?,
            required_client: Some(build(Some(verifier(false)?))?),
        })
    }
}

/// The names a verified client certificate carries: its DNS subject alternative names and its
/// subject common name. Only certificates the handshake verified are ever read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeerCert {
    pub dns_names: Vec<String>,
    pub common_name: Option<String>,
}

impl PeerCert {
    fn from_der(der: &[u8]) -> Option<Self> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
        let common_name = cert.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok()).map(str::to_owned);
        let dns_names = cert
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|san| {
                san.value
                    .general_names
                    .iter()
                    .filter_map(|n| match n {
                        x509_parser::extensions::GeneralName::DNSName(d) => Some((*d).to_owned()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Self { dns_names, common_name })
    }

    /// Every name, SANs first (what identities are looked up by).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.dns_names.iter().map(String::as_str).chain(self.common_name.as_deref())
    }
}

/// Who is at the other end of a connection: request extension on gRPC (`tonic`'s connect
/// info) and FHIR (`axum`'s), and what MLLP reads.
#[derive(Debug, Clone, Default)]
pub struct PeerInfo {
    pub addr: Option<SocketAddr>,
    /// The verified client certificate, if the client presented one.
    pub cert: Option<Arc<PeerCert>>,
}

/// An accepted connection, plaintext or TLS.
#[derive(Debug)]
pub enum Conn {
    Plain(TcpStream, PeerInfo),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>, PeerInfo),
}

impl Conn {
    pub fn peer(&self) -> &PeerInfo {
        match self {
            Self::Plain(_, p) | Self::Tls(_, p) => p,
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s, _) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s, _) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s, _) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s, _) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s, _) => Pin::new(s).poll_flush(cx),
            Self::Tls(s, _) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s, _) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s, _) => Pin::new(s).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s, _) => Pin::new(s).poll_write_vectored(cx, bufs),
            Self::Tls(s, _) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(s, _) => s.is_write_vectored(),
            Self::Tls(s, _) => s.is_write_vectored(),
        }
    }
}

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = PeerInfo;

    fn connect_info(&self) -> PeerInfo {
        self.peer().clone()
    }
}

/// Accepts connections on `listener` until `stop`, each TLS handshake in its own task (a slow
/// client never holds up the others), and hands over the ready ones. Failed handshakes are
/// logged with the peer address and reason (nothing a client sent) and counted.
pub fn accept(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    listener_name: &'static str,
    stop: CancellationToken,
) -> mpsc::Receiver<Conn> {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                () = stop.cancelled() => return,
                () = tx.closed() => return,
                a = listener.accept() => a,
            };
            let (stream, addr) = match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(listener = listener_name, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let Some(acceptor) = acceptor.clone() else {
                let peer = PeerInfo { addr: Some(addr), cert: None };
                if tx.send(Conn::Plain(stream, peer)).await.is_err() {
                    return;
                }
                continue;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(tls)) => tls,
                    // A TCP check (load balancer, port scan) closes before saying hello: not worth a warning.
                    Ok(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                        return tracing::debug!(listener = listener_name, peer = %addr, "closed before the tls handshake");
                    }
                    Ok(Err(e)) => return handshake_failed(listener_name, addr, &e.to_string()),
                    Err(_) => return handshake_failed(listener_name, addr, "timed out"),
                };
                let cert =
                    tls.get_ref().1.peer_certificates().and_then(|c| c.first()).and_then(|c| PeerCert::from_der(c));
                let peer = PeerInfo { addr: Some(addr), cert: cert.map(Arc::new) };
                let _ = tx.send(Conn::Tls(Box::new(tls), peer)).await;
            });
        }
    });
    rx
}

fn handshake_failed(listener: &'static str, addr: SocketAddr, reason: &str) {
    metrics::counter!("tls_handshake_failures_total", "listener" => listener).increment(1);
    tracing::warn!(listener, peer = %addr, %reason, "tls handshake failed");
}

/// [`accept`]'s connections as an axum listener (FHIR REST).
#[derive(Debug)]
pub struct Incoming {
    rx: mpsc::Receiver<Conn>,
    local: SocketAddr,
}

impl Incoming {
    pub fn new(
        listener: TcpListener,
        acceptor: Option<TlsAcceptor>,
        name: &'static str,
        stop: CancellationToken,
    ) -> io::Result<Self> {
        let local = listener.local_addr()?;
        Ok(Self { rx: accept(listener, acceptor, name, stop), local })
    }
}

impl axum::serve::Listener for Incoming {
    type Io = Conn;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Conn, SocketAddr) {
        match self.rx.recv().await {
            Some(conn) => {
                let addr = conn.peer().addr.unwrap_or(self.local);
                (conn, addr)
            }
            // Stopped: axum's graceful shutdown stops asking.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, Incoming>> for PeerInfo {
    fn connect_info(stream: axum::serve::IncomingStream<'_, Incoming>) -> Self {
        stream.io().peer().clone()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../tests/fixtures/tls/").to_owned() + name
    }

    #[test]
    fn certificate_names_are_read() {
        let pem = std::fs::read(fixture("client-mapped.pem")).unwrap();
        let der = CertificateDer::from_pem_slice(&pem).unwrap();
        let cert = PeerCert::from_der(&der).unwrap();
        assert_eq!(cert.common_name.as_deref(), Some("clinic-a-ehr"));
        assert_eq!(cert.names().collect::<Vec<_>>(), ["ehr.clinic-a.test", "clinic-a-ehr"]);
    }

    #[test]
    fn configurations_build_from_the_test_files() {
        let server =
            TlsServer::from_files(&fixture("server.pem"), &fixture("server-key.pem"), Some(&fixture("ca.pem")));
        let transport = Transport::Tls(Arc::new(server.unwrap()));
        assert_eq!(transport.mode(), "mtls");
        assert!(transport.acceptor(Protocol::Mllp).is_some());
        let wrong_key = TlsServer::from_files(&fixture("server.pem"), &fixture("client-mapped-key.pem"), None);
        let err = wrong_key.err().unwrap().to_string();
        assert!(err.contains("TLS_KEY_FILE"), "{err}");
        let missing = TlsServer::from_files("/nonexistent.pem", &fixture("server-key.pem"), None);
        assert!(missing.err().unwrap().to_string().contains("TLS_CERT_FILE"));
    }
}
