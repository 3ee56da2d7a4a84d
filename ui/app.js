// The counter page. Talks to Rust only through `invoke` and the event channel; amounts are
// priced and formatted by Rust (the page never does arithmetic on money).
"use strict";

const { invoke, Channel } = window.__TAURI__.core;
const $ = (id) => document.getElementById(id);
const t = (key, params) => I18N.t(key, params);

const state = {
  info: null,
  lines: [],          // [{sku, title, unitPrice: "1234.50", quantity}]
  quote: null,        // what Rust said of the cart
  results: [],
  selected: -1,
  sale: null,         // the sale on screen: {id, state, total, expiresAt, collected, outcome, attention}
  progress: null,     // the last progress for it
  attention: [],      // other sales the cashier must see (pending, late, extra, held, unseen ends)
  charging: false,    // a charge is on its way: F12 again does nothing
  qr: null,
  notice: [],         // the notice line's parts: functions that word them in the page's language
};

// ---------- start ----------

async function start() {
  const info = await invoke("app_info");
  state.info = info;
  I18N.pick(localStorage.getItem("language") || info.language);
  $("language").value = I18N.lang;
  I18N.apply(document);
  $("version").textContent = "v" + info.version;
  $("data-dir").textContent = info.dataDir;
  $("sandbox-url").textContent = info.sandboxUrl ? `· sandbox ${info.sandboxUrl}` : "";
  $("station").textContent = [info.storeName, info.posName].filter(Boolean).join(" · ");
  $("mode").hidden = info.mode !== "demo";
  $("phone").hidden = info.mode !== "demo";
  // An Orders API order is paid whole: the demo's phone pays no part of it.
  document.querySelector("[data-testid=phone-part]").hidden = info.api === "orders";
  showNotice(...info.notices.map((n) => () => noticeText(n)));

  const channel = new Channel();
  channel.onmessage = onEvent;
  await invoke("subscribe", { onEvent: channel });

  loadQr();
  // The sale on the pay panel when the app closed: still open, or ended while it was closed
  // (paid, say) and not seen yet.
  const current = await invoke("current_sale");
  if (current) showSale(current, { fromBefore: !isOpen(current.state) });
  refreshAttention();
  renderCart();
  focusScan();
  document.body.dataset.readyAt = epochMs();
}

/** Now, in milliseconds since the Unix epoch: the page's timings (`data-ready-at`,
 * `data-changed-at`, `data-clicked-at`) that the benchmarks read. */
function epochMs() {
  return (performance.timeOrigin + performance.now()).toFixed(1);
}

async function loadQr() {
  try {
    state.qr = await invoke("register_qr");
    $("qr").src = state.qr;
    $("qr-idle").src = state.qr;
  } catch (e) {
    showNotice(() => I18N.error(e));
  }
}

/** A notice from Rust (`{ kind, detail }`) in the cashier's language. */
function noticeText(notice) {
  return t(`notice.${notice.kind}`, { detail: notice.detail });
}

/** Shows the notice line; each part is a function, so a language switch words it again. */
function showNotice(...parts) {
  state.notice = parts;
  renderNotice();
}

function renderNotice() {
  const text = state.notice.map((part) => part()).join(" · ");
  $("notice").textContent = text;
  $("notice").hidden = !text;
}

// ---------- events from Rust ----------

function onEvent(event) {
  if (event.type === "ready") {
    $("link").dataset.state = "ok";
    $("link").dataset.i18n = "link.connected";
    $("link").textContent = t("link.connected");
    return;
  }
  if (event.type === "notice") {
    showNotice(() => noticeText(event));
    return;
  }
  if (event.type !== "sale") return;
  if (!state.sale || state.sale.id !== event.saleId) {
    // A sale of this register that the screen does not show: resumed (it takes the pay
    // panel), or one whose money changed after it ended (it goes to the attention list).
    if (isOpen(event.state)) showSale({ id: event.saleId, state: event.state, total: event.total, expiresAt: event.expiresAt, collected: event.collected, outcome: event.outcome });
    else return refreshAttention();
  }
  Object.assign(state.sale, { state: event.state, collected: event.collected, outcome: event.outcome, attention: event.attention });
  if (event.expiresAt) state.sale.expiresAt = event.expiresAt;
  state.progress = event;
  renderPay();
  if (!isOpen(event.state)) refreshAttention();
}

// ---------- sales the cashier must see ----------

async function refreshAttention() {
  try {
    const sales = await invoke("attention");
    state.attention = sales.filter((s) => !state.sale || s.id !== state.sale.id);
  } catch (e) {
    showNotice(() => I18N.error(e));
  }
  renderAttention();
}

/** The cashier has seen how a sale ended; a failure to record it is said, not hidden. */
async function acknowledge(saleId) {
  try {
    await invoke("acknowledge", { saleId });
  } catch (e) {
    showNotice(() => I18N.error(e));
  }
}

/** What a sale that needs the cashier says, in the page's language. */
function attentionText(s) {
  const o = s.outcome;
  if (s.state === "pending") return t("attention.pending", { id: s.id, total: s.total });
  if (s.state === "paid" && s.late) return t("late.banner", { id: s.id, paid: s.collected });
  if (o.kind === "extra") return t("attention.extra", { id: s.id, amount: o.amount, total: s.total, collected: s.collected });
  if (o.kind === "held") return t("attention.held", { id: s.id, amount: o.amount, state: t(`state.${s.state}`) });
  return t("attention.ended", { id: s.id, state: t(`state.${s.state}`), total: s.total });
}

