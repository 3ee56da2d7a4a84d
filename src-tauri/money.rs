//! Money: Mercado Pago sites, their currencies and exact decimal amounts.
//!
//! Amounts are `rust_decimal::Decimal` from the cart to the JSON body; no binary float ever
//! holds an amount. Each site's currency says how many decimals an amount may carry.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A Mercado Pago site (country), as its `site_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Site {
    #[serde(rename = "MLA")]
    Argentina,
    #[serde(rename = "MLB")]
    Brazil,
    #[serde(rename = "MLM")]
    Mexico,
    #[serde(rename = "MLC")]
    Chile,
    #[serde(rename = "MLU")]
    Uruguay,
    #[serde(rename = "MCO")]
    Colombia,
    #[serde(rename = "MPE")]
    Peru,
}

/// The currency of a site, as Mercado Pago's `currency_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    Ars,
    Brl,
    Mxn,
    Clp,
    Uyu,
    Cop,
    Pen,
}

impl Site {
    pub const ALL: [Site; 7] = [
        Site::Argentina,
        Site::Brazil,
        Site::Mexico,
        Site::Chile,
        Site::Uruguay,
        Site::Colombia,
        Site::Peru,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Site::Argentina => "MLA",
            Site::Brazil => "MLB",
            Site::Mexico => "MLM",
            Site::Chile => "MLC",
            Site::Uruguay => "MLU",
            Site::Colombia => "MCO",
            Site::Peru => "MPE",
        }
    }

    pub fn currency(self) -> Currency {
        match self {
            Site::Argentina => Currency::Ars,
            Site::Brazil => Currency::Brl,
            Site::Mexico => Currency::Mxn,
            Site::Chile => Currency::Clp,
            Site::Uruguay => Currency::Uyu,
            Site::Colombia => Currency::Cop,
            Site::Peru => Currency::Pen,
        }
    }

    /// The ISO country code Mercado Pago reports as `country_id`.
    pub fn country(self) -> &'static str {
        match self {
            Site::Argentina => "AR",
            Site::Brazil => "BR",
            Site::Mexico => "MX",
            Site::Chile => "CL",
            Site::Uruguay => "UY",
            Site::Colombia => "CO",
            Site::Peru => "PE",
        }
    }
}

impl FromStr for Site {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Site::ALL
            .into_iter()
            .find(|site| site.id().eq_ignore_ascii_case(s))
            .ok_or_else(|| MoneyError::UnknownSite(s.chars().take(8).collect()))
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Ars => "ARS",
            Currency::Brl => "BRL",
            Currency::Mxn => "MXN",
            Currency::Clp => "CLP",
            Currency::Uyu => "UYU",
            Currency::Cop => "COP",
            Currency::Pen => "PEN",
        }
    }

    /// Decimals an amount may carry: CLP and COP are whole numbers only.
    pub fn decimals(self) -> u32 {
        match self {
            Currency::Clp | Currency::Cop => 0,
            _ => 2,
        }
    }

    /// Checks that `amount` is positive and has no more decimals than the currency allows.
    pub fn check_amount(self, amount: Decimal) -> Result<Decimal, MoneyError> {
        if amount <= Decimal::ZERO {
            return Err(MoneyError::NotPositive);
        }
        let normalized = amount.normalize();
        if normalized.scale() > self.decimals() {
            return Err(MoneyError::TooManyDecimals {
                currency: self,
                allowed: self.decimals(),
            });
        }
        Ok(self.rescale(normalized))
    }

    /// An amount that came from a product (a price per kilogram times a weight) rounded to the
    /// currency's decimals, halves away from zero: the one rounding rule of a line's total.
    pub fn round(self, amount: Decimal) -> Decimal {
        self.rescale(
            amount.round_dp_with_strategy(self.decimals(), rust_decimal::RoundingStrategy::MidpointAwayFromZero),
        )
    }

    /// The amount written with exactly the currency's decimals (`1234.5` → `1234.50`).
    pub fn rescale(self, amount: Decimal) -> Decimal {
        let mut a = amount;
        a.rescale(self.decimals());
        a
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Site::ALL
            .into_iter()
            .map(Site::currency)
            .find(|c| c.code().eq_ignore_ascii_case(s))
            .ok_or_else(|| MoneyError::UnknownCurrency(s.chars().take(8).collect()))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("the amount must be greater than zero")]
    NotPositive,
    #[error("{currency} amounts allow {allowed} decimals")]
    TooManyDecimals { currency: Currency, allowed: u32 },
    #[error("unknown Mercado Pago site {0:?}")]
    UnknownSite(String),
    #[error("unknown currency {0:?}")]
    UnknownCurrency(String),
    #[error("{0:?} is not an amount")]
    NotAnAmount(String),
    #[error("{0:?} could be read two ways: write it without the thousands mark")]
    Ambiguous(String),
    #[error("{0:?} is not a weight in kilograms")]
    NotAWeight(String),
    #[error("a weight has at most 3 decimals (grams)")]
    WeightTooPrecise,
    #[error("a weight must be more than 0 and at most {max} kg")]
    WeightOutOfRange { max: Decimal },
}

