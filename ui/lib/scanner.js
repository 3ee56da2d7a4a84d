// Barcode scanners type a code fast into one field and end it with Enter: telling that from a
// person's typing, and reading a `3*` quantity in front of a code. Pure, for `node --test`.

/** The longest gap between a scanner's keys, in ms (a person's keys come 80 ms or more apart). */
export const SCAN_GAP_MS = 50;

/** Barcodes (EAN-8/13, UPC, Code 128 SKUs): 8 or more letters, digits or dashes. */
const CODE = /^[A-Za-z0-9-]{8,}$/;

export class Burst {
  constructor() {
    this.text = "";
    this.last = -Infinity;
    this.target = null;
  }

  /** Feeds one key (`key`, its own time in ms, the element it went to). Returns the code
   * when this Enter ends a scanner's burst, else null. */
  key(key, time, target) {
    const close = target === this.target && time - this.last < SCAN_GAP_MS;
    if (key === "Enter") {
      const code = this.text;
      this.text = "";
      this.target = null;
      return close && CODE.test(code) ? code : null;
    }
    if (key.length === 1) {
      // Keys that went to another field (the cashier moved on from the description to the
      // price) start a new burst.
      this.text = close ? this.text + key : key;
      this.last = time;
      this.target = target;
    }
    return null;
  }
}

/** What the scan field holds: `3*7790…` is three of the product, `3*` alone three of the next
 * scan. Quantities from 1 to 999; anything else is a code or a search. */
export function readScan(text) {
  const t = text.trim();
  const m = /^(\d{1,3})\s*\*\s*(.*)$/.exec(t);
  if (!m || Number(m[1]) < 1) return { quantity: 1, code: t };
  return { quantity: Number(m[1]), code: m[2].trim() };
}
