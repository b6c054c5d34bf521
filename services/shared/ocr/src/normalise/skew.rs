//! Skew detection by projection profiles: the angle at which rows of ink line up best.

use image::GrayImage;

/// Largest skew searched for, in degrees; fax feeders rarely skew more.
const MAX_DEGREES: f32 = 5.0;

/// Skew of the text lines in degrees, positive when lines run downhill to the right (image y
/// grows downwards). `small` is a reduced copy of the page (~75 dpi is enough).
pub(crate) fn estimate(small: &GrayImage) -> f32 {
    let ink: Vec<(f32, f32)> =
        small.enumerate_pixels().filter(|(_, _, p)| p.0[0] < 160).map(|(x, y, _)| (x as f32, y as f32)).collect();
    // a blank or nearly blank page has no lines to align
    if ink.len() < 50 {
        return 0.0;
    }
    let height = small.height() as f32;
    let width = small.width() as f32;
    let score = |deg: f32| -> f64 {
        let t = deg.to_radians().tan();
        let offset = width * t.abs() + 1.0;
        let bins = (height + 2.0 * offset) as usize + 2;
        let mut hist = vec![0u32; bins];
        for &(x, y) in &ink {
            let r = (y - x * t + offset) as usize;
            if let Some(b) = hist.get_mut(r) {
                *b += 1;
            }
        }
        hist.windows(2)
            .map(|w| {
                let d = f64::from(w[1]) - f64::from(w[0]);
                d * d
            })
            .sum()
    };
    let best_in = |from: f32, to: f32, step: f32| -> f32 {
        let mut best = (f64::MIN, 0.0f32);
        let steps = ((to - from) / step).round() as i32;
        for i in 0..=steps {
            let deg = from + i as f32 * step;
            let s = score(deg);
            // prefer the smaller angle on ties so a straight page stays untouched
            if s > best.0 || (s == best.0 && deg.abs() < best.1.abs()) {
                best = (s, deg);
            }
        }
        best.1
    };
    let coarse = best_in(-MAX_DEGREES, MAX_DEGREES, 0.25);
    best_in(coarse - 0.25, coarse + 0.25, 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    /// Dashed lines of "text" drawn at `deg` degrees downhill.
    fn lines_at(deg: f32) -> GrayImage {
        let t = deg.to_radians().tan();
        let mut img = GrayImage::from_pixel(600, 400, Luma([255]));
        for line in 0..12 {
            let y0 = 40.0 + line as f32 * 28.0;
            for x in 20..580u32 {
                if (x / 7) % 5 == 4 {
                    continue;
                }
                for dy in 0..3 {
                    let y = (y0 + x as f32 * t) as u32 + dy;
                    if y < 400 {
                        img.put_pixel(x, y, Luma([0]));
                    }
                }
            }
        }
        img
    }

    #[test]
    fn finds_known_skews() {
        for deg in [-3.0f32, -1.5, 0.0, 1.0, 2.0, 4.0] {
            let got = estimate(&lines_at(deg));
            assert!((got - deg).abs() <= 0.15, "expected {deg}, got {got}");
        }
    }

    #[test]
    fn blank_page_is_not_skewed() {
        assert_eq!(estimate(&GrayImage::from_pixel(100, 100, Luma([255]))), 0.0);
    }
}
