// Tickets: Rust lays them out for the paper (the same lines a thermal printer gets); the page
// shows them, prints them through the system's dialog, or asks Rust to send them to the
// thermal printer. A printer in trouble is said; the sale is never touched.
import { $, t, I18N, invoke, state, el, showNotice, printOut, pageSize } from "./page.js";

/** Fills `container` with a ticket's lines, one element each, as the paper shows them. */
export function renderTicket(container, ticket) {
  container.dataset.columns = String(ticket.columns);
  container.replaceChildren(...ticket.lines.map((line) => {
    const div = el("div", line.text || "\u00a0", { className: "tl" });
    if (line.align === "center") div.classList.add("center");
    if (line.bold) div.classList.add("bold");
    if (line.tall) div.classList.add("tall");
    return div;
  }));
}

/** Where tickets go: the system's dialog, or a thermal printer Rust speaks to. */
export function printerKind() {
  return (state.settings && state.settings.printer.kind) || "dialog";
}

function paperOf() {
  return String((state.settings && state.settings.printer.paperMm) || 80);
}

/** Prints a sale's ticket where the settings say. Returns whether it went. */
export async function printTicket(saleId) {
  try {
    if (printerKind() === "dialog") {
      renderTicket($("receipt"), await invoke("ticket", { saleId }));
      printOut("receipt", paperOf());
    } else {
      await invoke("print_ticket", { saleId });
    }
    return true;
  } catch (e) {
    showNotice(() => t("printer.failed", { message: I18N.error(e) }));
    return false;
  }
}

/** Prints a till's report: on the ticket printer (or the dialog, at the ticket's width), or on
 * A4 through the dialog. */
export async function printZ(till, a4) {
  try {
    if (!a4 && printerKind() !== "dialog") return await invoke("print_z", { tillId: till.id });
    renderTicket($("receipt"), till.ticket);
    printOut(a4 ? "a4" : "receipt", paperOf());
  } catch (e) {
    showNotice(() => t("printer.failed", { message: I18N.error(e) }));
  }
}

/** The sales printed automatically already (a sale's events may say paid more than once). */
const printed = new Set();

/** A paid sale's ticket, once, when the settings ask every paid sale to print. A cash sale's
 * went out with the cash already (Rust prints it with the drawer's kick). */
export function autoPrint(sale) {
  const p = state.settings && state.settings.printer;
  if (!p || !p.autoPrint || printed.has(sale.id)) return;
  printed.add(sale.id);
  if (sale.tender === "cash" && p.kind !== "dialog") return;
  printTicket(sale.id);
}

export function rememberPrinted(saleId) {
  printed.add(saleId);
}

/** Saves a ticket (or a Z report) as a PDF in exports/, printed by the window's own engine as
 * the print dialog would print it. Returns the file's path. */
export async function savePdf(ticket, name, a4) {
  renderTicket($("receipt"), ticket);
  const paper = a4 ? "a4" : paperOf();
  document.body.dataset.printing = a4 ? "a4" : "receipt";
  document.body.dataset.paper = paperOf();
  pageSize(a4 ? "a4" : "receipt", paperOf());
  return invoke("save_pdf", { name, paper });
}
