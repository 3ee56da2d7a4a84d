// The scan field: a scanner's code or a search, the results list, a code not found, and a
// scanner's burst caught wherever the focus is.
import { $, t, I18N, invoke, state, el } from "./page.js";
import { Burst, readScan } from "./lib/scanner.js";
import { addLine, focusScan } from "./cart.js";
import { beep } from "./sound.js";

let searchTimer = null;
let results = [];
let selected = -1;
/** The code that was not found: the next key typed into the scan field replaces it. */
let missed = null;

async function search(text) {
  const q = readScan(text).code;
  if (!q) {
    results = [];
    renderResults();
    return [];
  }
  try {
    results = await invoke("find_products", { query: q });
  } catch (e) {
    results = [];
    showScanError(I18N.error(e));
  }
  selected = results.length ? 0 : -1;
  renderResults();
  return results;
}

function renderResults() {
  const list = $("results");
  const text = readScan($("scan").value).code;
  list.hidden = !text || missed !== null;
  if (list.hidden) return list.replaceChildren();
  if (!results.length) {
    return list.replaceChildren(el("li", t("results.none"), { className: "muted" }));
  }
  list.replaceChildren(...results.map((p, i) => {
    const li = el("li");
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", String(i === selected));
    li.dataset.testid = `result-${p.sku}`;
    li.append(el("span", p.sku, { className: "sku" }), el("span", p.name), el("span", p.priceText, { className: "price" }));
    li.addEventListener("click", () => pick(p, readScan($("scan").value).quantity));
    return li;
  }));
}

/** Adds a product (a pick from the results, a demo tile, a scan). One sold by weight is added
 * to be weighed: its weight field takes the keyboard. */
export function pick(product, quantity) {
  const line = { sku: product.sku, title: product.name, unitPrice: product.price, quantity: quantity || 1 };
  if (product.byWeight) Object.assign(line, { quantity: 1, weight: "" });
  $("scan").value = "";
  results = [];
  showScanError(null);
  renderResults();
  addLine(line);
  if (!product.byWeight) focusScan();
}

/** A scale's label (an EAN-13 of 20 to 29, as the settings lay it out) adds the weighed line it
 * carries; a bad one says why and adds nothing. Returns whether the code was a label. */
async function scaleLabel(code) {
  if (!/^2\d{12}$/.test(code)) return false;
  let line;
  try {
    line = await invoke("scan_label", { code });
  } catch (e) {
    beep("bad");
    $("scan").value = "";
    showScanError(I18N.error(e));
    return true;
  }
  if (!line) return false;
  $("scan").value = "";
  showScanError(null);
  const { weightText, ...weighed } = line;
  addLine(line.weight ? { ...weighed, weight: weightText } : weighed);
  focusScan();
  return true;
}

/** Enter in the scan field (or a scanner's burst): an exact code or the one match adds the
 * product; a code nothing matches is said in red, with quick-add offered for it. */
export async function submitScan(text) {
  const { quantity, code } = readScan(text);
  if (!code) return;
  if (await scaleLabel(code)) return;
  const found = await search(code);
  const exact = found.find((p) => p.sku === code);
  if (exact) return pick(exact, quantity);
  if (found.length === 1) return pick(found[0], quantity);
  if (found.length && selected >= 0 && found[selected]) return pick(found[selected], quantity);
  if (!found.length) notFound(code);
}

function notFound(code) {
  beep("bad");
  missed = code;
  $("scan").value = code;
  showScanError(t("scan.not_found", { code }));
  $("scan-add").hidden = false;
  renderResults();
}

function showScanError(text) {
  $("scan-error").hidden = !text;
  $("scan-error-text").textContent = text || "";
  if (!text) {
    $("scan-add").hidden = true;
    missed = null;
  }
}

/** Quick-add for a code that was not found: the code as the description, the price next. */
function quickAddMissed() {
  const code = missed;
  showScanError(null);
  $("scan").value = "";
  renderResults();
  $("quick-title").value = code || "";
  $("quick-price").focus();
}

const burst = new Burst();

/** A barcode scanner's burst that went to another field than the scan field: taken out of
 * there and scanned. Returns true when the key was such a burst's Enter. */
export function scannerBurst(e) {
  const code = burst.key(e.key, e.timeStamp, e.target);
  if (!code) return false;
  const field = document.activeElement;
  if (field === $("scan")) return false; // the scan field's own Enter reads it
  e.preventDefault();
  if (field && typeof field.value === "string" && field.value.endsWith(code)) {
    field.value = field.value.slice(0, -code.length);
  }
  // `3*` typed in the scan field, then the scan: three of it.
  const pending = /^\d{1,3}\s*\*$/.test($("scan").value.trim()) ? $("scan").value.trim() : "";
  if (pending) $("scan").value = "";
  submitScan(pending + code);
  return true;
}

export function clearScan() {
  $("scan").value = "";
  showScanError(null);
  search("");
}

export function wireScan() {
  $("scan").addEventListener("keydown", (e) => {
    // After a code not found, the next scan replaces it instead of being added to it.
    if (missed !== null && e.key.length === 1 && !e.ctrlKey && !e.altKey) {
      $("scan").value = "";
      showScanError(null);
    }
    if (e.key === "Enter") {
      e.preventDefault();
      clearTimeout(searchTimer);
      submitScan($("scan").value);
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const n = results.length;
      if (n) selected = (selected + (e.key === "ArrowDown" ? 1 : n - 1)) % n;
      renderResults();
    }
  });
  $("scan").addEventListener("input", () => {
    if (missed !== null && $("scan").value !== missed) showScanError(null);
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => search($("scan").value), 120);
  });
  $("scan-add").addEventListener("click", quickAddMissed);
}
