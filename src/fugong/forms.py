"""Upward forms (表格抗疫): a superior's .xlsx template plus a TOML mapping.

A form is two files side by side: the template, kept as the superior laid it
out, and a mapping (`NAME.toml`) that says which of the template's header
labels take which enterprise field or district figure, which cells take the
fixed texts (填报单位, 填报日期, 截至日期, the title's scope), and the formats.
The format of the mapping is documented in README.md ("Upward forms").

This module knows the mapping (parsed and checked before any template or
ledger is opened), where forms are (shipped in the package, and the user's
folder: $FUGONG_FORMS, else the user data folder), and what goes in the rows:
district rows take their figures from `reports.report` and enterprise rows
from `listing` — the figures are the report's, never computed again here.
Nothing here imports openpyxl: the template is read and filled in form_fill.py.
"""

from __future__ import annotations

import os
import re
import string
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .errors import FugongError
from .vocab import INSPECTION, PLAN_STATUS, SECTOR, fold

LEVELS = ("enterprise", "district")
LEVEL_WORDS = {"enterprise": ("企业", "enterprise"), "district": ("区县", "district")}
KINDS = ("text", "code", "count", "number", "rate", "date", "bool")
TOTAL_WORDS = ("合计", "总计")


# --------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class Field:
    """What a column can take: its key (as the mapping names it), its Chinese name,
    its kind (how the cell is written) and the header words that name it."""

    key: str
    zh: str
    kind: str
    words: tuple[str, ...] = ()


def _fields(*rows: tuple) -> dict[str, Field]:
    return {row[0]: Field(row[0], row[1], row[2], tuple(row[3:])) for row in rows}


ENTERPRISE_FIELDS = _fields(
    ("serial", "序号", "count"),
    ("id", "编号", "count", "企业编号"),
    ("uscc", "统一社会信用代码", "code", "信用代码", "社会信用代码", "统一信用代码"),
    ("name", "企业名称", "text", "企业", "企业全称", "单位名称", "公司名称"),
    ("district", "所属区县", "text", "区县", "县(市、区)", "县市区", "区(县)", "所在区县"),
    ("sector", "行业", "text", "行业类别", "企业类型", "所属行业"),
    ("above_scale", "是否规上", "bool", "规上企业", "规上", "是否规上企业"),
    ("key_enterprise", "是否重点企业", "bool", "重点企业"),
    ("employees", "职工总数", "count", "员工总数", "职工人数", "员工人数"),
    ("liaison", "挂联干部", "text", "包联干部", "联系干部"),
    ("contact", "联系人", "text", "企业联系人"),
    ("phone", "联系电话", "code", "电话", "手机"),
    ("status", "复产状态", "text", "状态", "复工状态", "复工复产状态"),
    ("operating", "是否复工", "bool", "是否复产", "是否复工复产", "是否在产"),
    ("planned_on", "计划复产日期", "date", "计划复工日期"),
    ("inspected_on", "验收日期", "date"),
    ("inspection", "验收结果", "text"),
    ("resumed_on", "复工日期", "date", "复产日期", "实际复产日期", "实际复工日期", "复工复产日期"),
    ("returned", "到岗人数", "count", "返岗人数", "在岗人数"),
    ("return_rate", "返岗率", "rate", "到岗率"),
    ("reason", "原因", "text", "剔除原因"),
    ("note", "备注", "text"),
)

