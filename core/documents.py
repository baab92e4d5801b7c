"""Printable PDF documents (passes, bulletins) in Chinese and English, with fpdf2.

Chinese needs a CJK font embedded in the file: Debian's Noto Sans CJK collection
(``fonts-noto-cjk``, installed by ``make fonts``, ``make demo`` and ``make browser``), or
the file the setting ``SUPPLYWATCH_PDF_FONT_FILE`` names. A collection (.ttc) holds one
face per region; the Simplified Chinese face is picked by its name, so 门 and 单 take
their mainland forms. When the font is missing the document is refused with 503
(``FontUnavailable``): a PDF without it would print empty boxes where the Chinese should
be, and read as valid.
Only the glyphs a document uses are embedded (fpdf2 subsets the font), so a pass stays
a few tens of kilobytes.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal

from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

from core.errors import DomainError

DEFAULT_FONT_FILE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
PDF_MEDIA_TYPE = "application/pdf"
FAMILY = "cjk"
COLLECTION_SUFFIXES = (".ttc", ".otc")
PREFERRED_FACE = "SC"
"""The face of a CJK collection that draws Simplified Chinese (Noto: "Noto Sans CJK SC")."""

Alignment = Literal["L", "C", "R"]


class FontUnavailable(DomainError):
    """The CJK font a PDF needs is not installed (or not a font): 503, since the service
    works and only its set-up lacks the file."""

    status = 503
    type_slug = "pdf-font-unavailable"
    title = "PDF font unavailable"


@lru_cache(maxsize=8)
def _face_number(path: str, modified_ns: int) -> int:
    """Which face of the collection at ``path`` draws Simplified Chinese (0 when none is
    named so); cached per file version, since reading the names takes a tenth of a second."""
    from fontTools.ttLib import TTCollection

    collection = TTCollection(path, lazy=True)
    try:
        for number, face in enumerate(collection.fonts):
            family = str(face["name"].getDebugName(1) or "")
            if family.split()[-1:] == [PREFERRED_FACE] and "Mono" not in family:
                return number
        return 0
    finally:
        collection.close()


def _face_of(font_file: Path) -> int:
    """The face of ``font_file`` to load (its Simplified Chinese one for a collection, 0 for
    a single font), or a 503 naming the file when it is missing or unreadable."""
    try:
        modified_ns = font_file.stat().st_mtime_ns
        if font_file.suffix.lower() in COLLECTION_SUFFIXES:
            return _face_number(str(font_file), modified_ns)
    except OSError as error:
        raise FontUnavailable(
            "the PDF font {path} is missing: install fonts-noto-cjk (make fonts) or set "
            "SUPPLYWATCH_PDF_FONT_FILE",
            path=str(font_file),
        ) from error
    except Exception as error:  # fontTools raises its own errors on a file that is no font
        raise FontUnavailable(
            "the PDF font {path} cannot be read as a font", path=str(font_file)
        ) from error
    return 0


@lru_cache(maxsize=8)
def _drawn_characters(path: str, modified_ns: int, face: int) -> frozenset[int]:
    """The code points the face ``face`` of the font at ``path`` has glyphs for."""
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=face, lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def undrawable_characters(text: str, font_file: Path) -> list[str]:
    """The distinct characters of ``text`` the PDF font has no glyph for, in order of first
    appearance: fpdf2 leaves them out of the page with only a log line, so a PDF would say
    less than the page. None when the font cannot be read (the PDF is refused then)."""
    try:
        face = _face_of(font_file)
        drawn = _drawn_characters(str(font_file), font_file.stat().st_mtime_ns, face)
    except Exception:  # a missing file, or fontTools' own errors on a file that is no font
        return []
    missing: dict[str, None] = {}
    for character in text:
        # spaces and invisible marks (a zero-width joiner) draw nothing on the page either
        if ord(character) not in drawn and unicodedata.category(character)[0] not in "CZ":
            missing.setdefault(character, None)
    return list(missing)


class Document:
    """A PDF being written on A4 pages with the CJK font: headings, paragraphs, label and
    value lines, tables that break across pages with their header repeated, and images."""

    def __init__(self, *, font_file: Path, title: str, language: str = "zh-CN") -> None:
        face = _face_of(font_file)
        self._pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        try:
            self._pdf.add_font(FAMILY, "", str(font_file), collection_font_number=face)
        except Exception as error:  # a truncated or foreign file fails inside fontTools
            raise FontUnavailable(
                "the PDF font {path} cannot be read as a font", path=str(font_file)
            ) from error
        self._pdf.set_title(title)
        self._pdf.set_creator("supplywatch")
        self._pdf.set_lang(language)
        self._pdf.set_auto_page_break(auto=True, margin=15)
        self._pdf.set_margins(15, 15, 15)
        self._pdf.set_font(FAMILY, size=10)
        self._pdf.add_page()

    @property
    def width(self) -> float:
        """The width between the margins, in mm."""
        return float(self._pdf.epw)

    def new_page(self) -> None:
        """Start a new page."""
        self._pdf.add_page()

    def heading(self, text: str, *, size: float = 16, centred: bool = False) -> None:
        """A title line in a larger size (a pass's plate, centred and large)."""
        self._pdf.set_font(FAMILY, size=size)
        self._pdf.multi_cell(
            0,
            size * 0.5,
            text,
            align=Align.C if centred else Align.L,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self._pdf.ln(2)
        self._pdf.set_font(FAMILY, size=10)

    def paragraph(self, text: str, *, size: float = 10, gray: bool = False) -> None:
        """Wrapped text across the page (a gray one for notes)."""
        self._pdf.set_font(FAMILY, size=size)
        if gray:
            self._pdf.set_text_color(90, 90, 90)
        self._pdf.multi_cell(
            0, size * 0.55, text, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self._pdf.set_text_color(0, 0, 0)
        self._pdf.ln(1.5)
        self._pdf.set_font(FAMILY, size=10)

    def fields(
        self, rows: Sequence[tuple[str, str]], *, size: float = 12, label_width: float = 55
    ) -> None:
        """Label and value lines (a pass's plate, holder, validity), values wrapped."""
        self._pdf.set_font(FAMILY, size=size)
        line = size * 0.55
        for label, value in rows:
            self._pdf.set_text_color(90, 90, 90)
            self._pdf.cell(label_width, line, label)
            self._pdf.set_text_color(0, 0, 0)
            self._pdf.multi_cell(
                0, line, value or "–", align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
            self._pdf.ln(1)
        self._pdf.set_font(FAMILY, size=10)

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        widths: Sequence[float],
        align: Sequence[Alignment] | None = None,
        size: float = 8.5,
    ) -> None:
        """A table whose header repeats on each page; ``widths`` are relative."""
        self._pdf.set_font(FAMILY, size=size)
        alignments = list(align or ["L"] * len(header))
        line_height = size * 0.55
        column_widths = [self._pdf.epw * width / sum(widths) for width in widths]
        with self._pdf.table(
            col_widths=tuple(widths),
            text_align=tuple(Align.coerce(item) for item in alignments),
            line_height=line_height,
            headings_style=FontFace(fill_color=(230, 230, 230)),
            cell_fill_color=(247, 247, 247),
            cell_fill_mode=TableCellFillMode.ROWS,
            borders_layout="HORIZONTAL_LINES",
            repeat_headings=1,
        ) as table:
            for values in [header, *rows]:
                table.row(
                    [
                        self._fitted_cell(text, width=column_width, line_height=line_height)
                        for text, column_width in zip(values, column_widths, strict=False)
                    ]
                )
        self._pdf.ln(3)
        self._pdf.set_font(FAMILY, size=10)

    def _fitted_cell(self, text: str, *, width: float, line_height: float) -> str:
        """The cell's text cut to at most half a page of lines: fpdf2 refuses a row taller
        than a page, and one tall cell (a stored name full of newlines) would fail the
        whole document."""
        usable_height = self._pdf.h - self._pdf.t_margin - self._pdf.b_margin
        most_lines = max(1, int(usable_height / line_height / 2))
        if len(text) < most_lines:
            return text
        lines: list[str] = self._pdf.multi_cell(  # type: ignore[assignment]
            w=max(width * 0.8, 1.0),
            text=text,
            dry_run=True,
            output=MethodReturnValue.LINES,
        )
        if len(lines) <= most_lines:
            return text
        return "\n".join([*lines[: most_lines - 1], "…"])

    def image(self, png: bytes, *, width: float, centred: bool = True) -> None:
        """A PNG image ``width`` mm wide (a QR code), centred by default."""
        x = (self._pdf.w - width) / 2 if centred else self._pdf.l_margin
        self._pdf.image(io.BytesIO(png), x=x, w=width)
        self._pdf.ln(3)

    def to_bytes(self) -> bytes:
        """The finished PDF file."""
        return bytes(self._pdf.output())
