// The pay panel: charging, the waiting screen, how a sale ended (in colour, from two meters),
// cancelling (Esc twice), charging again or a new sale, and the sales that need the cashier.
import { ownerInvoke } from "./owner.js";
import { $, t, I18N, invoke, state, epochMs, showNotice, el, button } from "./page.js";
import { isOpen, lookOf, buttonsOf, markOf } from "./lib/screen.js";
import { renderCart, showCartError, takeTray, focusScan } from "./cart.js";
import { autoPrint, printTicket } from "./ticket.js";
import { beep } from "./sound.js";

/** How long the first Esc waits for the second before the charge is left alone. */
const ESC_AGAIN_MS = 4000;

// ---------- charging ----------

/** Charges the cart. On a sale that ended unpaid this is "Charge again": the same cart. On a
 * paid sale it is the next customer's: the tray becomes the cart first. */
export async function charge(despitePending) {
  if (state.charging || state.cash) return;
  const sale = state.sale;
  if (sale && isOpen(sale.state)) return;
  if (sale && !buttonsOf(sale.state).chargeAgain) await newSale();
  if (!state.lines.length) return;
  state.charging = true;
  $("charge").dataset.clickedAt = epochMs();
  $("charge").disabled = true;
  $("pending-confirm").hidden = true;
  try {
    // Charging again from a sale that ended: the cashier has seen how it ended.
    if (state.sale && state.sale.state !== "pending") await acknowledge(state.sale.id);
    const sold = await invoke("charge", { lines: state.lines, despitePending: !!despitePending });
    // Its events may have shown it already, and further along than this reply.
    if (!state.sale || state.sale.id !== sold.id) showSale(sold);
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

export function showSale(sale, opts) {
  state.sale = { id: sale.id, state: sale.state, total: sale.total, expiresAt: sale.expiresAt, collected: sale.collected, outcome: sale.outcome, attention: sale.attention, tender: sale.tender || "qr", cash: sale.cash || null, fromBefore: !!(opts && opts.fromBefore) };
  state.progress = null;
  state.refunded = null;
  renderPay();
  renderCart();
}

// ---------- what the panel says ----------

function progressText() {
  const p = state.progress && state.progress.progress;
  const s = state.sale.state;
  if (state.sale.tender === "cash") return t("progress.paid_in_cash");
  if (s === "pending") return t("progress.pending");
  if (!p) {
    return s === "creating" ? t("progress.sending") : isOpen(s) ? t("progress.waiting_for_customer") : t(`progress.${s}`);
  }
  // Once a sale ends, its state says it (a later look at its money changes no words).
  if (!isOpen(s) && !["paid", "failed"].includes(p.kind)) return t(`progress.${s}`);
  switch (p.kind) {
    case "partially_paid":
      return t("progress.partially_paid", { paid: state.progress.paid, total: state.progress.total, missing: state.progress.missing });
    case "paid":
    case "money_changed":
      return s === "paid" ? t("progress.paid") : t(`progress.${s}`);
    case "failed":
      return t("progress.failed", { message: mpWords(p.code, p.message) });
    default:
      return t(`progress.${p.kind}`);
  }
}

/** Mercado Pago's refusal in the cashier's words, for the codes a counter meets; others by
 * their code (Mercado Pago's message is not shown: it may carry a payer's data). */
function mpWords(code, message) {
  if (!code) return message;
  const key = `err.mp.${code}`;
  return I18N.has(key) ? t(key) : t("err.refused", { mpError: code });
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

export function renderPay() {
  const sale = state.sale;
  // The cash screen, while it is open (cash.js draws its parts).
  $("pay-cash").hidden = !state.cash;
  if (state.cash) {
    $("pay-idle").hidden = true;
    $("pay-live").hidden = true;
    $("pay").dataset.state = "cash";
    state.cash.render();
    return;
  }
  $("pay-idle").hidden = !!sale;
  $("pay-live").hidden = !sale;
  if (!sale) {
    $("pay").dataset.state = "idle";
    return;
  }
  const kind = state.progress && state.progress.progress && state.progress.progress.kind;
  const look = lookOf(sale.state, kind);
  const changed = $("pay").dataset.state !== look;
  if (changed) {
    if (look === "paid") beep("paid");
    $("pay").dataset.state = look;
    $("pay").dataset.changedAt = epochMs();
  }
  const open = isOpen(sale.state);
  $("pay-mark").textContent = markOf(look);
  $("pay-sale").textContent = t("pay.sale", { id: sale.id });
  $("pay-total").textContent = sale.total;
  if (state.qr) $("qr").src = state.qr;
  $("qr").hidden = !open;
  $("pay-hint").hidden = !open;
  $("status").textContent = progressText();
  const money = moneyText();
  $("pay-money").textContent = money;
  $("pay-money").hidden = !money;
  // Paid in cash: the change to give, in large type.
  const change = sale.cash ? t("pay.change", { change: sale.cash.change, received: sale.cash.received }) : "";
  $("pay-change").textContent = change;
  $("pay-change").hidden = !change;
  $("pay-note").textContent = sale.fromBefore ? t("pay.from_before") : "";
  $("pay-note").hidden = !sale.fromBefore;
  const extra = sale.outcome && ["extra", "held"].includes(sale.outcome.kind);
  $("refund-extra").hidden = !extra;
  if (extra) $("refund-extra").textContent = t("btn.refund_amount", { amount: sale.outcome.amount });
  const buttons = buttonsOf(sale.state);
  $("cancel").hidden = !buttons.cancel;
  $("cash-instead").hidden = !buttons.cancel || sale.state !== "waiting";
  $("print").hidden = sale.state !== "paid";
  $("cancel").disabled = sale.state === "cancelling" || sale.state === "expiring";
  $("check").hidden = !buttons.check;
  $("charge-again").hidden = !buttons.chargeAgain;
  $("new-sale").hidden = !buttons.newSale;
  if (!open) $("esc-ask").hidden = true;
  renderCountdown();
  // While the sale is open the keyboard goes to the pay panel (Esc, F5), unless the cashier
  // is typing somewhere (the next customer's scan goes to the tray).
  const f = document.activeElement;
  if (open && (!f || f === document.body || f.disabled || f === $("charge") || f === $("charge-again"))) $("pay").focus();
  // Once it ends, New sale has it (Enter works wherever the focus is, too).
  if (!open && changed) $("new-sale").focus();
}

export function renderCountdown() {
  const sale = state.sale;
  if (!sale || sale.state !== "waiting" || !sale.expiresAt) {
    $("countdown").textContent = "";
    return;
  }
  const left = Math.max(0, Math.round((Date.parse(sale.expiresAt) - Date.now()) / 1000));
  const time = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  $("countdown").textContent = t("pay.expires", { time });
}

/** A sale event from Rust. */
export function onSaleEvent(event) {
  // The QR sale being finished in cash was paid after all: its paid screen, no cash.
  if (state.cash && state.cash.finishes === event.saleId && event.state === "paid") state.cash.paidByQr();
  if (!state.sale || state.sale.id !== event.saleId) {
    // A sale of this register that the screen does not show: resumed (it takes the pay
    // panel), or one whose money changed after it ended (it goes to the attention list).
    if (isOpen(event.state)) showSale({ id: event.saleId, state: event.state, total: event.total, expiresAt: event.expiresAt, collected: event.collected, outcome: event.outcome });
    else return refreshAttention();
  }
  const wasOpen = isOpen(state.sale.state);
  Object.assign(state.sale, { state: event.state, collected: event.collected, outcome: event.outcome, attention: event.attention });
  if (event.expiresAt) state.sale.expiresAt = event.expiresAt;
  state.progress = event;
  renderPay();
  if (wasOpen && !isOpen(event.state)) {
    // A paid cart is done with; one that ended unpaid stays for "Charge again".
    if (event.state === "paid") state.lines = [];
    renderCart();
  }
  if (event.state === "paid" && state.sale.tender !== "cash") autoPrint(state.sale);
  if (!isOpen(event.state)) refreshAttention();
}

// ---------- cancelling, charging again, a new sale ----------

/** The Cancel button: the cashier clicked it, so it cancels. */
export async function cancelSale() {
  if (!state.sale || !isOpen(state.sale.state)) return;
  $("esc-ask").hidden = true;
  try {
    // The events move the screen: the reply may arrive after the sale is already cancelled.
    await invoke("cancel", { saleId: state.sale.id });
  } catch (e) {
    $("status").textContent = I18N.error(e);
  }
}

let escAt = 0;

/** Esc on an open sale asks once; a second Esc within 4 s cancels the charge. */
export function escapeSale() {
  if (!state.sale || !isOpen(state.sale.state)) return;
  const now = Date.now();
  if (now - escAt < ESC_AGAIN_MS) {
    escAt = 0;
    cancelSale();
    return;
  }
  escAt = now;
  $("esc-ask").hidden = false;
  setTimeout(() => {
    if (Date.now() - escAt >= ESC_AGAIN_MS) $("esc-ask").hidden = true;
  }, ESC_AGAIN_MS);
}

/** The next customer: the cart is emptied (what was scanned meanwhile becomes it). */
export async function newSale() {
  if (state.cash || (state.sale && isOpen(state.sale.state))) return;
  // The cashier saw how the sale ended (a pending one stays on the attention list).
  if (state.sale && state.sale.state !== "pending") await acknowledge(state.sale.id);
  state.sale = null;
  state.progress = null;
  takeTray();
  renderPay();
  renderCart();
  focusScan();
  refreshAttention();
}

// ---------- sales the cashier must see ----------

export async function refreshAttention() {
  try {
    const sales = await invoke("attention");
    state.attention = sales.filter((s) => !state.sale || s.id !== state.sale.id);
  } catch (e) {
    showNotice(() => I18N.error(e));
  }
  renderAttention();
}

/** The cashier has seen how a sale ended; a failure to record it is said, not hidden. */
export async function acknowledge(saleId) {
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
  if (o.kind === "held" && s.finishedBy) return t("attention.paid_twice", { id: s.id, amount: o.amount, by: s.finishedBy });
  if (o.kind === "held") return t("attention.held", { id: s.id, amount: o.amount, state: t(`state.${s.state}`) });
  return t("attention.ended", { id: s.id, state: t(`state.${s.state}`), total: s.total });
}

export function renderAttention() {
  const list = $("attention");
  list.replaceChildren(...state.attention.map((s) => {
    const li = el("li");
    li.dataset.testid = `attention-${s.id}`;
    li.dataset.kind = s.state === "pending" ? "pending" : s.outcome.kind;
    li.append(el("span", attentionText(s)));
    if (["extra", "held"].includes(s.outcome.kind)) {
      li.append(button(`attention-refund-${s.id}`, t("btn.refund_amount", { amount: s.outcome.amount }), () => refundExtra(s.id)));
    }
    if (s.state !== "pending") {
      li.append(button(`attention-ok-${s.id}`, t("btn.ok"), async () => {
        await acknowledge(s.id);
        refreshAttention();
      }));
    }
    return li;
  }));
  list.hidden = state.attention.length === 0;
}

/** Gives back what a sale holds beyond its total (or all of it, on a sale that ended unpaid). */
export async function refundExtra(saleId) {
  try {
    const story = await ownerInvoke("refund", { saleId, amount: null, extra: true });
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

export function wirePay() {
  $("charge").addEventListener("click", () => charge());
  $("charge-again").addEventListener("click", () => charge());
  $("pending-yes").addEventListener("click", () => charge(true));
  $("pending-no").addEventListener("click", () => { $("pending-confirm").hidden = true; focusScan(); });
  $("refund-extra").addEventListener("click", () => state.sale && refundExtra(state.sale.id));
  $("cancel").addEventListener("click", cancelSale);
  $("check").addEventListener("click", () => state.sale && invoke("check_now", { saleId: state.sale.id }));
  $("new-sale").addEventListener("click", newSale);
  $("print").addEventListener("click", () => state.sale && printTicket(state.sale.id));
  setInterval(renderCountdown, 1000);
}
