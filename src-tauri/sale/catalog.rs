//! The store's products, kept in the journal's database: what the scan field and the product
//! search find.

use std::str::FromStr;

use rusqlite::{params, OptionalExtension};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Journal, JournalError};
use crate::money::{read_typed, Currency, MoneyError};

pub const MAX_SKU_CHARS: usize = 64;
pub const MAX_NAME_CHARS: usize = super::cart::MAX_TITLE_CHARS;

/// Why a product cannot be kept.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ProductError {
    #[error("the code (SKU) is empty, too long or has spaces or invisible characters")]
    BadSku,
    #[error("the name is empty, longer than {max} characters or has invisible characters")]
    BadName { max: usize },
    #[error("the price {price:?} is not a valid {currency} amount")]
    BadPrice {
        price: String,
        currency: Currency,
        /// It could be read as thousands or as cents (`1,500` in ARS).
        ambiguous: bool,
    },
    #[error("the file is not CSV with the columns sku, name and price: {detail}")]
    BadFile { detail: String },
    #[error("the unit {unit:?} is neither unit nor kg")]
    BadUnit { unit: String },
}

/// A CSV row that could not be imported (rows count from 1, the header included).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowError {
    pub row: usize,
    pub error: ProductError,
}

impl Product {
    /// A product as a person typed it, checked for the store's currency.
    pub fn checked(sku: &str, name: &str, price: &str, currency: Currency) -> Result<Product, ProductError> {
        let sku = sku.trim();
        if sku.is_empty()
            || sku.chars().count() > MAX_SKU_CHARS
            || sku.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(ProductError::BadSku);
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(ProductError::BadName { max: MAX_NAME_CHARS });
        }
        let bad_price = |e: MoneyError| ProductError::BadPrice {
            price: price.chars().take(32).collect(),
            currency,
            ambiguous: matches!(e, MoneyError::Ambiguous(_)),
        };
        let price = read_typed(price, currency).map_err(bad_price)?;
        let price = currency.check_amount(price).map_err(bad_price)?;
        Ok(Product {
            id: 0,
            sku: sku.to_owned(),
            name: name.to_owned(),
            price,
            by_weight: false,
        })
    }

    /// The same product sold by weight (its price is per kilogram) or by the unit.
    pub fn sold_by_weight(self, by_weight: bool) -> Product {
        Product { by_weight, ..self }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    #[serde(default)]
    pub id: i64,
    pub sku: String,
    pub name: String,
    /// The price of one unit, or of one kilogram when the product is sold by weight.
    #[serde(with = "crate::money::json_amount")]
    pub price: Decimal,
    /// Sold by weight: each line of it carries the kilograms weighed.
    #[serde(default)]
    pub by_weight: bool,
}

pub const MIGRATION: &str = "CREATE TABLE products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    price TEXT NOT NULL
);
CREATE INDEX products_name ON products(name);";

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Product> {
    Ok(Product {
        id: r.get(0)?,
        sku: r.get(1)?,
        name: r.get(2)?,
        price: Decimal::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
        by_weight: r.get(4)?,
    })
}

impl Journal {
    /// Products whose SKU starts with, or whose name contains, `query`, whatever the case and
    /// the accents (`cafe` finds `Café`, `PAO` finds `Pão`).
    pub fn find_products(&self, query: &str, limit: u32) -> Result<Vec<Product>, JournalError> {
        let q = fold(query).replace(['%', '_'], "");
        self.with_transaction(|tx| {
            let mut stmt = tx.prepare(
                "SELECT id, sku, name, price, by_weight FROM products
                 WHERE fold(sku) LIKE ?1 || '%' OR fold(name) LIKE '%' || ?1 || '%'
                 ORDER BY (fold(sku) = ?1) DESC, name LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![q, limit], read)?;
            rows.collect()
        })
    }