function renderAttention() {
  const list = $("attention");
  list.replaceChildren(...state.attention.map((s) => {
    const li = document.createElement("li");
    li.dataset.testid = `attention-${s.id}`;
    li.dataset.kind = s.state === "pending" ? "pending" : s.outcome.kind;
    const text = document.createElement("span");
    text.textContent = attentionText(s);
    li.append(text);
    if (["extra", "held"].includes(s.outcome.kind)) {
      const refund = document.createElement("button");
      refund.type = "button";
      refund.dataset.testid = `attention-refund-${s.id}`;
      refund.textContent = t("btn.refund_amount", { amount: s.outcome.amount });
      refund.addEventListener("click", () => refundExtra(s.id));
      li.append(refund);
    }
    if (s.state !== "pending") {
      const ok = document.createElement("button");
      ok.type = "button";
      ok.dataset.testid = `attention-ok-${s.id}`;
      ok.textContent = t("btn.ok");
      ok.addEventListener("click", async () => {
        await acknowledge(s.id);
        refreshAttention();
      });
      li.append(ok);
    }
    return li;
  }));
  list.hidden = state.attention.length === 0;
}

/** Gives back what a sale holds beyond its total (or all of it, on a sale that ended unpaid). */
async function refundExtra(saleId) {
  try {
    const story = await invoke("refund", { saleId, amount: null, extra: true });
    if (state.sale && state.sale.id === saleId) {
      Object.assign(state.sale, { collected: story.sale.collected, outcome: story.sale.outcome });
      state.refunded = story.refunded;
      renderPay();
    }
  } catch (e) {
    showNotice(() => I18N.error(e));
  }
  refreshAttention();
}

// ---------- the cart ----------

function addLine(line) {
  const same = state.lines.find((l) => l.sku && l.sku === line.sku && l.unitPrice === line.unitPrice);
  if (same) same.quantity += line.quantity;
  else state.lines.push(line);
  renderCart();
}

let quoteGeneration = 0;

async function renderCart() {
  // Charge works as soon as a line is in: Rust prices the lines again when it charges.
  $("charge").disabled = !state.lines.length || !!state.sale && isOpen(state.sale.state);
  const generation = ++quoteGeneration;
  let quote = null;
  let error = null;
  if (state.lines.length > 0) {
    try {
      quote = await invoke("quote", { lines: state.lines });
    } catch (e) {
      error = e;
    }
  }
  // A later change is being priced: this answer is about lines that are gone.
  if (generation !== quoteGeneration) return;
  const body = $("lines");
  body.replaceChildren();
  $("cart-empty").hidden = state.lines.length > 0;
  state.quote = quote;
  state.lines.forEach((line, i) => {
    const tr = document.createElement("tr");
    tr.dataset.testid = `line-${i + 1}`;
    if (error && error.line === i + 1) tr.className = "bad";
    const title = document.createElement("td");
    title.textContent = line.title; // text, never HTML
    title.dataset.testid = `line-title-${i + 1}`;
    const qtyCell = document.createElement("td");
    qtyCell.className = "num";
    const qty = document.createElement("input");
    qty.className = "qty";
    qty.type = "number";
    qty.min = "1";
    qty.value = line.quantity;
    qty.dataset.testid = `qty-${i + 1}`;
    qty.setAttribute("aria-label", t("cart.col.qty"));
    qty.addEventListener("change", () => {
      line.quantity = Number.parseInt(qty.value, 10);
      if (!Number.isFinite(line.quantity)) line.quantity = 0;
      renderCart();
    });
    qty.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        qty.blur();
        focusScan();
      }
    });
    qtyCell.append(qty);
    const unit = document.createElement("td");
    unit.className = "num";
    unit.textContent = quote ? quote.unitPrices[i] : line.unitPrice;
    const sub = document.createElement("td");
    sub.className = "num";
    sub.dataset.testid = `line-total-${i + 1}`;
    sub.textContent = quote ? quote.lineTotals[i] : "–";
    const rm = document.createElement("td");
    const btn = document.createElement("button");
    btn.type = "button";
    btn.textContent = "✕";
    btn.title = t("cart.remove");
    btn.setAttribute("aria-label", `${t("cart.remove")} ${line.title}`);
    btn.dataset.testid = `remove-${i + 1}`;
    btn.addEventListener("click", () => {
      state.lines.splice(i, 1);
      renderCart();
      focusScan();
    });
    rm.append(btn);
    tr.append(title, qtyCell, unit, sub, rm);
    body.append(tr);
  });
  $("total").textContent = quote ? quote.total : "–";
  $("items").textContent = quote ? t("cart.items", { n: quote.items }) : "";
  showCartError(error);
  $("charge").disabled = !quote || !!state.sale && isOpen(state.sale.state);
}

function showCartError(error) {
  $("cart-error").hidden = !error;
  $("cart-error").textContent = error ? I18N.error(error) : "";
}

function clearCart() {
  state.lines = [];
  renderCart();
  focusScan();
}

// ---------- scanning and search ----------

let searchTimer = null;

