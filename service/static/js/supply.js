// Draws the supply network's map of producers from JSON embedded in the page, on the
// district outlines (maps.js): one layer per kind, which the legend toggles, the symbol's
// size by capacity. The table beside it carries the same numbers,
// so nothing depends on this script. ECharts puts a tooltip formatter's string into the
// page as HTML and names are data, so every value in the tooltip goes through text().
(function () {
  "use strict";
  function text(value) { return echarts.format.encodeHTML(String(value)); }
  var KIND_COLOURS = {
    livestock_farm: "#8e44ad", vegetable_grower: "#1a8a4a", grain_mill: "#b8860b",
    edible_oil_plant: "#e67e22", wholesaler: "#0b5cad", other: "#6e7781"
  };
  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("producer-map");
    var source = document.getElementById("producer-map-data");
    if (!node || !source || !window.echarts || !window.SupplyMaps) { return; }
    var d = JSON.parse(source.textContent);
    var largest = d.producers.reduce(function (m, p) { return Math.max(m, p.capacity); }, 1);
    var groups = {};
    d.producers.forEach(function (p) {
      (groups[p.kind] = groups[p.kind] || []).push({
        name: p.code + " " + p.name, value: [p.lon, p.lat, p.capacity], region: p.region
      });
    });
    var series = Object.keys(KIND_COLOURS).filter(function (k) { return groups[k]; })
      .map(function (k) {
        return { name: d.kinds[k] || k, type: "scatter", data: groups[k],
                 symbolSize: function (v) { return 4 + 16 * Math.sqrt(v[2] / largest); },
                 z: 2, itemStyle: { color: KIND_COLOURS[k], opacity: 0.75 } };
      });
    if (d.places && d.places.length) {
      series.push({ name: d.place_label, type: "scatter", symbol: "diamond", symbolSize: 14, z: 3,
                    itemStyle: { color: "#d7263d", borderColor: "#1b1f24", borderWidth: 0.5 },
                    data: d.places.map(function (x) { return { name: x.name, value: [x.lon, x.lat] }; }) });
    }
    var chart = echarts.init(node, null, { renderer: "canvas" });
    window.addEventListener("resize", function () { chart.resize(); });
    SupplyMaps.draw(chart, {
      animation: false,
      aria: { enabled: true },
      tooltip: { formatter: function (p) {
        var v = p.data.value;
        return text(p.data.name) + "<br>" + text(p.seriesName) +
          (v.length > 2 ? " · " + text(d.capacity_label + " " + v[2].toLocaleString()) : "");
      } },
      legend: { bottom: 0, type: "scroll" },
      mapTop: 10, mapBottom: 40,
      series: series
    });
  });
})();
