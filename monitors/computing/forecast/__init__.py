"""Stock-out forecast per store × product line, and the store ``low_supply`` warning on it:
will this shelf run out within the horizon its category's level promises, given its own
demand and its own replenishment, and is that worth a warning?

Days of supply answers "how long would the stock last if nothing came in". A fresh line
closing every day with one day of cover and refilled every morning is fine; a grain shelf
at six days may be empty in two if its weekly delivery fails. The forecast reads each
line's last ``history_days`` of reports (age 0 = the business day); docs/forecast.md
explains the choices and measures them on three independently written cities.

- **Demand**: the median of the last ``level_days`` in-stock days (an empty shelf's sales
  understate demand), the store's weekday pattern divided out; a lasting shift is
  followed once ``shift_days`` in-stock days in a row sit beyond ``shift_ratio`` of it,
  shorter bursts are not. The daily spread is robust and never below Poisson noise plus
  ``min_cv``; the level's own error (``level_uncertainty``) is one for the whole horizon.
- **Receipts**: the stock identity (stock − previous stock + sales, bridged over
  unreported days) is what came in net of spoilage; the reported ``received`` where the
  identity cannot be closed. A day bringing ``delivery_share`` of a day's demand is a
  delivery day.
- **Replenishment pattern**: the stock each delivery refilled the shelf to (its closing
  stock + that day's sales); their median is the line's *target*, which follows a lasting
  shift of demand. A delivery's *fill* is the share of the way from the stock before it to
  the target it covered; a small delivery that left the shelf below its target marks a
  *capped* supply (the next ones bring no more than it did). The gaps between deliveries
  (recency-weighted, lead-time jitter on gaps of two days or more) and the days since the
  last one give when the next comes: a line overdue beyond its history is mostly taken
  as stopped, and a shelf as low as today's that was refilled the next morning before
  (a reorder point, a review) makes tomorrow's delivery likelier.
- **Projection**: for each arrival day of the next delivery (or none), each stretch
  between deliveries starts from what is left plus the fill of the way to the target and
  runs out when its demand takes all of it; the stretches' chances combine as nearly
  independent (a store reorders what it sold), the scenarios mix by their chance.
- **Supply stress**: a store or district that empties unusually many shelves in the last
  ``stress_days`` (a binomial test against its own oldest week) has a failing supply: a
  cut district, a locked-down city. Its lines' warnings open from a small chance and stay.

:func:`low_supply_decision` turns the forecast into warnings: open when the chance within
the warning level is high and the line's own supply is failing, or near certain, or the
store or district is under supply stress; never on a burst day (the store reorders a
burst) nor on a crumb after a stock-out (the ``stockout`` rule's shortage, not a new
one); keep while the chance stays above ``keep_probability`` (hysteresis), and through
the days the warned shelf is empty (one alert per shortage, not "resolved" when it comes).
Everything is vectorised over lines × ages matrices.
"""

from monitors.computing.forecast.demand import weekday_factors
from monitors.computing.forecast.settings import MAX_HORIZON_DAYS, ForecastSettings
from monitors.computing.forecast.stockouts import (
    Forecast,
    LineHistory,
    forecast_stockouts,
    low_supply_decision,
)

__all__ = [
    "Forecast",
    "ForecastSettings",
    "LineHistory",
    "MAX_HORIZON_DAYS",
    "forecast_stockouts",
    "low_supply_decision",
    "weekday_factors",
]
