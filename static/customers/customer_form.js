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
  [nature, profile].forEach(function (el) { if (el) el.addEventListener("change", apply); });
  apply();
  // Open the first tab that has an error.
  const bad = form.querySelector(".tab-pane .invalid-feedback");
  if (bad && window.bootstrap) {
    const pane = bad.closest(".tab-pane");
    const button = form.querySelector('[data-bs-target="#' + pane.id + '"]');
    if (button) bootstrap.Tab.getOrCreateInstance(button).show();
  }
})();
