// Dashboard charts; the data comes from json_script blocks rendered by the server.
(function () {
  function data(id) { return JSON.parse(document.getElementById(id).textContent); }
  function chart(canvasId, dataId, type) {
    var d = data(dataId);
    var canvas = document.getElementById(canvasId);
    if (!canvas || !window.Chart) { return; }
    new window.Chart(canvas, {
      type: type,
      data: { labels: d.labels, datasets: [{ data: d.values, backgroundColor: ["#0d6efd", "#6610f2", "#20c997", "#fd7e14", "#dc3545", "#6c757d"] }] },
      options: { maintainAspectRatio: false, plugins: { legend: { display: type !== "bar" } }, scales: type === "bar" ? { y: { beginAtZero: true, ticks: { precision: 0 } } } : {} }
    });
  }
  chart("chart-customers", "data-customers", "bar");
  chart("chart-items", "data-items", "doughnut");
})();
