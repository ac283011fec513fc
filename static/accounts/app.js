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
    // A POST to the app (sync now, retry), then the page it names ("next") or this page
    // again, with what changed.
    const response = await authedFetch(button.dataset.url, { method: "POST" });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const missing = Array.isArray(body.missing) ? ` ${body.missing.join(" ")}` : "";
      throw new Error((body.error || `ShopQB answered ${response.status}`) + missing);
    }
    if (body.next) return openInApp(body.next);
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

async function openInApp(path) {
  // A page of the app: loaded with a fresh session token, never without one.
  const url = new URL(path, window.location.href);
  url.searchParams.set("id_token", await sessionToken());
  window.location.assign(url.toString());
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-nav]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  openInApp(link.getAttribute("href")).catch((error) => showError(error.message));
});

// Server-rendered forms, sent as fetches with the session token. The answer is either
// {"next": url} (saved: go there) or the same page again with the errors and what was
// entered (status 422), which replaces the page's content.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-embedded-form]");
  if (!form) return;
  event.preventDefault();
  const submitter = event.submitter;
  const body = new FormData(form);
  if (submitter && submitter.name) body.append(submitter.name, submitter.value);
  if (submitter) submitter.disabled = true;
  (async () => {
    const method = (form.getAttribute("method") || "GET").toUpperCase();
    if (method === "GET") {
      const url = new URL(form.getAttribute("action") || window.location.pathname, window.location.href);
      for (const [key, value] of body.entries()) if (value !== "") url.searchParams.set(key, value);
      return openInApp(url.pathname + url.search);
    }
    const response = await authedFetch(form.getAttribute("action") || window.location.pathname, { method, body });
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("application/json")) {
      const answer = await response.json();
      if (!response.ok) throw new Error(answer.error || `ShopQB answered ${response.status}`);
      return openInApp(answer.next || window.location.pathname);
    }
    if (response.status === 422 || response.ok) {
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      document.querySelector("main").replaceWith(page.querySelector("main"));
      const errors = document.getElementById("form-errors");
      if (errors) errors.focus();
      return undefined;
    }
    throw new Error(`ShopQB answered ${response.status}`);
  })()
    .catch((error) => showError(error.message))
    .finally(() => {
      if (submitter) submitter.disabled = false;
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
