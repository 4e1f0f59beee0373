"""A form's template, checked against its mapping and filled (openpyxl).

The template is loaded whole and saved again, so what the superior laid out —
styles, merged cells, column widths, row heights, print setup, title rows,
notes under the table — stays as it is; fugong only writes values into the
cells the mapping names and the rows of the table.

Before anything is filled, `check` finds the table's header by its labels
(merged cells count for every cell they span, a header may have two rows) and
compares it with the mapping, column by column: a label renamed, moved,
missing or added, a fixed cell not found, the sheet missing — every difference
is listed and the form is refused.  This module is imported only by the form
commands: openpyxl is loaded by nobody else.
"""

from __future__ import annotations

import difflib
import json
import re
import warnings
from copy import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import FugongError, in_lang
from .forms import MISSING, TOTAL_WORDS, CellMap, Context, Mapping, cell_value
from .vocab import fold

_HEADER_SEARCH = 40  # rows in which the header is looked for
_DEFAULT_FORMAT = {"rate": "0.00%", "date": "yyyy-mm-dd", "code": "@"}


class TemplateMismatch(FugongError):
    """The template is not the one the mapping describes: every difference, one a line."""

    def __init__(self, template: Path, sheet: str, differences: list[tuple[str, str]]):
        self.differences = differences
        zh = "\n".join(f"  - {d[0]}" for d in differences)
        en = "\n".join(f"  - {d[1]}" for d in differences)
        super().__init__(
            f"模板 {template} [{sheet}] 与映射不符, 未填写:\n{zh}",
            f"the template {template} [{sheet}] differs from its mapping; nothing filled:\n{en}",
        )


@dataclass
class Layout:
    """Where the mapping's columns and cells are in the template."""

    sheet: Any  # the openpyxl worksheet
    header_top: int
    header_bottom: int
    columns: list[int]  # per mapping column: its sheet column
    first_col: int  # the table's span, merged header cells included
    last_col: int
    body_rows: int  # formatted blank rows under the header (how a data row looks)
    total_row: int | None  # the template's own 合计 row
    cells: list[tuple[CellMap, int, int]] = field(default_factory=list)  # fixed cells: row, col
    notes: list[str] = field(default_factory=list)  # what was not kept (openpyxl's warnings)


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def load(mapping: Mapping) -> tuple[Any, list[str]]:
    """The template workbook, and what openpyxl could not keep of it (said to the user)."""
    import zipfile

    import openpyxl

    path = mapping.template
    if not path.is_file():
        raise FugongError(
            f"模板文件不存在: {path} (映射 {mapping.path} 的 template)",
            f"template not found: {path} (the template of {mapping.path})",
        )
    notes: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            wb = openpyxl.load_workbook(path)
        notes += sorted({str(w.message) for w in caught})
        with zipfile.ZipFile(path) as package:
            if any(n.startswith("xl/drawings/") and n.endswith(".xml") for n in package.namelist()):
                notes.append("drawings")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise FugongError(
            f"模板不是有效的 .xlsx 工作簿: {path} ({exc})",
            f"the template is not a valid .xlsx workbook: {path} ({exc})",
        ) from None
    return wb, notes


# --------------------------------------------------------------------------- reading


