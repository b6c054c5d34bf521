//! Picks the figures that matter for one service type and one network out of a member's
//! benefits. Rules:
//! * a figure comes from EBs naming the service type; when none of that kind does, from the
//!   plan-level EBs (service type 30, or none given);
//! * EB12 `Y` is in-network, `N` out-of-network, `W` or absent applies to both;
//! * the individual's figures prefer coverage level IND, then none given, then any other
//!   level but FAM; FAM figures are kept apart;
//! * the first EB in document order wins among equals.

use rust_decimal::Decimal;

use crate::benefit::{Benefit, Network};
use crate::response::MemberResponse;
use crate::values::whole_count;

/// What one network pays for a service type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetworkBenefits {
    /// EB01 B: per-visit co-payment.
    pub copay: Option<Decimal>,
    /// EB01 A: co-insurance as a fraction (0.20 = 20 %).
    pub coinsurance: Option<Decimal>,
    /// EB01 C with a period other than remaining: the deductible for the period.
    pub deductible: Option<Decimal>,
    /// EB01 C with EB06 29 (or 33): what is left of it.
    pub deductible_remaining: Option<Decimal>,
    /// EB01 G: out-of-pocket maximum.
    pub out_of_pocket: Option<Decimal>,
    /// EB01 G with EB06 29 (or 33): what is left of it.
    pub out_of_pocket_remaining: Option<Decimal>,
    /// EB01 F with EB09 VS (or its HSD*VS): visits allowed per period.
    pub visits_limit: Option<u32>,
    /// EB01 F with EB06 29 and EB09 VS: visits left.
    pub visits_remaining: Option<u32>,
    /// EB11 on the service's EBs: any Y is true, else any N is false.
    pub prior_auth_required: Option<bool>,
    /// EB01 I: the service is not covered.
    pub not_covered: bool,
    /// The same deductible and out-of-pocket figures at coverage level FAM.
    pub family_deductible: Option<Decimal>,
    pub family_deductible_remaining: Option<Decimal>,
    pub family_out_of_pocket: Option<Decimal>,
    pub family_out_of_pocket_remaining: Option<Decimal>,
}

/// In- and out-of-network benefits for one service type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceBenefits {
    pub service_type: String,
    pub in_network: NetworkBenefits,
    pub out_of_network: NetworkBenefits,
}

/// The benefits of `member` for `service_type` (e.g. `AE`).
pub fn benefits_for(member: &MemberResponse<'_>, service_type: &str) -> ServiceBenefits {
    ServiceBenefits {
        service_type: service_type.to_owned(),
        in_network: network(&member.benefits, service_type, Network::In),
        out_of_network: network(&member.benefits, service_type, Network::Out),
    }
}

/// Ranks coverage levels for an individual's figure; `None` excludes the level.
fn individual_rank(level: Option<&str>) -> Option<u8> {
    match level {
        Some("IND") => Some(0),
        None => Some(1),
        Some("FAM") => None,
        Some(_) => Some(2),
    }
}

fn family_rank(level: Option<&str>) -> Option<u8> {
    (level == Some("FAM")).then_some(0)
}

struct Picker<'b, 'a> {
    benefits: &'b [Benefit<'a>],
    service_type: &'b str,
    asked: Network,
}

impl<'b, 'a> Picker<'b, 'a> {
    /// The best EB satisfying `kind`: service-specific first, then plan-level.
    fn pick(
        &self,
        kind: impl Fn(&Benefit<'a>) -> bool,
        rank: fn(Option<&str>) -> Option<u8>,
    ) -> Option<&'b Benefit<'a>> {
        let of_network = |b: &&'b Benefit<'a>| b.network.applies_to(self.asked) && kind(b);
        let best = |scope: &dyn Fn(&Benefit<'a>) -> bool| {
            self.benefits
                .iter()
                .filter(of_network)
                .filter(|b| scope(b))
                .filter_map(|b| rank(b.coverage_level).map(|r| (r, b)))
                .min_by_key(|(r, _)| *r)
                .map(|(_, b)| b)
        };
        best(&|b| b.covers_service(self.service_type)).or_else(|| best(&|b| b.is_plan_level()))
    }

    fn amount(&self, code: &str, remaining: bool, rank: fn(Option<&str>) -> Option<u8>) -> Option<Decimal> {
        self.pick(|b| b.code == code && b.amount.is_some() && b.is_remaining() == remaining, rank)
            .and_then(|b| b.amount)
    }

    fn visits(&self, remaining: bool) -> Option<u32> {
        let is_visits = |b: &Benefit<'a>| {
            b.code == "F"
                && b.is_remaining() == remaining
                && ((b.quantity_qualifier == Some("VS") && b.quantity.is_some())
                    || (!remaining && b.delivery.iter().any(|d| d.qualifier == Some("VS") && d.quantity.is_some())))
        };
        let b = self.pick(is_visits, individual_rank)?;
        let q = if b.quantity_qualifier == Some("VS") { b.quantity } else { None };
        let q = q.or_else(|| b.delivery.iter().find(|d| d.qualifier == Some("VS")).and_then(|d| d.quantity));
        q.and_then(whole_count)
    }

    /// EB11 over the EBs of the service (or, when none of them says, the plan-level ones).
    fn prior_auth(&self) -> Option<bool> {
        let flags = |scope: &dyn Fn(&Benefit<'a>) -> bool| {
            let said: Vec<bool> = self
                .benefits
                .iter()
                .filter(|b| b.network.applies_to(self.asked) && scope(b))
                .filter_map(|b| b.auth_required)
                .collect();
            if said.contains(&true) {
                Some(true)
            } else if said.is_empty() {
                None
            } else {
                Some(false)
            }
        };
        flags(&|b| b.covers_service(self.service_type)).or_else(|| flags(&|b| b.is_plan_level()))
    }
}

fn network(benefits: &[Benefit<'_>], service_type: &str, asked: Network) -> NetworkBenefits {
    let p = Picker { benefits, service_type, asked };
    let ind = individual_rank;
    let fam = family_rank;
    NetworkBenefits {
        copay: p.pick(|b| b.code == "B" && b.amount.is_some(), ind).and_then(|b| b.amount),
        coinsurance: p.pick(|b| b.code == "A" && b.percent.is_some(), ind).and_then(|b| b.percent),
        deductible: p.amount("C", false, ind),
        deductible_remaining: p.amount("C", true, ind),
        out_of_pocket: p.amount("G", false, ind),
        out_of_pocket_remaining: p.amount("G", true, ind),
        visits_limit: p.visits(false),
        visits_remaining: p.visits(true),
        prior_auth_required: p.prior_auth(),
        not_covered: benefits
            .iter()
            .any(|b| b.code == "I" && b.network.applies_to(asked) && b.covers_service(service_type)),
        family_deductible: p.amount("C", false, fam),
        family_deductible_remaining: p.amount("C", true, fam),
        family_out_of_pocket: p.amount("G", false, fam),
        family_out_of_pocket_remaining: p.amount("G", true, fam),
    }
}
