//! The cart and the checks it passes before anything is sent: a cart that fails here never
//! reaches Mercado Pago, and the cashier is told which line is wrong and why.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{format, format_weight, json_amount, Currency, MoneyError, MAX_WEIGHT_KG};

pub const MAX_LINES: usize = 200;
pub const MAX_TITLE_CHARS: usize = 120;
pub const MAX_QUANTITY: u32 = 9_999;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CartLine {
    #[serde(default)]
    pub sku: Option<String>,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The price of one unit, or of one kilogram on a weighed line.
    #[serde(with = "json_amount")]
    pub unit_price: Decimal,
    /// Units; 1 on a weighed line.
    pub quantity: u32,
    /// Goods sold by weight: the kilograms weighed (to the gram).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<Decimal>,
}

/// A line as Mercado Pago's order items carry it: whole quantities only, so a weighed line goes
/// as one item at the line's total, its title saying the weight and the price per kilogram
/// (`Queso 0,350 kg × $ 8.900,00/kg`). The items of a cart add up to its total exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct SentItem {
    pub title: String,
    pub unit_price: Decimal,
    pub quantity: u32,
}

impl CartLine {
    /// The line's total, by the one rule: units × price, or the price per kilogram × the weight
    /// rounded once to the currency's decimals (halves away from zero). None when it does not fit.
    pub fn total(&self, currency: Currency) -> Option<Decimal> {
        match self.weight {
            Some(kg) => self.unit_price.checked_mul(kg).map(|t| currency.round(t)),
            None => self.unit_price.checked_mul(Decimal::from(self.quantity)),
        }
    }

