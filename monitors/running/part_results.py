"""What one part of a fanned-out run hands back (its aggregates' sums and store
candidates) as bytes for the ``monitor_run_parts`` row, and back again, exactly.

numpy's own ``.npz`` container, loaded with ``allow_pickle=False``: the values come back
bit for bit (JSON would round floats), and reading a row never runs code a row could
carry. Each column is one array; a column with missing values keeps a mask beside it.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pandas as pd

from monitors.running.day import StoresOutcome


def encode_outcome(outcome: StoresOutcome) -> bytes:
    """``outcome`` as one compressed ``.npz`` file's bytes."""
    arrays: dict[str, np.ndarray] = {}
    layout: dict[str, Any] = {
        "report_lines": outcome.report_lines,
        "report_connections": outcome.report_connections,
        "snapshots": outcome.snapshots,
        "read_counts": outcome.read_counts,
        "frames": {},
    }
    frames = {
        **{
            f"sums:{key}:{index}": frame
            for key, parts in outcome.sums.items()
            for index, frame in enumerate(parts)
        },
        **{f"candidates::{index}": frame for index, frame in enumerate(outcome.store_candidates)},
    }
    for name, frame in frames.items():
        columns = []
        for position, column in enumerate(frame.columns):
            key = f"{name}/{position}"
            kind = _store_column(frame[column], key, arrays)
            columns.append([str(column), kind])
        layout["frames"][name] = {"columns": columns, "rows": len(frame)}
    arrays["layout"] = np.frombuffer(json.dumps(layout).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def decode_outcome(payload: bytes) -> StoresOutcome:
    """The outcome :func:`encode_outcome` stored."""
    with np.load(io.BytesIO(payload), allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    layout = json.loads(arrays["layout"].tobytes().decode())
    sums: dict[str, list[pd.DataFrame]] = {}
    candidates: list[pd.DataFrame] = []
    for name, shape in layout["frames"].items():
        frame = pd.DataFrame(
            {
                column: _load_column(arrays, f"{name}/{position}", kind)
                for position, (column, kind) in enumerate(shape["columns"])
            },
            index=pd.RangeIndex(shape["rows"]),
        )
        group, key, _ = name.split(":")
        if group == "sums":
            sums.setdefault(key, []).append(frame)
        else:
            candidates.append(frame)
    return StoresOutcome(
        sums=sums,
        store_candidates=candidates,
        report_lines=int(layout["report_lines"]),
        report_connections=int(layout["report_connections"]),
        snapshots=int(layout["snapshots"]),
        read_counts={name: int(value) for name, value in layout["read_counts"].items()},
    )


def _store_column(series: pd.Series, key: str, arrays: dict[str, np.ndarray]) -> str:
    """Put ``series`` into ``arrays`` under ``key`` and say how to read it back."""
    dtype = series.dtype
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iub":
        mask = series.isna().to_numpy()
        arrays[key] = series.to_numpy(dtype=np.dtype(dtype.type), na_value=0)
        arrays[key + "/mask"] = mask
        return f"masked:{dtype.name}"
    if dtype.kind in "iufbM" and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        arrays[key] = series.to_numpy()
        return "plain"
    # Text (or objects holding text): fixed-width unicode, with a mask for missing ones.
    mask = series.isna().to_numpy()
    arrays[key] = np.asarray(series.where(~mask, "").astype(str).to_numpy(), dtype=np.str_)
    arrays[key + "/mask"] = mask
    return "text:" + (
        "str" if str(dtype) == "str" or isinstance(dtype, pd.StringDtype) else "object"
    )


def _load_column(arrays: dict[str, np.ndarray], key: str, kind: str) -> Any:
    if kind == "plain":
        return arrays[key]
    mask = arrays[key + "/mask"]
    if kind.startswith("masked:"):
        return pd.Series(arrays[key], dtype=kind.removeprefix("masked:")).mask(mask).array
    values = arrays[key].astype(object)
    values[mask] = None if kind == "text:object" else np.nan
    if kind == "text:str":
        return pd.Series(values, dtype="str").to_numpy()
    return values
