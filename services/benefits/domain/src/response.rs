//! Interprets 271 responses: walks the HL tree (20 payer, 21 provider, 22 subscriber,
//! 23 dependent) and reads each member loop into a [`MemberResponse`] with its benefits and
//! the AAA rejections that concern it.

use rx_x12::{HlTree, Segment, Transaction};
use time::Date;

use crate::benefit::Benefit;
use crate::error::Error;
use crate::input::stream_x12;
use crate::reject::{RejectLevel, Rejection};
use crate::values::parse_dtp;

/// Whether a response is about the subscriber or a dependent (2000D).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relationship {
    Subscriber,
    Dependent,
}

/// A person's name as the payer returned it. Its `Debug` output is redacted (PHI).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct PersonName<'a> {
    pub family: Option<&'a str>,
    pub given: Option<&'a str>,
}

/// One subscriber or dependent answer. Its `Debug` output leaves out name, member id, birth
/// date and traces (PHI), so it is safe in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct MemberResponse<'a> {
    pub relationship: Relationship,
    /// NM109 of the member's own NM1; a dependent without one gets the subscriber's.
    pub member_id: Option<&'a str>,
    pub name: PersonName<'a>,
    pub birth_date: Option<Date>,
    /// TRN02 of every TRN in the member loop (our trace echoed as TRN*2, the payer's TRN*1).
    pub traces: Vec<&'a str>,
    /// `Some(true)` for EB01 1-5, `Some(false)` for 6-8, `None` when neither was sent.
    pub active: Option<bool>,
    /// EB05 of the first active-coverage EB that has one, else of any EB.
    pub plan: Option<&'a str>,
    pub plan_begin: Option<Date>,
    pub plan_end: Option<Date>,
    /// AAA segments of this member and of every loop above it (payer, provider, subscriber).
    pub rejections: Vec<Rejection>,
    pub benefits: Vec<Benefit<'a>>,
    /// NM103 of the payer (2100A).
    pub payer: Option<&'a str>,
}

impl std::fmt::Debug for PersonName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonName(..)")
    }
}

impl std::fmt::Debug for MemberResponse<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberResponse")
            .field("relationship", &self.relationship)
            .field("active", &self.active)
            .field("plan", &self.plan)
            .field("plan_begin", &self.plan_begin)
            .field("plan_end", &self.plan_end)
            .field("rejections", &self.rejections)
            .field("benefits", &self.benefits.len())
            .finish_non_exhaustive()
    }
}

/// Every member response of an input, plus the envelope warnings that were tolerated.
#[derive(Debug, Clone, PartialEq)]
pub struct Interpretation<'a> {
    pub responses: Vec<MemberResponse<'a>>,
    pub warnings: Vec<rx_x12::Error>,
}

/// Reads and interprets every 271 in `input`. Fails when the input holds no 271, or when the
/// X12 syntax is broken beyond wrong envelope counts.
pub fn interpret_271(input: &[u8]) -> Result<Interpretation<'_>, Error> {
    let mut responses = Vec::new();
    let mut found = false;
    let mut failed = None;
    let warnings = stream_x12(input, &mut |_, t| {
        if t.id == "271" && failed.is_none() {
            found = true;
            if let Err(e) = interpret_transaction(&t, &mut responses) {
                failed = Some(e);
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    if !found {
        return Err(Error::NoTransaction { expected: "271" });
    }
    Ok(Interpretation { responses, warnings })
}

/// Appends the member responses of one 271 transaction set.
pub fn interpret_transaction<'a>(t: &Transaction<'a>, out: &mut Vec<MemberResponse<'a>>) -> Result<(), Error> {
    let tree = HlTree::build(&t.segments)?;
    let mut members: Vec<(usize, MemberResponse<'a>)> = Vec::new();
    for (i, l) in tree.loops.iter().enumerate() {
        let (relationship, level) = match l.level {
            "22" => (Relationship::Subscriber, RejectLevel::Subscriber),
            "23" => (Relationship::Dependent, RejectLevel::Dependent),
            _ => continue,
        };
        let mut m = read_member(l.body(), relationship, level);
        let mut inherited = Vec::new();
        for a in tree.ancestors(i) {
            let level = match a.level {
                "20" => RejectLevel::Source,
                "21" => RejectLevel::Receiver,
                "22" => RejectLevel::Subscriber,
                _ => continue,
            };
            inherited.extend(aaa_of(a.body(), level));
            if a.level == "20" {
                m.payer = payer_name(a.body());
            }
            if a.level == "22" && m.member_id.is_none() {
                m.member_id = member_nm1(a.body()).and_then(|n| n.element(9));
            }
        }
        inherited.reverse();
        inherited.append(&mut m.rejections);
        m.rejections = inherited;
        members.push((i, m));
    }
    if members.is_empty() {
        // An error-only 271 (AAA at payer or provider level, no subscriber loop).
        let rejections: Vec<Rejection> = tree
            .loops
            .iter()
            .flat_map(|l| match l.level {
                "20" => aaa_of(l.body(), RejectLevel::Source),
                "21" => aaa_of(l.body(), RejectLevel::Receiver),
                _ => Vec::new(),
            })
            .collect();
        if !rejections.is_empty() {
            let payer = tree.loops.iter().find(|l| l.level == "20").and_then(|l| payer_name(l.body()));
            out.push(MemberResponse { rejections, payer, ..empty(Relationship::Subscriber) });
        }
        return Ok(());
    }
    for (i, m) in members {
        // A subscriber that only carries dependents is reported through them.
        let only_parent = m.relationship == Relationship::Subscriber
            && m.benefits.is_empty()
            && tree
                .loops
                .get(i)
                .is_some_and(|l| l.children.iter().any(|&c| tree.loops.get(c).is_some_and(|c| c.level == "23")));
        if !only_parent {
            out.push(m);
        }
    }
    Ok(())
}

fn empty<'a>(relationship: Relationship) -> MemberResponse<'a> {
    MemberResponse {
        relationship,
        member_id: None,
        name: PersonName::default(),
        birth_date: None,
        traces: Vec::new(),
        active: None,
        plan: None,
        plan_begin: None,
        plan_end: None,
        rejections: Vec::new(),
        benefits: Vec::new(),
        payer: None,
    }
}

/// The AAA segments of a loop body outside any benefit (2000/2100 level).
fn aaa_of(body: &[Segment<'_>], level: RejectLevel) -> Vec<Rejection> {
    body.iter()
        .take_while(|s| s.id() != "EB")
        .filter(|s| s.id() == "AAA")
        .filter_map(|s| Rejection::from_aaa(s, level))
        .collect()
}

fn payer_name<'a>(body: &[Segment<'a>]) -> Option<&'a str> {
    body.iter().find(|s| s.id() == "NM1").and_then(|s| s.element(3))
}

/// The member's own NM1 (the first NM1 before any EB).
fn member_nm1<'s, 'a>(body: &'s [Segment<'a>]) -> Option<&'s Segment<'a>> {
    body.iter().take_while(|s| s.id() != "EB").find(|s| s.id() == "NM1")
}

