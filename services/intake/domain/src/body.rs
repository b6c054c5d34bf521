//! Body regions and laterality: read from free text ("lumbar spine", "low back", "neck",
//! "left shoulder", "bilateral knees", "R ankle"), from SNOMED body-site codes, and, when a
//! prescription names none, from its diagnoses.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::dates::compile;

/// A treated region, coarse enough for massage and therapy billing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    Head,
    Jaw,
    Neck,
    ThoracicSpine,
    LumbarSpine,
    Back,
    Sacrum,
    Shoulder,
    Arm,
    Elbow,
    Forearm,
    Wrist,
    Hand,
    Hip,
    Thigh,
    Knee,
    Leg,
    Ankle,
    Foot,
}

impl Region {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Head => "head",
            Self::Jaw => "jaw",
            Self::Neck => "neck",
            Self::ThoracicSpine => "thoracic spine",
            Self::LumbarSpine => "lumbar spine",
            Self::Back => "back",
            Self::Sacrum => "sacrum",
            Self::Shoulder => "shoulder",
            Self::Arm => "arm",
            Self::Elbow => "elbow",
            Self::Forearm => "forearm",
            Self::Wrist => "wrist",
            Self::Hand => "hand",
            Self::Hip => "hip",
            Self::Thigh => "thigh",
            Self::Knee => "knee",
            Self::Leg => "leg",
            Self::Ankle => "ankle",
            Self::Foot => "foot",
        }
    }

    /// Spinal regions have no side.
    fn is_midline(self) -> bool {
        matches!(self, Self::Head | Self::Neck | Self::ThoracicSpine | Self::LumbarSpine | Self::Back | Self::Sacrum)
    }

    pub(crate) fn is_spine(self) -> bool {
        matches!(self, Self::Neck | Self::ThoracicSpine | Self::LumbarSpine | Self::Sacrum)
    }
}

/// Which side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Laterality {
    Left,
    Right,
    Bilateral,
}

impl Laterality {
    fn name(self) -> &'static str {
        match self {
            Self::Left => "left",
            Self::Right => "right",
            Self::Bilateral => "bilateral",
        }
    }
}

/// A region with its side, when it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct BodySite {
    pub region: Region,
    pub laterality: Option<Laterality>,
}

impl fmt::Display for BodySite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.laterality {
            Some(side) => write!(f, "{} {}", side.name(), self.region.name()),
            None => f.write_str(self.region.name()),
        }
    }
}

/// Words for each region; plural forms imply both sides when no side is written.
const VOCABULARY: &[(&str, Region)] = &[
    ("lumbar spine", Region::LumbarSpine),
    ("lumbar region", Region::LumbarSpine),
    ("lumbosacral", Region::LumbarSpine),
    ("lumbar", Region::LumbarSpine),
    ("low back", Region::LumbarSpine),
    ("lower back", Region::LumbarSpine),
    ("l-spine", Region::LumbarSpine),
    ("thoracic spine", Region::ThoracicSpine),
    ("thoracic", Region::ThoracicSpine),
    ("mid back", Region::ThoracicSpine),
    ("middle back", Region::ThoracicSpine),
    ("upper back", Region::ThoracicSpine),
    ("t-spine", Region::ThoracicSpine),
    ("cervical spine", Region::Neck),
    ("cervical", Region::Neck),
    ("c-spine", Region::Neck),
    ("neck", Region::Neck),
    ("sacroiliac", Region::Sacrum),
    ("sacrum", Region::Sacrum),
    ("sacral", Region::Sacrum),
    ("back", Region::Back),
    ("head", Region::Head),
    ("temporomandibular", Region::Jaw),
    ("tmj", Region::Jaw),
    ("jaw", Region::Jaw),
    ("shoulders", Region::Shoulder),
    ("shoulder", Region::Shoulder),
    ("upper extremities", Region::Arm),
    ("upper extremity", Region::Arm),
    ("upper arms", Region::Arm),
    ("upper arm", Region::Arm),
    ("arms", Region::Arm),
    ("arm", Region::Arm),
    ("elbows", Region::Elbow),
    ("elbow", Region::Elbow),
    ("forearms", Region::Forearm),
    ("forearm", Region::Forearm),
    ("wrists", Region::Wrist),
    ("wrist", Region::Wrist),
    ("hands", Region::Hand),
    ("hand", Region::Hand),
    ("hips", Region::Hip),
    ("hip", Region::Hip),
    ("thighs", Region::Thigh),
    ("thigh", Region::Thigh),
    ("knees", Region::Knee),
    ("knee", Region::Knee),
    ("lower extremities", Region::Leg),
    ("lower extremity", Region::Leg),
    ("lower legs", Region::Leg),
    ("lower leg", Region::Leg),
    ("calves", Region::Leg),
    ("calf", Region::Leg),
    ("legs", Region::Leg),
    ("leg", Region::Leg),
    ("ankles", Region::Ankle),
    ("ankle", Region::Ankle),
    ("feet", Region::Foot),
    ("foot", Region::Foot),
];

