//! The counter sign: the register's QR on a printable page, with the store's name, the words that
//! tell a customer how to pay (in the language of the account's country) and the register's name,
//! so that two registers' signs are never swapped. Drawn with `image`; text with `ab_glyph` and
//! DejaVu Sans, which ships inside the program.

use ab_glyph::{point, Font, FontRef, GlyphId, PxScale, ScaleFont};
use image::imageops::{self, FilterType};
use image::{Rgba, RgbaImage};

use crate::money::Site;

/// A5 portrait at 210 dpi: sharp on paper from A6 to A4.
pub const WIDTH: u32 = 1240;
pub const HEIGHT: u32 = 1754;
/// Nothing is drawn closer than this to the left and right edges.
pub const MARGIN: u32 = 70;

const BAND_HEIGHT: u32 = 300;
const QR_TOP: u32 = 500;
const QR_BOX: u32 = 900;

const MERCADO_PAGO_BLUE: Rgba<u8> = Rgba([0, 158, 227, 255]);
const WHITE: Rgba<u8> = Rgba([255, 255, 255, 255]);
const INK: Rgba<u8> = Rgba([26, 26, 26, 255]);
const GREY: Rgba<u8> = Rgba([110, 110, 110, 255]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("the register's QR image cannot be read: {0}")]
    QrUnreadable(String),
}

/// What the sign says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignText {
    /// "Pagá con Mercado Pago", in the band at the top.
    pub title: &'static str,
    pub store: String,
    /// How to pay, under the QR.
    pub hint: &'static str,
    /// The register (POS) this QR belongs to, at the bottom.
    pub register: String,
}

impl SignText {
    /// The words a customer of `site` reads: Rioplatense Spanish in Argentina and Uruguay,
    /// Portuguese in Brazil, neutral Spanish elsewhere.
    pub fn for_site(site: Site, store: &str, register: &str) -> SignText {
        let (title, hint) = match site {
            Site::Argentina | Site::Uruguay => {
                ("Pagá con Mercado Pago", "Escaneá el código con la app de Mercado Pago")
            }
            Site::Brazil => ("Pague com Mercado Pago", "Escaneie o código com o app do Mercado Pago"),
            Site::Mexico | Site::Chile | Site::Colombia | Site::Peru => {
                ("Paga con Mercado Pago", "Escanea el código con la app de Mercado Pago")
            }
        };
        SignText {
            title,
            store: store.trim().to_owned(),
            hint,
            register: register.trim().to_owned(),
        }
    }
}

/// Composes the sign around `qr_png` (the POS's `qr.image`) and returns it as a PNG.
pub fn compose(text: &SignText, qr_png: &[u8]) -> Result<Vec<u8>, SignError> {
    let qr = image::load_from_memory_with_format(qr_png, image::ImageFormat::Png)
        .map_err(|e| SignError::QrUnreadable(e.to_string()))?
        .to_rgba8();
    if qr.width() == 0 || qr.height() == 0 {
        return Err(SignError::QrUnreadable("the image is empty".into()));
    }
    let bold = FontRef::try_from_slice(dejavu::sans::bold()).expect("the embedded font is valid");
    let regular = FontRef::try_from_slice(dejavu::sans::regular()).expect("the embedded font is valid");
    let mut page = RgbaImage::from_pixel(WIDTH, HEIGHT, WHITE);

    for y in 0..BAND_HEIGHT {
        for x in 0..WIDTH {
            page.put_pixel(x, y, MERCADO_PAGO_BLUE);
        }
    }
    let line = Line::fit(&bold, text.title, 100.0, 48.0);
    line.draw(&mut page, &bold, BAND_HEIGHT as f32 / 2.0, WHITE);
    if !text.store.is_empty() {
        Line::fit(&bold, &text.store, 92.0, 44.0).draw(&mut page, &bold, 405.0, INK);
    }

    let qr = fit_qr(qr);
    let left = (WIDTH - qr.width()) / 2;
    let top = QR_TOP + (QR_BOX - qr.height()) / 2;
    imageops::overlay(&mut page, &qr, left.into(), top.into());

    let below_qr = (QR_TOP + QR_BOX) as f32;
    Line::fit(&regular, text.hint, 50.0, 28.0).draw(&mut page, &regular, below_qr + 90.0, INK);
    if !text.register.is_empty() {
        Line::fit(&regular, &text.register, 40.0, 24.0).draw(&mut page, &regular, HEIGHT as f32 - 90.0, GREY);
    }

    let mut out = std::io::Cursor::new(Vec::new());
    page.write_to(&mut out, image::ImageFormat::Png)
        .expect("PNG encoding to memory cannot fail");
    Ok(out.into_inner())
}