_PLAN_FIGURES = (
    (
        "total",
        "规上企业数",
        "count",
        "规上企业",
        "规上工业企业数",
        "规上工业企业",
        "规上企业总数",
        "企业数",
        "企业总数",
        "规上企业户数",
    ),
    ("not_stopped", "未停工", "count", "未停产", "未停工企业"),
    ("planned", "计划复产", "count", "计划复工"),
    ("approved", "验收通过", "count", "批准生产"),
    ("resumed", "已复产", "count", "已复工", "已复工复产"),
    ("suspended", "暂缓", "count", "停产"),
    ("excluded", "剔除", "count"),
    ("unreported", "未填报", "count"),
    (
        "operating",
        "在产",
        "count",
        "在产企业数",
        "复工复产企业数",
        "已复工复产企业",
        "复工复产企业",
    ),
    ("resumption_rate", "复产率", "rate", "复工率", "复工复产率"),
    ("resumed_today", "当日复产", "count", "当日复工", "新增复产"),
    ("resumed_ever", "累计复产", "count"),
    ("resumed_without_inspection", "未验收即复产", "count"),
    ("returned", "到岗人数", "count", "返岗人数", "到岗职工", "返岗职工"),
    ("return_rate", "返岗率", "rate", "到岗率"),
)
_PROBLEM_FIGURES = (
    ("raised", "问题数", "count", "问题", "收集问题", "困难问题数"),
    ("resolved", "已解决", "count", "已办结", "解决问题", "已解决问题"),
    ("open", "未解决", "count", "办理中", "未办结", "未解决问题"),
    ("overdue", "逾期", "count", "逾期问题"),
    ("raised_today", "当日新增", "count", "新增问题"),
    ("resolved_today", "当日办结", "count"),
    ("median_days_to_resolve", "办结天数中位数", "number"),
)
_LABOUR_FIGURES = (
    ("enterprises", "用工企业", "count", "用工企业数"),
    ("needed", "需求人数", "count", "用工需求", "用工需求人数"),
    ("filled", "已招人数", "count"),
    ("gap", "用工缺口", "count", "缺工人数", "缺口"),
)
DISTRICT_FIELDS = _fields(
    ("serial", "序号", "count"),
    ("district", "区县", "text", "县(市、区)", "所属区县", "县市区", "区(县)", "地区"),
    ("code", "区划代码", "code", "行政区划代码"),
    ("zero_report", "零报告", "bool", "是否零报告"),
    *((f"plans.{k}", *rest) for k, *rest in _PLAN_FIGURES),
    *((f"problems.{k}", *rest) for k, *rest in _PROBLEM_FIGURES),
    *((f"labour.{k}", *rest) for k, *rest in _LABOUR_FIGURES),
)
CATALOGUE = {"enterprise": ENTERPRISE_FIELDS, "district": DISTRICT_FIELDS}
_BLANK = Field("", "（留空）", "text")


def _breakdown(level: str, key: str) -> Field | None:
    """problems.by_category.<category> and labour.by_job_type.<job>.<needed|filled|gap>."""
    from .vocab import CATEGORY, JOB_TYPE

    if level != "district":
        return None
    parts = key.split(".")
    if parts[:2] == ["problems", "by_category"] and len(parts) == 3:
        category = CATEGORY.lookup(parts[2])
        if category is not None:
            return Field(
                f"problems.by_category.{category}", f"{CATEGORY.label(category)}问题", "count"
            )
    if parts[:2] == ["labour", "by_job_type"] and len(parts) == 4:
        job = JOB_TYPE.lookup(parts[2]) or parts[2]
        what = {"needed": "需求", "filled": "已招", "gap": "缺口"}.get(parts[3])
        if what is not None:
            return Field(
                f"labour.by_job_type.{job}.{parts[3]}", f"{JOB_TYPE.label(job)}{what}", "count"
            )
    return None


def _word(text: str) -> str:
    """A header word as compared: folded, without a trailing unit such as （人） or (%)."""
    folded = fold(text)
    return re.sub(r"\([^()]*\)$", "", folded) or folded


def field_named(level: str, name: str) -> Field | None:
    """A field by its key or by a Chinese word that names it (名称, alias), else None."""
    fields = CATALOGUE[level]
    if name in fields:
        return fields[name]
    found = _breakdown(level, name)
    if found is not None:
        return found
    wanted = _word(name)
    for f in fields.values():
        if wanted in {fold(f.key), _word(f.zh), *(_word(w) for w in f.words)}:
            return f
    return None


