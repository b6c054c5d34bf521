//! The clearinghouse connector: hands 837P batches over and fetches what comes back (999,
//! 277CA, 835). One implementation speaks CAQH CORE batch connectivity (SOAP over HTTP/1.1).

mod soap;

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

pub use soap::{PAYLOAD_837P, RETRIEVAL_PAYLOADS};

/// The clearinghouse's confirmation that it took a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The PayloadID we sent, echoed back.
    pub payload_id: String,
    /// The clearinghouse's error code (`Success` when taken).
    pub error_code: String,
}

/// Why the clearinghouse could not be reached or refused the exchange.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error("clearinghouse unreachable: {0}")]
    Unreachable(String),
    #[error("clearinghouse answered http {0}")]
    Status(u16),
    #[error("clearinghouse refused the batch: {0}")]
    Refused(String),
    #[error("clearinghouse answer unreadable: {0}")]
    Malformed(String),
}

/// What claims needs from a clearinghouse; tests may substitute their own.
#[tonic::async_trait]
pub trait Clearinghouse: Send + Sync + std::fmt::Debug + 'static {
    /// Sends one 837P interchange.
    async fn submit_batch(&self, x12: &str) -> Result<Receipt, ConnectorError>;
    /// Everything the clearinghouse has for us since the last call (999, 277CA, 835 texts).
    async fn fetch_responses(&self) -> Result<Vec<String>, ConnectorError>;
}

/// CORE batch connectivity over plain HTTP (a TLS-terminating proxy goes in front for real
/// partners).
#[derive(Debug, Clone)]
pub struct CoreHttp {
    uri: http::Uri,
    sender_id: String,
    receiver_id: String,
    timeout: Duration,
}

impl CoreHttp {
    pub fn new(url: &str, sender_id: &str, receiver_id: &str) -> Result<Self, ConnectorError> {
        let uri: http::Uri =
            url.parse().map_err(|_| ConnectorError::Unreachable("invalid clearinghouse url".into()))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(ConnectorError::Unreachable("the clearinghouse url must be http://host[:port]/path".into()));
        }
        Ok(Self {
            uri,
            sender_id: sender_id.to_owned(),
            receiver_id: receiver_id.to_owned(),
            timeout: Duration::from_secs(15),
        })
    }

    /// payer-sim on its default address.
    pub fn local_default() -> Self {
        Self {
            uri: http::Uri::from_static("http://127.0.0.1:8090/core/batch"),
            sender_id: "RXBRIDGE01".to_owned(),
            receiver_id: "PAYERSIM".to_owned(),
            timeout: Duration::from_secs(15),
        }
    }

    async fn post(&self, body: String) -> Result<String, ConnectorError> {
        tokio::time::timeout(self.timeout, self.post_inner(body))
            .await
            .map_err(|_| ConnectorError::Unreachable("timed out".into()))?
    }

    async fn post_inner(&self, body: String) -> Result<String, ConnectorError> {
        let unreachable = |e: &dyn std::fmt::Display| ConnectorError::Unreachable(e.to_string());
        let host = self.uri.host().unwrap_or("127.0.0.1");
        let port = self.uri.port_u16().unwrap_or(80);
        let stream = tokio::net::TcpStream::connect((host, port)).await.map_err(|e| unreachable(&e))?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| unreachable(&e))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let authority = self.uri.authority().map_or_else(|| host.to_owned(), |a| a.to_string());
        let path = self.uri.path_and_query().map_or("/", |p| p.as_str());
        let request = http::Request::post(path)
            .header(http::header::HOST, authority)
            .header(http::header::CONTENT_TYPE, soap::CONTENT_TYPE)
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| unreachable(&e))?;
        let response = sender.send_request(request).await.map_err(|e| unreachable(&e))?;
        let status = response.status();
        let bytes = response.into_body().collect().await.map_err(|e| unreachable(&e))?.to_bytes();
        if !status.is_success() {
            return Err(ConnectorError::Status(status.as_u16()));
        }
        String::from_utf8(bytes.to_vec()).map_err(|_| ConnectorError::Malformed("not utf-8".into()))
    }
}

#[tonic::async_trait]
impl Clearinghouse for CoreHttp {
    async fn submit_batch(&self, x12: &str) -> Result<Receipt, ConnectorError> {
        let payload_id = uuid::Uuid::now_v7().to_string();
        let envelope = soap::request(PAYLOAD_837P, &payload_id, &self.sender_id, &self.receiver_id, Some(x12));
        let answer = soap::Message::parse(&self.post(envelope).await?)?;
        let error_code = answer.field("ErrorCode").unwrap_or_default();
        if error_code != "Success" {
            let message = answer.field("ErrorMessage").unwrap_or_default();
            return Err(ConnectorError::Refused(format!("{error_code} {message}")));
        }
        Ok(Receipt { payload_id: answer.field("PayloadID").unwrap_or(payload_id), error_code })
    }

    async fn fetch_responses(&self) -> Result<Vec<String>, ConnectorError> {
        let mut out = Vec::new();
        for payload_type in RETRIEVAL_PAYLOADS {
            let payload_id = uuid::Uuid::now_v7().to_string();
            let envelope = soap::request(payload_type, &payload_id, &self.sender_id, &self.receiver_id, None);
            let answer = soap::Message::parse(&self.post(envelope).await?)?;
            out.extend(answer.payloads);
        }
        Ok(out)
    }
}
