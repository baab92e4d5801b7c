"""A monitor process stops NumPy asking for huge pages, unless the operator chose."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest

from core.huge_pages import without_huge_pages

multiarray = importlib.import_module("numpy._core.multiarray")


@pytest.fixture
def huge_pages_on() -> Iterator[None]:
    before = multiarray._set_madvise_hugepage(True)
    yield
    multiarray._set_madvise_hugepage(before)


def test_numpy_stops_asking_for_huge_pages(
    huge_pages_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    assert without_huge_pages() is True
    assert multiarray._set_madvise_hugepage(False) is False  # already off


def test_an_operator_s_numpy_madvise_hugepage_is_kept(
    huge_pages_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    assert without_huge_pages() is False
    assert multiarray._set_madvise_hugepage(True) is True  # still on
