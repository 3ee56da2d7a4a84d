// The cart: its lines, the next sale's tray, quick-add, clear with undo. Rust prices every
// line (`quote`); the page keeps what the cashier typed and shows what Rust said.
import { $, t, I18N, invoke, state, el, button } from "./page.js";
import { amountTyping } from "./lib/amount.js";
import { isOpen } from "./lib/screen.js";
import { beep } from "./sound.js";

/** How long a cleared cart can be brought back (Ctrl+Z). */
const UNDO_MS = 10_000;

/** A sale on the pay panel locks the cart: it stays what was charged, and what is scanned
 * meanwhile goes to the next sale's tray. */
export function cartLocked() {
  return !!state.sale || !!state.cash;
}

/** A line of goods sold by weight: it carries the kilograms (typed, or from a scale's label). */
export function isWeighed(line) {
  return line.weight !== undefined && line.weight !== null;
}

/** Adds a line to the cart, or to the tray while the cart is locked. A weighed line is one
 * weighing: it never joins another. One still to be weighed takes the keyboard. */
export function addLine(line) {
  const into = cartLocked() ? state.tray : state.lines;
  const same = !isWeighed(line) && into.find((l) => !isWeighed(l) && l.sku && l.sku === line.sku && l.unitPrice === line.unitPrice);
  if (same) same.quantity += line.quantity;
  else into.push(line);
  beep("good");
  renderCart().then(() => {
    if (isWeighed(line) && !line.weight && into === state.lines) focusWeight(state.lines.indexOf(line) + 1);
  });
}

/** The weight field of line `n` (counting from 1). */
function focusWeight(n) {
  const field = document.querySelector(`[data-testid="weight-${n}"]`);
  if (field) {
    field.focus();
    field.select();
  }
}

/** The tray becomes the cart (a new sale begins). */
export function takeTray() {
  state.lines = state.tray;
  state.tray = [];
}

async function priced(lines) {
  if (!lines.length) return null;
  try {
    return await invoke("quote", { lines });
  } catch (e) {
    return { lineTotals: [], unitPrices: [], total: null, items: 0, error: e };
  }
}

let generation = 0;

export async function renderCart() {
  const locked = cartLocked();
  // Charge works as soon as a line is in: Rust prices the lines again when it charges.
  $("charge").disabled = locked || !state.lines.length;
  $("cash").disabled = $("charge").disabled;
  const mine = ++generation;
  const [quote, trayQuote] = await Promise.all([priced(state.lines), priced(state.tray)]);
  // A later change is being priced: this answer is about lines that are gone.
  if (mine !== generation) return;
  state.quote = quote;
  $("lines").replaceChildren(...state.lines.map((line, i) => cartRow(line, i, quote, locked)));
  $("cart-empty").hidden = state.lines.length > 0;
  // The demo's products, while the cart is empty: what a newcomer can scan or type.
  $("demo-hint").hidden = !(state.info && state.info.mode === "demo") || state.lines.length > 0 || locked;
  $("total").textContent = quote && quote.total ? quote.total : "–";
  $("items").textContent = quote ? t("cart.items", { n: quote.items }) : "";
  $("cart-side").classList.toggle("locked", locked);
  showCartError(quote && quote.error);
  $("charge").disabled = locked || !quote || !quote.total;
  $("cash").disabled = $("charge").disabled;
  renderTray(trayQuote);
  publishCart(quote);
}

function cartRow(line, i, quote, locked) {
  const n = i + 1;
  const tr = el("tr");
  tr.dataset.testid = `line-${n}`;
  if (quote && quote.lineTotals[i] == null) tr.className = "bad";
  const title = el("td", line.title);
  title.dataset.testid = `line-title-${n}`;
  const weighed = isWeighed(line);
  const qty = weighed
    ? el("input", null, { className: "qty weight", value: line.weight, disabled: locked, placeholder: "0,000" })
    : el("input", null, { className: "qty", type: "number", min: "1", value: line.quantity, disabled: locked });
  qty.inputMode = weighed ? "decimal" : "numeric";
  qty.dataset.testid = weighed ? `weight-${n}` : `qty-${n}`;
  qty.setAttribute("aria-label", t(weighed ? "cart.weight" : "cart.col.qty"));
  qty.addEventListener("change", () => {
    if (cartLocked()) return;
    if (weighed) {
      line.weight = qty.value.trim();
    } else {
      line.quantity = Number.parseInt(qty.value, 10);
      if (!Number.isFinite(line.quantity)) line.quantity = 0;
    }
    renderCart();
  });
  qty.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      qty.blur();
      focusScan();
    }
  });
  const unit = el("td", quote && quote.unitPrices[i] != null ? quote.unitPrices[i] : line.unitPrice, { className: "num" });
  const sub = el("td", quote && quote.lineTotals[i] != null ? quote.lineTotals[i] : "–", { className: "num" });
  sub.dataset.testid = `line-total-${n}`;
  const rm = button(`remove-${n}`, "✕", () => {
    if (cartLocked()) return;
    state.lines.splice(i, 1);
    renderCart();
    focusScan();
  }, { title: t("cart.remove"), disabled: locked, className: "remove" });
  rm.setAttribute("aria-label", `${t("cart.remove")} ${line.title}`);
  const qtyCell = el("td", null, { className: "num" });
  qtyCell.append(qty);
  if (weighed) qtyCell.append(el("span", " kg", { className: "unit" }));
  const rmCell = el("td");
  rmCell.append(rm);
  tr.append(title, qtyCell, unit, sub, rmCell);
  return tr;
}

