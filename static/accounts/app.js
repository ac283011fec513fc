// ShopQB embedded pages. Every request to the app carries a fresh session token
// from App Bridge (shopify.idToken()); no cookies are involved. Feedback goes through
// App Bridge too: the admin's loading bar while an action runs, a toast when it ends,
// and its modal before anything destructive.
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

// The inline box stays: it is next to the button, and read out (role=alert) by screen
// readers that never reach the admin's toast.
function showError(message) {
  const box = document.querySelector("[data-testid=action-error]");
  if (box) {
    box.setAttribute("role", "alert");
    box.textContent = message;
    box.hidden = false;
  }
  toast(message, true);
}

function clearError() {
  const box = document.querySelector("[data-testid=action-error]");
  if (box) {
    box.hidden = true;
    box.textContent = "";
  }
}

function toast(message, isError = false) {
  // Reference: https://shopify.dev/docs/api/app-bridge-library/apis/toast
  const bridge = window.shopify;
  if (message && bridge && bridge.toast) bridge.toast.show(message, { isError });
}

let running = 0;

function loading(on) {
  // Reference: https://shopify.dev/docs/api/app-bridge-library/apis/loading
  // Two actions may overlap: the bar stays until the last one ends.
  running = Math.max(0, running + (on ? 1 : -1));
  const bridge = window.shopify;
  if (bridge && typeof bridge.loading === "function") bridge.loading(running > 0);
}

// An action from start to end: the loading bar while it runs, then a toast with what it
// returned (a success message, or nothing when the page is being left) or with its error.
async function track(work) {
  clearError();
  loading(true);
  try {
    toast(await work());
  } catch (error) {
    showError(error.message);
  } finally {
    loading(false);
  }
}

function labelOf(element) {
  return (element.textContent || element.value || "").trim().replace(/\s+/g, " ");
}

// Destructive actions ask first, in App Bridge's modal (templates/accounts/base.html): a
// button or submit button with data-confirm="what happens then" (and optionally
// data-confirm-title, data-confirm-action: the critical button's label, else the
// button's own). Escape or the close button is a "no". The modal's buttons are the
// page's own: App Bridge sends their clicks back here.
// Reference: https://shopify.dev/docs/api/app-bridge-library/web-components/ui-modal
function confirmed(trigger) {
  const text = trigger && trigger.dataset.confirm;
  if (!text) return Promise.resolve(true);
  const modal = document.getElementById("shopqb-confirm");
  const bridge = window.shopify;
  if (!modal || !(bridge && bridge.modal)) return Promise.resolve(window.confirm(text));
  const action = trigger.dataset.confirmAction || labelOf(trigger);
  modal.querySelector("ui-title-bar").setAttribute("title", trigger.dataset.confirmTitle || `${action}?`);
  modal.querySelector("[data-confirm-text]").textContent = text;
  const accept = modal.querySelector("[data-confirm-accept]");
  const cancel = modal.querySelector("[data-confirm-cancel]");
  accept.textContent = action;
  return new Promise((resolve) => {
    const done = (answer) => {
      accept.removeEventListener("click", yes);
      cancel.removeEventListener("click", no);
      modal.removeEventListener("hide", no);
      bridge.modal.hide("shopqb-confirm");
      resolve(answer);
    };
    const yes = () => done(true);
    const no = () => done(false);
    accept.addEventListener("click", yes);
    cancel.addEventListener("click", no);
    modal.addEventListener("hide", no);
    bridge.modal.show("shopqb-confirm");
  });
}

function answerError(response, body = {}) {
  const error = body.error || `ShopQB answered ${response.status}`;
  // What is missing, unless the error says it already.
  const missing = (Array.isArray(body.missing) ? body.missing : []).filter((item) => !error.includes(item));
  return new Error([error, ...missing].join(" "));
}

