"""Does the monitor warn in time? A city with a known ground truth (the demo's lockdown,
``service.demo.scenario``, or any :class:`ReplayCity` such as the bench's scenario
families), replayed day by day through the real ingest and monitor, and scored.

:func:`replay` posts each day through ``store_report_lines`` (the upsert the API uses),
runs ``run_monitor`` for it and records which store-level ``low_supply`` alerts are
firing; it goes on through the follow-up days, so that an alert still firing on the
last replayed day is seen to the end (or to the end of the truth) instead of being
judged as if it stopped there. :func:`score` compares the alerts with the true
stock-outs.

Definitions (a day is an index into the city's history, 0 = its first reported day; the
same for the demo and every family):

- *stock-out event*: a line's true end-of-day stock is 0 on day S and was positive on
  each of the :data:`LEAD_DAYS` days before (on every earlier day, near the start of the
  series; day 0 never holds an event). A line that stays at 0, or flickers back above
  0 for a day on a crumb of a delivery, is one event: one event per line per shortage.
- *alert episode*: one store-scope ``low_supply`` alert (warning or critical, one
  alert id) from the first to the last day a run found it firing. The lifecycle opens a
  new alert, hence a new episode, when the condition breaches again after resolving.
- *lead time* of a stock-out on day S: S − the first day of the episode that was still
  firing on S − 1, and 0 (missed) when none was. ``low_supply`` leaves a stocked-out
  line to the ``stockout`` rule, so a good warning is firing right up to S − 1; one
  that resolved earlier told the bureau "all clear" and earns no lead.
- *recall at 48 h*: share of counted stock-outs with a lead of at least
  :data:`LEAD_DAYS` (2) days. *Median lead*: over counted stock-outs, missed as 0.
- *evaluation window*: from the emergency's first day (``event_start``: the lockdown's,
  the flood's; or ``evaluate_from``) to the last
  replayed day. *Counted stock-outs* are those of the window that a monitor could have
  warned of ``LEAD_DAYS`` ahead; left out, and reported, are: ``too_early`` (S − 2
  before the window or before the monitor's first run: the stock-outs of the panic's
  first two days, announced less than 48 h before, which no data could foresee),
  ``untrusted`` (fewer than ``min_observations`` in-stock days in the ``lookback_days``
  up to S − 2: the monitor does not trust its average yet) and ``follow_up`` (after the
  replayed days: they only judge alerts). Episodes count when they start in the window;
  earlier ones are *quiet-time* alarms, reported apart, and those starting on follow-up
  days are not scored at all.
- *false alarm*: an episode starting on day A and last firing on day L whose line does
  not stock out on any day S with A < S ≤ max(L + 1, A + W). W is the line's
  ``low_supply`` warning level rounded up (2 days for vegetables, fruit and dairy, 3
  for meat and eggs, 7 for grain and oil): the alert says "fewer than W days left", so
  W days is the horizon it claims; ``false_alarm_days`` replaces W by a fixed N. An
  episode whose horizon runs past the simulated days without a stock-out (one still
  firing on the last simulated day, or starting within W days of it) is *censored*:
  left out of the rate and reported. L is observed through the follow-up days, which
  the replay runs the monitor on too; judging an episode still firing on the last
  replayed day as if it had ended there would call a warning false that was firing,
  right as it should, for a stock-out a day or two after the replay.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np
import pandas as pd
from sqlalchemy import select

from core.database import SessionFactory, session_scope
from models import Alert, AlertRule, AlertStatus, RunStatus
from monitors.alerting.thresholds import ANY_CATEGORY, default_thresholds
from monitors.computing.supply import SupplySettings
from monitors.running.runs import MonitorConfig, run_monitor
from reports.upsert import store_report_lines
from service.demo.load import canonical_rows, load_master_data
from service.demo.master import MasterFrames

LEAD_DAYS = 2
"""A warning counts when it fired at least this many days (48 h) before the stock-out."""
SUBMITTER = "scenario"


class ReplayCity(Protocol):
    """What :func:`replay` and :func:`score` need of a city, so the demo's scenario and
    the bench's families are replayed and judged by the same code. Arrays are shaped
    (simulated days, lines) or (lines,); a line is one store × product."""

    @property
    def master(self) -> MasterFrames:
        """Regions, enterprises, stores and products to load into the empty database."""
        ...

    @property
    def first_date(self) -> date:
        """The business date of day 0."""
        ...

    @property
    def days(self) -> int:
        """Replayed (reported and evaluated) days; the follow-up days come after them."""
        ...

    @property
    def simulated_days(self) -> int:
        """Replayed plus follow-up days: how far the truth reaches."""
        ...

    @property
    def event_start(self) -> int | None:
        """First day of the emergency (the evaluation window's start); None in ordinary
        times."""
        ...

    @property
    def store_code(self) -> np.ndarray:
        """Per line, its store's code."""
        ...

    @property
    def product_code(self) -> np.ndarray:
        """Per line, its product's code."""
        ...

    @property
    def category(self) -> np.ndarray:
        """Per line, its product's category code."""
        ...

    @property
    def disrupted(self) -> np.ndarray:
        """Per line, whether its district's supply is cut in the emergency."""
        ...

    @property
    def true_stock(self) -> np.ndarray:
        """Physical end-of-day stock, the truth alerts are judged against."""
        ...

    def date_of(self, day: int) -> date:
        """The business date of day index ``day``."""
        ...

    def reports(self, day: int) -> pd.DataFrame:
        """What the stores post for ``day`` (code-based ``REPORT_COLUMNS``; only the
        lines reported that day)."""
        ...


def stockout_events(stock: np.ndarray, *, recovery_days: int = LEAD_DAYS) -> pd.DataFrame:
    """Stock-out events of a (days, lines) array of true end-of-day stock (a 1-d array
    is one line): columns ``line``, ``day``.

    An event is a day S with stock 0 after ``recovery_days`` in-stock days (fewer at the
    very start of the series; day 0 is never an event). A line that sells out, gets a
    crumb of a delivery and sells out again the next day has not recovered: that is the
    same shortage, which no warning could have announced 48 h ahead a second time.
    """
    values = np.asarray(stock, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    if recovery_days < 1:
        raise ValueError("recovery_days must be at least 1")
    out = values <= 0
    event = np.zeros_like(out)
    event[1:] = out[1:]
    for back in range(1, recovery_days + 1):
        # Day S needs stock on S - back, when that day is in the series.
        event[back:] &= ~out[:-back]
    day, line = np.nonzero(event)
    events = pd.DataFrame({"line": line.astype(np.int64), "day": day.astype(np.int64)})
    return events.sort_values(["line", "day"], ignore_index=True)


def alert_episodes(firing: pd.DataFrame) -> pd.DataFrame:
    """One row per alert from the per-day firing records (``alert_id, line, day``):
    ``alert_id, line, first_day, last_day``."""
    if firing.empty:
        return pd.DataFrame(
            {
                name: pd.Series(dtype=np.int64)
                for name in ("alert_id", "line", "first_day", "last_day")
            }
        )
    grouped = firing.groupby("alert_id", sort=True)
    return pd.DataFrame(
        {
            "alert_id": grouped["line"].first().index.to_numpy(np.int64),
            "line": grouped["line"].first().to_numpy(np.int64),
            "first_day": grouped["day"].min().to_numpy(np.int64),
            "last_day": grouped["day"].max().to_numpy(np.int64),
        }
    )


def lead_times(events: pd.DataFrame, episodes: pd.DataFrame) -> np.ndarray:
    """Lead in days of each event (``line, day``) from the episode (``line, first_day,
    last_day``) still firing the day before it; 0 when no episode was (missed)."""
    if events.empty:
        return np.zeros(0, dtype=np.int64)
    pairs = events.reset_index(drop=True).rename_axis("event").reset_index()
    pairs = pairs.merge(episodes[["line", "first_day", "last_day"]], on="line", how="left")
    open_before = (pairs["first_day"] < pairs["day"]) & (pairs["last_day"] >= pairs["day"] - 1)
    lead = (pairs["day"] - pairs["first_day"]).where(open_before, 0).fillna(0)
    best = lead.groupby(pairs["event"]).max()
    return best.reindex(range(len(events)), fill_value=0).to_numpy(np.int64)


def judge_episodes(
    episodes: pd.DataFrame, events: pd.DataFrame, *, horizon: np.ndarray, known_until: int
) -> pd.Series:
    """Verdict of each episode: ``true`` when its line stocks out on a day S with
    first_day < S ≤ max(last_day + 1, first_day + horizon), ``false`` when not and the
    truth reaches that far (``known_until`` is the last simulated day), else
    ``censored``. ``horizon`` holds one number of days per episode."""
    if episodes.empty:
        return pd.Series([], dtype=object, name="verdict")
    frame = episodes.reset_index(drop=True).assign(
        end=np.maximum(
            episodes["last_day"].to_numpy() + 1, episodes["first_day"].to_numpy() + horizon
        )
    )
    pairs = frame.rename_axis("episode").reset_index().merge(events, on="line", how="inner")
    hit = (pairs["day"] > pairs["first_day"]) & (pairs["day"] <= pairs["end"])
    followed = np.zeros(len(frame), dtype=bool)
    followed[pairs.loc[hit, "episode"].to_numpy(np.int64)] = True
    known = frame["end"].to_numpy() <= known_until
    verdict = np.where(followed, "true", np.where(known, "false", "censored"))
    return pd.Series(verdict, dtype=object, name="verdict")


def warning_horizon(categories: np.ndarray) -> np.ndarray:
    """Days each category's ``low_supply`` warning claims (its level, rounded up)."""
    table = default_thresholds()
    fallback = table[ANY_CATEGORY].low_supply_warning_days
    levels = {name: t.low_supply_warning_days for name, t in table.items()}
    return np.array([math.ceil(levels.get(str(c), fallback)) for c in categories], dtype=np.int64)


def exclusion_reasons(
    events: pd.DataFrame,
    stock: np.ndarray,
    *,
    replayed_days: int,
    first_warning_day: int,
    settings: SupplySettings,
) -> np.ndarray:
    """Why each event (``line, day``) is left out of recall, "" when it is counted:
    ``follow_up`` (after the replayed days), ``too_early`` (S − LEAD_DAYS before
    ``first_warning_day``, the first day a warning could count), ``untrusted`` (fewer
    than ``min_observations`` in-stock days in the lookback up to S − LEAD_DAYS)."""
    day = events["day"].to_numpy(np.int64)
    line = events["line"].to_numpy(np.int64)
    values = np.asarray(stock, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    # in_stock[t] = number of in-stock days among days 0 .. t - 1, per line.
    in_stock = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(values > 0, axis=0)])
    cut = np.clip(day - LEAD_DAYS + 1, 0, values.shape[0])
    start = np.clip(cut - settings.lookback_days, 0, None)
    observed = in_stock[cut, line] - in_stock[start, line]
    reason = np.select(
        [
            day >= replayed_days,
            day - LEAD_DAYS < first_warning_day,
            observed < settings.min_observations,
        ],
        ["follow_up", "too_early", "untrusted"],
        default="",
    )
    return reason.astype(object)


@dataclass(frozen=True)
class Replay:
    """What the monitor did: per day, which line had which ``low_supply`` alert firing
    (``alert_id, line, day, severity``), and how long ingest and runs took."""

    firing: pd.DataFrame
    monitor_start: int
    ingest_seconds: float
    monitor_seconds: float
    runs: int


def _firing_alerts(factory: SessionFactory) -> list[tuple[int, int, int, str]]:
    """Store-scope ``low_supply`` alerts firing (or acknowledged) now."""
    with session_scope(factory) as session:
        rows = session.execute(
            select(Alert.id, Alert.store_id, Alert.product_id, Alert.severity).where(
                Alert.rule == AlertRule.low_supply,
                Alert.scope_level == "store",
                Alert.status.in_([AlertStatus.firing, AlertStatus.acknowledged]),
            )
        ).all()
    return [
        (int(alert_id), int(store_id or 0), int(product_id or 0), str(getattr(v, "value", v)))
        for alert_id, store_id, product_id, v in rows
    ]


def replay(
    scenario: ReplayCity,
    *,
    factory: SessionFactory,
    config: MonitorConfig | None = None,
    monitor_start: int | None = None,
    follow_up: bool = True,
) -> Replay:
    """Load the city's master data into the (migrated, empty) database behind
    ``factory``, then for each replayed day ingest its reports through
    ``store_report_lines`` and, from day ``monitor_start`` on (default: once the sales
    window is full), run the monitor for it and record the firing ``low_supply``
    alerts (after each run, so an episode is what a bureau saw day by day). With
    ``follow_up``, the follow-up days are played the same way, so that the alerts open
    at the end of the replay are followed to their end (:func:`score` counts neither
    their stock-outs nor the episodes that start on them)."""
    config = config or MonitorConfig()
    start = config.supply.window_days if monitor_start is None else monitor_start
    last_day = scenario.simulated_days if follow_up else scenario.days
    with session_scope(factory) as session:
        ids = load_master_data(session, scenario.master)
    line_of = {
        (ids["stores"][str(s)], ids["products"][str(p)]): i
        for i, (s, p) in enumerate(zip(scenario.store_code, scenario.product_code, strict=True))
    }
    records: list[tuple[int, int, int, str]] = []
    ingest_seconds = monitor_seconds = 0.0
    runs = 0
    for day in range(last_day):
        began = time.perf_counter()
        rows = canonical_rows(scenario.reports(day), ids)
        if not rows.empty:
            with session_scope(factory) as session:
                store_report_lines(session, rows, submitted_by=SUBMITTER)
        ingested = time.perf_counter()
        ingest_seconds += ingested - began
        if day >= start:
            record = run_monitor(
                factory=factory,
                business_date=scenario.date_of(day),
                config=config,
                trigger="bench",
            )
            if record.status is not RunStatus.succeeded:
                raise RuntimeError(
                    f"monitor run for day {day} ended {record.status}: {record.error}"
                )
            runs += 1
            for alert_id, store_id, product_id, severity in _firing_alerts(factory):
                records.append((alert_id, line_of[(store_id, product_id)], day, severity))
            monitor_seconds += time.perf_counter() - ingested
    firing = pd.DataFrame(records, columns=["alert_id", "line", "day", "severity"])
    return Replay(
        firing=firing.astype({"alert_id": np.int64, "line": np.int64, "day": np.int64}),
        monitor_start=start,
        ingest_seconds=ingest_seconds,
        monitor_seconds=monitor_seconds,
        runs=runs,
    )


@dataclass(frozen=True)
class AlertQuality:
    """The headline figures of one scored replay, with the counts behind them."""

    stockouts: int
    """Stock-out events on replayed days, counted or not."""
    counted: int
    excluded_too_early: int
    """Before the evaluation window + LEAD_DAYS: the lockdown's first two days, whose
    panic was announced less than 48 h before them (no data could warn that early)."""
    excluded_untrusted: int
    follow_up_stockouts: int
    """Events on follow-up days: they judge alerts, not recall."""
    warned: int
    """Counted events with any lead (an episode firing the day before)."""
    warned_48h: int
    recall_48h: float
    median_lead_days: float
    episodes: int
    """Alert episodes starting in the evaluation window."""
    true_alarms: int
    false_alarms: int
    censored: int
    false_alarm_rate: float
    quiet_episodes: int
    """Episodes starting before the evaluation window (before the lockdown)."""
    quiet_false_alarms: int
    alert_load: float
    """Share of the window's line-days with stock on the shelf on which a warning was
    firing: what a bureau has to read. Recall and false alarms do not charge for it (a
    warning kept up on every stocked line for the whole emergency scores well on both),
    so it is printed beside them."""


@dataclass(frozen=True)
class Scored:
    """Figures plus the per-event and per-episode tables behind them (for breakdowns)."""

    quality: AlertQuality
    events: pd.DataFrame
    """line, day, category, disrupted, reason ("" = counted), lead."""
    episodes: pd.DataFrame
    """alert_id, line, first_day, last_day, category, disrupted, horizon, verdict,
    window (the episode started in the evaluation window)."""


def _share(part: int, whole: int) -> float:
    return part / whole if whole else float("nan")


def score(
    scenario: ReplayCity,
    replayed: Replay,
    *,
    settings: SupplySettings | None = None,
    evaluate_from: int | None = None,
    false_alarm_days: int | None = None,
) -> Scored:
    """Recall at 48 h, median lead and false-alarm rate of a replay (module docstring).

    The evaluation window runs from day ``evaluate_from`` (default: the emergency's
    first day, ``event_start``) to the last replayed day: stock-outs count from ``evaluate_from +
    LEAD_DAYS`` on, episodes when they start in it. Episodes before it are *quiet-time*
    alarms, reported apart (no stock-out happens before a lockdown, so they measure the
    noise a bureau lives with every day, not the warning the scenario is about);
    episodes starting on follow-up days are not scored.
    """
    settings = settings or SupplySettings()
    window_start = scenario.event_start if evaluate_from is None else evaluate_from
    if window_start is None:
        raise ValueError("a city without an emergency needs evaluate_from")
    events = stockout_events(scenario.true_stock)
    at = events["line"].to_numpy(np.int64)
    events = events.assign(
        category=scenario.category[at],
        disrupted=scenario.disrupted[at],
        reason=exclusion_reasons(
            events,
            scenario.true_stock,
            replayed_days=scenario.days,
            first_warning_day=max(window_start, replayed.monitor_start),
            settings=settings,
        ),
    )
    episodes = alert_episodes(replayed.firing)
    events["lead"] = lead_times(events, episodes)
    lines = episodes["line"].to_numpy(np.int64)
    horizon = (
        np.full(len(episodes), false_alarm_days, dtype=np.int64)
        if false_alarm_days is not None
        else warning_horizon(scenario.category[lines])
    )
    episodes = episodes.assign(
        category=scenario.category[lines],
        disrupted=scenario.disrupted[lines],
        horizon=horizon,
        verdict=judge_episodes(
            episodes, events, horizon=horizon, known_until=scenario.simulated_days - 1
        ).to_numpy(),
        window=(episodes["first_day"].to_numpy() >= window_start)
        & (episodes["first_day"].to_numpy() < scenario.days),
    )
    counted = events[events["reason"] == ""]
    lead = counted["lead"].to_numpy(np.int64)
    judged = episodes[episodes["window"]]
    quiet = episodes[episodes["first_day"] < window_start]
    true_alarms = int((judged["verdict"] == "true").sum())
    false_alarms = int((judged["verdict"] == "false").sum())
    reasons = events["reason"]
    quality = AlertQuality(
        stockouts=int((reasons != "follow_up").sum()),
        counted=len(counted),
        excluded_too_early=int((reasons == "too_early").sum()),
        excluded_untrusted=int((reasons == "untrusted").sum()),
        follow_up_stockouts=int((reasons == "follow_up").sum()),
        warned=int((lead > 0).sum()),
        warned_48h=int((lead >= LEAD_DAYS).sum()),
        recall_48h=_share(int((lead >= LEAD_DAYS).sum()), len(counted)),
        median_lead_days=float(np.median(lead)) if len(lead) else float("nan"),
        episodes=len(judged),
        true_alarms=true_alarms,
        false_alarms=false_alarms,
        censored=int((judged["verdict"] == "censored").sum()),
        false_alarm_rate=_share(false_alarms, true_alarms + false_alarms),
        quiet_episodes=len(quiet),
        quiet_false_alarms=int((quiet["verdict"] == "false").sum()),
        alert_load=alert_load(
            replayed.firing, scenario.true_stock, first_day=window_start, end_day=scenario.days
        ),
    )
    return Scored(quality=quality, events=events, episodes=episodes)


def alert_load(
    firing: pd.DataFrame, true_stock: np.ndarray, *, first_day: int, end_day: int
) -> float:
    """Share of line-days from ``first_day`` to before ``end_day`` with true stock on the
    shelf on which a warning was firing (``firing``: ``line, day`` records)."""
    stocked = np.asarray(true_stock, dtype=np.float64)[first_day:end_day] > 0
    if not stocked.any():
        return float("nan")
    day = firing["day"].to_numpy(np.int64)
    line = firing["line"].to_numpy(np.int64)
    inside = (day >= first_day) & (day < end_day)
    pairs = np.unique(np.stack([day[inside] - first_day, line[inside]]), axis=1)
    warned = int(stocked[pairs[0], pairs[1]].sum()) if pairs.size else 0
    return warned / int(stocked.sum())


NORMAL_FROM_DAY = 7
"""Normal-times alerts are counted from this day (a week after the first day): before
it the monitor has not yet seen a full week of sales."""


def new_alerts_per_100_lines(
    replayed: Replay, *, lines: int, first_day: int, end_day: int
) -> float:
    """New store ``low_supply`` alerts per 100 lines per day: episodes whose first firing
    day falls in ``first_day`` ≤ day < ``end_day``, ÷ (lines / 100) ÷ the days in it.
    In ordinary times every one is noise a bureau has to look at."""
    days = end_day - first_day
    if days <= 0 or lines <= 0:
        return float("nan")
    episodes = alert_episodes(replayed.firing)
    first = episodes["first_day"].to_numpy(np.int64)
    new = int(((first >= first_day) & (first < end_day)).sum())
    return new * 100.0 / lines / days
