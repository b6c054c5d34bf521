//! AAA request-validation segments: the reject reason (AAA03) with its description, the
//! follow-up action (AAA04), and whether resubmitting the same request later may help.

use serde::Serialize;

/// The AAA03 code list, embedded from the fixture table (code TAB description per line).
const AAA03_TABLE: &str = include_str!("../../../../tests/fixtures/codes/x12_aaa03_reject_reason_codes.tsv");

/// Description of an AAA03 reject reason code, `None` for a code outside the list.
pub fn reject_reason(code: &str) -> Option<&'static str> {
    AAA03_TABLE.lines().skip(1).find_map(|line| {
        let (c, description) = line.split_once('\t')?;
        (c == code).then_some(description.trim())
    })
}

/// Codes that describe the payer's momentary state, not the request's data: 42 unable to
/// respond at current time, 80 no response received (transaction terminated), 04 authorized
/// quantity exceeded (the submitter's inquiry allowance, which renews).
const TRANSIENT: &[&str] = &["42", "80", "04"];

/// Where in the 271 the AAA sat: it tells whom the problem concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectLevel {
    /// 2000A/2100A: the payer (information source) itself.
    Source,
    /// 2000B/2100B: the provider asking.
    Receiver,
    /// 2000C/2100C: the subscriber.
    Subscriber,
    /// 2000D/2100D: the dependent.
    Dependent,
    /// 2110C/2110D: one benefit inquiry.
    Benefit,
}

/// One AAA segment, interpreted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// AAA03 reject reason code, e.g. `75`.
    pub code: String,
    /// Text for the code from the AAA03 list.
    pub description: Option<&'static str>,
    /// AAA01: whether the payer considered the request valid (Y) or not (N).
    pub valid_request: Option<bool>,
    /// AAA04 follow-up action: C correct and resubmit, N resubmission not allowed,
    /// R resubmission allowed, P resubmit original, W wait 30 days, X wait 10 days,
    /// Y do not resubmit (we will respond).
    pub follow_up: Option<String>,
    /// Whether resubmitting the same request later may succeed: a transient code, unless
    /// the follow-up action forbids resubmitting (N) or promises an answer (Y).
    pub retry: bool,
    pub level: RejectLevel,
}

impl Rejection {
    /// Interprets an AAA segment; `None` when it carries no reject reason.
    pub fn from_aaa(seg: &rx_x12::Segment<'_>, level: RejectLevel) -> Option<Self> {
        let code = seg.element(3)?;
        let follow_up = seg.element(4);
        let retry = TRANSIENT.contains(&code) && !matches!(follow_up, Some("N" | "Y"));
        let valid_request = match seg.element(1) {
            Some("Y") => Some(true),
            Some("N") => Some(false),
            _ => None,
        };
        Some(Self {
            code: code.to_owned(),
            description: reject_reason(code),
            valid_request,
            follow_up: follow_up.map(str::to_owned),
            retry,
            level,
        })
    }

    /// Whether the payer could not find the member (or the patient under the subscriber).
    pub fn is_member_not_found(&self) -> bool {
        matches!(self.code.as_str(), "67" | "75" | "77")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_come_from_the_embedded_table() {
        assert_eq!(reject_reason("75"), Some("Subscriber/Insured Not Found"));
        assert_eq!(reject_reason("42"), Some("Unable to Respond at Current Time"));
        assert_eq!(reject_reason("ZZZ"), None);
    }
}
