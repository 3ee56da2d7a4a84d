// The customer-facing display: the store, the cart as it is scanned, the total, the QR and
// the outcome. Read-only.
import { I18N } from "./i18n.js";
import { isOpen } from "./lib/screen.js";

const { invoke, Channel } = window.__TAURI__.core;
const $ = (id) => document.getElementById(id);

let qr = null;
let thanksTimer = null;

let sale = null; // the sale on the screen: { state, total, rejected }

function show(state, total, rejected) {
  clearTimeout(thanksTimer);
  const open = isOpen(state);
  sale = state ? { state, total, rejected: open && !!rejected } : null;
  document.body.dataset.state = open ? (sale.rejected ? "rejected" : "waiting") : state === "paid" ? "paid" : state ? "ended" : "idle";
  $("qr").hidden = !open || !qr;
  $("outcome").textContent = state === "paid" ? I18N.t("customer.thanks") : sale && sale.rejected ? I18N.t("customer.rejected") : "";
  if (!open) thanksTimer = setTimeout(() => show(null, ""), 8000);
  showCart();
}

/** The cart as the cashier scans it (the counter window writes it to the shared storage). */
function showCart() {
  let cart = { lines: [], total: null };
  try {
    cart = JSON.parse(localStorage.getItem("cart") || "null") || cart;
  } catch (_) {
    // A cart written by an older page: shown empty.
  }
  const open = sale && isOpen(sale.state);
  const scanning = !sale && cart.lines.length > 0;
  $("welcome").hidden = open || scanning || (sale && sale.state === "paid");
  const lines = (open || scanning) ? cart.lines.slice(-6) : [];
  $("lines").hidden = lines.length === 0;
  $("lines").replaceChildren(...lines.map((l) => {
    const li = document.createElement("li");
    const what = document.createElement("span");
    what.textContent = `${l.quantity} × ${l.title}`;
    const amount = document.createElement("span");
    amount.textContent = l.total || "";
    li.append(what, amount);
    return li;
  }));
  $("total").textContent = sale && (open || sale.state === "paid") ? sale.total : scanning ? cart.total || "" : "";
}

async function start() {
  const info = await invoke("app_info");
  I18N.pick(localStorage.getItem("language") || info.language, info.site);
  I18N.apply(document);
  $("store").textContent = info.storeName;
  // The demo says so to the customer too: its QR pays nothing.
  $("demo-mark").hidden = info.mode !== "demo";
  try {
    qr = await invoke("register_qr");
    $("qr").src = qr;
  } catch (_) {
    qr = null;
  }
  const channel = new Channel();
  channel.onmessage = (e) => {
    if (e.type === "sale" && !(e.late && e.state === "paid")) {
      show(e.state, e.total, e.progress && e.progress.kind === "payment_rejected");
    }
  };
  await invoke("subscribe", { onEvent: channel });
  const open = await invoke("current_sale");
  show(open ? open.state : null, open ? open.total : "");
}

window.addEventListener("storage", (e) => {
  if (e.key === "language") {
    I18N.pick(e.newValue);
    I18N.apply(document);
    if (sale) show(sale.state, sale.total, sale.rejected);
  } else if (e.key === "cart") {
    showCart();
  }
});

start();
