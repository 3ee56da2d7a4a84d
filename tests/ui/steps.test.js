// A sale's steps, as the journal words them, read into kinds the page says in each language.
import { test } from "node:test";
import assert from "node:assert/strict";

import { stepParts } from "../../ui/lib/steps.js";
const { I18N } = await import("../../ui/i18n.js");

// Every detail the register, the journal and the refunds write (src-tauri/register/watch.rs,
// register/mod.rs, sale/journal.rs, records.rs, counter.rs), with sample values.
const DETAILS = [
  "charge",
  "order on the POS",
  "order found on the POS",
  "cancel asked",
  "order lifetime over",
  "never sent, and older than an order's lifetime",
  "order withdrawn, no payment found",
  "order expired, no payment found",
  "order withdrawn; 1750.00 ARS collected of 3500.00 ARS, to give back",
  "order expired; 1750 CLP collected of 3990 CLP, to give back",
  "order withdrawn; a payment is still being processed by Mercado Pago",
  "the pending payment was not approved",
  "the pending payment was approved; paid 3500.00 ARS",
  "the payment arrived before the order was withdrawn; paid 3500.00 ARS",
  "paid 7000.00 ARS: 3500.00 more than the total",
  "paid late, after it was cancelled; paid 3500.00 ARS",
  "Mercado Pago holds 7000.00 ARS for this sale (was 3500.00)",
  "refunded 1000.00 ARS of payment 20661351014",
  "seen by the cashier (3500.00 ARS collected)",
  "the demo restarted: this demo sale was left unfinished",
  "another sale took this register's POS while this one was open (before this version)",
  "Mercado Pago refused the request: invalid_items (400)",
  "Mercado Pago refused the access token (invalid_token)",
  "paid in cash: 5000.00 ARS received, 1296.20 ARS change",
  "paid in cash: 20000 CLP received, 7010 CLP change; finishes sale 12",
  "finished in cash by sale 13",
];

test("every step the journal writes is read into a kind", () => {
  for (const detail of DETAILS) {
    const parts = stepParts(detail);
    assert.ok(parts.every((p) => p.key), `${detail}: ${JSON.stringify(parts)}`);
  }
});

test("every kind is worded in every language, with no English left in Spanish or Portuguese", () => {
  for (const lang of ["es", "pt"]) {
    I18N.pick(lang, "MLA");
    for (const detail of DETAILS) {
      for (const p of stepParts(detail)) {
        assert.ok(I18N.has(p.key), `${lang} lacks ${p.key}`);
        const said = I18N.t(p.key, p.params);
        assert.doesNotMatch(said, /\b(paid|order|charge|withdrawn|collected|refunded|seen|the|cash|received|change|finished|finishes)\b/, `${lang}: ${said}`);
      }
    }
  }
});

test("values come through, and anything else stays as written", () => {
  assert.deepEqual(stepParts("paid 7000.00 ARS: 3500.00 more than the total"), [
    { key: "step.paid_over", params: { amount: "7000.00 ARS", over: "3500.00" } },
  ]);
  assert.deepEqual(stepParts("paid late, after it was expired; something new"), [
    { key: "step.paid_late", params: { state: "expired" } },
    { text: "something new" },
  ]);
});
