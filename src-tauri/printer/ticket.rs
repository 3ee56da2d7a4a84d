//! What a ticket says, laid out in the characters of the paper's width: a sale's ticket, the
//! till's Z report, a test page. One layout for both ways out: the thermal printer prints its
//! lines as they are, and the page prints the same lines through the system's dialog. A line is
//! never longer than the paper: an amount is never split or wrapped.

use chrono::{DateTime, Local, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::money::{format, format_weight, Currency, Site};
use crate::sale::{Sale, Tender};
use crate::settings::StoreDetails;
use crate::till::{MoveKind, ZReport};

/// Characters per line: 48 on 80 mm paper (72 mm printed), 32 on 58 mm (48 mm printed).
pub fn columns(paper_mm: u32) -> usize {
    if paper_mm <= 58 {
        32
    } else {
        48
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    #[default]
    Left,
    Center,
}

/// One printed line, at most the paper's columns long.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    pub text: String,
    pub align: Align,
    pub bold: bool,
    /// Double height: the store's name, the total.
    pub tall: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    pub columns: usize,
    pub lines: Vec<Line>,
}

/// Who and where a ticket speaks for.
pub struct Letterhead<'a> {
    pub site: Site,
    /// The store's name on its Mercado Pago account (the legal name, when set, goes first).
    pub store_name: &'a str,
    pub details: &'a StoreDetails,
    pub register: &'a str,
}

/// The words of a ticket, in the country's language (a ticket is the customer's, whatever
/// language the cashier's screen speaks).
struct Words {
    sale: &'static str,
    cashier: &'static str,
    total: &'static str,
    rounding: &'static str,
    cash: &'static str,
    change: &'static str,
    paid_qr: &'static str,
    operation: &'static str,
    not_fiscal: &'static str,
    thanks: &'static str,
    z_title: &'static str,
    register: &'static str,
    opened: &'static str,
    closed: &'static str,
    open_now: &'static str,
    float: &'static str,
    cash_sales: &'static str,
    cash_received: &'static str,
    change_given: &'static str,
    cash_in: &'static str,
    cash_out: &'static str,
    expected: &'static str,
    counted: &'static str,
    difference: &'static str,
    qr_collected: &'static str,
    refunds: &'static str,
    late: &'static str,
    sales: &'static str,
    average: &'static str,
    cancelled: &'static str,
    expired: &'static str,
    test: &'static str,
}

const ES: Words = Words {
    sale: "Venta",
    cashier: "Cajero/a",
    total: "TOTAL",
    rounding: "Redondeo",
    cash: "Efectivo",
    change: "Vuelto",
    paid_qr: "Pagado con Mercado Pago",
    operation: "Operación",
    not_fiscal: "No válido como factura",
    thanks: "¡Gracias por su compra!",
    z_title: "CIERRE DE CAJA (Z)",
    register: "Caja",
    opened: "Apertura",
    closed: "Cierre",
    open_now: "Caja abierta (parcial X)",
    float: "Fondo inicial",
    cash_sales: "Ventas en efectivo",
    cash_received: "Efectivo recibido",
    change_given: "Vuelto entregado",
    cash_in: "Ingresos",
    cash_out: "Retiros",
    expected: "Efectivo esperado",
    counted: "Efectivo contado",
    difference: "Diferencia",
    qr_collected: "Cobrado con QR",
    refunds: "Devoluciones",
    late: "Pagos tardíos",
    sales: "Ventas",
    average: "Ticket promedio",
    cancelled: "Canceladas",
    expired: "Vencidas",
    test: "Prueba de impresora",
};

