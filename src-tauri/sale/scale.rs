//! Scale labels: the EAN-13 codes a store's scale prints on weighed goods. Their first two
//! digits (20 to 29, GS1's in-store numbers) say a label; then come the product's code (its
//! PLU), the weight in grams or the price in the currency's smallest unit, and the check digit.
//! The layout varies by scale brand and store, so it is a setting, with the common defaults:
//! prefixes 20–29, a 5-digit code, a 5-digit weight in grams.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{CartLine, Journal, JournalError, Product};
use crate::money::Currency;

/// What the digits after the product code say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelValue {
    /// The weight in grams.
    #[default]
    Weight,
    /// The price of what was weighed, in the currency's smallest unit (cents; whole pesos in
    /// Chile and Colombia).
    Price,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ScaleLayout {
    pub enabled: bool,
    /// The first prefix of the range the store's scale uses (two digits, 20 to 29).
    pub prefix_from: u8,
    pub prefix_to: u8,
    /// Digits of the product code after the prefix (4 to 6); the value takes the rest of the 10.
    pub code_digits: u8,
    pub value: LabelValue,
}

impl Default for ScaleLayout {
    fn default() -> Self {
        ScaleLayout {
            enabled: true,
            prefix_from: 20,
            prefix_to: 29,
            code_digits: 5,
            value: LabelValue::Weight,
        }
    }
}

/// Why a scale label adds nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum LabelError {
    #[error("the label {code} does not read right (its check digit is wrong): scan it again")]
    BadCheckDigit { code: String },
    #[error("no product has the code {plu} of the label {code}")]
    UnknownProduct { code: String, plu: String },
    #[error("the label {code} says {plu} is sold by weight, but the product is sold by the unit")]
    NotSoldByWeight { code: String, plu: String },
    #[error("the label {code} has no weight or price")]
    Empty { code: String },
    #[error("the scale layout in the settings is not possible")]
    BadLayout,
}

