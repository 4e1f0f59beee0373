"""The sheet layouts: one per ledger, its columns, their Chinese aliases, their kinds.

SPEC "CSV / spreadsheet import": each ledger (enterprises, plans, problems,
labour) has one layout; its header names may be the English column names or
the aliases offices use, in any order.  Import, export, the lists and the
workbooks all take the layouts from here.  No database, no I/O.
"""

from __future__ import annotations

import re

from .vocab import ENTERPRISE_COLUMNS as _ENTERPRISE_COLUMNS
from .vocab import fold

LAYOUTS = ("enterprises", "plans", "problems", "labour")
# The layouts whose rows update the enterprise itself (SPEC: its attributes are accepted
# on enterprises and plans sheets); on the others the enterprise columns only name it.
MASTER_LAYOUTS = ("enterprises", "plans")
# Rows allowed above the header: titles, 填报单位 / 填报日期, notes.
TITLE_ROWS = 5

ENTERPRISE_COLUMNS = list(_ENTERPRISE_COLUMNS)

COLUMNS: dict[str, list[str]] = {
    "enterprises": list(ENTERPRISE_COLUMNS),
    "plans": [
        *ENTERPRISE_COLUMNS,
        "status",
        "planned_on",
        "inspected_on",
        "inspection",
        "resumed_on",
        "returned",
        "reason",
        "note",
    ],
    "problems": [
        "ref",
        "uscc",
        "name",
        "district",
        "category",
        "description",
        "raised_on",
        "department",
        "deadline",
        "status",
        "resolved_on",
        "resolution",
    ],
    "labour": [
        "uscc",
        "name",
        "district",
        "job_type",
        "needed",
        "filled",
        "raised_on",
        "requirements",
        "note",
    ],
}

# Header names offices use.  The first ones of each are SPEC.md's; within one
# ledger no two columns share an alias (a test checks).  `序号` is deliberately
# absent: it is the row counter of every Chinese table, not a problem number.
ALIASES: dict[str, tuple[str, ...]] = {
    "uscc": (
        "统一社会信用代码",
        "信用代码",
        "社会信用代码",
        "统一信用代码",
        "统一社会信用代码证号",
    ),
    "name": ("企业名称", "企业", "企业全称", "单位名称", "公司名称"),
    "district": (
        "所属区县",
        "区县",
        "县(市、区)",
        "县(市,区)",
        "县市区",
        "区(县)",
        "区(县、市)",
        "所在区县",
        "县区",
        "所属区域",
    ),
    "sector": ("企业类型", "行业类别", "行业", "行业类型", "企业类别"),
    "above_scale": ("是否规上", "规上企业", "是否规上企业", "规上", "是否规模以上企业"),
    "key_enterprise": ("是否重点企业", "重点企业"),
    "employees": ("职工总数", "员工总数", "职工人数", "员工人数", "从业人数", "职工数"),
    "liaison": ("挂联干部", "包联干部", "联系干部", "挂包干部"),
    "contact": ("联系人", "企业联系人"),
    "phone": ("联系电话", "电话", "联系方式", "手机", "手机号码"),
    "status": ("复产状态", "状态", "办理状态", "复工复产状态", "复工状态"),
    "planned_on": ("计划复产日期", "计划复产时间", "拟复产日期", "计划复工日期"),
    "inspected_on": ("验收日期", "验收时间"),
    "inspection": ("验收结果", "是否验收通过"),
    "resumed_on": ("复产日期", "实际复产日期", "复产时间", "复工日期", "实际复工日期"),
    "returned": ("到岗人数", "返岗人数", "复工人数"),
    "reason": ("原因", "剔除原因", "暂缓原因", "停产原因"),
    "note": ("备注",),
    "ref": ("问题编号", "编号"),
    "category": ("问题类别", "问题类型", "类别"),
    "description": ("问题描述", "困难问题", "存在问题", "问题内容", "主要问题"),
    "raised_on": ("提出日期", "收集日期", "登记日期", "提出时间", "收集时间", "反映日期"),
    "department": ("责任单位", "主办单位", "牵头单位", "承办单位"),
    "deadline": ("办理时限", "完成时限", "办结时限"),
    "resolved_on": ("办结日期", "解决日期", "办结时间"),
    "resolution": ("办理结果", "解决情况", "办理情况"),
    "job_type": ("工种", "岗位", "岗位名称", "需求工种", "用工岗位"),
    "needed": ("需求人数", "用工需求", "用工需求人数", "需求数"),
    "filled": ("已招人数", "已到岗", "已招聘人数", "已到岗人数"),
    "requirements": ("技能要求", "岗位要求"),
}

DATE_COLUMNS = frozenset(
    {"planned_on", "inspected_on", "resumed_on", "raised_on", "deadline", "resolved_on"}
)
COUNT_COLUMNS = frozenset({"employees", "returned", "needed", "filled"})
BOOL_COLUMNS = frozenset({"above_scale", "key_enterprise"})
TEXT_COLUMNS = frozenset(
    {
        "name",
        "ref",
        "liaison",
        "contact",
        "phone",
        "reason",
        "note",
        "description",
        "department",
        "resolution",
        "requirements",
    }
)

# free texts that may run over several lines (Alt+Enter in a cell); every other
# text, a name above all, is one line
# The columns a line names its enterprise by (by USCC, else by name in a district).
NAMING_COLUMNS = frozenset({"uscc", "name", "district"})
MULTILINE_COLUMNS = frozenset({"description", "resolution", "note", "reason", "requirements"})

# What a spreadsheet would run as a formula; export guards such a cell with a
# leading ', import removes it again (SPEC, end of the import section).
FORMULA_CHARS = ("=", "+", "-", "@")
_GUARDED = re.compile(r"'+[=+\-@]")
_NEEDS_GUARD = re.compile(r"'*[=+\-@]")


def guard(text: str) -> str:
    """A cell as exported: a leading ' before a formula start (and before a value that
    already begins with ' and a formula start, so the round trip is exact)."""
    return "'" + text if _NEEDS_GUARD.match(text) else text


def unguard(text: str) -> str:
    """A cell as imported: the one guarding ' removed again."""
    return text[1:] if _GUARDED.match(text) else text


def header_key(cell: str) -> str:
    """The matching form of a header cell: folded, without *, :, _ and -."""
    return fold(cell).strip("*:").replace("_", "").replace("-", "")


def header_lookup(layout: str) -> dict[str, str]:
    """header key -> column, for the columns of a layout and their aliases."""
    lookup: dict[str, str] = {}
    for column in COLUMNS[layout]:
        for name in (column, *ALIASES.get(column, ())):
            lookup.setdefault(header_key(name), column)
    return lookup


def match_header(lookup: dict[str, str], cell: str) -> str | None:
    """The column a header cell names, or None."""
    key = header_key(cell)
    if not key:
        return None
    column = lookup.get(key)
    if column is None and key.endswith(")") and "(" in key:
        # 职工总数(人), 需求人数（人）: a unit in brackets after the name
        column = lookup.get(key[: key.rindex("(")])
    return column


def names_enterprise(lookup: dict[str, str], cells: list[str]) -> bool:
    """Whether a row is a header: one of its cells names an enterprise column
    (uscc or name) of the layout whose `header_lookup` is given."""
    return any(match_header(lookup, c) in ("uscc", "name") for c in cells)


def chinese_header(column: str) -> str:
    """The first Chinese alias of a column (what a --lang zh export writes)."""
    return ALIASES.get(column, (column,))[0]
