// What every view of the counter page shares: the bridge to Rust, the page's state, words and
// the notice line. Amounts are priced and formatted by Rust (the page never does arithmetic on
// money).
import { I18N } from "./i18n.js";

export const { invoke, Channel } = window.__TAURI__.core;
export const $ = (id) => document.getElementById(id);
export const t = (key, params) => I18N.t(key, params);
export { I18N };

export const state = {
  info: null,
  lines: [],          // the cart: [{sku, title, unitPrice: "1234.50", quantity}]
  tray: [],           // scanned while a sale is on the pay panel: the next sale's cart
  quote: null,        // what Rust said of the cart
  sale: null,         // the sale on the pay panel: {id, state, total, expiresAt, collected, outcome, attention}
  progress: null,     // the last progress event for it
  attention: [],      // other sales the cashier must see (pending, late, extra, held, unseen ends)
  charging: false,    // a charge is on its way: F12 again does nothing
  qr: null,
  notice: [],         // the notice line's parts: functions that word them in the page's language
  settings: null,     // the register's settings (the printer, the scale), as Rust keeps them
  cash: null,         // the cash screen, while open: { finishes: sale id or null }
  till: null,         // the open till, as Rust last said, or null
};

/** Now, in milliseconds since the Unix epoch: the page's timings (`data-ready-at`,
 * `data-changed-at`, `data-clicked-at`) that the benchmarks read. */
export function epochMs() {
  return (performance.timeOrigin + performance.now()).toFixed(1);
}

/** Puts a message in a message line, red when `bad`. */
export function say(id, text, bad) {
  $(id).textContent = text;
  $(id).classList.toggle("bad", !!bad);
}

/** A notice from Rust (`{ kind, detail }`) in the cashier's language. */
export function noticeText(notice) {
  return t(`notice.${notice.kind}`, { detail: notice.detail });
}

/** Shows the notice line; each part is a function, so a language switch words it again. */
export function showNotice(...parts) {
  state.notice = parts;
  renderNotice();
}

export function renderNotice() {
  const text = state.notice.map((part) => part()).join(" · ");
  $("notice").textContent = text;
  $("notice").hidden = !text;
}

/** A text node's worth of element: `el("td", "text", { className: "num" })`. */
export function el(tag, text, props) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text; // text, never HTML
  return Object.assign(e, props || {});
}

/** A button with a test id. */
export function button(testid, text, onClick, props) {
  const b = el("button", text, { type: "button", ...(props || {}) });
  b.dataset.testid = testid;
  b.addEventListener("click", onClick);
  return b;
}

/** Prints one of the page's printouts (`receipt`, `a4`, `sign`) through the system's print
 * dialog; a receipt at the paper's width (`80` or `58` mm). */
export function printOut(which, paper) {
  document.body.dataset.printing = which;
  document.body.dataset.paper = paper || "80";
  pageSize(which, paper);
  window.print();
}

/** The printed page: a ticket's roll (80 or 58 mm wide, margins as the printer's), or A4. Set as
 * a rule of the page's own stylesheet (no inline style: the CSP allows none). */
export function pageSize(which, paper) {
  const sheet = [...document.styleSheets].find((s) => s.href && s.href.endsWith("style.css"));
  if (!sheet) return;
  const rules = [...sheet.cssRules];
  const at = rules.findIndex((r) => r.type === CSSRule.PAGE_RULE);
  if (at >= 0) sheet.deleteRule(at);
  const size = which === "receipt"
    ? paper === "58" ? "58mm 297mm; margin: 2mm 5mm" : "80mm 297mm; margin: 2mm 4mm"
    : "A4 portrait; margin: 12mm";
  sheet.insertRule(`@page { size: ${size}; }`, sheet.cssRules.length);
}
