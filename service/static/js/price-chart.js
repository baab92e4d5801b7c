// Draws a product's published prices (bulletin/product.html): the city-wide average as a
// line over a band from the lowest to the highest outlet (two stacked areas, the lower one
// invisible). The table under it has the same numbers, so nothing depends on this script.
// Tooltip text goes into the page as HTML: every value passes through text().
(function () {
  "use strict";
  function text(value) { return echarts.format.encodeHTML(String(value)); }
  function money(value) { return value === null ? "–" : "¥" + value.toFixed(2); }

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("price-chart");
    var source = document.getElementById("price-chart-data");
    if (!node || !source || !window.echarts) { return; }
    var d = JSON.parse(source.textContent);
    var spread = d.low.map(function (low, i) {
      var high = d.high[i];
      return low === null || high === null ? null : Math.round((high - low) * 10000) / 10000;
    });
    var chart = echarts.init(node, null, { renderer: "canvas" });
    window.addEventListener("resize", function () { chart.resize(); });
    chart.setOption({
      animation: false,
      aria: { enabled: true },
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var i = items[0].dataIndex;
          return text(d.points[i]) + "<br>" + text(d.labels.average) + ": " + money(d.average[i]) +
            "<br>" + text(d.labels.range) + ": " + money(d.low[i]) + " – " + money(d.high[i]);
        }
      },
      // The legend's row, then the axis's unit below it (at top: 35 the unit ran into the
      // legend on a phone); room on the right for the last day's label.
      legend: { top: 0, data: [d.labels.average, d.labels.range] },
      grid: { left: 55, right: 40, top: 55, bottom: 40 },
      xAxis: { type: "category", data: d.points, boundaryGap: false },
      yAxis: { type: "value", scale: true, name: "¥/" + d.unit },
      series: [
        { name: "low", type: "line", data: d.low, stack: "range", symbol: "none", silent: true,
          lineStyle: { opacity: 0 } },
        { name: d.labels.range, type: "line", data: spread, stack: "range", symbol: "none",
          silent: true, lineStyle: { opacity: 0 }, itemStyle: { color: "#9dbfe3" },
          areaStyle: { color: "rgba(11, 92, 173, 0.2)" } },
        { name: d.labels.average, type: "line", data: d.average, symbolSize: 6,
          itemStyle: { color: "#0b5cad" }, lineStyle: { width: 2.5 } }
      ]
    });
  });
})();
