//! What comes back from the clearinghouse, applied to claims: 999 (acknowledged / rejected),
//! 277CA (accepted / rejected per claim), 835 (paid, partially paid, denied; each claim
//! payment posted once). Also the background task that fetches them.

use std::time::Duration;

use claims_domain::ack277::AckOutcome;
use claims_domain::denial::{AdjustmentGroup, NextAction};
use claims_domain::lifecycle::{ClaimEvent, ClaimState, transition};
use rust_decimal::Decimal;
use rx_platform::tenancy::{self, Task};
use rx_proto::common::v1::Money;
use rx_proto::events::v1::{ClaimDenied, ClaimPaid, ClaimRejected};
use sqlx::PgConnection;
use tokio_util::sync::CancellationToken;

use crate::error::ServiceError;
use crate::events;
use crate::service::{ClaimsApp, Result, parse_state, step};
use crate::store::{self, ClaimKey, ClaimRow, PendingDocument, Posting};

/// How a remittance posting went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PostingOutcome {
    pub applied: u32,
    pub already_posted: u32,
    pub unmatched: u32,
}

fn money(amount: Decimal) -> Option<Money> {
    Some(Money { amount: format!("{:.2}", amount.round_dp(2)) })
}

/// Scopes the transaction to the clinic whose claim has this patient control number: the
/// caller's own clinic when the document came through its API, else the clinic the routing
/// task finds (documents fetched from the clearinghouse name no clinic). `None`: no such claim.
async fn enter_clinic_of(conn: &mut PgConnection, given: Option<&str>, pcn: &str) -> Result<Option<String>> {
    let clinic = match given {
        Some(clinic) => Some(clinic.to_owned()),
        None => {
            tenancy::set_task(conn, Task::RouteResponses).await.map_err(store::StoreError::from)?;
            store::clinic_of_claim(conn, pcn).await?
        }
    };
    if let Some(clinic) = &clinic {
        tenancy::set_clinic(conn, clinic).await.map_err(store::StoreError::from)?;
    }
    Ok(clinic)
}

/// The transaction set id of an X12 text (`999`, `277`, `835`...).
fn kind_of(text: &str) -> Option<String> {
    let doc = rx_x12::read(text.as_bytes()).ok()?;
    doc.transactions().next().map(|(_, t)| t.id.to_owned())
}

impl ClaimsApp {
    /// Applies one document from the clearinghouse, whatever its kind.
    pub async fn apply_document(&self, text: &str) -> Result<()> {
        match kind_of(text).as_deref() {
            Some("999") => self.apply_999(text).await,
            Some("277") => self.apply_277ca(text).await,
            Some("835") => self.post_remittance(None, text.as_bytes()).await.map(|_| ()),
            _ => Err(ServiceError::invalid("content", "not a 999, 277CA or 835")),
        }
    }

