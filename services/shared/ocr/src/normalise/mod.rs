//! Page clean-up before OCR: square pixels at 300 dpi, deskew, black and white, no speckle.

mod binarise;
mod resolution;
mod skew;
mod warp;

use image::GrayImage;
use image::imageops::{self, FilterType};

use crate::decode::{SourcePage, check_pixels};
use crate::{Limits, OcrError};

pub(crate) use resolution::TARGET_DPI;

/// Speckle size at 300 dpi: components this small that float alone are noise, not full stops
/// (a 10 pt full stop is about 25 pixels).
const SPECKLE_MAX_AREA: usize = 12;
/// Distance within which a small component counts as part of nearby text.
const SPECKLE_RADIUS: u32 = 6;

/// A page ready for Tesseract.
#[derive(Debug, Clone)]
pub(crate) struct Normalised {
    /// Binary image, 0 ink and 255 paper, square pixels at `TARGET_DPI`.
    pub image: GrayImage,
    /// The skew that was removed, in degrees.
    pub skew_degrees: f32,
}

/// Brings a decoded page to what Tesseract reads best.
pub(crate) fn normalise(src: SourcePage, page: usize, limits: &Limits) -> Result<Normalised, OcrError> {
    let (w, h) = src.gray.dimensions();
    let (dpi_x, dpi_y) = resolution::effective_dpi(w, h, src.resolution);
    let (mut sx, mut sy) = (TARGET_DPI / dpi_x, TARGET_DPI / dpi_y);
    let out_w = (w as f32 * sx).round() as u64;
    let out_h = (h as f32 * sy).round() as u64;
    check_pixels(page, out_w, out_h, limits)?;
    let mut gray = src.gray;
    // bilinear sampling aliases when shrinking a lot: shrink with an area filter first
    if sx < 0.6 || sy < 0.6 {
        gray = imageops::resize(&gray, out_w as u32, out_h as u32, FilterType::Triangle);
        sx = 1.0;
        sy = 1.0;
    }
    // skew is measured on a ~75 dpi copy: plenty for text lines, 16× fewer pixels
    let (gw, gh) = gray.dimensions();
    let small_w = ((gw as f32 * sx / 4.0).round() as u32).max(1);
    let small_h = ((gh as f32 * sy / 4.0).round() as u32).max(1);
    let small = imageops::thumbnail(&gray, small_w, small_h);
    let mut skew_degrees = skew::estimate(&small);
    if skew_degrees.abs() < 0.1 {
        skew_degrees = 0.0;
    }
    let mut image = warp::scale_and_rotate(&gray, sx, sy, skew_degrees);
    // keep the threshold inside sane bounds so a blank page does not turn grey paper black
    let t = binarise::otsu(&image).clamp(60, 200);
    binarise::threshold(&mut image, t);
    binarise::despeckle(&mut image, SPECKLE_MAX_AREA, SPECKLE_RADIUS);
    Ok(Normalised { image, skew_degrees })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Resolution;
    use image::Luma;

    #[test]
    fn standard_fax_page_is_stretched_to_square_300_dpi() {
        let mut gray = GrayImage::from_pixel(1728, 1100, Luma([255]));
        for x in 100..400 {
            gray.put_pixel(x, 500, Luma([0]));
        }
        let src = SourcePage { gray, resolution: Resolution::new(204.0, 98.0, true) };
        let n = normalise(src, 1, &Limits::default());
        let dims = n.map(|n| n.image.dimensions()).ok();
        assert_eq!(dims, Some((2541, 3367)));
    }

    #[test]
    fn output_is_binary_and_size_limited() {
        let gray = GrayImage::from_fn(400, 500, |x, y| Luma([((x + y) % 256) as u8]));
        let src = SourcePage { gray: gray.clone(), resolution: Resolution::new(300.0, 300.0, true) };
        let n = normalise(src, 1, &Limits::default());
        assert!(matches!(&n, Ok(n) if n.image.as_raw().iter().all(|&p| p == 0 || p == 255)));
        let tiny = Limits { max_pixels_per_page: 1000, ..Limits::default() };
        let src = SourcePage { gray, resolution: Resolution::new(100.0, 100.0, true) };
        assert!(matches!(normalise(src, 3, &tiny), Err(OcrError::PageTooLarge { page: 3, .. })));
    }
}