def field_choices(level: str) -> str:
    return ", ".join(f"{f.key} ({f.zh})" for f in CATALOGUE[level].values())


# --------------------------------------------------------------------------- the mapping


@dataclass(frozen=True)
class ColumnMap:
    header: tuple[str, ...]  # the label, top row first (a group over its column)
    field: Field  # _BLANK: the column is left blank
    format: str | None
    where: str  # "columns[3]" — for messages

    @property
    def label(self) -> str:
        return " / ".join(self.header)


@dataclass(frozen=True)
class CellMap:
    find: str | None  # a cell whose text begins with (else contains) this
    cell: str | None  # or a cell address
    expect: str | None  # what the template holds at `cell` (checked)
    value: str  # a text with {placeholders}
    put: str  # "replace": the found cell itself; "right": the next cell on its right
    format: str | None
    where: str


@dataclass(frozen=True)
class Mapping:
    path: Path
    title: str
    level: str
    template: Path
    sheet: str | None
    unit: str | None
    columns: tuple[ColumnMap, ...]
    cells: tuple[CellMap, ...]
    total: str | None
    total_at: str
    all_enterprises: bool
    above_scale: bool | None
    sectors: tuple[str, ...] | None
    statuses: tuple[str, ...] | None
    note_sheet: bool
    description: str = ""
    fields_used: frozenset[str] = field(default=frozenset())


class MappingError(FugongError):
    """A mapping file that cannot be used: names the file, the line when known, the key."""

    def __init__(self, path: Path, key: str, zh: str, en: str, line: int | None = None):
        place = f"{path}:{line}" if line else str(path)
        super().__init__(f"映射文件 {place}: {key}: {zh}", f"mapping file {place}: {key}: {en}")


PLACEHOLDERS = {
    "unit": "unit",
    "填报单位": "unit",
    "today": "today",
    "填报日期": "today",
    "as_of": "as_of",
    "截至日期": "as_of",
    "known_at": "known_at",
    "按所知时刻": "known_at",
    "generated_at": "generated_at",
    "生成时间": "generated_at",
    "scope": "scope",
    "范围": "scope",
    "scope_code": "scope_code",
    "区划代码": "scope_code",
    "title": "title",
    "表名": "title",
    "version": "version",
    "版本": "version",
}
DATE_PLACEHOLDERS = frozenset({"today", "as_of"})
_CELL_REF = re.compile(r"[A-Z]{1,3}[1-9][0-9]{0,6}")

_KEYS = {
    "form": {"title", "level", "template", "sheet", "unit", "note_sheet", "description"},
    "table": {
        "total",
        "total_at",
        "all_enterprises",
        "above_scale",
        "sectors",
        "statuses",
    },
    "columns": {"header", "field", "format"},
    "cells": {"find", "cell", "expect", "value", "put", "format"},
}


