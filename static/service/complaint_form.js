// The quality block of the complaint form shows only for quality complaints (the server checks it either way).
(function () {
  var category = document.getElementById("id_category");
  var block = document.querySelector("[data-quality-fields]");
  if (!category || !block) return;
  function toggle() { block.hidden = category.value !== "quality"; }
  category.addEventListener("change", toggle);
  toggle();
})();
