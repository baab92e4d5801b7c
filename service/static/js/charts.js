// Draws the pages' ECharts from JSON embedded in the page; the dashboard's store map fetches
// its points from the URL its JSON names (the browser revalidates them by their ETag).
// Every chart also has a table beside it, so nothing depends on this script.
// ECharts puts a tooltip formatter's string into the page as HTML, and names are data
// anyone with a write role can set: every value in a tooltip goes through text().
(function () {
  "use strict";
  function text(value) { return echarts.format.encodeHTML(String(value)); }
  var STATUS_COLOURS = {
    stocked_out: "#7f0015", critical: "#d7263d", low: "#f0a202", adequate: "#2e8b57",
    overstocked: "#1f6fb2", no_demand: "#8a939c", unknown: "#b8c0c8"
  };
  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  function chart(id) {
    var node = document.getElementById(id);
    if (!node || !window.echarts) { return null; }
    var instance = echarts.init(node, null, { renderer: "canvas" });
    window.addEventListener("resize", function () { instance.resize(); });
    return instance;
  }

  // Each cell is coloured by its status, which the monitor worked out from the category's own
  // bands (vegetables are critical below 1 day, grain below 3): one absolute scale of days
  // would paint 2.8 days of vegetables red while the table calls them adequate.
  // Seven status words do not fit in one row on a phone: there the colour legend is the
  // page's own (HTML, wrapping) and the chart keeps its width for the cells and points.
  function wide(instance) { return instance.getWidth() >= 640; }

  function heatmap() {
    var d = data("heatmap-data"), c = chart("heatmap");
    if (!d || !c) { return; }
    function days(v) { return v === null ? "–" : v.toFixed(1) + " " + d.labels.days; }
    function bands(b) {
      if (!b) { return ""; }
      return text(d.labels.critical_below + " " + b.critical_below + " · " +
                  d.labels.low_below + " " + b.low_below + " · " +
                  d.labels.overstocked_above + " " + b.overstocked_above + " " + d.labels.days);
    }
    c.setOption({
      animation: false,
      aria: { enabled: true },
      tooltip: {
        formatter: function (p) {
          var category = d.categories[p.value[0]];
          return text(d.districts[p.value[1]].name) + " · " + text(category.name) + "<br>" +
            text(days(p.value[2])) + " · " + text(d.words[p.value[3]] || p.value[3]) +
            "<br><span class=\"muted\">" + bands(category.bands) + "</span>";
        }
      },
      grid: { left: 90, right: 10, top: 10, bottom: wide(c) ? 90 : 60 },
      xAxis: { type: "category", data: d.categories.map(function (x) { return x.name; }),
               axisLabel: { rotate: 30 } },
      yAxis: { type: "category", data: d.districts.map(function (x) { return x.name; }) },
      visualMap: { type: "piecewise", dimension: 4, orient: "horizontal", left: "center", show: wide(c),
                   bottom: 0, itemGap: 6,
                   pieces: d.statuses.map(function (s, i) {
                     return { value: i, label: d.words[s] || s, color: STATUS_COLOURS[s] };
                   }) },
      series: [{ type: "heatmap", itemStyle: { borderColor: "#fff", borderWidth: 1 },
                 data: d.cells,
                 label: { show: true, color: "#fff", formatter: function (p) {
                   return p.value[2] === null ? "–" : p.value[2].toFixed(1); } } }]
    });
    c.on("click", function (p) {
      if (p.componentType !== "series") { return; }
      window.location.href = "/dashboard/district/" + encodeURIComponent(d.districts[p.value[1]].code);
    });
  }

  // Layers the legend toggles: stores (coloured by their worst product status, which the
  // colour legend below filters) over locked-down compounds, drawn smaller, paler and
  // beneath, so 232 compounds never hide a store.
  function storeMap() {
    var d = data("store-map-data"), c = chart("store-map");
    if (!d || !c || !window.SupplyMaps) { return; }
    window.fetch(d.points, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (points) { if (points) { drawStores(c, d, points); } });
  }

  function drawStores(c, d, points) {
    d.stores = points.stores; d.compounds = points.compounds;
    var order = Object.keys(STATUS_COLOURS);
    var series = [{
      name: d.layers.stores, type: "scatter", z: 3, symbolSize: 10,
      itemStyle: { borderColor: "#1b1f24", borderWidth: 0.6 },
      data: d.stores.map(function (s) {
        return { name: s.name, value: [s.lon, s.lat, Math.max(order.indexOf(s.status), 0), s.below],
                 symbol: s.reported ? "circle" : "triangle", status: s.status, reported: s.reported };
      })
    }];
    var layers = [d.layers.stores];
    if (d.compounds && d.compounds.length) {
      series.push({ name: d.layers.compounds, type: "scatter", z: 2, symbol: "diamond", symbolSize: 7,
                    itemStyle: { color: "#6d597a", opacity: 0.55 },
                    data: d.compounds.map(function (x) {
                      return { name: x.name, value: [x.lon, x.lat], compound: true };
                    }) });
      layers.push(d.layers.compounds);
    }
    SupplyMaps.draw(c, {
      animation: false,
      aria: { enabled: true },
      tooltip: { formatter: function (p) {
        if (p.data.compound) { return text(p.data.name) + "<br>" + text(p.seriesName); }
        return text(p.data.name) + "<br>" + text(d.statuses[p.data.status] || p.data.status) +
          " · " + text(p.data.reported ? d.labels["reported"] : d.labels["not reported"]);
      } },
      legend: { top: 0, data: layers },
      visualMap: { type: "piecewise", seriesIndex: 0, dimension: 2, orient: "horizontal", show: wide(c),
                   left: "center", bottom: 0, itemGap: 6,
                   pieces: order.map(function (k, i) {
                     return { value: i, label: d.statuses[k] || k, color: STATUS_COLOURS[k] };
                   }) },
      mapBottom: wide(c) ? 60 : 20,
      series: series
    });
  }

  function history() {
    var d = data("history-data"), c = chart("history");
    if (!d || !c) { return; }
    var days = d.points.map(function (p) { return p.date; });
    function line(key, name, axis) {
      return { name: name, type: "line", yAxisIndex: axis, showSymbol: false,
               data: d.points.map(function (p) { return p[key]; }) };
    }
    // The legend has the top to itself and the y axes' names a band of their own below it:
    // at top: 30 the legend was drawn over the names, and on a phone its four names wrap to
    // a second row that covered the plot.
    var top = wide(c) ? 55 : 80;
    c.setOption({
      animation: false,
      aria: { enabled: true },
      tooltip: { trigger: "axis" },
      legend: { top: 0, left: "center" },
      grid: [{ left: 55, right: 55, top: top, height: "34%" }, { left: 55, right: 55, top: "62%", bottom: 30 }],
      xAxis: [{ type: "category", data: days, gridIndex: 0, axisLabel: { show: false } },
              { type: "category", data: days, gridIndex: 1 }],
      yAxis: [{ type: "value", name: d.labels.days, gridIndex: 0 },
              { type: "value", name: d.labels.price, gridIndex: 0, scale: true },
              { type: "value", name: d.labels.stock, gridIndex: 1 }],
      series: [
        line("days_of_supply", d.labels.days, 0),
        line("price", d.labels.price, 1),
        Object.assign(line("stock", d.labels.stock, 2), { xAxisIndex: 1 }),
        Object.assign(line("expected_daily_sales", d.labels.sales, 2), { xAxisIndex: 1 })
      ]
    });
  }

  var ROUTE_COLOURS = ["#0b5cad", "#d7263d", "#1a8a4a", "#8e44ad", "#e67e22", "#16a085",
    "#c0392b", "#2c3e50", "#b8860b", "#ff1493", "#006d77", "#6d597a"];

  // Each truck's route is one layer (a path and its stops, toggled together by the legend),
  // over the depots and the compounds no truck could take.
  function routeMap() {
    var d = data("route-map-data"), c = chart("route-map");
    if (!d || !c || !window.SupplyMaps) { return; }
    function at(code) { var p = d.places[code]; return p ? [p.lon, p.lat] : null; }
    function place(code) { var p = d.places[code]; return (p && p.name) || code; }
    var series = [];
    d.routes.forEach(function (route, i) {
      var colour = ROUTE_COLOURS[i % ROUTE_COLOURS.length];
      var name = d.truck_label + " " + route.truck;
      var points = [at(route.depot)].concat(route.stops.map(at))
        .concat([at(route.depot)]).filter(function (p) { return p; });
      series.push({ name: name, type: "lines", polyline: true, z: 2,
                    lineStyle: { width: 2.5, color: colour, opacity: 0.9 },
                    data: [{ name: name, coords: points }] });
      series.push({ name: name, type: "scatter", symbolSize: 8, z: 3, itemStyle: { color: colour },
                    data: route.stops.filter(at).map(function (k, n) {
                      return { name: place(k), value: at(k), stop: n + 1 };
                    }) });
    });
    var depots = {};
    d.routes.forEach(function (route) { depots[route.depot] = at(route.depot); });
    series.push({ name: d.depot_label, type: "scatter", symbol: "rect", symbolSize: 14, z: 4,
                  itemStyle: { color: "#1b1f24" },
                  data: Object.keys(depots).filter(function (k) { return depots[k]; })
                    .map(function (k) { return { name: place(k), value: depots[k] }; }) });
    if (d.unassigned.length) {
      series.push({ name: d.unassigned_label, type: "scatter", symbol: "triangle", symbolSize: 11, z: 4,
                    itemStyle: { color: "#8a939c", borderColor: "#1b1f24", borderWidth: 0.5 },
                    data: d.unassigned.filter(at).map(function (k) { return { name: place(k), value: at(k) }; }) });
    }
    SupplyMaps.draw(c, {
      animation: false,
      aria: { enabled: true },
      tooltip: { trigger: "item", formatter: function (p) {
        var stop = p.data && p.data.stop ? " · " + text(d.stop_label + " " + p.data.stop) : "";
        return text(p.seriesName) + (p.name && p.name !== p.seriesName ? "<br>" + text(p.name) : "") + stop; } },
      legend: { bottom: 0, type: "scroll" },
      mapBottom: 40,
      series: series
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    heatmap(); storeMap(); history(); routeMap();
  });
})();
