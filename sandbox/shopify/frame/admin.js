// The sandbox admin page around the app's frame (emulator only): what Shopify's admin does
// with App Bridge's messages. The stand-in inside the frame (frame/app-bridge.js) posts
// the page's title bar, navigation menu, toasts, loading state and modals; this page draws
// them and sends clicks back.
//   Title bar   https://shopify.dev/docs/api/app-bridge-library/web-components/ui-title-bar
//   Nav menu    https://shopify.dev/docs/api/app-bridge-library/web-components/ui-nav-menu
//   Toast       https://shopify.dev/docs/api/app-bridge-library/apis/toast
//   Loading     https://shopify.dev/docs/api/app-bridge-library/apis/loading
//   Modal       https://shopify.dev/docs/api/app-bridge-library/web-components/ui-modal
(function () {
  "use strict";
  var PREFIX = "shopqb-sandbox:";
  var config = JSON.parse(document.getElementById("admin-config").textContent);
  var appOrigin = new URL(config.appUrl).origin;
  var iframe = document.getElementById("app-iframe");
  var title = document.getElementById("title-bar-title");
  var breadcrumb = document.getElementById("title-bar-breadcrumb");
  var actions = document.getElementById("title-bar-actions");
  var homeLink = document.getElementById("app-home");
  var navItems = document.getElementById("app-nav-items");
  var navToggle = document.getElementById("nav-toggle");
  var sidebar = document.getElementById("admin-nav");
  var loadingBar = document.getElementById("admin-loading");
  var toasts = document.getElementById("admin-toasts");
  var errorToasts = document.getElementById("admin-error-toasts");
  var dialog = document.getElementById("app-modal");
  var currentDocument = null;
  var currentPath = "/";
  var loadingSources = { app: false, navigation: false };
  var openModal = null;

  function send(type, data) {
    var message = { type: PREFIX + type };
    for (var key in data) message[key] = data[key];
    iframe.contentWindow.postMessage(message, appOrigin);
  }

  function adminUrl(path) {
    return config.adminAppBase + (path || "/");
  }

  // -- loading bar ------------------------------------------------------------------------
  function setLoading(source, on) {
    loadingSources[source] = on;
    var busy = loadingSources.app || loadingSources.navigation;
    loadingBar.hidden = !busy;
    document.body.toggleAttribute("data-loading", busy);
  }

  // -- navigation: the admin changes the frame's address, with fresh launch parameters -----
  function navigate(path) {
    setLoading("navigation", true);
    closeNav();
    var url = config.frameSrcUrl + "&path=" + encodeURIComponent(path);
    fetch(url)
      .then(function (response) {
        if (!response.ok) throw new Error("the sandbox answered " + response.status);
        return response.json();
      })
      .then(function (body) {
        iframe.src = body.src;
      })
      .catch(function (error) {
        setLoading("navigation", false);
        showToast({ id: "nav", message: "The app could not be opened: " + error.message, isError: true });
      });
  }

  function navLink(entry, label) {
    var link = document.createElement("a");
    link.href = adminUrl(entry.href);
    link.textContent = label;
    link.dataset.path = entry.href;
    return link;
  }

  function onNavClick(event) {
    var link = event.target.closest("a[data-path]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(link.dataset.path);
  }

  sidebar.addEventListener("click", onNavClick);
  breadcrumb.addEventListener("click", onNavClick);
  actions.addEventListener("click", onNavClick);

  function pathOnly(path) {
    return (path || "/").split("?")[0];
  }

  // The entry for the page shown: the longest one the page's path starts with ("/" only itself).
  function markCurrent() {
    var here = pathOnly(currentPath);
    var best = null;
    sidebar.querySelectorAll("a[data-path]").forEach(function (link) {
      var path = pathOnly(link.dataset.path);
      var matches = path === "/" ? here === "/" : here === path || here.indexOf(path.replace(/\/$/, "") + "/") === 0;
      if (matches && (!best || path.length > pathOnly(best.dataset.path).length)) best = link;
    });
    sidebar.querySelectorAll("a[data-path]").forEach(function (link) {
      if (link === best) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
  }

  function renderNav(nav) {
    if (!nav) return; // a page without a menu keeps the app's menu, as the admin does
    homeLink.dataset.path = nav.home ? nav.home.href : "/";
    homeLink.href = adminUrl(homeLink.dataset.path);
    navItems.textContent = "";
    nav.items.forEach(function (entry) {
      var item = document.createElement("li");
      item.appendChild(navLink(entry, entry.label));
      navItems.appendChild(item);
    });
  }

  function closeNav() {
    document.body.classList.remove("nav-open");
    navToggle.setAttribute("aria-expanded", "false");
  }

  navToggle.addEventListener("click", function () {
    var open = !document.body.classList.contains("nav-open");
    document.body.classList.toggle("nav-open", open);
    navToggle.setAttribute("aria-expanded", String(open));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.body.classList.contains("nav-open")) {
      closeNav();
      navToggle.focus();
    }
  });

  // -- title bar --------------------------------------------------------------------------
  function renderTitleBar(state) {
    title.textContent = state.title || config.appName;
    document.title = (state.title || config.appName) + " · " + config.appName + " · " + config.shopName;
    breadcrumb.textContent = "";
    actions.textContent = "";
    var primary = null;
    var groups = {};
    state.controls.forEach(function (control) {
      if (control.variant === "breadcrumb" && control.href !== null) {
        breadcrumb.appendChild(navLink({ href: control.href }, control.label));
        return;
      }
      var element;
      if (control.kind === "a") {
        if (control.href === null) return;
        element = navLink({ href: control.href }, control.label);
        element.className = "admin-button";
      } else {
        element = document.createElement("button");
        element.type = "button";
        element.className = "admin-button";
        element.textContent = control.label;
        element.disabled = control.disabled;
        element.addEventListener("click", function () {
          send("title-bar:click", { index: control.index });
        });
      }
      if (control.tone === "critical") element.classList.add("admin-button-critical");
      if (control.variant === "primary" && primary === null) {
        element.classList.add("admin-button-primary");
        primary = element;
        return;
      }
      if (control.group !== null) {
        if (!groups[control.group]) {
          groups[control.group] = document.createElement("div");
          groups[control.group].setAttribute("role", "group");
          groups[control.group].setAttribute("aria-label", control.group);
          groups[control.group].className = "admin-button-group";
          actions.appendChild(groups[control.group]);
        }
        groups[control.group].appendChild(element);
        return;
      }
      actions.appendChild(element);
    });
    if (primary) actions.appendChild(primary); // Polaris: the primary action comes last, on the right
    breadcrumb.hidden = !breadcrumb.childElementCount;
    actions.hidden = !actions.childElementCount;
  }

  // -- toasts -----------------------------------------------------------------------------
  var toastTimers = {};

  function hideToast(id, dismissed) {
    var element = document.querySelector('.admin-toast[data-id="' + CSS.escape(id) + '"]');
    if (element) element.remove();
    clearTimeout(toastTimers[id]);
    delete toastTimers[id];
    if (dismissed) send("toast:dismiss", { id: id });
  }

  function showToast(msg) {
    var element = document.createElement("div");
    element.className = "admin-toast" + (msg.isError ? " admin-toast-error" : "");
    element.dataset.id = msg.id;
    var text = document.createElement("span");
    text.textContent = msg.message;
    element.appendChild(text);
    if (msg.action) {
      var action = document.createElement("button");
      action.type = "button";
      action.className = "admin-toast-action";
      action.textContent = msg.action;
      action.addEventListener("click", function () { send("toast:action", { id: msg.id }); });
      element.appendChild(action);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "admin-toast-close";
    close.setAttribute("aria-label", "Dismiss notification");
    close.textContent = "\u00d7";
    close.addEventListener("click", function () { hideToast(msg.id, true); });
    element.appendChild(close);
    var region = msg.isError ? errorToasts : toasts;
    region.appendChild(element);
    while (region.childElementCount > 3) hideToast(region.firstElementChild.dataset.id, false);
    toastTimers[msg.id] = setTimeout(function () { hideToast(msg.id, false); }, msg.duration || 5000);
  }

  // -- modal: a native <dialog> keeps focus inside and closes on Escape --------------------
  var closingForApp = false;

  function showModal(msg) {
    openModal = msg.id;
    document.getElementById("app-modal-title").textContent = msg.title;
    var body = document.getElementById("app-modal-body");
    body.textContent = "";
    msg.paragraphs.forEach(function (paragraph) {
      var p = document.createElement("p");
      p.textContent = paragraph;
      body.appendChild(p);
    });
    var footer = document.getElementById("app-modal-actions");
    footer.textContent = "";
    var buttons = msg.buttons.map(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "admin-button";
      if (spec.variant === "primary") button.classList.add("admin-button-primary");
      if (spec.tone === "critical") button.classList.add("admin-button-critical");
      button.textContent = spec.label;
      button.disabled = spec.disabled;
      button.addEventListener("click", function () { send("modal:click", { id: msg.id, index: spec.index }); });
      return { spec: spec, element: button };
    });
    buttons
      .filter(function (b) { return b.spec.variant !== "primary"; })
      .concat(buttons.filter(function (b) { return b.spec.variant === "primary"; }))
      .forEach(function (b) { footer.appendChild(b.element); });
    if (!dialog.open) dialog.showModal();
    // Before something destructive, the safe choice has the focus.
    var critical = buttons.some(function (b) { return b.spec.tone === "critical"; });
    var first = buttons.find(function (b) { return !critical || b.spec.tone !== "critical"; });
    if (first) first.element.focus();
  }

  function hideModal() {
    if (!dialog.open) return;
    closingForApp = true;
    dialog.close();
  }

  dialog.addEventListener("close", function () {
    var id = openModal;
    openModal = null;
    if (!closingForApp && id !== null) send("modal:closed", { id: id });
    closingForApp = false;
  });
  document.getElementById("app-modal-close").addEventListener("click", function () { dialog.close(); });

  // -- messages from the frame ------------------------------------------------------------
  function onState(msg) {
    currentPath = msg.path || "/";
    // The admin's address follows the app's (a reload shows the same page).
    history.replaceState(null, "", adminUrl(currentPath));
    renderNav(msg.nav);
    renderTitleBar(msg);
    markCurrent();
  }

  window.addEventListener("message", function (event) {
    if (event.source !== iframe.contentWindow || event.origin !== appOrigin) return;
    var msg = event.data || {};
    if (typeof msg.type !== "string" || msg.type.indexOf(PREFIX) !== 0) return;
    var type = msg.type.slice(PREFIX.length);
    if (msg.documentId && msg.documentId !== currentDocument) {
      // A new page in the frame: what the last one started is over.
      currentDocument = msg.documentId;
      setLoading("app", false);
      setLoading("navigation", false);
      hideModal();
    }
    if (type === "id-token") {
      fetch(config.sessionTokenUrl)
        .then(function (response) { return response.json(); })
        .then(function (body) { send("id-token:reply", { requestId: msg.requestId, token: body.id_token }); });
    } else if (type === "state") {
      onState(msg);
    } else if (type === "toast") {
      showToast(msg);
    } else if (type === "toast-hide") {
      hideToast(msg.id, false);
    } else if (type === "loading") {
      setLoading("app", msg.on);
    } else if (type === "modal") {
      showModal(msg);
    } else if (type === "modal-hide") {
      hideModal();
    } else if (type === "leaving") {
      setLoading("navigation", true);
      actions.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
    }
  });

  // A page that never talks (an error page without App Bridge) still ends the loading bar.
  iframe.addEventListener("load", function () { setLoading("navigation", false); });
})();
