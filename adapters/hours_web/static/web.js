// hours web app: the running timer's clock, the copy button, Enter in a grid cell, and what a refused
// htmx save says. Everything else is plain forms and htmx.
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
  // Enter in a grid cell saves that cell (as leaving it does) instead of posting the whole week too,
  // and the focus stays in it (htmx gives it back to the swapped-in cell by its id); in a cell whose
  // save failed it sends the save again. Without htmx, leaving the cell is the save.
  document.addEventListener("keydown", function (event) {
    var cell = event.target;
    if (event.key === "Enter" && cell.matches && cell.matches(".grid input[hx-post]")) {
      event.preventDefault();
      if (!window.htmx) {
        cell.blur();
      } else if (cell.value !== cell.defaultValue || cell.closest("td.unsaved")) {
        window.htmx.trigger(cell, "change");
      }
    }
  });
  // A save htmx could not make (the server refused it, 4xx or 5xx, or could not be reached): htmx
  // swaps nothing, so say why where it happened, keep what was typed, and mark the cell unsaved.
  var RETRY = " Press Enter in the cell to try again.";
  function noticeOf(xhr) {
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");  // inert: no script runs
    var notice = doc.querySelector(".notice strong") || doc.querySelector(".notice");
    return notice ? notice.textContent.replace(/\s+/g, " ").trim() : "";
  }
  function why(xhr) {
    if (!xhr || !xhr.status) { return "Not saved: the server could not be reached." + RETRY; }
    if (xhr.status === 403) {
      return "Not saved: this page has expired (you signed in again, perhaps in another tab). " +
        "Reload the page, then type it again.";
    }
    var text = noticeOf(xhr) || "the server answered " + xhr.status + ".";
    return "Not saved: " + text + (xhr.status >= 500 ? RETRY : "");
  }
  function refused(elt, text) {
    var cell = elt && elt.matches && elt.matches(".grid input[hx-post]") ? elt.closest("td") : null;
    if (!cell) {
      var main = document.getElementById("main");
      var box = document.getElementById("htmx-error") || document.createElement("div");
      box.id = "htmx-error";
      box.className = "notice error";
      box.setAttribute("role", "alert");
      box.textContent = text;
      main.insertBefore(box, main.firstChild);
      return;
    }
    cell.querySelectorAll(".cell-error").forEach(function (old) { old.remove(); });  // an earlier save's
    var id = "unsaved-" + cell.id;
    var message = document.createElement("span");
    message.id = id;
    message.className = "cell-error";
    message.setAttribute("role", "alert");
    message.textContent = text;
    cell.appendChild(message);
    cell.classList.add("unsaved");
    elt.setAttribute("aria-invalid", "true");
    elt.setAttribute("aria-describedby", id);
  }
  document.addEventListener("htmx:responseError", function (event) {
    refused(event.detail.elt, why(event.detail.xhr));
  });
  document.addEventListener("htmx:sendError", function (event) { refused(event.detail.elt, why(null)); });
  document.addEventListener("htmx:timeout", function (event) { refused(event.detail.elt, why(null)); });
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 1000); });
})();