impl MoneyError {
    /// The error's name for the page (`not_an_amount`, `ambiguous`, …).
    pub fn reason(&self) -> &'static str {
        match self {
            MoneyError::NotPositive => "not_positive",
            MoneyError::TooManyDecimals { .. } => "too_many_decimals",
            MoneyError::UnknownSite(_) => "unknown_site",
            MoneyError::UnknownCurrency(_) => "unknown_currency",
            MoneyError::NotAnAmount(_) => "not_an_amount",
            MoneyError::Ambiguous(_) => "ambiguous",
            MoneyError::NotAWeight(_) => "not_a_weight",
            MoneyError::WeightTooPrecise => "weight_too_precise",
            MoneyError::WeightOutOfRange { .. } => "weight_out_of_range",
        }
    }
}

impl Currency {
    /// The marks people in the currency's country write: (decimal, thousands).
    pub fn marks(self) -> (char, char) {
        match self {
            Currency::Mxn | Currency::Pen => ('.', ','),
            Currency::Ars | Currency::Brl | Currency::Uyu | Currency::Clp | Currency::Cop => (',', '.'),
        }
    }
}

/// An amount as people in the currency's country write it: `$ 1.234,50` (ARS), `R$ 1.234,50`
/// (BRL), `$1,234.50` (MXN), `$ 1.234` (CLP, COP), `S/ 1,234.50` (PEN).
pub fn format(amount: Decimal, currency: Currency) -> String {
    let symbol = match currency {
        Currency::Ars | Currency::Uyu | Currency::Clp | Currency::Cop => "$ ",
        Currency::Brl => "R$ ",
        Currency::Mxn => "$",
        Currency::Pen => "S/ ",
    };
    let (decimal, thousands) = currency.marks();
    let text = currency.rescale(amount.round_dp(currency.decimals())).abs().to_string();
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(thousands);
        }
        grouped.push(ch);
    }
    let sign = if amount.is_sign_negative() && !amount.is_zero() {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{symbol}{grouped}")
    } else {
        format!("{sign}{symbol}{grouped}{decimal}{frac}")
    }
}

/// Parses an amount typed by a person or sent by the UI: digits with an optional `.` decimal
/// part. Rejects exponents, `NaN`, infinities and separators, which never mean money here.
pub fn parse_amount(text: &str) -> Result<Decimal, MoneyError> {
    let t = text.trim();
    let valid = !t.is_empty()
        && t.len() <= 30
        && t.chars().filter(|c| *c == '.').count() <= 1
        && t.trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        && t.chars().any(|c| c.is_ascii_digit());
    if !valid {
        return Err(MoneyError::NotAnAmount(t.chars().take(32).collect()));
    }
    Decimal::from_str(t).map_err(|_| MoneyError::NotAnAmount(t.chars().take(32).collect()))
}

