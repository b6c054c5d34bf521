//! The JSON the offline tool `rxbridge benefits read-271` prints: one entry per member with
//! the figures for one service type. Amounts are decimal strings (`"25.00"`), unknowns `null`.

use serde::Serialize;

use crate::error::Error;
use crate::response::{MemberResponse, interpret_271};
use crate::select::{NetworkBenefits, benefits_for};
use crate::values::{fraction_text, money_text};

/// The whole report: `{"responses": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub responses: Vec<ReportResponse>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportResponse {
    pub member_id: Option<String>,
    pub name: ReportName,
    pub active: Option<bool>,
    pub plan: Option<String>,
    pub rejections: Vec<ReportRejection>,
    pub benefits: ReportBenefits,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportName {
    pub family: Option<String>,
    pub given: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportRejection {
    pub code: String,
    pub description: Option<String>,
    pub retry: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportBenefits {
    pub service_type: String,
    pub in_network: ReportNetwork,
    pub out_of_network: ReportNetwork,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportNetwork {
    pub copay: Option<String>,
    pub coinsurance: Option<String>,
    pub deductible_remaining: Option<String>,
    pub visits_limit: Option<u32>,
    pub visits_remaining: Option<u32>,
    pub prior_auth_required: Option<bool>,
}

impl From<&NetworkBenefits> for ReportNetwork {
    fn from(n: &NetworkBenefits) -> Self {
        Self {
            copay: n.copay.map(money_text),
            coinsurance: n.coinsurance.map(fraction_text),
            deductible_remaining: n.deductible_remaining.map(money_text),
            visits_limit: n.visits_limit,
            visits_remaining: n.visits_remaining,
            prior_auth_required: n.prior_auth_required,
        }
    }
}

impl ReportResponse {
    /// The report entry for one member and service type.
    pub fn new(member: &MemberResponse<'_>, service_type: &str) -> Self {
        let b = benefits_for(member, service_type);
        Self {
            member_id: member.member_id.map(str::to_owned),
            name: ReportName {
                family: member.name.family.map(str::to_owned),
                given: member.name.given.map(str::to_owned),
            },
            active: member.active,
            plan: member.plan.map(str::to_owned),
            rejections: member
                .rejections
                .iter()
                .map(|r| ReportRejection {
                    code: r.code.clone(),
                    description: r.description.map(str::to_owned),
                    retry: r.retry,
                })
                .collect(),
            benefits: ReportBenefits {
                service_type: service_type.to_owned(),
                in_network: (&b.in_network).into(),
                out_of_network: (&b.out_of_network).into(),
            },
        }
    }
}

impl Report {
    /// Pretty JSON, as the offline tool prints it.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Reads every 271 in `input` and reports each member for `service_type`. The entry point
/// of `rxbridge benefits read-271` and a fuzz target: pure, never panics.
pub fn read_271(input: &[u8], service_type: &str) -> Result<Report, Error> {
    let interpretation = interpret_271(input)?;
    let responses = interpretation.responses.iter().map(|m| ReportResponse::new(m, service_type)).collect();
    Ok(Report { responses })
}
