"""The pages' two languages: picking one, and translating through the gettext catalogues
(``service/translations``), English message ids to Simplified Chinese."""

from __future__ import annotations

import re
from collections.abc import Callable

from service.translations import DEFAULT_LANGUAGE, LANGUAGES, translations

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "pick_language", "translate_problem", "translator"]


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    """The chosen language: the header switch (cookie) first, else the browser's
    Accept-Language (the first of en/zh by quality), else English."""
    if cookie in LANGUAGES:
        return cookie
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, position, primary))
    return min(choices)[2] if choices else DEFAULT_LANGUAGE


def translator(language: str) -> Callable[[str], str]:
    """A function that turns an English message id into ``language`` (itself when missing)."""
    return translations(language).gettext


# Problems the domain and pydantic word in English (the API's problem+json keeps them so);
# the pages translate them here instead of teaching the domain a second language. Each
# entry is a full-match pattern whose named groups are the variable parts, the Chinese
# template that puts them back, and an English sample the tests check it against. A group
# called ``inner`` holds another problem and is translated in turn; ``subject`` is a
# "vehicle X" / "request X" prefix, translated the same way.
PROBLEM_PATTERNS: tuple[tuple[str, str, str], ...] = (
    # report summaries (service/ingest/reports.py), shown above the form and the upload
    (
        r"nothing was stored; (?P<count>\d+) problems in (?P<rows>\d+) (?:row|line)\(s\), "
        r"first at (?P<inner>.+)",
        "未保存任何数据；{rows} 行共 {count} 处问题，第一处在{inner}",
        "nothing was stored; 3 problems in 2 line(s), first at line 1, stock: must not be negative",
    ),
    (
        r"nothing was stored; (?P<inner>.+)",
        "未保存任何数据；{inner}",
        "nothing was stored; row 2, price: must be greater than 0",
    ),
    (
        r"(?:row|line) (?P<position>\d+), (?P<column>\w+): (?P<inner>.+)",
        "第 {position} 行 {column}：{inner}",
        "row 2, price: must be greater than 0",
    ),
    # report lines (service/ingest/validation.py), form fields and upload rows
    (r"must not be negative", "不能为负数", "must not be negative"),
    (r"must be greater than 0", "必须大于 0", "must be greater than 0"),
    (
        r"is larger than the limit of (?P<limit>\S+)",
        "超过上限 {limit}",
        "is larger than the limit of 1e+06",
    ),
    (
        r"is in the future \(today is (?P<today>[\d-]+)\)",
        "是未来日期（今天是 {today}）",
        "is in the future (today is 2026-11-23)",
    ),
    (
        r"is older than (?P<days>\d+) days \(before (?P<oldest>[\d-]+)\)",
        "早于 {days} 天前（{oldest} 之前）",
        "is older than 7 days (before 2026-11-16)",
    ),
    (
        r"appears more than once \((?P<rows>[\d, ]+)\)",
        "重复出现（{rows}）",
        "appears more than once (2, 5)",
    ),
    (r"is required", "必填", "is required"),
    (r"must be a finite number", "必须是有限数值", "must be a finite number"),
    (r"not a number", "不是数字", "not a number"),
    (r"not a date \(YYYY-MM-DD\)", "不是日期（YYYY-MM-DD）", "not a date (YYYY-MM-DD)"),
    (r"fill in at least one product", "请至少填写一种商品", "fill in at least one product"),
    (
        r"unknown (?P<kind>store|product|unit|truck) (?P<code>'.*')",
        "未知{kind} {code}",
        "unknown product 'rice-5kg'",
    ),
    (
        r"unknown unit (?P<unit>'.*') \(known: (?P<known>.*)\)",
        "未知单位 {unit}（可用：{known}）",
        "unknown unit 'box' (known: g, kg, l)",
    ),
    (
        r"(?P<kind>store|product) (?P<code>'.*') is deactivated",
        "{kind} {code} 已停用",
        "product 'rice-5kg' is deactivated",
    ),
    (
        r"not allowed to post for store (?P<code>'.*')",
        "无权为门店 {code} 报送",
        "not allowed to post for store 'S-002'",
    ),
    (
        r"unit (?P<unit>'.*') cannot be converted to this product's unit (?P<canonical>'.*')",
        "单位 {unit} 无法换算为该商品的单位 {canonical}",
        "unit 'l' cannot be converted to this product's unit 'kg'",
    ),
    (r"missing column (?P<column>'.*')", "缺少列 {column}", "missing column 'stock'"),
    (r"unknown column (?P<column>'.*')", "未知列 {column}", "unknown column 'colour'"),
    (
        r"column (?P<column>'.*') appears twice",
        "列 {column} 出现两次",
        "column 'stock' appears twice",
    ),
    (r"the file is empty", "文件为空", "the file is empty"),
    (
        r"the file has no header and no rows",
        "文件没有表头也没有数据行",
        "the file has no header and no rows",
    ),
    (
        r"the file has a header but no data rows",
        "文件只有表头，没有数据行",
        "the file has a header but no data rows",
    ),
    (
        r"the file has (?P<rows>\d+) rows; at most (?P<limit>\d+) are accepted in one upload",
        "文件有 {rows} 行；单次上传最多 {limit} 行",
        "the file has 60000 rows; at most 50000 are accepted in one upload",
    ),
    (
        r"must not contain a NUL character",
        "不能包含 NUL 字符",
        "must not contain a NUL character",
    ),
    # admin forms (service/catalog.py, service/auth.py) and notes
    (
        r"(?P<kind>\w+) code (?P<code>'.*') is already taken",
        "{kind}编码 {code} 已被占用",
        "store code 'S-001' is already taken",
    ),
    (
        r"username (?P<name>'.*') is already taken",
        "用户名 {name} 已被占用",
        "username 'li.wei' is already taken",
    ),
    (
        r"truck (?P<plate>'.*') already exists",
        "车辆 {plate} 已存在",
        "truck 'A-12345' already exists",
    ),
    (
        r"1 to (?P<limit>\d+) characters",
        "1 至 {limit} 个字符",
        "1 to 500 characters",
    ),
    (r"0 to (?P<limit>\d+)", "0 至 {limit}", "0 to 168"),
    (r"give at least one matcher", "请至少给出一个匹配条件", "give at least one matcher"),
    (r"must be in the future", "必须是未来时间", "must be in the future"),
    # pydantic's messages (error types missing, greater_than, string_too_short, ...)
    (r"Field required", "必填", "Field required"),
    (
        r"Input should be greater than (?P<limit>\S+)",
        "必须大于 {limit}",
        "Input should be greater than 0",
    ),
    (
        r"Input should be greater than or equal to (?P<limit>\S+)",
        "必须大于或等于 {limit}",
        "Input should be greater than or equal to 0",
    ),
    (
        r"Input should be less than (?P<limit>\S+)",
        "必须小于 {limit}",
        "Input should be less than 100",
    ),
    (
        r"Input should be less than or equal to (?P<limit>\S+)",
        "必须小于或等于 {limit}",
        "Input should be less than or equal to 100",
    ),
    (
        r"String should have at least (?P<count>\d+) characters?",
        "至少 {count} 个字符",
        "String should have at least 1 character",
    ),
    (
        r"String should have at most (?P<count>\d+) characters?",
        "最多 {count} 个字符",
        "String should have at most 64 characters",
    ),
    (
        r"String should match pattern (?P<pattern>'.*')",
        "格式不符（{pattern}）",
        "String should match pattern '^[A-Z0-9-]+$'",
    ),
    (
        r"Input should be a valid number(?:, unable to parse string as a number)?",
        "必须是数字",
        "Input should be a valid number, unable to parse string as a number",
    ),
    (
        r"Input should be a valid integer(?:, unable to parse string as an integer)?",
        "必须是整数",
        "Input should be a valid integer, unable to parse string as an integer",
    ),
    (
        r"Input should be a valid boolean(?:, unable to interpret input)?",
        "必须是是/否",
        "Input should be a valid boolean, unable to interpret input",
    ),
    (r"Input should be a finite number", "必须是有限数值", "Input should be a finite number"),
    (
        r"Input should be (?P<choices>'.*')",
        "必须是以下之一：{choices}",
        "Input should be 'kg', 'l' or 'piece'",
    ),
    (r"Value error, (?P<inner>.+)", "{inner}", "Value error, must not be negative"),
    # dispatch moves (dispatch/schedule.py, dispatch/planning.py)
    (
        r"the edit breaks (?P<count>\d+) rule\(s\): (?P<inner>.+)",
        "此次修改违反 {count} 条规则：{inner}",
        "the edit breaks 1 rule(s): vehicle T1: load 900 kg exceeds its capacity 800 kg",
    ),
    (
        r"(?P<subject>vehicle \S+|request \S+): (?P<inner>.+)",
        "{subject}：{inner}",
        "vehicle T1: load 900 kg exceeds its capacity 800 kg",
    ),
    (r"vehicle (?P<key>\S+)", "车辆 {key}", "vehicle T1"),
    (r"request (?P<key>\S+)", "需求 {key}", "request R7"),
    (
        r"load (?P<load>\S+) kg exceeds its capacity (?P<capacity>\S+) kg",
        "载重 {load} kg 超过其容量 {capacity} kg",
        "load 900 kg exceeds its capacity 800 kg",
    ),
    (
        r"reaches (?P<request>\S+) at (?P<at>\S+), after its window closes at (?P<closes>\S+)",
        "到达 {request} 的时间 {at} 晚于其时间窗关闭时间 {closes}",
        "reaches R7 at 11:05:00, after its window closes at 11:00:00",
    ),
    (
        r"leaves at (?P<at>\S+), before its shift or depot opens at (?P<opens>\S+)",
        "出发时间 {at} 早于班次或仓库开门时间 {opens}",
        "leaves at 5:30:00, before its shift or depot opens at 6:00:00",
    ),
    (
        r"returns at (?P<at>\S+), after its shift or depot closes at (?P<closes>\S+) \(shift overrun\)",
        "返回时间 {at} 晚于班次或仓库关闭时间 {closes}（超班）",
        "returns at 19:10:00, after its shift or depot closes at 18:00:00 (shift overrun)",
    ),
    (
        r"route lasts (?P<lasts>\S+), over its maximum (?P<maximum>\S+)",
        "线路时长 {lasts}，超过上限 {maximum}",
        "route lasts 9:30:00, over its maximum 8:00:00",
    ),
    (
        r"route starts at depot (?P<depot>\S+) but the truck belongs to (?P<home>\S+)",
        "线路从仓库 {depot} 出发，但车辆属于 {home}",
        "route starts at depot D1 but the truck belongs to D2",
    ),
    (
        r"request (?P<key>.+) is delivered (?P<count>\d+) times",
        "需求 {key} 被配送 {count} 次",
        "request R7 is delivered 2 times",
    ),
    (
        r"(?P<got>\S+) kg delivered, more than its (?P<demand>\S+) kg",
        "已配送 {got} kg，超过其需求 {demand} kg",
        "120 kg delivered, more than its 100 kg",
    ),
    (
        r"plan (?P<plan>\d+) is (?P<status>\w+); only a draft can change",
        "方案 {plan} 状态为 {status}；只有草稿可以修改",
        "plan 3 is committed; only a draft can change",
    ),
    (
        r"truck\(s\) (?P<plates>.+) went out of service; plan again",
        "车辆 {plates} 已停用；请重新规划",
        "truck(s) A-1, A-2 went out of service; plan again",
    ),
    (
        r"request\(s\) (?P<ids>[\d, ]+) were assigned or changed by another plan meanwhile; "
        r"plan again",
        "需求 {ids} 已被其他方案分配或修改；请重新规划",
        "request(s) 4, 9 were assigned or changed by another plan meanwhile; plan again",
    ),
    (
        r"plan (?P<plan>\d+) is (?P<status>\w+) at version (?P<version>\d+); "
        r"version (?P<expected>\d+) of the draft can no longer be committed",
        "方案 {plan} 状态为 {status}，版本 {version}；草稿版本 {expected} 已无法提交",
        "plan 3 is draft at version 5; version 4 of the draft can no longer be committed",
    ),
    (
        r"delivery (?P<delivery>\d+) cannot go from (?P<from_status>\w+) to (?P<to_status>\w+); "
        r"allowed: (?P<choices>.+)",
        "配送 {delivery} 不能从 {from_status} 变为 {to_status}；允许：{choices}",
        "delivery 12 cannot go from delivered to loaded; allowed: none (it is final)",
    ),
    (
        r"not allowed from (?P<status>\w+)",
        "当前状态 {status} 不允许此操作",
        "not allowed from delivered",
    ),
    (
        r"a delivered delivery needs the receiver's name",
        "已送达的配送需要填写收货人姓名",
        "a delivered delivery needs the receiver's name",
    ),
    (r"required when delivered", "送达时必填", "required when delivered"),
    (
        r"a failed delivery needs a reason",
        "配送失败需要填写原因",
        "a failed delivery needs a reason",
    ),
    (r"required when failed", "失败时必填", "required when failed"),
    (
        r"this action needs one of the roles: (?P<roles>.+)",
        "此操作需要以下角色之一：{roles}",
        "this action needs one of the roles: admin, store",
    ),
    (r"(?P<field>\w+) cannot be null", "{field} 不能为空", "latitude cannot be null"),
    (r"cannot be null", "不能为空", "cannot be null"),
    (
        r"truck (?P<plate>\S+) is out of service",
        "车辆 {plate} 已停用",
        "truck A-12345 is out of service",
    ),
)

_COMPILED_PROBLEMS = tuple(
    (re.compile(pattern), chinese) for pattern, chinese, _sample in PROBLEM_PATTERNS
)


def translate_problem(text: str, language: str) -> str:
    """A problem worded by the domain or pydantic, in ``language``: the catalogue's entry,
    else the first matching pattern's template, else the English text unchanged."""
    if language != "zh" or not text:
        return text
    catalogue = translations(language)
    translated = catalogue.gettext(text)
    if translated != text:
        return translated
    for pattern, chinese in _COMPILED_PROBLEMS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        parts = match.groupdict()
        for name in ("inner", "subject"):
            if parts.get(name) is not None:
                parts[name] = translate_problem(parts[name], language)
        if "kind" in parts:
            word = _KIND_WORDS.get(parts["kind"])
            parts["kind"] = catalogue.gettext(word) if word else parts["kind"]
        return chinese.format(**parts)
    return text


_KIND_WORDS = {"store": "Store", "product": "Product", "unit": "Unit", "truck": "Truck"}
