// The products dialog: add, edit, delete (asked first), import and export CSV.
import { $, t, I18N, invoke, el, button } from "./page.js";
import { focusScan } from "./cart.js";

const catalog = {
  async open() {
    $("catalog").showModal();
    this.message("");
    await this.render();
    $("product-sku").focus();
  },
  close() {
    $("catalog").close();
    focusScan();
  },
  message(text, bad) {
    $("catalog-message").textContent = text;
    $("catalog-message").classList.toggle("bad", !!bad);
  },
  async render() {
    const products = await invoke("list_products");
    $("products").replaceChildren(...products.map((p) => {
      const tr = el("tr");
      tr.dataset.testid = `product-${p.sku}`;
      tr.append(el("td", p.sku), el("td", p.name), el("td", p.priceText, { className: "num" }));
      const actions = el("td", null, { className: "actions" });
      const edit = button(`product-edit-${p.sku}`, t("btn.edit"), () => {
        $("product-sku").value = p.sku;
        $("product-name").value = p.name;
        $("product-price").value = p.price;
        $("product-by-weight").checked = p.byWeight;
        $("product-name").focus();
      });
      const del = button(`product-delete-${p.sku}`, "✕", () => this.askDelete(actions, p), { className: "remove" });
      del.setAttribute("aria-label", `${t("catalog.delete")} ${p.name}`);
      actions.append(edit, del);
      tr.append(actions);
      return tr;
    }));
  },
  /** A product is deleted only once the cashier said yes, in its own row. */
  askDelete(cell, p) {
    const question = el("span", t("catalog.delete_question", { name: p.name }));
    const yes = button(`product-delete-yes-${p.sku}`, t("catalog.delete"), async () => {
      try {
        await invoke("delete_product", { sku: p.sku });
        this.message(t("catalog.deleted", { name: p.name }));
      } catch (err) {
        this.message(I18N.error(err), true);
      }
      this.render();
    }, { className: "danger" });
    const no = button(`product-delete-no-${p.sku}`, t("btn.cancel_short"), () => this.render());
    cell.replaceChildren(question, yes, no);
    no.focus();
  },
  async save(e) {
    e.preventDefault();
    try {
      const p = await invoke("save_product", { sku: $("product-sku").value, name: $("product-name").value, price: $("product-price").value, byWeight: $("product-by-weight").checked });
      this.message(t("catalog.saved", { name: p.name }));
      for (const id of ["product-sku", "product-name", "product-price"]) $(id).value = "";
      $("product-by-weight").checked = false;
      $("product-sku").focus();
      this.render();
    } catch (err) {
      this.message(I18N.error(err), true);
    }
  },
  async import(file) {
    if (!file) return;
    const text = await file.text();
    try {
      const n = await invoke("import_products_csv", { text });
      this.message(t("catalog.imported", { n }));
      this.render();
    } catch (err) {
      const rows = (err.rows || []).map((r) => t("catalog.row", { row: r.row, message: I18N.error({ kind: "product", ...r.error }) }));
      this.message([I18N.error(err), ...rows].join("\n"), true);
    }
    $("catalog-import").value = "";
  },
  async export() {
    try {
      this.message(t("catalog.exported", { path: await invoke("export_products_csv") }));
    } catch (err) {
      this.message(I18N.error(err), true);
    }
  },
};

export function wireCatalog() {
  $("open-catalog").addEventListener("click", () => catalog.open());
  $("catalog-close").addEventListener("click", () => catalog.close());
  $("product-form").addEventListener("submit", (e) => catalog.save(e));
  $("catalog-import").addEventListener("change", (e) => catalog.import(e.target.files[0]));
  $("catalog-export").addEventListener("click", () => catalog.export());
}
