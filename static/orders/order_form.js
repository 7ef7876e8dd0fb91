// Order entry: product search in a datalist, lines added with Alt+N or Enter on the last price,
// the line amounts and the total shown as typed (the server computes them again; these are a preview).
(function () {
  const form = document.getElementById("order-form");
  if (!form) return;
  const rows = document.getElementById("line-rows");
  const options = document.getElementById("product-options");
  const total = form.querySelector("[name='lines-TOTAL_FORMS']");
  const known = {};
  let timer = null;

  function cents(value) { return Math.round(parseFloat(value || "0") * 100); }
  function fmt(c) { return (c / 100).toFixed(2); }

  function recompute() {
    let sum = 0;
    rows.querySelectorAll("tr.line").forEach(function (tr) {
      const qty = parseFloat(tr.querySelector(".line-qty").value || "0");
      const price = tr.querySelector(".line-price");
      const product = known[(tr.querySelector(".line-product").value || "").split(" ")[0]];
      if (product) {
        tr.querySelector(".line-name").textContent = product.name + " " + product.specification + " / " + product.unit;
        if (!price.value) price.placeholder = product.price;
      }
      const amount = Math.round(qty * cents(price.value || price.placeholder));
      tr.querySelector(".line-amount").textContent = amount ? fmt(amount) : "";
      sum += amount;
    });
    document.getElementById("order-total").textContent = fmt(sum);
  }

  function search(term) {
    fetch(form.dataset.products + "?q=" + encodeURIComponent(term), {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        options.innerHTML = "";
        data.products.forEach(function (p) {
          known[p.code] = p;
          const opt = document.createElement("option");
          opt.value = p.code;
          opt.label = p.name + " " + p.specification + " ¥" + p.price;
          options.appendChild(opt);
        });
        recompute();
      });
  }

  function renumber() {
    const lines = rows.querySelectorAll("tr.line");
    lines.forEach(function (tr, i) {
      tr.querySelectorAll("input").forEach(function (input) {
        input.name = input.name.replace(/lines-(\d+|__prefix__)-/, "lines-" + i + "-");
      });
    });
    total.value = lines.length;
  }

  function addLine() {
    const tpl = document.getElementById("line-template").content.cloneNode(true);
    rows.appendChild(tpl);
    renumber();
    const last = rows.querySelectorAll("tr.line");
    last[last.length - 1].querySelector(".line-product").focus();
  }

  document.getElementById("add-line").addEventListener("click", addLine);
  rows.addEventListener("click", function (e) {
    if (e.target.classList.contains("remove-line") && rows.querySelectorAll("tr.line").length > 1) {
      e.target.closest("tr").remove();
      renumber();
      recompute();
    }
  });
  rows.addEventListener("input", function (e) {
    if (e.target.classList.contains("line-product")) {
      clearTimeout(timer);
      const term = e.target.value;
      timer = setTimeout(function () { search(term); }, 150);
    }
    recompute();
  });
  form.addEventListener("keydown", function (e) {
    if (e.altKey && (e.key === "n" || e.key === "N")) { e.preventDefault(); addLine(); return; }
    if (e.key === "Enter" && e.target.classList && e.target.classList.contains("line-price")) {
      const lines = rows.querySelectorAll("tr.line");
      if (e.target.closest("tr") === lines[lines.length - 1]) { e.preventDefault(); addLine(); }
    } else if (e.key === "Enter" && e.target.tagName === "INPUT" && e.target.closest("#line-rows")) {
      e.preventDefault();  // Enter moves on within a line instead of submitting half an order
      const inputs = Array.from(e.target.closest("tr").querySelectorAll("input"));
      const next = inputs[inputs.indexOf(e.target) + 1];
      if (next) next.focus();
    }
  });
  search("");
})();