class _Source:
    """The mapping file's text, to name the line of a key in a message."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.lines = text.splitlines()

    def line(self, table: str, index: int | None, key: str | None) -> int | None:
        header = (
            re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
            if index is not None
            else re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]")
        )
        seen, start = -1, None
        for n, text in enumerate(self.lines):
            if header.match(text):
                seen += 1
                if index is None or seen == index:
                    start = n
                    break
        if start is None:
            return None
        if key is None:
            return start + 1
        wanted = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for n in range(start + 1, len(self.lines)):
            if re.match(r"^\s*\[", self.lines[n]):
                break
            if wanted.match(self.lines[n]):
                return n + 1
        return start + 1

    def error(self, table, index, key, zh, en) -> MappingError:
        where = table if index is None else f"{table}[{index + 1}]"
        if key:
            where += f".{key}"
        return MappingError(self.path, where, zh, en, self.line(table, index, key))


def read_mapping(path: Path) -> Mapping:
    """Parse and check a mapping file; every mistake is a MappingError naming the key."""
    import tomllib

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FugongError(f"映射文件不存在: {path}", f"mapping file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FugongError(
            f"无法读取映射文件 {path}: {exc}", f"cannot read mapping file {path}: {exc}"
        ) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        place = f"{path}:{line.group(1)}" if line else str(path)
        raise FugongError(
            f"映射文件 {place}: 不是有效的 TOML: {exc}",
            f"mapping file {place}: not valid TOML: {exc}",
        ) from None
    return _mapping(path, doc, _Source(path, text))


def _mapping(path: Path, doc: dict[str, Any], src: _Source) -> Mapping:
    for key in doc:
        if key not in _KEYS:
            raise MappingError(
                path,
                key,
                f"未知的表 (可用: {', '.join(_KEYS)})",
                f"unknown table (choose from: {', '.join(_KEYS)})",
            )
    form = _table(doc, "form", src)
    table = _table(doc, "table", src)
    level = form.get("level")
    if level not in LEVELS:
        raise src.error(
            "form",
            None,
            "level",
            f"须为 enterprise（每行一个企业）或 district（每行一个区县）, 而不是 {level!r}",
            f"must be enterprise (a row per enterprise) or district (a row per district), "
            f"not {level!r}",
        )
    title = _text(form, "title", src, "form", None) or path.stem
    template = _text(form, "template", src, "form", None) or f"{path.stem}.xlsx"
    if not template.lower().endswith(".xlsx"):
        raise src.error(
            "form", None, "template", f"模板须为 .xlsx 文件: {template}", f".xlsx only: {template}"
        )
    columns = tuple(_column(level, c, i, src) for i, c in enumerate(_array(doc, "columns", src)))
    if not columns:
        raise MappingError(
            path, "columns", "至少要有一列 [[columns]]", "at least one [[columns]] is needed"
        )
    cells = tuple(_cell(c, i, src) for i, c in enumerate(_array(doc, "cells", src)))
    total = table.get("total", "合计" if level == "district" else None)
    if total is False:
        total = None
    if total is not None and (not isinstance(total, str) or not total.strip()):
        raise src.error(
            "table",
            None,
            "total",
            '须为合计行的名称 (如 "合计") 或 false',
            'a label ("合计") or false',
        )
    total_at = table.get("total_at", "bottom")
    if total_at not in ("bottom", "top"):
        raise src.error(
            "table", None, "total_at", "须为 bottom 或 top", f"bottom or top, not {total_at!r}"
        )
    for key in ("above_scale", "sectors", "statuses"):
        if key in table and level != "enterprise":
            raise src.error(
                "table", None, key, "只用于企业级表单", "only for enterprise-level forms"
            )
    if "all_enterprises" in table and level != "district":
        raise src.error("table", None, "all_enterprises", "只用于区县级表单", "district forms only")
    return Mapping(
        path=path,
        title=title,
        level=level,
        template=(path.parent / template),
        sheet=_text(form, "sheet", src, "form", None),
        unit=_text(form, "unit", src, "form", None),
        columns=columns,
        cells=cells,
        total=total.strip() if total else None,
        total_at=total_at,
        all_enterprises=_flag(table, "all_enterprises", src, False),
        above_scale=_flag(table, "above_scale", src, None),
        sectors=_terms(table, "sectors", src, SECTOR, ()),
        statuses=_terms(table, "statuses", src, PLAN_STATUS, ("unreported", "未填报")),
        note_sheet=_flag(form, "note_sheet", src, True, where="form"),
        description=_text(form, "description", src, "form", None) or "",
        fields_used=frozenset(c.field.key for c in columns if c.field.key),
    )


def _table(doc: dict, name: str, src: _Source) -> dict:
    value = doc.get(name, {})
    if not isinstance(value, dict):
        raise src.error(name, None, None, "须为一个表 [" + name + "]", f"must be a table [{name}]")
    _known_keys(value, name, None, src)
    return value


def _array(doc: dict, name: str, src: _Source) -> list[dict]:
    value = doc.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise src.error(name, None, None, f"须写成 [[{name}]]", f"must be written [[{name}]]")
    for i, item in enumerate(value):
        _known_keys(item, name, i, src)
    return value


def _known_keys(value: dict, table: str, index: int | None, src: _Source) -> None:
    allowed = _KEYS[table]
    for key in value:
        if key not in allowed:
            raise src.error(
                table,
                index,
                key,
                f"未知的键 (可用: {', '.join(sorted(allowed))})",
                f"unknown key (choose from: {', '.join(sorted(allowed))})",
            )


def _text(value: dict, key: str, src: _Source, table: str, index: int | None) -> str | None:
    got = value.get(key)
    if got is None:
        return None
    if not isinstance(got, str):
        raise src.error(table, index, key, "须为文字 (加引号)", "must be a string (quoted)")
    return got


def _flag(value: dict, key: str, src: _Source, default, *, where: str = "table"):
    got = value.get(key, default)
    if got is not default and not isinstance(got, bool):
        raise src.error(where, None, key, "须为 true 或 false", "must be true or false")
    return got


def _terms(value: dict, key: str, src: _Source, vocab, extra: tuple[str, ...]):
    got = value.get(key)
    if got is None:
        return None
    if isinstance(got, str):
        got = [got]
    out = []
    for word in got:
        term = vocab.lookup(word) if isinstance(word, str) else None
        if term is None and isinstance(word, str) and fold(word) in {fold(e) for e in extra}:
            term = extra[0]
        if term is None:
            raise src.error(
                "table",
                None,
                key,
                f"未知的值 {word!r} (可选: {vocab.choices()})",
                f"unknown value {word!r} (choose from: {vocab.choices('en')})",
            )
        out.append(term)
    return tuple(out)


def _column(level: str, value: dict, i: int, src: _Source) -> ColumnMap:
    header = value.get("header")
    if isinstance(header, str):
        header = [header]
    if (
        not isinstance(header, list)
        or not header
        or not all(isinstance(h, str) and fold(h) for h in header)
    ):
        raise src.error(
            "columns",
            i,
            "header",
            '须为模板中的表头文字, 如 "企业名称", 或上下两行 ["复产情况", "复产率"]',
            'the header label as the template has it, e.g. "企业名称", '
            'or two rows ["复产情况", "复产率"]',
        )
    named = value.get("field")
    if named is None:
        found = field_named(level, header[-1])
        if found is None:
            raise src.error(
                "columns",
                i,
                "header",
                f"表头 '{header[-1]}' 不是 fugong 认识的字段; 请写 field = \"…\" "
                f'(可选: {field_choices(level)}; 留空的列写 field = "")',
                f"fugong does not know the header '{header[-1]}'; give field = \"…\" "
                f'(choose from: {field_choices(level)}; field = "" leaves the column blank)',
            )
    elif not isinstance(named, str):
        raise src.error("columns", i, "field", "须为文字 (加引号)", "must be a string (quoted)")
    elif not named.strip():
        found = _BLANK
    else:
        found = field_named(level, named.strip())
        if found is None:
            raise src.error(
                "columns",
                i,
                "field",
                f"未知字段 '{named}' (可选: {field_choices(level)})",
                f"unknown field '{named}' (choose from: {field_choices(level)})",
            )
    fmt = _text(value, "format", src, "columns", i)
    return ColumnMap(tuple(h.strip() for h in header), found, fmt, f"columns[{i + 1}]")


def _cell(value: dict, i: int, src: _Source) -> CellMap:
    find = _text(value, "find", src, "cells", i)
    cell = _text(value, "cell", src, "cells", i)
    if (find is None) == (cell is None):
        raise src.error(
            "cells",
            i,
            None,
            '须有 find = "模板中的文字" 或 cell = "A2" (二者之一)',
            'needs either find = "text in the template" or cell = "A2"',
        )
    if cell is not None:
        cell = cell.strip().upper()
        if not _CELL_REF.fullmatch(cell):
            raise src.error("cells", i, "cell", f"不是单元格地址: {cell}", f"not a cell: {cell}")
    if find is not None and not fold(find):
        raise src.error("cells", i, "find", "不能为空", "must not be empty")
    text = value.get("value")
    if not isinstance(text, str):
        raise src.error(
            "cells",
            i,
            "value",
            '须为文字, 如 "填报单位：{unit}"',
            'a string, e.g. "填报单位：{unit}"',
        )
    for name, spec in _placeholders(text, src, i):
        if name not in PLACEHOLDERS:
            raise src.error(
                "cells",
                i,
                "value",
                f"未知的占位符 {{{name}}} (可用: {', '.join('{' + p + '}' for p in PLACEHOLDERS)})",
                f"unknown placeholder {{{name}}} "
                f"(choose from: {', '.join('{' + p + '}' for p in PLACEHOLDERS)})",
            )
        if spec and PLACEHOLDERS[name] not in DATE_PLACEHOLDERS | {"known_at", "generated_at"}:
            raise src.error(
                "cells",
                i,
                "value",
                f"{{{name}:{spec}}}: 只有日期和时刻可写格式",
                f"{{{name}:{spec}}}: only dates and moments take a format",
            )
    put = value.get("put", "replace")
    if put not in ("replace", "right"):
        raise src.error(
            "cells", i, "put", "须为 replace 或 right", f"replace or right, not {put!r}"
        )
    return CellMap(
        find=find,
        cell=cell,
        expect=_text(value, "expect", src, "cells", i),
        value=text,
        put=put,
        format=_text(value, "format", src, "cells", i),
        where=f"cells[{i + 1}]",
    )


def _placeholders(text: str, src: _Source, i: int) -> list[tuple[str, str]]:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise src.error(
            "cells",
            i,
            "value",
            f"花括号不成对 ({exc}); 文字中的花括号写作 {{{{ 和 }}}}",
            f"unbalanced braces ({exc}); write literal braces as {{{{ and }}}}",
        ) from None
    return [(name, spec or "") for _lit, name, spec, _conv in parsed if name is not None]


# --------------------------------------------------------------------------- fixed texts


class _Day:
    def __init__(self, day: date):
        self.day = day

    def __format__(self, spec: str) -> str:
        if not spec:
            return self.day.isoformat()
        if spec == "年月日":
            return f"{self.day.year}年{self.day.month}月{self.day.day}日"
        return self.day.strftime(spec)


class _Moment:
    def __init__(self, moment: datetime):
        self.moment = moment  # aware, in the office's zone

    def __format__(self, spec: str) -> str:
        if not spec:
            return self.moment.isoformat(timespec="seconds")
        m = self.moment
        if spec == "年月日":
            return f"{m.year}年{m.month}月{m.day}日 {m:%H:%M}"
        return m.strftime(spec)


@dataclass(frozen=True)
class Context:
    """What the fixed cells and the provenance note say."""

    form: str
    title: str
    scope: str
    scope_code: str
    unit: str
    today: date
    as_of: date
    known_at: datetime | None  # aware, office zone; None: as known when generated
    generated_at: datetime  # aware, office zone
    version: str

    def values(self) -> dict[str, Any]:
        known = self.known_at or self.generated_at
        canonical = {
            "unit": self.unit,
            "today": _Day(self.today),
            "as_of": _Day(self.as_of),
            "known_at": _Moment(known),
            "generated_at": _Moment(self.generated_at),
            "scope": self.scope,
            "scope_code": self.scope_code,
            "title": self.title,
            "version": self.version,
        }
        return {name: canonical[key] for name, key in PLACEHOLDERS.items()}

    def date_of(self, text: str) -> date | None:
        """The date a value stands for when it is one date placeholder and nothing else
        (`{as_of}`): such a cell is written as a date."""
        match = re.fullmatch(r"\{([^{}:!]+)\}", text.strip())
        if match and PLACEHOLDERS.get(match.group(1)) in DATE_PLACEHOLDERS:
            return getattr(self, PLACEHOLDERS[match.group(1)])
        return None

    def text(self, template: str) -> str:
        return template.format_map(self.values())


# --------------------------------------------------------------------------- where forms are


@dataclass(frozen=True)
class FormRef:
    name: str
    mapping: Path
    source: str  # "shipped" | "user"


def user_folder() -> Path:
    """The user's forms: $FUGONG_FORMS, else `forms` in the user data folder."""
    chosen = os.environ.get("FUGONG_FORMS", "").strip()
    if chosen:
        return Path(chosen).expanduser()
    from platformdirs import user_data_path

    return user_data_path("fugong", appauthor=False) / "forms"


