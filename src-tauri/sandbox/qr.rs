//! PNGs of a POS's QR, rendered with `qrcode` and `image`.

use image::{ImageBuffer, Luma};
use qrcode::QrCode;

/// What the printed static QR of a POS points to.
pub fn pos_url(pos_id: u64) -> String {
    format!("https://mpago.la/pos/{pos_id}")
}

/// A PNG of `text` as a QR code, `module_px` pixels per module with a quiet zone.
pub fn png(text: &str, module_px: u32) -> Vec<u8> {
    let code = QrCode::new(text.as_bytes()).expect("a short URL always fits a QR code");
    let img: ImageBuffer<Luma<u8>, Vec<u8>> = code
        .render::<Luma<u8>>()
        .module_dimensions(module_px, module_px)
        .quiet_zone(true)
        .build();
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("PNG encoding to memory cannot fail");
    out.into_inner()
}
