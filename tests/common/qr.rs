//! Reads QR codes back out of PNGs, as a customer's phone would: what each code found says.

pub fn qr_in(png: &[u8]) -> Vec<String> {
    let img = image::load_from_memory(png).expect("a PNG").to_luma8();
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(img.width() as usize, img.height() as usize, |x, y| {
            img.get_pixel(x as u32, y as u32)[0]
        });
    prepared
        .detect_grids()
        .into_iter()
        .map(|g| g.decode().expect("the QR decodes").1)
        .collect()
}
