"""Printable documents rendered from the templates outside a page's frame.

The pages render through ``service.web.common``; a document the API hands out (a truck's
manifest to print at the depot) is rendered here from the same template directory, so
no router builds its own template environment.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

from dispatch.queries.deliveries import Manifest


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("service", "templates"), autoescape=select_autoescape(["html"])
    )


def manifest_html(manifest: Manifest, *, zone: ZoneInfo) -> str:
    """A truck's manifest as a page to print (times in the city's time zone)."""
    return _templates().get_template("dispatch/manifest.html").render(manifest=manifest, zone=zone)
