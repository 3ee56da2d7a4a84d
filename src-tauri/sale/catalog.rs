//! The store's products, kept in the journal's database: what the scan field and the product
//! search find.

use std::str::FromStr;

use rusqlite::{params, OptionalExtension};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Journal, JournalError};

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

    pub fn product_count(&self) -> Result<u64, JournalError> {
        self.with_transaction(|tx| tx.query_row("SELECT count(*) FROM products", [], |r| r.get(0)))
    }
}
