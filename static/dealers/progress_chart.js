// Plan against actual per region and tier, from the JSON the page embeds; ECharts is vendored (no CDN).
(function () {
  var holder = document.getElementById("progress-chart");
  var data = document.getElementById("progress-data");
  if (!holder || !data || !window.echarts) return;
  var chart = JSON.parse(data.textContent);
  var drawn = echarts.init(holder, null, { renderer: "canvas" });
  drawn.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { data: [chart.labels.plan, chart.labels.actual] },
    grid: { left: 60, right: 20, bottom: 60, containLabel: true },
    xAxis: { type: "category", data: chart.categories, axisLabel: { interval: 0, rotate: chart.categories.length > 6 ? 30 : 0 } },
    yAxis: { type: "value" },
    series: [
      { name: chart.labels.plan, type: "bar", data: chart.plan },
      { name: chart.labels.actual, type: "bar", data: chart.actual }
    ]
  });
  holder.dataset.drawn = "1";
  window.addEventListener("resize", function () { drawn.resize(); });
})();
