//! Body sites as a prescription names them, and whether a prescribed site covers a treated one.
//!
//! A site is a [`Region`] plus an optional [`Laterality`]. Regions form a small explicit tree, and
//! a prescribed region covers itself and everything below it:
//!
//! ```text
//! whole_body
//! ├── head                     (face, jaw/TMJ, scalp)
//! ├── spine                    ("spine", "neck and back")
//! │   ├── cervical             (neck)
//! │   └── back                 ("back" alone: thoracic and lumbar, not the neck)
//! │       ├── thoracic         (mid/upper back)
//! │       └── lumbar           (lower back, lumbosacral, sacral/SI joint)
//! ├── chest                    (pectoral, ribs)
//! ├── arm                      (upper extremity)
//! │   └── shoulder, upper_arm, elbow, forearm, wrist, hand
//! └── leg                      (lower extremity)
//!     └── hip, thigh, knee, lower_leg, ankle, foot
//! ```
//!
//! "Back" deliberately leaves out the neck: prescriptions name the neck separately ("neck and
//! back"), so treating the neck on a "low back pain" order is out of scope.
//!
//! Laterality matters only for limb regions (arm and leg and their parts). A prescribed limb site
//! without a side, or `bilateral`, covers either side; `left` covers only `left` (a treated limb
//! site with no side is not covered by a one-sided prescription, since the side cannot be shown).
//! For the head, spine and chest the side is ignored.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ClaimsError;

/// A body region of the scope hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    WholeBody,
    Head,
    Spine,
    Cervical,
    Back,
    Thoracic,
    Lumbar,
    Chest,
    Arm,
    Shoulder,
    UpperArm,
    Elbow,
    Forearm,
    Wrist,
    Hand,
    Leg,
    Hip,
    Thigh,
    Knee,
    LowerLeg,
    Ankle,
    Foot,
}

impl Region {
    /// The region directly above this one; `None` for the whole body.
    pub fn parent(self) -> Option<Region> {
        use Region::*;
        match self {
            WholeBody => None,
            Head | Spine | Chest | Arm | Leg => Some(WholeBody),
            Cervical | Back => Some(Spine),
            Thoracic | Lumbar => Some(Back),
            Shoulder | UpperArm | Elbow | Forearm | Wrist | Hand => Some(Arm),
            Hip | Thigh | Knee | LowerLeg | Ankle | Foot => Some(Leg),
        }
    }

    /// Whether `other` is this region or lies below it.
    pub fn contains(self, other: Region) -> bool {
        let mut current = Some(other);
        while let Some(r) = current {
            if r == self {
                return true;
            }
            current = r.parent();
        }
        false
    }

    /// Limb regions come in a left and a right one; the others are midline.
    pub fn is_paired(self) -> bool {
        Region::Arm.contains(self) || Region::Leg.contains(self)
    }

    /// Words used when the site is shown to a person.
    pub fn label(self) -> &'static str {
        use Region::*;
        match self {
            WholeBody => "whole body",
            Head => "head",
            Spine => "spine",
            Cervical => "cervical spine",
            Back => "back",
            Thoracic => "thoracic spine",
            Lumbar => "lumbar spine",
            Chest => "chest",
            Arm => "arm",
            Shoulder => "shoulder",
            UpperArm => "upper arm",
            Elbow => "elbow",
            Forearm => "forearm",
            Wrist => "wrist",
            Hand => "hand",
            Leg => "leg",
            Hip => "hip",
            Thigh => "thigh",
            Knee => "knee",
            LowerLeg => "lower leg",
            Ankle => "ankle",
            Foot => "foot",
        }
    }
}

/// Which side of the body a limb site is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Laterality {
    Left,
    Right,
    Bilateral,
}

/// A region and, for limbs, a side: "left ankle", "lumbar spine".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BodySite {
    pub region: Region,
    pub laterality: Option<Laterality>,
}