/// The EAN-13 check digit of the first twelve digits.
pub fn check_digit(twelve: &[u8]) -> u8 {
    let sum: u32 = twelve
        .iter()
        .enumerate()
        .map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

impl ScaleLayout {
    pub fn is_possible(&self) -> bool {
        (20..=29).contains(&self.prefix_from)
            && (self.prefix_from..=29).contains(&self.prefix_to)
            && (4..=6).contains(&self.code_digits)
    }

    /// The code's parts when it is one of this layout's labels: (the product's code, the value).
    fn parts(&self, code: &str) -> Option<(String, u64)> {
        let digits: Vec<u8> = code.bytes().map(|b| b.wrapping_sub(b'0')).collect();
        if !self.enabled || code.len() != 13 || digits.iter().any(|d| *d > 9) {
            return None;
        }
        let prefix = digits[0] * 10 + digits[1];
        if !(self.prefix_from..=self.prefix_to).contains(&prefix) {
            return None;
        }
        let split = 2 + usize::from(self.code_digits);
        let value = code[split..12].parse().ok()?;
        Some((code[2..split].to_owned(), value))
    }
}

impl Journal {
    /// A scanned code read as a scale label: none when it is not one (the scan goes on as a
    /// product's code), or the line it adds, or why it adds nothing.
    pub fn scale_line(
        &self,
        code: &str,
        layout: &ScaleLayout,
        currency: Currency,
    ) -> Result<Option<Result<CartLine, LabelError>>, JournalError> {
        let code = code.trim();
        if !layout.is_possible() {
            return Ok(layout.parts(code).map(|_| Err(LabelError::BadLayout)));
        }
        let Some((plu, value)) = layout.parts(code) else {
            return Ok(None);
        };
        // A product with the code as its SKU answers first: not every 2x code is a label.
        if self.product_by_sku(code)?.is_some() {
            return Ok(None);
        }
        let digits: Vec<u8> = code.bytes().map(|b| b - b'0').collect();
        if check_digit(&digits[..12]) != digits[12] {
            return Ok(Some(Err(LabelError::BadCheckDigit { code: code.into() })));
        }
        let product = match self.product_by_plu(&plu)? {
            Some(p) => p,
            None => return Ok(Some(Err(LabelError::UnknownProduct { code: code.into(), plu }))),
        };
        if value == 0 {
            return Ok(Some(Err(LabelError::Empty { code: code.into() })));
        }
        let line = CartLine {
            sku: Some(product.sku.clone()),
            title: product.name.clone(),
            description: None,
            unit_price: product.price,
            quantity: 1,
            weight: None,
        };
        Ok(Some(match layout.value {
            LabelValue::Weight if !product.by_weight => Err(LabelError::NotSoldByWeight { code: code.into(), plu }),
            LabelValue::Weight => Ok(CartLine {
                weight: Some(Decimal::new(value as i64, 3)),
                ..line
            }),
            // The scale priced it: the line is what the label says.
            LabelValue::Price => Ok(CartLine {
                unit_price: Decimal::new(value as i64, currency.decimals()),
                ..line
            }),
        }))
    }

    /// The product a scale's code names: its SKU is the code, leading zeros aside (`00101`,
    /// `0101` and `101` name the same product).
    fn product_by_plu(&self, plu: &str) -> Result<Option<Product>, JournalError> {
        if let Some(p) = self.product_by_sku(plu)? {
            return Ok(Some(p));
        }
        let bare = plu.trim_start_matches('0');
        if bare.is_empty() {
            return Ok(None);
        }
        self.product_where_sku_is(bare)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::read_weight;

    /// A label as a scale prints it: prefix, code, value, and its check digit.
    fn label(prefix: &str, plu: &str, value: &str) -> String {
        let twelve = format!("{prefix}{plu}{value}");
        let digits: Vec<u8> = twelve.bytes().map(|b| b - b'0').collect();
        format!("{twelve}{}", check_digit(&digits))
    }

    fn journal() -> (tempfile::TempDir, Journal) {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(&dir.path().join("j.sqlite3")).unwrap();
        j.save_product(
            &Product::checked("00101", "Queso de máquina", "8900", Currency::Ars)
                .unwrap()
                .sold_by_weight(true),
        )
        .unwrap();
        j.save_product(&Product::checked("777", "Fiambre surtido", "6000", Currency::Ars).unwrap())
            .unwrap();
        j.save_product(&Product::checked("7790387000011", "Yerba mate 1 kg", "3500", Currency::Ars).unwrap())
            .unwrap();
        (dir, j)
    }

    #[test]
    fn the_check_digit_is_gs1s() {
        // Published EAN-13 codes.
        for code in ["4006381333931", "5901234123457", "0036000291452"] {
            let d: Vec<u8> = code.bytes().map(|b| b - b'0').collect();
            assert_eq!(check_digit(&d[..12]), d[12], "{code}");
        }
    }

    #[test]
    fn a_weight_label_adds_the_weighed_line() {
        let (_d, j) = journal();
        let layout = ScaleLayout::default();
        let code = label("20", "00101", "00350");
        let line = j.scale_line(&code, &layout, Currency::Ars).unwrap().unwrap().unwrap();
        assert_eq!(line.weight, Some(read_weight("0,350").unwrap()));
        assert_eq!(line.sku.as_deref(), Some("00101"));
        assert_eq!(line.total(Currency::Ars).unwrap().to_string(), "3115.00");
        // Another prefix of the range, and the code without its leading zeros as the SKU.
        let code = label("27", "00777", "01250");
        let e = j
            .scale_line(&code, &layout, Currency::Ars)
            .unwrap()
            .unwrap()
            .unwrap_err();
        assert!(matches!(e, LabelError::NotSoldByWeight { .. }), "{e:?}");
    }

    #[test]
    fn a_price_label_adds_the_price_the_scale_printed() {
        let (_d, j) = journal();
        let layout = ScaleLayout {
            value: LabelValue::Price,
            ..ScaleLayout::default()
        };
        let code = label("21", "00777", "31150");
        let line = j.scale_line(&code, &layout, Currency::Ars).unwrap().unwrap().unwrap();
        assert_eq!(
            (line.unit_price.to_string(), line.quantity, line.weight),
            ("311.50".into(), 1, None)
        );
        // Whole pesos in Chile.
        let line = j.scale_line(&code, &layout, Currency::Clp).unwrap().unwrap().unwrap();
        assert_eq!(line.unit_price.to_string(), "31150");
    }

    #[test]
    fn bad_labels_say_why_and_add_nothing() {
        let (_d, j) = journal();
        let layout = ScaleLayout::default();
        let good = label("20", "00101", "00350");
        let mut bad = good[..12].to_owned();
        bad.push(char::from(b'0' + (good.as_bytes()[12] - b'0' + 1) % 10));
        assert_eq!(
            j.scale_line(&bad, &layout, Currency::Ars).unwrap(),
            Some(Err(LabelError::BadCheckDigit { code: bad.clone() }))
        );
        let unknown = label("20", "00999", "00350");
        assert_eq!(
            j.scale_line(&unknown, &layout, Currency::Ars).unwrap(),
            Some(Err(LabelError::UnknownProduct {
                code: unknown.clone(),
                plu: "00999".into()
            }))
        );
        let zero = label("20", "00101", "00000");
        assert_eq!(
            j.scale_line(&zero, &layout, Currency::Ars).unwrap(),
            Some(Err(LabelError::Empty { code: zero.clone() }))
        );
    }

    #[test]
    fn codes_that_are_not_labels_go_on_as_product_codes() {
        let (_d, j) = journal();
        let layout = ScaleLayout::default();
        for code in ["7790387000011", "00101", "20001010035", "30001010035x", "200010100350"] {
            assert_eq!(j.scale_line(code, &layout, Currency::Ars).unwrap(), None, "{code}");
        }
        // Off, or outside the store's prefixes.
        let code = label("20", "00101", "00350");
        let off = ScaleLayout {
            enabled: false,
            ..ScaleLayout::default()
        };
        assert_eq!(j.scale_line(&code, &off, Currency::Ars).unwrap(), None);
        let narrow = ScaleLayout {
            prefix_from: 21,
            prefix_to: 22,
            ..ScaleLayout::default()
        };
        assert_eq!(j.scale_line(&code, &narrow, Currency::Ars).unwrap(), None);
        // A 4-digit code and a 6-digit weight.
        let wide = ScaleLayout {
            code_digits: 4,
            ..ScaleLayout::default()
        };
        let code = label("20", "0101", "000350");
        let line = j.scale_line(&code, &wide, Currency::Ars).unwrap().unwrap().unwrap();
        assert_eq!(line.weight, Some(read_weight("0,350").unwrap()));
    }
}