    pub fn product_by_sku(&self, sku: &str) -> Result<Option<Product>, JournalError> {
        self.with_transaction(|tx| {
            tx.query_row(
                "SELECT id, sku, name, price, by_weight FROM products WHERE sku = ?1",
                [sku.trim()],
                read,
            )
            .optional()
        })
    }

    /// The product whose SKU, without its leading zeros, is `bare` (a scale's product code).
    pub(super) fn product_where_sku_is(&self, bare: &str) -> Result<Option<Product>, JournalError> {
        self.with_transaction(|tx| {
            tx.query_row(
                "SELECT id, sku, name, price, by_weight FROM products WHERE ltrim(sku, '0') = ?1 ORDER BY id LIMIT 1",
                [bare],
                read,
            )
            .optional()
        })
    }

    /// Adds the product, or updates the one with the same SKU.
    pub fn save_product(&self, p: &Product) -> Result<Product, JournalError> {
        self.with_transaction(|tx| {
            tx.execute(
                "INSERT INTO products (sku, name, price, by_weight) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(sku) DO UPDATE SET name = excluded.name, price = excluded.price, by_weight = excluded.by_weight",
                params![p.sku.trim(), p.name.trim(), p.price.to_string(), p.by_weight],
            )?;
            tx.query_row(
                "SELECT id, sku, name, price, by_weight FROM products WHERE sku = ?1",
                [p.sku.trim()],
                read,
            )
        })
    }

    pub fn delete_product(&self, sku: &str) -> Result<(), JournalError> {
        self.with_transaction(|tx| tx.execute("DELETE FROM products WHERE sku = ?1", [sku]).map(|_| ()))
    }

    pub fn all_products(&self) -> Result<Vec<Product>, JournalError> {
        self.with_transaction(|tx| {
            let mut stmt = tx.prepare("SELECT id, sku, name, price, by_weight FROM products ORDER BY name")?;
            let rows = stmt.query_map([], read)?;
            rows.collect()
        })
    }

    /// Imports product rows: all of them, or none when any row is wrong (each wrong row is
    /// named). Existing SKUs are updated. The columns are found by their header, in English,
    /// Spanish or Portuguese (`sku`/`código`, `name`/`nombre`/`nome`, `price`/`precio`/`preço`),
    /// in any order, separated by `,` or `;` (as spreadsheets in comma-decimal countries save);
    /// prices as the store's country writes them (`1.234,50` in ARS).
    pub fn import_products_csv(
        &self,
        text: &str,
        currency: Currency,
    ) -> Result<Result<usize, Vec<RowError>>, JournalError> {
        let text = text.trim_start_matches('\u{feff}');
        let first_line = text.lines().next().unwrap_or_default();
        let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
            b';'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .delimiter(delimiter)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let file_error = |detail: String| {
            Ok(Err(vec![RowError {
                row: 1,
                error: ProductError::BadFile { detail },
            }]))
        };
        let (columns, unit) = match reader.headers() {
            Ok(h) => match columns(h) {
                Some(c) => (c, unit_column(h)),
                None => return file_error(format!("the first row is {:?}", h.iter().collect::<Vec<_>>())),
            },
            Err(e) => return file_error(e.to_string()),
        };
        let mut products = Vec::new();
        let mut errors = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let row = i + 2;
            match record {
                Ok(r) => {
                    let by_weight = match unit.map(|u| fold(&r[u])) {
                        None => Ok(false),
                        Some(u) if UNIT_WORDS.contains(&u.as_str()) => Ok(false),
                        Some(u) if KG_WORDS.contains(&u.as_str()) => Ok(true),
                        Some(u) => Err(ProductError::BadUnit {
                            unit: u.chars().take(16).collect(),
                        }),
                    };
                    let product = by_weight.and_then(|by_weight| {
                        Product::checked(
                            from_spreadsheet_text(&r[columns[0]]),
                            from_spreadsheet_text(&r[columns[1]]),
                            &r[columns[2]],
                            currency,
                        )
                        .map(|p| p.sold_by_weight(by_weight))
                    });
                    match product {
                        Ok(p) => products.push(p),
                        Err(error) => errors.push(RowError { row, error }),
                    }
                }
                Err(e) => errors.push(RowError {
                    row,
                    error: ProductError::BadFile { detail: e.to_string() },
                }),
            }
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let n = products.len();
        self.with_transaction(|tx| {
            for p in &products {
                tx.execute(
                    "INSERT INTO products (sku, name, price, by_weight) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(sku) DO UPDATE SET name = excluded.name, price = excluded.price, by_weight = excluded.by_weight",
                    params![p.sku, p.name, p.price.to_string(), p.by_weight],
                )?;
            }
            Ok(())
        })?;
        Ok(Ok(n))
    }

