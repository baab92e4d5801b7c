// Print buttons ([data-print]): a static script, since the pages' Content-Security-Policy
// refuses inline event handlers such as onclick.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