def shipped_folder() -> Path:
    from importlib import resources

    return Path(str(resources.files("fugong.data.forms")))


def all_forms() -> list[FormRef]:
    """The shipped forms, then the user's (a user form of the same name is the one used)."""
    out = [FormRef(p.stem, p, "shipped") for p in sorted(shipped_folder().glob("*.toml"))]
    folder = user_folder()
    if folder.is_dir():
        out += [FormRef(p.stem, p, "user") for p in sorted(folder.glob("*.toml"))]
    return out


def find_form(name: str) -> FormRef:
    """A form by name (the mapping's file name without .toml); the user's come first."""
    forms = all_forms()
    wanted = fold(name.removesuffix(".toml"))
    for source in ("user", "shipped"):
        for ref in forms:
            if ref.source == source and fold(ref.name) == wanted:
                return ref
    names = ", ".join(dict.fromkeys(r.name for r in forms)) or "—"
    raise FugongError(
        f"未知表单 '{name}' (可选: {names}; 或给出模板文件 .xlsx 与 --map 映射文件)",
        f"unknown form '{name}' (choose from: {names}; or give a template .xlsx and --map)",
    )


def resolve(form: str, map_path: str | None) -> Mapping:
    """The mapping of `fugong form fill FORM|TEMPLATE.xlsx [--map MAP.toml]`."""
    if form.lower().endswith(".toml"):
        if map_path is not None:
            raise FugongError(
                f"{form} 已是映射文件, 不需要 --map", f"{form} is a mapping already; drop --map"
            )
        return read_mapping(Path(form))
    if map_path is not None:
        if not form.lower().endswith(".xlsx"):
            raise FugongError(
                f"--map 与模板文件 (.xlsx) 一起用, 而不是表单名 '{form}'",
                f"--map goes with a template file (.xlsx), not with the form name '{form}'",
            )
        return _with_template(read_mapping(Path(map_path)), Path(form))
    if form.lower().endswith(".xlsx"):
        beside = Path(form).with_suffix(".toml")
        if not beside.is_file():
            raise FugongError(
                f"找不到模板 {form} 的映射文件 {beside}; 请用 --map 指定",
                f"no mapping file {beside} beside the template {form}; give --map",
            )
        return _with_template(read_mapping(beside), Path(form))
    return read_mapping(find_form(form).mapping)


