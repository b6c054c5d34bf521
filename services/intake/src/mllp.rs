//! The HL7 v2 listener: MLLP over TCP. Each message is stored durably before it is answered
//! `AA`; unreadable or unsupported messages get `AR`, failures on our side `AE`, each with an
//! ERR segment. A connection sending garbage or oversized frames is closed (the reason is
//! logged, never the content).
//!
//! Over mutual TLS the sending system is its client certificate: a connection without one
//! from the configured CA fails the handshake, one whose certificate is mapped to no system
//! (or to one that may not submit) is closed at once, and messages are filed under the
//! mapped clinic and audited under `cert:<name>`. Otherwise (TLS without client CAs, or
//! plaintext in development) every message belongs to the one configured clinic.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use rx_hl7v2::mllp::{self, Decoder};
use rx_hl7v2::{AckBuilder, AckCode, AckError, ErrorCode, sniff_header};
use rx_platform::audit::{CallEntry, Entry};
use rx_platform::auth::{self, Authenticator, Caller};
use rx_platform::tls::{Conn, Protocol, Transport};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::app::{App, Submission};
use crate::error::ServiceError;
use crate::reader::Requested;

/// Largest message accepted over MLLP.
pub const MAX_FRAME: usize = 1 << 20;
/// A connection silent this long is closed.
const IDLE: Duration = Duration::from_secs(300);

/// How MLLP connections are accepted and whose messages they carry.
#[derive(Debug, Clone)]
pub struct MllpAccess {
    pub transport: Transport,
    /// Maps client certificates to systems (used over mutual TLS).
    pub auth: Authenticator,
    /// The clinic of every message when senders are not identified by certificate.
    pub clinic_id: String,
}

/// Who is sending on one connection.
#[derive(Debug, Clone)]
pub struct Sender {
    pub clinic_id: String,
    /// `cert:<name>` over mutual TLS; `None` names the sender from each message's MSH.
    pub subject: Option<String>,
    pub roles: String,
    /// The connection's address, for the audit trail.
    pub peer: String,
}

/// Serves MLLP on `listener` until `stop`.
pub async fn serve(listener: TcpListener, app: App, access: MllpAccess, stop: CancellationToken) {
    let mut accepted =
        rx_platform::tls::accept(listener, access.transport.acceptor(Protocol::Mllp), "mllp", stop.clone());
    loop {
        let conn = tokio::select! {
            () = stop.cancelled() => return,
            c = accepted.recv() => c,
        };
        let Some(conn) = conn else { return };
        let peer = conn.peer().addr.map(|a| a.to_string()).unwrap_or_default();
        let sender = match sender(&access, &conn) {
            Ok(sender) => Sender { peer: conn.peer().addr.map(|a| a.ip().to_string()).unwrap_or_default(), ..sender },
            Err(reason) => {
                tracing::warn!(%peer, %reason, "mllp connection refused");
                continue;
            }
        };
        let (app, stop) = (app.clone(), stop.clone());
        tokio::spawn(async move {
            if let Err(reason) = connection(conn, &app, &sender, &stop).await {
                tracing::warn!(%peer, %reason, "mllp connection closed");
            }
        });
    }
}

/// The sender of a connection: over mutual TLS the system its certificate is mapped to,
/// which must be allowed to submit documents.
fn sender(access: &MllpAccess, conn: &Conn) -> Result<Sender, String> {
    if !access.transport.is_mutual() {
        return Ok(Sender {
            clinic_id: access.clinic_id.clone(),
            subject: None,
            roles: "integrator".into(),
            peer: String::new(),
        });
    }
    let cert = conn.peer().cert.as_deref().ok_or("no client certificate")?;
    let caller: Caller = access.auth.certificate_caller(cert).map_err(|e| e.to_string())?;
    if !auth::permits(&caller, "/rxbridge.intake.v1.IntakeService/SubmitDocument") {
        return Err(format!("{} may not submit documents", caller.subject));
    }
    Ok(Sender {
        roles: caller.roles_text(),
        subject: Some(caller.subject),
        clinic_id: caller.clinic_id,
        peer: String::new(),
    })
}

