"""Data -> text: tables (tabulate; rich only for bounded report tables), CSV, JSON.

The only module that knows output formats.  Inputs are plain rows (dicts) and
report values; nothing here touches the ledger.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from .vocab import CATEGORY, INSPECTION, JOB_TYPE, PLAN_STATUS, PROBLEM_STATUS, SECTOR, Vocabulary

LABELS: dict[str, tuple[str, str]] = {
    "id": ("编号", "id"),
    "uscc": ("统一社会信用代码", "USCC"),
    "name": ("企业名称", "enterprise"),
    "district": ("区县", "district"),
    "sector": ("企业类型", "sector"),
    "above_scale": ("规上", "above scale"),
    "key_enterprise": ("重点企业", "key"),
    "employees": ("职工总数", "employees"),
    "liaison": ("挂联干部", "liaison"),
    "contact": ("联系人", "contact"),
    "phone": ("联系电话", "phone"),
    "status": ("状态", "status"),
    "planned_on": ("计划复产日期", "planned on"),
    "inspected_on": ("验收日期", "inspected on"),
    "inspection": ("验收结果", "inspection"),
    "resumed_on": ("复产日期", "resumed on"),
    "returned": ("到岗人数", "returned"),
    "reason": ("原因", "reason"),
    "note": ("备注", "note"),
    "ref": ("问题编号", "ref"),
    "category": ("问题类别", "category"),
    "description": ("问题描述", "description"),
    "raised_on": ("提出日期", "raised on"),
    "department": ("责任单位", "department"),
    "deadline": ("办理时限", "deadline"),
    "resolved_on": ("办结日期", "resolved on"),
    "resolution": ("办理结果", "resolution"),
    "overdue": ("逾期", "overdue"),
    "job_type": ("工种", "job type"),
    "needed": ("需求人数", "needed"),
    "filled": ("已招人数", "filled"),
    "gap": ("缺口", "gap"),
    "requirements": ("技能要求", "requirements"),
    "business_date": ("业务日期", "business date"),
    "recorded_at": ("记录时间", "recorded at"),
    "by": ("记录人", "by"),
    "source": ("来源", "source"),
    "record": ("记录", "record"),
    "change": ("变更", "change"),
    "batch": ("批次", "batch"),
    "severity": ("级别", "severity"),
    "finding": ("问题", "finding"),
    "detail": ("说明", "detail"),
}

VOCABS: dict[str, dict[str, Vocabulary]] = {
    "plans": {"status": PLAN_STATUS, "inspection": INSPECTION, "sector": SECTOR},
    "problems": {"status": PROBLEM_STATUS, "category": CATEGORY},
    "labour": {"job_type": JOB_TYPE},
    "enterprises": {"sector": SECTOR},
}

FORMULA_START = ("=", "+", "-", "@")


def label(column: str, lang: str) -> str:
    zh, en = LABELS.get(column, (column, column))
    return en if lang == "en" else zh


def display(value: Any, lang: str, vocab: Vocabulary | None = None) -> str:
    """A value as the officer reads it in a table."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("yes" if value else "no") if lang == "en" else ("是" if value else "否")
    if vocab is not None:
        return vocab.label(value, lang)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def plain(value: Any) -> Any:
    """A value for CSV / JSON: ISO dates, canonical keys."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def table(rows: list[dict[str, Any]], columns: list[str], lang: str, ledger: str = "") -> str:
    """A plain-text table with CJK columns aligned (tabulate + wcwidth)."""
    from tabulate import tabulate

    vocabs = VOCABS.get(ledger, {})
    body = [[display(row.get(c), lang, vocabs.get(c)) for c in columns] for row in rows]
    return tabulate(
        body, headers=[label(c, lang) for c in columns], tablefmt="simple", disable_numparse=True
    )


def csv_cell(value: Any, *, guard: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(plain(value))
    if guard and text.startswith(FORMULA_START):
        return "'" + text  # no spreadsheet may run it as a formula; import strips it
    return text


def write_csv(
    rows: Iterable[dict[str, Any]], columns: list[str], stream, *, guard: bool = True
) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(c), guard=guard) for c in columns])


def csv_text(rows: Iterable[dict[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO()
    write_csv(rows, columns, buffer)
    return buffer.getvalue()


def json_text(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, default=plain) + "\n"


def json_rows(rows: list[dict[str, Any]], columns: list[str]) -> str:
    return json_text([{c: plain(row.get(c)) for c in columns} for row in rows])
