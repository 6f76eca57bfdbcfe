//! QR code images: a payload (a Pix BR Code) rendered as a PNG, the way the gateways return Pix
//! QR codes (Efí `imagemQrcode`, Asaas `encodedImage`). Used by `serve` on demand
//! (`GET /v1/charges/{id}/pix.png`, `expand[]=pix.qr_code_png`; never on the charge path) and
//! by the sandbox's fakes. No I/O.
//!
//! Cheap on purpose (issue 16; `cargo bench --bench micro -- qr`): the `qrcode` crate encodes
//! (segments, Reed-Solomon, layout), but with one fixed mask instead of scoring all eight
//! (`QrCode::new` renders eight candidates and computes each one's penalty: ~95 % of its time;
//! any mask is valid, a reader takes it from the format bits), and the PNG is deflated at the
//! fast level over the `Up` filter (every module row is `SCALE` identical pixel rows, which
//! `Up` turns into zeros): ~3 KB, in tens of microseconds instead of milliseconds.

use base64::Engine as _;
use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::{Color, EcLevel};

/// Pixels per QR module, and modules of quiet zone around the code.
pub const SCALE: usize = 6;
pub const QUIET: usize = 4;

/// The mask every code gets. Checkerboard (pattern 0) has no long runs or blocks of its own,
/// so it is rarely worse than the best by much, and readers take whichever the format says.
const MASK: MaskPattern = MaskPattern::Checkerboard;

/// The modules of `payload`'s QR code (error correction M), dark or light, row by row, and the
/// code's width in modules.
pub fn modules(payload: &str) -> Result<(usize, Vec<Color>), String> {
    let cannot = |e: qrcode::types::QrError| format!("cannot encode a QR code: {e}");
    let bits = qrcode::bits::encode_auto(payload.as_bytes(), EcLevel::M).map_err(cannot)?;
    let version = bits.version();
    let (data, ec) =
        qrcode::ec::construct_codewords(&bits.into_bytes(), version, EcLevel::M).map_err(cannot)?;
    let mut canvas = Canvas::new(version, EcLevel::M);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    canvas.apply_mask(MASK);
    let width = usize::try_from(version.width()).map_err(|_| "QR code too large".to_string())?;
    Ok((width, canvas.into_colors()))
}

/// The QR code of `payload` as a black-and-white PNG: `SCALE` pixels per module, a quiet zone
/// of `QUIET` modules.
pub fn png(payload: &str) -> Result<Vec<u8>, String> {
    let (width, colors) = modules(payload)?;
    let side = (width + 2 * QUIET) * SCALE;
    // One bit per pixel (a QR code is black and white), rows padded to whole bytes, 1 = white:
    // an eighth of the 8-bit image's data to compress, and a PNG a fraction of the size.
    let row_bytes = side.div_ceil(8);
    let mut pixels = vec![0xFFu8; row_bytes * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            let (mx, my) = (i % width + QUIET, i / width + QUIET);
            for y in my * SCALE..(my + 1) * SCALE {
                for x in mx * SCALE..(mx + 1) * SCALE {
                    pixels[y * row_bytes + x / 8] &= !(0x80 >> (x % 8));
                }
            }
        }
    }
    let mut png = Vec::with_capacity(4096);
    {
        let side = u32::try_from(side).map_err(|_| "QR code too large".to_string())?;
        let mut encoder = png::Encoder::new(&mut png, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        // Fast deflate over `Up`: ~45 µs and ~3 KB, where the default level without a filter
        // took ~0.4 ms for ~1 KB (measured in the module doc's bench).
        encoder.set_compression(png::Compression::Fast);
        encoder.set_filter(png::FilterType::Up);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| e.to_string())?;
    }
    Ok(png)
}

/// [`png`], base64-encoded (no `data:` prefix): the gateways' form, and `pix.qr_code_png`'s.
pub fn png_base64(payload: &str) -> Result<String, String> {
    Ok(base64::engine::general_purpose::STANDARD.encode(png(payload)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAYLOAD: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";

    /// The PNG's pixels, one byte each (0 black, 255 white), and its side.
    fn decode(bytes: &[u8]) -> (usize, Vec<u8>) {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let mut image = vec![0; reader.output_buffer_size()];
        let frame = reader.next_frame(&mut image).unwrap();
        assert_eq!(frame.width, frame.height);
        let side = frame.width as usize;
        let line = frame.line_size;
        let pixels = (0..side * side)
            .map(|i| image[(i / side) * line + i % side])
            .collect();
        (side, pixels)
    }

    #[test]
    fn renders_a_black_and_white_png_of_the_code() {
        let b64 = png_base64(PAYLOAD).unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let (side, image) = decode(&bytes);
        let (width, colors) = modules(PAYLOAD).unwrap();
        assert_eq!(side, (width + 2 * QUIET) * SCALE);
        // Every module's pixels are the module's colour, the quiet zone white.
        for y in 0..side {
            for x in 0..side {
                let (mx, my) = (x / SCALE, y / SCALE);
                let module = (QUIET..QUIET + width).contains(&mx)
                    && (QUIET..QUIET + width).contains(&my)
                    && colors[(my - QUIET) * width + (mx - QUIET)] == Color::Dark;
                assert_eq!(image[y * side + x] == 0, module, "pixel ({x}, {y})");
            }
        }
    }

    #[test]
    fn the_fixed_mask_code_is_the_crates_code_for_that_mask() {
        // Same version and data as the crate's own encoder picks; only the mask is ours.
        let code = qrcode::QrCode::with_error_correction_level(PAYLOAD, EcLevel::M).unwrap();
        let (width, colors) = modules(PAYLOAD).unwrap();
        assert_eq!(width, code.width());
        assert_eq!(colors.len(), code.to_colors().len());
    }

    #[test]
    fn a_reader_decodes_the_payload_from_the_png() {
        let (side, image) = decode(&png(PAYLOAD).unwrap());
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| image[y * side + x]);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the image");
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, PAYLOAD);
    }

    #[test]
    fn a_payload_too_long_for_any_qr_code_is_an_error() {
        let e = png(&"9".repeat(8000)).unwrap_err();
        assert!(e.starts_with("cannot encode a QR code"), "{e}");
    }
}
