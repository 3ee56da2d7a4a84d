// The cashier page. Talks to Rust only through `invoke` and the event channel.
"use strict";

const { invoke, Channel } = window.__TAURI__.core;
const $ = (id) => document.getElementById(id);

async function start() {
  const info = await invoke("app_info");
  $("version").textContent = "v" + info.version;
  $("mode").textContent = info.mode === "demo" ? "Demo" : "";
  $("data-dir").textContent = info.dataDir;

  const channel = new Channel();
  channel.onmessage = onEvent;
  await invoke("subscribe", { onEvent: channel });
}

function onEvent(event) {
  if (event.type === "ready") {
    $("link").dataset.state = "ok";
    $("link").textContent = "Connected";
  }
}

start().catch((e) => {
  $("link").dataset.state = "error";
  $("link").textContent = String(e && e.message ? e.message : e);
});