const PT: Words = Words {
    sale: "Venda",
    cashier: "Operador(a)",
    total: "TOTAL",
    rounding: "Arredondamento",
    cash: "Dinheiro",
    change: "Troco",
    paid_qr: "Pago com Mercado Pago",
    operation: "Operação",
    not_fiscal: "Não é documento fiscal",
    thanks: "Obrigado pela preferência!",
    z_title: "FECHAMENTO DE CAIXA (Z)",
    register: "Caixa",
    opened: "Abertura",
    closed: "Fechamento",
    open_now: "Caixa aberto (parcial X)",
    float: "Fundo de troco",
    cash_sales: "Vendas em dinheiro",
    cash_received: "Dinheiro recebido",
    change_given: "Troco dado",
    cash_in: "Suprimentos",
    cash_out: "Sangrias",
    expected: "Dinheiro esperado",
    counted: "Dinheiro contado",
    difference: "Diferença",
    qr_collected: "Recebido com QR",
    refunds: "Estornos",
    late: "Pagamentos atrasados",
    sales: "Vendas",
    average: "Tíquete médio",
    cancelled: "Canceladas",
    expired: "Expiradas",
    test: "Teste de impressora",
};

fn words(site: Site) -> &'static Words {
    match site {
        Site::Brazil => &PT,
        _ => &ES,
    }
}

/// "Vuelto" in the Southern Cone and Peru, "Cambio" in Mexico and Colombia.
fn change_word(site: Site) -> &'static str {
    match site {
        Site::Mexico | Site::Colombia => "Cambio",
        _ => words(site).change,
    }
}

/// The tax id's name in the store's country.
pub fn tax_id_label(site: Site) -> &'static str {
    match site {
        Site::Argentina => "CUIT",
        Site::Brazil => "CNPJ",
        Site::Mexico => "RFC",
        Site::Chile | Site::Uruguay => "RUT",
        Site::Colombia => "NIT",
        Site::Peru => "RUC",
    }
}

/// A date and time as the region writes them: day, month, year (`05/12/2026 14:32`), local time.
pub fn when(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%d/%m/%Y %H:%M").to_string()
}

