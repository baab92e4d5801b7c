"""Every text the pages show has its Simplified Chinese translation, and the language
follows the header switch first, then the browser."""

from __future__ import annotations

import re
from pathlib import Path

from core.text import phrase
from service.translations import translations
from service.web.i18n import pick_language, problem_text, translator

TEMPLATES = Path(__file__).resolve().parents[3] / "service" / "templates"
LITERAL = re.compile(r"""_\(\s*(?:"([^"]+)"|'([^']+)')\s*\)""")


def test_every_literal_text_of_the_templates_has_a_chinese_translation() -> None:
    missing = set()
    chinese = translations("zh")
    for template in TEMPLATES.rglob("*.html"):
        for double, single in LITERAL.findall(template.read_text(encoding="utf-8")):
            text = double or single
            if chinese.gettext(text) == text:
                missing.add(f"{template.name}: {text}")
    assert not missing, sorted(missing)


LABEL_THEN_COLON = re.compile(r"""\{\{\s*_\(\s*(?:"[^"]*"|'[^']*')\s*\)\s*\}\}:""")


def test_no_template_writes_an_ascii_colon_after_a_translated_label() -> None:
    """'Label: value' is one translated message ("%(label)s: %(value)s"), so a Chinese
    page reads 标签：值 with the full-width colon, never 标签: 值."""
    found = [
        f"{template.relative_to(TEMPLATES)}:{text.count(chr(10), 0, match.start()) + 1}"
        for template in sorted(TEMPLATES.rglob("*.html"))
        for text in [template.read_text(encoding="utf-8")]
        for match in LABEL_THEN_COLON.finditer(text)
    ]
    assert not found, found


def test_the_switch_wins_over_the_browser_and_quality_orders_the_rest() -> None:
    assert pick_language("en", "zh-CN,zh;q=0.9") == "en"
    assert pick_language(None, "zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert pick_language(None, "fr-FR,en;q=0.5,zh;q=0.9") == "zh"
    assert pick_language(None, "fr-FR") == "en"
    assert pick_language("xx", None) == "en"
    assert translator("zh")("Sign in") == "登录"
    assert translator("en")("Sign in") == "Sign in"


def test_a_problem_is_translated_by_its_message_id_and_keeps_its_values() -> None:
    unknown = phrase("unknown {label} {code!r}", label=phrase("product"), code="rice-5kg")
    assert problem_text(unknown, "en") == "unknown product 'rice-5kg'"
    assert problem_text(unknown, "zh") == "未知商品 'rice-5kg'"
    assert problem_text("rice-5kg", "zh") == "rice-5kg"
