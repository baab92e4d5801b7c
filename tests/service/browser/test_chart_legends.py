"""The charts' legends never cover what they explain (Chromium, the demo city): on a desk
and on a phone, in English and in Chinese, the legend of a district's or product's history
and of the bulletin's price chart stays clear of the plots and of the axes' names. The
boxes come from the chart's own drawing (ECharts' elements), not from pixels.
Screenshots are saved on the way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.service.browser.conftest import DESKTOP, PHONE, wait_until

BOXES = """(id) => {
  const chart = echarts.getInstanceByDom(document.getElementById(id));
  const model = chart.getModel();
  function box(group, keep) {
    let found = null;
    group.traverse((element) => {
      if (!element.style || element.isGroup || element.ignore || element.invisible) { return; }
      if (keep && !keep(element)) { return; }
      const rect = element.getBoundingRect().clone();
      if (!rect.width || !rect.height) { return; }
      if (element.transform) { rect.applyTransform(element.transform); }
      if (found) { found.union(rect); } else { found = rect; }
    });
    return found && { x: found.x, y: found.y, width: found.width, height: found.height };
  }
  const legend = model.getComponent("legend");
  const names = [];
  model.eachComponent("yAxis", (axis) => {
    const title = axis.get("name");
    if (!title) { return; }
    const view = chart.getViewOfComponentModel(axis);
    const found = box(view.group, (element) => element.style.text === title);
    if (found) { names.push(found); }
  });
  const plots = [];
  model.eachComponent("grid", (grid) => {
    const rect = grid.coordinateSystem.getRect();
    plots.push({ x: rect.x, y: rect.y, width: rect.width, height: rect.height });
  });
  return {
    legend: box(chart.getViewOfComponentModel(legend).group),
    names: names,
    plots: plots,
  };
}"""


def _apart(first: dict[str, float], second: dict[str, float]) -> bool:
    return (
        first["x"] + first["width"] <= second["x"]
        or second["x"] + second["width"] <= first["x"]
        or first["y"] + first["height"] <= second["y"]
        or second["y"] + second["height"] <= first["y"]
    )


@pytest.mark.parametrize(
    ("viewport", "locale"),
    [
        (DESKTOP, "en-GB"),
        ({"width": 1280, "height": 800}, "zh-CN"),
        (PHONE, "en-GB"),
        (PHONE, "zh-CN"),
    ],
)
def test_a_charts_legend_stays_clear_of_its_plots_and_axis_names(
    open_page: Any, screenshots: Path, viewport: dict[str, int], locale: str
) -> None:
    page = open_page("bureau", viewport, locale=locale)
    base = page.url.rsplit("/", 1)[0]
    for path, chart in (
        ("/dashboard/product/pear", "history"),
        ("/dashboard/district/410402?product=pear", "history"),
        ("/bulletin/products/pear", "price-chart"),
    ):
        page.goto(base + path)
        wait_until(
            page,
            "(id) => !!(window.echarts && echarts.getInstanceByDom(document.getElementById(id)))",
            chart,
        )
        boxes = page.evaluate(BOXES, chart)
        legend = boxes["legend"]
        assert legend is not None and boxes["plots"], boxes
        for other in boxes["plots"] + boxes["names"]:
            assert _apart(legend, other), (path, viewport, locale, boxes)
        node = page.locator(f"#{chart}")
        node.scroll_into_view_if_needed()
        name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-")
        node.screenshot(path=screenshots / f"legend-{name}-{viewport['width']}-{locale}.png")
