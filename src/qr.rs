//! QR code images: a payload (a Pix BR Code) rendered as a PNG, base64-encoded, the way the
//! gateways return Pix QR codes (Efí `imagemQrcode`, Asaas `encodedImage`). Used by the Stripe
//! adapter (rendered locally instead of fetching Stripe's image on the charge path) and by the
//! sandbox's fakes. No I/O.

use base64::Engine as _;
use qrcode::{Color, EcLevel, QrCode};

/// Pixels per QR module, and modules of quiet zone around the code.
const SCALE: usize = 6;
const QUIET: usize = 4;

/// The QR code of `payload` as a grayscale PNG, base64 (no `data:` prefix).
pub fn png_base64(payload: &str) -> Result<String, String> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|e| format!("cannot encode a QR code: {e}"))?;
    let width = code.width();
    let colors = code.to_colors();
    let side = (width + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            let (mx, my) = (i % width + QUIET, i / width + QUIET);
            for y in my * SCALE..(my + 1) * SCALE {
                pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
            }
        }
    }
    let mut png = Vec::new();
    {
        let side = u32::try_from(side).map_err(|_| "QR code too large".to_string())?;
        let mut encoder = png::Encoder::new(&mut png, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| e.to_string())?;
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(png))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_png() {
        let b64 = png_base64("00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!(info.width, info.height);
        assert!(info.width as usize >= (21 + 2 * QUIET) * SCALE);
    }
}
