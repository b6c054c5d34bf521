//! Single-image PNG and JPEG pages through the `image` crate, size-checked from the header.

use std::io::Cursor;

use image::{DynamicImage, GrayImage, ImageFormat, ImageReader};

use super::{SourcePage, check_pixels, density, fix_inverted};
use crate::{DocumentKind, Limits, OcrError};

fn malformed(kind: DocumentKind, page: usize, e: &image::ImageError) -> OcrError {
    match e {
        image::ImageError::Unsupported(u) => OcrError::UnsupportedCodec { page, codec: u.to_string() },
        other => OcrError::MalformedImage { kind, page, reason: other.to_string() },
    }
}

/// Decodes a PNG or JPEG document (always one page), or a JPEG/PNG embedded in a PDF page.
pub(crate) fn decode(bytes: &[u8], kind: DocumentKind, page: usize, limits: &Limits) -> Result<SourcePage, OcrError> {
    let format = if kind == DocumentKind::Png { ImageFormat::Png } else { ImageFormat::Jpeg };
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| malformed(kind, page, &e))?;
    check_pixels(page, u64::from(w), u64::from(h), limits)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut il = image::Limits::default();
    il.max_alloc = Some(limits.max_pixels_per_page.saturating_mul(8));
    reader.limits(il);
    let img = reader.decode().map_err(|e| malformed(kind, page, &e))?;
    let mut gray = flatten_on_white(img);
    fix_inverted(&mut gray);
    let resolution = match kind {
        DocumentKind::Png => density::png_resolution(bytes),
        _ => density::jpeg_resolution(bytes),
    };
    Ok(SourcePage { gray, resolution })
}

/// Grey with transparency composited onto white paper, so a transparent background does not
/// turn black.
pub(crate) fn flatten_on_white(img: DynamicImage) -> GrayImage {
    if !img.color().has_alpha() {
        return img.into_luma8();
    }
    let la = img.into_luma_alpha8();
    let (w, h) = la.dimensions();
    let data = la
        .pixels()
        .map(|p| {
            let [l, a] = p.0;
            let (l, a) = (u32::from(l), u32::from(a));
            ((l * a + 255 * (255 - a)) / 255) as u8
        })
        .collect();
    GrayImage::from_raw(w, h, data).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, LumaA};

    #[test]
    fn transparent_background_becomes_white() {
        let img = image::ImageBuffer::from_fn(2, 1, |x, _| if x == 0 { LumaA([0u8, 0]) } else { LumaA([0u8, 255]) });
        let gray = flatten_on_white(DynamicImage::ImageLumaA8(img));
        assert_eq!(gray.into_raw(), vec![255, 0]);
    }

    #[test]
    fn header_size_is_checked_before_decoding() {
        let mut png = Vec::new();
        let img = GrayImage::from_pixel(300, 200, image::Luma([255]));
        let enc = image::codecs::png::PngEncoder::new(&mut png);
        assert!(enc.write_image(img.as_raw(), 300, 200, image::ExtendedColorType::L8).is_ok());
        let small = Limits { max_pixels_per_page: 10_000, ..Limits::default() };
        assert!(matches!(
            decode(&png, DocumentKind::Png, 1, &small),
            Err(OcrError::PageTooLarge { width: 300, height: 200, .. })
        ));
        let page = decode(&png, DocumentKind::Png, 1, &Limits::default());
        assert_eq!(page.map(|p| p.gray.dimensions()).ok(), Some((300, 200)));
    }
}
