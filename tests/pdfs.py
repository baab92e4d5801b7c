"""Reading the service's PDFs back in tests: their text as a reader copies it, and the
CJK font they need (skipped with the reason when the set-up has not installed it)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from core.documents import DEFAULT_FONT_FILE


def require_cjk_font() -> Path:
    """The CJK font the PDFs embed, or skip: ``make browser`` installs fonts-noto-cjk."""
    if not DEFAULT_FONT_FILE.exists():
        pytest.skip(f"{DEFAULT_FONT_FILE} is not installed (make browser installs it)")
    return DEFAULT_FONT_FILE


def pdf_pages(content: bytes) -> list[str]:
    """Each page's text. pypdf reads a CID font's two-byte codes as a NUL and the
    character, so the NULs are dropped; what remains is the text a reader copies."""
    assert content.startswith(b"%PDF-"), content[:40]
    reader = PdfReader(io.BytesIO(content))
    return [
        page.extract_text(extraction_mode="layout").replace("\x00", "") for page in reader.pages
    ]


def pdf_text(content: bytes) -> str:
    """The whole document's text, pages joined."""
    return "\n".join(pdf_pages(content))


def pdf_images(content: bytes) -> int:
    """How many images the document's pages draw (a pass has its QR code)."""
    reader = PdfReader(io.BytesIO(content))
    return sum(len(page.images) for page in reader.pages)
