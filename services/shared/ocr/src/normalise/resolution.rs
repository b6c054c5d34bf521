//! The pixel density a page really has, so it can be brought to square pixels at 300 dpi.
//!
//! Fax pages come 1728 pixels wide at 204 dpi across, and 98 (standard) or 196 (fine) rows per
//! inch down: a standard page is squashed to half height and must be stretched before OCR.

use crate::decode::Resolution;

/// Tesseract's models are trained on text at about this density.
pub(crate) const TARGET_DPI: f32 = 300.0;

/// Horizontal density of every fax mode (T.4: 1728 pixels across 215 mm).
const FAX_DPI_X: f32 = 204.0;
/// Vertical density of standard-mode fax.
const FAX_STANDARD_DPI_Y: f32 = 98.0;

/// Declared densities are trusted only inside this range; anything else is a producer's default
/// or a lie (72 dpi is what many tools write when they do not know).
const CREDIBLE: std::ops::RangeInclusive<f32> = 100.0..=1200.0;
const CREDIBLE_Y: std::ops::RangeInclusive<f32> = 50.0..=1200.0;

/// Page widths a fax machine produces (A4/letter 1728, with a few pixels of slack either way).
fn is_fax_width(width: u32) -> bool {
    (1700..=1780).contains(&width)
}

/// Density across the page when nothing trustworthy is declared: fax widths are 204 dpi,
/// anything else is assumed to span a letter-size page (8.5 in).
fn guess_dpi_x(width: u32) -> f32 {
    if is_fax_width(width) { FAX_DPI_X } else { (width as f32 / 8.5).clamp(100.0, 600.0) }
}

/// Effective (horizontal, vertical) density of a `width` × `height` page.
pub(crate) fn effective_dpi(width: u32, height: u32, declared: Option<Resolution>) -> (f32, f32) {
    match declared {
        Some(r) if r.absolute && CREDIBLE.contains(&r.x) && CREDIBLE_Y.contains(&r.y) => (r.x, r.y),
        Some(r) if !r.absolute || !CREDIBLE.contains(&r.x) => {
            // only the aspect ratio is meaningful
            let x = guess_dpi_x(width);
            let aspect = (r.y / r.x).clamp(0.25, 4.0);
            (x, x * aspect)
        }
        _ => {
            let x = guess_dpi_x(width);
            // a letter or A4 page is taller than wide; a fax-width page that is much wider than
            // tall is a standard-mode page with half-height rows
            let standard = is_fax_width(width) && (height as f32) < width as f32 * 0.85;
            if standard { (x, FAX_STANDARD_DPI_Y) } else { (x, x) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_fax_resolutions_are_used() {
        let std = Resolution::new(204.0, 98.0, true);
        assert_eq!(effective_dpi(1728, 1100, std), (204.0, 98.0));
        let fine = Resolution::new(204.0, 196.0, true);
        assert_eq!(effective_dpi(1728, 2200, fine), (204.0, 196.0));
    }

    #[test]
    fn undeclared_standard_fax_is_detected_from_its_aspect() {
        assert_eq!(effective_dpi(1728, 1100, None), (204.0, 98.0));
        assert_eq!(effective_dpi(1734, 2156, None), (204.0, 204.0));
    }

    #[test]
    fn other_pages_are_assumed_letter_width_and_square() {
        assert_eq!(effective_dpi(2550, 3300, None), (300.0, 300.0));
        let odd = Resolution::new(72.0, 72.0, true);
        assert_eq!(effective_dpi(2550, 3300, odd), (300.0, 300.0));
    }

    #[test]
    fn aspect_only_resolution_keeps_the_ratio() {
        let aspect = Resolution::new(2.0, 1.0, false);
        assert_eq!(effective_dpi(1728, 1100, aspect), (204.0, 102.0));
    }
}