async fn connection(mut stream: Conn, app: &App, sender: &Sender, stop: &CancellationToken) -> Result<(), String> {
    let decoder = Decoder::new(MAX_FRAME);
    let mut buf = BytesMut::with_capacity(8192);
    loop {
        // answer every complete frame already buffered
        loop {
            let frame = match decoder.decode(&buf) {
                Ok(Some(frame)) => (frame.payload.to_vec(), frame.consumed),
                Ok(None) => break,
                Err(e) => return Err(format!("bad mllp framing: {e}")),
            };
            let _ = buf.split_to(frame.1);
            let ack = answer_from(app, sender, frame.0).await;
            stream.write_all(&mllp::encode(ack.as_bytes())).await.map_err(|e| format!("write failed: {e}"))?;
        }
        if buf.len() > MAX_FRAME + 16 {
            return Err(format!("frame larger than {MAX_FRAME} bytes"));
        }
        let read = tokio::select! {
            () = stop.cancelled() => return Ok(()),
            r = tokio::time::timeout(IDLE, stream.read_buf(&mut buf)) => r,
        };
        match read {
            Err(_) => return Err("idle timeout".into()),
            Ok(Err(e)) => return Err(format!("read failed: {e}")),
            Ok(Ok(0)) if buf.iter().all(u8::is_ascii_whitespace) => return Ok(()),
            Ok(Ok(0)) => return Err("connection ended inside a frame".into()),
            Ok(Ok(_)) => {}
        }
    }
}

/// Takes one message in for `clinic_id` and builds its acknowledgement.
pub async fn answer(app: &App, clinic_id: &str, payload: Vec<u8>) -> String {
    let sender =
        Sender { clinic_id: clinic_id.to_owned(), subject: None, roles: "integrator".into(), peer: String::new() };
    answer_from(app, &sender, payload).await
}

/// Takes one message in from `sender` and builds its acknowledgement.
pub async fn answer_from(app: &App, sender: &Sender, payload: Vec<u8>) -> String {
    let clinic_id = sender.clinic_id.as_str();
    let text = rx_hl7v2::decode(&payload).into_owned();
    let header = sniff_header(&text).ok();
    let key = header.map(|h| {
        format!("mllp:{}:{}:{}", h.sending_application().raw(), h.sending_facility().raw(), h.control_id())
            .chars()
            .take(crate::app::MAX_IDEMPOTENCY_KEY)
            .collect::<String>()
    });
    let named = header.map(|h| format!("mllp:{}/{}", h.sending_application().raw(), h.sending_facility().raw()));
    let call = CallEntry::new(Entry {
        clinic_id: clinic_id.to_owned(),
        subject: sender.subject.clone().or(named).unwrap_or_else(|| "mllp:unknown".into()),
        roles: sender.roles.clone(),
        action: "mllp/hl7v2".into(),
        peer: sender.peer.clone(),
        ..Entry::default()
    });
    let outcome = app
        .submit(Submission {
            clinic_id: clinic_id.to_owned(),
            content: payload.into(),
            requested: Requested::Hl7v2,
            idempotency_key: key,
            source_label: "mllp".into(),
            channel: "mllp",
            audit: Some(call.clone()),
        })
        .await;
    app.audit_submission(&call, &outcome).await;
    let (code, error, text_out) = match &outcome {
        Ok(s) => {
            tracing::info!(prescription_id = %s.view.record.id, duplicate = s.duplicate, "mllp message stored");
            (AckCode::Accept, None, format!("stored as {}", s.view.record.status.replace('_', " ")))
        }
        Err(ServiceError::Unreadable(u)) => {
            let (_, err_code, location) =
                u.hl7.as_deref().cloned().unwrap_or((AckCode::Reject, ErrorCode::UnsupportedMessageType, None));
            let err = AckError::new(err_code, location).with_diagnostic(u.reason.clone());
            (AckCode::Reject, Some(err), "message rejected".to_owned())
        }
        Err(e) => {
            tracing::warn!(error = %e, "mllp message not stored");
            let reason = if e.is_transient() { "temporary failure, resend later" } else { "internal error" };
            let err = AckError::new(ErrorCode::ApplicationInternalError, None).with_diagnostic(reason);
            (AckCode::Error, Some(err), reason.to_owned())
        }
    };
    let control: String = Uuid::now_v7().simple().to_string().chars().take(20).collect();
    let now = OffsetDateTime::now_utc();
    let ts = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let mut builder = match header {
        Some(h) => AckBuilder::new(h, code, &control, &ts),
        None => AckBuilder::without_original(code, &control, &ts),
    }
    .text(text_out);
    if let Some(err) = error {
        builder = builder.error(err);
    }
    builder.build()
}

/// Binds the MLLP address and returns the listener and the address it really got.
pub async fn bind(addr: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}
