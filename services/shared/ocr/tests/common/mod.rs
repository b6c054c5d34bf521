//! Shared helpers for the integration tests: fixture paths and OCR-tolerant token matching.

#![allow(dead_code, clippy::panic)]

use std::path::PathBuf;

/// `tests/fixtures/<sub>/<name>` in the repository copy.
pub fn fixture(sub: &str, name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../tests/fixtures")).join(sub).join(name)
}

pub fn read_fixture(sub: &str, name: &str) -> Vec<u8> {
    std::fs::read(fixture(sub, name)).unwrap_or_else(|e| panic!("read {sub}/{name}: {e}"))
}

/// Lower case, single spaces, and the look-alike characters OCR confuses folded together:
/// O/0, l/I/|/1, $/S.
pub fn fold(text: &str) -> String {
    let mapped: String = text
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'o' => '0',
            'l' | 'i' | '|' | '!' => '1',
            '$' => 's',
            c => c,
        })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// True when `token` occurs in `text` up to OCR look-alikes and whitespace.
pub fn has(text: &str, token: &str) -> bool {
    fold(text).contains(&fold(token))
}

/// An ICD-10 code may lose its dot in OCR or be written without it.
pub fn has_icd(text: &str, code: &str) -> bool {
    let undotted = |s: &str| fold(s).replace('.', "");
    has(text, code) || undotted(text).contains(&undotted(code))
}

/// Birth date `YYYY-MM-DD` found as its digits in US order (MMDDYYYY) anywhere in the digit
/// stream, whatever separators the page used.
pub fn has_birth_date(text: &str, iso: &str) -> bool {
    let parts: Vec<&str> = iso.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let digits: String = fold(text).chars().filter(char::is_ascii_digit).collect();
    digits.contains(&format!("{m}{d}{y}"))
}

/// The tokens of an `.expected.json` that OCR must deliver, with what was missing.
pub fn missing_tokens(text: &str, expected: &serde_json::Value) -> Vec<String> {
    let mut missing = Vec::new();
    let s = |k: &str| expected.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    for key in ["member_id", "npi", "family"] {
        if let Some(v) = s(key)
            && !has(text, &v)
        {
            missing.push(format!("{key}={v}"));
        }
    }
    if let Some(dob) = s("birth_date")
        && !has_birth_date(text, &dob)
    {
        missing.push(format!("birth_date={dob}"));
    }
    let list = |k: &str| -> Vec<String> {
        expected
            .get(k)
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    for dx in list("diagnoses") {
        if !has_icd(text, &dx) {
            missing.push(format!("diagnosis={dx}"));
        }
    }
    for px in list("procedures") {
        if !has(text, &px) {
            missing.push(format!("procedure={px}"));
        }
    }
    for word in list("body_site_words") {
        if !has(text, &word) {
            missing.push(format!("body_site={word}"));
        }
    }
    missing
}