def _with_template(mapping: Mapping, template: Path) -> Mapping:
    from dataclasses import replace

    return replace(mapping, template=template)


# --------------------------------------------------------------------------- the rows


MISSING = object()  # a figure this fugong's report does not give


def figure(doc: dict[str, Any], key: str) -> Any:
    """A figure of a report document by its dotted path (MISSING when absent)."""
    value: Any = doc
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return MISSING
        value = value[part]
    return value


def district_rows(
    *, session, scope, as_of: date, known_at: datetime | None, mapping: Mapping
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, dict[str, Any]]:
    """A row per district of the scope and the city total, figures from `reports.report`.

    Returns (rows, total, the report document).  Each row maps a field key to
    its value; a figure the report does not give is MISSING.
    """
    from .reports import report

    doc = report(
        session=session,
        district=scope,
        as_of=as_of,
        known_at=known_at,
        all_enterprises=mapping.all_enterprises,
    )
    parts = doc.get("districts") or [doc]

    def row(part: dict[str, Any], serial: int | None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "serial": serial,
            "district": part["scope"]["name"],
            "code": part["scope"]["code"],
            "zero_report": part.get("zero_report"),
        }
        for key in mapping.fields_used:
            if "." in key:
                out[key] = figure(part, key)
        return out

    rows = [row(part, i) for i, part in enumerate(parts, 1)]
    total = row(doc, None) if "districts" in doc else None
    return rows, total, doc


