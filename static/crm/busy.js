// Feedback on waits (issue 15 item 12): an action still running after half a second shows a spinner on the
// button that sent it (which also stops a second click) and a thin bar at the top of the page; htmx requests
// show the bar. A download leaves the page in place, so the feedback also ends by itself after a while.
(function () {
  "use strict";
  var DELAY = 500, GIVE_UP = 10000, running = 0, bar = null;
  var label = document.body.dataset.busyLabel || "…";

  function barOn() {
    running += 1;
    if (!bar) {
      bar = document.createElement("div");
      bar.className = "crm-busy-bar";
      bar.setAttribute("role", "progressbar");
      bar.setAttribute("aria-label", label);
      bar.dataset.testid = "busy-bar";
      document.body.appendChild(bar);
    }
  }
  function barOff() {
    running = Math.max(0, running - 1);
    if (!running && bar) { bar.remove(); bar = null; }
  }

  function busy(form, button) {
    form.setAttribute("aria-busy", "true");
    barOn();
    if (button && !button.dataset.busy) {
      button.dataset.busy = "1";
      button.dataset.busyHtml = button.innerHTML;
      button.disabled = true;  // the form was already sent: disabling now drops nothing from it
      button.innerHTML = '<span class="spinner-border spinner-border-sm me-1" aria-hidden="true"></span>' +
        '<span data-testid="busy-label"></span>';
      button.querySelector("[data-testid=busy-label]").textContent = label;
    }
    setTimeout(function () { idle(form, button); }, GIVE_UP);
  }
  function idle(form, button) {
    if (form.getAttribute("aria-busy") !== "true") return;
    form.removeAttribute("aria-busy");
    barOff();
    if (button && button.dataset.busy) {
      button.innerHTML = button.dataset.busyHtml;
      button.disabled = false;
      delete button.dataset.busy;
    }
  }

  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) return;  // refused before sending (a check on the page), or sent by htmx
    var form = event.target;
    if (form.hasAttribute("data-no-busy")) return;
    var button = event.submitter || form.querySelector("button[type=submit], button:not([type])");
    var timer = setTimeout(function () { busy(form, button); }, DELAY);
    window.addEventListener("pagehide", function () { clearTimeout(timer); }, { once: true });
  });
  // Back to a page kept by the browser (back button): nothing is running any more.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[aria-busy=true]").forEach(function (form) {
      idle(form, form.querySelector("[data-busy]"));
    });
  });

  // The request itself says when it ends: an element swapped out (outerHTML) no longer bubbles htmx's events.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var shown = false;
    var timer = setTimeout(function () { shown = true; barOn(); }, DELAY);
    event.detail.xhr.addEventListener("loadend", function () {
      clearTimeout(timer);
      if (shown) barOff();
    });
  });
})();