/// Builds a ticket line by line.
struct Layout {
    columns: usize,
    lines: Vec<Line>,
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// `text` cut into pieces of at most `columns` characters, at spaces where it can.
fn wrap(text: &str, columns: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_owned();
        while width(&word) > columns {
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            let head: String = word.chars().take(columns).collect();
            word = word.chars().skip(columns).collect();
            out.push(head);
        }
        if line.is_empty() {
            line = word;
        } else if width(&line) + 1 + width(&word) <= columns {
            line.push(' ');
            line.push_str(&word);
        } else {
            out.push(std::mem::replace(&mut line, word));
        }
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

impl Layout {
    fn new(columns: usize) -> Self {
        Layout {
            columns,
            lines: Vec::new(),
        }
    }

    fn push(&mut self, text: String, align: Align, bold: bool, tall: bool) {
        self.lines.push(Line {
            text,
            align,
            bold,
            tall,
        });
    }

    fn title(&mut self, text: &str) {
        for t in wrap(text, self.columns) {
            self.push(t, Align::Center, true, true);
        }
    }

    fn center(&mut self, text: &str) {
        for t in wrap(text, self.columns) {
            self.push(t, Align::Center, false, false);
        }
    }

    fn text(&mut self, text: &str) {
        for t in wrap(text, self.columns) {
            self.push(t, Align::Left, false, false);
        }
    }

    /// Words on the left, an amount on the right of the same line; when both do not fit, the
    /// words go on lines of their own and the amount, whole, on the last.
    fn pair(&mut self, left: &str, right: &str, bold: bool) {
        let right_w = width(right);
        if width(left) + 1 + right_w <= self.columns {
            let gap = self.columns - width(left) - right_w;
            self.push(format!("{left}{}{right}", " ".repeat(gap)), Align::Left, bold, false);
            return;
        }
        for t in wrap(left, self.columns) {
            self.push(t, Align::Left, bold, false);
        }
        let right: String = right.chars().take(self.columns).collect();
        self.push(
            format!("{}{right}", " ".repeat(self.columns - width(&right))),
            Align::Left,
            bold,
            false,
        );
    }

    fn total(&mut self, left: &str, right: &str) {
        self.pair(left, right, true);
        if let Some(last) = self.lines.last_mut() {
            last.tall = true;
        }
    }

    fn rule(&mut self) {
        self.push("-".repeat(self.columns), Align::Left, false, false);
    }

    fn letterhead(&mut self, head: &Letterhead<'_>) {
        let d = head.details;
        let name = if d.legal_name.trim().is_empty() {
            head.store_name
        } else {
            d.legal_name.trim()
        };
        self.title(name);
        if !d.legal_name.trim().is_empty() && !head.store_name.is_empty() && head.store_name != name {
            self.center(head.store_name);
        }
        if !d.tax_id.trim().is_empty() {
            self.center(&format!("{} {}", tax_id_label(head.site), d.tax_id.trim()));
        }
        if !d.address.trim().is_empty() {
            self.center(d.address.trim());
        }
        self.rule();
    }

    fn done(self) -> Ticket {
        Ticket {
            columns: self.columns,
            lines: self.lines,
        }
    }
}

/// A sale's ticket: the store, the sale and its time, the cashier, each line, the total, how it
/// was paid (the cash and the change, or Mercado Pago and its operation numbers).
pub fn sale_ticket(sale: &Sale, head: &Letterhead<'_>, cashier: Option<&str>, paper_mm: u32) -> Ticket {
    let w = words(head.site);
    let c = sale.currency;
    let mut t = Layout::new(columns(paper_mm));
    t.letterhead(head);
    t.pair(&format!("{} #{}", w.sale, sale.id), &when(sale.created_at), false);
    t.text(&format!("{}: {}", w.register, head.register));
    if let Some(name) = cashier.filter(|n| !n.trim().is_empty()) {
        t.text(&format!("{}: {}", w.cashier, name.trim()));
    }
    t.rule();
    for line in &sale.lines {
        t.text(&line.title);
        let how = match line.weight {
            Some(kg) => format!("  {} x {}/kg", format_weight(kg, c), format(line.unit_price, c)),
            None => format!("  {} x {}", line.quantity, format(line.unit_price, c)),
        };
        t.pair(&how, &format(line.total(c).unwrap_or_default(), c), false);
    }
    t.rule();
    match (&sale.tender, &sale.cash) {
        (Tender::Cash, Some(cash)) => {
            if !cash.rounding.is_zero() {
                t.pair(w.rounding, &format(cash.rounding, c), false);
            }
            t.total(w.total, &format(sale.total, c));
            t.pair(w.cash, &format(cash.received, c), false);
            t.pair(change_word(head.site), &format(cash.change, c), true);
        }
        _ => {
            t.total(w.total, &format(sale.total, c));
            t.text(w.paid_qr);
            let operations: Vec<String> = match &sale.order_id {
                Some(order) => vec![order.clone()],
                None => sale.payment_ids.iter().map(u64::to_string).collect(),
            };
            if !operations.is_empty() {
                t.text(&format!("{} {}", w.operation, operations.join(", ")));
            }
        }
    }
    t.rule();
    t.center(w.not_fiscal);
    t.center(w.thanks);
    t.done()
}

/// The till's Z report: the drawer's cash, expected against counted, then the money of its sales.
pub fn z_ticket(z: &ZReport, head: &Letterhead<'_>, paper_mm: u32) -> Ticket {
    let w = words(head.site);
    let c: Currency = z.till.currency;
    let a = |d: Decimal| format(d, c);
    let minus = |d: Decimal| format(-d, c);
    let mut t = Layout::new(columns(paper_mm));
    t.letterhead(head);
    t.title(if z.till.closed_at.is_some() {
        w.z_title
    } else {
        w.open_now
    });
    t.text(&format!("{}: {} · #{}", w.register, head.register, z.till.id));
    t.text(&format!("{}: {}", w.cashier, z.till.cashier));
    t.pair(w.opened, &when(z.till.opened_at), false);
    t.pair(
        if z.till.closed_at.is_some() { w.closed } else { "X" },
        &when(z.till.closed_at.unwrap_or(z.at)),
        false,
    );
    t.rule();
    t.pair(w.float, &a(z.till.float), false);
    t.pair(&format!("{} ({})", w.cash_sales, z.cash_sales), &a(z.cash_total), false);
    t.pair(w.cash_received, &a(z.cash_received), false);
    t.pair(w.change_given, &minus(z.change_given), false);
    if !z.rounding.is_zero() {
        t.pair(w.rounding, &a(z.rounding), false);
    }
    t.pair(w.cash_in, &a(z.cash_in), false);
    t.pair(w.cash_out, &minus(z.cash_out), false);
    t.total(w.expected, &a(z.expected_cash));
    if let (Some(counted), Some(difference)) = (z.counted, z.difference) {
        t.pair(w.counted, &a(counted), false);
        t.total(w.difference, &a(difference));
    }
    t.rule();
    t.pair(
        &format!("{} ({})", w.qr_collected, z.qr_sales),
        &a(z.qr_collected),
        false,
    );
    t.pair(&format!("{} ({})", w.refunds, z.refunds), &minus(z.refunded), false);
    t.pair(&format!("{} ({})", w.late, z.late_payments), &a(z.late_amount), false);
    t.pair(&format!("{} ({})", w.sales, z.sales), &a(z.sales_total), true);
    t.pair(w.average, &a(z.average_ticket), false);
    t.pair(w.cancelled, &z.cancelled.to_string(), false);
    t.pair(w.expired, &z.expired.to_string(), false);
    if !z.moves.is_empty() {
        t.rule();
        for m in &z.moves {
            let (what, amount) = match m.kind {
                MoveKind::In => (w.cash_in, a(m.amount)),
                MoveKind::Out => (w.cash_out, minus(m.amount)),
            };
            t.pair(&format!("{} {}: {}", when(m.at), what, m.reason), &amount, false);
        }
    }
    t.done()
}

/// A test page: the store's letterhead and a ruler of the paper's width.
pub fn test_ticket(head: &Letterhead<'_>, paper_mm: u32) -> Ticket {
    let w = words(head.site);
    let mut t = Layout::new(columns(paper_mm));
    t.letterhead(head);
    t.title(w.test);
    t.center(&format!("{} mm · {} col.", paper_mm, t.columns));
    let ruler: String = (1..=t.columns).map(|i| char::from(b'0' + (i % 10) as u8)).collect();
    t.text(&ruler);
    t.pair(
        "áéíóú ñ ç ãõ",
        &format(Decimal::new(123_456, 2), head.site.currency()),
        false,
    );
    t.center(&when(Utc::now()));
    t.done()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_amount_is_never_split_and_no_line_is_wider_than_the_paper() {
        let mut t = Layout::new(32);
        t.pair(
            "Queso de máquina en fetas finas 0,350 kg x $ 8.900,00/kg",
            "$ 3.115,00",
            false,
        );
        t.pair("Vuelto", "$ 1.296,20", true);
        t.text(&"x".repeat(70));
        for l in &t.lines {
            assert!(width(&l.text) <= 32, "{:?}", l.text);
        }
        assert!(t
            .lines
            .iter()
            .any(|l| l.text.ends_with("$ 3.115,00") && l.text.trim_start() == "$ 3.115,00"));
        assert_eq!(t.lines.iter().filter(|l| l.text.contains("3.115,00")).count(), 1);
        let vuelto = t.lines.iter().find(|l| l.text.starts_with("Vuelto")).unwrap();
        assert_eq!(width(&vuelto.text), 32);
        assert!(vuelto.text.ends_with("$ 1.296,20"));
    }

    #[test]
    fn the_tax_id_is_named_as_each_country_names_it() {
        let names: Vec<&str> = Site::ALL.iter().map(|s| tax_id_label(*s)).collect();
        assert_eq!(names, ["CUIT", "CNPJ", "RFC", "RUT", "RUT", "NIT", "RUC"]);
    }
}
