// Amount fields as the cashier types: what can be told before Rust reads the amount (Rust
// parses every amount; the page never does arithmetic on money). Pure, for `node --test`.

/** `empty`; `typing` (digits, `.` or `,` marks, a leading currency sign: Rust will say if it
 * is an amount); or `bad` (letters or other signs, said at once). */
export function amountTyping(text) {
  const t = text.trim();
  if (!t) return "empty";
  return /^-?\s*(R\$|S\/|\$)?\s*[0-9][0-9.,]*$/.test(t) || /^(R\$|S\/|\$)$/.test(t) ? "typing" : "bad";
}
