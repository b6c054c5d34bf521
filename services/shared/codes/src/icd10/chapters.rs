//! The 22 chapters of ICD-10-CM, by category range, for reports and configuration checks.

/// One chapter: an inclusive range of three-character categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chapter {
    pub number: u8,
    pub first: &'static str,
    pub last: &'static str,
    pub title: &'static str,
}

/// The chapters in category order; categories compare as ASCII strings (`O9A` after `O99`).
pub const CHAPTERS: &[Chapter] = &[
    Chapter { number: 1, first: "A00", last: "B99", title: "infectious and parasitic diseases" },
    Chapter { number: 2, first: "C00", last: "D49", title: "neoplasms" },
    Chapter { number: 3, first: "D50", last: "D89", title: "blood and immune mechanism" },
    Chapter { number: 4, first: "E00", last: "E89", title: "endocrine, nutritional and metabolic" },
    Chapter { number: 5, first: "F01", last: "F99", title: "mental, behavioral and neurodevelopmental" },
    Chapter { number: 6, first: "G00", last: "G99", title: "nervous system" },
    Chapter { number: 7, first: "H00", last: "H59", title: "eye and adnexa" },
    Chapter { number: 8, first: "H60", last: "H95", title: "ear and mastoid process" },
    Chapter { number: 9, first: "I00", last: "I99", title: "circulatory system" },
    Chapter { number: 10, first: "J00", last: "J99", title: "respiratory system" },
    Chapter { number: 11, first: "K00", last: "K95", title: "digestive system" },
    Chapter { number: 12, first: "L00", last: "L99", title: "skin and subcutaneous tissue" },
    Chapter { number: 13, first: "M00", last: "M99", title: "musculoskeletal system and connective tissue" },
    Chapter { number: 14, first: "N00", last: "N99", title: "genitourinary system" },
    Chapter { number: 15, first: "O00", last: "O9A", title: "pregnancy, childbirth and the puerperium" },
    Chapter { number: 16, first: "P00", last: "P96", title: "perinatal period" },
    Chapter { number: 17, first: "Q00", last: "QA0", title: "congenital malformations and chromosomal abnormalities" },
    Chapter { number: 18, first: "R00", last: "R99", title: "symptoms, signs and abnormal findings" },
    Chapter {
        number: 19,
        first: "S00",
        last: "T88",
        title: "injury, poisoning and other consequences of external causes",
    },
    Chapter { number: 20, first: "V00", last: "Y99", title: "external causes of morbidity" },
    Chapter { number: 21, first: "Z00", last: "Z99", title: "factors influencing health status" },
    Chapter { number: 22, first: "U00", last: "U85", title: "codes for special purposes" },
];

/// The chapter holding a three-character category, if any.
pub(crate) fn chapter_of(category: &str) -> Option<&'static Chapter> {
    CHAPTERS.iter().find(|c| c.first <= category && category <= c.last)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::icd10::billable_with_prefix;

    #[test]
    fn every_billable_code_falls_in_exactly_one_chapter() {
        for letter in 'A'..='Z' {
            for code in billable_with_prefix(&letter.to_string()) {
                let category = &code[..3];
                let hits = CHAPTERS.iter().filter(|c| c.first <= category && category <= c.last).count();
                assert_eq!(hits, 1, "{code}");
            }
        }
    }

    #[test]
    fn musculoskeletal_is_chapter_13() {
        assert_eq!(chapter_of("M54").map(|c| c.number), Some(13));
        assert_eq!(chapter_of("T88").map(|c| c.number), Some(19));
        assert_eq!(chapter_of("T89"), None);
    }
}
