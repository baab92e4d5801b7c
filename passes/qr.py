"""A pass token as a QR code (SVG), at error correction level Q.

Level Q restores up to about 25 % of the symbol, enough for a code printed on paper
behind a windscreen, creased or partly dirty. The token is encoded in the alphanumeric
mode (every character of a token is in that set), and the level is never raised above Q,
so the version reported is the one the token needs.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno

ERROR_LEVEL = "Q"


@dataclass(frozen=True)
class PassQrCode:
    """An SVG QR code with the version (size 1-40) and error correction level it uses."""

    svg: str
    version: int
    error_level: str


def pass_qr_code(*, token: str, scale: int = 4, border: int = 4) -> PassQrCode:
    """The QR code that carries ``token``, as SVG text fit to embed in a page or save.

    ``scale`` is the size of a module in SVG user units and ``border`` the quiet zone
    in modules (4 is the standard's minimum for reliable scanning).
    """
    code = segno.make_qr(token, error=ERROR_LEVEL, mode="alphanumeric", boost_error=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="svg", xmldecl=False, nl=False, scale=scale, border=border)
    return PassQrCode(
        svg=buffer.getvalue().decode("utf-8"),
        version=int(code.version),
        error_level=str(code.error),
    )


def pass_qr_png(*, token: str, scale: int = 8, border: int = 4) -> bytes:
    """The same QR code as a PNG image (``scale`` pixels a module), for printing."""
    code = segno.make_qr(token, error=ERROR_LEVEL, mode="alphanumeric", boost_error=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()
