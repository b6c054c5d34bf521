//! CMS place-of-service codes (two digits, e.g. `11` office, `12` home), which an 837P claim
//! carries in CLM05-1 and, when a line differs, in SV105.

use std::fmt;
use std::sync::LazyLock;

/// The embedded code table: code TAB name (see `data/README.md`).
const TABLE: &str = include_str!("../data/place_of_service.tsv");

static CODES: LazyLock<Vec<(&'static str, &'static str)>> = LazyLock::new(|| {
    let mut rows: Vec<(&'static str, &'static str)> = TABLE.lines().filter_map(|l| l.split_once('\t')).collect();
    rows.sort_unstable();
    rows
});

/// A place-of-service code that exists in the CMS code set.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlaceOfService {
    code: &'static str,
    name: &'static str,
}

/// Why a string is not a place-of-service code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PosError {
    #[error("place of service must be two digits")]
    Malformed,
    #[error("place of service code is not assigned by cms")]
    Unassigned,
}

impl PlaceOfService {
    /// Office (`11`), the usual place for a clinic visit.
    pub fn office() -> Self {
        Self { code: "11", name: "Office" }
    }

    /// Parses a two-digit code that is in the CMS table.
    pub fn parse(input: &str) -> Result<Self, PosError> {
        if input.len() != 2 || !input.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PosError::Malformed);
        }
        let codes = &*CODES;
        codes
            .binary_search_by(|(code, _)| (*code).cmp(input))
            .ok()
            .and_then(|i| codes.get(i))
            .map(|(code, name)| Self { code, name })
            .ok_or(PosError::Unassigned)
    }

    /// The two-digit code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The CMS name of the place.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Every assigned code, in code order.
    pub fn all() -> impl Iterator<Item = Self> {
        CODES.iter().map(|(code, name)| Self { code, name })
    }
}

impl fmt::Display for PlaceOfService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl fmt::Debug for PlaceOfService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlaceOfService({} {})", self.code, self.name)
    }
}

impl serde::Serialize for PlaceOfService {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code)
    }
}

impl<'de> serde::Deserialize<'de> for PlaceOfService {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn embedded_table_matches_the_fixture() {
        let fixture = include_str!("../../../../tests/fixtures/codes/place_of_service.tsv");
        let mut n = 0;
        for line in fixture.lines().skip(1) {
            let mut cols = line.split('\t');
            let (Some(code), Some(name)) = (cols.next(), cols.next()) else {
                continue;
            };
            let pos = PlaceOfService::parse(code).unwrap();
            assert_eq!(pos.name(), name.trim_end_matches(['*', ' ']));
            n += 1;
        }
        assert_eq!(n, PlaceOfService::all().count());
    }

    #[test]
    fn office_and_home() {
        assert_eq!(PlaceOfService::parse("11").unwrap(), PlaceOfService::office());
        assert_eq!(PlaceOfService::parse("12").unwrap().name(), "Home");
        assert_eq!(PlaceOfService::parse("1"), Err(PosError::Malformed));
        assert_eq!(PlaceOfService::parse("1a"), Err(PosError::Malformed));
        assert_eq!(PlaceOfService::parse("28"), Err(PosError::Unassigned));
        assert_eq!(PlaceOfService::parse("00"), Err(PosError::Unassigned));
    }

    proptest! {
        #[test]
        fn parse_round_trips_through_display(n in 0u8..100) {
            let s = format!("{n:02}");
            if let Ok(pos) = PlaceOfService::parse(&s) {
                prop_assert_eq!(pos.to_string(), s);
            }
        }
    }
}
