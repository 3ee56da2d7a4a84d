// The day's sales: the list, a sale's story, refunds (asked first), the summary, the
// reconciliation with Mercado Pago, the CSV and the receipt.
import { ownerInvoke } from "./owner.js";
import { $, t, I18N, invoke, state, say, printOut } from "./page.js";
import { focusScan } from "./cart.js";
import { refundExtra } from "./pay.js";
import { stepParts } from "./lib/steps.js";

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
      const what = [t(`state.${r.state}`) + (r.late ? ` ${t("history.late")}` : ""), outcomeText(r)].filter(Boolean).join(" · ");
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
    $("story-title").textContent = `${t("pay.sale", { id })} · ${s.created} · ${t(`state.${s.sale.state}`)}`;
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
      li.textContent = `${c.at} ${t(`state.${c.state}`)}: ${stepWords(c.detail)}`;
      return li;
    }));
    $("refund").disabled = !["paid", "cancelled", "expired"].includes(s.sale.state);
    $("story-refund-extra").hidden = !["extra", "held"].includes(s.sale.outcome.kind);
    for (const tr of document.querySelectorAll("#sales tr")) tr.setAttribute("aria-selected", String(tr.dataset.sale === String(id)));
  },
  askRefund() {
    if (!this.story) return;
    const amount = $("refund-amount").value.trim();
    $("refund-question").textContent = amount
      ? t("history.confirm_refund", { amount, id: this.story.sale.id })
      : t("history.confirm_refund_all", { amount: this.story.sale.collected, id: this.story.sale.id });
    $("refund-confirm").hidden = false;
  },
  async refund() {
    $("refund-confirm").hidden = true;
    const amount = $("refund-amount").value.trim() || null;
    try {
      const s = await ownerInvoke("refund", { saleId: this.story.sale.id, amount });
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
    const lines = s.states.map(([state, count, total]) => t("history.summary_line", { state: t(`state.${state}`), count, total }));
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

/** A step's detail (the journal's words, for support) in the page's language. */
function stepWords(detail) {
  return stepParts(detail)
    .map((p) => {
      if (!p.key) return p.text;
      const params = p.params.state ? { ...p.params, state: t(`state.${p.params.state}`) } : p.params;
      return t(p.key, params);
    })
    .join("; ");
}

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

export function wireSales() {
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
}
