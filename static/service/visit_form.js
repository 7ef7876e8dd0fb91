// The visit form: the companion list filters as you type, and on a new customer's first visit in person
// the companion choice is marked required (and checked before the form is sent); a call needs no second rep.
(function () {
  "use strict";
  const form = document.getElementById("visit-form");
  if (!form) return;
  const search = document.getElementById("companion-search");
  if (search) {
    search.addEventListener("input", function () {
      const text = search.value.trim().toLowerCase();
      form.querySelectorAll("#companion-list .companion").forEach(function (row) {
        row.classList.toggle("d-none", text !== "" && !row.textContent.toLowerCase().includes(text));
      });
    });
  }
  const channel = form.querySelector("[name=channel]");
  const badge = document.getElementById("companion-required");
  const rule = document.getElementById("first-visit-rule");
  function needsTwo() {
    return form.dataset.firstVisit === "1" && channel && channel.value === channel.dataset.inPerson;
  }
  function show() {
    if (badge) badge.classList.toggle("d-none", !needsTwo());
    if (rule) rule.classList.toggle("alert-warning", needsTwo());
  }
  if (channel) channel.addEventListener("change", show);
  show();
  form.addEventListener("submit", function (event) {
    if (needsTwo() && !form.querySelector("[name=participants]:checked")) {
      event.preventDefault();
      if (rule) { rule.classList.add("alert-warning"); rule.scrollIntoView({block: "center"}); }
      if (search) search.focus();
    }
  });
})();