const SIDES: &str = r"left|lt\.?|l|right|rt\.?|r|bilateral|bilat\.?|bil\.?|b/l|both";

static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    let words: Vec<String> =
        VOCABULARY.iter().map(|(w, _)| regex::escape(w).replace("\\-", "[- ]?").replace(' ', r"\s+")).collect();
    compile(&format!(r"(?i)\b(?:(?:{SIDES})\s+)?(?:{})\b", words.join("|")))
});

/// Every body site named in `text`, in order, without repeats. A generic "back" is dropped
/// when a spinal region is also named.
pub fn find_body_sites(text: &str) -> Vec<BodySite> {
    let mut sites: Vec<BodySite> = Vec::new();
    // Matches are read back by hand rather than through capture groups, which would run the
    // slower backtracking engine on every match.
    for m in PATTERN.find_iter(text) {
        let lower = m.as_str().to_ascii_lowercase();
        let words: Vec<&str> = lower.split_whitespace().collect();
        let (side, rest) = match words.split_first() {
            Some((first, rest))
                if !rest.is_empty() && side_of(first).is_some() && lookup(&rest.join(" ")).is_some() =>
            {
                (side_of(first), rest.join(" "))
            }
            _ => (None, words.join(" ")),
        };
        let Some((matched, region)) = lookup(&rest) else { continue };
        let laterality = match side {
            _ if region.is_midline() => None,
            Some(side) => Some(side),
            None if is_plural(matched) => Some(Laterality::Bilateral),
            None => None,
        };
        let site = BodySite { region, laterality };
        if !sites.contains(&site) {
            sites.push(site);
        }
    }
    if sites.iter().any(|s| s.region.is_spine()) {
        sites.retain(|s| s.region != Region::Back);
    }
    sites
}

fn side_of(word: &str) -> Option<Laterality> {
    match word.trim_end_matches('.') {
        "left" | "lt" | "l" => Some(Laterality::Left),
        "right" | "rt" | "r" => Some(Laterality::Right),
        "bilateral" | "bilat" | "bil" | "b/l" | "both" => Some(Laterality::Bilateral),
        _ => None,
    }
}

