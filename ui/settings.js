// Settings: the account (token in the keyring), the register's store and POS, the counter
// sign, webhooks and the options.
import { ownerInvoke } from "./owner.js";
import { $, t, I18N, invoke, state, say, noticeText, printOut } from "./page.js";
import { focusScan } from "./cart.js";

const settingsDialog = {
  stores: [],
  pos: [],
  async open() {
    // "loading" until the account is known: the panels shown depend on it, so the buttons
    // below them may still move.
    $("settings").dataset.state = "loading";
    $("settings").showModal();
    for (const id of ["account-message", "setup-message", "qr-message", "options-message"]) say(id, "");
    try {
      await this.refresh();
    } finally {
      $("settings").dataset.state = "ready";
    }
  },
  async refresh() {
    // A sign shown earlier may belong to the other mode's register.
    for (const id of ["sign-preview", "sign-print", "sign-save"]) $(id).hidden = true;
    $("sign-preview").removeAttribute("src");
    delete $("sign-preview").dataset.loaded;
    const status = await invoke("account_status");
    const a = status.account;
    $("account-status").textContent = a
      ? t("settings.account_line", { nickname: a.nickname || a.userId, site: a.siteId, currency: "", kind: t(status.testToken ? "settings.kind_test" : "settings.kind_prod") }).replace(" ·  · ", " · ")
      : status.keyringError ? noticeText(status.keyringError) : t("settings.no_account");
    $("account-address").textContent = a ? t("settings.address_in_use", { address: status.apiAddress }) : "";
    $("setup-panel").hidden = !a;
    $("switch-live").disabled = !a || !status.posExternalId;
    $("switch-demo").hidden = status.mode !== "live";
    $("api-status").textContent = t("settings.api_in_use", { api: t(`api.${status.api}`), choice: t(`settings.api_${status.apiChoice}`) });
    $("webhook-url").textContent = status.webhookUrl || t("settings.webhook_no_url");
    const heard = status.lastNotification;
    $("webhook-status").textContent = [
      t(status.webhookSecretSaved ? "settings.webhook_secret_saved" : "settings.webhook_secret_none"),
      heard && heard.count ? t("settings.webhook_last", { n: heard.count, signature: heard.signature ? t(`signature.${heard.signature}`) : "–" }) : t("settings.webhook_none"),
    ].join(" · ");
    const s = await invoke("get_settings");
    $("api-choice").value = s.api;
    $("public-url").value = s.notifications.publicUrl || "";
    $("api-url").value = s.apiBaseUrl;
    $("ttl").value = s.orderTtlSecs;
    $("ipn-on").checked = s.notifications.enabled;
    $("ipn-bind").value = s.notifications.bind;
    this.fillCounter(s);
    if (a) await this.loadStores();
  },
  /** The store's details on the tickets, the printer, the cash rounding and the scale. */
  fillCounter(s) {
    state.settings = s;
    $("tax-id-label").textContent = state.info.taxIdLabel;
    $("store-legal-name").value = s.store.legalName;
    $("store-tax-id").value = s.store.taxId;
    $("store-address").value = s.store.address;
    $("printer-kind").value = s.printer.kind;
    $("printer-address").value = s.printer.address;
    $("printer-device").value = s.printer.device;
    $("printer-paper").value = String(s.printer.paperMm);
    $("printer-auto").checked = s.printer.autoPrint;
    $("printer-drawer").checked = s.printer.openDrawer;
    $("cash-rounding-step").value = s.cashRounding || "";
    $("scale-on").checked = s.scale.enabled;
    $("scale-from").value = s.scale.prefixFrom;
    $("scale-to").value = s.scale.prefixTo;
    $("scale-code").value = String(s.scale.codeDigits);
    $("scale-value").value = s.scale.value;
    this.showPrinterFields();
  },
  showPrinterFields() {
    const kind = $("printer-kind").value;
    $("printer-address-row").hidden = kind !== "network";
    $("printer-device-row").hidden = kind !== "usb";
    $("printer-test").hidden = kind === "dialog";
  },
  printerSettings() {
    return {
      kind: $("printer-kind").value,
      address: $("printer-address").value.trim(),
      device: $("printer-device").value.trim(),
      paperMm: Number($("printer-paper").value),
      autoPrint: $("printer-auto").checked,
      openDrawer: $("printer-drawer").checked,
    };
  },
  async saveCounter(e) {
    e.preventDefault();
    const change = {
      store: { legalName: $("store-legal-name").value, taxId: $("store-tax-id").value, address: $("store-address").value },
      printer: this.printerSettings(),
      cashRounding: $("cash-rounding-step").value,
      scale: {
        enabled: $("scale-on").checked,
        prefixFrom: Number($("scale-from").value),
        prefixTo: Number($("scale-to").value),
        codeDigits: Number($("scale-code").value),
        value: $("scale-value").value,
      },
    };
    try {
      this.fillCounter(await ownerInvoke("save_counter_settings", { change }));
      say("counter-message", t("settings.counter_saved"));
    } catch (err) {
      say("counter-message", err && err.kind === "settings" && err.field ? t(`settings.bad.${err.field}`) : I18N.error(err), true);
    }
  },
  async testPrint() {
    try {
      await invoke("test_print", { printer: this.printerSettings() });
      say("counter-message", t("printer.test_done"));
    } catch (err) {
      say("counter-message", t("printer.failed", { message: I18N.error(err) }), true);
    }
  },
  async loadStores() {
    try {
      this.stores = await invoke("list_stores");
    } catch (e) {
      return say("setup-message", I18N.error(e), true);
    }
    fillSelect($("store-select"), this.stores.map((s) => [s.id, s.name]));
    await this.loadPos();
  },
  async loadPos() {
    const storeId = Number($("store-select").value) || null;
    try {
      this.pos = storeId ? await invoke("list_pos", { storeId }) : [];
    } catch (e) {
      return say("setup-message", I18N.error(e), true);
    }
    fillSelect($("pos-select"), this.pos.map((p) => [p.externalId, `${p.name} (${p.externalId})`]));
  },
  async saveToken(e) {
    e.preventDefault();
    const token = $("token").value;
    $("token").value = ""; // the page keeps no copy
    try {
      await ownerInvoke("save_token", { token });
      await this.refresh();
      say("account-message", t("settings.saved_token"));
    } catch (err) {
      say("account-message", I18N.error(err), true);
    }
  },
  async forget() {
    try {
      await ownerInvoke("forget_token");
      if (state.info.mode === "live") return location.reload();
      await this.refresh();
      say("account-message", t("settings.forgotten"));
    } catch (err) {
      say("account-message", I18N.error(err), true);
    }
  },
  async createStore(e) {
    e.preventDefault();
    const store = { name: $("store-name").value, streetName: $("store-street").value, streetNumber: $("store-number").value, city: $("store-city").value, state: $("store-state").value };
    try {
      const s = await ownerInvoke("create_store", { store });
      await this.loadStores();
      $("store-select").value = String(s.id);
      await this.loadPos();
      say("setup-message", t("settings.created", { name: s.name }));
    } catch (err) {
      say("setup-message", I18N.error(err), true);
    }
  },
  async createPos(e) {
    e.preventDefault();
    try {
      const p = await ownerInvoke("create_pos", { storeId: Number($("store-select").value), name: $("pos-name").value, externalId: $("pos-code").value });
      await this.loadPos();
      $("pos-select").value = p.externalId;
      say("setup-message", t("settings.created", { name: p.name }));
    } catch (err) {
      say("setup-message", I18N.error(err), true);
    }
  },
  async choose() {
    const pos = this.pos.find((p) => p.externalId === $("pos-select").value);
    const store = this.stores.find((s) => String(s.id) === $("store-select").value);
    if (!pos) return;
    try {
      await ownerInvoke("choose_pos", { pos, storeName: store ? store.name : "" });
      await this.refresh();
      say("setup-message", t("settings.chosen", { name: pos.name }));
    } catch (err) {
      say("setup-message", I18N.error(err), true);
    }
  },
  async switchTo(mode) {
    try {
      await ownerInvoke("switch_mode", { mode });
      location.reload();
    } catch (err) {
      say("setup-message", I18N.error(err), true);
    }
  },
  async saveOptions(e, confirmAddress) {
    if (e) e.preventDefault();
    $("address-confirm").hidden = true;
    const change = {
      confirmAddress: !!confirmAddress,
      apiBaseUrl: $("api-url").value,
      orderTtlSecs: Number($("ttl").value),
      notificationsEnabled: $("ipn-on").checked,
      notificationsBind: $("ipn-bind").value,
      language: I18N.lang,
      api: $("api-choice").value,
      notificationsPublicUrl: $("public-url").value,
    };
    try {
      await ownerInvoke("save_settings", { change });
      say("options-message", t("settings.options_saved"));
      await this.refresh();
    } catch (err) {
      if (err && err.kind === "confirm_address") {
        // The account's token would go to a new address: the store owner says yes first.
        say("options-message", "");
        $("address-question").textContent = t("settings.address_question", { to: err.to });
        $("address-confirm").hidden = false;
        $("address-no").focus();
        return;
      }
      say("options-message", I18N.error(err), true);
    }
  },
};

