"""A crowd asking for the same frozen document gets one made; a crowd asking for many
waits for a bounded number of makers, and one who waits too long is told to come back."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.errors import ServiceBusy
from core.kept_documents import DocumentShelf


class Maker:
    """Makes a document slowly and counts how many it made and how many at once."""

    def __init__(self, pause: float = 0.05) -> None:
        self.pause = pause
        self.made: list[str] = []
        self.at_once = 0
        self.most_at_once = 0
        self._guard = threading.Lock()

    def __call__(self, key: str) -> bytes:
        with self._guard:
            self.at_once += 1
            self.most_at_once = max(self.most_at_once, self.at_once)
        time.sleep(self.pause)
        with self._guard:
            self.at_once -= 1
            self.made.append(key)
        return f"pdf of {key}".encode()


def test_thirty_readers_of_one_bulletin_at_once_get_one_pdf_made() -> None:
    shelf = DocumentShelf(capacity=8, makers=2, wait_seconds=10)
    maker = Maker()
    with ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(
            pool.map(lambda _: shelf.get("2026-12-07/zh", lambda: maker("zh")), range(30))
        )
    assert answers == [b"pdf of zh"] * 30
    assert maker.made == ["zh"]


def test_many_different_documents_are_made_two_at_a_time() -> None:
    shelf = DocumentShelf(capacity=64, makers=2, wait_seconds=10)
    maker = Maker()
    keys = [f"day-{number}" for number in range(12)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda key: shelf.get(key, lambda: maker(key)), keys))
    assert answers == [f"pdf of {key}".encode() for key in keys]
    assert sorted(maker.made) == sorted(keys)
    assert maker.most_at_once == 2


def test_a_reader_who_waits_too_long_for_a_turn_is_told_to_come_back() -> None:
    shelf = DocumentShelf(capacity=8, makers=1, wait_seconds=0.05)
    slow = Maker(pause=0.5)
    started = threading.Event()

    def first() -> bytes:
        started.set()
        return shelf.get("slow", lambda: slow("slow"))

    with ThreadPoolExecutor(max_workers=1) as pool:
        making = pool.submit(first)
        started.wait()
        time.sleep(0.05)
        with pytest.raises(ServiceBusy) as busy:
            shelf.get("other", lambda: b"never made")
        assert making.result() == b"pdf of slow"
    assert busy.value.headers == {"Retry-After": "5"}
    assert shelf.get("other", lambda: b"made now") == b"made now"


def test_the_least_recently_read_document_is_the_one_let_go() -> None:
    shelf = DocumentShelf(capacity=2, makers=1, wait_seconds=1)
    maker = Maker(pause=0)
    for key in ("a", "b", "a", "c", "a", "b"):
        shelf.get(key, lambda key=key: maker(key))  # type: ignore[misc]
    assert maker.made == ["a", "b", "c", "b"]  # "b" was let go for "c", "a" was read again


def test_a_failed_making_is_not_kept() -> None:
    shelf = DocumentShelf(capacity=2, makers=1, wait_seconds=1)

    def broken() -> bytes:
        raise RuntimeError("font missing")

    with pytest.raises(RuntimeError):
        shelf.get("a", broken)
    assert shelf.get("a", lambda: b"made") == b"made"
