//! Declared pixel density of PNG (`pHYs`) and JPEG (JFIF `APP0`) files, read from the raw
//! bytes because the image decoder does not expose it.

use super::Resolution;

/// The `pHYs` chunk of a PNG, if present and sane.
pub(crate) fn png_resolution(bytes: &[u8]) -> Option<Resolution> {
    let mut pos = 8usize;
    // chunks are length, type, data, crc; pHYs must come before the first IDAT
    while let Some(header) = bytes.get(pos..pos + 8) {
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = &header[4..8];
        let data = bytes.get(pos + 8..(pos + 8).checked_add(len)?)?;
        if kind == b"pHYs" && data.len() == 9 {
            let x = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as f32;
            let y = u32::from_be_bytes([data[4], data[5], data[6], data[7]]) as f32;
            return if data[8] == 1 {
                // pixels per metre
                Resolution::new(x * 0.0254, y * 0.0254, true)
            } else {
                Resolution::new(x, y, false)
            };
        }
        if kind == b"IDAT" || kind == b"IEND" {
            return None;
        }
        pos = pos.checked_add(12)?.checked_add(len)?;
    }
    None
}

/// The JFIF density of a JPEG, if the file starts with a JFIF `APP0` segment.
pub(crate) fn jpeg_resolution(bytes: &[u8]) -> Option<Resolution> {
    // SOI, then APP0 marker, length, "JFIF\0", version (2), units, xdensity, ydensity
    let seg = bytes.get(2..18)?;
    if seg[0] != 0xFF || seg[1] != 0xE0 || &seg[4..9] != b"JFIF\0" {
        return None;
    }
    let units = seg[11];
    let x = f32::from(u16::from_be_bytes([seg[12], seg[13]]));
    let y = f32::from(u16::from_be_bytes([seg[14], seg[15]]));
    match units {
        1 => Resolution::new(x, y, true),
        2 => Resolution::new(x * 2.54, y * 2.54, true),
        _ => Resolution::new(x, y, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_with_phys(x: u32, y: u32, unit: u8) -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
        v.extend_from_slice(&13u32.to_be_bytes());
        v.extend_from_slice(b"IHDR");
        v.extend_from_slice(&[0; 13]);
        v.extend_from_slice(&[0; 4]);
        v.extend_from_slice(&9u32.to_be_bytes());
        v.extend_from_slice(b"pHYs");
        v.extend_from_slice(&x.to_be_bytes());
        v.extend_from_slice(&y.to_be_bytes());
        v.push(unit);
        v.extend_from_slice(&[0; 4]);
        v
    }

    #[test]
    fn png_phys_in_metres_becomes_dpi() {
        let r = png_resolution(&png_with_phys(8031, 3858, 1));
        let r = r.map(|r| (r.x.round(), r.y.round(), r.absolute));
        assert_eq!(r, Some((204.0, 98.0, true)));
    }

    #[test]
    fn png_without_phys_or_truncated_has_none() {
        let mut v = png_with_phys(1, 1, 1);
        v.truncate(30);
        assert_eq!(png_resolution(&v), None);
        assert_eq!(png_resolution(b"\x89PNG\r\n\x1a\n"), None);
    }

    #[test]
    fn jfif_density_units() {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
        v.extend_from_slice(b"JFIF\0");
        v.extend_from_slice(&[1, 1, 1, 0, 200, 0, 100]);
        let r = jpeg_resolution(&v).map(|r| (r.x, r.y, r.absolute));
        assert_eq!(r, Some((200.0, 100.0, true)));
        assert_eq!(jpeg_resolution(&[0xFF, 0xD8]), None);
    }
}