/// An amount as a cashier types it, read the way the currency's country writes amounts:
/// `1234,50`, `1.234,50`, `1234.50` and `$ 1.234,50` are all 1234.50 in ARS and BRL, as
/// `1,234.50` and `1234.50` are in MXN and PEN. A mark both ways could mean, three digits after
/// the country's decimal mark (`1,500` in ARS, `1.500` in MXN), is refused as ambiguous: a
/// thousands mark is never read as cents, nor cents as thousands. Decimals are the caller's
/// to check against the currency (`Currency::check_amount`).
pub fn read_typed(text: &str, currency: Currency) -> Result<Decimal, MoneyError> {
    let shown = || text.trim().chars().take(32).collect::<String>();
    let not_amount = || MoneyError::NotAnAmount(shown());
    let mut t = text.trim();
    let negative = t.starts_with('-');
    if negative {
        t = t[1..].trim_start();
    }
    for symbol in ["R$", "S/", "$"] {
        if let Some(rest) = t.strip_prefix(symbol) {
            t = rest.trim_start();
            break;
        }
    }
    if t.is_empty()
        || t.len() > 40
        || !t.starts_with(|c: char| c.is_ascii_digit())
        || !t.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return Err(not_amount());
    }
    let (_, thousands_mark) = currency.marks();
    let dots = t.matches('.').count();
    let commas = t.matches(',').count();
    // Which mark splits the decimals off, if any.
    let decimal = match (dots, commas) {
        (0, 0) => None,
        (_, 0) | (0, _) => {
            let mark = if dots > 0 { '.' } else { ',' };
            let after = t.len() - t.rfind(mark).map_or(0, |i| i + 1);
            if dots + commas > 1 {
                None // only thousands marks repeat
            } else if after == 3 && grouped(t, mark) {
                // Thousands by the country's way; the other mark's way, it could be either.
                if mark == thousands_mark {
                    None
                } else {
                    return Err(MoneyError::Ambiguous(shown()));
                }
            } else {
                Some(mark)
            }
        }
        _ => t.chars().rev().find(|c| *c == '.' || *c == ','),
    };
    let (whole, fraction) = match decimal {
        Some(mark) => t.rsplit_once(mark).ok_or_else(not_amount)?,
        None => (t, ""),
    };
    if decimal.is_some() && (fraction.is_empty() || !fraction.chars().all(|c| c.is_ascii_digit())) {
        return Err(not_amount());
    }
    let thousands = match decimal {
        Some('.') => ',',
        Some(_) => '.',
        None if dots > 0 => '.',
        None => ',',
    };
    if whole.contains(thousands) && !grouped(whole, thousands) {
        return Err(not_amount());
    }
    let digits: String = whole.chars().filter(char::is_ascii_digit).collect();
    let plain = if fraction.is_empty() {
        digits
    } else {
        format!("{digits}.{fraction}")
    };
    let amount = Decimal::from_str(&plain).map_err(|_| not_amount())?;
    Ok(if negative { -amount } else { amount })
}

/// `1.234.567` grouped by `mark`: one to three digits, then groups of exactly three.
fn grouped(whole: &str, mark: char) -> bool {
    let mut groups = whole.split(mark);
    let first = groups.next().unwrap_or_default();
    (1..=3).contains(&first.len())
        && !(first.len() > 1 && first.starts_with('0'))
        && first != "0"
        && first.chars().all(|c| c.is_ascii_digit())
        && groups.all(|g| g.len() == 3 && g.chars().all(|c| c.is_ascii_digit()))
}

/// The heaviest line a counter weighs, in kilograms (a typo guard).
pub const MAX_WEIGHT_KG: Decimal = Decimal::from_parts(999_999, 0, 0, false, 3);

/// A weight in kilograms as a cashier types it: `0,350`, `0.350`, `1,5`, `2`. No weight at a
/// counter has thousands, so either mark is the decimal one, and only one may be written; grams
/// (3 decimals) are the finest a scale weighs.
pub fn read_weight(text: &str) -> Result<Decimal, MoneyError> {
    let t = text.trim().trim_end_matches("kg").trim_end();
    let shown = || MoneyError::NotAWeight(text.trim().chars().take(32).collect());
    let marks = t.chars().filter(|c| *c == '.' || *c == ',').count();
    if t.is_empty()
        || t.len() > 12
        || marks > 1
        || !t.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        || !t.starts_with(|c: char| c.is_ascii_digit())
        || t.ends_with(['.', ','])
    {
        return Err(shown());
    }
    let kg = Decimal::from_str(&t.replace(',', ".")).map_err(|_| shown())?;
    if kg.normalize().scale() > 3 {
        return Err(MoneyError::WeightTooPrecise);
    }
    if kg <= Decimal::ZERO || kg > MAX_WEIGHT_KG {
        return Err(MoneyError::WeightOutOfRange { max: MAX_WEIGHT_KG });
    }
    let mut kg = kg;
    kg.rescale(3);
    Ok(kg)
}

/// A weight as the country writes it, to the gram: `0,350 kg` (`0.350 kg` in Mexico and Peru).
pub fn format_weight(kg: Decimal, currency: Currency) -> String {
    let mut k = kg.round_dp(3);
    k.rescale(3);
    let (decimal, _) = currency.marks();
    format!("{} kg", k.to_string().replace('.', &decimal.to_string()))
}