def _texts(ws, last_row: int | None = None, *, expand: bool = True) -> dict[tuple[int, int], str]:
    """Cell texts (row, col) -> text; merged cells count for every cell they span."""
    last = ws.max_row if last_row is None else min(ws.max_row, last_row)
    out: dict[tuple[int, int], str] = {}
    for (r, c), cell in list(ws._cells.items()):
        if r > last or cell.value is None or cell.__class__.__name__ == "MergedCell":
            continue
        text = cell.value if isinstance(cell.value, str) else str(cell.value)
        if fold(text):
            out[(r, c)] = text
    if expand:
        for merged in ws.merged_cells.ranges:
            text = out.get((merged.min_row, merged.min_col))
            if text is None or merged.min_row > last:
                continue
            for r in range(merged.min_row, min(merged.max_row, last) + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    out[(r, c)] = text
    return out


def _merge_at(ws, row: int, col: int):
    for merged in ws.merged_cells.ranges:
        if merged.min_row <= row <= merged.max_row and merged.min_col <= col <= merged.max_col:
            return merged
    return None


def _header_columns(ws, texts, top: int, bottom: int) -> list[tuple[int, tuple[str, ...]]]:
    """The header's columns, left to right: (sheet column, labels top to bottom)."""
    out = []
    for col in range(1, ws.max_column + 1):
        merged = _merge_at(ws, bottom, col)
        if merged is not None and merged.min_col < col:
            continue  # one label merged across columns is one column
        stack: list[str] = []
        for row in range(top, bottom + 1):
            text = texts.get((row, col))
            if text is not None and (not stack or fold(stack[-1]) != fold(text)):
                stack.append(text)
        if stack:
            out.append((col, tuple(stack)))
    return out


def _matches(wanted: tuple[str, ...], found: tuple[str, ...]) -> bool:
    """A mapping label matches a header column when it names its lowest rows (the
    groups above may be left out of the mapping)."""
    if len(wanted) > len(found):
        return False
    return [fold(w) for w in wanted] == [fold(f) for f in found[len(found) - len(wanted) :]]


def _shown(stack: tuple[str, ...]) -> str:
    return " / ".join(" ".join(s.split()) for s in stack)


def check(wb, mapping: Mapping) -> Layout:
    """Find the mapping's table and cells in the template; refuse it, listing every
    difference, when it is not the template the mapping describes."""
    if mapping.sheet is not None:
        if mapping.sheet not in wb.sheetnames:
            names = ", ".join(wb.sheetnames)
            raise TemplateMismatch(
                mapping.template,
                mapping.sheet,
                [
                    (
                        f"模板中没有工作表 '{mapping.sheet}' (有: {names})",
                        f"the template has no sheet '{mapping.sheet}' (it has: {names})",
                    )
                ],
            )
        ws = wb[mapping.sheet]
    else:
        ws = wb.worksheets[0]
    differences: list[tuple[str, str]] = []
    depth = max(len(c.header) for c in mapping.columns)
    texts = _texts(ws, _HEADER_SEARCH + depth)
    best: tuple[int, int, list] | None = None
    for top in range(1, _HEADER_SEARCH + 1):
        found = _header_columns(ws, texts, top, top + depth - 1)
        score = sum(any(_matches(c.header, s) for _col, s in found) for c in mapping.columns)
        if score and (best is None or score > best[0]):
            best = (score, top, found)
    if best is None:
        labels = ", ".join(f"'{c.label}'" for c in mapping.columns[:6])
        raise TemplateMismatch(
            mapping.template,
            ws.title,
            [
                (
                    f"前 {_HEADER_SEARCH} 行中找不到映射的表头 ({labels} …)",
                    f"none of the mapping's header labels ({labels} …) in the first "
                    f"{_HEADER_SEARCH} rows",
                )
            ],
        )
    _score, top, found = best
    bottom = top + depth - 1
    columns = _compare(mapping, found, differences)
    layout = Layout(
        sheet=ws,
        header_top=top,
        header_bottom=bottom,
        columns=columns,
        first_col=0,
        last_col=0,
        body_rows=0,
        total_row=None,
    )
    if not differences:
        _span(ws, layout, found)
        _body(ws, layout, mapping, differences)
    layout.cells = _fixed(ws, mapping, layout, differences)
    if differences:
        raise TemplateMismatch(mapping.template, ws.title, differences)
    return layout


def _compare(mapping: Mapping, found, differences: list[tuple[str, str]]) -> list[int]:
    """The sheet column of each mapping column, when the header is the mapping's."""
    wanted = [c.header for c in mapping.columns]
    # a header column's key: the part a mapping label would name (see _matches)
    keys = []
    for _col, stack in found:
        depth = next((len(w) for w in wanted if _matches(w, stack)), len(stack))
        keys.append(tuple(fold(s) for s in stack[len(stack) - depth :]))
    wanted_keys = [tuple(fold(h) for h in w) for w in wanted]
    if keys == wanted_keys:
        return [col for col, _stack in found]
    missing: list[int] = []  # mapping indexes
    extra: list[int] = []  # header indexes
    matcher = difflib.SequenceMatcher(None, wanted_keys, keys, autojunk=False)
    renamed: list[tuple[int, int]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace":
            pairs = min(i2 - i1, j2 - j1)
            renamed += [(i1 + k, j1 + k) for k in range(pairs)]
            missing += range(i1 + pairs, i2)
            extra += range(j1 + pairs, j2)
        elif op == "delete":
            missing += range(i1, i2)
        else:
            extra += range(j1, j2)
    # a label found elsewhere has moved (whether the diff saw a removal or a rename)
    placed = {}
    for i in [*missing, *(i for i, _j in renamed)]:
        for j, key in enumerate(keys):
            if key == wanted_keys[i] and j not in placed.values():
                placed[i] = j
                break
    for i, j in sorted(placed.items()):
        col = found[j][0]
        differences.append(
            (
                f"表头 '{mapping.columns[i].label}' 的位置变了: 映射中是表格第 {i + 1} 列, "
                f"模板中在第 {j + 1} 列 ({_letter(col)} 列)",
                f"the header '{mapping.columns[i].label}' moved: column {i + 1} of the table in "
                f"the mapping, column {j + 1} ({_letter(col)}) in the template",
            )
        )
    moved_to = set(placed.values())
    for i, j in renamed:
        if i in placed or j in moved_to:
            if i not in placed:
                missing.append(i)
            if j not in moved_to:
                extra.append(j)
            continue
        col, stack = found[j]
        differences.append(
            (
                f"{_letter(col)} 列的表头是 '{_shown(stack)}', "
                f"映射中为 '{mapping.columns[i].label}'",
                f"the header of column {_letter(col)} reads '{_shown(stack)}'; the mapping says "
                f"'{mapping.columns[i].label}'",
            )
        )
    for i in sorted(set(missing) - set(placed)):
        differences.append(
            (
                f"映射中的表头 '{mapping.columns[i].label}' 在模板中没有",
                f"the mapping's header '{mapping.columns[i].label}' is not in the template",
            )
        )
    for j in sorted(set(extra) - moved_to):
        col, stack = found[j]
        differences.append(
            (
                f"模板 {_letter(col)} 列多出表头 '{_shown(stack)}', 映射中没有",
                f"the template has a header '{_shown(stack)}' in column {_letter(col)} "
                "that the mapping does not list",
            )
        )
    return []


def _span(ws, layout: Layout, found) -> None:
    layout.first_col = found[0][0]
    last = found[-1][0]
    merged = _merge_at(ws, layout.header_bottom, last)
    layout.last_col = merged.max_col if merged is not None else last


def _row_cells(ws, row: int, layout: Layout):
    for col in range(layout.first_col, layout.last_col + 1):
        yield col, ws._cells.get((row, col))


def _total_text(ws, row: int, layout: Layout) -> str | None:
    for _col, cell in _row_cells(ws, row, layout):
        value = getattr(cell, "value", None)
        if isinstance(value, str) and any(w in fold(value) for w in TOTAL_WORDS):
            return value
    return None


def _blank_row(ws, row: int, layout: Layout, serial_col: int | None) -> bool:
    """A formatted row without values (a pre-numbered 序号 allowed): where data goes."""
    styled = False
    for col, cell in _row_cells(ws, row, layout):
        if cell is None:
            continue
        value = cell.value
        serial = col == serial_col and isinstance(value, int | float)
        if value is not None and value != "" and not serial:
            return False
        if cell.has_style:
            styled = True
    return styled


def _body(ws, layout: Layout, mapping: Mapping, differences: list[tuple[str, str]]) -> None:
    serial = next(
        (
            col
            for c, col in zip(mapping.columns, layout.columns, strict=True)
            if c.field.key == "serial"
        ),
        None,
    )
    first = layout.header_bottom + 1
    row = first
    if mapping.total_at == "top" and _total_text(ws, row, layout) is not None:
        layout.total_row = row
        row += 1
    while row <= ws.max_row and _blank_row(ws, row, layout, serial):
        row += 1
    layout.body_rows = row - first - (1 if layout.total_row else 0)
    if _total_text(ws, row, layout) is not None:
        if layout.total_row is None and mapping.total_at == "bottom":
            layout.total_row = row
        return
    filled = [
        col
        for col, cell in _row_cells(ws, row, layout)
        if cell is not None
        and cell.__class__.__name__ != "MergedCell"
        and cell.value not in (None, "")
        and (_merge_at(ws, row, col) is None or _merge_at(ws, row, col).size["columns"] == 1)
    ]
    if len(filled) >= 2:
        shown = ", ".join(f"{_letter(c)}{row} '{ws.cell(row, c).value}'" for c in filled[:3])
        differences.append(
            (
                f"表格中第 {row} 行已有内容 ({shown} …): fugong 只往空白的表格行中填写; "
                "请在模板中清空这些行 (保留格式)",
                f"row {row} of the table already holds values ({shown} …): fugong fills "
                "blank table rows only; clear those rows in the template (keep their format)",
            )
        )


def _fixed(ws, mapping: Mapping, layout: Layout, differences) -> list[tuple[CellMap, int, int]]:
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    anchors = _texts(ws, expand=False)
    table = set()
    if layout.columns:
        table = {
            (r, c)
            for r in range(layout.header_top, layout.header_bottom + 1)
            for c in range(layout.first_col, layout.last_col + 1)
        }
    out = []
    for item in mapping.cells:
        if item.cell is not None:
            letters, row = coordinate_from_string(item.cell)
            col = column_index_from_string(letters)
            merged = _merge_at(ws, row, col)
            if merged is not None:
                row, col = merged.min_row, merged.min_col
            if item.expect is not None:
                there = anchors.get((row, col), "")
                if fold(there) != fold(item.expect):
                    differences.append(
                        (
                            f"单元格 {item.cell} 应为 '{item.expect}', 模板中为 '{there}' "
                            f"(映射 {item.where})",
                            f"cell {item.cell} should read '{item.expect}'; the template has "
                            f"'{there}' ({item.where} of the mapping)",
                        )
                    )
                    continue
        else:
            wanted = fold(item.find or "")
            candidates = [(rc, t) for rc, t in anchors.items() if rc not in table]
            hits = [rc for rc, t in candidates if fold(t).startswith(wanted)]
            if not hits:
                hits = [rc for rc, t in candidates if wanted in fold(t)]
            if len(hits) != 1:
                where = ", ".join(f"{_letter(c)}{r}" for r, c in sorted(hits))
                differences.append(
                    (
                        f"模板中找不到含 '{item.find}' 的单元格 (映射 {item.where})"
                        if not hits
                        else f"'{item.find}' 在模板中出现多次: {where}; 请在映射 {item.where} "
                        '中改用 cell = "…"',
                        f"no cell with '{item.find}' in the template ({item.where} of the mapping)"
                        if not hits
                        else f"'{item.find}' is in several cells of the template: {where}; "
                        f'use cell = "…" in {item.where}',
                    )
                )
                continue
            row, col = hits[0]
        if item.put == "right":
            merged = _merge_at(ws, row, col)
            col = (merged.max_col if merged is not None else col) + 1
        out.append((item, row, col))
    return out


# --------------------------------------------------------------------------- filling


def fill(
    wb,
    layout: Layout,
    mapping: Mapping,
    rows: list[dict[str, Any]],
    total: dict[str, Any] | None,
    context: Context,
) -> list[str]:
    """Write the fixed cells and the table; returns the keys of figures this fugong's
    report does not give (their cells are left blank)."""
    ws = layout.sheet
    for item, row, col in layout.cells:
        _fixed_value(ws, item, row, col, context)
    absent: list[str] = []
    _table(ws, layout, mapping, rows, total, absent)
    wb.active = wb.worksheets.index(ws)
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = sheet is ws
    return sorted(set(absent))


def _fixed_value(ws, item: CellMap, row: int, col: int, context: Context) -> None:
    cell = ws.cell(row, col)
    day = context.date_of(item.value)
    if day is not None:
        cell.value = day
        cell.number_format = item.format or "yyyy年m月d日"
        return
    cell.value = context.text(item.value)
    if item.format:
        cell.number_format = item.format


def _table(ws, layout: Layout, mapping: Mapping, rows, total, absent: list[str]) -> None:
    first = layout.header_bottom + 1
    have = layout.body_rows + (1 if layout.total_row else 0)
    proto_row = first + (1 if layout.total_row == first else 0)
    proto = _row_style(ws, proto_row if layout.body_rows else None, layout)
    if layout.total_row:
        total_style = _row_style(ws, layout.total_row, layout)
        total_label = _total_text(ws, layout.total_row, layout)
    else:
        total_style = _row_style(ws, proto_row if layout.body_rows else None, layout, bold=True)
        total_label = mapping.total
    out: list[tuple[str, dict[str, Any]]] = [("row", r) for r in rows]
    if total is not None and mapping.total:
        if mapping.total_at == "top":
            out.insert(0, ("total", total))
        else:
            out.append(("total", total))
    need = max(len(out), 1 if have else 0)
    region_end = first + have  # first row after the template's table body
    # merged cells inside the body are laid again row by row below
    for merged in list(ws.merged_cells.ranges):
        if first <= merged.min_row and merged.max_row < region_end:
            ws.merged_cells.remove(merged)
    if need > have:
        _open_rows(ws, region_end, need - have)
    elif need < have:
        _close_rows(ws, first + need, have - need)
    label_col = _label_column(mapping, layout)
    for k in range(need):
        row = first + k
        kind, values = out[k] if k < len(out) else ("row", None)
        style = total_style if kind == "total" else proto
        _lay_row(ws, row, style)
        if values is None:
            continue
        for column, col in zip(mapping.columns, layout.columns, strict=True):
            cell = ws.cell(row, col)
            f = column.field
            if not f.key:
                cell.value = None
                continue
            raw = values.get(f.key)
            if raw is MISSING:
                absent.append(f.key)
            if kind == "total" and f.key == "serial":
                raw = None
            value = cell_value(f, raw) if raw is not None or f.key == "status" else None
            if kind == "total" and f.key in ("district", "name"):
                value = None
            cell.value = value
            fmt = column.format or (
                cell.number_format
                if cell.number_format != "General"
                else _DEFAULT_FORMAT.get(f.kind, "General")
            )
            cell.number_format = fmt
        if kind == "total" and label_col is not None:
            ws.cell(row, label_col).value = total_label


def _label_column(mapping: Mapping, layout: Layout) -> int | None:
    """Where a 合计 row says 合计: the district (or enterprise name) column, else the
    first column that is not the serial number."""
    by_key = {c.field.key: col for c, col in zip(mapping.columns, layout.columns, strict=True)}
    for key in ("district", "name"):
        if key in by_key:
            return by_key[key]
    for c, col in zip(mapping.columns, layout.columns, strict=True):
        if c.field.key != "serial":
            return col
    return layout.columns[0] if layout.columns else None


@dataclass
class _RowStyle:
    styles: dict[int, Any]  # col -> StyleArray
    height: float | None
    merges: list[tuple[int, int]]  # (first col, last col) merged in the row


def _row_style(ws, row: int | None, layout: Layout, *, bold: bool = False) -> _RowStyle:
    """How a table row looks: its cells' styles, its height, its merged cells."""
    styles: dict[int, Any] = {}
    if row is None:
        # no formatted row to copy: the header's borders and font, not bold
        row_from, height, merges = layout.header_bottom, None, []
    else:
        row_from = row
        height = ws.row_dimensions[row].height if row in ws.row_dimensions else None
        merges = [
            (m.min_col, m.max_col) for m in ws.merged_cells.ranges if m.min_row == m.max_row == row
        ]
    for col in range(layout.first_col, layout.last_col + 1):
        cell = ws.cell(row_from, col)
        styles[col] = copy(cell._style)
    style = _RowStyle(styles, height, merges)
    if row is None or bold:
        for col in styles:
            probe = ws.cell(row_from, col)
            font = copy(probe.font)
            font.b = bold
            saved = copy(probe._style)
            probe._style = copy(styles[col])
            probe.font = font
            styles[col] = copy(probe._style)
            probe._style = saved
    return style


def _lay_row(ws, row: int, style: _RowStyle) -> None:
    for col, array in style.styles.items():
        cell = ws.cell(row, col)
        cell._style = copy(array)
        cell.value = None
    if style.height is not None:
        ws.row_dimensions[row].height = style.height
    for first, last in style.merges:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)


def _open_rows(ws, at: int, count: int) -> None:
    """Insert rows before `at`, moving what is below — cells, merged cells, row
    heights, the print area — down with it."""
    ws.insert_rows(at, count)
    _shift(ws, at, count)


def _close_rows(ws, at: int, count: int) -> None:
    for merged in list(ws.merged_cells.ranges):
        if merged.min_row >= at and merged.max_row < at + count:
            ws.merged_cells.remove(merged)
    for row in range(at, at + count):
        ws.row_dimensions.pop(row, None)
    ws.delete_rows(at, count)
    _shift(ws, at + count, -count)


def _shift(ws, start: int, delta: int) -> None:
    for merged in ws.merged_cells.ranges:
        if merged.min_row >= start:
            merged.shift(row_shift=delta)
        elif merged.max_row >= start:
            merged.expand(down=delta) if delta > 0 else merged.shrink(bottom=-delta)
    dims = ws.row_dimensions
    moving = sorted((r for r in list(dims) if r >= start), reverse=delta > 0)
    for row in moving:
        dim = dims.pop(row)
        dim.index = row + delta
        dims[row + delta] = dim
    area = ws.print_area
    if area:
        from openpyxl.utils.cell import range_boundaries

        fixed = []
        for part in area.split(","):
            ref = part.split("!")[-1].replace("$", "")
            min_col, min_row, max_col, max_row = range_boundaries(ref)
            if max_row >= start:
                max_row += delta
            fixed.append(f"{_letter(min_col)}{min_row}:{_letter(max_col)}{max_row}")
        ws.print_area = fixed


# --------------------------------------------------------------------------- provenance


def provenance(wb, mapping: Mapping, context: Context, rows: int, lang: str) -> None:
    """Record as of when, as known at when, generated when and by which fugong: in the
    document properties (custom properties fugong.*) and, unless the mapping says
    note_sheet = false, in a hidden sheet named fugong."""
    from openpyxl.packaging.custom import StringProperty

    known = context.known_at.isoformat() if context.known_at else ""
    generated = context.generated_at.isoformat(timespec="seconds")
    facts = [
        ("form", "表单", mapping.path.stem),
        ("title", "标题", mapping.title),
        ("template", "模板", mapping.template.name),
        ("mapping", "映射", mapping.path.name),
        ("scope", "范围", f"{context.scope} ({context.scope_code})"),
        ("unit", "填报单位", context.unit),
        ("as_of", "截至", context.as_of.isoformat()),
        ("known_at", "按所知时刻", known or f"{generated}"),
        ("generated_at", "生成时间", generated),
        ("rows", "行数", str(rows)),
        ("version", "fugong 版本", context.version),
    ]
    props = wb.custom_doc_props
    for key, _zh, value in facts:
        name = f"fugong.{key}"
        if name in props.names:
            del props[name]
        props.append(StringProperty(name=name, value=value))
    core = wb.properties
    core.lastModifiedBy = f"fugong {context.version}"
    core.description = in_lang(
        lang,
        f"fugong {context.version} 填写: {context.scope}, 截至 {context.as_of.isoformat()}, "
        f"按所知时刻 {known or generated}, 生成于 {generated}",
        f"filled by fugong {context.version}: {context.scope}, as of "
        f"{context.as_of.isoformat()}, as known at {known or generated}, generated at {generated}",
    )
    if not mapping.note_sheet:
        return
    name = "fugong"
    while name in wb.sheetnames:
        name += "_"
    note = wb.create_sheet(name)
    note.sheet_state = "hidden"
    note.append(["项目 / item", "值 / value"])
    for key, zh, value in facts:
        note.append([f"{zh} / {key}", value])
    note.column_dimensions["A"].width = 24
    note.column_dimensions["B"].width = 48


def save(wb, target: Path) -> None:
    """Write the filled workbook whole or not at all (fugong.output)."""
    from .output import atomic_file

    with atomic_file(target, "wb") as handle:
        wb.save(handle)


# --------------------------------------------------------------------------- a first mapping

_UNIT_WORDS = ("填报单位", "报送单位", "填表单位")
_TODAY_WORDS = ("填报日期", "报送日期", "填表日期")
_AS_OF_WORDS = ("截至日期", "截止日期", "统计截止", "数据截至", "数据截止", "截至时间")
_OPEN_SCOPE = re.compile(r"(?:XX|ＸＸ|××|xx|_{2,}|＿+)(?:区县|区|市|县)?")


def draft(template: Path, level: str | None = None) -> tuple[str, str, int, int]:
    """A first mapping for a superior's template: its header found by the words fugong
    knows, every column listed (those it does not know left blank), the 填报单位 /
    填报日期 / 截至日期 cells and an open scope in the title (XX区).

    Returns (the TOML text, the level, columns named, columns left blank).
    """
    from .forms import CATALOGUE, field_named

    wb, _notes = load_template(template)
    ws = wb.worksheets[0]
    texts = _texts(ws, _HEADER_SEARCH + 1)
    best = None
    for row in range(1, _HEADER_SEARCH + 1):
        found = _header_columns(ws, texts, row, row)
        named = {
            lv: sum(field_named(lv, stack[-1]) is not None for _c, stack in found)
            for lv in CATALOGUE
        }
        score = max(named.values())
        if score >= 2 and (best is None or score > best[0]):
            best = (score, row, found)
    if best is None:
        raise FugongError(
            f"{template}: 前 {_HEADER_SEARCH} 行中找不到 fugong 认识的表头 "
            "(如 企业名称, 区县, 复产率)",
            f"{template}: no header fugong knows (企业名称, 区县, 复产率 …) in the first "
            f"{_HEADER_SEARCH} rows",
        )
    _score, bottom, found = best
    top = bottom
    if bottom > 1 and any(
        m.min_row <= bottom - 1 and m.max_row >= bottom for m in ws.merged_cells.ranges
    ):
        top = bottom - 1  # a two-row header: cells merged down over both rows
        found = _header_columns(ws, texts, top, bottom)
    if level is None:
        words = {field_named("enterprise", s[-1]) for _c, s in found} - {None}
        level = "enterprise" if {f.key for f in words} & {"name", "uscc"} else "district"
    lines = [
        f"# {template.stem} — fugong 的填表映射 (fugong form new 生成的初稿, 请检查)",
        '# 格式见 README.md 的 "Upward forms"; fugong form show 列出可用的字段.',
        "",
        "[form]",
        f"title = {_toml(template.stem)}",
        f'level = "{level}"',
        f"template = {_toml(template.name)}",
        f"sheet = {_toml(ws.title)}",
        "",
    ]
    if level == "district":
        lines += ["[table]", 'total = "合计"         # 全市合计行; 不要合计行写 false', ""]
    named = blank = 0
    for _col, stack in found:
        f = field_named(level, stack[-1])
        labels = [_one_line(s) for s in stack]
        header = _toml(labels[0]) if len(labels) == 1 else "[" + ", ".join(map(_toml, labels)) + "]"
        lines += ["[[columns]]", f"header = {header}"]
        if f is None:
            blank += 1
            lines.append('field = ""              # fugong 不认识这个表头: 填字段名, 或留空')
        else:
            named += 1
            lines.append(f'field = "{f.key}"' + " " * max(1, 24 - len(f.key)) + f"# {f.zh}")
            if f.kind == "rate":
                lines.append('format = "0.00%"')
        lines.append("")
    header_rows = set(range(top, bottom + 1))
    for (row, _col), text in sorted(_texts(ws, expand=False).items()):
        if row in header_rows:
            continue
        folded = fold(text)
        label = re.match(r"^[^:：]*[:：]", text.strip())
        prefix = label.group(0) if label else text.strip()
        value = None
        if any(folded.startswith(w) for w in _UNIT_WORDS):
            value = prefix + "{unit}"
        elif any(folded.startswith(w) for w in _TODAY_WORDS):
            value = prefix + "{today:年月日}"
        elif any(folded.startswith(w) for w in _AS_OF_WORDS):
            value = prefix + "{as_of:年月日}"
        elif row < top and _OPEN_SCOPE.search(text):
            value = _OPEN_SCOPE.sub("{scope}", text.strip(), count=1)
            prefix = max(_OPEN_SCOPE.split(text.strip()), key=len)  # the words around XX区
        if value is not None:
            find = prefix if len(fold(prefix)) <= 30 else text.strip()[:30]
            lines += ["[[cells]]", f"find = {_toml(find)}", f"value = {_toml(value)}", ""]
    return "\n".join(lines), level, named, blank


def load_template(path: Path) -> tuple[Any, list[str]]:
    """A workbook to draft a mapping from (as `load`, for a path)."""
    from types import SimpleNamespace

    return load(SimpleNamespace(template=path, path=path.with_suffix(".toml")))


def _one_line(text: str) -> str:
    """A header label as one line: 是否\\n规上 -> 是否规上 (line breaks are layout)."""
    text = re.sub(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", text.strip())
    return " ".join(text.split())


def _toml(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