/// Phrases (after laterality words and filler are removed) and the region each names.
const SYNONYMS: &[(&str, Region)] = &[
    ("whole body", Region::WholeBody),
    ("full body", Region::WholeBody),
    ("total body", Region::WholeBody),
    ("body", Region::WholeBody),
    ("head", Region::Head),
    ("face", Region::Head),
    ("jaw", Region::Head),
    ("tmj", Region::Head),
    ("temporomandibular", Region::Head),
    ("scalp", Region::Head),
    ("spine", Region::Spine),
    ("spinal", Region::Spine),
    ("entire spine", Region::Spine),
    ("whole spine", Region::Spine),
    ("neck back", Region::Spine),
    ("back neck", Region::Spine),
    ("cervical", Region::Cervical),
    ("cervical spine", Region::Cervical),
    ("c spine", Region::Cervical),
    ("neck", Region::Cervical),
    ("back", Region::Back),
    ("thoracic", Region::Thoracic),
    ("thoracic spine", Region::Thoracic),
    ("t spine", Region::Thoracic),
    ("mid back", Region::Thoracic),
    ("middle back", Region::Thoracic),
    ("midback", Region::Thoracic),
    ("upper back", Region::Thoracic),
    ("lumbar", Region::Lumbar),
    ("lumbar spine", Region::Lumbar),
    ("l spine", Region::Lumbar),
    ("lower back", Region::Lumbar),
    ("low back", Region::Lumbar),
    ("lumbosacral", Region::Lumbar),
    ("lumbosacral spine", Region::Lumbar),
    ("sacral", Region::Lumbar),
    ("sacroiliac", Region::Lumbar),
    ("si", Region::Lumbar),
    ("chest", Region::Chest),
    ("pectoral", Region::Chest),
    ("ribs", Region::Chest),
    ("rib cage", Region::Chest),
    ("arm", Region::Arm),
    ("upper extremity", Region::Arm),
    ("upper limb", Region::Arm),
    ("shoulder", Region::Shoulder),
    ("upper arm", Region::UpperArm),
    ("elbow", Region::Elbow),
    ("forearm", Region::Forearm),
    ("wrist", Region::Wrist),
    ("hand", Region::Hand),
    ("leg", Region::Leg),
    ("lower extremity", Region::Leg),
    ("lower limb", Region::Leg),
    ("hip", Region::Hip),
    ("gluteal", Region::Hip),
    ("buttock", Region::Hip),
    ("thigh", Region::Thigh),
    ("hamstring", Region::Thigh),
    ("knee", Region::Knee),
    ("lower leg", Region::LowerLeg),
    ("calf", Region::LowerLeg),
    ("calves", Region::LowerLeg),
    ("shin", Region::LowerLeg),
    ("ankle", Region::Ankle),
    ("foot", Region::Foot),
    ("feet", Region::Foot),
    ("heel", Region::Foot),
];

/// Words that carry no region: dropped before the phrase is looked up.
const FILLER: &[&str] = &["the", "of", "and", "region", "area", "muscle", "muscles", "joint", "side", "sided"];

impl BodySite {
    /// A site without a side.
    pub fn new(region: Region) -> Self {
        Self { region, laterality: None }
    }

    /// A site on one side (or both).
    pub fn sided(region: Region, laterality: Laterality) -> Self {
        Self { region, laterality: Some(laterality) }
    }

    /// Reads one site from prescription text: "lumbar spine", "Lt ankle", "both knees",
    /// "left and right shoulder". Plural limb words ("knees") mean both sides.
    pub fn parse(text: &str) -> Result<Self, ClaimsError> {
        let lowered = text.to_lowercase().replace("s.i.", "si");
        let cleaned: String = lowered.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' }).collect();
        let (mut left, mut right, mut both) = (false, false, false);
        let mut words: Vec<&str> = Vec::new();
        for w in cleaned.split_whitespace() {
            match w {
                "l" if is_spine_letter(&cleaned) => words.push(w),
                "left" | "lt" | "l" => left = true,
                "right" | "rt" | "r" => right = true,
                "bilateral" | "bilat" | "both" | "bl" => both = true,
                _ if FILLER.contains(&w) => {}
                _ => words.push(w),
            }
        }
        let phrase = words.join(" ");
        let (region, plural) = lookup(&phrase).ok_or(ClaimsError::UnknownBodySite)?;
        let laterality = if both || plural || (left && right) {
            Some(Laterality::Bilateral)
        } else if left {
            Some(Laterality::Left)
        } else if right {
            Some(Laterality::Right)
        } else {
            None
        };
        Ok(Self { region, laterality })
    }

    /// Reads a list of sites: "neck, lower back", "left knee and right ankle". A phrase that is
    /// one site as a whole ("neck and back") is read as that one site.
    pub fn parse_list(text: &str) -> Result<Vec<Self>, ClaimsError> {
        if let Ok(one) = Self::parse(text) {
            return Ok(vec![one]);
        }
        let lowered = text.to_lowercase();
        let parts: Vec<&str> = lowered
            .split([',', ';', '/', '&', '+'])
            .flat_map(|p| p.split(" and "))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if parts.is_empty() {
            return Err(ClaimsError::UnknownBodySite);
        }
        parts.into_iter().map(Self::parse).collect()
    }

