"""Printable documents rendered from the templates outside a page's frame.

The pages render through ``service.web.common``; a document the API hands out (a truck's
manifest to print at the depot) is rendered here from the same template directory, so
no router builds its own template environment.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session

from dispatch.queries.deliveries import Manifest
from service.http.units import unit_words
from service.translations import template_gettext, template_words


@cache
def _templates() -> Environment:
    environment = Environment(
        loader=PackageLoader("service", "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    # Each render passes its language's gettext/ngettext, as the pages do.
    environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return environment


def manifest_html(manifest: Manifest, *, session: Session, zone: ZoneInfo, language: str) -> str:
    """A truck's manifest as a page to print in ``language``, products and units by their
    names in it (times in the city's time zone)."""
    product_names = {
        item.product: (item.product_name_zh if language == "zh" else None) or item.product_name
        for stop in manifest.stops
        for item in stop.items
    }
    return (
        _templates()
        .get_template("dispatch/manifest.html")
        .render(
            manifest=manifest,
            zone=zone,
            language=language,
            product_names=product_names,
            unit_name=unit_words(session, language),
            **template_gettext(language),
            **template_words(language),
        )
    )