    /// The catalog as `sku,name,price,unit` CSV (prices with a `.`, as spreadsheets everywhere
    /// read; `unit` is `kg` for a product sold by weight, its price per kilogram).
    pub fn export_products_csv(&self, currency: Currency) -> Result<String, JournalError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(["sku", "name", "price", "unit"]);
        for p in self.all_products()? {
            let _ = w.write_record([
                spreadsheet_text(&p.sku).as_ref(),
                spreadsheet_text(&p.name).as_ref(),
                &currency.rescale(p.price).to_string(),
                if p.by_weight { "kg" } else { "unit" },
            ]);
        }
        Ok(String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default())
    }

    pub fn product_count(&self) -> Result<u64, JournalError> {
        self.with_transaction(|tx| tx.query_row("SELECT count(*) FROM products", [], |r| r.get(0)))
    }
}

/// A text cell as spreadsheets may open it without running it: a leading `=`, `+`, `-`, `@`,
/// tab or carriage return would start a formula (`=HYPERLINK(…)` in a product name), so it
/// gets a `'` in front, as spreadsheets themselves write it. Amount columns are not text.
pub fn spreadsheet_text(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// A text cell read back: the `'` that [`spreadsheet_text`] put in front of a formula sign
/// comes off again, so an export imports as it was.
fn from_spreadsheet_text(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => text,
    }
}

/// Where the SKU, name and price columns are, from the header row.
fn columns(header: &csv::StringRecord) -> Option<[usize; 3]> {
    const NAMES: [&[&str]; 3] = [
        &["sku", "codigo", "code", "cod"],
        &[
            "name",
            "nombre",
            "nome",
            "descripcion",
            "descricao",
            "producto",
            "produto",
        ],
        &["price", "precio", "preco", "valor"],
    ];
    let folded: Vec<String> = header.iter().map(fold).collect();
    let mut at = [0; 3];
    for (slot, names) in at.iter_mut().zip(NAMES) {
        *slot = folded.iter().position(|h| names.contains(&h.as_str()))?;
    }
    Some(at)
}

/// How the optional `unit` column says a product is sold: by the unit or by the kilogram.
const UNIT_WORDS: [&str; 6] = ["", "unit", "unidad", "unidade", "un", "u"];
const KG_WORDS: [&str; 4] = ["kg", "kilo", "kilogramo", "quilo"];

/// Where the optional unit column is (`unit`, `unidad`, `unidade`, `medida`).
fn unit_column(header: &csv::StringRecord) -> Option<usize> {
    header
        .iter()
        .map(fold)
        .position(|h| ["unit", "unidad", "unidade", "medida"].contains(&h.as_str()))
}

/// `fold(text)` in the journal's SQL, for the product search.
pub(super) fn add_fold_function(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "fold",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(fold(&ctx.get::<String>(0)?)),
    )
}

