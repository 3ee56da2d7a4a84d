// The owner's actions (refunds, the token, the API address, the register's set-up) ask for the
// owner PIN when Rust says owner mode is closed; the first time, the owner chooses one. Rust
// enforces it: this only asks and tries again.
import { $, t, I18N, invoke } from "./page.js";

/** `invoke`, for an owner's command: asks the PIN once if needed, then tries again. */
export async function ownerInvoke(cmd, args) {
  try {
    return await invoke(cmd, args);
  } catch (e) {
    if (!e || e.kind !== "owner" || !["needed", "unset"].includes(e.reason)) throw e;
    if (!(await askPin(e.reason === "unset"))) throw e;
    return invoke(cmd, args);
  }
}

let answer = null;

function askPin(first) {
  return new Promise((resolve) => {
    answer = resolve;
    $("owner-title").textContent = t(first ? "owner.choose" : "owner.enter");
    $("owner-pin").value = "";
    $("owner-pin-again").value = "";
    $("owner-again-row").hidden = !first;
    $("owner-form").dataset.first = first ? "1" : "";
    $("owner-message").textContent = "";
    $("owner").showModal();
    $("owner-pin").focus();
  });
}

function close(ok) {
  $("owner").close();
  if (answer) answer(ok);
  answer = null;
}

async function submit(e) {
  e.preventDefault();
  const pin = $("owner-pin").value;
  const first = !!$("owner-form").dataset.first;
  if (first && pin !== $("owner-pin-again").value) {
    $("owner-message").textContent = t("owner.mismatch");
    $("owner-pin").value = "";
    $("owner-pin-again").value = "";
    $("owner-pin").focus();
    return;
  }
  try {
    await invoke(first ? "set_owner_pin" : "owner_unlock", { pin });
    close(true);
  } catch (err) {
    $("owner-pin").value = "";
    // A lockout's end in the PC's own time.
    const said = err && err.reason === "locked" ? { ...err, until: new Date(err.until).toLocaleTimeString() } : err;
    $("owner-message").textContent = I18N.error(said);
    $("owner-pin").focus();
  }
}

export function wireOwner() {
  $("owner-form").addEventListener("submit", submit);
  $("owner-cancel").addEventListener("click", () => close(false));
  $("owner").addEventListener("cancel", () => close(false));
  $("owner-lock").addEventListener("click", async () => {
    await invoke("owner_lock");
    $("owner-lock").dataset.done = "1";
  });
}