async function search(text) {
  const q = text.trim();
  if (!q) {
    state.results = [];
    renderResults();
    return [];
  }
  try {
    state.results = await invoke("find_products", { query: q });
  } catch (e) {
    state.results = [];
    showCartError(e);
  }
  state.selected = state.results.length ? 0 : -1;
  renderResults();
  return state.results;
}

function renderResults() {
  const list = $("results");
  list.replaceChildren();
  const text = $("scan").value.trim();
  list.hidden = !text;
  if (!text) return;
  if (!state.results.length) {
    const li = document.createElement("li");
    li.textContent = t("results.none");
    li.className = "muted";
    list.append(li);
    return;
  }
  state.results.forEach((p, i) => {
    const li = document.createElement("li");
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", String(i === state.selected));
    li.dataset.testid = `result-${p.sku}`;
    const sku = document.createElement("span");
    sku.className = "sku";
    sku.textContent = p.sku;
    const name = document.createElement("span");
    name.textContent = p.name;
    const price = document.createElement("span");
    price.className = "price";
    price.textContent = p.priceText;
    li.append(sku, name, price);
    li.addEventListener("click", () => pick(p));
    list.append(li);
  });
}

function pick(product) {
  addLine({ sku: product.sku, title: product.name, unitPrice: product.price, quantity: 1 });
  $("scan").value = "";
  state.results = [];
  renderResults();
  focusScan();
}

// Enter in the scan field: an exact SKU (a scanner) or the one match adds the product.
async function submitScan(text) {
  const code = text.trim();
  if (!code) return;
  const found = await search(code);
  const exact = found.find((p) => p.sku === code);
  if (exact) return pick(exact);
  if (found.length === 1) return pick(found[0]);
  if (state.selected >= 0 && found[state.selected]) return pick(found[state.selected]);
}

// A barcode scanner types fast and ends with Enter: catch such a burst wherever the focus is.
const burst = { text: "", last: 0, target: null };
function scannerBurst(e) {
  // The key's own time (when the keyboard sent it), not when the page got to it: a page busy
  // drawing does not split a scanner's burst.
  const now = e.timeStamp;
  if (e.key === "Enter") {
    const code = burst.text;
    burst.text = "";
    const field = document.activeElement;
    // Barcodes (EAN-8/13, UPC, Code 128 SKUs) are 8 or more letters, digits or dashes.
    if (/^[A-Za-z0-9-]{8,}$/.test(code) && field !== $("scan")) {
      e.preventDefault();
      // The burst landed in another field: take it back out of there.
      if (field && typeof field.value === "string" && field.value.endsWith(code)) {
        field.value = field.value.slice(0, -code.length);
      }
      submitScan(code);
      return true;
    }
    return false;
  }
  if (e.key.length === 1) {
    // A scanner types into one field: keys that went to another field (the cashier moved on
    // from the description to the price) start a new burst.
    const same = e.target === burst.target && now - burst.last < 50;
    burst.text = same ? burst.text + e.key : e.key;
    burst.last = now;
    burst.target = e.target;
  }
  return false;
}

function focusScan() {
  if (!state.sale || !isOpen(state.sale.state)) $("scan").focus();
}

// ---------- charging and the waiting screen ----------

function isOpen(s) {
  return ["creating", "waiting", "cancelling", "expiring"].includes(s);
}

async function charge(despitePending) {
  if (state.charging || !state.lines.length || (state.sale && isOpen(state.sale.state))) return;
  state.charging = true;
  $("charge").dataset.clickedAt = epochMs();
  $("charge").disabled = true;
  $("pending-confirm").hidden = true;
  try {
    // Charging again from a sale that ended: the cashier has seen how it ended.
    if (state.sale && state.sale.state !== "pending") await acknowledge(state.sale.id);
    const sale = await invoke("charge", { lines: state.lines, despitePending: !!despitePending });
    // Its events may have shown it already, and further along than this reply.
    if (!state.sale || state.sale.id !== sale.id) showSale(sale);
  } catch (e) {
    if (e && e.kind === "pending_payment") askPending(e.saleId);
    else showCartError(e); // the cart stays as it was
    $("charge").disabled = false;
  } finally {
    state.charging = false;
  }
}

/** An earlier sale's payment is still being processed: charging again may charge twice. */
function askPending(saleId) {
  $("pending-question").textContent = t("pending.question", { id: saleId });
  $("pending-confirm").hidden = false;
  $("pending-no").focus();
}

function showSale(sale, opts) {
  state.sale = { id: sale.id, state: sale.state, total: sale.total, expiresAt: sale.expiresAt, collected: sale.collected, outcome: sale.outcome, attention: sale.attention, fromBefore: !!(opts && opts.fromBefore) };
  state.progress = null;
  state.refunded = null;
  renderPay();
}

function progressText() {
  const p = state.progress && state.progress.progress;
  const s = state.sale.state;
  if (!p) {
    return s === "creating" ? t("progress.sending") : isOpen(s) ? t("progress.waiting_for_customer") : t(`progress.${s}`);
  }
  // Once a sale ends, its state says it (a later look at its money changes no words).
  if (!isOpen(s) && s !== "pending" && !["paid", "failed"].includes(p.kind)) return t(`progress.${s}`);
  switch (p.kind) {
    case "partially_paid":
      return t("progress.partially_paid", { paid: state.progress.paid, total: state.progress.total });
    case "paid":
    case "money_changed":
      return s === "paid" ? t("progress.paid") : t(`progress.${s}`);
    case "failed":
      return t("progress.failed", { message: mpWords(p.code, p.message) });
    default:
      return t(`progress.${p.kind}`);
  }
}

