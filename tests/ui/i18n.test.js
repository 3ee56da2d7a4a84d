// The page's words: every language has every string, and neutral Spanish has no "vos".
import { test } from "node:test";
import assert from "node:assert/strict";

// i18n.js reads the browser's language only when asked; nothing else of the page is needed.
const { I18N, DICTIONARIES, NEUTRAL_ES, SITE_ES } = await import("../../ui/i18n.js");

test("every language has every string", () => {
  const keys = (lang) => new Set(Object.keys(DICTIONARIES[lang]));
  for (const lang of ["es", "pt"]) {
    const missing = [...keys("en")].filter((k) => !keys(lang).has(k));
    assert.deepEqual(missing, [], `${lang} lacks these`);
  }
  const extra = [...keys("es"), ...keys("pt")].filter((k) => !keys("en").has(k));
  assert.deepEqual(extra, [], "strings only some languages have");
});

test("neutral Spanish overrides only Spanish strings, and says no vos", () => {
  const voseo = /\b(Escaneá|escaneá|escribí|Escribí|escribilo|Pagá|Probá|probá|guardá|Guardá|creá|elegí|esperá|revisá|pegá|acá|tocá|volvé|corregí|instalá|llamá|cobrás|podés|devolvéselo|abrila|Abrí|devolvelo|terminala|cancelala|escaneala|revisala|agregalo)(?![\wáéíóú])/;
  for (const [key, text] of Object.entries(NEUTRAL_ES)) {
    assert.ok(key in DICTIONARIES.es, key);
    assert.doesNotMatch(text, voseo, key);
  }
  for (const [key, text] of Object.entries(DICTIONARIES.es)) {
    if (voseo.test(text)) assert.ok(key in NEUTRAL_ES, `${key} has vos and no neutral form`);
  }
});

test("Spanish by country, plurals by count", () => {
  I18N.pick("es", "MLA");
  assert.equal(I18N.t("pay.title"), "Escaneá el QR con la app de Mercado Pago");
  I18N.pick("es", "MLM");
  assert.equal(I18N.t("pay.title"), "Escanea el QR con la app de Mercado Pago");
  assert.equal(I18N.t("cart.items", { n: 1 }), "1 artículo");
  assert.equal(I18N.t("cart.items", { n: 3 }), "3 artículos");
  I18N.pick("pt", "MLB");
  assert.equal(I18N.t("cart.items", { n: 1 }), "1 item");
  assert.equal(I18N.t("cart.items", { n: 2 }), "2 itens");
  I18N.pick("en", "MLA");
  assert.equal(I18N.t("cart.cleared", { n: 1 }), "Cart cleared (1 line).");
});

test("errors in words, by kind and reason", () => {
  I18N.pick("es", "MLA");
  assert.equal(I18N.error({ kind: "amount", reason: "not_an_amount", text: "abc" }), "«abc» no es un importe.");
  assert.match(I18N.error({ kind: "product", reason: "bad_price", price: "1,500", currency: "ARS", ambiguous: true }), /miles o como centavos/);
  assert.equal(I18N.error({ kind: "product", reason: "bad_price", price: "x", currency: "ARS", ambiguous: false }), "El precio x no es válido en ARS.");
  assert.equal(I18N.error({ kind: "nonsense", message: "boom" }), "Error: boom");
});

test("the change is vuelto in the Southern Cone and Peru, cambio in Mexico and Colombia, troco in Brazil", () => {
  for (const [site, word] of [["MLA", "Vuelto"], ["MLU", "Vuelto"], ["MLC", "Vuelto"], ["MPE", "Vuelto"], ["MLM", "Cambio"], ["MCO", "Cambio"]]) {
    I18N.pick("es", site);
    assert.equal(I18N.t("cash.change"), word, site);
    assert.equal(I18N.t("pay.change", { change: "$ 10" }), `${word}: $ 10`, site);
  }
  I18N.pick("pt", "MLB");
  assert.equal(I18N.t("cash.change"), "Troco");
  I18N.pick("en", "MLM");
  assert.equal(I18N.t("cash.change"), "Change", "only the Spanish of the country");
  for (const words of Object.values(SITE_ES)) {
    for (const key of Object.keys(words)) assert.ok(key in DICTIONARIES.es, key);
  }
});
