"""Dev-only offline replay of the store low_supply decision on arrays (no database)."""
from __future__ import annotations
import math, sys, time
from dataclasses import dataclass, replace
from types import SimpleNamespace
import numpy as np, pandas as pd
sys.path.insert(0, "/work/main")
from monitors.computing.forecast import ForecastSettings, LineHistory, forecast_stockouts
from service.demo.scenario import build_scenario
from service.demo.scoring import Replay, score
from monitors.computing.supply import SupplySettings

LEVELS = {"vegetables": (2, 1), "fruit": (2, 1), "dairy": (2, 1), "meat": (3, 1.5), "eggs": (3, 1.5), "grain": (7, 3), "edible_oil": (7, 3)}

def from_demo(seed):
    sc = build_scenario(seed=seed)
    t = sc.truth
    return SimpleNamespace(name=f"demo{seed}", stock=t.stock, sales=t.sales, received=t.received,
        reported=np.ones_like(t.stock, dtype=bool), true_stock=t.stock, category=sc.category,
        store=pd.factorize(sc.store_code)[0], disrupted=sc.disrupted, days=sc.days,
        follow=sc.follow_up_days, event=sc.lockdown_start, first_date=sc.first_date)

def from_family(module, seed, emergency=True):
    import importlib
    mod = importlib.import_module(module)
    c = mod.generate(seed, emergency=emergency)
    cats = pd.read_csv("/work/main/service/data/products.csv").set_index("code")["category"]
    rep = c.reported
    return SimpleNamespace(name=f"{module.split('.')[-1]}{seed}{'' if emergency else 'n'}",
        stock=np.where(rep, c.stock, np.nan), sales=np.where(rep, c.sales, np.nan),
        received=np.where(rep, c.received, np.nan), reported=rep, true_stock=c.true_stock,
        category=cats.loc[c.lines["product"]].to_numpy(object), store=pd.factorize(c.lines["store"])[0],
        disrupted=c.disrupted, days=c.reported_days, follow=c.follow_up_days,
        event=c.event_start, first_date=c.first_date)

def decide_forecast(h, d, fs, p_on, p_off, prev):
    a = fs.history_days
    lo = max(0, d - a + 1)
    sl = slice(lo, d + 1)
    def mat(x):
        m = np.full((x.shape[1], a), np.nan)
        part = x[sl][::-1].T
        m[:, : part.shape[1]] = part
        return m
    hist = LineHistory(stock=mat(h.stock), sales=mat(h.sales), received=mat(h.received), store=h.store,
                       weekday=(h.first_date + pd.Timedelta(days=d)).weekday())
    f = forecast_stockouts(history=hist, settings=fs)
    warn = np.array([LEVELS.get(c, (2, 1))[0] for c in h.category])
    p = np.nan_to_num(f.within(warn))
    ok = (f.observations >= 3) & (f.stock > 0)
    return ok & ((p >= p_on) | (prev & (p >= p_off)))

def decide_plain(h, d, *_):
    lo = max(0, d - 20)
    st = h.stock[lo:d+1][::-1]; sa = h.sales[lo:d+1][::-1]
    valid = (st > 0) & ~np.isnan(sa)
    rank = np.cumsum(valid, axis=0)
    use = valid & (rank <= 7)
    cnt = use.sum(0); mean = np.where(use, sa, 0).sum(0) / np.maximum(cnt, 1)
    cur = h.stock[d] if True else None
    cur = pd.DataFrame(h.stock[max(0,d-2):d+1][::-1]).bfill().iloc[0].to_numpy()
    warn = np.array([LEVELS.get(c, (2, 1))[0] for c in h.category])
    with np.errstate(invalid="ignore", divide="ignore"):
        dos = cur / mean
    return (cnt >= 3) & (cur > 0) & (mean > 0) & (dos < warn)

def run(h, decide, *args, start=7):
    total = h.days + h.follow
    prev = np.zeros(h.stock.shape[1], bool)
    recs = []; next_id = 0; ids = np.full(h.stock.shape[1], -1)
    fires = np.zeros((total, h.stock.shape[1]), bool)
    for d in range(start, total):
        fire = decide(h, d, *args, prev) if decide is not decide_plain else decide(h, d)
        new = fire & ~prev
        ids[new] = np.arange(next_id, next_id + new.sum()); next_id += int(new.sum())
        for line in np.flatnonzero(fire):
            recs.append((ids[line], line, d, "warning"))
        fires[d] = fire
        prev = fire
    firing = pd.DataFrame(recs, columns=["alert_id", "line", "day", "severity"]).astype({"alert_id": np.int64, "line": np.int64, "day": np.int64})
    scen = SimpleNamespace(truth=SimpleNamespace(stock=h.true_stock), category=h.category, disrupted=h.disrupted,
                           days=h.days, simulated_days=h.days + h.follow, lockdown_start=h.event if h.event is not None else h.days)
    sc = score(scen, Replay(firing=firing, monitor_start=start, ingest_seconds=0, monitor_seconds=0, runs=0))
    # normal-times: new alerts per 100 lines per day before event
    end_normal = h.event if h.event is not None else h.days
    new_counts = (fires[start+7:end_normal] & ~fires[start+6:end_normal-1]).sum()
    normal = 100 * new_counts / (h.stock.shape[1] * max(end_normal - start - 7, 1))
    ep = sc.episodes
    one_day = int(((ep["last_day"] == ep["first_day"]) & ep["window"]).sum())
    return sc.quality, normal, one_day

def report(h, label, decide, *args):
    q, normal, one = run(h, decide, *args)
    print(f"{h.name:24} {label:10} recall48={q.recall_48h:.3f} lead={q.median_lead_days:.1f} fa={q.false_alarm_rate:.3f} "
          f"eps={q.episodes} counted={q.counted} normal={normal:.2f} oneday={one} quietfa={q.quiet_false_alarms}")
    return q, normal

def decide_forecast_hold(h, d, fs, p_on, p_off, prev, ratio=1.8):
    fire = decide_forecast(h, d, fs, p_on, p_off, prev)
    lo = max(0, d - 8)
    past = h.sales[lo:d]
    st = h.stock[lo:d]
    med = np.nanmedian(np.where(st > 0, past, np.nan), axis=0)
    burst = h.sales[d] > ratio * med
    return fire & (prev | ~burst)
