//! The claims of the 837P inputs: the synthetic massage clinic that claims-domain's tests and
//! benches use (`services/claims/domain/tests/common`), reused so both bench the same claims.

#[path = "../../claims/domain/tests/common/mod.rs"]
mod common;

pub use common::{batch, envelope, fees, many_claims, numbers};
