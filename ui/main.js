// The counter page: starts the views, routes Rust's events, and the keyboard.
import { $, t, I18N, invoke, Channel, state, epochMs, showNotice, renderNotice, noticeText, el, button } from "./page.js";
import { isOpen } from "./lib/screen.js";
import { renderCart, clearCart, undoClear, focusLastQuantity, focusScan, cartLocked, wireCart } from "./cart.js";
import { scannerBurst, clearScan, wireScan, pick } from "./scan.js";
import { charge, showSale, renderPay, escapeSale, newSale, onSaleEvent, refreshAttention, renderAttention, wirePay } from "./pay.js";
import { wireCatalog } from "./catalog.js";
import { wireSettings } from "./settings.js";
import { wireSales } from "./sales.js";
import { wireOwner } from "./owner.js";
import { openCash, closeCash, wireCash } from "./cash.js";
import { refreshTill, wireTill } from "./till.js";
import { printTicket } from "./ticket.js";

async function start() {
  const info = await invoke("app_info");
  state.info = info;
  state.settings = await invoke("get_settings");
  I18N.pick(localStorage.getItem("language") || info.language, info.site);
  $("language").value = I18N.lang;
  I18N.apply(document);
  $("version").textContent = "v" + info.version;
  $("data-dir").textContent = info.dataDir;
  $("sandbox-url").textContent = info.sandboxUrl || "";
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
  if (info.mode === "demo") showDemoProducts();
  // The sale on the pay panel when the app closed: still open, or ended while it was closed
  // (paid, say) and not seen yet.
  const current = await invoke("current_sale");
  if (current) showSale(current, { fromBefore: !isOpen(current.state) });
  refreshAttention();
  refreshTill();
  renderCart();
  focusScan();
  document.body.dataset.readyAt = epochMs();
}

/** The demo's products as tiles, so a newcomer knows what to scan or type. */
async function showDemoProducts() {
  try {
    const products = (await invoke("list_products")).slice(0, 8);
    $("demo-tiles").replaceChildren(...products.map((p) => {
      const b = button(`demo-tile-${p.sku}`, "", () => pick(p, 1), { className: "tile" });
      b.append(el("span", p.name), el("small", `${p.sku} · ${p.priceText}`));
      return b;
    }));
  } catch (_) {
    $("demo-hint").hidden = true;
  }
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

function onEvent(event) {
  if (event.type === "ready") {
    $("link").dataset.state = "ok";
    $("link").dataset.i18n = "link.connected";
    $("link").textContent = t("link.connected");
  } else if (event.type === "notice") {
    showNotice(() => noticeText(event));
  } else if (event.type === "sale") {
    onSaleEvent(event);
  }
}

/** Enter on a sale that ended starts the next one, wherever the focus is, unless the focus
 * is on something Enter already does (a button, a field with text in it). */
function enterStartsNewSale(e) {
  if (e.key !== "Enter" || state.cash || !state.sale || isOpen(state.sale.state)) return false;
  const f = document.activeElement;
  if (f === $("new-sale")) return true;
  if (f && f.tagName === "BUTTON") return false;
  if (f && ["INPUT", "SELECT", "TEXTAREA"].includes(f.tagName) && f.value.trim()) return false;
  return true;
}

function fieldHasText() {
  const f = document.activeElement;
  return !!f && ["INPUT", "TEXTAREA"].includes(f.tagName) && !!f.value;
}

function onKey(e) {
  if (document.querySelector("dialog[open]")) return; // a dialog has the keyboard
  if (scannerBurst(e)) return;
  const open = !!state.sale && isOpen(state.sale.state);
  const paid = !!state.sale && state.sale.state === "paid";
  const keys = {
    F2: () => $("scan").focus(),
    F3: () => $("quick-title").focus(),
    F4: focusLastQuantity,
    F5: () => open && invoke("check_now", { saleId: state.sale.id }),
    F8: () => paid && !state.cash && printTicket(state.sale.id),
    F9: () => !cartLocked() && clearCart(),
    F11: () => openCash(),
    F12: () => charge(),
    Escape: () => (state.cash ? closeCash() : open ? escapeSale() : clearScan()),
  };
  if (keys[e.key]) {
    e.preventDefault();
    keys[e.key]();
  } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z" && !fieldHasText()) {
    // A field's own undo goes first; elsewhere Ctrl+Z brings a cleared cart back.
    if (undoClear()) e.preventDefault();
  } else if (enterStartsNewSale(e)) {
    e.preventDefault();
    newSale();
  }
}

function wire() {
  wireCart();
  wireScan();
  wirePay();
  wireCatalog();
  wireSettings();
  wireSales();
  wireOwner();
  wireCash();
  wireTill();
  $("customer-display").addEventListener("click", () => invoke("open_customer_display").catch((e) => showNotice(() => I18N.error(e))));
  for (const b of document.querySelectorAll("#phone button")) {
    b.addEventListener("click", async () => {
      $("phone-error").hidden = true;
      try {
        await invoke("demo_customer", { action: b.dataset.action });
      } catch (e) {
        $("phone-error").textContent = I18N.error(e);
        $("phone-error").hidden = false;
      }
    });
  }
  $("language").addEventListener("change", () => {
    I18N.pick($("language").value, state.info && state.info.site);
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

wire();
start().catch((e) => {
  $("link").dataset.state = "error";
  $("link").textContent = I18N.error(e);
});
