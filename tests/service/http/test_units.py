"""The word a page shows for a unit: the code in English, the Chinese name in Chinese."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from models import Unit
from service.http.units import UnitWords, unit_words


@dataclass(frozen=True)
class Row:
    code: str
    name_zh: str | None


class CountedTable:
    """A units table that counts how often it is read."""

    def __init__(self, *rows: Row) -> None:
        self.rows = rows
        self.reads = 0

    def __call__(self) -> list[Row]:
        self.reads += 1
        return list(self.rows)


def test_a_chinese_reader_gets_each_units_chinese_name_from_one_read() -> None:
    table = CountedTable(Row("kg", "千克"), Row("box", "箱"), Row("crate", None))
    unit_name = UnitWords("zh", table)
    assert table.reads == 0  # a page that shows no unit reads nothing
    assert [unit_name(code) for code in ("kg", "box", "kg")] == ["千克", "箱", "千克"]
    assert unit_name("crate") == "crate"  # no Chinese name: the code, as before
    assert unit_name("barrel") == "barrel"  # not in the table
    assert unit_name(None) == "" and unit_name("") == ""
    assert table.reads == 1


def test_an_english_reader_keeps_the_code_and_the_table_is_never_read() -> None:
    table = CountedTable(Row("kg", "千克"))
    unit_name = UnitWords("en", table)
    assert [unit_name("kg"), unit_name("L"), unit_name(None)] == ["kg", "L", ""]
    assert table.reads == 0


def test_the_words_read_the_units_table_of_the_session(session: Session) -> None:
    assert [unit_words(session, "zh")(code) for code in ("kg", "jin", "L", "box")] == [
        "千克",
        "斤",
        "升",
        "箱",
    ]
    litre = session.get(Unit, "L")
    assert litre is not None
    litre.name_zh = "公升"
    session.flush()
    assert unit_words(session, "zh")("L") == "公升"  # a new render sees the change
    assert unit_words(session, "en")("L") == "L"
