// The plan page: a committed plan's trucks refresh every 20 s (htmx swaps #routes), and
// the trucks the dispatcher had opened stay open instead of folding on every refresh.
(function () {
  "use strict";
  var opened = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "routes") { return; }
    opened = [];
    document.querySelectorAll("#routes details.route[open]").forEach(function (card) {
      opened.push(card.dataset.truck);
    });
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (opened === null) { return; }
    document.querySelectorAll("#routes details.route").forEach(function (card) {
      if (opened.indexOf(card.dataset.truck) >= 0) { card.open = true; }
    });
    opened = null;
  });
})();
