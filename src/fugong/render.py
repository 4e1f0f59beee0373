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
    "code": ("类型", "kind"),
    "enterprise": ("企业", "enterprise"),
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


def table(
    rows: list[dict[str, Any]],
    columns: list[str],
    lang: str,
    ledger: str = "",
    *,
    width: int | None = None,
) -> str:
    """A plain-text table with CJK columns aligned (tabulate + wcwidth).

    `width`: the terminal's columns.  A table wider than that would be wrapped by the
    terminal into an unreadable tangle, so it changes shape: one block per row, a line
    per column, long values continued on the next line — nothing is ever cut.
    """
    from tabulate import tabulate

    vocabs = VOCABS.get(ledger, {})
    headers = [label(c, lang) for c in columns]
    body = [[display(row.get(c), lang, vocabs.get(c)) for c in columns] for row in rows]
    text = tabulate(body, headers=headers, tablefmt="simple", disable_numparse=True)
    if width is None or not body or _widest(text) <= width:
        return text
    return record_blocks(headers, body, width)


def _widest(text: str) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for line in text.splitlines()), default=0)


def record_blocks(headers: list[str], body: list[list[str]], width: int) -> str:
    """Rows as blocks `label  value`, values wrapped (never cut) to fit `width` columns."""
    from rich.cells import cell_len

    pad = max(cell_len(h) for h in headers) + 2
    room = max(width - pad, 10)
    blocks = []
    for row in body:
        lines = []
        for head, value in zip(headers, row, strict=True):
            pieces = _wrapped(value, room) or [""]
            lines.append(head + " " * (pad - cell_len(head)) + pieces[0])
            lines.extend(" " * pad + piece for piece in pieces[1:])
        blocks.append("\n".join(line.rstrip() for line in lines))
    rule = "─" * min(width, 40)
    return f"\n{rule}\n".join(blocks)


def _wrapped(value: str, room: int) -> list[str]:
    """A value cut into lines of at most `room` cells, at spaces where it can be."""
    from rich.cells import cell_len

    out: list[str] = []
    for paragraph in value.split("\n"):
        line = ""
        for char in paragraph:
            if cell_len(line + char) > room:
                cut = line.rfind(" ")
                if cut > room // 2:
                    out.append(line[:cut])
                    line = line[cut + 1 :]
                else:
                    out.append(line)
                    line = ""
            line += char
        out.append(line)
    return out


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


def json_rows(rows: Iterable[dict[str, Any]], columns: list[str]) -> str:
    """json_text of the rows as a list, encoded a row at a time: json.dumps with an
    indent makes a string per token of the whole document before joining them (60 MB
    for a district's 10k plans); a row's text, indented one level more, is the same."""
    parts = [
        "  "
        + json.dumps(
            {c: plain(row.get(c)) for c in columns}, ensure_ascii=False, indent=2, default=plain
        ).replace("\n", "\n  ")
        for row in rows
    ]
    if not parts:
        return json_text([])
    return "[\n" + ",\n".join(parts) + "\n]\n"


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
        ("returned", "到岗人数", "returned"),
        ("return_rate", "返岗率", "return rate"),
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
# In CSV (and JSON) only: the return rate's denominator, the employees of the
# resumed enterprises that report both figures.
CSV_ONLY: dict[str, tuple[str, ...]] = {"plans": ("return_base",)}
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
    """A figure as a table shows it: rates in percent (two decimals: the fraction's four),
    nothing as —."""
    if value is None:
        return "—"
    if key.endswith("_rate"):
        return f"{value * 100:.2f}%"
    return str(value)


def figure_label(section: str, key: str, lang: str, *, all_enterprises: bool = False) -> str:
    for k, zh, en in REPORT_SECTIONS[section]:
        if k == key:
            if section == "plans" and key == "total" and all_enterprises:
                zh, en = "企业", "enterprises"
            return en if lang == "en" else zh
    return key


# --------------------------------------------------------------------------- the title block


def moment_text(text: str | None) -> str:
    """A moment of a document (ISO 8601 with offset) to the second, keeping its offset."""
    if not text:
        return ""
    return datetime.fromisoformat(text).isoformat(timespec="seconds")


