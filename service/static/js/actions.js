// Long and destructive actions, as a static script (the pages' Content-Security-Policy
// refuses inline script and event handlers). Without JavaScript every form still posts.
//
// <form data-confirm="Discard this plan?">  asks first in the page's <dialog id="confirm">;
//                                           Cancel (or Escape) leaves everything as it was.
// <form data-busy="Planning…">             once sent, its buttons are disabled and show the
//                                           text with a spinner until the answer arrives
//                                           (a page load, or htmx's swap).
// Before printing, every <details data-print-open> is opened so its table prints.
(function () {
  "use strict";

  var confirmed = new WeakSet();

  function buttonsOf(form) {
    var inside = Array.prototype.slice.call(form.querySelectorAll("button, input[type=submit]"));
    var outside = form.id
      ? Array.prototype.slice.call(document.querySelectorAll('[form="' + form.id + '"]'))
      : [];
    return inside.concat(outside);
  }

  function markBusy(form) {
    var text = form.getAttribute("data-busy");
    form.setAttribute("aria-busy", "true");
    form.classList.add("busy");
    buttonsOf(form).forEach(function (button) {
      button.disabled = true;
    });
    var status = form.querySelector(".busy-status");
    if (!status) {
      status = document.createElement("span");
      status.className = "busy-status";
      status.setAttribute("role", "status");
      form.appendChild(status);
    }
    status.textContent = text || "…";
  }

  function clearBusy(form) {
    form.removeAttribute("aria-busy");
    form.classList.remove("busy");
    buttonsOf(form).forEach(function (button) {
      button.disabled = false;
    });
    var status = form.querySelector(".busy-status");
    if (status) status.remove();
  }

  function ask(form, submitter) {
    var dialog = document.getElementById("confirm");
    if (!dialog || typeof dialog.showModal !== "function") {
      return window.confirm(form.getAttribute("data-confirm")) ? send(form, submitter) : null;
    }
    dialog.querySelector("[data-confirm-text]").textContent = form.getAttribute("data-confirm");
    dialog.returnValue = "";
    dialog.addEventListener(
      "close",
      function () {
        if (dialog.returnValue === "confirm") send(form, submitter);
        else if (submitter) submitter.focus();
      },
      { once: true }
    );
    dialog.showModal();
    dialog.querySelector("[data-confirm-cancel]").focus();
    return null;
  }

  function send(form, submitter) {
    confirmed.add(form);
    if (typeof form.requestSubmit === "function") form.requestSubmit(submitter || undefined);
    else form.submit();
  }

  // Capture: runs before htmx's own submit listener, so a cancelled action sends nothing.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      if (form.hasAttribute("data-confirm") && !confirmed.has(form)) {
        event.preventDefault();
        event.stopImmediatePropagation();
        ask(form, event.submitter);
        return;
      }
      confirmed.delete(form);
      if (form.hasAttribute("data-busy")) {
        if (form.classList.contains("busy")) {
          event.preventDefault(); // a second click while the first is running
          event.stopImmediatePropagation();
          return;
        }
        // After the submit event, so the form's data (and its button's value) is sent.
        window.setTimeout(function () {
          markBusy(form);
        }, 0);
      }
    },
    true
  );

  // htmx answers without a page load: free the form when its request ends.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target && event.target.closest ? event.target.closest("form[data-busy]") : null;
    if (form) clearBusy(form);
  });

  // Back to a page from the browser's cache: its forms are not running any more.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form.busy").forEach(clearBusy);
  });

  var opened = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details[data-print-open]:not([open])").forEach(function (d) {
      d.open = true;
      opened.push(d);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) {
      d.open = false;
    });
    opened = [];
  });
})();
