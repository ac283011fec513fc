// ShopQB embedded pages. Every request to the app carries a fresh session token
// from App Bridge (shopify.idToken()); no cookies are involved.
"use strict";

async function sessionToken() {
  for (let i = 0; i < 50 && !(window.shopify && window.shopify.idToken); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!(window.shopify && window.shopify.idToken)) throw new Error("App Bridge is not available");
  return window.shopify.idToken();
}

async function authedFetch(url, options = {}) {
  const token = await sessionToken();
  const headers = Object.assign({}, options.headers, { Authorization: `Bearer ${token}` });
  const response = await fetch(url, Object.assign({}, options, { headers }));
  if (response.status === 401 && response.headers.get("X-Shopify-Retry-Invalid-Session-Request") === "1") {
    // The token expired on the way: one retry with a new one.
    const retryHeaders = Object.assign({}, options.headers, { Authorization: `Bearer ${await sessionToken()}` });
    return fetch(url, Object.assign({}, options, { headers: retryHeaders }));
  }
  return response;
}

async function reloadWithFreshToken(extra = {}) {
  const url = new URL(window.location.href);
  url.searchParams.set("id_token", await sessionToken());
  for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, value);
  window.location.replace(url.toString());
}

function showError(message) {
  const box = document.querySelector("[data-testid=action-error]");
  if (box) {
    box.textContent = message;
    box.hidden = false;
  }
}

const actions = {
  async "qbo-connect"(button) {
    const response = await authedFetch(button.dataset.url, { method: "POST" });
    if (!response.ok) throw new Error(`ShopQB answered ${response.status}`);
    const { url } = await response.json();
    // Intuit's sign-in cannot run inside the admin's frame: open it top-level.
    window.open(url, "_top");
  },
  async "qbo-disconnect"(button) {
    const response = await authedFetch(button.dataset.url, { method: "POST" });
    if (!response.ok) throw new Error(`ShopQB answered ${response.status}`);
    await reloadWithFreshToken();
  },
  async "post-reload"(button) {
    // A POST to the app (sync now, retry), then the page again with what changed.
    const response = await authedFetch(button.dataset.url, { method: "POST" });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.error || `ShopQB answered ${response.status}`);
    }
    await reloadWithFreshToken();
  },
  async download(button) {
    const response = await authedFetch(button.dataset.url);
    if (!response.ok) throw new Error(`ShopQB answered ${response.status}`);
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = button.dataset.filename || "export.json";
    link.click();
  },
};

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-action]");
  if (!button || !(button.dataset.action in actions)) return;
  event.preventDefault();
  button.disabled = true;
  actions[button.dataset.action](button)
    .catch((error) => showError(error.message))
    .finally(() => {
      button.disabled = false;
    });
});

document.addEventListener("DOMContentLoaded", () => {
  if (document.querySelector("[data-action=bounce]")) {
    // Session-token bounce: fetch a token and load the same URL with it.
    reloadWithFreshToken({ shopqb_bounce: String(Date.now()) }).catch((error) => showError(error.message));
  }
  const exit = document.querySelector("[data-action=exit-iframe]");
  if (exit) window.open(exit.dataset.target, "_top");
});
