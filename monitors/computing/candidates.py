"""The common shape of alert candidates: columns, fingerprints, severities and the text
helpers every rule writes its summaries with.

A candidate is a condition that holds now, on one scope × product, with a severity and
a stable ``fingerprint`` (sha256 of rule, scope level, scope id and product). The alert
lifecycle matches candidates to open alerts by fingerprint, the way Prometheus
Alertmanager does, so the same condition on the next run must hash the same and
different scopes must not collide.

Summaries are built with numpy string arrays, a column at a time, never row by row: a
province's run writes hundreds of thousands of them. Each is worded twice from the same
messages (:mod:`monitors.computing.wording`): in English and as message ids with values.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from numpy.dtypes import StringDType

from core.text import N_
from monitors.alerting.thresholds import THRESHOLD_FIELDS, fallback_thresholds
from monitors.computing.frames import require_columns
from monitors.computing.wording import Words, worded
from monitors.computing.wording import names as names_in_languages

ALERT_COLUMNS: tuple[str, ...] = (
    "rule",
    "severity",
    "scope_level",
    "scope_id",
    "product_id",
    "category",
    "district_id",
    "value",
    "threshold",
    "summary",
    "summary_text",
    "fingerprint",
)

FINGERPRINT_LENGTH = 32
"""Hex characters of sha256 kept in a fingerprint (128 bits: collisions are not a concern)."""

TOLERANCE = 1e-9
"""Slack on inclusive comparisons, so 1.15 / 1.00 − 1 counts as reaching +15 %."""

_TEXT = StringDType()
_SEVERITY = np.array(["", "warning", "critical"], dtype=object)


def _fingerprint_key(rule: str, scope_level: str, scope_id: str, product_id: str) -> str:
    return f"{rule}|{scope_level}|{scope_id}|{product_id}"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:FINGERPRINT_LENGTH]


def alert_fingerprint(*, rule: str, scope_level: str, scope_id: int, product_id: int | None) -> str:
    """The fingerprint of one alert; equal to what :func:`fingerprints` gives its row."""
    product = "-" if product_id is None else str(int(product_id))
    return _digest(_fingerprint_key(rule, scope_level, str(int(scope_id)), product))


def as_text(values: object) -> np.ndarray:
    """Values as a numpy variable-width string array (fast vectorised concatenation)."""
    return np.asarray(values, dtype=object).astype(_TEXT)


def rounded(values: object, digits: int = 1) -> np.ndarray:
    """Numbers rounded to ``digits`` decimals, as text ("2.4", "nan" when missing)."""
    return np.round(np.asarray(values, dtype=np.float64), digits).astype(_TEXT)


def whole(values: object) -> np.ndarray:
    """Whole numbers as text."""
    return np.asarray(values, dtype=np.int64).astype(_TEXT)


def signed_percent(fractions: np.ndarray) -> np.ndarray:
    """Signed whole percentages ("+21 %"); missing values read "?"."""
    known = ~np.isnan(fractions)
    percent = np.round(np.where(known, fractions, 0.0) * 100)
    sign = np.where(percent >= 0, "+", "")
    return np.where(known, sign + whole(percent) + " %", "?")


def fingerprints(*, candidates: pd.DataFrame) -> pd.Series:
    """Fingerprint of each row (``rule, scope_level, scope_id, product_id``), hashing each
    distinct key once."""
    require_columns(candidates, ("rule", "scope_level", "scope_id", "product_id"), name="rows")
    product = candidates["product_id"].astype("Int64")
    product_text = np.where(
        product.isna().to_numpy(), "-", whole(product.fillna(0).to_numpy(dtype=np.int64))
    )
    keys = (
        as_text(candidates["rule"])
        + "|"
        + as_text(candidates["scope_level"])
        + "|"
        + whole(candidates["scope_id"])
        + "|"
        + product_text
    )
    codes, uniques = pd.factorize(keys.astype(object))
    digests = np.array([_digest(key) for key in uniques.tolist()], dtype=object)
    return pd.Series(digests[codes], index=candidates.index, name="fingerprint", dtype="str")


def thresholds_for(thresholds: pd.DataFrame, product_ids: pd.Series) -> pd.DataFrame:
    """Threshold rows aligned with ``product_ids`` (fallback values for unknown products)."""
    fallback = fallback_thresholds()
    matched = thresholds.reindex(product_ids.to_numpy()).reset_index(drop=True)
    return matched.fillna({name: getattr(fallback, name) for name in THRESHOLD_FIELDS})


_GENERIC_LABELS = {
    "store": N_("store {id}"),
    "product": N_("product {id}"),
    "district": N_("district {id}"),
    "city": N_("city {id}"),
}
"""How a row without a code or name is called ("store 12"), by noun."""
_REGION_LABELS = {
    "district": N_("District {name} ({code})"),
    "city": N_("City {name} ({code})"),
}
"""How a district or city is called (``{name}`` spelt in the reader's language)."""


def _generic_labels(ids: pd.Series, noun: str) -> Words:
    return worded(_GENERIC_LABELS[noun], len(ids), id=whole(ids))


def labels_of(frame: pd.DataFrame, ids: pd.Series, *, id_column: str, noun: str) -> Words:
    """Human labels for ``ids``: a store by its ``code`` (what its staff and the bureau
    call it), a product by its name in the reader's language (``name``, ``name_zh`` when
    the frame has them; the code where it has none), else "noun id"."""
    generic = _generic_labels(ids, noun)
    if "code" not in frame.columns:
        return generic
    known = frame.drop_duplicates(id_column).set_index(id_column)
    found = known["code"].reindex(ids.to_numpy())
    if noun == "product":
        english = _column_or(known, "name", ids, found.to_numpy(dtype=object))
        chinese = _column_or(known, "name_zh", ids, english)
        coded = worded("{value}", len(ids), value=names_in_languages(english, chinese))
    else:
        coded = worded("{value}", len(ids), value=as_text(found.fillna("")))
    return coded.where(found.notna().to_numpy(), generic)


def _column_or(
    known: pd.DataFrame, column: str, ids: pd.Series, fallback: np.ndarray
) -> np.ndarray:
    """``column`` of ``known`` for ``ids``, ``fallback`` where it is missing or empty
    ("" where both are)."""
    chosen = np.asarray(fallback, dtype=object)
    if column in known.columns:
        values = known[column].reindex(ids.to_numpy()).to_numpy(dtype=object)
        given = pd.notna(values) & (values != "")
        chosen = np.where(given, values, chosen)
    return np.where(pd.notna(chosen), chosen, "").astype(object)


def severity_at_least(value: np.ndarray, warning: np.ndarray, critical: np.ndarray) -> np.ndarray:
    """Severity 0/1/2 of a "value ≥ level" rule (inclusive, within :data:`TOLERANCE`)."""
    return np.where(value >= critical - TOLERANCE, 2, np.where(value >= warning - TOLERANCE, 1, 0))


def candidate_frame(
    *,
    rule: str,
    severity: np.ndarray,
    scope_level: str,
    scope_id: object,
    product_id: object,
    district_id: object,
    value: object,
    threshold: object,
    summary: Words,
) -> pd.DataFrame:
    """One rule's candidates in the common layout (category and fingerprint come later)."""
    n = len(summary)
    return pd.DataFrame(
        {
            "rule": np.full(n, rule, dtype=object),
            "severity": _SEVERITY[np.asarray(severity, dtype=np.int64)],
            "scope_level": np.full(n, scope_level, dtype=object),
            "scope_id": np.asarray(scope_id, dtype=np.int64).reshape(n),
            "product_id": pd.array(np.asarray(product_id, dtype=object).reshape(n), "Int64"),
            "district_id": pd.array(np.asarray(district_id, dtype=object).reshape(n), "Int64"),
            "value": np.asarray(value, dtype=np.float64).reshape(n),
            "threshold": np.asarray(threshold, dtype=np.float64).reshape(n),
            "summary": summary.english.astype(object),
            "summary_text": summary.json().astype(object),
        }
    )


def region_labels(regions: pd.DataFrame | None, ids: pd.Series, *, level: str) -> Words:
    """Human labels of district or city scopes: "District Weidong (410403)" for a region
    in ``regions`` (``region_id, name, code`` and ``name_zh`` when known, which the Chinese
    label shows), else "district 12"."""
    generic = _generic_labels(ids, level)
    if regions is None or regions.empty:
        return generic
    known = regions.drop_duplicates("region_id").set_index("region_id")
    english = known["name"].reindex(ids.to_numpy())
    codes = known["code"].reindex(ids.to_numpy())
    chinese = (
        known["name_zh"].reindex(ids.to_numpy()).fillna(english)
        if "name_zh" in known.columns
        else english
    )
    found = (english.notna() & codes.notna()).to_numpy()
    named = worded(
        _REGION_LABELS[level],
        len(ids),
        name=names_in_languages(as_text(english.fillna("")), as_text(chinese.fillna(""))),
        code=as_text(codes.fillna("")),
    )
    return named.where(found, generic)
