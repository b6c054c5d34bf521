//! Helpers shared by the integration tests: fixture paths, the OCR'd fax texts, noise.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

use intake_domain::{FaxLine, FaxText};
use time::macros::date;

/// A "today" after every synthetic prescription's written date, within the 180-day limit.
pub const TODAY: time::Date = date!(2026 - 02 - 15);

pub fn fixtures() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../tests/fixtures"))
}

pub fn data(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data")).join(name)
}

pub fn read_fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The OCR'd lines of a fixture fax (`confidence TAB text` rows).
pub fn fax_text(stem: &str) -> FaxText {
    let raw = std::fs::read_to_string(data(&format!("{stem}.ocr.tsv"))).unwrap();
    let lines = raw
        .lines()
        .skip(1)
        .map(|row| {
            let (conf, text) = row.split_once('\t').unwrap();
            FaxLine { text: text.to_owned(), confidence: conf.parse().unwrap() }
        })
        .collect();
    FaxText::new(lines)
}

/// Deterministic OCR-style noise: which confusions to apply to a line.
#[derive(Debug, Clone, Copy)]
pub struct Noise {
    /// digit 0 written as letter O inside numbers and codes
    pub zero_as_o: bool,
    /// digit 1 written as lower-case l
    pub one_as_l: bool,
    /// dots of codes dropped (M54.50 -> M5450)
    pub drop_code_dots: bool,
    /// runs of spaces doubled and a space added before colons
    pub extra_spaces: bool,
    /// label letters confused (DOB -> D0B, NPI -> NPl, ID -> lD)
    pub label_confusions: bool,
}

pub const NOISES: &[Noise] = &[
    Noise { zero_as_o: true, one_as_l: false, drop_code_dots: false, extra_spaces: false, label_confusions: false },
    Noise { zero_as_o: false, one_as_l: true, drop_code_dots: false, extra_spaces: false, label_confusions: false },
    Noise { zero_as_o: false, one_as_l: false, drop_code_dots: true, extra_spaces: false, label_confusions: false },
    Noise { zero_as_o: false, one_as_l: false, drop_code_dots: false, extra_spaces: true, label_confusions: false },
    Noise { zero_as_o: false, one_as_l: false, drop_code_dots: false, extra_spaces: false, label_confusions: true },
    Noise { zero_as_o: true, one_as_l: true, drop_code_dots: true, extra_spaces: true, label_confusions: true },
];

/// Applies `noise` to one line. Digit confusions hit every other eligible digit, so a value
/// keeps some real digits (as OCR noise does).
pub fn noisy(line: &str, noise: Noise) -> String {
    let mut out = line.to_owned();
    if noise.label_confusions {
        out = out.replace("DOB", "D0B").replace("NPI", "NPl").replace("ID:", "lD:").replace("ICD-10", "lCD-1O");
    }
    if noise.drop_code_dots {
        // a dot between a letter+2 digits and more digits: an ICD-10 code
        let chars: Vec<char> = out.chars().collect();
        let mut kept = String::new();
        for (i, c) in chars.iter().enumerate() {
            let is_code_dot = *c == '.'
                && i >= 3
                && chars[i - 3].is_ascii_uppercase()
                && chars[i - 2].is_ascii_digit()
                && chars[i - 1].is_ascii_digit()
                && chars.get(i + 1).is_some_and(char::is_ascii_alphanumeric);
            if !is_code_dot {
                kept.push(*c);
            }
        }
        out = kept;
    }
    if noise.zero_as_o || noise.one_as_l {
        let mut flip = false;
        out = out
            .chars()
            .map(|c| match c {
                '0' if noise.zero_as_o => {
                    flip = !flip;
                    if flip { 'O' } else { c }
                }
                '1' if noise.one_as_l => {
                    flip = !flip;
                    if flip { 'l' } else { c }
                }
                c => c,
            })
            .collect();
    }
    if noise.extra_spaces {
        out = out.replace(": ", " :  ").replace(", ", " ,  ");
    }
    out
}

pub fn noisy_fax(fax: &FaxText, noise: Noise) -> FaxText {
    FaxText::new(
        fax.lines.iter().map(|l| FaxLine { text: noisy(&l.text, noise), confidence: l.confidence * 0.95 }).collect(),
    )
}