/// The QR as large as the box allows: whole multiples of its pixels when it is smaller (every
/// module stays square and sharp), smoothed down when Mercado Pago's image is larger.
fn fit_qr(qr: RgbaImage) -> RgbaImage {
    let side = qr.width().max(qr.height());
    if side <= QR_BOX {
        let factor = QR_BOX / side;
        imageops::resize(&qr, qr.width() * factor, qr.height() * factor, FilterType::Nearest)
    } else {
        let scale = QR_BOX as f64 / side as f64;
        let w = ((qr.width() as f64 * scale) as u32).max(1);
        let h = ((qr.height() as f64 * scale) as u32).max(1);
        imageops::resize(&qr, w, h, FilterType::Triangle)
    }
}

/// One centred line of text that fits between the margins: the largest size from `max_px` down
/// to `min_px` that fits, and below that the smallest size with the end cut off with "…".
struct Line {
    text: String,
    px: f32,
}

impl Line {
    fn fit(font: &FontRef<'_>, text: &str, max_px: f32, min_px: f32) -> Line {
        let room = (WIDTH - 2 * MARGIN) as f32;
        let mut px = max_px;
        while px > min_px && width(font, px, text) > room {
            px -= 2.0;
        }
        let px = px.max(min_px);
        if width(font, px, text) <= room {
            return Line {
                text: text.to_owned(),
                px,
            };
        }
        let mut chars: Vec<char> = text.chars().collect();
        loop {
            chars.pop();
            let cut = format!("{}…", chars.iter().collect::<String>().trim_end());
            if chars.is_empty() || width(font, px, &cut) <= room {
                return Line { text: cut, px };
            }
        }
    }

    /// Draws the line centred on the page, its middle at `middle_y`.
    fn draw(&self, page: &mut RgbaImage, font: &FontRef<'_>, middle_y: f32, color: Rgba<u8>) {
        let scaled = font.as_scaled(PxScale::from(self.px));
        let baseline = middle_y + (scaled.ascent() + scaled.descent()) / 2.0;
        let (glyphs, width) = layout(font, self.px, &self.text);
        let left = (WIDTH as f32 - width) / 2.0;
        for (id, x) in glyphs {
            let glyph = id.with_scale_and_position(self.px, point(left + x, baseline));
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                let px = bounds.min.x as i32 + gx as i32;
                let py = bounds.min.y as i32 + gy as i32;
                if px >= 0 && py >= 0 && (px as u32) < page.width() && (py as u32) < page.height() {
                    blend(page.get_pixel_mut(px as u32, py as u32), color, coverage);
                }
            });
        }
    }
}

/// Each glyph of `text` at `px` with its offset from the line's start (kerning applied), and
/// the line's width.
fn layout(font: &FontRef<'_>, px: f32, text: &str) -> (Vec<(GlyphId, f32)>, f32) {
    let scaled = font.as_scaled(PxScale::from(px));
    let mut x = 0.0;
    let mut previous = None;
    let mut glyphs = Vec::new();
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            x += scaled.kern(p, id);
        }
        glyphs.push((id, x));
        x += scaled.h_advance(id);
        previous = Some(id);
    }
    (glyphs, x)
}

fn width(font: &FontRef<'_>, px: f32, text: &str) -> f32 {
    layout(font, px, text).1
}