/// Reads a 2000C/2000D body: 2100 member segments, then 2110 benefit loops with their 2120s.
fn read_member<'a>(body: &[Segment<'a>], relationship: Relationship, level: RejectLevel) -> MemberResponse<'a> {
    let mut m = empty(relationship);
    let mut in_2120 = false;
    let mut seen_nm1 = false;
    for seg in body {
        if in_2120 {
            match seg.id() {
                "LE" => in_2120 = false,
                "NM1" => {
                    if let Some(b) = m.benefits.last_mut() {
                        b.attach_related(seg);
                    }
                }
                _ => {}
            }
            continue;
        }
        match (seg.id(), m.benefits.last_mut()) {
            ("EB", _) => m.benefits.push(Benefit::from_eb(seg)),
            ("LS", Some(_)) => in_2120 = true,
            ("AAA", Some(_)) => m.rejections.extend(Rejection::from_aaa(seg, RejectLevel::Benefit)),
            (_, Some(b)) => b.attach(seg),
            ("NM1", None) if !seen_nm1 => {
                seen_nm1 = true;
                m.name = PersonName { family: seg.element(3), given: seg.element(4) };
                m.member_id = seg.element(9);
            }
            ("TRN", None) => m.traces.extend(seg.element(2)),
            ("DMG", None) if seg.element(1) == Some("D8") => {
                m.birth_date = seg.element(2).and_then(crate::values::parse_d8)
            }
            ("AAA", None) => m.rejections.extend(Rejection::from_aaa(seg, level)),
            ("DTP", None) => member_date(&mut m, seg),
            _ => {}
        }
    }
    m.active = activity(&m.benefits);
    m.plan = m
        .benefits
        .iter()
        .find(|b| is_active_code(b.code) && b.description.is_some())
        .or_else(|| m.benefits.iter().find(|b| b.description.is_some()))
        .and_then(|b| b.description);
    m
}

fn is_active_code(code: &str) -> bool {
    matches!(code, "1" | "2" | "3" | "4" | "5")
}

/// Active if any EB01 says active (1-5), inactive if only inactive codes (6-8) were sent.
fn activity(benefits: &[Benefit<'_>]) -> Option<bool> {
    if benefits.iter().any(|b| is_active_code(b.code)) {
        Some(true)
    } else if benefits.iter().any(|b| matches!(b.code, "6" | "7" | "8")) {
        Some(false)
    } else {
        None
    }
}

/// 2100C/D DTP: 346/347 plan begin/end, 291 plan (day or range), 356/357 eligibility
/// begin/end and 307 eligibility as fallbacks.
fn member_date(m: &mut MemberResponse<'_>, seg: &Segment<'_>) {
    let Some((begin, end)) = parse_dtp(seg.element_or_empty(2), seg.element_or_empty(3)) else {
        return;
    };
    let single = seg.element(2) == Some("D8");
    match seg.element(1) {
        Some("346") => m.plan_begin = Some(begin),
        Some("347") => m.plan_end = Some(end),
        Some("291") => {
            m.plan_begin.get_or_insert(begin);
            if !single {
                m.plan_end.get_or_insert(end);
            }
        }
        Some("356") => {
            m.plan_begin.get_or_insert(begin);
        }
        Some("357") => {
            m.plan_end.get_or_insert(end);
        }
        Some("307") => {
            m.plan_begin.get_or_insert(begin);
            if !single {
                m.plan_end.get_or_insert(end);
            }
        }
        _ => {}
    }
}