/** Mercado Pago's refusal in the cashier's words, for the codes a counter meets. */
function mpWords(code, message) {
  const key = `err.mp.${code}`;
  const said = t(key, { message });
  return code && said !== key ? said : message;
}

/** The line under the status on a sale that ended with money beyond its total. */
function moneyText() {
  const o = state.sale.outcome;
  if (!o) return "";
  if (o.kind === "extra") return t("pay.extra", { amount: o.amount, collected: state.sale.collected });
  if (o.kind === "held") return t("pay.held", { amount: o.amount });
  if (state.refunded) return t("history.refunded", { amount: state.refunded });
  return "";
}

function renderPay() {
  const sale = state.sale;
  const live = !!sale;
  $("pay-idle").hidden = live;
  $("pay-live").hidden = !live;
  $("cart-side").classList.toggle("locked", live && isOpen(sale.state));
  if (!live) {
    $("pay").dataset.state = "idle";
    return;
  }
  const kind = state.progress && state.progress.progress && state.progress.progress.kind;
  const shown =
    sale.state === "paid" ? "paid"
    : ["cancelled", "expired", "failed", "pending"].includes(sale.state) ? sale.state
    : kind === "connection_trouble" || kind === "token_refused" ? "trouble"
    : kind === "payment_rejected" ? "rejected"
    : "waiting";
  if ($("pay").dataset.state !== shown) {
    $("pay").dataset.state = shown;
    $("pay").dataset.changedAt = epochMs();
  }
  $("pay-sale").textContent = t("pay.sale", { id: sale.id });
  $("pay-total").textContent = sale.total;
  if (state.qr) $("qr").src = state.qr;
  $("qr").hidden = !isOpen(sale.state);
  $("pay-hint").hidden = !isOpen(sale.state);
  $("status").textContent = sale.state === "pending" ? t("progress.pending") : progressText();
  const money = moneyText();
  $("pay-money").textContent = money;
  $("pay-money").hidden = !money;
  $("pay-note").textContent = sale.fromBefore ? t("pay.from_before") : "";
  $("pay-note").hidden = !sale.fromBefore;
  const extra = sale.outcome && ["extra", "held"].includes(sale.outcome.kind);
  $("refund-extra").hidden = !extra;
  if (extra) $("refund-extra").textContent = t("btn.refund_amount", { amount: sale.outcome.amount });
  $("cancel").hidden = !isOpen(sale.state);
  $("cancel").disabled = sale.state === "cancelling" || sale.state === "expiring";
  $("check").hidden = !isOpen(sale.state);
  $("new-sale").hidden = isOpen(sale.state);
  renderCountdown();
  // The cart is locked while the sale is open: the keyboard goes to the pay screen (Esc, F5).
  if (isOpen(sale.state) && !$("pay").contains(document.activeElement)) $("pay").focus();
  if (!isOpen(sale.state)) {
    if (sale.state === "paid") state.lines = [];
    renderCart();
    $("new-sale").focus();
  }
}

function renderCountdown() {
  const sale = state.sale;
  if (!sale || sale.state !== "waiting" || !sale.expiresAt) {
    $("countdown").textContent = "";
    return;
  }
  const left = Math.max(0, Math.round((Date.parse(sale.expiresAt) - Date.now()) / 1000));
  const time = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  $("countdown").textContent = t("pay.expires", { time });
}
setInterval(renderCountdown, 1000);

async function cancelSale() {
  if (!state.sale || !isOpen(state.sale.state)) return;
  try {
    // The events move the screen: the reply may arrive after the sale is already cancelled.
    await invoke("cancel", { saleId: state.sale.id });
  } catch (e) {
    $("status").textContent = I18N.error(e);
  }
}

async function newSale() {
  if (state.sale && isOpen(state.sale.state)) return;
  // The cashier saw how the sale ended (a pending one stays on the attention list).
  if (state.sale && state.sale.state !== "pending") await acknowledge(state.sale.id);
  state.sale = null;
  state.progress = null;
  renderPay();
  renderCart();
  focusScan();
  refreshAttention();
}

async function customer(action) {
  $("phone-error").hidden = true;
  try {
    await invoke("demo_customer", { action });
  } catch (e) {
    $("phone-error").textContent = I18N.error(e);
    $("phone-error").hidden = false;
  }
}

// ---------- wiring ----------

