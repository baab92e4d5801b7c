"""The bureau reads its maps on the districts: outlines drawn under the points, layers it can
hide and show from the legend, and a heatmap coloured by each category's own bands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.service.browser.conftest import DESKTOP, PHONE, LiveServer, wait_until

LANGUAGES = [
    ("en-GB", "Xinhua", "Stores", "Locked-down compounds"),
    ("zh-CN", "新华区", "门店", "封控小区"),
]

DRAWN = """
(id) => {
  const node = document.getElementById(id);
  return !!node && node.getAttribute("data-districts") !== null;
}
"""

MAP_STATE = """
(id) => {
  const chart = echarts.getInstanceByDom(document.getElementById(id));
  const option = chart.getOption();
  const map = echarts.getMap("districts");
  return {
    geo: option.geo[0].map,
    features: map.geoJSON.features.length,
    names: Object.values(option.geo[0].nameMap),
    layers: option.legend.length ? (option.legend[0].data || []).map((x) => x.name || x) : [],
    selected: option.legend.length ? option.legend[0].selected : {},
    series: option.series.map((s) => [s.name, s.coordinateSystem, s.data.length]),
    z: Object.fromEntries(option.series.map((s) => [s.name, s.z])),
  };
}
"""

LEGEND_TEXT = """
([id, label]) => {
  const chart = echarts.getInstanceByDom(document.getElementById(id));
  const element = chart.getZr().storage.getDisplayList()
    .find((e) => e.style && e.style.text === label);
  if (!element) { return null; }
  const rect = element.getBoundingRect().clone();
  if (element.transform) { rect.applyTransform(element.transform); }
  const box = chart.getDom().getBoundingClientRect();
  return {x: box.left + rect.x + rect.width / 2, y: box.top + rect.y + rect.height / 2};
}
"""

HEATMAP_COLOURS = """
() => {
  const chart = echarts.getInstanceByDom(document.getElementById("heatmap"));
  const data = chart.getModel().getSeriesByIndex(0).getData();
  const cells = JSON.parse(document.getElementById("heatmap-data").textContent).cells;
  return cells.map((cell, i) => [cell[3], cell[2], data.getItemVisual(i, "style").fill]);
}
"""

SHOW_FIRST_CELL = """
() => echarts.getInstanceByDom(document.getElementById("heatmap")).dispatchAction(
  {type: "showTip", seriesIndex: 0, dataIndex: 0})
"""

STATUS_COLOURS = {
    "stocked_out": "#7f0015",
    "critical": "#d7263d",
    "low": "#f0a202",
    "adequate": "#2e8b57",
    "overstocked": "#1f6fb2",
    "no_demand": "#8a939c",
    "unknown": "#b8c0c8",
}


def click_legend(page: Any, chart: str, label: str) -> None:
    point = page.evaluate(LEGEND_TEXT, [chart, label])
    assert point is not None, f"no legend entry {label!r} on #{chart}"
    page.mouse.click(point["x"], point["y"])
    page.wait_for_timeout(200)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize(("locale", "district", "stores", "compounds"), LANGUAGES)
def test_the_dashboard_map_draws_the_districts_and_toggles_the_compounds_layer(
    open_page: Any,
    live_server: LiveServer,
    screenshots: Path,
    viewport: dict[str, int],
    locale: str,
    district: str,
    stores: str,
    compounds: str,
) -> None:
    page = open_page("bureau", viewport, locale)
    page.goto(live_server.url + "/dashboard")
    wait_until(page, DRAWN, "store-map")
    state = page.evaluate(MAP_STATE, "store-map")
    assert state["geo"] == "districts" and state["features"] == 10
    assert district in state["names"]
    assert state["layers"] == [stores, compounds]
    assert all(system == "geo" for _, system, _ in state["series"])
    assert state["z"][stores] > state["z"][compounds]  # compounds never cover a store
    assert page.locator("#store-map-legend").is_visible()

    page.locator("#store-map").scroll_into_view_if_needed()
    size = "phone" if viewport == PHONE else "desktop"
    page.locator("#store-map").screenshot(path=screenshots / f"store-map-{locale}-{size}.png")
    click_legend(page, "store-map", compounds)
    hidden = page.evaluate(MAP_STATE, "store-map")["selected"]
    assert hidden[compounds] is False and hidden.get(stores, True) is True
    click_legend(page, "store-map", compounds)
    assert page.evaluate(MAP_STATE, "store-map")["selected"][compounds] is True


def test_heatmap_cells_take_the_colour_of_the_status_the_table_shows(
    open_page: Any, live_server: LiveServer, screenshots: Path
) -> None:
    page = open_page("bureau")
    page.goto(live_server.url + "/dashboard")
    page.locator("#heatmap canvas").first.wait_for()
    page.locator("#heatmap").screenshot(path=screenshots / "heatmap-en-GB-desktop.png")
    cells = page.evaluate(HEATMAP_COLOURS)
    assert cells, "the heatmap has no cells"
    for status, _days, colour in cells:
        assert colour.lower() == STATUS_COLOURS[status], (status, colour)
    # A short perishable cover the bands call adequate is green, not red on a 0–14 scale.
    assert any(
        status == "adequate" and days is not None and days < 7 for status, days, _ in cells
    ), cells
    assert page.locator("#heatmap-bands tbody tr").count() >= 7
    page.evaluate(SHOW_FIRST_CELL)
    page.wait_for_timeout(300)
    tip = page.locator("#heatmap").inner_text()
    assert " days · " in tip and "critical below" in tip, tip


def test_the_supply_networks_producers_sit_on_the_districts(
    open_page: Any, live_server: LiveServer
) -> None:
    page = open_page("bureau")
    page.goto(f"{live_server.url}/supply?product=&category=&kind=&region=")
    wait_until(page, DRAWN, "producer-map")
    state = page.evaluate(MAP_STATE, "producer-map")
    assert state["geo"] == "districts" and state["features"] == 10
    assert all(system == "geo" for _, system, _ in state["series"])
