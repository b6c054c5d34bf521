//! Turning page images of every supported container and codec into one grey raster type.

pub(crate) mod ccitt;
pub(crate) mod density;
pub(crate) mod raster;
pub(crate) mod tiff;

use image::GrayImage;

use crate::{Limits, OcrError};

/// Pixel density of a page as the file declares it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Resolution {
    /// Horizontal pixels per inch (or per unit when `absolute` is false).
    pub x: f32,
    /// Vertical pixels per inch (or per unit when `absolute` is false).
    pub y: f32,
    /// False when the file gives only an aspect ratio (TIFF unit 1, JFIF unit 0).
    pub absolute: bool,
}

impl Resolution {
    /// Rejects zero, negative, NaN and absurd values so later arithmetic stays finite.
    pub(crate) fn new(x: f32, y: f32, absolute: bool) -> Option<Self> {
        let sane = |v: f32| v.is_finite() && v > 0.5 && v < 100_000.0;
        (sane(x) && sane(y)).then_some(Self { x, y, absolute })
    }
}

/// One decoded page: 8-bit grey, 0 black, 255 white.
#[derive(Debug, Clone)]
pub(crate) struct SourcePage {
    pub gray: GrayImage,
    pub resolution: Option<Resolution>,
}

/// Refuses a page whose declared size exceeds the pixel limit; called with header values,
/// before the pixel data is inflated.
pub(crate) fn check_pixels(page: usize, width: u64, height: u64, limits: &Limits) -> Result<(), OcrError> {
    if width == 0 || height == 0 || width.saturating_mul(height) > limits.max_pixels_per_page {
        return Err(OcrError::PageTooLarge { page, width, height, limit: limits.max_pixels_per_page });
    }
    Ok(())
}

/// Unpacks 1-bit rows (MSB first, each row padded to a byte) into grey; `one_is_white` says
/// what a set bit means.
pub(crate) fn gray_from_bits(width: u32, height: u32, packed: &[u8], one_is_white: bool) -> Option<GrayImage> {
    let stride = (width as usize).div_ceil(8);
    if packed.len() < stride.checked_mul(height as usize)? {
        return None;
    }
    let (on, off) = if one_is_white { (255, 0) } else { (0, 255) };
    let mut out = Vec::with_capacity(width as usize * height as usize);
    for row in packed.chunks(stride).take(height as usize) {
        for x in 0..width as usize {
            let byte = row.get(x / 8).copied().unwrap_or(0);
            out.push(if (byte >> (7 - x % 8)) & 1 == 1 { on } else { off });
        }
    }
    GrayImage::from_raw(width, height, out)
}

/// Fax pages are mostly paper: when more than half the page is dark the photometric flag was
/// wrong (a common fault of fax gateways), so the page is inverted back.
pub(crate) fn fix_inverted(gray: &mut GrayImage) {
    let pixels = gray.as_raw().len().max(1);
    let dark = gray.as_raw().iter().filter(|&&v| v < 128).count();
    if dark * 2 > pixels {
        image::imageops::invert(gray);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_limit_applies_to_the_product() {
        let limits = Limits { max_pixels_per_page: 100, ..Limits::default() };
        assert!(check_pixels(1, 10, 10, &limits).is_ok());
        assert!(matches!(check_pixels(2, 10, 11, &limits), Err(OcrError::PageTooLarge { page: 2, .. })));
        assert!(check_pixels(1, 0, 10, &limits).is_err());
        assert!(check_pixels(1, u64::MAX, u64::MAX, &limits).is_err());
    }

    #[test]
    fn bits_unpack_with_row_padding() {
        // width 3: one byte per row, only the top three bits count
        let img = gray_from_bits(3, 2, &[0b1010_0000, 0b0101_1111], true);
        assert_eq!(img.map(|i| i.into_raw()), Some(vec![255, 0, 255, 0, 255, 0]));
        assert!(gray_from_bits(9, 2, &[0, 0, 0], true).is_none());
    }

    #[test]
    fn mostly_black_page_is_inverted() {
        let mut img = GrayImage::from_raw(4, 1, vec![0, 0, 0, 255]).unwrap_or_default();
        fix_inverted(&mut img);
        assert_eq!(img.into_raw(), vec![255, 255, 255, 0]);
    }

    #[test]
    fn resolution_rejects_nonsense() {
        assert!(Resolution::new(204.0, 98.0, true).is_some());
        assert!(Resolution::new(0.0, 98.0, true).is_none());
        assert!(Resolution::new(f32::NAN, 98.0, true).is_none());
        assert!(Resolution::new(204.0, f32::INFINITY, true).is_none());
    }
}
