//! Code sets and identifiers a therapy prescription and its claims are checked against:
//! ICD-10-CM diagnoses, NPI numbers, CPT/HCPCS procedure codes, places of service, and the
//! rules that turn treatment minutes into billable units.

pub mod cpt;
pub mod icd10;
pub mod npi;
pub mod pos;
pub mod units;
