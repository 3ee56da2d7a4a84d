//! A POS's QR files: the QR as a PNG (rendered with `qrcode` and `image`) and the printable
//! sign Mercado Pago offers as a PDF (here one page of text, which is all a test reads).

use image::{ImageBuffer, Luma};
use qrcode::QrCode;

/// What the printed static QR of a POS points to.
pub fn pos_url(pos_id: u64) -> String {
    format!("https://mpago.la/pos/{pos_id}")
}

/// What the app's demo QR encodes: `.invalid` is a name that never resolves (RFC 2606).
pub fn demo_url(pos_id: u64) -> String {
    format!("https://qr-cashier-demo.invalid/not-a-payment/pos/{pos_id}")
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

/// A one-page PDF naming the POS, standing in for Mercado Pago's `qr.template_document`.
pub fn template_pdf(pos_id: u64, url: &str) -> Vec<u8> {
    let text =
        format!("BT /F1 22 Tf 50 520 Td (Mercado Pago sandbox) Tj 0 -40 Td (POS {pos_id}) Tj 0 -40 Td ({url}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 595] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut pdf = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.push_str(&format!("{} 0 obj\n{body}\nendobj\n", i + 1));
    }
    let xref = pdf.len();
    pdf.push_str(&format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1));
    for offset in offsets {
        pdf.push_str(&format!("{offset:010} 00000 n \n"));
    }
    pdf.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    pdf.into_bytes()
}