fn blend(pixel: &mut Rgba<u8>, color: Rgba<u8>, coverage: f32) {
    let a = coverage.clamp(0.0, 1.0);
    for i in 0..3 {
        pixel[i] = (pixel[i] as f32 * (1.0 - a) + color[i] as f32 * a).round() as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::qr;

    fn decode(png: &[u8]) -> (RgbaImage, Vec<String>) {
        let img = image::load_from_memory(png).unwrap().to_rgba8();
        let luma = image::DynamicImage::ImageRgba8(img.clone()).to_luma8();
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(luma.width() as usize, luma.height() as usize, |x, y| {
                luma.get_pixel(x as u32, y as u32)[0]
            });
        let found = prepared
            .detect_grids()
            .into_iter()
            .map(|g| g.decode().expect("the QR decodes").1)
            .collect();
        (img, found)
    }

    fn dark(p: &Rgba<u8>) -> bool {
        p[0] < 128 && p[1] < 128 && p[2] < 128
    }

    /// Columns of the page, between rows `top..bottom`, that hold dark (text) pixels.
    fn inked_columns(img: &RgbaImage, top: u32, bottom: u32) -> Vec<u32> {
        (0..img.width())
            .filter(|&x| (top..bottom).any(|y| dark(img.get_pixel(x, y))))
            .collect()
    }

    #[test]
    fn the_sign_still_scans_to_the_registers_qr() {
        for module_px in [4, 10, 40] {
            let source = qr::png(&qr::pos_url(2711382), module_px);
            let sign = compose(
                &SignText::for_site(Site::Argentina, "Almacén Don José", "Caja 1"),
                &source,
            )
            .unwrap();
            let (img, found) = decode(&sign);
            assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT));
            assert_eq!(found, vec![qr::pos_url(2711382)], "module size {module_px}");
        }
    }

    #[test]
    fn each_country_reads_its_own_words() {
        let t = |site| SignText::for_site(site, "x", "y").title;
        assert_eq!(t(Site::Argentina), "Pagá con Mercado Pago");
        assert_eq!(t(Site::Uruguay), "Pagá con Mercado Pago");
        assert_eq!(t(Site::Brazil), "Pague com Mercado Pago");
        for site in [Site::Mexico, Site::Chile, Site::Colombia, Site::Peru] {
            assert_eq!(t(site), "Paga con Mercado Pago");
        }
    }

    #[test]
    fn the_title_is_written_in_white_on_the_band() {
        let sign = compose(&SignText::for_site(Site::Brazil, "Loja", "Caixa 1"), &qr::png("x", 8)).unwrap();
        let (img, _) = decode(&sign);
        let white = (0..BAND_HEIGHT)
            .flat_map(|y| (0..WIDTH).map(move |x| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y)[0] > 200)
            .count();
        assert!(white > 5_000, "{white} white pixels in the band");
        assert_eq!(*img.get_pixel(5, 5), MERCADO_PAGO_BLUE);
    }

    #[test]
    fn a_long_store_name_shrinks_then_is_cut_but_never_leaves_the_page() {
        let long = "Autoservicio y Distribuidora Mayorista Los Hermanos Fernández de la Costa Atlántica S.R.L.";
        for name in ["Kiosco", "Supermercado La Económica", long] {
            let sign = compose(&SignText::for_site(Site::Mexico, name, "Caja 1"), &qr::png("x", 8)).unwrap();
            let (img, _) = decode(&sign);
            let inked = inked_columns(&img, BAND_HEIGHT + 20, QR_TOP - 10);
            assert!(!inked.is_empty(), "{name}: the name is drawn");
            assert!(*inked.first().unwrap() >= MARGIN, "{name}: starts at {}", inked[0]);
            assert!(
                *inked.last().unwrap() < WIDTH - MARGIN,
                "{name}: ends at {}",
                inked.last().unwrap()
            );
        }
        let cut = Line::fit(
            &FontRef::try_from_slice(dejavu::sans::bold()).unwrap(),
            long,
            92.0,
            44.0,
        );
        assert!(cut.text.ends_with('…') && cut.px == 44.0, "{} at {}", cut.text, cut.px);
    }

    #[test]
    fn an_empty_store_name_leaves_the_line_blank() {
        let sign = compose(&SignText::for_site(Site::Chile, "  ", ""), &qr::png("x", 8)).unwrap();
        let (img, _) = decode(&sign);
        assert!(inked_columns(&img, BAND_HEIGHT + 20, QR_TOP - 10).is_empty());
        assert!(inked_columns(&img, HEIGHT - 140, HEIGHT).is_empty());
    }

    #[test]
    fn an_unreadable_qr_image_is_a_clear_error() {
        let text = SignText::for_site(Site::Peru, "Bodega", "Caja 1");
        assert!(matches!(
            compose(&text, b"<html>not found</html>"),
            Err(SignError::QrUnreadable(_))
        ));
        assert!(matches!(
            compose(&text, b"\x89PNG\r\n\x1a\n"),
            Err(SignError::QrUnreadable(_))
        ));
    }
}
