"""Every text the pages show has its Simplified Chinese translation, and the language
follows the header switch first, then the browser."""

from __future__ import annotations

import re
from pathlib import Path

from service.translations import translations
from service.web.i18n import PROBLEM_PATTERNS, pick_language, translate_problem, translator

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


def test_the_switch_wins_over_the_browser_and_quality_orders_the_rest() -> None:
    assert pick_language("en", "zh-CN,zh;q=0.9") == "en"
    assert pick_language(None, "zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert pick_language(None, "fr-FR,en;q=0.5,zh;q=0.9") == "zh"
    assert pick_language(None, "fr-FR") == "en"
    assert pick_language("xx", None) == "en"
    assert translator("zh")("Sign in") == "登录"
    assert translator("en")("Sign in") == "Sign in"


def test_every_problem_pattern_has_a_translation_that_fits_its_sample() -> None:
    for pattern, chinese, sample in PROBLEM_PATTERNS:
        assert chinese, pattern
        assert re.fullmatch(pattern, sample), (pattern, sample)
        translated = translate_problem(sample, "zh")
        assert translated != sample, sample
        assert re.search(r"[\u4e00-\u9fff]", translated), (sample, translated)
        assert translate_problem(sample, "en") == sample


def test_problems_keep_their_variable_parts_and_unknown_ones_stay_english() -> None:
    assert translate_problem("unknown product 'rice-5kg'", "zh") == "未知商品 'rice-5kg'"
    assert translate_problem("is larger than the limit of 1e+06", "zh") == "超过上限 1e+06"
    assert translate_problem("Input should be greater than 0", "zh") == "必须大于 0"
    assert translate_problem("Field required", "zh") == "必填"
    assert (
        translate_problem(
            "the edit breaks 2 rule(s): vehicle T1: load 900 kg exceeds its capacity 800 kg",
            "zh",
        )
        == "此次修改违反 2 条规则：车辆 T1：载重 900 kg 超过其容量 800 kg"
    )
    assert translate_problem("a brand-new problem", "zh") == "a brand-new problem"
