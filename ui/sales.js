// The day's sales: the list, a sale's story, refunds (asked first), the summary, the
// reconciliation with Mercado Pago, the CSV and the receipt.
import { ownerInvoke } from "./owner.js";
import { $, t, I18N, invoke, state, say } from "./page.js";
import { focusScan } from "./cart.js";
import { refundExtra } from "./pay.js";
import { printTicket, savePdf } from "./ticket.js";
import { stepParts } from "./lib/steps.js";
import { hourBars } from "./lib/chart.js";

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
      const what = [t(`tender.${r.tender}`), t(`state.${r.state}`) + (r.late ? ` ${t("history.late")}` : ""), outcomeText(r)].filter(Boolean).join(" · ");
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
    $("story-paid").textContent = s.sale.cash
      ? t("history.cash_paid", { received: s.sale.cash.received, change: s.sale.cash.change })
      : [t("history.collected", { amount: s.sale.collected }), t("history.refunded", { amount: s.refunded }), outcomeText(s.sale)].filter(Boolean).join(" · ");
    $("story-ids").textContent = `ref ${s.sale.externalReference} · MO ${s.merchantOrderIds.join(", ") || "–"} · pay ${s.paymentIds.join(", ") || "–"}`;
    $("story-changes").replaceChildren(...s.changes.map((c) => {
      const li = document.createElement("li");
      li.textContent = `${c.at} ${t(`state.${c.state}`)}: ${stepWords(c.detail)}`;
      return li;
    }));
    $("refund").disabled = s.sale.tender === "cash" || !["paid", "cancelled", "expired"].includes(s.sale.state);
    $("story-print").disabled = s.sale.state !== "paid";
    $("story-pdf").hidden = !state.info.pdf || s.sale.state !== "paid";
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
    if (s.cashSales) lines.push(t("history.summary_cash", { n: s.cashSales, total: s.cashTotal }));
    lines.push(t("history.summary_net", { net: s.netTotal }));
    if (s.withExtra) lines.push(t("history.summary_extra", { extra: s.extraTotal, n: s.withExtra }));
    if (s.pending) lines.push(t("history.summary_pending", { n: s.pending }));
    say("history-message", lines.join("\n"));
    drawHours(s.byHour);
  },
  async reconcile() {
    try {
      const day = $("history-day").value;
      const [diffs, summary] = await Promise.all([invoke("reconcile", { day }), invoke("day_summary", { day })]);
      const lines = diffs.length ? diffs.map(differenceText) : [t("history.no_differences")];
      // Cash has nothing at Mercado Pago to compare: the till's count is its check.
      if (summary.cashSales) lines.push(t("history.reconcile_cash", { n: summary.cashSales, total: summary.cashTotal }));
      say("history-message", lines.join("\n"), diffs.length > 0);
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
    if (this.story) printTicket(this.story.sale.id);
  },
  async pdf() {
    if (!this.story) return;
    const id = this.story.sale.id;
    try {
      const path = await savePdf(await invoke("ticket", { saleId: id }), `ticket-${id}`, false);
      say("history-message", t("history.exported", { path }));
    } catch (err) {
      say("history-message", I18N.error(err), true);
    }
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

const SVG = "http://www.w3.org/2000/svg";

/** The day's paid sales by hour, as bars drawn by the page. */
function drawHours(byHour) {
  const figure = $("hours");
  figure.querySelector("svg")?.remove();
  const bars = hourBars(byHour, 640, 140);
  figure.hidden = bars.length === 0;
  if (!bars.length) return;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 640 140");
  svg.setAttribute("role", "img");
  svg.dataset.testid = "hours-chart";
  for (const b of bars) {
    const g = document.createElementNS(SVG, "g");
    const rect = document.createElementNS(SVG, "rect");
    for (const [k, v] of Object.entries({ x: b.x, y: b.y, width: b.w, height: b.h })) rect.setAttribute(k, String(v));
    rect.dataset.hour = String(b.hour);
    const title = document.createElementNS(SVG, "title");
    title.textContent = t("history.hour_bar", { hour: b.hour, n: b.sales, money: b.money });
    rect.append(title);
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("x", String(b.x + b.w / 2));
    label.setAttribute("y", "136");
    label.textContent = String(b.hour);
    g.append(rect, label);
    svg.append(g);
  }
  figure.append(svg);
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
  $("story-pdf").addEventListener("click", () => salesDialog.pdf());
  $("refund").addEventListener("click", () => salesDialog.askRefund());
  $("refund-yes").addEventListener("click", () => salesDialog.refund());
  $("refund-no").addEventListener("click", () => ($("refund-confirm").hidden = true));
  $("story-refund-extra").addEventListener("click", () => salesDialog.refundExtra());
}