/// The vocabulary with hyphens and spaces removed, for "c spine" / "c-spine" / "cspine".
static SQUEEZED: LazyLock<Vec<(String, &'static str, Region)>> =
    LazyLock::new(|| VOCABULARY.iter().map(|(w, r)| (w.replace(['-', ' '], ""), *w, *r)).collect());

/// The vocabulary entry for a normalised region phrase ("low back", "c spine", "c-spine").
fn lookup(phrase: &str) -> Option<(&'static str, Region)> {
    if let Some(hit) = VOCABULARY.iter().find(|(w, _)| *w == phrase) {
        return Some(*hit);
    }
    let squeezed = phrase.replace(['-', ' '], "");
    SQUEEZED.iter().find(|(s, _, _)| *s == squeezed).map(|(_, w, r)| (*w, *r))
}

fn is_plural(word: &str) -> bool {
    matches!(word, "feet" | "calves") || (word.ends_with('s') && !word.ends_with("ss"))
}

/// A few SNOMED CT body-structure codes seen on therapy orders.
pub fn from_snomed(code: &str) -> Option<BodySite> {
    let (region, laterality) = match code {
        "36701003" => (Region::Knee, Some(Laterality::Bilateral)),
        "72696002" => (Region::Knee, None),
        "6757004" => (Region::Knee, Some(Laterality::Right)),
        "82169009" => (Region::Knee, Some(Laterality::Left)),
        "16982005" => (Region::Shoulder, None),
        "91775009" => (Region::Shoulder, Some(Laterality::Left)),
        "91774008" => (Region::Shoulder, Some(Laterality::Right)),
        "45048000" => (Region::Neck, None),
        "122496007" => (Region::LumbarSpine, None),
        "37822005" => (Region::LumbarSpine, None),
        "77568009" => (Region::Back, None),
        "122495006" => (Region::ThoracicSpine, None),
        "122494005" => (Region::Neck, None),
        "70258002" => (Region::Ankle, None),
        "29836001" => (Region::Hip, None),
        _ => return None,
    };
    Some(BodySite { region, laterality })
}

/// The region a diagnosis points to, by ICD-10-CM code (without dot), for prescriptions that
/// name a diagnosis but no body site.
pub fn from_icd10(code: &str) -> Option<BodySite> {
    let side = |c: Option<char>| match c {
        Some('1') => Some(Laterality::Right),
        Some('2') => Some(Laterality::Left),
        Some('3') => Some(Laterality::Bilateral),
        _ => None,
    };
    let sixth = code.chars().nth(5);
    let site = |region, laterality| Some(BodySite { region, laterality });
    match code {
        c if c.starts_with("M542") || c.starts_with("M5412") || c.starts_with("S134") || c.starts_with("M530") => {
            site(Region::Neck, None)
        }
        c if c.starts_with("M546") || c.starts_with("S233") => site(Region::ThoracicSpine, None),
        c if c.starts_with("M545") || c.starts_with("M543") || c.starts_with("M544") || c.starts_with("S335") => {
            site(Region::LumbarSpine, None)
        }
        c if c.starts_with("M6283") || c.starts_with("M549") => site(Region::Back, None),
        c if c.starts_with("M2551") => site(Region::Shoulder, side(sixth)),
        c if c.starts_with("M2555") => site(Region::Hip, side(sixth)),
        c if c.starts_with("M2556") => site(Region::Knee, side(sixth)),
        c if c.starts_with("M2557") => site(Region::Ankle, side(sixth)),
        c if c.starts_with("G442") || c.starts_with("G43") => site(Region::Head, None),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        find_body_sites(text).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn regions_and_sides() {
        assert_eq!(names("Area to treat: Lumbar spine / lower back"), ["lumbar spine"]);
        assert_eq!(names("low back"), ["lumbar spine"]);
        assert_eq!(names("CERVICAL"), ["neck"]);
        assert_eq!(names("focused on the neck and upper trapezius"), ["neck"]);
        assert_eq!(names("left shoulder"), ["left shoulder"]);
        assert_eq!(names("bilateral knees"), ["bilateral knee"]);
        assert_eq!(names("knees"), ["bilateral knee"]);
        assert_eq!(names("R ankle, Lt. wrist"), ["right ankle", "left wrist"]);
        assert_eq!(names("both feet"), ["bilateral foot"]);
        assert_eq!(names("back"), ["back"]);
        assert_eq!(names("low back and back"), ["lumbar spine"]);
        assert_eq!(names("Right arm"), ["right arm"]);
        assert_eq!(names("c-spine and T spine"), ["neck", "thoracic spine"]);
    }

    #[test]
    fn words_inside_other_words_are_not_regions() {
        assert!(names("cervicalgia").is_empty());
        assert!(names("Harbor Massage Clinic, backpack, handle").is_empty());
        assert!(names("left").is_empty());
    }

    #[test]
    fn diagnoses_and_snomed() {
        assert_eq!(from_icd10("M5450").unwrap().to_string(), "lumbar spine");
        assert_eq!(from_icd10("M542").unwrap().to_string(), "neck");
        assert_eq!(from_icd10("M25512").unwrap().to_string(), "left shoulder");
        assert_eq!(from_icd10("E840"), None);
        assert_eq!(from_snomed("36701003").unwrap().to_string(), "bilateral knee");
    }
}