    async fn apply_999(&self, text: &str) -> Result<()> {
        let parsed = claims_domain::ack999::read_999(text.as_bytes())
            .map_err(|e| ServiceError::invalid("content", e.to_string()))?;
        let mut tx = self.pool.begin().await.map_err(store::StoreError::from)?;
        let mut document = PendingDocument::new("999", "inbound", text, &self.settings.at_rest);
        for ack in &parsed.transactions {
            for group in &ack.groups {
                let Ok(number) = group.group_control_number.trim().parse::<i64>() else { continue };
                let status = group.transactions.first().map_or(group.status, |t| t.status);
                let accepted = status.is_accepted();
                let mut codes: Vec<String> = group.error_codes.clone();
                for t in &group.transactions {
                    codes.extend(t.error_codes.iter().cloned());
                    codes.extend(t.segment_errors.iter().filter_map(|s| s.code.clone()));
                }
                tenancy::set_task(&mut tx, Task::RouteResponses).await.map_err(store::StoreError::from)?;
                for clinic in store::clinics_of_group(&mut tx, number).await? {
                    tenancy::set_clinic(&mut tx, &clinic).await.map_err(store::StoreError::from)?;
                    for mut claim in store::claims_in_group(&mut tx, number).await? {
                        store::attach_document(&mut tx, &claim, &mut document).await?;
                        if claim.state != ClaimState::Submitted.as_str() {
                            continue;
                        }
                        if accepted {
                            step(&mut tx, &mut claim, ClaimEvent::AckAccepted, "999 accepted").await?;
                        } else {
                            let cause = format!("999 rejected {}", codes.join(" "));
                            step(&mut tx, &mut claim, ClaimEvent::AckRejected, cause.trim()).await?;
                            rejected(&mut tx, &claim, "999", codes.clone()).await?;
                        }
                    }
                }
            }
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(())
    }

    async fn apply_277ca(&self, text: &str) -> Result<()> {
        let parsed = claims_domain::ack277::read_277ca(text.as_bytes())
            .map_err(|e| ServiceError::invalid("content", e.to_string()))?;
        let mut tx = self.pool.begin().await.map_err(store::StoreError::from)?;
        let mut document = PendingDocument::new("277CA", "inbound", text, &self.settings.at_rest);
        for ack in &parsed.transactions {
            for c in &ack.claims {
                let Some(pcn) = c.patient_control_number.as_deref() else { continue };
                let Some(clinic) = enter_clinic_of(&mut tx, None, pcn).await? else {
                    tracing::warn!("277CA names a claim we do not know");
                    continue;
                };
                let Some(mut claim) =
                    store::claim(&mut tx, Some(&clinic), ClaimKey::PatientControlNumber(pcn), true).await?
                else {
                    tracing::warn!("277CA names a claim we do not know");
                    continue;
                };
                store::attach_document(&mut tx, &claim, &mut document).await?;
                let Some(event) = c.outcome.event() else { continue };
                if claim.state == ClaimState::Submitted.as_str() {
                    // a 277CA about the claim means its transaction passed the 999
                    step(&mut tx, &mut claim, ClaimEvent::AckAccepted, "277CA implies 999 accepted").await?;
                }
                if claim.state != ClaimState::Acknowledged.as_str() {
                    continue; // an answer about an earlier attempt, or a void
                }
                let codes: Vec<String> = c
                    .statuses
                    .iter()
                    .flat_map(|s| s.codes.iter())
                    .map(|code| match &code.status {
                        Some(status) => format!("{}:{status}", code.category),
                        None => code.category.clone(),
                    })
                    .collect();
                if let Some(number) = &c.payer_claim_control_number {
                    claim.payer_claim_control_number = Some(number.clone());
                }
                let cause = format!("277CA {}", codes.join(" "));
                step(&mut tx, &mut claim, event, cause.trim()).await?;
                if c.outcome == AckOutcome::Rejected {
                    rejected(&mut tx, &claim, "277CA", codes).await?;
                }
            }
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(())
    }

    /// Posts an 835: each claim payment (CLP) matched to our claim by CLP01 (= CLM01), of
    /// `clinic` when given, applied once thanks to its posting key.
    pub async fn post_remittance(&self, clinic: Option<&str>, content: &[u8]) -> Result<PostingOutcome> {
        let parsed =
            claims_domain::remit835::read_835(content).map_err(|e| ServiceError::invalid("content", e.to_string()))?;
        let text = String::from_utf8_lossy(content);
        let mut out = PostingOutcome::default();
        let mut tx = self.pool.begin().await.map_err(store::StoreError::from)?;
        let mut document = PendingDocument::new("835", "inbound", &text, &self.settings.at_rest);
        for remit in &parsed.transactions {
            for cp in &remit.claims {
                let key = ClaimKey::PatientControlNumber(&cp.patient_control_number);
                let Some(owner) = enter_clinic_of(&mut tx, clinic, &cp.patient_control_number).await? else {
                    out.unmatched += 1;
                    continue;
                };
                let Some(mut claim) = store::claim(&mut tx, Some(&owner), key, true).await? else {
                    out.unmatched += 1;
                    continue;
                };
                store::attach_document(&mut tx, &claim, &mut document).await?;
                if store::posting_exists(&mut tx, &cp.posting_key).await? {
                    out.already_posted += 1;
                    continue;
                }
                let event = cp.event();
                let mut state = parse_state(&claim.state)?;
                if let Some(ev) = event {
                    if state == ClaimState::Submitted {
                        state = ClaimState::Acknowledged;
                    }
                    if transition(state, ev).is_err() {
                        out.unmatched += 1;
                        continue;
                    }
                }
                let adjustments: Vec<String> =
                    cp.all_adjustments().map(|a| format!("{}-{}", a.group.code(), a.reason)).collect();
                let patient_responsibility =
                    cp.patient_responsibility.unwrap_or_else(|| cp.adjusted(AdjustmentGroup::Pr));
                let posting = Posting {
                    key: &cp.posting_key,
                    claim: &claim,
                    status: &cp.status,
                    charge: cp.charge,
                    paid: cp.paid,
                    patient_responsibility,
                    adjustments: adjustments.clone(),
                };
                if !store::insert_posting(&mut tx, &posting).await? {
                    out.already_posted += 1;
                    continue;
                }
                out.applied += 1;
                let Some(event) = event else {
                    store::add_history(&mut tx, &claim, &format!("835 status {} needs review", cp.status)).await?;
                    continue;
                };
                if claim.state == ClaimState::Submitted.as_str() {
                    step(&mut tx, &mut claim, ClaimEvent::AckAccepted, "835 implies 999 accepted").await?;
                }
                if let Some(number) = &cp.payer_claim_control_number {
                    claim.payer_claim_control_number = Some(number.clone());
                }
                claim.paid = cp.paid;
                claim.patient_responsibility = patient_responsibility;
                let routine = |a: NextAction| matches!(a, NextAction::BillPatient | NextAction::ContractualAdjustment);
                let advice = cp.advice();
                let action = advice.iter().map(|a| a.action).find(|a| !routine(*a));
                claim.next_action = match (event, action) {
                    (_, Some(a)) => a.code().to_owned(),
                    (ClaimEvent::RemitDenied, None) => NextAction::ReviewManually.code().to_owned(),
                    _ => String::new(),
                };
                let cause = if adjustments.is_empty() {
                    "835 paid".to_owned()
                } else {
                    format!("835 {}", adjustments.join(" "))
                };
                step(&mut tx, &mut claim, event, &cause).await?;
                announce(&mut tx, &claim, event, adjustments).await?;
            }
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(out)
    }

    /// One round of the background work: fetch and apply answers, then resend unsent claims.
    pub async fn poll_once(&self) -> Result<usize> {
        let documents = self.clearinghouse.fetch_responses().await.map_err(ServiceError::ClearinghouseUnavailable)?;
        let n = documents.len();
        for doc in documents {
            if let Err(e) = self.apply_document(&doc).await {
                tracing::warn!(error = %e, "clearinghouse document not applied");
            }
        }
        self.retry_unsent().await?;
        Ok(n)
    }
}

async fn rejected(conn: &mut PgConnection, claim: &ClaimRow, source: &str, codes: Vec<String>) -> Result<()> {
    let event = ClaimRejected {
        meta: Some(events::meta(&claim.clinic_id)),
        claim_id: claim.id.to_string(),
        source: source.to_owned(),
        codes,
    };
    events::publish(conn, events::CLAIM_REJECTED, &claim.clinic_id, &event).await?;
    Ok(())
}

async fn announce(
    conn: &mut PgConnection,
    claim: &ClaimRow,
    event: ClaimEvent,
    adjustments: Vec<String>,
) -> Result<()> {
    let clinic = claim.clinic_id.as_str();
    match event {
        ClaimEvent::RemitDenied => {
            let denied = ClaimDenied {
                meta: Some(events::meta(clinic)),
                claim_id: claim.id.to_string(),
                adjustments,
                next_action: claim.next_action.clone(),
            };
            events::publish(conn, events::CLAIM_DENIED, clinic, &denied).await?;
        }
        ClaimEvent::RemitPaid | ClaimEvent::RemitPartiallyPaid => {
            let paid = ClaimPaid {
                meta: Some(events::meta(clinic)),
                claim_id: claim.id.to_string(),
                paid: money(claim.paid),
                patient_responsibility: money(claim.patient_responsibility),
                partial: event == ClaimEvent::RemitPartiallyPaid,
            };
            events::publish(conn, events::CLAIM_PAID, clinic, &paid).await?;
        }
        _ => {}
    }
    Ok(())
}

/// Polls the clearinghouse every `every` until `stop`.
pub async fn run_poller(app: ClaimsApp, every: Duration, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        match app.poll_once().await {
            Ok(n) if n > 0 => tracing::info!(documents = n, "clearinghouse answers applied"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "clearinghouse poll failed"),
        }
    }
}
