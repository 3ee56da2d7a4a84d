// What the pay panel shows for a sale, from its state: pure, so `node --test` checks it.

/** States in which a sale can still be paid: the register is busy with it. */
export const OPEN = ["creating", "waiting", "cancelling", "expiring"];

export function isOpen(state) {
  return OPEN.includes(state);
}

/** The pay panel's look (`data-state`) for a sale in `state` whose last progress was `kind`. */
export function lookOf(state, kind) {
  if (state === "paid") return "paid";
  if (["cancelled", "expired", "failed", "pending"].includes(state)) return state;
  if (kind === "connection_trouble" || kind === "token_refused") return "trouble";
  if (kind === "payment_rejected") return "rejected";
  return "waiting";
}

/** The pay panel's buttons for a sale in `state`. A sale that ended unpaid can be charged
 * again with the same cart, or left for a new sale with an empty one. */
export function buttonsOf(state) {
  const open = isOpen(state);
  return {
    cancel: open,
    check: open,
    chargeAgain: ["cancelled", "expired", "failed", "pending"].includes(state),
    newSale: !open,
  };
}

/** The end-state mark drawn on the panel: a check for paid, a cross for a sale that ended
 * unpaid, nothing while it waits. */
export function markOf(look) {
  if (look === "paid") return "✓";
  if (["cancelled", "expired", "failed"].includes(look)) return "✕";
  if (look === "rejected") return "!";
  return "";
}
