// One way to draw the UI's charts: data from a json_script block, drawn with Chart.js.
window.salesmktChart = function (canvasId, dataId, type) {
  var canvas = document.getElementById(canvasId);
  var source = document.getElementById(dataId);
  if (!canvas || !source || !window.Chart) { return; }
  var d = JSON.parse(source.textContent);
  return new window.Chart(canvas, {
    type: type,
    data: { labels: d.labels, datasets: [{ data: d.values.map(Number), backgroundColor: ["#0d6efd", "#20c997", "#dc3545", "#6c757d", "#fd7e14", "#6610f2"] }] },
    options: { maintainAspectRatio: false, plugins: { legend: { display: type !== "bar" } }, scales: type === "bar" ? { y: { beginAtZero: true } } : {} }
  });
};