def report_title(doc: dict[str, Any], lang: str) -> str:
    """The heading line of a report or a trend."""
    name = doc["scope"]["name"]
    if "from" in doc:
        if lang == "en":
            return f"{name} work-resumption trend {doc['from']} to {doc['to']}"
        return f"{name} 企业复工复产趋势 {doc['from']} 至 {doc['to']}"
    if lang == "en":
        return f"{name} work-resumption report as of {doc['as_of']}"
    return f"{name} 企业复工复产情况 截至 {doc['as_of']}"


def title_block(doc: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """What every format shows above the figures: (label, value) for the scope, the day
    (or the days of a trend), as known at and generated at.

    Without --known-at the figures are as known at the moment they were made.
    """
    en = lang == "en"
    scope = f"{doc['scope']['name']} ({doc['scope']['code']})"
    if "from" in doc:
        days = f"{doc['from']} {'to' if en else '至'} {doc['to']}"
        when = ("period" if en else "期间", days)
    else:
        when = ("as of" if en else "截至", f"{doc['as_of']}")
    known = doc.get("known_at") or doc["generated_at"]
    return [
        ("scope" if en else "范围", scope),
        when,
        ("as known at" if en else "记录截至", moment_text(known)),
        ("generated at" if en else "生成时间", moment_text(doc["generated_at"])),
    ]


def title_lines(doc: dict[str, Any], lang: str, *, markdown: bool = False) -> list[str]:
    """The heading and the title block as lines of text (markdown: a heading and a list)."""
    lines = [("# " if markdown else "") + report_title(doc, lang)]
    if markdown:
        lines.append("")
    bullet = "- " if markdown else ""
    lines += [f"{bullet}{label}: {value}" for label, value in title_block(doc, lang)]
    return lines


# --------------------------------------------------------------------------- tables that fit


def column_groups(
    widths: list[int],
    room: int,
    sections: list[list[int]],
    *,
    per_column: int,
    base: int,
) -> list[list[int]] | None:
    """Split a table's columns into tables that each fit `room` cells.

    Column 0 (the row's name) is repeated in every table; the others keep their
    order, and a section (columns that belong together) is kept in one table
    when it fits in one.  A table of columns C is `base + sum(widths[c] +
    per_column)` wide over column 0 and C.  None when a single column does not
    fit beside column 0: then the caller lays the rows out one below the other.
    """
    start = base + widths[0] + per_column
    groups: list[list[int]] = []
    current: list[int] = []
    used = start
    for section in sections:
        need = sum(widths[c] + per_column for c in section)
        if current and used + need > room and start + need <= room:
            groups.append(current)
            current, used = [], start
        for c in section:
            cost = widths[c] + per_column
            if start + cost > room:
                return None
            if current and used + cost > room:
                groups.append(current)
                current, used = [], start
            current.append(c)
            used += cost
    if current:
        groups.append(current)
    return groups


def _rich_tables(
    console,
    title: str,
    headers: list[str],
    rows: list[list[str]],
    sections: list[list[int]],
    *,
    left: frozenset[int] = frozenset(),
) -> None:
    """Rich tables that never cut a figure or a name: split by columns to fit the
    terminal, or one block per row when even that does not fit.  Figures are
    right-aligned, column 0 and the columns in `left` (charts) left-aligned."""
    from rich.cells import cell_len
    from rich.table import Table

    widths = [
        max(cell_len(text) for text in [headers[i], *(row[i] for row in rows)])
        for i in range(len(headers))
    ]
    groups = column_groups(widths, console.width, sections, per_column=3, base=1)
    if groups is None:
        console.print(title, markup=False)
        for row in rows:
            console.print(row[0], markup=False)
            for header, value in zip(headers[1:], row[1:], strict=True):
                console.print(f"  {header}: {value}", markup=False)
        return
    for n, group in enumerate(groups):
        table = Table(title=title if n == 0 else None, title_justify="left")
        for i in [0, *group]:
            justify = "left" if i == 0 or i in left else "right"
            table.add_column(headers[i], justify=justify, overflow="fold")
        for row in rows:
            table.add_row(*(row[i] for i in [0, *group]))
        console.print(table)


def _plain_table(headers: list[str], rows: list[list[str]], *, markdown: bool = False) -> str:
    from tabulate import tabulate

    return tabulate(
        rows,
        headers=headers,
        tablefmt="pipe" if markdown else "simple",
        colalign=["left"] + ["right"] * (len(headers) - 1),
        disable_numparse=True,
    )


# --------------------------------------------------------------------------- report


def report_sections(doc: dict[str, Any], lang: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, headers, rows) per section, rows already formatted."""
    scopes = report_scopes(doc, lang)
    out = []
    for section, columns in REPORT_SECTIONS.items():
        headers = [("scope" if lang == "en" else "区县")]
        headers += [
            figure_label(section, key, lang, all_enterprises=doc.get("all_enterprises", False))
            for key, _zh, _en in columns
        ]
        rows = [
            [name, *(figure_text(key, part[section][key]) for key, _zh, _en in columns)]
            for name, part in scopes
        ]
        out.append((_pick(lang, SECTION_TITLES[section]), headers, rows))
    return out


# columns of the plans table that belong together when a terminal is too narrow
PLAN_GROUPS = (
    ("total", "not_stopped", "planned", "approved", "resumed", "suspended", "excluded"),
    ("unreported", "operating", "resumption_rate", "returned", "return_rate"),
    ("resumed_today", "resumed_ever", "resumed_without_inspection"),
)


def _sections_of(section: str) -> list[list[int]]:
    keys = [key for key, _zh, _en in REPORT_SECTIONS[section]]
    if section != "plans":
        return [list(range(1, len(keys) + 1))]
    return [[keys.index(k) + 1 for k in group] for group in PLAN_GROUPS]


def jobs_by_gap(labour: dict[str, Any]) -> list[tuple[str, dict[str, int]]]:
    """The job types of a labour figure, the largest gap first (then by name)."""
    return sorted(labour["by_job_type"].items(), key=lambda item: (-item[1]["gap"], item[0]))


def report_notes(doc: dict[str, Any], lang: str) -> list[str]:
    """The lines under the table: breakdowns and the 零报告 line."""
    lines = []
    problems, labour = doc["problems"], doc["labour"]
    cats = [f"{CATEGORY.label(k, lang)} {v}" for k, v in problems["by_category"].items() if v]
    if cats:
        lines.append(("problems by category: " if lang == "en" else "问题类别: ") + ", ".join(cats))
    jobs = [f"{JOB_TYPE.label(k, lang)} {v['gap']}" for k, v in jobs_by_gap(labour) if v["gap"]]
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
    """The report on a terminal: rich tables (one row per district) that fit its width."""
    for line in title_lines(doc, lang):
        console.print(line, markup=False)
    sections = dict(zip(REPORT_SECTIONS, report_sections(doc, lang), strict=True))
    for section, (title, headers, rows) in sections.items():
        _rich_tables(console, title, headers, rows, _sections_of(section))
    for line in report_notes(doc, lang):
        console.print(line, markup=False)


def report_text(doc: dict[str, Any], lang: str, fmt: str = "markdown") -> str:
    """The report as markdown (pipe tables) or plain text: never wrapped, however wide."""
    markdown = fmt == "markdown"
    parts = [*title_lines(doc, lang, markdown=markdown), ""]
    for title, headers, rows in report_sections(doc, lang):
        parts.append(("## " if markdown else "") + title)
        parts.append("")
        parts.append(_plain_table(headers, rows, markdown=markdown))
        parts.append("")
    # in markdown each note is an item of a list (else they run into one paragraph)
    parts.extend(("- " if markdown else "") + line for line in report_notes(doc, lang))
    return "\n".join(parts).rstrip("\n") + "\n"


REPORT_CSV_HEAD = ["scope_code", "scope_name", "as_of", "known_at", "generated_at", "zero_report"]
_CSV_HEAD_ZH = {
    "date": "日期",
    "scope_code": "区县代码",
    "scope_name": "区县",
    "as_of": "截至",
    "known_at": "记录截至",
    "generated_at": "生成时间",
    "zero_report": "零报告",
}


def _csv_figure_columns() -> list[str]:
    columns = []
    for section, keys in REPORT_SECTIONS.items():
        columns += [f"{section}.{key}" for key, _zh, _en in keys]
        columns += [f"{section}.{key}" for key in CSV_ONLY.get(section, ())]
    return columns


def _breakdown_columns(docs: list[dict[str, Any]]) -> list[str]:
    """The per-category and per-job-type columns: every category; the job types any
    scope has, the largest gap first."""
    columns = [f"problems.by_category.{key}" for key in CATEGORY.terms]
    gaps: dict[str, int] = {}
    for doc in docs:
        for job, figures in doc["labour"]["by_job_type"].items():
            gaps[job] = gaps.get(job, 0) + figures["gap"]
    for job in sorted(gaps, key=lambda j: (-gaps[j], j)):
        columns += [f"labour.by_job_type.{job}.{part}" for part in ("needed", "filled", "gap")]
    return columns


def _csv_header(column: str, lang: str) -> str:
    """A report CSV column in the language: `section.key` in English (stable for
    scripts), the table's own label in Chinese (规上企业, 问题类别:用工, 普工缺口 …)."""
    if lang == "en":
        return column
    if column in _CSV_HEAD_ZH:
        return _CSV_HEAD_ZH[column]
    parts = column.split(".")
    if parts[1] == "by_category":
        return f"问题类别:{CATEGORY.label(parts[2], 'zh')}"
    if parts[1] == "by_job_type":
        part = {"needed": "需求人数", "filled": "已招人数", "gap": "缺口"}[parts[-1]]
        return f"{JOB_TYPE.label('.'.join(parts[2:-1]), 'zh')}{part}"
    if parts[1] == "return_base":
        return "返岗率基数(职工总数)"
    return figure_label(parts[0], parts[1], "zh")


def _csv_value(part: dict[str, Any], column: str) -> Any:
    parts = column.split(".")
    if parts[1] == "by_category":
        return part["problems"]["by_category"].get(parts[2], 0)
    if parts[1] == "by_job_type":
        figures = part["labour"]["by_job_type"].get(".".join(parts[2:-1]))
        return figures[parts[-1]] if figures else 0
    return part[parts[0]][parts[1]]


def _csv_rows(doc: dict[str, Any], columns: list[str]) -> list[dict[str, Any]]:
    rows = []
    for _name, part in report_scopes(doc, "zh"):
        row = {
            "scope_code": part["scope"]["code"],
            "scope_name": part["scope"]["name"],
            "as_of": part["as_of"],
            "known_at": part["known_at"],
            "generated_at": part["generated_at"],
            "zero_report": part["zero_report"],
        }
        for column in columns:
            row[column] = _csv_value(part, column)
        rows.append(row)
    return rows


def _csv_document(rows: list[dict[str, Any]], columns: list[str], lang: str) -> str:
    keyed = [{_csv_header(c, lang): row.get(c) for c in columns} for row in rows]
    return csv_text(keyed, [_csv_header(c, lang) for c in columns])


def report_csv(doc: dict[str, Any], lang: str = "en") -> str:
    """One CSV row per scope (districts, then the total): the title block in every row,
    the figures, then the per-category and per-job-type figures; headers in the
    language (`section.key` in English)."""
    figures = _csv_figure_columns() + _breakdown_columns([doc])
    return _csv_document(_csv_rows(doc, figures), REPORT_CSV_HEAD + figures, lang)


# --------------------------------------------------------------------------- trend

TREND_COLUMNS: tuple[tuple[str, str], ...] = (
    # (section, key) in the order of SPEC "Trend"
    ("plans", "total"),
    ("plans", "resumed"),
    ("plans", "operating"),
    ("plans", "resumption_rate"),
    ("plans", "resumed_today"),
    ("plans", "returned"),
    ("plans", "return_rate"),
    ("problems", "raised"),
    ("problems", "resolved"),
    ("problems", "open"),
    ("problems", "overdue"),
    ("labour", "needed"),
    ("labour", "filled"),
    ("labour", "gap"),
)
BAR_WIDTH = 10
EIGHTHS = " ▏▎▍▌▋▊▉"
SPARKS = "▁▂▃▄▅▆▇█"


def rate_bar(value: float | None, width: int = BAR_WIDTH) -> str:
    """A rate as a horizontal bar of `width` cells (eighths of a cell)."""
    if value is None:
        return ""
    eighths = round(max(0.0, min(value, 1.0)) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (EIGHTHS[part] if part else "")).ljust(width)


def sparkline(values: list[float | None]) -> str:
    """Rates (0..1) as one line of block characters; a day without a rate is a blank."""
    return "".join(
        " " if v is None else SPARKS[min(int(max(0.0, min(v, 1.0)) * 8), 7)] for v in values
    )


def _trend_headers(doc: dict[str, Any], lang: str) -> list[str]:
    first = "date" if lang == "en" else "日期"
    every = doc.get("all_enterprises", False)
    return [first] + [
        figure_label(section, key, lang, all_enterprises=every) for section, key in TREND_COLUMNS
    ]


def _trend_rows(doc: dict[str, Any]) -> list[list[str]]:
    return [
        [day["date"], *(figure_text(key, day[section][key]) for section, key in TREND_COLUMNS)]
        for day in doc["days"]
    ]


def _district_rates(doc: dict[str, Any]) -> list[tuple[str, list[float | None]]]:
    if not doc["days"] or "districts" not in doc["days"][0]:
        return []
    names = [d["scope"]["name"] for d in doc["days"][0]["districts"]]
    return [
        (name, [day["districts"][i]["plans"]["resumption_rate"] for day in doc["days"]])
        for i, name in enumerate(names)
    ]


def _district_table(doc: dict[str, Any], lang: str, *, spark: bool):
    """The city's districts: the resumption rate on the first and the last day."""
    first, last = doc["from"][5:], doc["to"][5:]
    label = "resumption rate" if lang == "en" else "复产率"
    headers = ["district" if lang == "en" else "区县", f"{first} {label}", f"{last} {label}"]
    if spark:
        headers.append("")
    rows = []
    for name, rates in _district_rates(doc):
        row = [
            name,
            figure_text("resumption_rate", rates[0]),
            figure_text("resumption_rate", rates[-1]),
        ]
        if spark:
            row.append(sparkline(rates))
        rows.append(row)
    title = "各区县复产率" if lang != "en" else "resumption rate by district"
    return title, headers, rows


def trend_rich(doc: dict[str, Any], lang: str, console) -> None:
    """The trend on a terminal: a row per day, the rate drawn as a bar beside it; for
    the city, each district's rate as a sparkline."""
    for line in title_lines(doc, lang):
        console.print(line, markup=False)
    headers = _trend_headers(doc, lang)
    rows = _trend_rows(doc)
    at = 1 + TREND_COLUMNS.index(("plans", "resumption_rate"))
    headers.insert(at + 1, "")
    for row, day in zip(rows, doc["days"], strict=True):
        row.insert(at + 1, rate_bar(day["plans"]["resumption_rate"]))
    # the plans (with the bar), the problems, the labour
    sections = [list(range(1, 9)), list(range(9, 13)), list(range(13, len(headers)))]
    _rich_tables(console, "", headers, rows, sections, left=frozenset({at + 1}))
    if _district_rates(doc):
        title, headers, rows = _district_table(doc, lang, spark=True)
        _rich_tables(console, title, headers, rows, [[1, 2, 3]], left=frozenset({3}))


def trend_text(doc: dict[str, Any], lang: str) -> str:
    """The trend as plain aligned text: never wrapped, however wide."""
    parts = [*title_lines(doc, lang), ""]
    parts.append(_plain_table(_trend_headers(doc, lang), _trend_rows(doc)))
    if _district_rates(doc):
        title, headers, rows = _district_table(doc, lang, spark=False)
        parts += ["", title, "", _plain_table(headers, rows)]
    return "\n".join(parts).rstrip("\n") + "\n"


def trend_csv(doc: dict[str, Any], lang: str = "en") -> str:
    """One CSV row per day and scope (for the city: its districts, then the total), the
    report's CSV columns after `date`."""
    figures = _csv_figure_columns() + _breakdown_columns(doc["days"])
    rows = []
    for day in doc["days"]:
        rows += [{"date": day["date"], **row} for row in _csv_rows(day, figures)]
    return _csv_document(rows, ["date", *REPORT_CSV_HEAD, *figures], lang)


def trend_json(doc: dict[str, Any]) -> str:
    """An array: per day, `date` and the report of that day."""
    return json_text(doc["days"])
