// Draws the pass office's map of checkpoints from JSON embedded in the page, on the
// district outlines (maps.js): each checkpoint at its place, its symbol's size by the
// scans recorded there, green for valid scans and red for refused ones. The table beside it carries the same numbers,
// so nothing depends on this script; names are data, so tooltips go through text().
(function () {
  "use strict";
  function text(value) { return echarts.format.encodeHTML(String(value)); }
  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("scan-map");
    var source = document.getElementById("scan-map-data");
    if (!node || !source || !window.echarts || !window.SupplyMaps) { return; }
    var d = JSON.parse(source.textContent);
    var placed = d.places.filter(function (p) { return p.latitude !== null && p.longitude !== null; });
    var largest = placed.reduce(function (m, p) { return Math.max(m, p.scans); }, 1);
    function size(count) { return 8 + 32 * Math.sqrt(count / largest); }
    function points(key) {
      return placed.map(function (p) {
        return { name: p.code + " " + p.name, value: [p.longitude, p.latitude, p[key]], place: p };
      });
    }
    var chart = echarts.init(node, null, { renderer: "canvas" });
    window.addEventListener("resize", function () { chart.resize(); });
    SupplyMaps.draw(chart, {
      animation: false,
      aria: { enabled: true },
      tooltip: { formatter: function (x) {
        var p = x.data.place;
        return text(x.data.name) + "<br>" + text(d.labels.scans + ": " + p.scans) + "<br>" +
          text(d.labels.valid + ": " + p.valid + " · " + d.labels.refused + ": " + p.refused);
      } },
      legend: { bottom: 0 },
      mapTop: 10, mapBottom: 40,
      series: [
        { name: d.labels.valid, type: "scatter", data: points("valid"), z: 2,
          symbolSize: function (v) { return size(v[2]); },
          itemStyle: { color: "#1a8a4a", opacity: 0.7 } },
        { name: d.labels.refused, type: "scatter", data: points("refused"), z: 3,
          symbolSize: function (v) { return v[2] > 0 ? size(v[2]) : 0; },
          itemStyle: { color: "#d7263d", opacity: 0.7 } }
      ]
    });
  });
})();
