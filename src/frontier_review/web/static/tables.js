// Progressive enhancement for list filters: every page works without it.
(function () {
  "use strict";

  // A date range is read in the viewer's own time zone: fill the form's empty zone field with the
  // browser's, and say so next to the dates. Without this script the dates are UTC, as the page says.
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) return;
  document.querySelectorAll("input[data-browser-zone]").forEach(function (input) {
    if (input.value) return;
    input.value = zone;
    var form = input.form;
    if (!form) return;
    // Dates already in the address were read in UTC: the note keeps saying so until the next filter.
    var dated = Array.prototype.some.call(form.querySelectorAll("input[type=date]"), function (d) { return d.value; });
    var label = form.querySelector("[data-zone-label]");
    if (label && !dated) label.textContent = zone;
  });
})();