_PLAN_KEYS = frozenset(
    {
        "status",
        "operating",
        "planned_on",
        "inspected_on",
        "inspection",
        "resumed_on",
        "returned",
        "return_rate",
        "reason",
        "note",
    }
)


def enterprise_rows(
    *, session, codes: list[str], as_of: date, known_at: datetime | None, mapping: Mapping
) -> list[dict[str, Any]]:
    """A row per enterprise of the scope as of D (the rows of `enterprise list`), with
    its plan as `plan list` shows it, in the ledger's order, filtered as the mapping says."""
    from .asof import View
    from .listing import enterprise_rows as listed
    from .listing import iter_plan_rows
    from .reports import rate

    view = View(as_of, known_at)
    ents = listed(session=session, view=view, district_codes=codes)
    plans: dict[int, dict[str, Any]] = {}
    if mapping.statuses is not None or mapping.fields_used & _PLAN_KEYS:
        plans = {
            p["enterprise_id"]: p
            for p in iter_plan_rows(
                session=session, view=view, district_codes=codes, with_enterprise_id=True
            )
        }
    out = []
    for ent in ents:
        plan = plans.get(ent["id"], {})
        status = plan.get("status")
        if mapping.above_scale is not None and bool(ent["above_scale"]) != mapping.above_scale:
            continue
        if mapping.sectors is not None and ent["sector"] not in mapping.sectors:
            continue
        if mapping.statuses is not None and (status or "unreported") not in mapping.statuses:
            continue
        row = dict(ent)
        for key in _PLAN_KEYS & set(plan):
            row[key] = plan[key]
        row["status"] = status
        row["operating"] = status in ("not_stopped", "resumed")
        returned = plan.get("returned") if status == "resumed" else None
        employees = ent.get("employees")
        row["return_rate"] = (
            rate(returned, employees) if returned is not None and employees else None
        )
        row["serial"] = len(out) + 1
        out.append(row)
    return out


def cell_value(f: Field, value: Any, lang: str = "zh") -> Any:
    """A row's value as the cell takes it: words for vocabularies and yes/no, text codes."""
    if f.key == "status":
        return unreported_status(lang) if value is None else PLAN_STATUS.label(value, lang)
    if value is None or value is MISSING:
        return None
    if f.key == "sector":
        return SECTOR.label(value, lang)
    if f.key == "inspection":
        return INSPECTION.label(value, lang)
    if f.kind == "bool":
        return ("yes" if value else "no") if lang == "en" else ("是" if value else "否")
    if f.kind == "code":
        return str(value)
    return value


def unreported_status(lang: str = "zh") -> str:
    return "unreported" if lang == "en" else "未填报"


def enterprise_total(rows: list[dict[str, Any]], mapping: Mapping) -> dict[str, Any]:
    """The 合计 row of an enterprise form (when its mapping asks for one): the sums of
    its count columns (职工总数, 到岗人数 …) over the rows listed."""
    total: dict[str, Any] = {}
    for column in mapping.columns:
        f = column.field
        if f.kind == "count" and f.key not in ("serial", "id"):
            total[f.key] = sum(r.get(f.key) or 0 for r in rows)
    return total
