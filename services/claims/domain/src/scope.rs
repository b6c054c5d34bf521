//! Scope rules: may a treatment session be recorded against a prescription?
//!
//! A session is in scope when its date lies in the prescription window, a prescribed session is
//! left, every treated body site is covered by a prescribed one, coverage was verified active
//! recently enough, and a prior authorization is on file where the payer requires one. Every
//! broken rule is reported (not just the first) with a stable code, so staff see all problems at
//! once. Staff may override with a reason; the result then says so explicitly, for the audit log.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::body_site::BodySite;
use crate::error::ClaimsError;

/// What a prescription allows, as far as recording sessions goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrescriptionScope {
    /// The day the physician wrote (signed) the prescription: the window opens here.
    pub written_on: Date,
    /// The last day of treatment the prescription allows: the window closes here (inclusive).
    pub treatment_ends_on: Date,
    pub sessions_prescribed: u32,
    /// Sessions already recorded against the prescription, not counting the one being checked.
    pub sessions_used: u32,
    /// Prescribed body sites; see [`ScopePolicy::allow_unspecified_sites`] when empty.
    pub sites: Vec<BodySite>,
    /// Whether the payer wants a prior authorization for this treatment (271 EB11, payer rules).
    pub prior_auth_required: bool,
    pub prior_auth: Option<PriorAuthorization>,
}

/// A prior authorization on file, with the dates it is good for when the payer gave them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorAuthorization {
    pub number: String,
    pub valid_from: Option<Date>,
    pub valid_until: Option<Date>,
}

impl PriorAuthorization {
    /// Whether the authorization is good on `day` (open ends are unbounded).
    pub fn valid_on(&self, day: Date) -> bool {
        self.valid_from.is_none_or(|from| from <= day) && self.valid_until.is_none_or(|to| day <= to)
    }
}

/// The latest eligibility answer for the patient's coverage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CoverageCheck {
    /// No eligibility check on file.
    Unverified,
    /// A check on `checked_on` found the coverage active or not.
    Verified { checked_on: Date, active: bool },
}

/// One session to be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRequest {
    pub date_of_service: Date,
    pub sites: Vec<BodySite>,
}

/// Clinic or payer settings for the scope rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopePolicy {
    /// Oldest eligibility check still trusted, in days before the date of service.
    pub coverage_max_age_days: u32,
    /// When a prescription names no body site, accept any site (the diagnosis then defines the
    /// scope) instead of refusing every session.
    pub allow_unspecified_sites: bool,
}

impl Default for ScopePolicy {
    fn default() -> Self {
        Self { coverage_max_age_days: 30, allow_unspecified_sites: false }
    }
}

/// The rule a session breaks; the code is stable and stored/audited as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeRule {
    OutsideWindow,
    SessionsExhausted,
    BodySiteOutsideScope,
    CoverageUnverified,
    CoverageInactive,
    CoverageStale,
    PriorAuthMissing,
}

impl ScopeRule {
    /// The stable code, e.g. `outside_window`.
    pub fn code(self) -> &'static str {
        match self {
            Self::OutsideWindow => "outside_window",
            Self::SessionsExhausted => "sessions_exhausted",
            Self::BodySiteOutsideScope => "body_site_outside_scope",
            Self::CoverageUnverified => "coverage_unverified",
            Self::CoverageInactive => "coverage_inactive",
            Self::CoverageStale => "coverage_stale",
            Self::PriorAuthMissing => "prior_auth_missing",
        }
    }
}

