//! Eligibility logic, pure: building 270 inquiries, interpreting 271 answers, deciding
//! coverage and estimating what a prescription will cost the patient.
//!
//! * [`build_270`] writes a 005010X279A1 inquiry; [`parse_270`] reads one back.
//! * [`interpret_271`] reads every member answer; [`benefits_for`] picks the figures for a
//!   service type; [`read_271`] produces the JSON report of the offline tool.
//! * [`decide`] turns an answer into a coverage decision; [`estimate`] prices sessions.
//!
//! X12 is read leniently: wrong envelope counts or control numbers (common in real and sample
//! files) are tolerated and returned as warnings; lost or misplaced segments are errors.
//! Fuzz entry points: [`read_271`] and [`parse_270`] (bytes in, `Result` out, never panic).

mod benefit;
mod decision;
mod error;
mod estimate;
mod input;
mod reject;
mod report;
mod request;
mod request_read;
mod request_write;
mod response;
mod select;
mod units;
mod values;

pub use benefit::{Benefit, BenefitDate, Delivery, Network, RelatedEntity};
pub use decision::{AttentionReason, CoverageDecision, decide};
pub use error::Error;
pub use estimate::{Estimate, EstimateInput, FeeSchedule, LineUnits, Procedure, SessionEstimate, Totals, estimate};
pub use reject::{RejectLevel, Rejection, reject_reason};
pub use report::{Report, ReportBenefits, ReportName, ReportNetwork, ReportRejection, ReportResponse, read_271};
pub use request::{Dependent, EligibilityRequest, PayerProfile, Provider, ProviderId, ProviderKind, Subscriber, Trace};
pub use request_read::parse_270;
pub use request_write::X279A1;
pub use request_write::build_270;
pub use response::{Interpretation, MemberResponse, PersonName, Relationship, interpret_271, interpret_transaction};
pub use select::{NetworkBenefits, ServiceBenefits, benefits_for};
pub use units::units_for_minutes;
pub use values::{parse_d8, parse_decimal};
