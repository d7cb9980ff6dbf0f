// Dashboard charts.
window.salesmktChart("chart-customers", "data-customers", "bar");
window.salesmktChart("chart-items", "data-items", "doughnut");
window.salesmktChart("chart-pipeline", "data-pipeline", "bar");
