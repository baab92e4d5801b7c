"""SLA recompute of every open hotline ticket from its audit trail.

Builds synthetic trails (default 100,000 open tickets, 8 events each: a creation, then
waits on the caller and returns, replies, call-backs, priority changes and the odd
resolve-and-reopen, so every ticket ends open; spread over the last two days, rows
shuffled as a database might return them) and times
``hotline.sla.compute_sla_clocks`` over all of them with the default policy. Target:
at most 5 s. Prints each run and ends with

    sla_recompute_seconds=   the fastest of the runs
    tickets=                 tickets in the result

Usage: ``.venv/bin/python bench/tickets_sla.py [--tickets N] [--events-per-ticket K]
[--repeat R] [--seed S]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hotline.sla import DEFAULT_POLICY, PRIORITIES, compute_sla_clocks  # noqa: E402

FOLLOW_UP_KINDS = np.array(
    [
        "status_changed",
        "status_changed",
        "status_changed",
        "replied_to_caller",
        "called_back",
        "priority_changed",
        "resolved",
        "reopened",
    ],
    dtype=object,
)
FOLLOW_UP_WEIGHTS = np.array([0.22, 0.18, 0.12, 0.16, 0.1, 0.08, 0.07, 0.07])
STATUSES = np.array(["waiting_on_caller", "in_progress", "open"], dtype=object)


def synthetic_trails(
    *, tickets: int, events_per_ticket: int, now: pd.Timestamp, seed: int
) -> pd.DataFrame:
    """Return shuffled audit trails of ``tickets`` open tickets, as the recompute reads them."""
    random = np.random.default_rng(seed)
    follow_ups = events_per_ticket - 1
    created_offset = random.uniform(0, 48 * 60, size=tickets)
    gaps = random.exponential(scale=1.0, size=(tickets, follow_ups))
    shares = np.cumsum(gaps, axis=1) / (gaps.sum(axis=1, keepdims=True) + 1.0)
    follow_offsets = created_offset[:, None] * (1.0 - shares)
    minutes_before_now = np.concatenate((created_offset[:, None], follow_offsets), axis=1)
    kinds = np.empty((tickets, events_per_ticket), dtype=object)
    kinds[:, 0] = "created"
    kinds[:, 1:] = random.choice(FOLLOW_UP_KINDS, p=FOLLOW_UP_WEIGHTS, size=(tickets, follow_ups))
    resolved_before_last = kinds[:, 1:-1] == "resolved"
    kinds[:, 2:][resolved_before_last] = "reopened"
    kinds[:, -1] = np.where(kinds[:, -1] == "resolved", "called_back", kinds[:, -1])
    nothing = np.full(kinds.shape, None, dtype=object)
    statuses = np.where(
        kinds == "status_changed",
        random.choice(STATUSES, size=kinds.shape),
        nothing,
    )
    priorities = np.where(
        (kinds == "created") | (kinds == "priority_changed"),
        random.choice(np.array(PRIORITIES, dtype=object), size=kinds.shape),
        nothing,
    )
    at = now - pd.to_timedelta(minutes_before_now.ravel(), unit="min")
    frame = pd.DataFrame(
        {
            "ticket_id": np.repeat(np.arange(1, tickets + 1), events_per_ticket),
            "at": at,
            "kind": kinds.ravel(),
            "status": statuses.ravel(),
            "priority": priorities.ravel(),
        }
    )
    return frame.iloc[random.permutation(len(frame))].reset_index(drop=True)


def main() -> None:
    """Time the recompute over synthetic trails and print the figures for scripts."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--events-per-ticket", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    now = pd.Timestamp("2024-05-03 09:00", tz="UTC")
    events = synthetic_trails(
        tickets=args.tickets, events_per_ticket=args.events_per_ticket, now=now, seed=args.seed
    )
    timings = []
    result = pd.DataFrame()
    for run in range(1, args.repeat + 1):
        started = time.perf_counter()
        result = compute_sla_clocks(events=events, policy=DEFAULT_POLICY, now=now)
        timings.append(time.perf_counter() - started)
        print(f"run {run}: {timings[-1]:.3f} s for {len(events):,} events", flush=True)
    for clock in ("first_response", "resolution"):
        states = result[f"{clock}_state"].value_counts().to_dict()
        print(f"{clock} states: {states}")
    print(f"sla_recompute_seconds={min(timings):.3f}")
    print(f"tickets={len(result)}")


if __name__ == "__main__":
    main()
