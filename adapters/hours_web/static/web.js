// hours web app: the running timer's clock, the copy button, Enter in a grid cell. Everything else is plain forms and htmx.
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    document.querySelectorAll("[data-started-at]").forEach(function (el) {
      var started = Date.parse(el.getAttribute("data-started-at"));
      if (isNaN(started)) { return; }
      var s = Math.max(0, Math.floor((Date.now() - started) / 1000));
      el.textContent = Math.floor(s / 3600) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) { return; }
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.textContent = "Copied";
    });
  });
  // Enter in a grid cell saves that cell (as leaving it does) instead of posting the whole week too.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches && event.target.matches(".grid input[hx-post]")) {
      event.preventDefault();
      event.target.blur();
    }
  });
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 1000); });
})();