/// Text for matching as people mean it: lowercase, without accents (`Código` → `codigo`).
pub fn fold(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal() -> (tempfile::TempDir, Journal) {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(&dir.path().join("j.sqlite3")).unwrap();
        (dir, j)
    }

    #[test]
    fn goods_by_the_kilo_import_and_export_with_their_unit() {
        let (_d, j) = journal();
        let csv =
            "código;nombre;precio;unidad\n00101;Queso de máquina;8.900;kg\n779;Pan;1.500;\n780;Vino;4.500;unidad\n";
        assert_eq!(j.import_products_csv(csv, Currency::Ars).unwrap(), Ok(3));
        let queso = j.product_by_sku("00101").unwrap().unwrap();
        assert!(queso.by_weight);
        assert!(!j.product_by_sku("779").unwrap().unwrap().by_weight);
        let out = j.export_products_csv(Currency::Ars).unwrap();
        assert!(out.contains("00101,Queso de máquina,8900.00,kg\n"), "{out}");
        let (_d2, j2) = journal();
        assert_eq!(j2.import_products_csv(&out, Currency::Ars).unwrap(), Ok(3));
        assert!(j2.product_by_sku("00101").unwrap().unwrap().by_weight);
        // A unit that is neither: the row is named, nothing imported.
        let (_d3, j3) = journal();
        let bad = "sku,name,price,unit\n1,A,10,kg\n2,B,10,litro\n";
        assert_eq!(
            j3.import_products_csv(bad, Currency::Ars).unwrap(),
            Err(vec![RowError {
                row: 3,
                error: ProductError::BadUnit { unit: "litro".into() }
            }])
        );
        assert_eq!(j3.product_count().unwrap(), 0);
    }

    #[test]
    fn csv_round_trips_with_commas_quotes_and_accents() {
        let (_d, j) = journal();
        let csv = "sku,name,price\n779001,\"Café, molido \"\"premium\"\"\",4200.5\n779002,Pão de queijo,12\n";
        assert_eq!(j.import_products_csv(csv, Currency::Ars).unwrap(), Ok(2));
        let out = j.export_products_csv(Currency::Ars).unwrap();
        assert_eq!(
            out,
            "sku,name,price,unit\n779001,\"Café, molido \"\"premium\"\"\",4200.50,unit\n779002,Pão de queijo,12.00,unit\n"
        );
        let (_d2, j2) = journal();
        assert_eq!(j2.import_products_csv(&out, Currency::Ars).unwrap(), Ok(2));
        assert_eq!(
            j2.all_products().unwrap(),
            j.all_products()
                .unwrap()
                .into_iter()
                .map(|p| Product { id: p.id, ..p })
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_bad_row_imports_nothing_and_is_named() {
        let (_d, j) = journal();
        let csv = "sku,name,price\n1,Pan,100\n2,Leche,10.5\n,Sin codigo,5\n";
        let errors = j.import_products_csv(csv, Currency::Clp).unwrap().unwrap_err();
        assert_eq!(errors.iter().map(|e| e.row).collect::<Vec<_>>(), [3, 4]);
        assert!(matches!(errors[0].error, ProductError::BadPrice { .. }));
        assert_eq!(errors[1].error, ProductError::BadSku);
        assert_eq!(j.product_count().unwrap(), 0);
        let wrong = j
            .import_products_csv("id;title;cost\n1;a;2\n", Currency::Ars)
            .unwrap()
            .unwrap_err();
        assert!(matches!(wrong[0].error, ProductError::BadFile { .. }));
    }

    #[test]
    fn formulas_in_names_are_exported_inert_and_import_back_exact() {
        let (_d, j) = journal();
        let names = [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+5 cola",
            "-10% pack",
            "@SUM(A1)",
            "\tTab",
            "Plain",
        ];
        for (i, name) in names.iter().enumerate() {
            j.save_product(
                &Product::checked(&format!("S{i}"), name, "10", Currency::Ars)
                    .unwrap_or_else(|e| panic!("{name:?}: {e}")),
            )
            .unwrap();
        }
        let out = j.export_products_csv(Currency::Ars).unwrap();
        let mut r = csv::Reader::from_reader(out.as_bytes());
        for rec in r.records() {
            let name = rec.unwrap()[1].to_owned();
            assert!(
                !name.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{name:?} would run as a formula"
            );
        }
        let (_d2, j2) = journal();
        assert_eq!(j2.import_products_csv(&out, Currency::Ars).unwrap(), Ok(names.len()));
        let mut back: Vec<String> = j2.all_products().unwrap().into_iter().map(|p| p.name).collect();
        let mut want: Vec<String> = names.iter().map(|n| n.trim().to_string()).collect();
        back.sort();
        want.sort();
        assert_eq!(back, want, "the round trip is exact");
    }

    #[test]
    fn a_spreadsheet_from_a_comma_decimal_country_imports() {
        let (_d, j) = journal();
        // Saved by a spreadsheet in Spanish: `;` between fields, comma decimals, its headers.
        let csv = "\u{feff}Código;Nombre;Precio\n7791;Café molido;1.234,50\n7792;Yerba;850\n7793;\"Té; verde\";12,5\n";
        assert_eq!(j.import_products_csv(csv, Currency::Ars).unwrap(), Ok(3));
        let p = j.product_by_sku("7791").unwrap().unwrap();
        assert_eq!(
            (p.name.as_str(), p.price.to_string().as_str()),
            ("Café molido", "1234.50")
        );
        assert_eq!(j.product_by_sku("7793").unwrap().unwrap().price.to_string(), "12.50");
        // In Portuguese, the columns in another order, commas between quoted prices.
        let (_d2, j2) = journal();
        let csv = "preço,nome,código\n\"12,90\",Pão de queijo,100\n";
        assert_eq!(j2.import_products_csv(csv, Currency::Brl).unwrap(), Ok(1));
        assert_eq!(j2.product_by_sku("100").unwrap().unwrap().price.to_string(), "12.90");
    }

    #[test]
    fn the_search_ignores_case_and_accents_in_every_language() {
        let (_d, j) = journal();
        for (sku, name) in [
            ("1", "Café molido"),
            ("2", "Pão de queijo"),
            ("3", "AÇÚCAR"),
            ("4", "Ñoquis"),
            ("5", "Te"),
        ] {
            j.save_product(&Product::checked(sku, name, "10", Currency::Ars).unwrap())
                .unwrap();
        }
        let names = |q: &str| {
            j.find_products(q, 10)
                .unwrap()
                .into_iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names("cafe"), ["Café molido"]);
        assert_eq!(names("CAFÉ"), ["Café molido"]);
        assert_eq!(names("pao"), ["Pão de queijo"]);
        assert_eq!(names("acucar"), ["AÇÚCAR"]);
        assert_eq!(names("noquis"), ["Ñoquis"]);
        assert_eq!(names("QUEIJO"), ["Pão de queijo"]);
        assert!(names("café con leche").is_empty());
    }

    #[test]
    fn each_wrong_row_says_what_is_wrong() {
        let (_d, j) = journal();
        let csv = "sku;name;price\n1;Pan;1,500\n2;Leche;abc\n3;Agua\n4;;10\n";
        let errors = j.import_products_csv(csv, Currency::Ars).unwrap().unwrap_err();
        assert_eq!(errors.iter().map(|e| e.row).collect::<Vec<_>>(), [2, 3, 4, 5]);
        assert!(matches!(
            errors[0].error,
            ProductError::BadPrice { ambiguous: true, .. }
        ));
        assert!(matches!(
            errors[1].error,
            ProductError::BadPrice { ambiguous: false, .. }
        ));
        assert!(
            matches!(errors[2].error, ProductError::BadFile { .. }),
            "{:?}",
            errors[2]
        );
        assert!(matches!(errors[3].error, ProductError::BadName { .. }));
        assert_eq!(j.product_count().unwrap(), 0, "nothing imported");
    }
}
