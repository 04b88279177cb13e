// Draws the dashboard's charts from the JSON the page embeds (#chart-data); each canvas has
// its text alternative (role="img", aria-label) and a table with the same numbers.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("chart-data");
    if (!source || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var palette = ["#0b5cad", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490"];
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var chart = data[canvas.dataset.chart];
      if (!chart) return;
      var datasets = chart.datasets.map(function (set, i) {
        return { label: set.label, data: set.data, backgroundColor: palette[i % palette.length] };
      });
      new Chart(canvas, {
        type: "bar",
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
