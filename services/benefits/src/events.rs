//! What benefits consumes: accepted prescriptions, each to be checked with the payer.

use prost::Message;
use rx_messaging::{Event, Handler, HandlerError};
use rx_proto::events::v1::PrescriptionAccepted;
use sqlx::PgConnection;

pub const PRESCRIPTION_ACCEPTED: &str = "prescription.accepted.v1";

/// Handles `prescription.accepted.v1`.
#[derive(Debug, Clone, Default)]
pub struct PrescriptionAcceptedHandler;

impl Handler for PrescriptionAcceptedHandler {
    async fn handle(&self, _tx: &mut PgConnection, event: &Event) -> Result<(), HandlerError> {
        if event.routing_key != PRESCRIPTION_ACCEPTED {
            return Err(HandlerError::Poison(format!("unexpected routing key {}", event.routing_key)));
        }
        let accepted = PrescriptionAccepted::decode(event.payload.as_slice())
            .map_err(|e| HandlerError::Poison(format!("undecodable {PRESCRIPTION_ACCEPTED}: {e}")))?;
        tracing::info!(prescription_id = %accepted.prescription_id, "prescription accepted; eligibility check pending");
        Ok(())
    }
}
