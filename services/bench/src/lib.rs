//! `make bench`: the inputs rxbridge and its peers read, the machine's ceilings measured in the
//! same run, and the one markdown report that puts the figures side by side.

pub mod ceilings;
pub mod criterion_results;
pub mod inputs;
mod load_rows;
pub mod peers;
pub mod report;
mod synthetic_claims;
