"""The pages' gettext catalogues: English message ids, Simplified Chinese translations.

Texts for people are keyed by message id (the English template): ``_()``/``{% trans %}``
in the templates, ``phrase()``/``field_problem()`` and domain error calls in the code
(``core.text``). ``python -m service.translations`` runs ``pybabel extract`` over the
code and templates with these keywords and ``pybabel update`` into the ``.po`` files;
``tests/service/web/test_translations.py`` fails when a message has no translation.
The ``.po`` files are read at start (no compiled ``.mo`` to keep in step).
"""

from __future__ import annotations

import importlib
import io
import pkgutil
from collections.abc import Callable
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from core.errors import DomainError, InvalidValue
from core.words import ENUM_WORDS, word

LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"
CATALOGUE_DIRECTORY = Path(__file__).resolve().parent
TEMPLATE_FILE = CATALOGUE_DIRECTORY / "messages.pot"
ROOT = CATALOGUE_DIRECTORY.parent.parent
SOURCE_PACKAGES = (
    "core",
    "accounts",
    "reports",
    "monitors",
    "dispatch",
    "hotline",
    "bulletin",
    "passes",
    "pass_office",
    "supply_network",
    "masterdata",
    "officers",
    "service",
)
"""Where texts for people are written (tests and benches are not)."""
PLAIN_KEYWORDS = ("_", "gettext", "ngettext:1,2", "N_", "phrase", "worded", "field_problem:2")


def _subclasses(base: type) -> set[type]:
    found: set[type] = set()
    child: type
    for child in base.__subclasses__():
        found |= {child} | _subclasses(child)
    return found


def keywords() -> list[str]:
    """Every call whose argument is a message id: the gettext functions, ``phrase`` and
    ``field_problem`` (its second), every domain error class and ``InvalidValue`` (a
    pydantic validator's refusal), with all modules imported so none is missed."""
    for name in SOURCE_PACKAGES:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, f"{name}."):
            if ".translations" not in module.name:
                importlib.import_module(module.name)
    errors = sorted(
        {cls.__name__ for base in (DomainError, InvalidValue) for cls in _subclasses(base)}
        | {"DomainError", "InvalidValue"}
    )
    return [*PLAIN_KEYWORDS, *errors]


def message_ids() -> dict[str, list[str]]:
    """Every message id ``pybabel extract`` finds (the same map and keywords, in-process),
    with where it is written, so a test can hold the catalogues to them."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_keywords, parse_mapping_cfg

    with (CATALOGUE_DIRECTORY / "babel.cfg").open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    specs = parse_keywords(keywords())
    found: dict[str, list[str]] = {}
    for name in SOURCE_PACKAGES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT / name), method_map, options_map, keywords=specs
        ):
            msgid = message if isinstance(message, str) else message[0]
            found.setdefault(msgid, []).append(f"{name}/{filename}:{lineno}")
    return found


def catalogue_path(language: str) -> Path:
    """The ``.po`` file of ``language``."""
    return CATALOGUE_DIRECTORY / language / "LC_MESSAGES" / "messages.po"


@cache
def translations(language: str) -> NullTranslations:
    """The gettext translations of ``language`` (English: the message ids themselves)."""
    path = catalogue_path(language)
    if language == DEFAULT_LANGUAGE or not path.exists():
        return NullTranslations()
    with path.open("rb") as source:
        catalogue = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled)


def extract_and_update() -> None:
    """``pybabel extract`` the message ids into messages.pot, then ``pybabel update``
    every language's catalogue (new ids arrive untranslated; the test names them)."""
    from babel.messages.frontend import CommandLineInterface

    arguments = ["pybabel", "extract", "-F", str(CATALOGUE_DIRECTORY / "babel.cfg")]
    arguments += ["--no-default-keywords", "--sort-output", "--no-location", "--no-wrap"]
    for keyword in keywords():
        arguments += ["-k", keyword]
    arguments += ["-o", str(TEMPLATE_FILE), "--project", "supplywatch"]
    arguments += [str(ROOT / name) for name in SOURCE_PACKAGES]
    CommandLineInterface().run(arguments)
    for language in LANGUAGES:
        if language == DEFAULT_LANGUAGE:
            continue
        CommandLineInterface().run(
            [
                "pybabel",
                "update",
                "--no-fuzzy-matching",
                "--ignore-obsolete",
                "--no-wrap",
                "-i",
                str(TEMPLATE_FILE),
                "-d",
                str(CATALOGUE_DIRECTORY),
                "-l",
                language,
            ]
        )


def template_gettext(language: str) -> dict[str, Callable[..., Any]]:
    """``gettext`` and ``ngettext`` of ``language`` for a template's context, newstyle as
    Jinja2's i18n extension calls them (``_("…%(name)s", name=…)``; autoescaped)."""
    catalogue = translations(language)

    @pass_context
    def gettext(context: Context, message: str, /, **variables: Any) -> str:
        text = catalogue.gettext(message)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    @pass_context
    def ngettext(
        context: Context, singular: str, plural: str, count: int, /, **variables: Any
    ) -> str:
        text = catalogue.ngettext(singular, plural, count)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % {"num": count, **variables}

    return {"gettext": gettext, "ngettext": ngettext}


ENUMS_BY_NAME = {kind.__name__: kind for kind in ENUM_WORDS}
"""The enums a template may name for a plain code it words."""


def template_words(language: str) -> dict[str, Callable[..., Any]]:
    """``word`` and ``words_of`` for a template's context, on the pages and in printed
    documents alike: a value the tables hold in the reader's words ("–" for none; a plain
    code names its enum, ``word(stop.status, "DeliveryStatus")``), and an enum's codes to
    their words for a script."""
    translate = translations(language).gettext

    def words(value: StrEnum | str | None, kind: str | None = None) -> str:
        if value is None or value == "":
            return "–"
        member = ENUMS_BY_NAME[kind](value) if kind is not None else value
        if not isinstance(member, StrEnum):
            raise TypeError(f"{value!r} is no enum member: name its enum")
        return word(member).render(translate, language)

    def words_of(kind: str) -> dict[str, str]:
        return {member.value: words(member) for member in ENUMS_BY_NAME[kind]}

    return {"word": words, "words_of": words_of}
