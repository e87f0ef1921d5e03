// Progressive enhancement only: every page works without it.
(function () {
  "use strict";

  // Show each <time> in the viewer's own zone; the UTC text stays in the title.
  function localiseTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      if (!el.title) el.title = el.textContent;
      el.textContent = d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    });
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

  function init(root) {
    forgetPost(root);
    localiseTimes(root);
    root.querySelectorAll("table.sortable").forEach(makeSortable);
    root.querySelectorAll("input[data-filter]").forEach(wireFilter);
  }

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

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
