// A sale's steps as the journal words them (English, for support) read back into kinds with
// their values, so the page can say them in the cashier's language. Pure, for `node --test`.

const AMOUNT = "(?<amount>[0-9.]+ [A-Z]{3})";

/** The journal's phrases: a step's detail is one or more of them, joined by "; ". */
const PHRASES = [
  [/^charge$/, "step.charge"],
  [/^order on the POS$/, "step.on_pos"],
  [/^order found on the POS$/, "step.found_on_pos"],
  [/^cancel asked$/, "step.cancel_asked"],
  [/^order lifetime over$/, "step.lifetime_over"],
  [/^never sent, and older than an order's lifetime$/, "step.never_sent"],
  [/^order withdrawn$/, "step.withdrawn"],
  [/^order expired$/, "step.expired"],
  [/^order withdrawn, no payment found$/, "step.withdrawn_unpaid"],
  [/^order expired, no payment found$/, "step.expired_unpaid"],
  [new RegExp(`^${AMOUNT} collected of (?<total>[0-9.]+ [A-Z]{3}), to give back$`), "step.to_give_back"],
  [/^a payment is still being processed by Mercado Pago$/, "step.in_process"],
  [/^the pending payment was not approved$/, "step.pending_refused"],
  [/^the pending payment was approved$/, "step.pending_approved"],
  [/^the payment arrived before the order was withdrawn$/, "step.paid_first"],
  [new RegExp(`^paid ${AMOUNT}: (?<over>[0-9.]+) more than the total$`), "step.paid_over"],
  [new RegExp(`^paid ${AMOUNT}$`), "step.paid"],
  [/^paid late, after it was (?<state>[a-z]+)$/, "step.paid_late"],
  [new RegExp(`^Mercado Pago holds ${AMOUNT} for this sale \\(was (?<before>[0-9.]+)\\)$`), "step.holds"],
  [new RegExp(`^refunded ${AMOUNT} of payment (?<payment>\\S+)$`), "step.refunded"],
  [new RegExp(`^seen by the cashier \\(${AMOUNT} collected\\)$`), "step.seen"],
  [/^the demo restarted: this demo sale was left unfinished$/, "step.demo_restarted"],
  [/^another sale took this register's POS while this one was open \(before this version\)$/, "step.pos_taken"],
  [/^Mercado Pago refused the request: (?<code>\S+) \((?<status>\d+)\)$/, "step.refused"],
  [/^Mercado Pago refused the access token \((?<code>[^)]*)\)$/, "step.token_refused"],
  [new RegExp(`^paid in cash: (?<received>[0-9.]+ [A-Z]{3}) received, (?<change>[0-9.]+ [A-Z]{3}) change$`), "step.paid_in_cash"],
  [/^finishes sale (?<id>\d+)$/, "step.finishes"],
  [/^finished in cash by sale (?<id>\d+)$/, "step.finished_in_cash"],
];

/** A detail's parts: `{ key, params }` for each phrase known, `{ text }` for any other. */
export function stepParts(detail) {
  return String(detail)
    .split("; ")
    .map((part) => {
      for (const [pattern, key] of PHRASES) {
        const m = pattern.exec(part);
        if (m) return { key, params: { ...(m.groups || {}) } };
      }
      return { text: part };
    });
}
