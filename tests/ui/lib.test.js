// The page's pure pieces, with node's own test runner (`node --test tests/ui/`).
import { test } from "node:test";
import assert from "node:assert/strict";

import { Burst, readScan, SCAN_GAP_MS } from "../../ui/lib/scanner.js";
import { isOpen, lookOf, buttonsOf, markOf } from "../../ui/lib/screen.js";
import { pluralKey } from "../../ui/lib/plural.js";
import { amountTyping } from "../../ui/lib/amount.js";
import { hourBars } from "../../ui/lib/chart.js";

function feed(burst, text, gap, target = "field", start = 1000) {
  let time = start;
  let out = null;
  for (const key of [...text, "Enter"]) {
    out = burst.key(key, time, target);
    time += gap;
  }
  return out;
}

test("a scanner's burst is a code", () => {
  assert.equal(feed(new Burst(), "7790580000023", 5), "7790580000023");
  assert.equal(feed(new Burst(), "SKU-0042-A", SCAN_GAP_MS - 1), "SKU-0042-A");
});

test("a person's typing is not a scan", () => {
  assert.equal(feed(new Burst(), "7790580000023", 80), null);
  assert.equal(feed(new Burst(), "7790580000023", SCAN_GAP_MS), null);
});

test("short codes, spaces and accents are not barcodes", () => {
  assert.equal(feed(new Burst(), "3000", 5), null);
  assert.equal(feed(new Burst(), "Café 250 g", 5), null);
  assert.equal(feed(new Burst(), "7790 5800", 5), null);
});

test("keys into two fields are two bursts", () => {
  const b = new Burst();
  for (const [i, key] of [..."Tinto"].entries()) b.key(key, 1000 + i, "title");
  let out = null;
  for (const [i, key] of [..."3000", "Enter"].entries()) out = b.key(key, 1005 + i, "price");
  assert.equal(out, null, "Tinto3000 is not a scan");
});

test("a slow Enter after a fast code is a person's", () => {
  const b = new Burst();
  [..."7790580000023"].forEach((key, i) => b.key(key, 1000 + i, "f"));
  assert.equal(b.key("Enter", 1012 + 500, "f"), null);
});

test("a burst starts over after its Enter", () => {
  const b = new Burst();
  assert.equal(feed(b, "7790580000023", 5, "f", 1000), "7790580000023");
  assert.equal(feed(b, "12", 5, "f", 1100), null);
  assert.equal(feed(b, "7790387000011", 5, "f", 1200), "7790387000011");
});

test("a quantity in front of a scan", () => {
  assert.deepEqual(readScan("3*7790387000011"), { quantity: 3, code: "7790387000011" });
  assert.deepEqual(readScan(" 12 * yerba "), { quantity: 12, code: "yerba" });
  assert.deepEqual(readScan("3*"), { quantity: 3, code: "" });
  assert.deepEqual(readScan("7790387000011"), { quantity: 1, code: "7790387000011" });
  assert.deepEqual(readScan("0*7790"), { quantity: 1, code: "0*7790" });
  assert.deepEqual(readScan("1000*7790"), { quantity: 1, code: "1000*7790" });
  assert.deepEqual(readScan("a*b"), { quantity: 1, code: "a*b" });
});

test("each state's look and buttons", () => {
  for (const s of ["creating", "waiting", "cancelling", "expiring"]) {
    assert.ok(isOpen(s));
    assert.deepEqual(buttonsOf(s), { cancel: true, check: true, chargeAgain: false, newSale: false });
  }
  assert.equal(lookOf("waiting", "payment_rejected"), "rejected");
  assert.equal(lookOf("waiting", "connection_trouble"), "trouble");
  assert.equal(lookOf("waiting", "token_refused"), "trouble");
  assert.equal(lookOf("creating", null), "waiting");
  assert.equal(lookOf("paid", "payment_rejected"), "paid");
  for (const s of ["cancelled", "expired", "failed", "pending"]) {
    assert.equal(lookOf(s, null), s);
    assert.ok(!isOpen(s));
    assert.deepEqual(buttonsOf(s), { cancel: false, check: false, chargeAgain: true, newSale: true });
  }
  assert.deepEqual(buttonsOf("paid"), { cancel: false, check: false, chargeAgain: false, newSale: true });
  assert.equal(markOf("paid"), "✓");
  assert.equal(markOf("cancelled"), "✕");
  assert.equal(markOf("expired"), "✕");
  assert.equal(markOf("waiting"), "");
});

test("plurals by each language's rule", () => {
  const has = (k) => k.endsWith(".one");
  assert.equal(pluralKey("es", "cart.items", 1, has), "cart.items.one");
  assert.equal(pluralKey("es", "cart.items", 2, has), "cart.items");
  assert.equal(pluralKey("es", "cart.items", 0, has), "cart.items");
  assert.equal(pluralKey("en", "cart.items", 1, has), "cart.items.one");
  assert.equal(pluralKey("pt", "cart.items", 1, has), "cart.items.one");
  assert.equal(pluralKey("pt", "cart.items", 3, has), "cart.items");
  assert.equal(pluralKey("es", "cart.items", 1, () => false), "cart.items", "no form: the key");
});

test("amounts as they are typed", () => {
  for (const t of ["1234", "1.234,50", "1234.5", "$ 12", "R$ 12,90", "S/ 5", "12,", "-5"]) {
    assert.equal(amountTyping(t), "typing", t);
  }
  assert.equal(amountTyping(""), "empty");
  assert.equal(amountTyping("   "), "empty");
  for (const t of ["abc", "12a", "1e3", "ten", "12 34", "5%", "NaN"]) {
    assert.equal(amountTyping(t), "bad", t);
  }
});

test("the day's chart: a bar per hour from the first sale to the last, scaled to the best hour", () => {
  const day = Array.from({ length: 24 }, (_, h) => [h, 0, "$ 0,00", "0.00"]);
  assert.deepEqual(hourBars(day, 640, 140), [], "no sale, no chart");
  day[9] = [9, 3, "$ 4.500,00", "4500.00"];
  day[11] = [11, 1, "$ 9.000,00", "9000.00"];
  day[18] = [18, 2, "$ 2.250,00", "2250.00"];
  const bars = hourBars(day, 640, 140, 16);
  assert.deepEqual(bars.map((b) => b.hour), [9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
  const by = Object.fromEntries(bars.map((b) => [b.hour, b]));
  assert.equal(by[11].h, 124, "the best hour fills the height above the labels");
  assert.equal(by[9].h, 62);
  assert.equal(by[10].h, 0);
  assert.equal(by[11].y + by[11].h, 124, "bars stand on one line");
  assert.ok(bars.every((b, i) => i === 0 || b.x > bars[i - 1].x), "left to right");
  assert.ok(bars.every((b) => b.x + b.w <= 640));
  // A lone hour late in the day: at least eight hours shown, within the day.
  const late = Array.from({ length: 24 }, (_, h) => [h, h === 22 ? 1 : 0, "", h === 22 ? "10" : "0"]);
  assert.deepEqual(hourBars(late, 640, 140).map((b) => b.hour), [16, 17, 18, 19, 20, 21, 22, 23]);
});