const actions = {
  async "qbo-connect"(button) {
    const response = await authedFetch(button.dataset.url, { method: "POST" });
    if (!response.ok) throw answerError(response);
    const { url } = await response.json();
    // Intuit's sign-in cannot run inside the admin's frame: open it top-level.
    window.open(url, "_top");
    return null;
  },
  async "qbo-disconnect"(button) {
    const response = await authedFetch(button.dataset.url, { method: "POST" });
    if (!response.ok) throw answerError(response);
    await reloadWithFreshToken();
    return button.dataset.done || "QuickBooks disconnected.";
  },
  async "post-reload"(button) {
    // A POST to the app (sync now, retry), then the page it names ("next") or this page
    // again, with what changed.
    const response = await authedFetch(button.dataset.url, { method: "POST" });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw answerError(response, body);
    if (body.next) await openInApp(body.next);
    else await reloadWithFreshToken();
    return body.message || button.dataset.done || "Done.";
  },
  async download(button) {
    const response = await authedFetch(button.dataset.url);
    if (!response.ok) throw answerError(response);
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = button.dataset.filename || "export.json";
    link.click();
    return `Downloaded ${link.download}.`;
  },
};

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-action]");
  if (!button || !(button.dataset.action in actions)) return;
  event.preventDefault();
  if (button.disabled) return;
  confirmed(button).then((yes) => {
    if (!yes) return button.focus(); // back where the merchant was, nothing done
    button.disabled = true;
    return track(() => actions[button.dataset.action](button)).finally(() => {
      button.disabled = false;
    });
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
  loading(true);
  openInApp(link.getAttribute("href")).catch((error) => {
    loading(false);
    showError(error.message);
  });
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
  const done = (submitter && submitter.dataset.done) || form.dataset.done;
  confirmed(submitter).then((yes) => {
    if (!yes) return submitter.focus();
    if (submitter) submitter.disabled = true;
    return track(() => sendForm(form, body, done)).finally(() => {
      if (submitter) submitter.disabled = false;
    });
  });
});

async function sendForm(form, body, done) {
  const method = (form.getAttribute("method") || "GET").toUpperCase();
  if (method === "GET") {
    const url = new URL(form.getAttribute("action") || window.location.pathname, window.location.href);
    for (const [key, value] of body.entries()) if (value !== "") url.searchParams.set(key, value);
    await openInApp(url.pathname + url.search);
    return null;
  }
  const response = await authedFetch(form.getAttribute("action") || window.location.pathname, { method, body });
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("application/json")) {
    const answer = await response.json();
    if (!response.ok) throw answerError(response, answer);
    await openInApp(answer.next || window.location.pathname);
    return answer.message || done || "Saved.";
  }
  if (response.status === 422 || response.ok) {
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    document.querySelector("main").replaceWith(page.querySelector("main"));
    // The title bar belongs to the page shown: App Bridge redraws it when it changes.
    const bar = document.querySelector("body > ui-title-bar");
    const newBar = page.querySelector("body > ui-title-bar");
    if (bar && newBar) bar.replaceWith(newBar);
    const errors = document.getElementById("form-errors");
    if (errors) errors.focus();
    if (response.status === 422) {
      toast("Nothing was saved: please fix what the page lists.", true);
      return null;
    }
    return done || "Done.";
  }
  throw answerError(response);
}

document.addEventListener("DOMContentLoaded", () => {
  if (document.querySelector("[data-action=bounce]")) {
    // Session-token bounce: fetch a token and load the same URL with it.
    reloadWithFreshToken({ shopqb_bounce: String(Date.now()) }).catch((error) => showError(error.message));
  }
  const exit = document.querySelector("[data-action=exit-iframe]");
  if (exit) window.open(exit.dataset.target, "_top");
});

