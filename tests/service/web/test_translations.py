"""Every text the code and the templates can show has its Chinese translation, keyed by
message id: what ``pybabel extract`` finds is in the catalogue with the same placeholders,
no message is built before it reaches the catalogue, and no domain error escapes the
extraction keywords."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import string
import tomllib
from collections.abc import Iterator
from enum import StrEnum
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from core.errors import DomainError, InvalidValue
from core.words import ENUM_WORDS
from service.translations import (
    PLAIN_KEYWORDS,
    ROOT,
    SOURCE_PACKAGES,
    catalogue_path,
    keywords,
    message_ids,
)

Placeholder = tuple[str, str | None, str]


@cache
def chinese() -> Catalog:
    with catalogue_path("zh").open("rb") as source:
        return read_po(source, locale="zh")


def placeholders(text: str) -> set[Placeholder]:
    """The ``str.format`` fields of a text: name, conversion and format spec."""
    return {
        (name, conversion, spec or "")
        for _, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    }


def test_every_message_the_code_and_templates_can_show_has_a_chinese_translation() -> None:
    catalogue = chinese()
    untranslated = []
    for msgid, where in sorted(message_ids().items()):
        entry = catalogue.get(msgid)
        if entry is None or not entry.string or entry.fuzzy:
            untranslated.append(f"{where[0]}: {msgid!r}")
    assert not untranslated, "run python -m service.translations and translate:\n" + "\n".join(
        untranslated
    )


def test_every_translation_keeps_exactly_the_placeholders_of_its_message_id() -> None:
    changed = [
        f"{entry.id!r} -> {entry.string!r}"
        for entry in chinese()
        if isinstance(entry.id, str)
        and entry.id
        and entry.string
        and placeholders(entry.id) != placeholders(str(entry.string))
    ]
    assert not changed, "\n".join(changed)


def _domain_and_value_errors() -> set[type]:
    found: set[type] = set()
    stack: list[type] = [DomainError, InvalidValue]
    while stack:
        current = stack.pop()
        found.add(current)
        stack.extend(current.__subclasses__())
    return found


def _every_package_imported() -> None:
    """Import every module of every package of ours (not only the extracted ones), so a
    domain error in a package missing from the extraction is seen."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for name in config["tool"]["importlinter"]["root_packages"]:
        if name in ("models", "migrations"):  # tables and revisions word nothing for people
            continue
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, f"{name}."):
            if ".translations" not in module.name:
                importlib.import_module(module.name)


def test_every_domain_error_class_is_an_extraction_keyword_in_an_extracted_package() -> None:
    _every_package_imported()
    names = set(keywords())
    for error in _domain_and_value_errors():
        assert error.__name__ in names, error
        package = error.__module__.split(".")[0]
        assert package in SOURCE_PACKAGES, f"{error.__module__} is not extracted"


def _source_files() -> Iterator[Path]:
    for name in SOURCE_PACKAGES:
        yield from sorted((ROOT / name).rglob("*.py"))


def _built(node: ast.expr) -> bool:
    """Whether an expression builds a string (f-string, ``%``, ``+``, ``.format``, ``.join``)."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "join")
    )


def _message_of(call: ast.Call, name: str) -> ast.expr | None:
    position = 1 if name == "field_problem" else 0
    return call.args[position] if len(call.args) > position else None


def test_no_message_is_built_before_it_reaches_the_catalogue() -> None:
    """A domain error, ``field_problem``, ``phrase`` or ``InvalidValue`` takes a message id
    and values; a message formatted first, or a field problem written as a plain dict,
    would skip the catalogue."""
    worded = {keyword.split(":")[0] for keyword in keywords()} - {
        keyword.split(":")[0] for keyword in PLAIN_KEYWORDS if keyword not in ("phrase",)
    }
    worded |= {"phrase", "field_problem"}
    found = []
    for path in _source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in worded:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            message = _message_of(node, name)
            if message is not None and _built(message):
                found.append(f"{where}: {name}() with a built message")
            for keyword in node.keywords:
                if keyword.arg != "errors":
                    continue
                for inner in ast.walk(keyword.value):
                    if isinstance(inner, ast.Dict) and any(
                        isinstance(key, ast.Constant) and key.value == "msg" for key in inner.keys
                    ):
                        found.append(f"{where}: a field problem written as a dict")
    assert not found, "\n".join(found)


def test_every_enum_value_people_read_has_english_words_and_chinese() -> None:
    for enum, words in ENUM_WORDS.items():
        members: list[StrEnum] = list(enum)
        assert sorted(words) == sorted(member.value for member in members), enum
        for code, english in words.items():
            assert "_" not in english, f"{enum.__name__}.{code} reads {english!r}"
            entry = chinese().get(english)
            assert entry is not None and entry.string, f"{enum.__name__}.{code}: {english!r}"
