"""The pages' two languages: picking one, and translating through the gettext catalogues
(``service/translations``), English message ids to Simplified Chinese: the templates'
strings through Jinja2's i18n extension, problems by their message id and values."""

from __future__ import annotations

from collections.abc import Callable

from core.text import Text, clipped
from service.translations import DEFAULT_LANGUAGE, LANGUAGES, template_gettext, translations

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "pick_language",
    "problem_text",
    "template_gettext",
    "translator",
]


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    """The chosen language: the header switch (cookie) first, else the browser's
    Accept-Language (the first of en/zh by quality), else English."""
    if cookie in LANGUAGES:
        return cookie
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, position, primary))
    return min(choices)[2] if choices else DEFAULT_LANGUAGE


def translator(language: str) -> Callable[[str], str]:
    """A function that turns an English message id into ``language`` (itself when missing)."""
    return translations(language).gettext


def problem_text(text: Text | str, language: str) -> str:
    """A problem for people in ``language``: a Text through the catalogue by its message id
    and values; a plain string (data, or a problem nobody worded) as it is."""
    if isinstance(text, Text):
        return clipped(text.render(translator(language), language))
    return clipped(text)
