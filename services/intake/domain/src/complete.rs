//! Filling what one field implies about another, the same way for every channel: sessions from
//! frequency × weeks (or weeks from sessions ÷ frequency), and body sites from the diagnoses
//! when the prescription names none.

use crate::body::{find_body_sites, from_icd10};
use crate::model::{Prescription, Source, Sourced};

/// CPT code for therapeutic massage, inferred when an order names massage but no code.
pub const MASSAGE_CPT: &str = "97124";

/// Confidence factor for a body site inferred from a diagnosis.
const FROM_DIAGNOSIS: f32 = 0.8;

/// Whether free text names massage (so 97124 can be inferred when no code is given).
pub fn mentions_massage(text: &str) -> bool {
    text.to_ascii_lowercase().contains("massage")
}

/// Derives missing values from present ones.
pub fn complete(rx: &mut Prescription) {
    if let Some(freq) = &rx.frequency {
        let f = freq.value;
        match (rx.sessions.is_some(), f.weeks) {
            (false, Some(weeks)) if f.per_week > 0 && weeks > 0 => {
                let source = Source::Derived { from: "sessions per week × weeks".to_owned() };
                rx.sessions =
                    Some(Sourced::with_confidence(f.per_week.saturating_mul(weeks), source, freq.confidence()));
            }
            (true, None) if f.per_week > 0 => {
                if let Some(sessions) = rx.sessions.as_ref().map(|s| s.value).filter(|s| *s > 0)
                    && let Some(freq) = rx.frequency.as_mut()
                {
                    freq.value.weeks = Some(sessions.div_ceil(f.per_week));
                }
            }
            _ => {}
        }
    }
    if rx.body_sites.is_empty() {
        let mut from_dx = Vec::new();
        for d in &rx.diagnoses {
            let by_text = d.value.text.as_deref().map(find_body_sites).unwrap_or_default();
            let sites = if by_text.is_empty() { from_icd10(&d.value.code).into_iter().collect() } else { by_text };
            for site in sites {
                let source = Source::Derived { from: format!("diagnosis {}", d.value.dotted()) };
                from_dx.push(Sourced::with_confidence(site, source, d.confidence() * FROM_DIAGNOSIS));
            }
        }
        for site in from_dx {
            rx.add_body_site(site);
        }
        // a generic "back" adds nothing next to a spinal region
        if rx.body_sites.iter().any(|s| s.value.region.is_spine()) {
            rx.body_sites.retain(|s| s.value.region != crate::body::Region::Back);
        }
    }
}