/// What a customer pays in cash where the smallest coins are gone: the total to the nearest
/// multiple of `step` (10 in Chile), an exact half going down, in the customer's favour (as
/// Chile's rounding law has it: 1 to 5 down, 6 to 9 up). None or a step that is not positive:
/// the total itself.
pub fn cash_round(total: Decimal, step: Option<Decimal>) -> Decimal {
    let Some(step) = step.filter(|s| *s > Decimal::ZERO) else {
        return total;
    };
    let Some(down) = total
        .checked_div(step)
        .map(|q| q.floor())
        .and_then(|q| q.checked_mul(step))
    else {
        return total;
    };
    let rest = total - down;
    if rest * Decimal::TWO > step {
        down.checked_add(step).unwrap_or(total)
    } else {
        down
    }
}

/// Serde for amounts as JSON numbers, exact both ways (no trip through `f64`).
pub mod json_amount {
    use super::*;
    use serde::{Deserializer, Serializer};
    use serde_json::value::RawValue;

    pub fn serialize<S: Serializer>(amount: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(amount.to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let raw: Box<RawValue> = Deserialize::deserialize(d)?;
        from_json_text(raw.get()).map_err(serde::de::Error::custom)
    }

    pub(crate) fn from_json_text(text: &str) -> Result<Decimal, String> {
        let t = text.trim().trim_matches('"');
        Decimal::from_str(t)
            .or_else(|_| Decimal::from_scientific(t))
            .map_err(|_| format!("{t:?} is not an amount"))
    }

    /// The same for `Option<Decimal>`, where `null` or a missing field means none.
    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(amount: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
            match amount {
                Some(a) => super::serialize(a, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
            let raw: Option<Box<RawValue>> = Deserialize::deserialize(d)?;
            match raw {
                None => Ok(None),
                Some(r) if r.get() == "null" => Ok(None),
                Some(r) => from_json_text(r.get()).map(Some).map_err(serde::de::Error::custom),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_site_has_its_currency_rules() {
        for site in Site::ALL {
            let c = site.currency();
            let expected = if matches!(site, Site::Chile | Site::Colombia) {
                0
            } else {
                2
            };
            assert_eq!(c.decimals(), expected, "{site}");
            assert_eq!(site.id().parse::<Site>().unwrap(), site);
            assert_eq!(c.code().parse::<Currency>().unwrap(), c);
        }
    }

    #[test]
    fn too_many_decimals_are_refused_for_each_site() {
        for site in Site::ALL {
            let c = site.currency();
            let bad = if c.decimals() == 0 { "100.5" } else { "10.005" };
            assert!(
                matches!(
                    c.check_amount(parse_amount(bad).unwrap()),
                    Err(MoneyError::TooManyDecimals { .. })
                ),
                "{site} accepted {bad}"
            );
            let good = if c.decimals() == 0 { "100.00" } else { "10.50" };
            assert!(
                c.check_amount(parse_amount(good).unwrap()).is_ok(),
                "{site} refused {good}"
            );
        }
    }

    #[test]
    fn amounts_read_as_each_country_writes_them() {
        let a = parse_amount("1234.5").unwrap();
        assert_eq!(format(a, Currency::Ars), "$ 1.234,50");
        assert_eq!(format(a, Currency::Brl), "R$ 1.234,50");
        assert_eq!(format(a, Currency::Mxn), "$1,234.50");
        assert_eq!(format(a, Currency::Pen), "S/ 1,234.50");
        assert_eq!(format(a, Currency::Uyu), "$ 1.234,50");
        assert_eq!(format(parse_amount("1234").unwrap(), Currency::Clp), "$ 1.234");
        assert_eq!(format(parse_amount("1234567").unwrap(), Currency::Cop), "$ 1.234.567");
        assert_eq!(format(parse_amount("5").unwrap(), Currency::Ars), "$ 5,00");
        assert_eq!(format(parse_amount("123").unwrap(), Currency::Clp), "$ 123");
    }

    #[test]
    fn sums_are_exact() {
        let a = parse_amount("0.1").unwrap() + parse_amount("0.2").unwrap();
        assert_eq!(a, parse_amount("0.3").unwrap());
        assert_eq!(a.to_string(), "0.3");
    }

    #[test]
    fn amounts_that_are_not_money_are_refused() {
        for t in ["", "NaN", "inf", "1e3", "1,5", "1.2.3", "abc", "--1", "."] {
            assert!(parse_amount(t).is_err(), "{t:?} parsed");
        }
    }

    #[test]
    fn typed_amounts_are_read_as_the_country_writes_them() {
        let cases: &[(Currency, &str, &str)] = &[
            (Currency::Ars, "1234,50", "1234.50"),
            (Currency::Ars, "1.234,50", "1234.50"),
            (Currency::Ars, "1234.50", "1234.50"),
            (Currency::Ars, "$ 1.234,50", "1234.50"),
            (Currency::Ars, "1234,5", "1234.5"),
            (Currency::Ars, "1.500", "1500"),
            (Currency::Ars, "1.234.567,89", "1234567.89"),
            (Currency::Ars, "1,234.50", "1234.50"),
            (Currency::Ars, " 850 ", "850"),
            (Currency::Ars, "0,50", "0.50"),
            (Currency::Brl, "R$ 12,90", "12.90"),
            (Currency::Brl, "1.234,50", "1234.50"),
            (Currency::Brl, "1234.50", "1234.50"),
            (Currency::Uyu, "1.250", "1250"),
            (Currency::Mxn, "1,234.50", "1234.50"),
            (Currency::Mxn, "1234.50", "1234.50"),
            (Currency::Mxn, "1,500", "1500"),
            (Currency::Mxn, "1234,50", "1234.50"),
            (Currency::Pen, "S/ 1,234.50", "1234.50"),
            (Currency::Clp, "1.500", "1500"),
            (Currency::Clp, "$ 12.990", "12990"),
            (Currency::Cop, "2.500.000", "2500000"),
        ];
        for (currency, typed, want) in cases {
            let got = read_typed(typed, *currency).unwrap_or_else(|e| panic!("{currency} {typed:?}: {e}"));
            assert_eq!(got.to_string(), *want, "{currency} {typed:?}");
        }
    }

    #[test]
    fn a_mark_that_could_be_thousands_or_cents_is_refused_as_ambiguous() {
        for (currency, typed) in [
            (Currency::Ars, "1,500"),
            (Currency::Brl, "12,990"),
            (Currency::Clp, "1,500"),
            (Currency::Mxn, "1.500"),
            (Currency::Pen, "2.250"),
        ] {
            assert_eq!(
                read_typed(typed, currency),
                Err(MoneyError::Ambiguous(typed.to_owned())),
                "{currency} {typed:?}"
            );
        }
    }

    #[test]
    fn typed_text_that_is_not_money_is_refused() {
        for t in [
            "",
            "abc",
            "1e3",
            "NaN",
            "12,",
            "12.",
            ",5",
            ".5",
            "1..2",
            "1,,2",
            "12.34.5",
            "1.23.456",
            "1.2345.678",
            "1,234,56",
            "1 234",
            "$",
            "--1",
            "1,234.5.6",
            "١٢٣",
        ] {
            assert!(
                matches!(read_typed(t, Currency::Ars), Err(MoneyError::NotAnAmount(_))),
                "{t:?} read as {:?}",
                read_typed(t, Currency::Ars)
            );
        }
        // Three decimals that cannot be thousands are decimals: the currency refuses them.
        for t in ["1234.567", "1234,567"] {
            assert!(
                matches!(
                    Currency::Ars.check_amount(read_typed(t, Currency::Ars).unwrap()),
                    Err(MoneyError::TooManyDecimals { .. })
                ),
                "{t:?}"
            );
        }
        assert_eq!(
            read_typed("0,500", Currency::Ars).unwrap().normalize().to_string(),
            "0.5"
        );
        // Too many decimals and zero are the currency's check, after reading.
        let clp = read_typed("1,5", Currency::Clp).unwrap();
        assert!(matches!(
            Currency::Clp.check_amount(clp),
            Err(MoneyError::TooManyDecimals { .. })
        ));
        assert_eq!(
            Currency::Ars.check_amount(read_typed("-5", Currency::Ars).unwrap()),
            Err(MoneyError::NotPositive)
        );
    }

    #[test]
    fn what_the_app_writes_it_reads_back() {
        for site in Site::ALL {
            let c = site.currency();
            for amount in ["0.01", "5", "1234.5", "1234567.89", "999"] {
                let a = c.rescale(Decimal::from_str(amount).unwrap().round_dp(c.decimals()));
                if a.is_zero() {
                    continue;
                }
                let written = format(a, c);
                let plain = a.to_string();
                for text in [written.as_str(), plain.as_str()] {
                    // A canonical 3-decimal text never occurs: decimals are 0 or 2.
                    assert_eq!(read_typed(text, c).map(|d| c.rescale(d)), Ok(a), "{site} {text:?}");
                }
            }
        }
    }

    #[test]
    fn a_weighed_line_rounds_once_halves_away_from_zero() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        // 0,350 kg × $ 8.900,00 = 3.115,00; 0,333 kg × $ 1.234,50 = 411,0885 → 411,09.
        assert_eq!(Currency::Ars.round(d("8900.00") * d("0.350")).to_string(), "3115.00");
        assert_eq!(Currency::Ars.round(d("1234.50") * d("0.333")).to_string(), "411.09");
        assert_eq!(Currency::Brl.round(d("0.125")).to_string(), "0.13");
        // Whole pesos: 0,255 kg × $ 8.990 = 2.292,45 → 2.292; 0,5 kg × 3.999 = 1.999,5 → 2.000.
        assert_eq!(Currency::Clp.round(d("8990") * d("0.255")).to_string(), "2292");
        assert_eq!(Currency::Clp.round(d("3999") * d("0.500")).to_string(), "2000");
        assert_eq!(Currency::Cop.round(d("12900") * d("0.745")).to_string(), "9611");
    }

    #[test]
    fn weights_are_read_to_the_gram() {
        for (typed, kg) in [
            ("0,350", "0.350"),
            ("0.350", "0.350"),
            ("1,5", "1.500"),
            ("2", "2.000"),
            (" 0,125 kg", "0.125"),
        ] {
            assert_eq!(read_weight(typed).unwrap().to_string(), kg, "{typed:?}");
        }
        for bad in ["", "abc", "1,2,3", "1.234,5", "-1", ",5", "5,", "1e3", "0,35 0"] {
            assert!(matches!(read_weight(bad), Err(MoneyError::NotAWeight(_))), "{bad:?}");
        }
        assert_eq!(read_weight("0,3505"), Err(MoneyError::WeightTooPrecise));
        assert!(matches!(read_weight("0"), Err(MoneyError::WeightOutOfRange { .. })));
        assert!(matches!(read_weight("1000"), Err(MoneyError::WeightOutOfRange { .. })));
        assert_eq!(format_weight(read_weight("0,35").unwrap(), Currency::Ars), "0,350 kg");
        assert_eq!(format_weight(read_weight("1.5").unwrap(), Currency::Mxn), "1.500 kg");
    }

    #[test]
    fn cash_is_rounded_to_the_smallest_coin_halves_down() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        let ten = Some(d("10"));
        for (total, due) in [
            ("1234", "1230"),
            ("1235", "1230"),
            ("1236", "1240"),
            ("1230", "1230"),
            ("5", "0"),
            ("6", "10"),
        ] {
            assert_eq!(cash_round(d(total), ten), d(due), "{total}");
        }
        assert_eq!(cash_round(d("1234.56"), None), d("1234.56"));
        assert_eq!(cash_round(d("1234.56"), Some(Decimal::ZERO)), d("1234.56"));
        assert_eq!(cash_round(d("12.37"), Some(d("0.05"))), d("12.35"));
        assert_eq!(cash_round(d("12.38"), Some(d("0.05"))), d("12.40"));
        assert_eq!(cash_round(d("1025"), Some(d("50"))), d("1000"));
        assert_eq!(cash_round(d("1026"), Some(d("50"))), d("1050"));
    }

    #[test]
    fn json_amounts_are_exact_numbers() {
        #[derive(Serialize, Deserialize)]
        struct P {
            #[serde(with = "json_amount")]
            v: Decimal,
        }
        let p: P = serde_json::from_str(r#"{"v": 1234.10}"#).unwrap();
        assert_eq!(p.v.to_string(), "1234.10");
        assert_eq!(
            serde_json::to_string(&P {
                v: Currency::Ars.rescale(p.v)
            })
            .unwrap(),
            r#"{"v":1234.10}"#
        );
        let big: P = serde_json::from_str(r#"{"v": 79228162514264.33}"#).unwrap();
        assert_eq!(big.v.to_string(), "79228162514264.33");
    }
}
