// ShopQB sandbox stand-in for https://cdn.shopify.com/shopifycloud/app-bridge.js (emulator only).
//
// Runs inside the app's frame, as App Bridge does, and offers the same surface: the
// `shopify` global (idToken, config, toast, loading, modal), the ui-title-bar,
// ui-nav-menu and ui-modal elements (hidden here, drawn by the admin page around the
// frame), and fetch to the app's own origin with the session token added. Everything
// crosses to the admin page (frame/admin.js) by postMessage, as App Bridge's does.
//   https://shopify.dev/docs/api/app-bridge-library
(function () {
  "use strict";
  var PREFIX = "shopqb-sandbox:";
  // Shopify's launch parameters: not part of the app's own address.
  var LAUNCH = ["embedded", "host", "id_token", "hmac", "locale", "session", "shop", "timestamp"];
  var script = document.currentScript;
  var meta = document.querySelector('meta[name="shopify-api-key"]');
  var params = new URLSearchParams(window.location.search);
  var admin = script ? new URL(script.src).origin : "*";
  var embedded = window.parent !== window;
  var documentId = String(Math.random()).slice(2);
  var pending = {};
  var toasts = {};
  var counter = 0;

  // App Bridge's elements configure the admin; the app's page never shows them itself.
  var style = document.createElement("style");
  style.textContent = "ui-title-bar, ui-nav-menu, ui-modal, ui-save-bar { display: none !important; }";
  document.head.appendChild(style);

  function post(type, data) {
    if (!embedded) return;
    var message = { type: PREFIX + type, documentId: documentId };
    for (var key in data) message[key] = data[key];
    window.parent.postMessage(message, admin);
  }

  function nextId() {
    counter += 1;
    return documentId + "-" + counter;
  }

  function text(element) {
    return (element.textContent || "").trim().replace(/\s+/g, " ");
  }

  // An address of the app, as the admin shows it: path and query, without launch parameters.
  function appPath(href) {
    var url = new URL(href || "", window.location.href);
    if (url.origin !== window.location.origin) return null;
    LAUNCH.forEach(function (name) { url.searchParams.delete(name); });
    return url.pathname + url.search;
  }

  // -- title bar: https://shopify.dev/docs/api/app-bridge-library/web-components/ui-title-bar
  function titleBar() {
    var bars = document.querySelectorAll("ui-title-bar");
    for (var i = 0; i < bars.length; i++) if (!bars[i].closest("ui-modal")) return bars[i];
    return null;
  }

  function controls(bar) {
    var found = [];
    if (!bar) return found;
    Array.prototype.forEach.call(bar.children, function (child) {
      var tag = child.tagName.toLowerCase();
      if (tag === "button" || tag === "a") found.push({ element: child, group: null });
      if (tag === "section") {
        child.querySelectorAll("button, a").forEach(function (item) {
          found.push({ element: item, group: child.getAttribute("label") || "" });
        });
      }
    });
    return found;
  }

  function describeControl(entry, index) {
    var element = entry.element;
    var kind = element.tagName.toLowerCase();
    return {
      index: index,
      kind: kind,
      label: text(element),
      variant: element.getAttribute("variant") || "",
      tone: element.getAttribute("tone") || "",
      disabled: element.disabled === true || element.hasAttribute("disabled"),
      href: kind === "a" ? appPath(element.getAttribute("href")) : null,
      group: entry.group,
    };
  }

  // -- navigation menu: https://shopify.dev/docs/api/app-bridge-library/web-components/ui-nav-menu
  function navMenu() {
    var menu = document.querySelector("ui-nav-menu");
    if (!menu) return null;
    var home = null;
    var items = [];
    menu.querySelectorAll("a").forEach(function (link) {
      var entry = { href: appPath(link.getAttribute("href")), label: text(link) };
      if (entry.href === null) return;
      // The first link, rel="home", is the app's home route: the admin shows the app's name for it.
      if (link.getAttribute("rel") === "home" && home === null) home = entry;
      else items.push(entry);
    });
    return { home: home, items: items };
  }

  var lastState = "";

  function sendState() {
    var bar = titleBar();
    var state = {
      path: appPath(window.location.href),
      title: (bar && bar.getAttribute("title")) || document.title,
      controls: controls(bar).map(describeControl),
      nav: navMenu(),
    };
    var serialized = JSON.stringify(state);
    if (serialized === lastState) return;
    lastState = serialized;
    post("state", state);
  }

  var scheduled = false;

  function scheduleState() {
    if (scheduled) return;
    scheduled = true;
    Promise.resolve().then(function () {
      scheduled = false;
      sendState();
    });
  }

  // -- modal: https://shopify.dev/docs/api/app-bridge-library/web-components/ui-modal
  function modalButtons(modal) {
    var bar = modal.querySelector("ui-title-bar");
    return bar ? Array.prototype.slice.call(bar.querySelectorAll("button")) : [];
  }

  function modalContent(modal) {
    var paragraphs = [];
    Array.prototype.forEach.call(modal.children, function (child) {
      var tag = child.tagName.toLowerCase();
      if (tag === "ui-title-bar" || tag === "ui-save-bar") return;
      var blocks = child.matches("p, li, h2, h3") ? [child] : child.querySelectorAll("p, li, h2, h3");
      if (!blocks.length) blocks = [child];
      Array.prototype.forEach.call(blocks, function (block) {
        if (text(block)) paragraphs.push(text(block));
      });
    });
    return paragraphs;
  }

  function showModal(id) {
    var modal = document.getElementById(id);
    if (!modal) return Promise.reject(new Error("no ui-modal with id " + id));
    var bar = modal.querySelector("ui-title-bar");
    post("modal", {
      id: id,
      title: (bar && bar.getAttribute("title")) || "",
      paragraphs: modalContent(modal),
      buttons: modalButtons(modal).map(function (button, index) {
        return {
          index: index,
          label: text(button),
          variant: button.getAttribute("variant") || "",
          tone: button.getAttribute("tone") || "",
          disabled: button.disabled === true,
        };
      }),
    });
    if (!modal._sandboxOpen) {
      modal._sandboxOpen = true;
      modal.dispatchEvent(new Event("show"));
    }
    return Promise.resolve();
  }

  function hideModal(id) {
    var modal = document.getElementById(id);
    if (!modal) return Promise.reject(new Error("no ui-modal with id " + id));
    post("modal-hide", { id: id });
    if (modal._sandboxOpen) {
      modal._sandboxOpen = false;
      modal.dispatchEvent(new Event("hide"));
    }
    return Promise.resolve();
  }

  if (window.customElements && !window.customElements.get("ui-modal")) {
    window.customElements.define(
      "ui-modal",
      class extends HTMLElement {
        show() { return showModal(this.id); }
        hide() { return hideModal(this.id); }
        toggle() { return this._sandboxOpen ? hideModal(this.id) : showModal(this.id); }
      }
    );
  }

  // -- session tokens: https://shopify.dev/docs/api/app-bridge-library/apis/id-token
  function idToken() {
    if (!embedded) return Promise.reject(new Error("not embedded"));
    return new Promise(function (resolve) {
      var id = nextId();
      pending[id] = resolve;
      post("id-token", { requestId: id });
    });
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || (admin !== "*" && event.origin !== admin)) return;
    var msg = event.data || {};
    if (typeof msg.type !== "string" || msg.type.indexOf(PREFIX) !== 0) return;
    var type = msg.type.slice(PREFIX.length);
    if (type === "id-token:reply" && pending[msg.requestId]) {
      pending[msg.requestId](msg.token);
      delete pending[msg.requestId];
    } else if (type === "title-bar:click") {
      // The admin's button stands for the page's own: its click runs the page's handler.
      var entry = controls(titleBar())[msg.index];
      if (entry && entry.element.tagName.toLowerCase() === "button") entry.element.click();
    } else if (type === "modal:click") {
      var modal = document.getElementById(msg.id);
      var button = modal && modalButtons(modal)[msg.index];
      if (button) button.click();
    } else if (type === "modal:closed") {
      var closed = document.getElementById(msg.id);
      if (closed && closed._sandboxOpen) {
        closed._sandboxOpen = false;
        closed.dispatchEvent(new Event("hide"));
      }
    } else if (type === "toast:action" && toasts[msg.id] && toasts[msg.id].onAction) {
      toasts[msg.id].onAction();
    } else if (type === "toast:dismiss" && toasts[msg.id]) {
      if (toasts[msg.id].onDismiss) toasts[msg.id].onDismiss();
      delete toasts[msg.id];
    }
  });

  var originalFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    var url = new URL(typeof input === "string" ? input : input.url, window.location.href);
    if (url.origin !== window.location.origin) return originalFetch(input, init);
    return idToken().then(function (token) {
      init = init || {};
      var headers = new Headers(init.headers || (typeof input === "string" ? {} : input.headers));
      if (!headers.has("Authorization")) headers.set("Authorization", "Bearer " + token);
      init.headers = headers;
      return originalFetch(input, init);
    });
  };

  window.shopify = {
    config: { apiKey: meta ? meta.content : null, shop: params.get("shop"), host: params.get("host") },
    idToken: idToken,
    // https://shopify.dev/docs/api/app-bridge-library/apis/toast
    toast: {
      show: function (message, opts) {
        opts = opts || {};
        var id = nextId();
        toasts[id] = { onAction: opts.onAction, onDismiss: opts.onDismiss };
        post("toast", {
          id: id,
          message: String(message),
          isError: Boolean(opts.isError),
          duration: typeof opts.duration === "number" ? opts.duration : 5000,
          action: opts.action || null,
        });
        return id;
      },
      hide: function (id) {
        delete toasts[id];
        post("toast-hide", { id: id });
      },
    },
    // https://shopify.dev/docs/api/app-bridge-library/apis/loading
    loading: function (isLoading) {
      post("loading", { on: Boolean(isLoading) });
    },
    // https://shopify.dev/docs/api/app-bridge-library/apis/modal
    modal: { show: showModal, hide: hideModal, toggle: function (id) {
      var modal = document.getElementById(id);
      return modal && modal._sandboxOpen ? hideModal(id) : showModal(id);
    } },
  };

  document.addEventListener("DOMContentLoaded", function () {
    sendState();
    new MutationObserver(scheduleState).observe(document.documentElement, {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
  });
  // The admin shows the loading bar from the moment the frame starts to leave a page.
  window.addEventListener("beforeunload", function () { post("leaving", {}); });
})();
