//! The physical-medicine procedure codes rxbridge knows, and whether each is timed.
//!
//! Timed codes are billed in 15-minute units; untimed ones are one unit whatever the minutes
//! (see `tests/fixtures/codes/physical_medicine_codes_facts.tsv`).

/// How a procedure code is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Billing {
    /// Billed in 15-minute units; its minutes count toward the day's timed total.
    Timed,
    /// One unit per session; its minutes are not added to the timed total.
    Untimed,
}

/// A physical-medicine procedure code and how it is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcedureCode {
    pub code: &'static str,
    pub billing: Billing,
    pub summary: &'static str,
}

/// The default set of procedure codes a massage or therapy prescription may name.
pub const PHYSICAL_MEDICINE: &[ProcedureCode] = &[
    ProcedureCode { code: "97010", billing: Billing::Untimed, summary: "hot or cold packs" },
    ProcedureCode { code: "97014", billing: Billing::Untimed, summary: "electrical stimulation, unattended" },
    ProcedureCode {
        code: "G0283",
        billing: Billing::Untimed,
        summary: "electrical stimulation, unattended (Medicare)",
    },
    ProcedureCode { code: "97032", billing: Billing::Timed, summary: "electrical stimulation, attended" },
    ProcedureCode { code: "97110", billing: Billing::Timed, summary: "therapeutic exercise" },
    ProcedureCode { code: "97112", billing: Billing::Timed, summary: "neuromuscular re-education" },
    ProcedureCode { code: "97124", billing: Billing::Timed, summary: "massage" },
    ProcedureCode { code: "97140", billing: Billing::Timed, summary: "manual therapy techniques" },
    ProcedureCode { code: "97530", billing: Billing::Timed, summary: "therapeutic activities" },
];

/// Looks a code up in the default physical-medicine set.
pub fn lookup(code: &str) -> Option<&'static ProcedureCode> {
    PHYSICAL_MEDICINE.iter().find(|p| p.code == code)
}

/// Whether a code is billed in 15-minute units; `None` for a code outside the set.
pub fn is_timed(code: &str) -> Option<bool> {
    lookup(code).map(|p| p.billing == Billing::Timed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn massage_is_timed_and_hot_packs_are_not() {
        assert_eq!(is_timed("97124"), Some(true));
        assert_eq!(is_timed("97010"), Some(false));
        assert_eq!(is_timed("99213"), None);
    }
}