    pub fn sent_item(&self, currency: Currency) -> SentItem {
        match self.weight {
            Some(kg) => SentItem {
                title: format!(
                    "{} {} × {}/kg",
                    self.title,
                    format_weight(kg, currency),
                    format(self.unit_price, currency)
                ),
                unit_price: self.total(currency).unwrap_or_default(),
                quantity: 1,
            },
            None => SentItem {
                title: self.title.clone(),
                unit_price: currency.rescale(self.unit_price),
                quantity: self.quantity,
            },
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cart {
    pub lines: Vec<CartLine>,
}

/// A cart that passed every check, with its exact line totals and total in the site's
/// currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckedCart {
    pub currency: Currency,
    pub lines: Vec<CartLine>,
    #[serde(default)]
    pub line_totals: Vec<Decimal>,
    #[serde(with = "json_amount")]
    pub total: Decimal,
}

/// Why a cart cannot be charged. `line` counts from 1, as the cashier sees the lines.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum CartError {
    #[error("the cart is empty")]
    Empty,
    #[error("the cart has more than {max} lines")]
    TooManyLines { max: usize },
    #[error("line {line} has no description")]
    NoTitle { line: usize },
    #[error("line {line}: the description is longer than {max} characters")]
    TitleTooLong { line: usize, max: usize },
    #[error("line {line}: the description has invisible control characters")]
    TitleControlChars { line: usize },
    #[error("line {line}: the price must be greater than zero")]
    PriceNotPositive { line: usize },
    #[error("line {line}: the price is not a number")]
    PriceNotANumber { line: usize },
    #[error("line {line}: the price could be read two ways (thousands or cents)")]
    PriceAmbiguous { line: usize },
    #[error("line {line}: {currency} prices allow {allowed} decimals")]
    TooManyDecimals {
        line: usize,
        currency: Currency,
        allowed: u32,
    },
    #[error("line {line}: the quantity must be at least 1")]
    QuantityNotPositive { line: usize },
    #[error("line {line}: the quantity must be a whole number")]
    QuantityNotWhole { line: usize },
    #[error("line {line}: the quantity is more than {max}")]
    QuantityTooLarge { line: usize, max: u32 },
    #[error("line {line}: type the weight in kilograms")]
    WeightMissing { line: usize },
    #[error("line {line}: the weight is not a number of kilograms")]
    WeightNotANumber { line: usize },
    #[error("line {line}: a weight has at most 3 decimals (grams)")]
    WeightTooPrecise { line: usize },
    #[error("line {line}: the weight must be more than 0 and at most {max} kg")]
    WeightOutOfRange { line: usize, max: Decimal },
    #[error("line {line}: a weighed line is one weighing (quantity 1)")]
    WeighedQuantity { line: usize },
    #[error("line {line}: the weight comes to less than the smallest amount")]
    WeightPricesNothing { line: usize },
    #[error("the total is more than {max} {currency}, too much for one QR sale")]
    TotalTooLarge { max: Decimal, currency: Currency },
}

/// The largest total one QR sale may carry, per currency (a typo guard, about USD 50 000).
pub fn max_total(currency: Currency) -> Decimal {
    Decimal::from(match currency {
        Currency::Ars => 50_000_000u64,
        Currency::Brl => 250_000,
        Currency::Mxn => 1_000_000,
        Currency::Clp => 50_000_000,
        Currency::Uyu => 2_000_000,
        Currency::Cop => 200_000_000,
        Currency::Pen => 200_000,
    })
}

impl Cart {
    pub fn check(&self, currency: Currency) -> Result<CheckedCart, CartError> {
        if self.lines.is_empty() {
            return Err(CartError::Empty);
        }
        if self.lines.len() > MAX_LINES {
            return Err(CartError::TooManyLines { max: MAX_LINES });
        }
        let mut lines = Vec::with_capacity(self.lines.len());
        let mut line_totals = Vec::with_capacity(self.lines.len());
        let mut total = Decimal::ZERO;
        // Checked: a price typed by hand times a quantity may not fit in a decimal at all.
        let too_large = CartError::TotalTooLarge {
            max: max_total(currency),
            currency,
        };
        for (i, l) in self.lines.iter().enumerate() {
            let line = i + 1;
            let title = l.title.trim();
            if title.is_empty() {
                return Err(CartError::NoTitle { line });
            }
            if title.chars().count() > MAX_TITLE_CHARS {
                return Err(CartError::TitleTooLong {
                    line,
                    max: MAX_TITLE_CHARS,
                });
            }
            if title.chars().any(char::is_control) {
                return Err(CartError::TitleControlChars { line });
            }
            let unit_price = currency.check_amount(l.unit_price).map_err(|e| match e {
                MoneyError::TooManyDecimals { currency, allowed } => CartError::TooManyDecimals {
                    line,
                    currency,
                    allowed,
                },
                _ => CartError::PriceNotPositive { line },
            })?;
            if l.quantity == 0 {
                return Err(CartError::QuantityNotPositive { line });
            }
            if l.quantity > MAX_QUANTITY {
                return Err(CartError::QuantityTooLarge {
                    line,
                    max: MAX_QUANTITY,
                });
            }
            if let Some(kg) = l.weight {
                if l.quantity != 1 {
                    return Err(CartError::WeighedQuantity { line });
                }
                if kg.normalize().scale() > 3 {
                    return Err(CartError::WeightTooPrecise { line });
                }
                if kg <= Decimal::ZERO || kg > MAX_WEIGHT_KG {
                    return Err(CartError::WeightOutOfRange {
                        line,
                        max: MAX_WEIGHT_KG,
                    });
                }
            }
            let priced = CartLine {
                unit_price,
                ..l.clone()
            };
            let line_total = priced.total(currency).ok_or_else(|| too_large.clone())?;
            if line_total <= Decimal::ZERO {
                return Err(CartError::WeightPricesNothing { line });
            }
            total = total.checked_add(line_total).ok_or_else(|| too_large.clone())?;
            line_totals.push(line_total);
            lines.push(CartLine {
                title: title.to_owned(),
                ..priced
            });
        }
        if total > max_total(currency) {
            return Err(too_large);
        }
        Ok(CheckedCart {
            currency,
            lines,
            line_totals,
            total: currency.rescale(total),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::parse_amount;

    fn line(title: &str, price: &str, quantity: u32) -> CartLine {
        CartLine {
            sku: None,
            title: title.into(),
            description: None,
            unit_price: parse_amount(price).unwrap(),
            quantity,
            weight: None,
        }
    }

    fn weighed(title: &str, price_per_kg: &str, kg: &str) -> CartLine {
        CartLine {
            weight: Some(crate::money::read_weight(kg).unwrap()),
            ..line(title, price_per_kg, 1)
        }
    }

    /// Per site: a weighed line's total is rounded once, and the items sent to Mercado Pago (one
    /// for the weighed line, at its total) add up to the cart's total exactly.
    #[test]
    fn weighed_lines_total_once_per_site_and_their_items_add_up() {
        let cases: &[(Currency, &str, &str, &str, &str)] = &[
            // currency, price per kg, kg, line total, the item's title
            (
                Currency::Ars,
                "8900",
                "0,350",
                "3115.00",
                "Queso 0,350 kg × $ 8.900,00/kg",
            ),
            (Currency::Brl, "49.90", "0,333", "16.62", "Queso 0,333 kg × R$ 49,90/kg"),
            (
                Currency::Mxn,
                "189.50",
                "0.745",
                "141.18",
                "Queso 0.745 kg × $189.50/kg",
            ),
            (Currency::Clp, "8990", "0,255", "2292", "Queso 0,255 kg × $ 8.990/kg"),
            (Currency::Uyu, "459", "1,25", "573.75", "Queso 1,250 kg × $ 459,00/kg"),
            (Currency::Cop, "12900", "0,745", "9611", "Queso 0,745 kg × $ 12.900/kg"),
            (Currency::Pen, "32.90", "0.505", "16.61", "Queso 0.505 kg × S/ 32.90/kg"),
        ];
        for (c, price, kg, want, title) in cases {
            let cart = Cart {
                lines: vec![weighed("Queso", price, kg), line("Pan", "1500", 2)],
            };
            let checked = cart.check(*c).unwrap_or_else(|e| panic!("{c}: {e}"));
            assert_eq!(checked.line_totals[0].to_string(), *want, "{c}");
            let items: Vec<SentItem> = checked.lines.iter().map(|l| l.sent_item(*c)).collect();
            assert_eq!(items[0].title, *title, "{c}");
            assert_eq!(items[0].quantity, 1);
            let sum: Decimal = items.iter().map(|i| i.unit_price * Decimal::from(i.quantity)).sum();
            assert_eq!(sum, checked.total, "{c}: the items add up to the total");
            assert!(
                c.check_amount(items[0].unit_price).is_ok(),
                "{c}: the item's price has the currency's decimals"
            );
        }
    }

    #[test]
    fn each_bad_weighed_line_gets_its_own_reason() {
        let c = |l: CartLine| Cart { lines: vec![l] }.check(Currency::Ars).unwrap_err();
        let mut w = weighed("Queso", "8900", "0,350");
        w.quantity = 2;
        assert_eq!(c(w), CartError::WeighedQuantity { line: 1 });
        let mut w = weighed("Queso", "8900", "0,350");
        w.weight = Some(Decimal::new(3505, 4));
        assert_eq!(c(w.clone()), CartError::WeightTooPrecise { line: 1 });
        w.weight = Some(Decimal::ZERO);
        assert!(matches!(c(w.clone()), CartError::WeightOutOfRange { line: 1, .. }));
        w.weight = Some(Decimal::from(1000));
        assert!(matches!(c(w), CartError::WeightOutOfRange { line: 1, .. }));
        // One gram of something at $ 1/kg is $ 0,001: it rounds to nothing.
        assert_eq!(
            c(weighed("Sal", "1", "0,001")),
            CartError::WeightPricesNothing { line: 1 }
        );
    }

    #[test]
    fn totals_are_exact_in_the_currency() {
        let cart = Cart {
            lines: vec![
                line("Café", "0.10", 1),
                line("Medialuna", "0.20", 1),
                line("Agua", "1234.5", 3),
            ],
        };
        let checked = cart.check(Currency::Ars).unwrap();
        assert_eq!(checked.total.to_string(), "3703.80");
        let clp = Cart {
            lines: vec![line("Pan", "1500", 2)],
        }
        .check(Currency::Clp)
        .unwrap();
        assert_eq!(clp.total.to_string(), "3000");
    }

    #[test]
    fn each_bad_cart_gets_its_own_reason() {
        let c = |lines: Vec<CartLine>| Cart { lines }.check(Currency::Ars).unwrap_err();
        assert_eq!(c(vec![]), CartError::Empty);
        assert_eq!(c(vec![line(" ", "1", 1)]), CartError::NoTitle { line: 1 });
        assert_eq!(
            c(vec![line("a", "1", 1), line("b", "0", 1)]),
            CartError::PriceNotPositive { line: 2 }
        );
        assert_eq!(c(vec![line("a", "-5", 1)]), CartError::PriceNotPositive { line: 1 });
        assert_eq!(
            c(vec![line("a", "1.001", 1)]),
            CartError::TooManyDecimals {
                line: 1,
                currency: Currency::Ars,
                allowed: 2
            }
        );
        assert_eq!(c(vec![line("a", "1", 0)]), CartError::QuantityNotPositive { line: 1 });
        assert_eq!(
            c(vec![line("a", "1", 10_000)]),
            CartError::QuantityTooLarge {
                line: 1,
                max: MAX_QUANTITY
            }
        );
        assert_eq!(
            c(vec![line("a\u{7}b", "1", 1)]),
            CartError::TitleControlChars { line: 1 }
        );
        assert_eq!(
            c(vec![line(&"x".repeat(121), "1", 1)]),
            CartError::TitleTooLong {
                line: 1,
                max: MAX_TITLE_CHARS
            }
        );
        assert!(matches!(
            c(vec![line("a", "99999999", 1)]),
            CartError::TotalTooLarge { .. }
        ));
        // A price near the largest decimal times a quantity does not fit at all: refused, not a panic.
        assert!(matches!(
            c(vec![line("a", "40000000000000000000000000000", 12)]),
            CartError::TotalTooLarge { .. }
        ));
        assert!(matches!(
            c(vec![
                line("a", "40000000000000000000000000000", 1),
                line("b", "40000000000000000000000000000", 1)
            ]),
            CartError::TotalTooLarge { .. }
        ));
        assert_eq!(
            c(vec![line("a", "1", 1); 201]),
            CartError::TooManyLines { max: MAX_LINES }
        );
        let cop = Cart {
            lines: vec![line("a", "100.5", 1)],
        }
        .check(Currency::Cop)
        .unwrap_err();
        assert_eq!(
            cop,
            CartError::TooManyDecimals {
                line: 1,
                currency: Currency::Cop,
                allowed: 0
            }
        );
    }

    #[test]
    fn emoji_and_accents_are_fine() {
        assert!(Cart {
            lines: vec![line("Pão de queijo 🧀 ação", "5", 1)]
        }
        .check(Currency::Brl)
        .is_ok());
    }
}
