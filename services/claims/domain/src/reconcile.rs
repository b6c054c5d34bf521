//! Matches an 835's claim payments to the claims we sent: by the payer's claim number (CLP07)
//! when we know it, otherwise by our own claim number (CLP01 = CLM01).

use serde::Serialize;

use crate::remit835::Remittance;

/// One of our submitted claims, as far as matching goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubmittedClaimRef<'a> {
    pub patient_control_number: &'a str,
    pub payer_claim_control_number: Option<&'a str>,
}

/// How an 835's claim payments match our submitted claims (indexes into both lists).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Reconciliation {
    /// (submitted index, payment index); a claim may have several payments (reversal and
    /// correction).
    pub matched: Vec<(usize, usize)>,
    /// Payments that match none of our claims.
    pub unmatched_payments: Vec<usize>,
    /// Our claims this remittance says nothing about.
    pub unpaid_claims: Vec<usize>,
}

/// Matches payments to claims: by payer claim number (CLP07) when we know it, otherwise by our
/// claim number (CLP01 = CLM01).
pub fn reconcile(submitted: &[SubmittedClaimRef<'_>], remit: &Remittance) -> Reconciliation {
    let mut r = Reconciliation::default();
    let mut paid = vec![false; submitted.len()];
    for (pi, p) in remit.claims.iter().enumerate() {
        let by_payer_number = p
            .payer_claim_control_number
            .as_deref()
            .and_then(|n| submitted.iter().position(|s| s.payer_claim_control_number == Some(n)));
        let by_pcn = || submitted.iter().position(|s| s.patient_control_number == p.patient_control_number);
        match by_payer_number.or_else(by_pcn) {
            Some(si) => {
                r.matched.push((si, pi));
                if let Some(flag) = paid.get_mut(si) {
                    *flag = true;
                }
            }
            None => r.unmatched_payments.push(pi),
        }
    }
    r.unpaid_claims = paid.iter().enumerate().filter(|(_, p)| !**p).map(|(i, _)| i).collect();
    r
}