function fillSelect(select, options) {
  select.replaceChildren(...options.map(([value, label]) => {
    const o = document.createElement("option");
    o.value = String(value);
    o.textContent = label;
    return o;
  }));
}

async function saveFile(command) {
  try {
    say("qr-message", t("history.exported", { path: await invoke(command) }));
  } catch (err) {
    say("qr-message", I18N.error(err), true);
  }
}
export function wireSettings() {
  $("open-settings").addEventListener("click", () => settingsDialog.open());
  $("settings-close").addEventListener("click", () => { $("settings").close(); focusScan(); });
  $("token-form").addEventListener("submit", (e) => settingsDialog.saveToken(e));
  $("token-forget").addEventListener("click", () => settingsDialog.forget());
  $("store-select").addEventListener("change", () => settingsDialog.loadPos());
  $("store-form").addEventListener("submit", (e) => settingsDialog.createStore(e));
  $("pos-form").addEventListener("submit", (e) => settingsDialog.createPos(e));
  $("pos-choose").addEventListener("click", () => settingsDialog.choose());
  $("switch-live").addEventListener("click", () => settingsDialog.switchTo("live"));
  $("switch-demo").addEventListener("click", () => settingsDialog.switchTo("demo"));
  $("options-form").addEventListener("submit", (e) => settingsDialog.saveOptions(e));
  $("counter-form").addEventListener("submit", (e) => settingsDialog.saveCounter(e));
  $("printer-kind").addEventListener("change", () => settingsDialog.showPrinterFields());
  $("printer-test").addEventListener("click", () => settingsDialog.testPrint());
  $("address-yes").addEventListener("click", () => settingsDialog.saveOptions(null, true));
  $("address-no").addEventListener("click", () => { $("address-confirm").hidden = true; });
  $("webhook-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const secret = $("webhook-secret").value;
    $("webhook-secret").value = ""; // the page keeps no copy
    try {
      await ownerInvoke("save_webhook_secret", { secret });
      say("webhook-message", t("settings.webhook_secret_kept"));
      await settingsDialog.refresh();
    } catch (err) {
      say("webhook-message", I18N.error(err), true);
    }
  });
  $("qr-save").addEventListener("click", () => saveFile("save_register_qr"));
  $("sign-save").addEventListener("click", () => saveFile("save_counter_sign"));
  $("mp-sign-save").addEventListener("click", () => saveFile("save_mercado_pago_sign"));
  $("sign-open").addEventListener("click", async () => {
    try {
      const sign = await invoke("counter_sign");
      $("sign-preview").src = sign;
      $("sign-sheet-image").src = sign;
      for (const id of ["sign-preview", "sign-print", "sign-save"]) $(id).hidden = false;
      say("qr-message", "");
    } catch (err) {
      say("qr-message", I18N.error(err), true);
    }
  });
  $("sign-print").addEventListener("click", () => printOut("sign"));
  $("sign-preview").addEventListener("load", (e) => {
    e.target.dataset.loaded = `${e.target.naturalWidth}x${e.target.naturalHeight}`;
  });
}
