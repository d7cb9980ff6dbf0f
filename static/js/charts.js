// One way to draw the UI's charts: data from a json_script block, drawn with Chart.js.
// A page marks a canvas with data-chart="<id of the json_script block>" and
// data-chart-type="bar|doughnut|line"; every such canvas is drawn when this script loads (it is
// included at the end of the page), so no page needs inline script.
// The data is {labels, values} (one dataset) or {labels, datasets: [{label, values}], stepped}
// (several, e.g. a line chart of cumulative demand against cumulative supply).
window.salesmktChart = function (canvasId, dataId, type) {
  var canvas = document.getElementById(canvasId);
  var source = document.getElementById(dataId);
  if (!canvas || !source || !window.Chart) { return; }
  var d = JSON.parse(source.textContent);
  var palette = ["#0d6efd", "#20c997", "#dc3545", "#6c757d", "#fd7e14", "#6610f2"];
  var datasets = d.datasets
    ? d.datasets.map(function (set, i) {
        var colour = palette[i % palette.length];
        return { label: set.label, data: set.values.map(Number), borderColor: colour, backgroundColor: colour, stepped: d.stepped || false, fill: false, tension: 0 };
      })
    : [{ data: d.values.map(Number), backgroundColor: palette }];
  var axes = type === "bar" || d.datasets ? { y: { beginAtZero: !d.datasets } } : {};
  return new window.Chart(canvas, {
    type: type,
    data: { labels: d.labels, datasets: datasets },
    // Numbers (axes, tooltips) in the page's language, e.g. 12 345,50 in Norwegian.
    options: { locale: document.documentElement.lang || undefined, maintainAspectRatio: false, plugins: { legend: { display: type !== "bar" || !!d.datasets } }, scales: axes }
  });
};

document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
  window.salesmktChart(canvas.id, canvas.dataset.chart, canvas.dataset.chartType || "bar");
});
