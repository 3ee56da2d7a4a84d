// The customer-facing display: the store, the total, the QR and the outcome. Read-only.
"use strict";

const { invoke, Channel } = window.__TAURI__.core;
const $ = (id) => document.getElementById(id);
const OPEN = ["creating", "waiting", "cancelling", "expiring"];

let qr = null;
let thanksTimer = null;

function show(state, total) {
  clearTimeout(thanksTimer);
  const open = OPEN.includes(state);
  document.body.dataset.state = open ? "waiting" : state === "paid" ? "paid" : state ? "ended" : "idle";
  $("welcome").hidden = open || state === "paid";
  $("total").textContent = open || state === "paid" ? total : "";
  $("qr").hidden = !open || !qr;
  $("outcome").textContent = state === "paid" ? I18N.t("customer.thanks") : "";
  if (!open) thanksTimer = setTimeout(() => show(null, ""), 8000);
}

async function start() {
  const info = await invoke("app_info");
  I18N.pick(localStorage.getItem("language") || info.language);
  I18N.apply(document);
  $("store").textContent = info.storeName;
  try {
    qr = await invoke("register_qr");
    $("qr").src = qr;
  } catch (_) {
    qr = null;
  }
  const channel = new Channel();
  channel.onmessage = (e) => {
    if (e.type === "sale" && !(e.late && e.state === "paid")) show(e.state, e.total);
  };
  await invoke("subscribe", { onEvent: channel });
  const open = await invoke("current_sale");
  show(open ? open.state : null, open ? open.total : "");
}

window.addEventListener("storage", (e) => {
  if (e.key === "language") {
    I18N.pick(e.newValue);
    I18N.apply(document);
  }
});

start();