/** The next sale's tray: what was scanned while a sale was on the pay panel. */
function renderTray(quote) {
  $("tray").hidden = state.tray.length === 0;
  $("tray-lines").replaceChildren(...state.tray.map((line, i) => {
    const li = el("li");
    li.dataset.testid = `tray-line-${i + 1}`;
    const what = el("span", `${isWeighed(line) ? (quote && quote.weights[i]) || `${line.weight} kg` : line.quantity} × ${line.title}`);
    const total = el("span", quote && quote.lineTotals[i] != null ? quote.lineTotals[i] : "–", { className: "num" });
    const rm = button(`tray-remove-${i + 1}`, "✕", () => {
      state.tray.splice(i, 1);
      renderCart();
    }, { className: "remove" });
    rm.setAttribute("aria-label", `${t("cart.remove")} ${line.title}`);
    li.append(what, total, rm);
    return li;
  }));
  $("tray-total").textContent = quote && quote.total ? quote.total : "–";
}

/** The customer display shows the cart as it is scanned (the windows share the page's
 * storage; the total is Rust's). */
function publishCart(quote) {
  const lines = state.lines.map((l, i) => ({
    title: l.title,
    quantity: isWeighed(l) ? (quote && quote.weights[i]) || "" : l.quantity,
    total: quote && quote.lineTotals[i],
  }));
  try {
    localStorage.setItem("cart", JSON.stringify({ lines, total: quote ? quote.total : null }));
  } catch (_) {
    // Storage full or refused: the customer display just shows less.
  }
}

export function showCartError(error) {
  $("cart-error").hidden = !error;
  $("cart-error").textContent = error ? I18N.error(error) : "";
}

/** Empties the cart; Ctrl+Z (or Undo) brings it back for 10 s. */
export function clearCart() {
  if (cartLocked()) return;
  if (state.lines.length) {
    state.undo = { lines: state.lines, until: Date.now() + UNDO_MS };
    $("undo-text").textContent = t("cart.cleared", { n: state.lines.length });
    $("undo").hidden = false;
    clearTimeout(state.undoTimer);
    state.undoTimer = setTimeout(() => {
      state.undo = null;
      $("undo").hidden = true;
    }, UNDO_MS);
  }
  state.lines = [];
  renderCart();
  focusScan();
}

/** Brings back the cart cleared in the last 10 s (before whatever was added since). */
export function undoClear() {
  if (!state.undo || Date.now() > state.undo.until || cartLocked()) return false;
  state.lines = [...state.undo.lines, ...state.lines];
  state.undo = null;
  $("undo").hidden = true;
  renderCart();
  focusScan();
  return true;
}

export function focusLastQuantity() {
  if (cartLocked()) return;
  const n = state.lines.length;
  const last = document.querySelector(`[data-testid="qty-${n}"], [data-testid="weight-${n}"]`);
  if (last) {
    last.focus();
    last.select();
  }
}

/** The keyboard goes back to the scan field, unless a sale is open (the pay panel has it). */
export function focusScan() {
  if (!state.sale || !isOpen(state.sale.state)) $("scan").focus();
}

// ---------- quick-add: a line typed by hand ----------

let readTimer = null;

/** Says at once what is wrong with the price being typed; Rust reads it as the site writes
 * amounts (`1.234,50`). */
function checkQuickPrice() {
  clearTimeout(readTimer);
  const text = $("quick-price").value;
  const shape = amountTyping(text);
  if (shape === "empty") return quickError(null);
  if (shape === "bad") return quickError({ kind: "amount", reason: "not_an_amount", text: text.trim() });
  quickError(null);
  readTimer = setTimeout(async () => {
    if ($("quick-price").value !== text) return;
    try {
      const a = await invoke("read_amount", { text });
      if ($("quick-price").value === text) quickHint(a.text);
    } catch (e) {
      if ($("quick-price").value === text) quickError(e);
    }
  }, 150);
}

function quickError(e) {
  $("quick-price").setAttribute("aria-invalid", String(!!e));
  $("quick-error").hidden = !e;
  $("quick-error").classList.add("error");
  $("quick-error").textContent = e ? I18N.error(e) : "";
}

function quickHint(text) {
  $("quick-price").setAttribute("aria-invalid", "false");
  $("quick-error").hidden = false;
  $("quick-error").classList.remove("error");
  $("quick-error").textContent = text;
}

async function submitQuick(e) {
  e.preventDefault();
  const title = $("quick-title").value.trim();
  const price = $("quick-price").value.trim();
  if (!title && !price) return;
  let amount;
  try {
    amount = await invoke("read_amount", { text: price });
  } catch (err) {
    // Nothing is added: the cashier fixes the price where it was typed.
    quickError(err);
    beep("bad");
    $("quick-price").focus();
    return;
  }
  addLine({ sku: null, title, unitPrice: amount.amount, quantity: 1 });
  $("quick-title").value = "";
  $("quick-price").value = "";
  quickError(null);
  focusScan();
}

export function wireCart() {
  $("quick").addEventListener("submit", submitQuick);
  $("quick-price").addEventListener("input", checkQuickPrice);
  $("clear").addEventListener("click", clearCart);
  $("undo-clear").addEventListener("click", undoClear);
  $("qty").addEventListener("click", focusLastQuantity);
}
