// The customer list's bulk toolbar: shows the inputs the chosen action and field need, selects all rows
// on the page, and counts the selection. The rows are swapped by htmx, so everything is delegated.
(function () {
  function form() { return document.getElementById("bulk-form"); }
  function boxes() {
    return Array.from(document.querySelectorAll('input[name=ids][form=bulk-form]')).filter(function (b) {
      return b.offsetParent !== null;  // the table on a desktop, the cards on a phone
    });
  }
  function apply() {
    const f = form();
    if (!f) return;
    const action = f.querySelector("[name=action]").value;
    const field = f.querySelector("[name=field]").value;
    f.querySelectorAll("[data-bulk-for]").forEach(function (el) {
      el.hidden = el.dataset.bulkFor.split(" ").indexOf(action) < 0;
    });
    f.querySelectorAll("[data-field-for]").forEach(function (el) {
      el.hidden = action !== "set_field" || el.dataset.fieldFor.split(" ").indexOf(field === "admin_region" ? "region" : "choice") < 0 || !field;
    });
    const value = f.querySelector("[name=value]");
    if (value) {
      value.querySelectorAll("optgroup").forEach(function (group) {
        group.hidden = group.dataset.field !== field;
        group.disabled = group.dataset.field !== field;
      });
      const chosen = value.selectedOptions[0];
      if (chosen && chosen.parentElement.tagName === "OPTGROUP" && chosen.parentElement.disabled) value.value = "";
    }
    const count = document.querySelector("[data-selected-count]");
    if (count) count.textContent = String(new Set(boxes().filter(function (b) { return b.checked; }).map(function (b) { return b.value; })).size);
  }
  document.addEventListener("change", function (event) {
    const target = event.target;
    if (target.matches("[data-select-all]")) {
      boxes().forEach(function (b) { b.checked = target.checked; });
    }
    if (target.matches("#bulk-form select, input[name=ids], [data-select-all]")) {
      if (target.matches("input[name=ids]:checked")) {
        const selected = document.getElementById("bulk-scope-selected");
        if (selected) selected.checked = true;
      }
      apply();
    }
  });
  document.addEventListener("htmx:afterSwap", apply);
  document.addEventListener("DOMContentLoaded", apply);
  apply();
})();
