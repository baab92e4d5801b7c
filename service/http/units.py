"""The word a page or a printed document shows for a unit, in the reader's language.

Reports, orders and offers carry a unit's code (kg, box, L). An English page keeps showing the
code; a Chinese one shows the unit's Chinese name from the units table (千克, 箱, 升), read at
most once per render and only if the page shows a unit, so an admin's change to the table is
on the next page and an English page never reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from sqlalchemy.orm import Session

from masterdata.products import list_units


class NamedUnit(Protocol):
    """A row of the units table as the words need it."""

    @property
    def code(self) -> str: ...
    @property
    def name_zh(self) -> str | None: ...


class UnitWords:
    """``unit_name(code)`` for one render: the code in English, the Chinese name in Chinese
    (the code where the table has none), so a reader sees '12 千克' instead of '12 kg'."""

    def __init__(self, language: str, read_units: Callable[[], Iterable[NamedUnit]]) -> None:
        self.language = language
        self._read_units = read_units
        self._chinese: dict[str, str] | None = None

    def __call__(self, code: str | None) -> str:
        if not code:
            return ""
        if self.language != "zh":
            return code
        if self._chinese is None:
            self._chinese = {unit.code: unit.name_zh for unit in self._read_units() if unit.name_zh}
        return self._chinese.get(code, code)


def unit_words(session: Session, language: str) -> UnitWords:
    """The unit words of a document rendered with ``session`` in ``language``."""
    return UnitWords(language, lambda: list_units(session=session))
