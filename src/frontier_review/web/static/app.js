// Progressive enhancement only: every page works without it.
(function () {
  "use strict";

  // Show each <time> in the viewer's own zone, naming it ("Jun 2, 2026, 6:22 PM EDT"); the UTC
  // time is the title, shown on hover. (dateStyle/timeStyle cannot be combined with timeZoneName.)
  var TIME_FORMAT = { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short" };

  function utcText(d) {
    return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  function localiseTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      el.title = utcText(d);
      el.textContent = d.toLocaleString(undefined, TIME_FORMAT);
    });
  }

  // Date-and-time fields are typed in the same zone as the times shown (web/timezones.py). A form's
  // hidden "tz" field [data-zone] names the zone its values are in: UTC as the page renders them.
  // Convert them to the browser's zone and name it there and in [data-zone-name]; a form already in
  // the browser's zone (a refused form shown again) is left as it was typed.
  function browserZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  }

  function zoneLabel(zone) {
    var short = "";
    try {
      new Intl.DateTimeFormat(undefined, { timeZone: zone, timeZoneName: "short" }).formatToParts(new Date())
        .forEach(function (part) { if (part.type === "timeZoneName") short = part.value; });
    } catch (e) { return zone; }
    var name = zone.replace(/_/g, " ");
    return short && short !== zone ? name + " (" + short + ")" : name;
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // "2026-06-02T23:22" in UTC -> the same instant as the browser's local "2026-06-02T18:22".
  function localInputValue(utcValue) {
    var d = new Date(utcValue + "Z");
    if (isNaN(d)) return utcValue;
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function localiseZoneFields(root) {
    var zone = browserZone();
    if (!zone) return;
    root.querySelectorAll("input[data-zone]").forEach(function (field) {
      var form = field.form;
      if (!form) return;
      var from = field.value || "UTC";
      if (from !== zone) {
        if (from !== "UTC") return;  // typed in another zone, and named: the server reads it there
        // Date-only fields keep their day: "expires on" means the start of that day in the new zone.
        form.querySelectorAll("input[type='datetime-local']").forEach(function (input) {
          if (input.value) input.value = localInputValue(input.value);
        });
        field.value = zone;
      }
      form.querySelectorAll("[data-zone-name]").forEach(function (el) { el.textContent = zoneLabel(zone); });
    });
  }

  // Copy buttons: every code snippet (a <pre> holding code) gets one above it, unless it brings its
  // own (data-no-copy). Its status is announced: "Copied", or how to copy where the clipboard is
  // not available (a page served over plain HTTP).
  function addCopyButtons(root) {
    root.querySelectorAll("pre").forEach(function (pre) {
      if (pre.hasAttribute("data-no-copy") || pre.hasAttribute("data-copyable")) return;
      if (!pre.classList.contains("code") && !pre.querySelector("code")) return;
      pre.setAttribute("data-copyable", "");
      var bar = document.createElement("div");
      bar.className = "copy-bar";
      var status = document.createElement("span");
      status.className = "copy-status";
      status.setAttribute("role", "status");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary copy-button";
      button.textContent = "Copy";
      button.setAttribute("aria-label", "Copy code");
      bar.appendChild(status);
      bar.appendChild(button);
      pre.parentNode.insertBefore(bar, pre);
      button.addEventListener("click", function () { copyCode(pre, status); });
    });
  }

  function copyCode(pre, status) {
    function say(message) {
      status.textContent = message;
      clearTimeout(status.clearing);
      status.clearing = setTimeout(function () { status.textContent = ""; }, 5000);
    }
    function selectIt() {
      var range = document.createRange();
      range.selectNodeContents(pre);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      say("Selected: press Ctrl+C (⌘C) to copy");
    }
    if (!navigator.clipboard || !window.isSecureContext) { selectIt(); return; }
    navigator.clipboard.writeText(pre.textContent).then(function () { say("Copied"); }, selectIt);
  }

  // Sortable tables: a button in each header, aria-sort kept up to date.
  function makeSortable(table) {
    var headers = table.querySelectorAll("thead th");
    headers.forEach(function (th, index) {
      if (!th.textContent.trim() || th.querySelector(".visually-hidden")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (h) { if (h.hasAttribute("aria-sort")) h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[index]), y = key(b.cells[index]);
          var cmp = (typeof x === "number" && typeof y === "number") ? x - y : String(x).localeCompare(String(y));
          return ascending ? cmp : -cmp;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  function key(cell) {
    if (!cell) return "";
    var raw = cell.getAttribute("data-sort") || cell.textContent.trim();
    var n = Number(raw);
    return raw !== "" && !isNaN(n) ? n : raw.toLowerCase();
  }

  // Filter boxes: <input data-filter="#table-id"> hides rows that do not match.
  function wireFilter(input) {
    var table = document.querySelector(input.getAttribute("data-filter"));
    if (!table) return;
    input.addEventListener("input", function () {
      var q = input.value.toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.hidden = q !== "" && row.textContent.toLowerCase().indexOf(q) === -1;
      });
    });
  }

  // A one-time secret is rendered in the POST response itself (never stored); replacing the
  // history entry makes a reload fetch the plain page instead of re-submitting the form.
  function forgetPost(root) {
    var el = root.querySelector("[data-replace-url]");
    if (el && window.history.replaceState) window.history.replaceState(null, "", el.getAttribute("data-replace-url"));
  }

  // Tabs: <nav data-tabs> links to sections [data-tab-panel]; one shows at a time (ARIA tabs:
  // arrow keys move between them). The #anchor picks the tab: the panel itself or anything in it.
  // Without this script the sections simply follow one another under the links.
  function wireTabs(nav) {
    var links = Array.prototype.slice.call(nav.querySelectorAll("a[href^='#']"));
    var panels = links.map(function (a) { return document.getElementById(a.getAttribute("href").slice(1)); });
    if (!links.length || panels.some(function (p) { return !p; })) return;
    var list = nav.querySelector("ul") || nav;
    list.setAttribute("role", "tablist");
    function select(index, focus) {
      links.forEach(function (a, i) {
        var on = i === index;
        a.setAttribute("aria-selected", on ? "true" : "false");
        a.tabIndex = on ? 0 : -1;
        panels[i].hidden = !on;
      });
      if (focus) links[index].focus();
    }
    function panelOf(el) {
      for (var i = 0; i < panels.length; i++) if (el && panels[i].contains(el)) return i;
      return -1;
    }
    function show(index, focus) {
      select(index, focus);
      if (window.history.replaceState) window.history.replaceState(null, "", "#" + panels[index].id);
    }
    links.forEach(function (a, i) {
      if (a.parentNode !== list) a.parentNode.setAttribute("role", "presentation");
      a.setAttribute("role", "tab");
      a.setAttribute("aria-controls", panels[i].id);
      panels[i].setAttribute("role", "tabpanel");
      panels[i].setAttribute("aria-labelledby", a.id);
      a.addEventListener("click", function (event) { event.preventDefault(); show(i, false); });
      a.addEventListener("keydown", function (event) {
        var next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: links.length - 1 }[event.key];
        if (next === undefined) return;
        event.preventDefault();
        show((next + links.length) % links.length, true);
      });
    });
    function fromHash() {
      var id = decodeURIComponent(window.location.hash.slice(1));
      var target = id ? document.getElementById(id) : null;
      var index = panelOf(target);
      if (index < 0) return false;
      select(index, false);
      if (target !== panels[index]) target.scrollIntoView();
      return true;
    }
    var refused = panelOf(document.querySelector("[data-error-summary]"));
    if (refused >= 0) select(refused, false);
    else if (!fromHash()) select(0, false);
    window.addEventListener("hashchange", fromHash);
  }

  // A refused form comes back with an error summary: focus it (it is announced), and let each of
  // its links move to its field, scrolled into view with its label.
  function focusErrors(root) {
    var summary = root.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-focus]") : null;
    if (!link) return;
    var field = document.getElementById(link.getAttribute("data-focus"));
    if (!field) return;
    event.preventDefault();
    (field.closest(".field") || field).scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
  });

  function init(root) {
    forgetPost(root);
    localiseTimes(root);
    localiseZoneFields(root);
    addCopyButtons(root);
    root.querySelectorAll("table.sortable").forEach(makeSortable);
    root.querySelectorAll("input[data-filter]").forEach(wireFilter);
    root.querySelectorAll("nav[data-tabs]").forEach(wireTabs);
    focusErrors(root);
  }

  document.addEventListener("click", function (event) {
    var selector = event.target.getAttribute && event.target.getAttribute("data-copy");
    if (!selector) return;
    var el = document.querySelector(selector);
    if (el && navigator.clipboard) {
      navigator.clipboard.writeText(el.textContent.trim()).then(function () { event.target.textContent = "Copied"; });
    }
  });

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });

  // Countdowns: <span data-countdown="ISO" data-prefix="…"> shows the time left, every second.
  function tickCountdowns() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var end = new Date(el.getAttribute("data-countdown"));
      if (isNaN(end)) return;
      if (!el.title) el.title = end.toISOString().replace(".000Z", "Z") + " (UTC)";
      var left = Math.max(0, Math.floor((end - Date.now()) / 1000));
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      var text = (d ? d + "d " : "") + (d || h ? h + "h " : "") + m + "m " + s + "s";
      el.textContent = (el.getAttribute("data-prefix") || "") + text;
    });
  }
  setInterval(tickCountdowns, 1000);
  document.addEventListener("DOMContentLoaded", tickCountdowns);
})();