    /// Whether treating `treated` is within this prescribed site (see the module docs).
    pub fn covers(&self, treated: &BodySite) -> bool {
        if !self.region.contains(treated.region) {
            return false;
        }
        if !self.region.is_paired() || !treated.region.is_paired() {
            return true;
        }
        match (self.laterality, treated.laterality) {
            (None | Some(Laterality::Bilateral), _) => true,
            (Some(prescribed), Some(done)) => prescribed == done,
            (Some(_), None) => false,
        }
    }
}

/// "L spine": a lone "l" right before "spine" names the lumbar spine, not the left side.
fn is_spine_letter(cleaned: &str) -> bool {
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    words.windows(2).any(|w| matches!(w, ["l", "spine"]))
}

/// Finds the region for a phrase, trying the singular of a plural last word ("knees").
fn lookup(phrase: &str) -> Option<(Region, bool)> {
    if let Some((_, r)) = SYNONYMS.iter().find(|(p, _)| *p == phrase) {
        let plural = matches!(phrase, "feet" | "calves");
        return Some((*r, plural));
    }
    let singular = phrase.strip_suffix('s')?;
    let (_, r) = SYNONYMS.iter().find(|(p, _)| *p == singular)?;
    r.is_paired().then_some((*r, true))
}

impl fmt::Display for BodySite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.laterality {
            Some(Laterality::Left) => write!(f, "left {}", self.region.label()),
            Some(Laterality::Right) => write!(f, "right {}", self.region.label()),
            Some(Laterality::Bilateral) => write!(f, "bilateral {}", self.region.label()),
            None => f.write_str(self.region.label()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Laterality::*;
    use super::Region::*;
    use super::*;

    fn site(text: &str) -> Result<BodySite, ClaimsError> {
        BodySite::parse(text)
    }

    #[test]
    fn parses_common_prescription_wording() -> Result<(), ClaimsError> {
        assert_eq!(site("Lumbar spine")?, BodySite::new(Lumbar));
        assert_eq!(site("lower back")?, BodySite::new(Lumbar));
        assert_eq!(site("L-spine")?, BodySite::new(Lumbar));
        assert_eq!(site("Lt. ankle")?, BodySite::sided(Ankle, Left));
        assert_eq!(site("RIGHT shoulder")?, BodySite::sided(Shoulder, Right));
        assert_eq!(site("both knees")?, BodySite::sided(Knee, Bilateral));
        assert_eq!(site("knees")?, BodySite::sided(Knee, Bilateral));
        assert_eq!(site("left and right hip")?, BodySite::sided(Hip, Bilateral));
        assert_eq!(site("neck")?, BodySite::new(Cervical));
        assert_eq!(site("neck and back")?, BodySite::new(Spine));
        assert_eq!(site("upper back")?, BodySite::new(Thoracic));
        assert_eq!(site("S.I. joint")?, BodySite::new(Lumbar));
        assert_eq!(site("full body")?, BodySite::new(WholeBody));
        assert_eq!(site("calves")?, BodySite::sided(LowerLeg, Bilateral));
        assert_eq!(site("spleen"), Err(ClaimsError::UnknownBodySite));
        assert_eq!(site("left"), Err(ClaimsError::UnknownBodySite));
        assert_eq!(site(""), Err(ClaimsError::UnknownBodySite));
        // a plural of a midline region is not a thing
        assert_eq!(site("necks"), Err(ClaimsError::UnknownBodySite));
        Ok(())
    }

    #[test]
    fn parses_lists() -> Result<(), ClaimsError> {
        assert_eq!(BodySite::parse_list("neck, lower back")?, vec![BodySite::new(Cervical), BodySite::new(Lumbar)]);
        assert_eq!(
            BodySite::parse_list("left knee and right ankle")?,
            vec![BodySite::sided(Knee, Left), BodySite::sided(Ankle, Right)]
        );
        assert_eq!(BodySite::parse_list("neck and back")?, vec![BodySite::new(Spine)]);
        assert_eq!(BodySite::parse_list(" , "), Err(ClaimsError::UnknownBodySite));
        assert_eq!(BodySite::parse_list("neck, liver"), Err(ClaimsError::UnknownBodySite));
        Ok(())
    }

    #[test]
    fn lumbar_prescription_covers_lower_back_only() -> Result<(), ClaimsError> {
        let rx = site("lumbar spine")?;
        assert!(rx.covers(&site("lower back")?));
        assert!(rx.covers(&site("lumbar")?));
        assert!(!rx.covers(&site("neck")?));
        assert!(!rx.covers(&site("upper back")?));
        // broader than prescribed is out of scope
        assert!(!rx.covers(&site("back")?));
        Ok(())
    }

    #[test]
    fn left_ankle_covers_neither_right_ankle_nor_lower_back() -> Result<(), ClaimsError> {
        let rx = site("left ankle")?;
        assert!(rx.covers(&site("left ankle")?));
        assert!(!rx.covers(&site("right ankle")?));
        assert!(!rx.covers(&site("ankle")?));
        assert!(!rx.covers(&site("both ankles")?));
        assert!(!rx.covers(&site("lower back")?));
        assert!(!rx.covers(&site("left foot")?));
        Ok(())
    }

    #[test]
    fn back_covers_thoracic_and_lumbar_but_not_neck() -> Result<(), ClaimsError> {
        let rx = site("back")?;
        assert!(rx.covers(&site("mid back")?));
        assert!(rx.covers(&site("lower back")?));
        assert!(!rx.covers(&site("neck")?));
        let spine = site("spine")?;
        assert!(spine.covers(&site("neck")?));
        assert!(spine.covers(&site("low back")?));
        assert!(!spine.covers(&site("left shoulder")?));
        Ok(())
    }

    #[test]
    fn limb_without_side_or_bilateral_covers_either_side() -> Result<(), ClaimsError> {
        for rx in ["knee", "bilateral knees"] {
            let rx = site(rx)?;
            assert!(rx.covers(&site("left knee")?));
            assert!(rx.covers(&site("right knee")?));
            assert!(rx.covers(&site("knee")?));
        }
        let leg = site("right leg")?;
        assert!(leg.covers(&site("right calf")?));
        assert!(!leg.covers(&site("left calf")?));
        let body = site("whole body")?;
        assert!(body.covers(&site("left ankle")?));
        assert!(body.covers(&site("neck")?));
        Ok(())
    }

    #[test]
    fn side_is_ignored_for_midline_regions() -> Result<(), ClaimsError> {
        let rx = site("lumbar")?;
        assert!(rx.covers(&BodySite::sided(Lumbar, Left)));
        let rx = BodySite::sided(Back, Right);
        assert!(rx.covers(&BodySite::sided(Lumbar, Left)));
        Ok(())
    }

    const REGIONS: [Region; 22] = [
        WholeBody, Head, Spine, Cervical, Back, Thoracic, Lumbar, Chest, Arm, Shoulder, UpperArm, Elbow, Forearm,
        Wrist, Hand, Leg, Hip, Thigh, Knee, LowerLeg, Ankle, Foot,
    ];

    #[test]
    fn every_site_survives_display_then_parse() -> Result<(), ClaimsError> {
        for region in REGIONS {
            for laterality in [None, Some(Left), Some(Right), Some(Bilateral)] {
                let s = BodySite { region, laterality };
                assert_eq!(site(&s.to_string())?, s, "{s}");
                // a site always covers itself, and the whole body covers it
                assert!(s.covers(&s), "{s}");
                assert!(BodySite::new(WholeBody).covers(&s), "{s}");
            }
        }
        Ok(())
    }

    #[test]
    fn coverage_follows_the_tree() {
        for rx in REGIONS {
            for treated in REGIONS {
                let covered = BodySite::new(rx).covers(&BodySite::new(treated));
                assert_eq!(covered, rx.contains(treated), "{rx:?} / {treated:?}");
                if rx != treated && covered {
                    assert!(!treated.contains(rx), "cycle between {rx:?} and {treated:?}");
                }
            }
        }
    }

    #[test]
    fn every_region_is_under_the_whole_body_and_labels_parse_back() -> Result<(), ClaimsError> {
        for (_, r) in SYNONYMS {
            assert!(WholeBody.contains(*r));
            assert_eq!(site(r.label())?.region, *r, "label of {r:?}");
        }
        assert_eq!(BodySite::sided(Ankle, Left).to_string(), "left ankle");
        Ok(())
    }
}
