//! What claims consumes: accepted prescriptions (their scope) and eligibility results.

use prost::Message;
use rx_messaging::{Event, Handler, HandlerError};
use rx_proto::events::v1::{EligibilityChecked, PrescriptionAccepted};
use sqlx::PgConnection;

pub const PRESCRIPTION_ACCEPTED: &str = "prescription.accepted.v1";
pub const ELIGIBILITY_CHECKED: &str = "eligibility.checked.v1";

#[derive(Debug, Clone, Default)]
pub struct ClaimsEventHandler;

impl Handler for ClaimsEventHandler {
    async fn handle(&self, _tx: &mut PgConnection, event: &Event) -> Result<(), HandlerError> {
        let poison = |e: prost::DecodeError| HandlerError::Poison(format!("undecodable {}: {e}", event.routing_key));
        match event.routing_key.as_str() {
            PRESCRIPTION_ACCEPTED => {
                let accepted = PrescriptionAccepted::decode(event.payload.as_slice()).map_err(poison)?;
                tracing::info!(prescription_id = %accepted.prescription_id, "prescription scope received");
            }
            ELIGIBILITY_CHECKED => {
                let checked = EligibilityChecked::decode(event.payload.as_slice()).map_err(poison)?;
                tracing::info!(prescription_id = %checked.prescription_id, "eligibility result received");
            }
            other => return Err(HandlerError::Poison(format!("unexpected routing key {other}"))),
        }
        Ok(())
    }
}
