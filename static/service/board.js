// The opportunity board: a card dropped on its next or previous stage submits the card's own move form
// (a plain POST, as its buttons do); other columns refuse the drop. Native HTML5 drag and drop, no library.
(function () {
  "use strict";
  let dragged = null;

  function allowed(column) {
    if (!dragged || !column || !column.dataset.drop) return false;
    const stage = column.dataset.stage;
    return stage === dragged.dataset.next || stage === dragged.dataset.previous;
  }

  document.querySelectorAll(".opportunity-board [draggable=true]").forEach(function (card) {
    card.addEventListener("dragstart", function (event) {
      dragged = card;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.dataset.testid || "");
      card.classList.add("opacity-50");
    });
    card.addEventListener("dragend", function () {
      card.classList.remove("opacity-50");
      document.querySelectorAll(".board-column").forEach(function (c) { c.classList.remove("border-primary"); });
      dragged = null;
    });
  });

  document.querySelectorAll(".opportunity-board .board-column").forEach(function (column) {
    column.addEventListener("dragover", function (event) {
      if (allowed(column)) {
        event.preventDefault();
        column.classList.add("border-primary");
      }
    });
    column.addEventListener("dragleave", function () { column.classList.remove("border-primary"); });
    column.addEventListener("drop", function (event) {
      if (!allowed(column)) return;
      event.preventDefault();
      const form = dragged.querySelector("form.board-move");
      const stage = document.createElement("input");
      stage.type = "hidden";
      stage.name = "stage";
      stage.value = column.dataset.stage;
      form.appendChild(stage);
      column.appendChild(dragged);
      form.submit();
    });
  });
})();
