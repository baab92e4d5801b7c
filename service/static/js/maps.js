// Draws the pages' maps on the district outlines: /maps/districts.geojson is loaded once per
// page (the browser revalidates it by its ETag), registered with ECharts as "districts",
// and every layer (stores, compounds, producers, routes) is drawn on it in longitude and
// latitude. Without outlines the layers are drawn on a blank box around their points.
// District names are drawn on the canvas (text, not HTML); the pages' tooltips escape.
(function () {
  "use strict";
  var loading = null;

  function outlines() {
    if (!loading) {
      loading = window.fetch("/maps/districts.geojson", {
        credentials: "same-origin", headers: { Accept: "application/geo+json" }
      }).then(function (response) { return response.ok ? response.json() : null; })
        .catch(function () { return null; });
    }
    return loading;
  }

  function positions(series) {
    var found = [];
    series.forEach(function (s) {
      (s.data || []).forEach(function (item) {
        if (item && item.coords) {
          item.coords.forEach(function (c) { found.push(c); });
        } else {
          var v = item && item.value ? item.value : item;
          if (v && typeof v[0] === "number" && typeof v[1] === "number") { found.push(v); }
        }
      });
    });
    return found;
  }

  function rings(feature) {
    var g = feature.geometry || {};
    if (g.type === "Polygon") { return g.coordinates; }
    if (g.type === "MultiPolygon") { return [].concat.apply([], g.coordinates); }
    return [];
  }

  // West, south, east, north of the points and outlines, a little padded.
  function extent(series, features) {
    var all = positions(series);
    features.forEach(function (f) {
      rings(f).forEach(function (ring) { all = all.concat(ring); });
    });
    if (!all.length) { return null; }
    var box = [Infinity, Infinity, -Infinity, -Infinity];
    all.forEach(function (p) {
      box[0] = Math.min(box[0], p[0]); box[1] = Math.min(box[1], p[1]);
      box[2] = Math.max(box[2], p[0]); box[3] = Math.max(box[3], p[1]);
    });
    var pad = Math.max(box[2] - box[0], box[3] - box[1], 0.01) * 0.03;
    return [box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad];
  }

  function localName(properties) {
    var zh = document.documentElement.lang.slice(0, 2) === "zh";
    return (zh && properties.name_zh) || properties.name || properties.code || "";
  }

  // Set ``option`` (series without a coordinate system) on ``chart`` over the outlines.
  function draw(chart, option) {
    outlines().then(function (collection) {
      var features = (collection && Array.isArray(collection.features)) ? collection.features : [];
      var box = extent(option.series, features);
      if (!box) { return; }
      var drawn = features.length ? features : [{
        type: "Feature", properties: { code: "", name: "" },
        geometry: { type: "Polygon", coordinates: [[[box[0], box[1]], [box[2], box[1]],
          [box[2], box[3]], [box[0], box[3]], [box[0], box[1]]]] }
      }];
      echarts.registerMap("districts", { type: "FeatureCollection", features: drawn });
      var names = {};
      drawn.forEach(function (f) { names[f.properties.code] = localName(f.properties); });
      option.geo = {
        map: "districts", nameProperty: "code", nameMap: names, roam: true, silent: true,
        boundingCoords: [[box[0], box[3]], [box[2], box[1]]],
        top: option.mapTop || 36, bottom: option.mapBottom || 36, left: 10, right: 10,
        label: { show: features.length > 0, color: "#5a6673", fontSize: 11 },
        itemStyle: features.length
          ? { areaColor: "#f4f6f8", borderColor: "#5a6673", borderWidth: 1 }
          : { areaColor: "#fbfcfd", borderColor: "#d0d6dc", borderWidth: 1 }
      };
      delete option.mapTop; delete option.mapBottom;
      option.series.forEach(function (s) { s.coordinateSystem = "geo"; });
      chart.setOption(option);
      chart.getDom().setAttribute("data-districts", String(features.length));
    });
  }

  window.SupplyMaps = { draw: draw };
})();