// --- overview: "Sync now" and a running pass's live progress -------------------------------
// The pass runs in a worker: the page asks how it goes every 2 s (sync/status) and writes it
// into a polite live region, then loads itself again once the pass has ended, so what it shows
// afterwards is the pass's result, never the figures from before it.
const SYNC_POLL_MS = 2000;
// A pass queued but not started after this long waits for a busy worker: stop asking.
const SYNC_WAIT_LIMIT_MS = 10 * 60 * 1000;
let syncWatch = null;

function syncProgressBox() {
  return document.querySelector("[data-sync-progress]");
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function syncProgressShow(box, run) {
  box.replaceChildren();
  const line = document.createElement("p");
  line.dataset.testid = "sync-running";
  if (!run) {
    line.textContent = "Sync pass queued: waiting for it to start.";
    box.append(line);
    return;
  }
  const counts = `${plural(run.orders_seen, "order")} checked, ${run.documents_written} written to QuickBooks, ${run.failed} failed.`;
  if (run.history_import) {
    // Until Shopify has listed the orders (orders_total), a bar without a value; the time left
    // comes from the server once the rate so far says something (syncing/dashboard.py).
    const total = run.orders_total;
    const done = total ? `${run.orders_seen.toLocaleString()} of ${plural(total, "order")}` : `${plural(run.orders_seen, "order")} so far`;
    line.textContent = `Importing your order history (started ${run.started_display}): ${done}, ${run.documents_written} written to QuickBooks, ${run.failed} failed.`;
    const bar = document.createElement("progress");
    bar.setAttribute("aria-label", "Order history import");
    if (total) {
      bar.max = total;
      bar.value = Math.min(run.orders_seen, total);
    }
    box.append(line, bar);
    if (run.time_left) {
      const left = document.createElement("p");
      left.dataset.testid = "import-time-left";
      left.textContent = run.time_left.charAt(0).toUpperCase() + run.time_left.slice(1) + ".";
      box.append(left);
    }
    return;
  }
  line.textContent = `A sync pass is running (started ${run.started_display}): ${counts}`;
  box.append(line);
}

// Follow the shop's passes until one newer than `after` (the last pass before Sync now) has
// ended, or until the running one ends when `after` is null.
function syncWatchStart(after) {
  const box = syncProgressBox();
  if (!box || syncWatch) return;
  const since = Date.now();
  let seenRunning = false;
  const poll = async () => {
    try {
      const response = await authedFetch(box.dataset.url);
      if (!response.ok) throw answerError(response, await response.json().catch(() => ({})));
      const status = await response.json();
      const run = status.run;
      const newer = run && (after === null || run.id > after);
      if (status.running) {
        seenRunning = true;
        syncProgressShow(box, run);
      } else if (newer || seenRunning) {
        box.replaceChildren(Object.assign(document.createElement("p"), { textContent: "Sync pass finished: loading the result." }));
        syncWatch = null;
        await reloadWithFreshToken();
        return;
      } else if (Date.now() - since > SYNC_WAIT_LIMIT_MS) {
        box.replaceChildren(Object.assign(document.createElement("p"), { textContent: "The sync pass is still waiting for a free worker; it runs when one is free." }));
        syncWatch = null;
        return;
      } else {
        syncProgressShow(box, null);
      }
    } catch (error) {
      // One failed poll (a network blip) is no reason to stop watching; the next one tries again.
      console.warn("sync status:", error.message);
    }
    syncWatch = setTimeout(poll, SYNC_POLL_MS);
  };
  syncWatch = setTimeout(poll, 0);
}

actions["sync-now"] = async (button) => {
  const response = await authedFetch(button.dataset.url, { method: "POST" });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw answerError(response, body);
  if (syncProgressBox()) syncWatchStart(typeof body.after === "number" ? body.after : 0);
  else await reloadWithFreshToken();
  return button.dataset.done || "Sync pass queued.";
};

document.addEventListener("DOMContentLoaded", () => {
  const box = syncProgressBox();
  if (box && box.dataset.running) syncWatchStart(null);
});
