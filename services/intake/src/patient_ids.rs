//! The registry ids of patients this process has already stored a prescription for, so that a
//! submission can name its patient in the event it writes with one statement
//! ([`crate::store::insert_submission`]) instead of looking the patient up first.
//!
//! The ids are hints, never trusted: the statement looks the patient up by name, birth date and
//! member id again and writes nothing when the hint is wrong, and the submission retries with the
//! id it found. Registry rows are never changed or deleted, so a hint, once right, stays right.
//! The keys are HMAC-SHA-256 digests under a key drawn when the process starts and never stored,
//! so the cache holds no names or birth dates, and its digests cannot be matched against a list
//! of people outside the process.

use std::collections::HashMap;
use std::sync::Mutex;

use ring::hmac;
use uuid::Uuid;

use crate::store::PatientKey;

/// Hints kept before the cache starts over (48 bytes of key and id each, plus the map's own).
pub const CAPACITY: usize = 16_384;

/// Patient key digest → registry id, per clinic (the clinic is part of the digest).
pub struct PatientIds {
    key: hmac::Key,
    ids: Mutex<HashMap<[u8; 32], Uuid>>,
}

impl Default for PatientIds {
    fn default() -> Self {
        // A fresh key per process. Without the system's random source (not seen on Linux) the
        // digests are plain ones: the hints still work, only the keying is lost.
        let rng = ring::rand::SystemRandom::new();
        let key =
            hmac::Key::generate(hmac::HMAC_SHA256, &rng).unwrap_or_else(|_| hmac::Key::new(hmac::HMAC_SHA256, &[]));
        Self { key, ids: Mutex::default() }
    }
}

impl std::fmt::Debug for PatientIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatientIds").field("len", &self.len()).finish_non_exhaustive()
    }
}

impl PatientIds {
    /// The id last stored for this clinic's person with `key`, if any.
    pub fn hint(&self, clinic_id: &str, key: &PatientKey<'_>) -> Option<Uuid> {
        self.ids.lock().ok()?.get(&self.digest(clinic_id, key)).copied()
    }

    /// Remembers `id` for `key` once the transaction that wrote it has committed (a rolled-back
    /// id would be a wrong hint, costing a retry).
    pub fn remember(&self, clinic_id: &str, key: &PatientKey<'_>, id: Uuid) {
        let digest = self.digest(clinic_id, key);
        let Ok(mut ids) = self.ids.lock() else { return };
        // Starting over is cheap (a miss costs one statement) and needs no eviction order.
        if ids.len() >= CAPACITY {
            ids.clear();
        }
        ids.insert(digest, id);
    }

    /// How many hints are held.
    pub fn len(&self) -> usize {
        self.ids.lock().map(|ids| ids.len()).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn digest(&self, clinic_id: &str, key: &PatientKey<'_>) -> [u8; 32] {
        // NUL never occurs in the parts, so distinct keys give distinct inputs
        let birth_date = key.birth_date().to_string();
        let parts = [clinic_id, key.family_key(), key.given_key(), &birth_date, key.member_id()];
        let tag = hmac::sign(&self.key, parts.join("\0").as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::canonical::Canonical;

    fn canonical(family: &str, member: &str) -> Canonical {
        use intake_domain::{Prescription, Source, SourceKind, Sourced};
        let at = |path: &str| Source::Hl7 { path: path.into() };
        let mut rx = Prescription::new(SourceKind::Hl7v2);
        rx.patient.family = Some(Sourced::exact(family.into(), at("PID-5.1")));
        rx.patient.given = Some(Sourced::exact("Avery".into(), at("PID-5.2")));
        rx.patient.birth_date = Some(Sourced::exact(time::macros::date!(1980 - 01 - 01), at("PID-7")));
        rx.patient.member_id = Some(Sourced::exact(member.into(), at("IN1-36")));
        Canonical::from_prescription(&rx)
    }

    #[test]
    fn hints_are_per_clinic_and_per_person_and_ignore_case_and_spacing() {
        let ids = PatientIds::default();
        let (a, b) = (canonical("Testpatient", "M1"), canonical("Otherpatient", "M1"));
        let (ka, kb) = (PatientKey::of(&a).unwrap(), PatientKey::of(&b).unwrap());
        let id = Uuid::now_v7();
        ids.remember("clinic-1", &ka, id);
        let spaced = canonical("  TESTPATIENT ", "M1");
        assert_eq!(ids.hint("clinic-1", &PatientKey::of(&spaced).unwrap()), Some(id));
        assert_eq!(ids.hint("clinic-2", &ka), None);
        assert_eq!(ids.hint("clinic-1", &kb), None);
        let other_member = canonical("Testpatient", "M2");
        assert_eq!(ids.hint("clinic-1", &PatientKey::of(&other_member).unwrap()), None);
    }

    #[test]
    fn a_full_cache_starts_over_instead_of_growing() {
        let ids = PatientIds::default();
        let people: Vec<Canonical> = (0..=CAPACITY).map(|i| canonical("Testpatient", &format!("M{i}"))).collect();
        for person in &people {
            ids.remember("clinic-1", &PatientKey::of(person).unwrap(), Uuid::now_v7());
        }
        assert_eq!(ids.len(), 1, "the entry after a full cache is the only one left");
        assert!(ids.hint("clinic-1", &PatientKey::of(&people[CAPACITY]).unwrap()).is_some());
    }

    #[test]
    fn another_process_digests_the_same_person_differently() {
        let person = canonical("Testpatient", "M1");
        let key = PatientKey::of(&person).unwrap();
        let (one, two) = (PatientIds::default(), PatientIds::default());
        assert_eq!(one.digest("clinic-1", &key), one.digest("clinic-1", &key));
        assert_ne!(one.digest("clinic-1", &key), two.digest("clinic-1", &key));
    }
}
