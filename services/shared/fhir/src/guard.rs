//! Checks made on the raw bytes before any deserialisation: size, and nesting depth.
//!
//! serde_json stops at 128 levels of recursion on its own; FHIR resources rarely pass 15, so a
//! lower limit (64 by default) refuses pathological input early and cheaply, in one pass
//! without allocation.

use crate::FhirError;

/// Bounds on an incoming document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest document accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of objects and arrays accepted.
    pub max_depth: usize,
}

impl Default for Limits {
    /// 4 MiB and 64 levels: a prescription bundle is a few kilobytes and under 12 levels.
    fn default() -> Self {
        Self { max_bytes: 4 << 20, max_depth: 64 }
    }
}

/// Refuses empty, oversized or over-deep input.
pub(crate) fn check(bytes: &[u8], limits: &Limits) -> Result<(), FhirError> {
    if bytes.len() > limits.max_bytes {
        return Err(FhirError::TooLarge { size: bytes.len(), limit: limits.max_bytes });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FhirError::Empty);
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(FhirError::TooDeep { limit: limits.max_depth });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_only_outside_strings() {
        let limits = Limits { max_bytes: 1000, max_depth: 3 };
        assert!(check(br#"{"a":[{"b":"[[[[{{{{\"[["}]}"#, &limits).is_ok());
        assert_eq!(check(br#"{"a":[{"b":[1]}]}"#, &limits), Err(FhirError::TooDeep { limit: 3 }));
    }

    #[test]
    fn size_and_emptiness() {
        let limits = Limits { max_bytes: 4, max_depth: 3 };
        assert_eq!(check(b"{ }  ", &limits), Err(FhirError::TooLarge { size: 5, limit: 4 }));
        assert_eq!(check(b" \n", &limits), Err(FhirError::Empty));
        assert_eq!(check(b"", &limits), Err(FhirError::Empty));
    }
}
