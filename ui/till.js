// The till: open it with the float counted, cash in or out with a reason, close it with the cash
// counted and read its Z report (printed as a ticket or on A4, exported as CSV). Rust keeps the
// figures; taking cash out and closing are the store owner's when an owner PIN is set.
import { ownerInvoke } from "./owner.js";
import { $, t, I18N, invoke, state, say, el, button } from "./page.js";
import { focusScan } from "./cart.js";
import { renderTicket, printZ, savePdf } from "./ticket.js";

/** The open till as Rust says it now; the header's button says whether it is open. */
export async function refreshTill() {
  try {
    state.till = await invoke("till_status");
  } catch (e) {
    state.till = null;
  }
  renderTillButton();
  return state.till;
}

function renderTillButton() {
  const b = $("open-till");
  b.dataset.state = state.till ? "open" : "closed";
  b.textContent = state.till ? t("till.button_open", { cashier: state.till.cashier }) : t("btn.till");
}

let shown = null; // the report on the dialog

function showReport(till) {
  shown = till;
  $("till-report").hidden = !till;
  $("z-pdf").hidden = !state.info.pdf;
  if (till) renderTicket($("z-ticket"), till.ticket);
}

function render() {
  const till = state.till;
  $("till-open-form").hidden = !!till;
  $("till-open-panel").hidden = !till;
  $("till-status").textContent = till
    ? t("till.status_open", { cashier: till.cashier, since: till.openedAt, float: till.float, expected: till.expectedCash })
    : t("till.status_closed");
  renderTillButton();
}

const tillDialog = {
  async open() {
    $("till").showModal();
    say("till-message", "");
    showReport(null);
    await refreshTill();
    render();
    if (state.till) showReport(state.till);
    (state.till ? $("till-move-amount") : $("till-cashier")).focus();
    this.day();
  },
  close() {
    $("till").close();
    focusScan();
  },
  async start(e) {
    e.preventDefault();
    try {
      state.till = await invoke("open_till", { cashier: $("till-cashier").value, float: $("till-float").value });
      $("till-float").value = "";
      say("till-message", t("till.opened", { float: state.till.float }));
      render();
      showReport(state.till);
      this.day();
    } catch (err) {
      say("till-message", I18N.error(err), true);
    }
  },
  async move(e) {
    e.preventDefault();
    const kind = $("till-move-kind").value;
    try {
      const cmd = { kind, amount: $("till-move-amount").value, reason: $("till-move-reason").value };
      state.till = kind === "out" ? await ownerInvoke("move_cash", cmd) : await invoke("move_cash", cmd);
      $("till-move-amount").value = "";
      $("till-move-reason").value = "";
      say("till-message", t(`till.moved_${kind}`, { expected: state.till.expectedCash }));
      render();
      showReport(state.till);
    } catch (err) {
      say("till-message", I18N.error(err), true);
    }
  },
  async finish(e) {
    e.preventDefault();
    try {
      const z = await ownerInvoke("close_till", { counted: $("till-counted").value });
      $("till-counted").value = "";
      state.till = null;
      render();
      showReport(z);
      say("till-message", t(z.short ? "till.closed_short" : "till.closed", { difference: z.difference, expected: z.expectedCash, counted: z.counted }), z.short);
      this.day();
    } catch (err) {
      say("till-message", I18N.error(err), true);
    }
  },
  /** The day's tills, each with its report. */
  async day() {
    const today = new Date();
    const day = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, "0")}-${String(today.getDate()).padStart(2, "0")}`;
    try {
      const tills = await invoke("list_tills", { day });
      $("till-list").replaceChildren(...tills.map((z) => {
        const li = el("li", t(z.closedAt ? "till.day_closed" : "till.day_open", { id: z.id, cashier: z.cashier, since: z.openedAt, until: z.closedAt, difference: z.difference }));
        li.append(button(`till-show-${z.id}`, t("till.show"), () => showReport(z)));
        return li;
      }));
    } catch (err) {
      say("till-message", I18N.error(err), true);
    }
  },
  async pdf() {
    if (!shown) return;
    try {
      say("till-message", t("history.exported", { path: await savePdf(shown.ticket, `z-${shown.id}`, false) }));
    } catch (err) {
      say("till-message", I18N.error(err), true);
    }
  },
  async exportCsv() {
    if (!shown) return;
    try {
      say("till-message", t("history.exported", { path: await invoke("export_z_csv", { tillId: shown.id }) }));
    } catch (err) {
      say("till-message", I18N.error(err), true);
    }
  },
};

export function wireTill() {
  $("open-till").addEventListener("click", () => tillDialog.open());
  $("till-close-dialog").addEventListener("click", () => tillDialog.close());
  $("till-open-form").addEventListener("submit", (e) => tillDialog.start(e));
  $("till-move-form").addEventListener("submit", (e) => tillDialog.move(e));
  $("till-close-form").addEventListener("submit", (e) => tillDialog.finish(e));
  $("z-print").addEventListener("click", () => shown && printZ(shown, false));
  $("z-print-a4").addEventListener("click", () => shown && printZ(shown, true));
  $("z-export").addEventListener("click", () => tillDialog.exportCsv());
  $("z-pdf").addEventListener("click", () => tillDialog.pdf());
}