function wire() {
  $("scan").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => search($("scan").value), 120);
  });
  $("scan").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      clearTimeout(searchTimer);
      submitScan($("scan").value);
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const n = state.results.length;
      if (n) state.selected = (state.selected + (e.key === "ArrowDown" ? 1 : n - 1)) % n;
      renderResults();
    }
  });
  $("quick").addEventListener("submit", (e) => {
    e.preventDefault();
    const title = $("quick-title").value.trim();
    const price = $("quick-price").value.trim();
    if (!title && !price) return;
    addLine({ sku: null, title, unitPrice: price, quantity: 1 });
    $("quick-title").value = "";
    $("quick-price").value = "";
    focusScan();
  });
  $("clear").addEventListener("click", clearCart);
  $("qty").addEventListener("click", focusLastQuantity);
  $("charge").addEventListener("click", () => charge());
  $("pending-yes").addEventListener("click", () => charge(true));
  $("pending-no").addEventListener("click", () => { $("pending-confirm").hidden = true; focusScan(); });
  $("refund-extra").addEventListener("click", () => state.sale && refundExtra(state.sale.id));
  $("cancel").addEventListener("click", cancelSale);
  $("check").addEventListener("click", () => state.sale && invoke("check_now", { saleId: state.sale.id }));
  $("new-sale").addEventListener("click", newSale);

  $("customer-display").addEventListener("click", () => invoke("open_customer_display").catch((e) => showNotice(() => I18N.error(e))));
  for (const b of document.querySelectorAll("#phone button")) b.addEventListener("click", () => customer(b.dataset.action));
  $("language").addEventListener("change", () => {
    I18N.pick($("language").value);
    localStorage.setItem("language", I18N.lang);
    I18N.apply(document);
    renderCart();
    if (state.sale) renderPay();
    renderAttention();
    renderNotice();
    if ($("link").dataset.state === "ok") $("link").textContent = t("link.connected");
  });
  document.addEventListener("keydown", onKey);
}

function focusLastQuantity() {
  const last = document.querySelector(`[data-testid="qty-${state.lines.length}"]`);
  if (last) {
    last.focus();
    last.select();
  }
}

function onKey(e) {
  if (document.querySelector("dialog[open]")) return; // a dialog has the keyboard
  if (scannerBurst(e)) return;
  const keys = {
    F2: () => $("scan").focus(),
    F3: () => $("quick-title").focus(),
    F4: focusLastQuantity,
    F5: () => state.sale && isOpen(state.sale.state) && invoke("check_now", { saleId: state.sale.id }),
    F9: () => (!state.sale || !isOpen(state.sale.state)) && clearCart(),
    F12: () => charge(),
    Escape: () => (state.sale && isOpen(state.sale.state) ? cancelSale() : ($("scan").value = "", search(""))),
  };
  if (keys[e.key]) {
    e.preventDefault();
    keys[e.key]();
  } else if (e.key === "Enter" && state.sale && !isOpen(state.sale.state) && document.activeElement === $("new-sale")) {
    e.preventDefault();
    newSale();
  }
}

wire();
start().catch((e) => {
  $("link").dataset.state = "error";
  $("link").textContent = I18N.error(e);
});

// ---------- the catalog ----------

const catalog = {
  async open() {
    $("catalog").showModal();
    this.message("");
    await this.render();
    $("product-sku").focus();
  },
  close() {
    $("catalog").close();
    focusScan();
  },
  message(text, bad) {
    $("catalog-message").textContent = text;
    $("catalog-message").classList.toggle("bad", !!bad);
  },
  async render() {
    const body = $("products");
    body.replaceChildren();
    const products = await invoke("list_products");
    for (const p of products) {
      const tr = document.createElement("tr");
      tr.dataset.testid = `product-${p.sku}`;
      const cells = [p.sku, p.name, p.priceText].map((text, i) => {
        const td = document.createElement("td");
        td.textContent = text;
        if (i === 2) td.className = "num";
        return td;
      });
      const actions = document.createElement("td");
      const edit = document.createElement("button");
      edit.type = "button";
      edit.textContent = t("btn.edit");
      edit.addEventListener("click", () => {
        $("product-sku").value = p.sku;
        $("product-name").value = p.name;
        $("product-price").value = p.price;
        $("product-name").focus();
      });
      const del = document.createElement("button");
      del.type = "button";
      del.textContent = "✕";
      del.setAttribute("aria-label", `${t("cart.remove")} ${p.name}`);
      del.dataset.testid = `product-delete-${p.sku}`;
      del.addEventListener("click", async () => {
        await invoke("delete_product", { sku: p.sku });
        this.render();
      });
      actions.append(edit, del);
      tr.append(...cells, actions);
      body.append(tr);
    }
  },
  async save(e) {
    e.preventDefault();
    try {
      const p = await invoke("save_product", { sku: $("product-sku").value, name: $("product-name").value, price: $("product-price").value });
      this.message(t("catalog.saved", { name: p.name }));
      for (const id of ["product-sku", "product-name", "product-price"]) $(id).value = "";
      $("product-sku").focus();
      this.render();
    } catch (err) {
      this.message(I18N.error(err), true);
    }
  },
  async import(file) {
    if (!file) return;
    const text = await file.text();
    try {
      const n = await invoke("import_products_csv", { text });
      this.message(t("catalog.imported", { n }));
      this.render();
    } catch (err) {
      const rows = (err.rows || []).map((r) => t("catalog.row", { row: r.row, message: I18N.error({ kind: "product", ...r.error }) }));
      this.message([I18N.error(err), ...rows].join("\n"), true);
    }
    $("catalog-import").value = "";
  },
  async export() {
    try {
      this.message(t("catalog.exported", { path: await invoke("export_products_csv") }));
    } catch (err) {
      this.message(I18N.error(err), true);
    }
  },
};

$("open-catalog").addEventListener("click", () => catalog.open());
$("catalog-close").addEventListener("click", () => catalog.close());
$("product-form").addEventListener("submit", (e) => catalog.save(e));
$("catalog-import").addEventListener("change", (e) => catalog.import(e.target.files[0]));
$("catalog-export").addEventListener("click", () => catalog.export());

// ---------- settings: the account, the register's set-up, options ----------

