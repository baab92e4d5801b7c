"""The pages' two languages: English text is the key, Simplified Chinese its translation.

A plain catalogue rather than gettext files: the pages have a few hundred short
strings, and a dictionary keeps each translation next to the others and checkable by
a test (every string a template asks for has a Chinese entry).
"""

from __future__ import annotations

import re
from collections.abc import Callable

LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"

ZH: dict[str, str] = {
    # frame
    "supplywatch": "保供监测",
    "Skip to content": "跳到正文",
    "Language": "语言",
    "Sign in": "登录",
    "Sign out": "退出",
    "Signed in as": "当前用户",
    "Username": "用户名",
    "Password": "密码",
    "Home": "首页",
    "Dashboard": "总览",
    "Alerts": "预警",
    "Store report": "门店日报",
    "Admin": "管理",
    "Dispatch": "调度",
    "Driver": "司机",
    "Back": "返回",
    "Save": "保存",
    "Show": "显示",
    "Close": "关闭",
    "none": "无",
    "yes": "是",
    "no": "否",
    "Something went wrong": "出错了",
    "You may not open this page.": "您无权打开此页面。",
    "The form expired; reload the page and try again.": "表单已过期，请刷新页面后重试。",
    "Your session has ended; sign in again.": "会话已结束，请重新登录。",
    "Wrong username or password.": "用户名或密码错误。",
    "Signed out.": "已退出登录。",
    # store
    "Report for": "日报日期",
    "Business day": "营业日",
    "Product": "商品",
    "Category": "品类",
    "Unit": "单位",
    "Stock (end of day)": "库存（日终）",
    "Sales": "销量",
    "Price": "价格",
    "Received": "到货",
    "Stock": "库存",
    "Save the report": "提交日报",
    "Pre-filled with yesterday's numbers; change what differs and save.": "已按昨日数据预填；修改有变化的数值后提交。",
    "This day's report as stored; saving replaces it whole.": "此为已保存的当日日报；提交将整体替换。",
    "Leave a row empty to leave that product out of the report.": "某商品整行留空即不报送该商品。",
    "Nothing was stored. Fix the fields marked below.": "未保存任何数据，请修改下方标出的字段。",
    "Report saved": "日报已保存",
    "inserted": "新增",
    "updated": "更新",
    "unchanged": "未变",
    "deleted": "删除",
    "Upload a file": "上传文件",
    "CSV or Excel file with the columns store, date, product, stock, sales, price, received, unit.": "CSV 或 Excel 文件，列为 store、date、product、stock、sales、price、received、unit。",
    "File": "文件",
    "Upload": "上传",
    "Download the template": "下载模板",
    "CSV template": "CSV 模板",
    "Excel template": "Excel 模板",
    "Nothing of the file was stored. Every problem:": "文件未保存任何数据。全部问题：",
    "Row": "行",
    "Column": "列",
    "Problem": "问题",
    "File stored": "文件已保存",
    "rows": "行",
    "History": "历史",
    "Lines": "行数",
    "Last change": "最后修改",
    "By": "修改人",
    "Revision log": "修改记录",
    "When": "时间",
    "Change": "变更",
    "Old": "原值",
    "New": "新值",
    "No changes recorded for this day.": "当日无修改记录。",
    "No report yet.": "尚无日报。",
    "Your stores": "您的门店",
    "Stores": "门店",
    "Store": "门店",
    "District": "区县",
    "Open": "打开",
    "Change the day": "切换日期",
    # dashboard
    "Today": "今日",
    "Products below threshold (city)": "低于阈值的商品（全市）",
    "Districts with a product below threshold": "有商品低于阈值的区县",
    "Firing alerts": "触发中的预警",
    "critical": "严重",
    "warning": "警告",
    "Reports received today": "今日已报门店",
    "Report completeness": "报送完整率",
    "Days of supply by district and category": "各区县分品类可销售天数",
    "Days of supply": "可销售天数",
    "Map of stores": "门店分布",
    "Stores not reported yet": "尚未报送的门店",
    "Every store has reported.": "所有门店均已报送。",
    "Open alerts": "未关闭预警",
    "All alerts": "全部预警",
    "Run the monitor now": "立即运行监测",
    "Monitor ran": "监测已运行",
    "Latest monitor day": "最新监测日",
    "No supply numbers yet: the monitor has not run.": "尚无供应数据：监测尚未运行。",
    "Drill down": "下钻",
    "District detail": "区县详情",
    "Product detail": "商品详情",
    "Expected daily sales": "日均销量",
    "Coverage": "报送覆盖",
    "Status": "状态",
    "stocked_out": "断货",
    "low": "偏低",
    "adequate": "充足",
    "overstocked": "积压",
    "no_demand": "无需求",
    "unknown": "未知",
    "reported": "已报",
    "not reported": "未报",
    "Products in this district, worst first": "本区县商品（最紧张在前）",
    "Districts for this product, worst first": "本商品各区县（最紧张在前）",
    "Over time": "趋势",
    # alerts
    "Severity": "级别",
    "Rule": "规则",
    "Summary": "说明",
    "Since": "开始于",
    "Acknowledge": "确认",
    "Note": "备注",
    "Silence": "静默",
    "Hours": "小时",
    "Comment": "说明",
    "Silence alerts like this": "静默同类预警",
    "Matchers": "匹配条件",
    "Acknowledged": "已确认",
    "Silenced": "已静默",
    "firing": "触发中",
    "pending": "待定",
    "acknowledged": "已确认",
    "resolved": "已解除",
    "open": "未关闭",
    "any": "全部",
    "Filter": "筛选",
    "No alerts match.": "没有符合条件的预警。",
    "low_supply": "供应偏低",
    "stockout": "断货",
    "price_spike": "价格异动",
    "sales_surge": "抢购",
    "missing_report": "未报送",
    "Active silences": "生效中的静默",
    "Ends": "结束于",
    "Expire": "提前结束",
    "Alert acknowledged": "预警已确认",
    "Silence created": "静默已创建",
    "Silence expired": "静默已结束",
    # admin
    "Products": "商品",
    "Users": "用户",
    "API keys": "API 密钥",
    "Alert thresholds": "预警阈值",
    "Code": "编码",
    "Name": "名称",
    "Chinese name": "中文名称",
    "Kind": "类型",
    "Region": "地区",
    "Enterprise": "企业",
    "Latitude": "纬度",
    "Longitude": "经度",
    "Active": "启用",
    "Add a store": "新增门店",
    "Add a product": "新增商品",
    "Add a user": "新增用户",
    "Create a key": "新建密钥",
    "Role": "角色",
    "Full name": "姓名",
    "Bound to store": "绑定门店",
    "Bound to enterprise": "绑定企业",
    "Deactivate": "停用",
    "Revoke": "吊销",
    "Prefix": "前缀",
    "Created": "创建于",
    "Expires": "过期于",
    "Last sign-in": "最近登录",
    "Saved": "已保存",
    "Copy this key now; it is shown only once:": "请立即复制此密钥，它只显示这一次：",
    "Kilograms per unit": "每单位千克数",
    "Warning below (days)": "警告阈值（天）",
    "Critical below (days)": "严重阈值（天）",
    "Set the category's thresholds": "设置品类阈值",
    "Defaults and overrides": "默认值与覆盖",
    "Thresholds of low_supply in days of supply; empty fields keep the rule's default.": "供应偏低规则的阈值（可销售天数）；留空保持默认。",
    "Remove override": "删除覆盖",
    # dispatch
    "Truck (empty: off the plan)": "车辆（留空：移出方案）",
    "Version": "版本",
    "Committed": "确认于",
    "Delivery status refreshes every 20 seconds.": "配送状态每 20 秒刷新一次。",
    "No truck is bound to this sign-in.": "此账号未绑定车辆。",
    "No stops for this day yet.": "当日暂无配送站点。",
    "Loaded": "已装车",
    "On the way": "出发",
    "Delivered": "已送达",
    "Not delivered": "未能送达",
    "Could not deliver": "无法送达",
    "Locked-down compound": "封控小区",
    "too_heavy": "超过单车载重",
    "window_unreachable": "时间窗内无法到达",
    "capacity_exhausted": "运力不足",
    "no_vehicles": "无可用车辆",
    "Address": "地址",
    "Arrival": "到达",
    "Breakdown recorded; nothing left to re-plan.": "故障已记录；没有需要重新规划的站点。",
    "Capacity (kg)": "载重（千克）",
    "Commit the plan": "确认方案",
    "Compound": "小区",
    "Contact": "联系人",
    "Crew": "司乘",
    "Delivery": "配送",
    "Depot": "仓库",
    "Discard": "放弃",
    "Dispatch board": "调度看板",
    "Every request is on a truck.": "所有需求均已安排车辆。",
    "Items": "物资",
    "Manifest": "装车单",
    "Manifests": "装车单",
    "Move": "移动",
    "Move to": "移至",
    "No open requests for this day.": "当日没有待配送需求。",
    "No plan yet.": "尚无方案。",
    "Open requests": "待配送需求",
    "Plan": "方案",
    "Plan committed: deliveries created.": "方案已确认：已生成配送任务。",
    "Plan the day": "规划当日配送",
    "Plans of the day": "当日方案",
    "Print": "打印",
    "Printable manifests": "可打印装车单",
    "Priority": "优先级",
    "Re-planned after the breakdown of": "已因车辆故障重新规划：",
    "Received by": "签收人",
    "Report a breakdown and re-plan": "报告故障并重新规划",
    "Requests served": "已安排需求",
    "Routes on the map": "路线图",
    "Shift": "班次",
    "Stop moved; the plan was re-checked.": "站点已移动，方案已重新校验。",
    "Stops": "站点",
    "The move was refused; nothing changed.": "移动被拒绝，方案未改变。",
    "Time limit (seconds)": "求解时限（秒）",
    "Truck": "车辆",
    "Trucks": "车辆",
    "Unassigned": "未安排",
    "Why": "原因",
    "Window": "时间窗",
    "off the plan": "移出方案",
    "urgent": "紧急",
    "normal": "普通",
    "draft": "草案",
    "committed": "已确认",
    "discarded": "已放弃",
    "superseded": "已替换",
    "available": "可用",
    "out_of_service": "停用",
    "assigned": "已派",
    "loaded": "已装车",
    "en_route": "在途",
    "delivered": "已送达",
    "failed": "失败",
    "cancelled": "已取消",
    "Dispatcher": "调度员",
    "The dispatch board comes with the dispatch module; until then this is what you can open:": "调度看板将随调度模块上线；目前可使用：",
    "Supply API documentation": "接口文档",
    "Stores and their days of supply": "门店及其可销售天数",
    "Your truck's stops appear here once dispatch is enabled.": "调度模块启用后，这里将显示您车辆的配送站点。",
}

CATALOGUES: dict[str, dict[str, str]] = {"en": {}, "zh": ZH}


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
    """A function that turns an English string into ``language`` (itself when missing)."""
    catalogue = CATALOGUES.get(language, {})

    def translate(text: str) -> str:
        return catalogue.get(text, text)

    return translate


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
    if text in ZH:
        return ZH[text]
    for pattern, chinese in _COMPILED_PROBLEMS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        parts = match.groupdict()
        for name in ("inner", "subject"):
            if parts.get(name) is not None:
                parts[name] = translate_problem(parts[name], language)
        if "kind" in parts:
            parts["kind"] = ZH.get(_KIND_WORDS.get(parts["kind"], ""), parts["kind"])
        return chinese.format(**parts)
    return text


_KIND_WORDS = {"store": "Store", "product": "Product", "unit": "Unit", "truck": "Truck"}
