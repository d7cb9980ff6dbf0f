// The pipeline board: move an opportunity's card to another stage by HTML5 drag and drop, or
// with the keyboard (focus a card, then the left/right arrow keys). Each move is an htmx POST
// of the stage to the card's move URL; the server answers with the whole board (new columns,
// new sums), which replaces the old one. The "Move to" menus are plain htmx forms.
(function () {
  "use strict";
  var dragged = null;
  var refocus = null;

  function board() { return document.getElementById("pipeline-board"); }

  function move(card, column) {
    if (!card || !column || !window.htmx) { return; }
    var stage = column.dataset.stage;
    var from = card.closest(".pipeline-column");
    if (!stage || (from && from.dataset.stage === stage)) { return; }
    refocus = card.dataset.opportunity;
    window.htmx.ajax("POST", card.dataset.moveUrl, {
      source: card,
      target: "#pipeline-board",
      swap: "outerHTML",
      values: { stage: stage }
    });
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".pipeline-card[draggable=true]");
    if (!card) { return; }
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.opportunity);
    card.classList.add("opacity-50");
  });

  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("opacity-50"); }
    dragged = null;
    document.querySelectorAll(".pipeline-column.border-primary").forEach(function (c) {
      c.classList.remove("border-primary");
    });
  });

  document.addEventListener("dragover", function (event) {
    var column = dragged && event.target.closest && event.target.closest(".pipeline-column");
    if (!column || !column.dataset.stage) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("border-primary");
  });

  document.addEventListener("dragleave", function (event) {
    var column = event.target.closest && event.target.closest(".pipeline-column");
    if (column && !column.contains(event.relatedTarget)) { column.classList.remove("border-primary"); }
  });

  document.addEventListener("drop", function (event) {
    var column = dragged && event.target.closest && event.target.closest(".pipeline-column");
    if (!column) { return; }
    event.preventDefault();
    column.classList.remove("border-primary");
    move(dragged, column);
  });

  document.addEventListener("keydown", function (event) {
    var card = event.target.classList && event.target.classList.contains("pipeline-card") ? event.target : null;
    if (!card || !card.dataset.moveUrl) { return; }
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") { return; }
    var columns = Array.prototype.slice.call(document.querySelectorAll(".pipeline-column[data-stage]"))
      .filter(function (c) { return c.dataset.stage; });
    var index = columns.indexOf(card.closest(".pipeline-column"));
    var next = columns[index + (event.key === "ArrowRight" ? 1 : -1)];
    if (index < 0 || !next) { return; }
    event.preventDefault();
    move(card, next);
  });

  // A card moved from its menu keeps the focus too.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var card = event.target.closest && event.target.closest(".pipeline-card");
    if (card) { refocus = card.dataset.opportunity; }
  });

  document.addEventListener("htmx:afterSettle", function () {
    var current = board();
    if (!current) { return; }
    var id = refocus || current.dataset.moved;
    refocus = null;
    var card = id && current.querySelector('.pipeline-card[data-opportunity="' + id + '"]');
    if (card) { card.focus(); }
    var canvas = document.getElementById("chart-pipeline");
    if (canvas && window.Chart && window.salesmktChart) {
      var chart = window.Chart.getChart(canvas);
      if (chart) { chart.destroy(); }
      window.salesmktChart("chart-pipeline", "data-pipeline", canvas.dataset.chartType || "bar");
    }
  });
})();