function say(id, text, bad) {
  $(id).textContent = text;
  $(id).classList.toggle("bad", !!bad);
}

const settingsDialog = {
  stores: [],
  pos: [],
  async open() {
    // "loading" until the account is known: the panels shown depend on it, so the buttons
    // below them may still move.
    $("settings").dataset.state = "loading";
    $("settings").showModal();
    for (const id of ["account-message", "setup-message", "qr-message", "options-message"]) say(id, "");
    try {
      await this.refresh();
    } finally {
      $("settings").dataset.state = "ready";
    }
  },
  async refresh() {
    // A sign shown earlier may belong to the other mode's register.
    for (const id of ["sign-preview", "sign-print", "sign-save"]) $(id).hidden = true;
    $("sign-preview").removeAttribute("src");
    delete $("sign-preview").dataset.loaded;
    const status = await invoke("account_status");
    const a = status.account;
    $("account-status").textContent = a
      ? t("settings.account_line", { nickname: a.nickname || a.userId, site: a.siteId, currency: "", kind: t(status.testToken ? "settings.kind_test" : "settings.kind_prod") }).replace(" ·  · ", " · ")
      : status.keyringError ? noticeText(status.keyringError) : t("settings.no_account");
    $("setup-panel").hidden = !a;
    $("switch-live").disabled = !a || !status.posExternalId;
    $("switch-demo").hidden = status.mode !== "live";
    $("api-status").textContent = t("settings.api_in_use", { api: t(`api.${status.api}`), choice: t(`settings.api_${status.apiChoice}`) });
    $("webhook-url").textContent = status.webhookUrl || t("settings.webhook_no_url");
    const heard = status.lastNotification;
    $("webhook-status").textContent = [
      t(status.webhookSecretSaved ? "settings.webhook_secret_saved" : "settings.webhook_secret_none"),
      heard && heard.count ? t("settings.webhook_last", { n: heard.count, signature: heard.signature ? t(`signature.${heard.signature}`) : "–" }) : t("settings.webhook_none"),
    ].join(" · ");
    const s = await invoke("get_settings");
    $("api-choice").value = s.api;
    $("public-url").value = s.notifications.publicUrl || "";
    $("api-url").value = s.apiBaseUrl;
    $("ttl").value = s.orderTtlSecs;
    $("ipn-on").checked = s.notifications.enabled;
    $("ipn-bind").value = s.notifications.bind;
    if (a) await this.loadStores();
  },
  async loadStores() {
    try {
      this.stores = await invoke("list_stores");
    } catch (e) {
      return say("setup-message", I18N.error(e), true);
    }
    fillSelect($("store-select"), this.stores.map((s) => [s.id, s.name]));
    await this.loadPos();
  },
  async loadPos() {
    const storeId = Number($("store-select").value) || null;
    try {
      this.pos = storeId ? await invoke("list_pos", { storeId }) : [];
    } catch (e) {
      return say("setup-message", I18N.error(e), true);
    }
    fillSelect($("pos-select"), this.pos.map((p) => [p.externalId, `${p.name} (${p.externalId})`]));
  },
  async saveToken(e) {
    e.preventDefault();
    const token = $("token").value;
    $("token").value = ""; // the page keeps no copy
    try {
      await invoke("save_token", { token });
      await this.refresh();
      say("account-message", t("settings.saved_token"));
    } catch (err) {
      say("account-message", I18N.error(err), true);
    }
  },
  async forget() {
    try {
      await invoke("forget_token");
      if (state.info.mode === "live") return location.reload();
      await this.refresh();
      say("account-message", t("settings.forgotten"));
    } catch (err) {
      say("account-message", I18N.error(err), true);
    }
  },
  async createStore(e) {
    e.preventDefault();
    const store = { name: $("store-name").value, streetName: $("store-street").value, streetNumber: $("store-number").value, city: $("store-city").value, state: $("store-state").value };
    try {
      const s = await invoke("create_store", { store });
      await this.loadStores();
      $("store-select").value = String(s.id);
      await this.loadPos();
      say("setup-message", t("settings.created", { name: s.name }));
    } catch (err) {
      say("setup-message", I18N.error(err), true);
    }
  },
  async createPos(e) {
    e.preventDefault();
    try {
      const p = await invoke("create_pos", { storeId: Number($("store-select").value), name: $("pos-name").value, externalId: $("pos-code").value });
      await this.loadPos();
      $("pos-select").value = p.externalId;
      say("setup-message", t("settings.created", { name: p.name }));
    } catch (err) {
      say("setup-message", I18N.error(err), true);
    }
  },
  async choose() {
    const pos = this.pos.find((p) => p.externalId === $("pos-select").value);
    const store = this.stores.find((s) => String(s.id) === $("store-select").value);
    if (!pos) return;
    try {
      await invoke("choose_pos", { pos, storeName: store ? store.name : "" });
      await this.refresh();
      say("setup-message", t("settings.chosen", { name: pos.name }));
    } catch (err) {
      say("setup-message", I18N.error(err), true);
    }
  },
  async switchTo(mode) {
    try {
      await invoke("switch_mode", { mode });
      location.reload();
    } catch (err) {
      say("setup-message", I18N.error(err), true);
    }
  },
  async saveOptions(e) {
    e.preventDefault();
    const change = {
      apiBaseUrl: $("api-url").value,
      orderTtlSecs: Number($("ttl").value),
      notificationsEnabled: $("ipn-on").checked,
      notificationsBind: $("ipn-bind").value,
      language: I18N.lang,
      api: $("api-choice").value,
      notificationsPublicUrl: $("public-url").value,
    };
    try {
      await invoke("save_settings", { change });
      say("options-message", t("settings.options_saved"));
    } catch (err) {
      say("options-message", I18N.error(err), true);
    }
  },
};

