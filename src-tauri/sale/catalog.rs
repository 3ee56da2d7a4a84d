//! The store's products, kept in the journal's database: what the scan field and the product
//! search find.

use std::str::FromStr;

use rusqlite::{params, OptionalExtension};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Journal, JournalError};
use crate::money::{parse_amount, Currency};

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
    BadPrice { price: String, currency: Currency },
    #[error("the file is not CSV with the columns sku,name,price: {detail}")]
    BadFile { detail: String },
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
        let bad_price = || ProductError::BadPrice {
            price: price.chars().take(32).collect(),
            currency,
        };
        let price = parse_amount(price).map_err(|_| bad_price())?;
        let price = currency.check_amount(price).map_err(|_| bad_price())?;
        Ok(Product {
            id: 0,
            sku: sku.to_owned(),
            name: name.to_owned(),
            price,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    #[serde(default)]
    pub id: i64,
    pub sku: String,
    pub name: String,
    #[serde(with = "crate::money::json_amount")]
    pub price: Decimal,
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
    })
}

impl Journal {
    /// Products whose SKU starts with, or whose name contains, `query` (case-insensitive).
    pub fn find_products(&self, query: &str, limit: u32) -> Result<Vec<Product>, JournalError> {
        let q = query.trim().to_lowercase().replace(['%', '_'], "");
        self.with_transaction(|tx| {
            let mut stmt = tx.prepare(
                "SELECT id, sku, name, price FROM products
                 WHERE lower(sku) LIKE ?1 || '%' OR lower(name) LIKE '%' || ?1 || '%'
                 ORDER BY (lower(sku) = ?1) DESC, name LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![q, limit], read)?;
            rows.collect()
        })
    }

    pub fn product_by_sku(&self, sku: &str) -> Result<Option<Product>, JournalError> {
        self.with_transaction(|tx| {
            tx.query_row(
                "SELECT id, sku, name, price FROM products WHERE sku = ?1",
                [sku.trim()],
                read,
            )
            .optional()
        })
    }

    /// Adds the product, or updates the one with the same SKU.
    pub fn save_product(&self, p: &Product) -> Result<Product, JournalError> {
        self.with_transaction(|tx| {
            tx.execute(
                "INSERT INTO products (sku, name, price) VALUES (?1, ?2, ?3)
                 ON CONFLICT(sku) DO UPDATE SET name = excluded.name, price = excluded.price",
                params![p.sku.trim(), p.name.trim(), p.price.to_string()],
            )?;
            tx.query_row(
                "SELECT id, sku, name, price FROM products WHERE sku = ?1",
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
            let mut stmt = tx.prepare("SELECT id, sku, name, price FROM products ORDER BY name")?;
            let rows = stmt.query_map([], read)?;
            rows.collect()
        })
    }

    /// Imports `sku,name,price` rows: all of them, or none when any row is wrong (each wrong
    /// row is named). Existing SKUs are updated.
    pub fn import_products_csv(
        &self,
        text: &str,
        currency: Currency,
    ) -> Result<Result<usize, Vec<RowError>>, JournalError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let file_error = |detail: String| {
            Ok(Err(vec![RowError {
                row: 1,
                error: ProductError::BadFile { detail },
            }]))
        };
        match reader.headers() {
            Ok(h) if h.iter().map(str::to_lowercase).collect::<Vec<_>>() == ["sku", "name", "price"] => {}
            Ok(h) => return file_error(format!("the first row is {:?}", h.iter().collect::<Vec<_>>())),
            Err(e) => return file_error(e.to_string()),
        }
        let mut products = Vec::new();
        let mut errors = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let row = i + 2;
            match record {
                Ok(r) => match Product::checked(&r[0], &r[1], &r[2], currency) {
                    Ok(p) => products.push(p),
                    Err(error) => errors.push(RowError { row, error }),
                },
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
                    "INSERT INTO products (sku, name, price) VALUES (?1, ?2, ?3)
                     ON CONFLICT(sku) DO UPDATE SET name = excluded.name, price = excluded.price",
                    params![p.sku, p.name, p.price.to_string()],
                )?;
            }
            Ok(())
        })?;
        Ok(Ok(n))
    }

    /// The catalog as `sku,name,price` CSV.
    pub fn export_products_csv(&self, currency: Currency) -> Result<String, JournalError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(["sku", "name", "price"]);
        for p in self.all_products()? {
            let _ = w.write_record([p.sku.as_str(), p.name.as_str(), &currency.rescale(p.price).to_string()]);
        }
        Ok(String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default())
    }

    pub fn product_count(&self) -> Result<u64, JournalError> {
        self.with_transaction(|tx| tx.query_row("SELECT count(*) FROM products", [], |r| r.get(0)))
    }
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
    fn csv_round_trips_with_commas_quotes_and_accents() {
        let (_d, j) = journal();
        let csv = "sku,name,price\n779001,\"Café, molido \"\"premium\"\"\",4200.5\n779002,Pão de queijo,12\n";
        assert_eq!(j.import_products_csv(csv, Currency::Ars).unwrap(), Ok(2));
        let out = j.export_products_csv(Currency::Ars).unwrap();
        assert_eq!(
            out,
            "sku,name,price\n779001,\"Café, molido \"\"premium\"\"\",4200.50\n779002,Pão de queijo,12.00\n"
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
            .import_products_csv("code;name;price\n1;a;2\n", Currency::Ars)
            .unwrap()
            .unwrap_err();
        assert!(matches!(wrong[0].error, ProductError::BadFile { .. }));
    }
}
