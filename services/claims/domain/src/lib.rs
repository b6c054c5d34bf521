//! claims: units by the 8-minute rule, scope rules, 837P building, 999/277CA/835 reading.
//!
//! Pure logic only: no I/O, no clock (callers pass dates), exact money (`rust_decimal`).

pub mod ack277;
pub mod ack999;
pub mod body_site;
pub mod build837;
pub mod claim;
pub mod denial;
pub mod error;
pub mod fees;
pub mod lifecycle;
pub mod reconcile;
pub mod remit835;
pub mod scope;
pub mod scrub;
pub mod summary;
mod x12read;

pub use error::ClaimsError;
/// Re-exported so callers of the claims domain reach the 8-minute rule through one crate.
pub use rx_codes::units;
pub use summary::{Summary, summarize};
pub use x12read::Parsed;