function fillSelect(select, options) {
  select.replaceChildren(...options.map(([value, label]) => {
    const o = document.createElement("option");
    o.value = String(value);
    o.textContent = label;
    return o;
  }));
}

$("open-settings").addEventListener("click", () => settingsDialog.open());
$("settings-close").addEventListener("click", () => { $("settings").close(); focusScan(); });
$("token-form").addEventListener("submit", (e) => settingsDialog.saveToken(e));
$("token-forget").addEventListener("click", () => settingsDialog.forget());
$("store-select").addEventListener("change", () => settingsDialog.loadPos());
$("store-form").addEventListener("submit", (e) => settingsDialog.createStore(e));
$("pos-form").addEventListener("submit", (e) => settingsDialog.createPos(e));
$("pos-choose").addEventListener("click", () => settingsDialog.choose());
$("switch-live").addEventListener("click", () => settingsDialog.switchTo("live"));
$("switch-demo").addEventListener("click", () => settingsDialog.switchTo("demo"));
$("options-form").addEventListener("submit", (e) => settingsDialog.saveOptions(e));
$("webhook-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const secret = $("webhook-secret").value;
  $("webhook-secret").value = ""; // the page keeps no copy
  try {
    await invoke("save_webhook_secret", { secret });
    say("webhook-message", t("settings.webhook_secret_kept"));
    await settingsDialog.refresh();
  } catch (err) {
    say("webhook-message", I18N.error(err), true);
  }
});
async function saveFile(command) {
  try {
    say("qr-message", t("history.exported", { path: await invoke(command) }));
  } catch (err) {
    say("qr-message", I18N.error(err), true);
  }
}
$("qr-save").addEventListener("click", () => saveFile("save_register_qr"));
$("sign-save").addEventListener("click", () => saveFile("save_counter_sign"));
$("mp-sign-save").addEventListener("click", () => saveFile("save_mercado_pago_sign"));
$("sign-open").addEventListener("click", async () => {
  try {
    const sign = await invoke("counter_sign");
    $("sign-preview").src = sign;
    $("sign-sheet-image").src = sign;
    for (const id of ["sign-preview", "sign-print", "sign-save"]) $(id).hidden = false;
    say("qr-message", "");
  } catch (err) {
    say("qr-message", I18N.error(err), true);
  }
});
$("sign-print").addEventListener("click", () => printOut("sign"));
$("sign-preview").addEventListener("load", (e) => {
  e.target.dataset.loaded = `${e.target.naturalWidth}x${e.target.naturalHeight}`;
});

/** Prints one of the page's printouts (`receipt`, `sign`) through the system's print dialog. */
function printOut(which) {
  document.body.dataset.printing = which;
  window.print();
}

// ---------- the day's sales ----------

