"""Every text the pages show has its Simplified Chinese translation, and the language
follows the header switch first, then the browser."""

from __future__ import annotations

import re
from pathlib import Path

from service.web.i18n import ZH, pick_language, translator

TEMPLATES = Path(__file__).resolve().parents[2] / "service" / "templates"
LITERAL = re.compile(r"""_\(\s*(?:"([^"]+)"|'([^']+)')\s*\)""")


def test_every_literal_text_of_the_templates_has_a_chinese_translation() -> None:
    missing = set()
    for template in TEMPLATES.rglob("*.html"):
        for double, single in LITERAL.findall(template.read_text(encoding="utf-8")):
            text = double or single
            if text not in ZH:
                missing.add(f"{template.name}: {text}")
    assert not missing, sorted(missing)


def test_the_switch_wins_over_the_browser_and_quality_orders_the_rest() -> None:
    assert pick_language("en", "zh-CN,zh;q=0.9") == "en"
    assert pick_language(None, "zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert pick_language(None, "fr-FR,en;q=0.5,zh;q=0.9") == "zh"
    assert pick_language(None, "fr-FR") == "en"
    assert pick_language("xx", None) == "en"
    assert translator("zh")("Sign in") == "登录"
    assert translator("en")("Sign in") == "Sign in"
