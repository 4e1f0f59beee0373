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

from .layouts import guard as guard_formula
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
    "withdrawn": ("作废", "withdrawn"),
    "merged_into": ("合并到", "merged into"),
    "merge_plan": ("沿用计划", "plan kept"),
    "severity": ("级别", "severity"),
    "code": ("类型", "code"),
    "finding": ("问题", "finding"),
    "detail": ("说明", "detail"),
}

VOCABS: dict[str, dict[str, Vocabulary]] = {
    "plans": {"status": PLAN_STATUS, "inspection": INSPECTION, "sector": SECTOR},
    "problems": {"status": PROBLEM_STATUS, "category": CATEGORY},
    "labour": {"job_type": JOB_TYPE},
    "enterprises": {"sector": SECTOR},
}


def change_text(
    layout: str, changes: dict[str, Any], lang: str, places: dict[str, str] | None = None
) -> str:
    """What a command changed, in the officer's words: 状态=已复产，规上=是."""
    vocabs = VOCABS.get(layout, {})
    parts = []
    for column, value in changes.items():
        if column == "district" and places:
            value = places.get(value, value)
        parts.append(f"{label(column, lang)}={display(value, lang, vocabs.get(column))}")
    return (", " if lang == "en" else "，").join(parts)


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
    # no spreadsheet may run it as a formula; import removes the guard again
    return guard_formula(text) if guard else text


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


# --------------------------------------------------------------------------- reports

REPORT_SECTIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    # section -> (key, Chinese label, English label)
    "plans": (
        ("total", "规上企业", "above-scale"),
        ("not_stopped", "未停工", "not stopped"),
        ("planned", "计划复产", "planned"),
        ("approved", "验收通过", "approved"),
        ("resumed", "已复产", "resumed"),
        ("suspended", "暂缓", "suspended"),
        ("excluded", "剔除", "excluded"),
        ("unreported", "未填报", "unreported"),
        ("operating", "在产", "operating"),
        ("resumption_rate", "复产率", "resumption rate"),
        ("resumed_today", "当日复产", "resumed today"),
        ("resumed_ever", "累计复产", "resumed to date"),
        ("resumed_without_inspection", "未验收即复产", "resumed uninspected"),
    ),
    "problems": (
        ("raised", "问题", "problems"),
        ("resolved", "已解决", "resolved"),
        ("open", "办理中", "open"),
        ("overdue", "逾期", "overdue"),
        ("raised_today", "当日新增", "raised today"),
        ("resolved_today", "当日办结", "resolved today"),
        ("median_days_to_resolve", "办结天数中位数", "median days to resolve"),
    ),
    "labour": (
        ("enterprises", "用工企业", "employers"),
        ("needed", "需求人数", "needed"),
        ("filled", "已招人数", "filled"),
        ("gap", "用工缺口", "gap"),
    ),
}
SECTION_TITLES = {
    "plans": ("复工复产计划", "resumption plans"),
    "problems": ("复产问题", "problems"),
    "labour": ("用工需求", "labour demand"),
}


def _pick(lang: str, pair: tuple[str, str]) -> str:
    return pair[1] if lang == "en" else pair[0]


def report_scopes(doc: dict[str, Any], lang: str) -> list[tuple[str, dict[str, Any]]]:
    """(row label, scope document) for every row: the districts, then the city total."""
    if "districts" not in doc:
        return [(doc["scope"]["name"], doc)]
    total = doc["scope"]["name"] + (" total" if lang == "en" else "合计")
    return [(d["scope"]["name"], d) for d in doc["districts"]] + [(total, doc)]


