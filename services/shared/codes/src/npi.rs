//! National Provider Identifiers: ten digits, the last a Luhn check digit computed over the
//! prefix `80840` followed by the first nine digits (CMS "Requirements for NPI Check Digit").

use std::fmt;

/// A National Provider Identifier whose shape (and, unless parsed leniently, check digit)
/// has been verified.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Npi([u8; 10]);

/// How much of an NPI to verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NpiCheck {
    /// Shape and check digit: production traffic.
    #[default]
    Strict,
    /// Shape only: many published test NPIs (1234567890, 9876543210) fail the check digit,
    /// so test traffic may need to get through.
    ShapeOnly,
}

/// Why a string is not an NPI. Messages never repeat the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NpiError {
    #[error("npi must be exactly 10 digits, found {0} characters")]
    Length(usize),
    #[error("npi must contain only digits")]
    NotDigits,
    #[error("npi must start with 1 or 2")]
    Prefix,
    #[error("npi check digit does not match")]
    CheckDigit,
}

impl Npi {
    /// Parses a strict NPI: 10 digits, first 1 or 2, valid check digit.
    pub fn parse(input: &str) -> Result<Self, NpiError> {
        Self::parse_with(input, NpiCheck::Strict)
    }

    /// Parses with the chosen level of checking.
    pub fn parse_with(input: &str, check: NpiCheck) -> Result<Self, NpiError> {
        let len = input.chars().count();
        if len != 10 {
            return Err(NpiError::Length(len));
        }
        let mut digits = [0u8; 10];
        for (slot, b) in digits.iter_mut().zip(input.bytes()) {
            if !b.is_ascii_digit() {
                return Err(NpiError::NotDigits);
            }
            *slot = b;
        }
        if !matches!(digits[0], b'1' | b'2') {
            return Err(NpiError::Prefix);
        }
        if check == NpiCheck::Strict {
            let base: [u8; 9] = std::array::from_fn(|i| digits[i] - b'0');
            if check_digit(&base) != digits[9] - b'0' {
                return Err(NpiError::CheckDigit);
            }
        }
        Ok(Self(digits))
    }

    /// Builds the NPI whose first nine digits are given, appending the check digit.
    ///
    /// Returns `None` unless `base` is nine digits starting with 1 or 2.
    pub fn from_base(base: &str) -> Option<Self> {
        let bytes = base.as_bytes();
        if bytes.len() != 9 || !bytes.iter().all(u8::is_ascii_digit) || !matches!(bytes.first(), Some(b'1' | b'2')) {
            return None;
        }
        let base: [u8; 9] = std::array::from_fn(|i| bytes[i] - b'0');
        let mut digits = [0u8; 10];
        for (slot, d) in digits.iter_mut().zip(base.iter()) {
            *slot = d + b'0';
        }
        digits[9] = check_digit(&base) + b'0';
        Some(Self(digits))
    }

    /// The ten digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// The Luhn check digit of `80840` followed by the nine base digits.
///
/// The prefix contributes a constant 24 to the Luhn sum, so only the nine digits are walked:
/// from the rightmost, every other digit is doubled (digits of the product summed).
pub fn check_digit(base: &[u8; 9]) -> u8 {
    let mut sum: u32 = 24;
    for (i, d) in base.iter().rev().enumerate() {
        let d = u32::from(*d);
        sum += if i % 2 == 0 {
            let doubled = d * 2;
            doubled / 10 + doubled % 10
        } else {
            d
        };
    }
    // sum % 10 < 10, so the cast cannot truncate
    ((10 - sum % 10) % 10) as u8
}

impl fmt::Display for Npi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Npi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Npi({})", self.as_str())
    }
}

impl std::str::FromStr for Npi {
    type Err = NpiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for Npi {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Npi {
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

    /// Luhn over the full 15-digit string `80840` + NPI, computed the textbook way, to check
    /// the shortcut with the constant 24 against.
    fn luhn_valid_with_prefix(npi: &str) -> bool {
        let full = format!("80840{npi}");
        let sum: u32 = full
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 1 { (d * 2) / 10 + (d * 2) % 10 } else { d }
            })
            .sum();
        sum.is_multiple_of(10)
    }

    #[test]
    fn cms_worked_example() {
        assert_eq!(check_digit(&[1, 2, 3, 4, 5, 6, 7, 8, 9]), 3);
        assert_eq!(Npi::parse("1234567893").unwrap().as_str(), "1234567893");
        assert_eq!(Npi::from_base("123456789").unwrap().as_str(), "1234567893");
    }

    #[test]
    fn fixture_npis_match_the_collected_verdicts() {
        let table = include_str!("../../../../tests/fixtures/codes/npi_values_seen_in_fixtures.tsv");
        let mut checked = 0;
        for line in table.lines().skip(1) {
            let mut cols = line.split('\t');
            let (Some(npi), Some(valid)) = (cols.next(), cols.next()) else {
                continue;
            };
            let expected = valid == "True";
            assert_eq!(luhn_valid_with_prefix(npi), expected, "{npi}: reference luhn disagrees with the fixture");
            let base: [u8; 9] = std::array::from_fn(|i| npi.as_bytes()[i] - b'0');
            assert_eq!(check_digit(&base) == npi.as_bytes()[9] - b'0', expected, "{npi}");
            if npi.starts_with(['1', '2']) {
                assert_eq!(Npi::parse(npi).is_ok(), expected, "{npi}");
            } else {
                assert_eq!(Npi::parse(npi), Err(NpiError::Prefix), "{npi}");
            }
            checked += 1;
        }
        assert!(checked >= 5);
    }

    #[test]
    fn synthetic_fixture_npis_are_valid() {
        for npi in ["1122334455", "1748392010", "1555000110", "1245319599", "1558598797"] {
            assert!(Npi::parse(npi).is_ok(), "{npi}");
        }
    }

    #[test]
    fn errors_name_the_problem_not_the_value() {
        assert_eq!(Npi::parse("1234567890"), Err(NpiError::CheckDigit));
        assert_eq!(Npi::parse("123456789"), Err(NpiError::Length(9)));
        assert_eq!(Npi::parse("12345678901"), Err(NpiError::Length(11)));
        assert_eq!(Npi::parse("12345O7893"), Err(NpiError::NotDigits));
        assert_eq!(Npi::parse("0100000009"), Err(NpiError::Prefix));
        assert_eq!(Npi::parse("１２３４５６７８９３"), Err(NpiError::NotDigits));
        assert!(!NpiError::CheckDigit.to_string().contains("1234567890"));
        assert!(Npi::parse_with("1234567890", NpiCheck::ShapeOnly).is_ok());
    }

    proptest! {
        #[test]
        fn from_base_always_yields_a_valid_npi(base in "[12][0-9]{8}") {
            let npi = Npi::from_base(&base).unwrap();
            prop_assert!(npi.as_str().starts_with(&base));
            prop_assert_eq!(Npi::parse(npi.as_str()), Ok(npi));
            prop_assert!(luhn_valid_with_prefix(npi.as_str()));
        }

        #[test]
        fn changing_one_digit_breaks_the_check(base in "[12][0-9]{8}", pos in 1usize..10, delta in 1u8..10) {
            let npi = Npi::from_base(&base).unwrap();
            let mut bytes = npi.as_str().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(Npi::parse(&changed), Err(NpiError::CheckDigit));
        }

        #[test]
        fn parse_agrees_with_textbook_luhn(s in "[12][0-9]{9}") {
            prop_assert_eq!(Npi::parse(&s).is_ok(), luhn_valid_with_prefix(&s));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,14}") {
            let _ = Npi::parse(&s);
        }
    }
}