const salesDialog = {
  page: 0,
  story: null,
  async open() {
    $("history").showModal();
    if (!$("history-day").value) $("history-day").value = localDay(new Date());
    say("history-message", "");
    await this.list();
  },
  async list() {
    const rows = await invoke("list_sales", { day: $("history-day").value, saleState: $("history-state").value || null, page: this.page });
    const body = $("sales");
    body.replaceChildren();
    if (!rows.length) say("history-message", t("history.no_sales"));
    for (const r of rows) {
      const tr = document.createElement("tr");
      tr.dataset.sale = String(r.id);
      const open = document.createElement("button");
      open.type = "button";
      open.textContent = `#${r.id}`;
      open.dataset.testid = `sale-row-${r.id}`;
      const first = document.createElement("td");
      first.append(open);
      tr.append(first);
      const what = [r.state + (r.late ? " (late)" : ""), outcomeText(r)].filter(Boolean).join(" · ");
      for (const text of [r.time, what, r.total]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      tr.addEventListener("click", () => this.show(r.id));
      body.append(tr);
    }
  },
  async show(id) {
    const s = await invoke("sale_story", { saleId: id });
    this.story = s;
    $("story").hidden = false;
    $("refund-confirm").hidden = true;
    $("story-title").textContent = `${t("pay.sale", { id })} · ${s.created} · ${s.sale.state}`;
    $("story-lines").replaceChildren(...s.lines.map((l) => {
      const tr = document.createElement("tr");
      for (const [text, num] of [[l.title, false], [`${l.quantity} × ${l.unit}`, true], [l.total, true]]) {
        const td = document.createElement("td");
        td.textContent = text;
        if (num) td.className = "num";
        tr.append(td);
      }
      return tr;
    }));
    $("story-total").textContent = s.sale.total;
    $("story-paid").textContent = [t("history.collected", { amount: s.sale.collected }), t("history.refunded", { amount: s.refunded }), outcomeText(s.sale)].filter(Boolean).join(" · ");
    $("story-ids").textContent = `ref ${s.sale.externalReference} · MO ${s.merchantOrderIds.join(", ") || "–"} · pay ${s.paymentIds.join(", ") || "–"}`;
    $("story-changes").replaceChildren(...s.changes.map((c) => {
      const li = document.createElement("li");
      li.textContent = `${c.at} ${c.state}: ${c.detail}`;
      return li;
    }));
    $("refund").disabled = !["paid", "cancelled", "expired"].includes(s.sale.state);
    $("story-refund-extra").hidden = !["extra", "held"].includes(s.sale.outcome.kind);
    for (const tr of document.querySelectorAll("#sales tr")) tr.setAttribute("aria-selected", String(tr.dataset.sale === String(id)));
  },
  askRefund() {
    if (!this.story) return;
    const amount = $("refund-amount").value.trim();
    $("refund-question").textContent = t("history.confirm_refund", { amount: amount || t("history.refund_all"), id: this.story.sale.id });
    $("refund-confirm").hidden = false;
  },
  async refund() {
    $("refund-confirm").hidden = true;
    const amount = $("refund-amount").value.trim() || null;
    try {
      const s = await invoke("refund", { saleId: this.story.sale.id, amount });
      say("history-message", t("history.refunded", { amount: s.refunded }));
      $("refund-amount").value = "";
      await this.show(s.sale.id);
    } catch (err) {
      say("history-message", I18N.error(err), true);
    }
  },
  async refundExtra() {
    if (!this.story) return;
    await refundExtra(this.story.sale.id);
    await this.show(this.story.sale.id);
  },
  async summary() {
    const s = await invoke("day_summary", { day: $("history-day").value });
    const lines = s.states.map(([state, count, total]) => t("history.summary_line", { state, count, total }));
    lines.push(t("history.summary_paid", { collected: s.collectedTotal, refunded: s.refundedTotal, late: s.latePaid }));
    if (s.withExtra) lines.push(t("history.summary_extra", { extra: s.extraTotal, n: s.withExtra }));
    if (s.pending) lines.push(t("history.summary_pending", { n: s.pending }));
    say("history-message", lines.join("\n"));
  },
  async reconcile() {
    try {
      const diffs = await invoke("reconcile", { day: $("history-day").value });
      say("history-message", diffs.length
        ? diffs.map(differenceText).join("\n")
        : t("history.no_differences"), diffs.length > 0);
    } catch (err) {
      say("history-message", I18N.error(err), true);
    }
  },
  async exportDay() {
    try {
      say("history-message", t("history.exported", { path: await invoke("export_day_csv", { day: $("history-day").value }) }));
    } catch (err) {
      say("history-message", I18N.error(err), true);
    }
  },
  print() {
    const s = this.story;
    if (!s) return;
    const r = $("receipt");
    r.replaceChildren();
    const h = document.createElement("h1");
    h.textContent = state.info.storeName || "QR Cashier";
    r.append(h, textLine(`${t("pay.sale", { id: s.sale.id })} ${s.created}`));
    for (const l of s.lines) r.append(pair(`${l.quantity} × ${l.title}`, l.total));
    const total = pair(t("cart.total"), s.sale.total);
    total.classList.add("total");
    r.append(total, textLine(`Mercado Pago ${s.paymentIds.join(", ")}`));
    printOut("receipt");
  },
};

function differenceText(d) {
  const what = t(`history.what.${d.what}`, { amount: d.amount });
  const mp = d.mercadoPagoCollected || "–";
  return d.saleId == null
    ? t("history.unrecorded", { mo: d.merchantOrderIds.join(", "), reference: d.externalReference, what, mp })
    : t("history.difference", { id: d.saleId, what, journal: d.journalCollected || "–", mp });
}

/** A sale's money in words: extra, held, refunded (nothing for a plain paid or ended one). */
function outcomeText(sale) {
  const o = sale.outcome;
  return ["extra", "held", "refunded"].includes(o.kind) ? t(`outcome.${o.kind}`, { amount: o.amount }) : "";
}

function localDay(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function textLine(text) {
  const p = document.createElement("div");
  p.textContent = text;
  return p;
}

function pair(left, right) {
  const d = document.createElement("div");
  d.className = "line";
  const a = document.createElement("span");
  a.textContent = left;
  const b = document.createElement("span");
  b.textContent = right;
  d.append(a, b);
  return d;
}

$("open-history").addEventListener("click", () => salesDialog.open());
$("history-close").addEventListener("click", () => { $("history").close(); focusScan(); });
$("history-day").addEventListener("change", () => { salesDialog.page = 0; salesDialog.list(); });
$("history-state").addEventListener("change", () => { salesDialog.page = 0; salesDialog.list(); });
$("history-prev").addEventListener("click", () => { salesDialog.page = Math.max(0, salesDialog.page - 1); salesDialog.list(); });
$("history-next").addEventListener("click", () => { salesDialog.page += 1; salesDialog.list(); });
$("history-summary").addEventListener("click", () => salesDialog.summary());
$("history-reconcile").addEventListener("click", () => salesDialog.reconcile());
$("history-export").addEventListener("click", () => salesDialog.exportDay());
$("story-print").addEventListener("click", () => salesDialog.print());
$("refund").addEventListener("click", () => salesDialog.askRefund());
$("refund-yes").addEventListener("click", () => salesDialog.refund());
$("refund-no").addEventListener("click", () => ($("refund-confirm").hidden = true));
$("story-refund-extra").addEventListener("click", () => salesDialog.refundExtra());
