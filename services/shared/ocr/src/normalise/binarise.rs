//! Black-and-white conversion (Otsu's threshold) and speckle removal (small isolated connected
//! components), the two clean-ups fax noise needs before OCR.

use image::GrayImage;

/// Components this small are noise at 300 dpi wherever they are: even a 6 pt full stop is
/// larger.
const TINY: usize = 3;

/// Otsu's threshold: the grey level that best separates ink from paper.
pub(crate) fn otsu(img: &GrayImage) -> u8 {
    let mut hist = [0u64; 256];
    for &p in img.as_raw() {
        hist[usize::from(p)] += 1;
    }
    let total: u64 = hist.iter().sum();
    if total == 0 {
        return 128;
    }
    let sum_all: f64 = hist.iter().enumerate().map(|(i, &c)| i as f64 * c as f64).sum();
    let (mut w_b, mut sum_b) = (0f64, 0f64);
    let (mut best, mut best_t) = (-1f64, 128u8);
    for (t, &c) in hist.iter().enumerate() {
        w_b += c as f64;
        if w_b == 0.0 {
            continue;
        }
        let w_f = total as f64 - w_b;
        if w_f == 0.0 {
            break;
        }
        sum_b += t as f64 * c as f64;
        let m_b = sum_b / w_b;
        let m_f = (sum_all - sum_b) / w_f;
        let between = w_b * w_f * (m_b - m_f) * (m_b - m_f);
        if between > best {
            best = between;
            best_t = t as u8;
        }
    }
    best_t
}

/// Sets pixels at or below `threshold` to black (0), the rest to white (255).
pub(crate) fn threshold(img: &mut GrayImage, threshold: u8) {
    for p in img.iter_mut() {
        *p = if *p <= threshold { 0 } else { 255 };
    }
}

/// Removes black connected components (8-connected) of at most `max_area` pixels that have no
/// other ink within `radius` pixels; tiny ones (≤ `TINY` pixels) go even when near text.
/// Isolation protects full stops and i-dots, which sit next to letters. Returns how many
/// components were removed.
pub(crate) fn despeckle(img: &mut GrayImage, max_area: usize, radius: u32) -> usize {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut label = vec![0u32; w * h];
    let mut next = 0u32;
    let mut removed = 0usize;
    let mut stack: Vec<usize> = Vec::new();
    let mut members: Vec<usize> = Vec::new();
    for start in 0..w * h {
        if img.as_raw().get(start) != Some(&0) || label[start] != 0 {
            continue;
        }
        next += 1;
        members.clear();
        stack.push(start);
        label[start] = next;
        // flood fill, but stop collecting once the component is clearly not a speckle
        while let Some(i) = stack.pop() {
            if members.len() <= max_area {
                members.push(i);
            }
            let (x, y) = (i % w, i / w);
            for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                    let j = ny * w + nx;
                    if label[j] == 0 && img.as_raw().get(j) == Some(&0) {
                        label[j] = next;
                        stack.push(j);
                    }
                }
            }
        }
        if members.len() > max_area {
            continue;
        }
        let tiny = members.len() <= TINY;
        if tiny || isolated(img.as_raw(), &label, w, h, &members, next, radius) {
            for &i in &members {
                if let Some(p) = img.get_mut(i) {
                    *p = 255;
                }
            }
            removed += 1;
        }
    }
    removed
}

/// True when no ink of another component lies within `radius` of the component's box.
/// Components not yet labelled (below and right) are still ink in the image, so the check
/// looks at the image and uses labels only to skip the component itself.
fn isolated(raw: &[u8], label: &[u32], w: usize, h: usize, members: &[usize], id: u32, radius: u32) -> bool {
    let r = radius as usize;
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for &i in members {
        let (x, y) = (i % w, i / w);
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    for y in y0.saturating_sub(r)..=(y1 + r).min(h - 1) {
        for x in x0.saturating_sub(r)..=(x1 + r).min(w - 1) {
            let i = y * w + x;
            if raw.get(i) == Some(&0) && label[i] != id {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    #[test]
    fn otsu_splits_two_levels() {
        let img = GrayImage::from_fn(10, 10, |x, _| Luma([if x < 3 { 20 } else { 230 }]));
        let t = otsu(&img);
        assert!((20..230).contains(&t));
    }

    #[test]
    fn isolated_speck_goes_but_full_stop_next_to_letter_stays() {
        let mut img = GrayImage::from_pixel(60, 30, Luma([255]));
        // a "letter": 4x10 bar
        for y in 5..15 {
            for x in 10..14 {
                img.put_pixel(x, y, Luma([0]));
            }
        }
        // a full stop 2x2 right after it
        for (x, y) in [(16, 13), (17, 13), (16, 14), (17, 14)] {
            img.put_pixel(x, y, Luma([0]));
        }
        // a lone 2x2 speck far away
        for (x, y) in [(50, 25), (51, 25), (50, 26), (51, 26)] {
            img.put_pixel(x, y, Luma([0]));
        }
        let removed = despeckle(&mut img, 8, 4);
        assert_eq!(removed, 1);
        assert_eq!(img.get_pixel(50, 25).0[0], 255);
        assert_eq!(img.get_pixel(16, 13).0[0], 0);
        assert_eq!(img.get_pixel(12, 10).0[0], 0);
    }
}