impl fmt::Display for ScopeRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A broken rule and a message for staff (no patient identifiers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeViolation {
    pub rule: ScopeRule,
    pub message: String,
}

impl ScopeViolation {
    fn new(rule: ScopeRule, message: impl Into<String>) -> Self {
        Self { rule, message: message.into() }
    }
}

/// Why staff recorded a session despite broken rules; never empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OverrideReason(String);

impl OverrideReason {
    /// Accepts any reason with visible text; surrounding whitespace is dropped.
    pub fn parse(reason: &str) -> Result<Self, ClaimsError> {
        let trimmed = reason.trim();
        if trimmed.is_empty() {
            return Err(ClaimsError::EmptyOverrideReason);
        }
        Ok(Self(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OverrideReason {
    type Error = ClaimsError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<OverrideReason> for String {
    fn from(value: OverrideReason) -> Self {
        value.0
    }
}

/// The outcome of a session that may be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ScopeDecision {
    /// Every rule holds.
    Allowed,
    /// Rules were broken and staff overrode them; the service must audit this.
    Overridden { violations: Vec<ScopeViolation>, reason: OverrideReason },
}

/// Every scope rule the session breaks; empty when it is in scope.
pub fn check_session(
    scope: &PrescriptionScope,
    coverage: CoverageCheck,
    session: &SessionRequest,
    policy: &ScopePolicy,
) -> Vec<ScopeViolation> {
    let mut found = Vec::new();
    let day = session.date_of_service;
    if day < scope.written_on {
        found.push(ScopeViolation::new(
            ScopeRule::OutsideWindow,
            "date of service is before the prescription was written",
        ));
    } else if day > scope.treatment_ends_on {
        found.push(ScopeViolation::new(
            ScopeRule::OutsideWindow,
            "date of service is after the prescribed end of treatment",
        ));
    }
    if scope.sessions_used >= scope.sessions_prescribed {
        found.push(ScopeViolation::new(
            ScopeRule::SessionsExhausted,
            format!("all {} prescribed sessions have been used", scope.sessions_prescribed),
        ));
    }
    check_sites(scope, session, policy, &mut found);
    check_coverage(coverage, day, policy, &mut found);
    if scope.prior_auth_required {
        match &scope.prior_auth {
            None => found.push(ScopeViolation::new(
                ScopeRule::PriorAuthMissing,
                "the payer requires a prior authorization and none is on file",
            )),
            Some(auth) if !auth.valid_on(day) => found.push(ScopeViolation::new(
                ScopeRule::PriorAuthMissing,
                "the prior authorization on file does not cover the date of service",
            )),
            Some(_) => {}
        }
    }
    found
}

/// Decides whether the session may be recorded: allowed, overridden (with the reason and what was
/// overridden), or refused with every broken rule.
pub fn decide(
    scope: &PrescriptionScope,
    coverage: CoverageCheck,
    session: &SessionRequest,
    policy: &ScopePolicy,
    override_reason: Option<OverrideReason>,
) -> Result<ScopeDecision, ClaimsError> {
    let violations = check_session(scope, coverage, session, policy);
    if violations.is_empty() {
        return Ok(ScopeDecision::Allowed);
    }
    match override_reason {
        Some(reason) => Ok(ScopeDecision::Overridden { violations, reason }),
        None => Err(ClaimsError::OutOfScope { violations }),
    }
}

fn check_sites(
    scope: &PrescriptionScope,
    session: &SessionRequest,
    policy: &ScopePolicy,
    found: &mut Vec<ScopeViolation>,
) {
    if session.sites.is_empty() {
        found.push(ScopeViolation::new(ScopeRule::BodySiteOutsideScope, "the session names no treated body site"));
        return;
    }
    if scope.sites.is_empty() {
        if !policy.allow_unspecified_sites {
            found.push(ScopeViolation::new(ScopeRule::BodySiteOutsideScope, "the prescription names no body site"));
        }
        return;
    }
    for treated in &session.sites {
        if !scope.sites.iter().any(|rx| rx.covers(treated)) {
            found.push(ScopeViolation::new(
                ScopeRule::BodySiteOutsideScope,
                format!("{treated} is outside the prescribed body sites"),
            ));
        }
    }
}

fn check_coverage(coverage: CoverageCheck, day: Date, policy: &ScopePolicy, found: &mut Vec<ScopeViolation>) {
    match coverage {
        CoverageCheck::Unverified => {
            found.push(ScopeViolation::new(ScopeRule::CoverageUnverified, "coverage has not been verified"))
        }
        CoverageCheck::Verified { active: false, .. } => found.push(ScopeViolation::new(
            ScopeRule::CoverageInactive,
            "the last eligibility check found the coverage inactive",
        )),
        CoverageCheck::Verified { checked_on, active: true } => {
            // a check made after the date of service is fresh for it
            let age = (day - checked_on).whole_days();
            if age > i64::from(policy.coverage_max_age_days) {
                found.push(ScopeViolation::new(
                    ScopeRule::CoverageStale,
                    format!(
                        "coverage was verified {age} days before the date of service, more than {} allowed",
                        policy.coverage_max_age_days
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body_site::{Laterality, Region};
    use time::macros::date;

    fn scope() -> PrescriptionScope {
        PrescriptionScope {
            written_on: date!(2026 - 01 - 05),
            treatment_ends_on: date!(2026 - 03 - 05),
            sessions_prescribed: 8,
            sessions_used: 2,
            sites: vec![BodySite::new(Region::Lumbar), BodySite::sided(Region::Ankle, Laterality::Left)],
            prior_auth_required: false,
            prior_auth: None,
        }
    }

    fn session(day: Date, sites: &[BodySite]) -> SessionRequest {
        SessionRequest { date_of_service: day, sites: sites.to_vec() }
    }

    const FRESH: CoverageCheck = CoverageCheck::Verified { checked_on: date!(2026 - 01 - 08), active: true };

    fn rules(v: &[ScopeViolation]) -> Vec<&'static str> {
        v.iter().map(|v| v.rule.code()).collect()
    }

    #[test]
    fn in_scope_session_is_allowed() -> Result<(), ClaimsError> {
        let s = session(date!(2026 - 01 - 10), &[BodySite::parse("lower back")?]);
        let d = decide(&scope(), FRESH, &s, &ScopePolicy::default(), None)?;
        assert_eq!(d, ScopeDecision::Allowed);
        Ok(())
    }

    #[test]
    fn window_is_inclusive_at_both_ends() {
        let p = ScopePolicy { coverage_max_age_days: 365, ..ScopePolicy::default() };
        let site = [BodySite::new(Region::Lumbar)];
        for (day, ok) in [
            (date!(2026 - 01 - 04), false),
            (date!(2026 - 01 - 05), true),
            (date!(2026 - 03 - 05), true),
            (date!(2026 - 03 - 06), false),
        ] {
            let v = check_session(&scope(), FRESH, &session(day, &site), &p);
            assert_eq!(v.is_empty(), ok, "{day}");
            if !ok {
                assert_eq!(rules(&v), ["outside_window"]);
            }
        }
    }

    #[test]
    fn sessions_exhausted_when_all_used() {
        let mut rx = scope();
        rx.sessions_used = 8;
        let v = check_session(&rx, FRESH, &session(date!(2026 - 01 - 10), &rx.sites.clone()), &ScopePolicy::default());
        assert_eq!(rules(&v), ["sessions_exhausted"]);
        assert_eq!(v[0].message, "all 8 prescribed sessions have been used");
        rx.sessions_used = 7;
        assert!(
            check_session(&rx, FRESH, &session(date!(2026 - 01 - 10), &rx.sites.clone()), &ScopePolicy::default())
                .is_empty()
        );
    }

    #[test]
    fn body_site_outside_scope_names_each_site() -> Result<(), ClaimsError> {
        let s = session(
            date!(2026 - 01 - 10),
            &[BodySite::parse("right ankle")?, BodySite::parse("left ankle")?, BodySite::parse("neck")?],
        );
        let v = check_session(&scope(), FRESH, &s, &ScopePolicy::default());
        assert_eq!(rules(&v), ["body_site_outside_scope", "body_site_outside_scope"]);
        assert_eq!(v[0].message, "right ankle is outside the prescribed body sites");
        assert_eq!(v[1].message, "cervical spine is outside the prescribed body sites");
        Ok(())
    }

    #[test]
    fn sites_must_be_named_unless_policy_allows() {
        let mut rx = scope();
        rx.sites.clear();
        let s = session(date!(2026 - 01 - 10), &[BodySite::new(Region::Knee)]);
        let strict = ScopePolicy::default();
        assert_eq!(rules(&check_session(&rx, FRESH, &s, &strict)), ["body_site_outside_scope"]);
        let lenient = ScopePolicy { allow_unspecified_sites: true, ..strict };
        assert!(check_session(&rx, FRESH, &s, &lenient).is_empty());
        let empty = session(date!(2026 - 01 - 10), &[]);
        assert_eq!(rules(&check_session(&scope(), FRESH, &empty, &lenient)), ["body_site_outside_scope"]);
    }

    #[test]
    fn coverage_unverified_inactive_and_stale() {
        let s = session(date!(2026 - 02 - 10), &[BodySite::new(Region::Lumbar)]);
        let p = ScopePolicy { coverage_max_age_days: 30, ..ScopePolicy::default() };
        assert_eq!(rules(&check_session(&scope(), CoverageCheck::Unverified, &s, &p)), ["coverage_unverified"]);
        let inactive = CoverageCheck::Verified { checked_on: date!(2026 - 02 - 09), active: false };
        assert_eq!(rules(&check_session(&scope(), inactive, &s, &p)), ["coverage_inactive"]);
        // 2026-01-08 → 2026-02-10 is 33 days
        assert_eq!(rules(&check_session(&scope(), FRESH, &s, &p)), ["coverage_stale"]);
        let p33 = ScopePolicy { coverage_max_age_days: 33, ..p };
        assert!(check_session(&scope(), FRESH, &s, &p33).is_empty());
        // verified after the date of service is fresh
        let later = CoverageCheck::Verified { checked_on: date!(2026 - 02 - 20), active: true };
        assert!(check_session(&scope(), later, &s, &p).is_empty());
    }

    #[test]
    fn prior_auth_required_and_its_dates() {
        let mut rx = scope();
        rx.prior_auth_required = true;
        let s = session(date!(2026 - 01 - 10), &[BodySite::new(Region::Lumbar)]);
        let p = ScopePolicy::default();
        assert_eq!(rules(&check_session(&rx, FRESH, &s, &p)), ["prior_auth_missing"]);
        rx.prior_auth = Some(PriorAuthorization {
            number: "AUTH1".into(),
            valid_from: Some(date!(2026 - 01 - 12)),
            valid_until: None,
        });
        let v = check_session(&rx, FRESH, &s, &p);
        assert_eq!(rules(&v), ["prior_auth_missing"]);
        assert!(v[0].message.contains("does not cover"));
        let s = session(date!(2026 - 01 - 12), &[BodySite::new(Region::Lumbar)]);
        assert!(check_session(&rx, FRESH, &s, &p).is_empty());
    }

    #[test]
    fn refusal_lists_every_rule_and_override_is_explicit() -> Result<(), ClaimsError> {
        let mut rx = scope();
        rx.sessions_used = 8;
        rx.prior_auth_required = true;
        let s = session(date!(2026 - 04 - 01), &[BodySite::new(Region::Cervical)]);
        let p = ScopePolicy::default();
        let refused = decide(&rx, CoverageCheck::Unverified, &s, &p, None);
        let Err(ClaimsError::OutOfScope { violations }) = &refused else {
            return Err(ClaimsError::EmptyOverrideReason);
        };
        assert_eq!(
            rules(violations),
            [
                "outside_window",
                "sessions_exhausted",
                "body_site_outside_scope",
                "coverage_unverified",
                "prior_auth_missing"
            ]
        );
        assert_eq!(
            refused.map_err(|e| e.to_string()),
            Err("session refused: outside_window, sessions_exhausted, body_site_outside_scope, coverage_unverified, prior_auth_missing".into())
        );
        let reason = OverrideReason::parse("  physician extended by phone, fax to follow ")?;
        let d = decide(&rx, CoverageCheck::Unverified, &s, &p, Some(reason))?;
        let ScopeDecision::Overridden { violations, reason } = d else {
            return Err(ClaimsError::EmptyOverrideReason);
        };
        assert_eq!(violations.len(), 5);
        assert_eq!(reason.as_str(), "physician extended by phone, fax to follow");
        Ok(())
    }

    #[test]
    fn override_reason_must_not_be_blank() {
        assert_eq!(OverrideReason::parse(""), Err(ClaimsError::EmptyOverrideReason));
        assert_eq!(OverrideReason::parse(" \t\n"), Err(ClaimsError::EmptyOverrideReason));
        let json = serde_json::from_str::<OverrideReason>("\"  \"");
        assert!(json.is_err());
    }
}
