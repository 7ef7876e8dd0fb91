// Hides catalogue fields that do not apply to the chosen nature and profile (applies_to column).
(function () {
  const form = document.getElementById("customer-form");
  if (!form) return;
  const nature = form.querySelector("[name=customer_nature]");
  const profile = form.querySelector("[name=profile_type]");
  function kinds() {
    const k = new Set();
    if (nature && nature.value === "individual") k.add("individual");
    else if (nature && nature.value) k.add("company");
    if (profile && (profile.value === "retail" || profile.value === "dealer")) k.add(profile.value);
    return k;
  }
  function apply() {
    const k = kinds();
    form.querySelectorAll("[data-applies]").forEach(function (input) {
      const wanted = input.dataset.applies;
      const show = wanted === "all" || wanted.split(" ").some(function (w) { return k.has(w); });
      const box = input.closest(".catalogue-field");
      if (box) box.hidden = !show;
    });
  }
  // Required fields: each tab shows how many of its required fields (that apply) are still empty, and the
  // rep is told which before the form is sent, not after.
  function isEmpty(input) {
    if (input.type === "checkbox") return false;
    const source = input.dataset.defaultFrom && form.querySelector("[name=" + input.dataset.defaultFrom + "]");
    if (source && String(source.value || "").trim()) return false;  // the server fills it in from that field
    if (input.type === "file") return !input.files.length && !input.closest(".catalogue-field").querySelector("a");
    if (input.multiple) return !input.selectedOptions.length;
    return !String(input.value || "").trim();
  }
  function missing() {
    const byTab = {};
    form.querySelectorAll(".tab-pane [data-required]").forEach(function (input) {
      const box = input.closest(".catalogue-field");
      if (box && box.hidden) return;
      const pane = input.closest(".tab-pane");
      (byTab[pane.id] = byTab[pane.id] || []).push(input);
    });
    Object.keys(byTab).forEach(function (id) { byTab[id] = byTab[id].filter(isEmpty); });
    return byTab;
  }
  function count() {
    const byTab = missing();
    form.querySelectorAll("[data-bs-target]").forEach(function (button) {
      const badge = button.querySelector("[data-missing-count]");
      if (!badge) return;
      const n = (byTab[button.dataset.bsTarget.slice(1)] || []).length;
      badge.textContent = n;
      badge.dataset.missingCount = n;
      badge.hidden = n === 0;
    });
    return byTab;
  }
  const notice = document.querySelector("[data-testid=missing-before-submit]");
  form.addEventListener("input", count);
  form.addEventListener("change", count);
  form.addEventListener("submit", function (event) {
    const byTab = count();
    const tabs = Array.from(form.querySelectorAll("[data-bs-target]")).filter(function (b) {
      return (byTab[b.dataset.bsTarget.slice(1)] || []).length;
    });
    if (!tabs.length) { if (notice) notice.hidden = true; return; }
    event.preventDefault();
    event.stopImmediatePropagation();  // no wait spinner: nothing is sent
    const parts = tabs.map(function (b) {
      return form.dataset.missingTab.replace("{tab}", b.dataset.label)
        .replace("{n}", byTab[b.dataset.bsTarget.slice(1)].length);
    });
    if (notice) {
      notice.textContent = form.dataset.missingMessage + " " + parts.join("；");
      notice.hidden = false;
    }
    Object.values(byTab).forEach(function (inputs) { inputs.forEach(function (i) { i.classList.add("is-invalid"); }); });
    if (window.bootstrap) bootstrap.Tab.getOrCreateInstance(tabs[0]).show();
    const first = byTab[tabs[0].dataset.bsTarget.slice(1)][0];
    setTimeout(function () { first.focus(); }, 200);
  }, true);
  form.addEventListener("input", function (event) {
    if (event.target.classList && !isEmpty(event.target)) event.target.classList.remove("is-invalid");
  });
  [nature, profile].forEach(function (el) { if (el) el.addEventListener("change", apply); });
  apply();
  count();
  // Open the first tab that has an error.
  const bad = form.querySelector(".tab-pane .invalid-feedback");
  if (bad && window.bootstrap) {
    const pane = bad.closest(".tab-pane");
    const button = form.querySelector('[data-bs-target="#' + pane.id + '"]');
    if (button) bootstrap.Tab.getOrCreateInstance(button).show();
  }
})();
