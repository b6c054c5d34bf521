//! One resampling pass that both scales a page to square 300 dpi pixels and rotates out its
//! skew, so the page is interpolated once instead of twice.

use image::{GrayImage, Luma};

/// Resamples `src` by `sx` × `sy` and rotates the content by `-skew_deg` (undoing a skew of
/// `skew_deg`) about the page centre, bilinearly; area outside the source becomes white paper.
pub(crate) fn scale_and_rotate(src: &GrayImage, sx: f32, sy: f32, skew_deg: f32) -> GrayImage {
    let (sw, sh) = src.dimensions();
    let out_w = ((sw as f32 * sx).round() as u32).max(1);
    let out_h = ((sh as f32 * sy).round() as u32).max(1);
    let (sin, cos) = skew_deg.to_radians().sin_cos();
    let (cx, cy) = (out_w as f32 / 2.0, out_h as f32 / 2.0);
    let raw = src.as_raw();
    let stride = sw as usize;
    let at = |x: i64, y: i64| -> f32 {
        if x < 0 || y < 0 || x >= i64::from(sw) || y >= i64::from(sh) {
            255.0
        } else {
            f32::from(raw.get(y as usize * stride + x as usize).copied().unwrap_or(255))
        }
    };
    let mut out = Vec::with_capacity(out_w as usize * out_h as usize);
    for oy in 0..out_h {
        let dy = oy as f32 + 0.5 - cy;
        for ox in 0..out_w {
            let dx = ox as f32 + 0.5 - cx;
            // output → input: rotate by +skew in the 300 dpi frame, then unscale
            let u = cx + dx * cos - dy * sin;
            let v = cy + dx * sin + dy * cos;
            let fx = u / sx - 0.5;
            let fy = v / sy - 0.5;
            let (x0, y0) = (fx.floor(), fy.floor());
            let (ax, ay) = (fx - x0, fy - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            let top = at(x0, y0) * (1.0 - ax) + at(x0 + 1, y0) * ax;
            let bottom = at(x0, y0 + 1) * (1.0 - ax) + at(x0 + 1, y0 + 1) * ax;
            out.push((top * (1.0 - ay) + bottom * ay).round() as u8);
        }
    }
    GrayImage::from_raw(out_w, out_h, out).unwrap_or_else(|| GrayImage::from_pixel(1, 1, Luma([255])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_height_of_standard_rows() {
        let mut src = GrayImage::from_pixel(10, 5, Luma([255]));
        src.put_pixel(4, 2, Luma([0]));
        let out = scale_and_rotate(&src, 1.0, 2.0, 0.0);
        assert_eq!(out.dimensions(), (10, 10));
        // the dark pixel now covers rows 4 and 5 around x = 4
        assert!(out.get_pixel(4, 4).0[0] < 128);
        assert!(out.get_pixel(4, 5).0[0] < 128);
        assert_eq!(out.get_pixel(4, 0).0[0], 255);
    }

    #[test]
    fn identity_keeps_pixels() {
        let src = GrayImage::from_fn(7, 3, |x, y| Luma([(x * 30 + y) as u8]));
        assert_eq!(scale_and_rotate(&src, 1.0, 1.0, 0.0), src);
    }

    #[test]
    fn rotation_moves_right_side_down_for_negative_skew() {
        // a horizontal bar rotated so that it runs downhill to the right (skew -(-2) undone)
        let mut src = GrayImage::from_pixel(200, 100, Luma([255]));
        for x in 0..200 {
            src.put_pixel(x, 50, Luma([0]));
        }
        let out = scale_and_rotate(&src, 1.0, 1.0, -3.0);
        let ink_row = |x: u32| (0..100).find(|&y| out.get_pixel(x, y).0[0] < 128);
        let (left, right) = (ink_row(20), ink_row(180));
        assert!(matches!((left, right), (Some(l), Some(r)) if r > l + 4), "{left:?} {right:?}");
    }
}
