// The pass form shows the fields of the kind chosen (a vehicle's or a person's) and hides
// the other kind's, so a phone scrolls through half as much. Without this script both
// sets stay visible and the server ignores nothing: it names any missing field.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("pass-form");
    if (!form) { return; }
    function show() {
      var chosen = form.querySelector("input[name=kind]:checked");
      var kind = chosen ? chosen.value : "vehicle";
      form.querySelectorAll("fieldset[data-kind]").forEach(function (set) {
        set.hidden = set.dataset.kind !== kind;
      });
    }
    form.querySelectorAll("input[name=kind]").forEach(function (radio) {
      radio.addEventListener("change", show);
    });
    show();
  });
})();
