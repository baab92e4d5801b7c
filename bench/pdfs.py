"""How long the printable PDFs take: a province day's bulletin and a pass.

The bulletin's figures come from ``bench/bulletin_numbers.py``'s synthetic province
(default 2,000 outlets in 100 districts × 60 products × 14 days: the PDF's size depends
on the products and districts, not on the outlets), turned into the tables a published
revision keeps; the pass is a vehicle pass with a real signed-size token. Each is
written with the CJK font of ``core/documents.py`` (fpdf2 loads the Simplified Chinese
face of Noto Sans CJK and embeds the subset of glyphs used). Prints each run and ends
with

    pdf_seconds=        the fastest run of the bulletin PDF (Chinese)
    pdf_pages=          its pages
    pdf_bytes=          its size
    pass_pdf_seconds=   the fastest run of a pass PDF

Usage: ``.venv/bin/python bench/pdfs.py [--outlets N] [--products P] [--repeat R]
[--font FILE]``.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after the packages: bench/dispatch.py is no package

from bulletin_numbers import bulletin_day, synthetic_province  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from bulletin.printing import bulletin_document  # noqa: E402
from bulletin.publishing import Names, bulletin_figures  # noqa: E402
from core.documents import DEFAULT_FONT_FILE  # noqa: E402
from models import Bulletin, BulletinStatus  # noqa: E402
from pass_office.printing import PassLine, PrintedPass, printed_pass_pdf  # noqa: E402
from service.translations import translations  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
TOKEN = "SW1:" + "6BFOXN*TS0BI$ZD.P9UOL97O4-2HH77HRM3HSJU0" * 7
"""A token as long as a signed pass's (about 290 characters, QR version 10-13 at Q)."""


def timed(runs: int, work: object) -> tuple[float, bytes]:
    """The fastest of ``runs`` calls of ``work`` and what the last one returned."""
    timings = []
    content = b""
    for run in range(1, runs + 1):
        started = time.perf_counter()
        content = work()  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
        print(f"  run {run}: {timings[-1]:.3f} s, {len(content)} bytes", flush=True)
    return min(timings), content


def main() -> None:
    """Time the bulletin and pass PDFs and print the figures for scripts."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--outlets", type=int, default=2_000)
    parser.add_argument("--products", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--font", type=Path, default=DEFAULT_FONT_FILE)
    args = parser.parse_args()
    days = 14
    last_day = date(2024, 5, 14)
    lines, outlets, products = synthetic_province(
        outlets=args.outlets, products=args.products, days=days, last_day=last_day, seed=11
    )
    numbers, _ = bulletin_day(
        lines=lines, outlets=outlets, products=products, last_day=last_day, days=days
    )
    bulletin = Bulletin(
        business_date=last_day,
        revision=1,
        status=BulletinStatus.published,
        summary_en="A province day.",
        summary_zh="全省一日的公告。" * 20,
        correction_note=None,
        published_at=datetime(2024, 5, 15, 2, tzinfo=UTC),
        figures=bulletin_figures(numbers) | {"baseline": {"start": "–", "end": "–"}},
    )
    names = Names(
        products={code: f"商品{code[-2:]}" for code in products["product"]},
        units=dict.fromkeys(products["product"], "kg"),
        regions={code: f"第{code[-3:]}区" for code in outlets["district"].unique()},
    )
    chinese = translations("zh").gettext
    print(
        f"bulletin PDF: {len(numbers.prices)} products, "
        f"{len(numbers.district_coverage)} districts, {len(numbers.notable_moves)} moves"
    )
    pdf_seconds, content = timed(
        args.repeat,
        lambda: bulletin_document(
            bulletin=bulletin,
            names=names,
            categories={},
            language="zh",
            translate=chinese,
            zone=ZONE,
            font_file=args.font,
        ),
    )
    pages = len(PdfReader(io.BytesIO(content)).pages)
    printed = PrintedPass(
        code="VP-2026-000001",
        title="Emergency transport vehicle pass",
        subject="豫D·00001",
        token=TOKEN,
        lines=[
            PassLine("Pass", "VP-2026-000001"),
            PassLine("Plate", "豫D·00001"),
            PassLine("Holder", "Emergency fleet", translated=True),
            PassLine("Regions", "卫东区 Weidong (410403); 新华区 Xinhua (410402)"),
            PassLine("Valid", "2026-12-03 18:56 – 2026-12-17 18:56 (Asia/Shanghai)"),
        ],
    )
    print("pass PDF:")
    pass_seconds, _ = timed(
        args.repeat, lambda: printed_pass_pdf(printed, chinese=chinese, font_file=args.font)
    )
    print(f"pdf_seconds={pdf_seconds:.3f}")
    print(f"pdf_pages={pages}")
    print(f"pdf_bytes={len(content)}")
    print(f"pass_pdf_seconds={pass_seconds:.3f}")


if __name__ == "__main__":
    main()
