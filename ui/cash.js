// Cash beside QR: the cash screen on the pay panel. What is due (the store's rounding to its
// smallest coin applied by Rust), what the customer hands over, typed as the country writes it,
// and the change in large type. A QR sale the customer cannot pay is finished in cash: its
// order is withdrawn first, and the cash is taken once Rust says it ended unpaid.
import { $, t, I18N, invoke, state, epochMs, showNotice } from "./page.js";
import { isOpen, buttonsOf } from "./lib/screen.js";
import { renderCart, focusScan } from "./cart.js";
import { showSale, renderPay, newSale } from "./pay.js";
import { printerKind, printTicket, rememberPrinted } from "./ticket.js";
import { beep } from "./sound.js";

/** F11, or the Cash button: the cart in cash; on a QR sale still open, that sale in cash. */
export async function openCash() {
  if (state.charging || state.cash) return;
  const sale = state.sale;
  let finishes = null;
  if (sale && isOpen(sale.state)) {
    finishes = sale.id;
    try {
      await invoke("cancel", { saleId: sale.id });
    } catch (e) {
      $("status").textContent = I18N.error(e);
      return;
    }
  } else if (sale && buttonsOf(sale.state).chargeAgain) {
    finishes = sale.id; // it ended unpaid: its cart, in cash
  } else if (sale) {
    await newSale(); // a paid sale's screen: the next customer's cart
  }
  if (!state.lines.length) return;
  // The pay panel draws the cash screen through these (pay.js knows no cash.js).
  state.cash = { finishes, despite: false, render: renderCash, paidByQr: finishedByQr };
  // Paid while the withdrawal was being asked for: no cash to take.
  if (finishes !== null && state.sale && state.sale.id === finishes && state.sale.state === "paid") {
    finishedByQr();
    renderPay();
    return;
  }
  $("cash-received").value = "";
  $("cash-change").textContent = "–";
  renderPay();
  renderCart();
  try {
    $("cash-due").textContent = await invoke("cash_due", { lines: state.lines });
  } catch (e) {
    sayCash(I18N.error(e), true);
  }
  $("cash-received").focus();
}

/** Esc on the cash screen: back to where it was (a QR sale being finished shows how it ended). */
export function closeCash() {
  if (!state.cash) return;
  state.cash = null;
  renderPay();
  renderCart();
  focusScan();
}

function sayCash(text, bad) {
  $("cash-note").textContent = text || "";
  $("cash-note").hidden = !text;
  $("cash-note").classList.toggle("bad", !!bad);
}

/** The cash screen's parts that follow the QR sale it finishes, if any. */
function renderCash() {
  const cash = state.cash;
  const sale = state.sale;
  const finishing = cash.finishes !== null;
  $("cash-title").textContent = finishing ? t("cash.finishing", { id: cash.finishes }) : t("cash.title");
  const withdrawing = finishing && sale && sale.id === cash.finishes && isOpen(sale.state);
  $("cash-confirm").disabled = withdrawing;
  if (withdrawing) sayCash(t("cash.withdrawing"));
  else if (finishing && sale && sale.id === cash.finishes && sale.state === "pending" && !cash.despite) sayCash(t("cash.pending"), true);
  else if ($("cash-note").textContent === t("cash.withdrawing")) sayCash("");
}

/** The QR sale being finished was paid after all (the customer got there first): no cash. */
function finishedByQr() {
  state.cash = null;
  beep("paid");
  showNotice(() => t("cash.paid_by_qr"));
}

let quoted = 0;

async function quote() {
  const received = $("cash-received").value;
  const mine = ++quoted;
  if (!received.trim()) {
    $("cash-change").textContent = "–";
    return sayCash("");
  }
  try {
    const c = await invoke("cash_quote", { lines: state.lines, received });
    if (mine !== quoted || !state.cash) return;
    $("cash-change").textContent = c.change;
    $("cash-received").setAttribute("aria-invalid", "false");
    sayCash(c.rounding ? t("cash.rounded", { rounding: c.rounding }) : "");
  } catch (e) {
    if (mine !== quoted || !state.cash) return;
    $("cash-change").textContent = "–";
    $("cash-received").setAttribute("aria-invalid", "true");
    sayCash(I18N.error(e), true);
  }
}

async function confirm(e) {
  e.preventDefault();
  const cash = state.cash;
  if (!cash || $("cash-confirm").disabled || state.charging) return;
  state.charging = true;
  $("cash-confirm").dataset.clickedAt = epochMs();
  try {
    const sold = await invoke("charge_cash", {
      lines: state.lines,
      received: $("cash-received").value,
      finishes: cash.finishes,
      despitePending: cash.despite,
    });
    state.cash = null;
    state.lines = [];
    showSale(sold.sale);
    beep("paid");
    if (sold.printer) showNotice(() => t("printer.failed", { message: I18N.error(sold.printer) }));
    if (printerKind() !== "dialog") rememberPrinted(sold.sale.id);
    else if (state.settings && state.settings.printer.autoPrint) {
      rememberPrinted(sold.sale.id);
      printTicket(sold.sale.id);
    }
  } catch (err) {
    if (err && err.kind === "cash" && err.why === "payment_pending" && !cash.despite) {
      cash.despite = true; // asked: the next Enter takes the cash anyway
      sayCash(t("cash.pending"), true);
    } else {
      beep("bad");
      sayCash(I18N.error(err), true);
      $("cash-received").focus();
    }
  } finally {
    state.charging = false;
  }
}

export function wireCash() {
  $("cash").addEventListener("click", openCash);
  $("cash-instead").addEventListener("click", openCash);
  $("cash-back").addEventListener("click", closeCash);
  $("pay-cash").addEventListener("submit", confirm);
  $("cash-received").addEventListener("input", quote);
}