def figure_text(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key.endswith("_rate"):
        return f"{value * 100:.2f}%"
    return str(value)


def report_title(doc: dict[str, Any], lang: str) -> str:
    known = doc.get("known_at")
    if lang == "en":
        text = f"{doc['scope']['name']} work-resumption report as of {doc['as_of']}"
        return text + (f" (as known at {known})" if known else "")
    text = f"{doc['scope']['name']} 企业复工复产情况 截至 {doc['as_of']}"
    return text + (f" (按 {known} 所知)" if known else "")


def report_sections(doc: dict[str, Any], lang: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, headers, rows) per section, rows already formatted."""
    scopes = report_scopes(doc, lang)
    out = []
    for section, columns in REPORT_SECTIONS.items():
        headers = [("scope" if lang == "en" else "区县")]
        for key, zh, en in columns:
            if section == "plans" and key == "total" and doc.get("all_enterprises"):
                zh, en = "企业", "enterprises"
            headers.append(en if lang == "en" else zh)
        rows = [
            [name, *(figure_text(key, part[section][key]) for key, _zh, _en in columns)]
            for name, part in scopes
        ]
        out.append((_pick(lang, SECTION_TITLES[section]), headers, rows))
    return out


def report_notes(doc: dict[str, Any], lang: str) -> list[str]:
    """The lines under the table: breakdowns and the 零报告 line."""
    lines = []
    problems, labour = doc["problems"], doc["labour"]
    cats = [f"{CATEGORY.label(k, lang)} {v}" for k, v in problems["by_category"].items() if v]
    if cats:
        lines.append(("problems by category: " if lang == "en" else "问题类别: ") + ", ".join(cats))
    jobs = [
        f"{JOB_TYPE.label(k, lang)} {v['gap']}" for k, v in sorted(labour["by_job_type"].items())
    ]
    if jobs:
        lines.append(("gap by job type: " if lang == "en" else "分工种缺口: ") + ", ".join(jobs))
    lines.extend(zero_report_lines(doc, lang))
    return lines


def zero_report_lines(doc: dict[str, Any], lang: str) -> list[str]:
    if "districts" in doc:
        quiet = [d["scope"]["name"] for d in doc["districts"] if d["zero_report"]]
        if doc["zero_report"]:
            return [
                f"zero report: nothing recorded for {doc['as_of']}"
                if lang == "en"
                else f"零报告: {doc['as_of']} 全市无新增情况"
            ]
        if quiet:
            return [
                f"zero report ({doc['as_of']}): " + ", ".join(quiet)
                if lang == "en"
                else f"零报告 ({doc['as_of']}): " + "、".join(quiet)
            ]
        return []
    if doc["zero_report"]:
        return [
            f"zero report: nothing recorded for {doc['as_of']}"
            if lang == "en"
            else f"零报告: {doc['as_of']} 无新增情况"
        ]
    return []


def report_rich(doc: dict[str, Any], lang: str, console) -> None:
    """The report as rich tables (a bounded number of rows: one per district)."""
    from rich.table import Table

    console.print(report_title(doc, lang))
    for title, headers, rows in report_sections(doc, lang):
        table = Table(title=title, title_justify="left")
        for i, header in enumerate(headers):
            table.add_column(header, justify="left" if i == 0 else "right", no_wrap=True)
        for row in rows:
            table.add_row(*row)
        console.print(table)
    for line in report_notes(doc, lang):
        console.print(line, markup=False)


def report_text(doc: dict[str, Any], lang: str, fmt: str = "markdown") -> str:
    """The report as markdown (tabulate pipe tables) or plain text."""
    from tabulate import tabulate

    markdown = fmt == "markdown"
    parts = [("# " if markdown else "") + report_title(doc, lang), ""]
    for title, headers, rows in report_sections(doc, lang):
        parts.append(("## " if markdown else "") + title)
        parts.append("")
        align = ["left"] + ["right"] * (len(headers) - 1)
        parts.append(
            tabulate(
                rows,
                headers=headers,
                tablefmt="pipe" if markdown else "simple",
                colalign=align,
                disable_numparse=True,
            )
        )
        parts.append("")
    parts.extend(report_notes(doc, lang))
    return "\n".join(parts).rstrip("\n") + "\n"


def report_csv(doc: dict[str, Any]) -> str:
    """One CSV row per scope (districts, then the total), columns `section.key`."""
    columns = ["scope_code", "scope_name", "as_of", "known_at", "zero_report"]
    for section, keys in REPORT_SECTIONS.items():
        columns += [f"{section}.{key}" for key, _zh, _en in keys]
    rows = []
    for _name, part in report_scopes(doc, "zh"):
        row = {
            "scope_code": part["scope"]["code"],
            "scope_name": part["scope"]["name"],
            "as_of": part["as_of"],
            "known_at": part["known_at"],
            "zero_report": part["zero_report"],
        }
        for section, keys in REPORT_SECTIONS.items():
            for key, _zh, _en in keys:
                row[f"{section}.{key}"] = part[section][key]
        rows.append(row)
    return csv_text(rows, columns)
