// The store's report form: a search box that hides the rows whose product name or code
// does not match what is typed. Hidden rows still post (only their display changes), and
// without this script the box stays hidden and every row shows.
(function () {
  "use strict";
  const box = document.querySelector("input[data-filter-rows]");
  if (!box) {
    return;
  }
  const form = document.querySelector(box.dataset.filterRows);
  if (!form) {
    return;
  }
  const extra = form.querySelector("details.add-products");
  box.closest("[hidden]")?.removeAttribute("hidden");

  function filter() {
    const wanted = box.value.trim().toLowerCase();
    let foundInExtra = false;
    for (const group of form.querySelectorAll("tbody[data-category]")) {
      let shown = 0;
      for (const row of group.querySelectorAll("tr[data-product]")) {
        const match = wanted === "" || row.dataset.product.includes(wanted);
        row.hidden = !match;
        if (match) {
          shown += 1;
          if (wanted !== "" && extra && extra.contains(row)) {
            foundInExtra = true;
          }
        }
      }
      group.hidden = shown === 0;
    }
    if (foundInExtra) {
      extra.open = true;
    }
  }

  box.addEventListener("input", filter);
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault(); // Enter in the search box must not submit anything
    }
  });
})();
