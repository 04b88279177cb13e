// Draws the pages' charts (bars, or chart.type) from the JSON they embed; each canvas has
// its text alternative (role="img", aria-label) and a table with the same numbers.
(function () {
  "use strict";
  function draw() {
    // #chart-data, and the sections' own #chart-data-NAME (e.g. a match's health).
    var sources = document.querySelectorAll('script[type="application/json"][id^="chart-data"]');
    if (!sources.length || typeof Chart === "undefined") return;
    var data = {};
    sources.forEach(function (source) {
      var part = JSON.parse(source.textContent);
      Object.keys(part).forEach(function (key) { data[key] = part[key]; });
    });
    var palette = ["#0b5cad", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490"];
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var chart = data[canvas.dataset.chart];
      if (!chart) return;
      var datasets = chart.datasets.map(function (set, i) {
        var colour = palette[i % palette.length];
        return { label: set.label, data: set.data, backgroundColor: colour, borderColor: colour };
      });
      new Chart(canvas, {
        type: chart.type || "bar",
        data: { labels: chart.labels, datasets: datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          scales: { x: { stacked: !!chart.stacked }, y: { stacked: !!chart.stacked, beginAtZero: true } },
        },
      });
      canvas.dataset.rendered = "true";
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
