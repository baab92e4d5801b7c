"""Responses a browser keeps and revalidates: an ETag from the body, and a 304 when the
browser's copy (``If-None-Match``) is current, so a reload costs one small request."""

from __future__ import annotations

import hashlib

from fastapi import Request
from fastapi.responses import Response

REVALIDATE = "private, no-cache"
"""Keep it, but ask each time: the data behind it change with every report and run."""


def entity_tag(body: bytes) -> str:
    """A strong ETag naming exactly these bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def revalidated(request: Request, body: bytes, *, media_type: str) -> Response:
    """``body`` with its ETag, or an empty 304 when the browser already holds it."""
    tag = entity_tag(body)
    headers = {"ETag": tag, "Cache-Control": REVALIDATE}
    wanted = {part.strip() for part in request.headers.get("if-none-match", "").split(",")}
    if tag in wanted or f"W/{tag}" in wanted:
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=media_type, headers=headers)
