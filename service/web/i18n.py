"""The pages' two languages: English text is the key, Simplified Chinese its translation.

A plain catalogue rather than gettext files: the pages have a few hundred short
strings, and a dictionary keeps each translation next to the others and checkable by
a test (every string a template asks for has a Chinese entry).
"""

from __future__ import annotations

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
