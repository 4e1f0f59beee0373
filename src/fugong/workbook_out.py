"""Real .xlsx workbooks: tables (rows + typed columns + a title block) in, a workbook out.

`write_workbook(target, tables)` is the one way fugong writes a workbook (export,
report, and later trend and upward forms): each `Table` becomes a sheet with
its title block (plain lines above the header), a bold header row frozen in
place, USCCs and other codes as text (formatted `@`, so Excel keeps them text
when they are typed over), dates as real dates, counts as numbers, rates as
percentages, and column widths that fit CJK text (a CJK character counts two).

The sheet XML is written straight into the zip, row by row, from an iterable
of rows: memory stays flat whatever the number of rows.  Strings are inline
(as XlsxWriter's constant-memory mode writes them); Excel, WPS, LibreOffice,
calamine and openpyxl read them.  The file goes through fugong.output: written
whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice, zip_longest
from typing import IO, Any

from .layouts import guard

_WIDTH_SAMPLE = 1000  # rows that decide the column widths
_BATCH = 1000  # rows rendered together, column by column
_MAX_WIDTH = 60
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_MAX_TEXT = 32767  # characters Excel keeps in a cell
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")

# cell styles (index into cellXfs below)
_PLAIN, _DATE, _HEADER, _TITLE, _PERCENT, _CODE, _DECIMAL = range(7)
KINDS = ("text", "code", "count", "number", "rate", "date", "bool")


@dataclass(frozen=True)
class Column:
    """A column of a table: its header (as shown) and the kind of its values.

    text: shown as text · code: text kept as text (USCC, phone) · count: whole
    number · number: any number · rate: a fraction shown as a percentage ·
    date: a date · bool: TRUE/FALSE.
    """

    header: str
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass
class Table:
    """A sheet to write: its name, title block, columns and rows (any iterable)."""

    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    title: Sequence[str] = ()
    written: int = field(default=0, init=False)  # data rows, once written


def text_width(text: str) -> int:
    """How many columns of Excel's default width a text needs (CJK characters: 2)."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _escaped(text: str) -> str:
    def one(m: re.Match) -> str:
        s = m[0]
        if s == "&":
            return "&amp;"
        if s == "<":
            return "&lt;"
        if s == ">":
            return "&gt;"
        if s.startswith("_x"):
            return "_x005F" + s  # a literal _xHHHH_ stays literal
        return f"_x{ord(s):04X}_"  # a control character, as Excel writes it

    return _NEEDS_ESCAPE.sub(one, text)


def _text_cell(ref: str, text: str, style: int = _PLAIN) -> str:
    if len(text) > _MAX_TEXT:
        text = text[:_MAX_TEXT]
    if _NEEDS_ESCAPE.search(text):
        text = _escaped(text)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _as_text(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    # what import would unguard (a value that starts with ' and a formula start)
    # keeps its quote; a formula start alone is harmless in a text cell
    return guard(text) if text[:1] == "'" else text


# Columns are rendered a batch of rows at a time: a comprehension per column, the
# usual cell made by one f-string; a batch with anything unusual in a column
# (characters to escape, blanks at either end, very long text, a value of another
# type) takes the careful way cell by cell.


def _texts(letter: str, rows: list[str], values: Sequence[Any], style: int) -> list[str]:
    texts = [v if v.__class__ is str else ("" if v is None else _as_text(v)) for v in values]
    plain = (
        list(map(str.strip, texts)) == texts
        and not _NEEDS_ESCAPE.search(joined := "\n".join(texts))
        and "'" not in joined
        and max(map(len, texts), default=0) <= _MAX_TEXT
    )
    if not plain:
        return [
            _text_cell(letter + r, _as_text(t), style) if t else ""
            for r, t in zip(rows, texts, strict=True)
        ]
    s = f' s="{style}"' if style else ""
    return [
        f'<c r="{letter}{r}"{s} t="inlineStr"><is><t>{t}</t></is></c>' if t else ""
        for r, t in zip(rows, texts, strict=True)
    ]


def _text_column(letter: str, rows: list[str], values: Sequence[Any]) -> list[str]:
    return _texts(letter, rows, values, _PLAIN)


def _code_column(letter: str, rows: list[str], values: Sequence[Any]) -> list[str]:
    return _texts(letter, rows, values, _CODE)


def _one_number(ref: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _text_cell(ref, _as_text(value))
    if isinstance(value, float) and not math.isfinite(value):
        return _text_cell(ref, str(value))
    style = f' s="{_DECIMAL}"' if isinstance(value, float) and not value.is_integer() else ""
    return f'<c r="{ref}"{style}><v>{value!r}</v></c>'


def _count_column(letter: str, rows: list[str], values: Sequence[Any]) -> list[str]:
    return [
        f'<c r="{letter}{r}"><v>{v}</v></c>'
        if v.__class__ is int
        else ("" if v is None else _one_number(letter + r, v))
        for r, v in zip(rows, values, strict=True)
    ]


def _number_column(letter: str, rows: list[str], values: Sequence[Any]) -> list[str]:
    return [_one_number(letter + r, v) for r, v in zip(rows, values, strict=True)]


def _rate_column(letter: str, rows: list[str], values: Sequence[Any]) -> list[str]:
    return [
        f'<c r="{letter}{r}" s="{_PERCENT}"><v>{v!r}</v></c>'
        if v.__class__ in (int, float) and math.isfinite(v)
        else _one_number(letter + r, v)
        for r, v in zip(rows, values, strict=True)
    ]


def _one_date(ref: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        return _text_cell(ref, _as_text(value))
    return f'<c r="{ref}" s="{_DATE}"><v>{(value - _EXCEL_EPOCH).days}</v></c>'


def _date_column(letter: str, rows: list[str], values: Sequence[Any]) -> list[str]:
    return [
        f'<c r="{letter}{r}" s="{_DATE}"><v>{(v - _EXCEL_EPOCH).days}</v></c>'
        if v.__class__ is dt.date
        else _one_date(letter + r, v)
        for r, v in zip(rows, values, strict=True)
    ]


def _bool_column(letter: str, rows: list[str], values: Sequence[Any]) -> list[str]:
    return [
        f'<c r="{letter}{r}" t="b"><v>{int(v)}</v></c>'
        if v.__class__ is bool
        else ("" if v is None or v == "" else _text_cell(letter + r, _as_text(v)))
        for r, v in zip(rows, values, strict=True)
    ]


_COLUMN_OF: dict[str, Callable[[str, list[str], Sequence[Any]], list[str]]] = {
    "text": _text_column,
    "code": _code_column,
    "count": _count_column,
    "number": _number_column,
    "rate": _rate_column,
    "date": _date_column,
    "bool": _bool_column,
}


def _shown_width(kind: str, value: Any) -> int:
    if kind == "date":
        return 10
    if kind == "rate":
        return 7
    if kind == "bool":
        return 5
    return text_width(value if isinstance(value, str) else str(value))


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name: no []:*?/\\, at most 31 characters."""
    base = _NOT_IN_SHEET_NAMES.sub("_", name).strip("'") or "Sheet"
    base = base[:31]
    candidate, n = base, 1
    while candidate.casefold() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = base[: 31 - len(suffix)] + suffix
    taken.add(candidate.casefold())
    return candidate


# --- the parts of the package ---------------------------------------------------------

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_STYLES = (
    _XML_HEAD + f'<styleSheet xmlns="{_NS}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts>'
    '<fonts count="3">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="14"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/>'
    '<bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="7">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _xml_attr(text: str) -> str:
    return (
        _escaped(text).replace('"', "&quot;") if _NEEDS_ESCAPE.search(text) or '"' in text else text
    )


class WorkbookWriter:
    """Writes sheets into an .xlsx package on a binary file, one after the other."""

    def __init__(self, handle: IO[bytes], *, creator: str = "fugong"):
        self._zip = zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._sheets: list[str] = []
        self._taken: set[str] = set()
        self._creator = creator

    def add(self, table: Table) -> int:
        """Write a table as the next sheet; returns the number of data rows."""
        name = sheet_name(table.name, self._taken)
        number = len(self._sheets) + 1
        self._sheets.append(name)
        columns = list(table.columns)
        kinds = [c.kind for c in columns]
        letters = [column_letters(i) for i in range(max(len(columns), 1))]
        rows = iter(table.rows)
        sample = list(islice(rows, _WIDTH_SAMPLE))
        widths = [text_width(c.header) for c in columns]
        for row in sample:
            for i, value in enumerate(row[: len(columns)]):
                if value is not None and value != "":
                    width = _shown_width(kinds[i], value)
                    if width > widths[i]:
                        widths[i] = width
        title = list(table.title)
        header_row = len(title) + (2 if title else 1)  # a blank row under the title block
        width = len(columns)
        renderers = [_COLUMN_OF[c.kind] for c in columns]
        with self._zip.open(f"xl/worksheets/sheet{number}.xml", "w") as out:
            write = out.write
            write(self._sheet_head(number, header_row, widths).encode())
            for r, line in enumerate(title, 1):
                style = _TITLE if r == 1 else _PLAIN
                write(f'<row r="{r}">{_text_cell(f"A{r}", line, style)}</row>'.encode())
            head = "".join(
                _text_cell(f"{letters[i]}{header_row}", c.header, _HEADER)
                for i, c in enumerate(columns)
            )
            write(f'<row r="{header_row}">{head}</row>'.encode())
            n = header_row
            batch = sample
            while batch:
                numbers = [str(k) for k in range(n + 1, n + 1 + len(batch))]
                n += len(batch)
                values = list(zip_longest(*batch, fillvalue=None))[:width]
                values += [(None,) * len(batch)] * (width - len(values))
                cells = [
                    render(letter, numbers, column)
                    for render, letter, column in zip(renderers, letters, values, strict=False)
                ]
                write(
                    "".join(
                        f'<row r="{r}">{"".join(row)}</row>'
                        for r, row in zip(numbers, zip(*cells, strict=True), strict=True)
                    ).encode()
                    if cells
                    else "".join(f'<row r="{r}"/>' for r in numbers).encode()
                )
                batch = list(islice(rows, _BATCH))
            write(b"</sheetData>")
            write(b'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" ')
            write(b'header="0.3" footer="0.3"/></worksheet>')
        table.written = n - header_row
        return table.written

    def _sheet_head(self, number: int, header_row: int, widths: list[int]) -> str:
        selected = ' tabSelected="1"' if number == 1 else ""
        below = header_row + 1
        view = (
            f'<sheetView{selected} workbookViewId="0">'
            f'<pane ySplit="{header_row}" topLeftCell="A{below}" activePane="bottomLeft" '
            'state="frozen"/>'
            f'<selection pane="bottomLeft" activeCell="A{below}" sqref="A{below}"/>'
            "</sheetView>"
        )
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{min(w + 2, _MAX_WIDTH)}" customWidth="1"/>'
            for i, w in enumerate(widths, 1)
        )
        return (
            _XML_HEAD + f'<worksheet xmlns="{_NS}" xmlns:r="{_REL_NS}">'
            f"<sheetViews>{view}</sheetViews>"
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "")
            + "<sheetData>"
        )

    def close(self) -> None:
        """Write the parts that list the sheets, and finish the package."""
        if not self._sheets:
            self.add(Table("Sheet1", [], []))
        sheets = "".join(
            f'<sheet name="{_xml_attr(name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, name in enumerate(self._sheets, 1)
        )
        count = len(self._sheets)
        parts = {
            "[Content_Types].xml": _XML_HEAD
            + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for i in range(1, count + 1)
            )
            + '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            "</Types>",
            "_rels/.rels": _XML_HEAD + f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_DOC_REL}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
            'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            "</Relationships>",
            "docProps/core.xml": _XML_HEAD + "<cp:coreProperties "
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:creator>{_xml_attr(self._creator)}</dc:creator>"
            "</cp:coreProperties>",
            "xl/workbook.xml": _XML_HEAD + f'<workbook xmlns="{_NS}" xmlns:r="{_REL_NS}">'
            '<workbookPr/><bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{sheets}</sheets></workbook>",
            "xl/_rels/workbook.xml.rels": _XML_HEAD
            + f'<Relationships xmlns="{_PKG_REL}">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{_DOC_REL}/worksheet" '
                f'Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, count + 1)
            )
            + f'<Relationship Id="rId{count + 1}" Type="{_DOC_REL}/styles" Target="styles.xml"/>'
            "</Relationships>",
            "xl/styles.xml": _STYLES,
        }
        for name, text in parts.items():
            self._zip.writestr(name, text.encode())
        self._zip.close()


def write_workbook(
    target: str | os.PathLike, tables: Iterable[Table], *, creator: str = "fugong"
) -> list[int]:
    """Write tables as the sheets of an .xlsx at `target` (whole or not at all).

    Returns the number of data rows of each sheet.
    """
    from .output import write_with

    counts: list[int] = []

    def fill(handle: IO[bytes]) -> None:
        writer = WorkbookWriter(handle, creator=creator)
        for table in tables:
            counts.append(writer.add(table))
        writer.close()

    write_with(target, fill)
    return counts


def workbook_to(stream: IO[bytes], tables: Iterable[Table], *, creator: str = "fugong") -> None:
    """Write the workbook to a binary stream that need not be seekable (a pipe).

    It is assembled in a temporary file first: a pipe gets the whole workbook or,
    when making it fails, nothing.
    """
    import shutil
    import tempfile

    with tempfile.TemporaryFile() as scratch:
        writer = WorkbookWriter(scratch, creator=creator)
        for table in tables:
            writer.add(table)
        writer.close()
        scratch.seek(0)
        shutil.copyfileobj(scratch, stream)
    stream.flush()


# --- what fugong's commands put in a workbook ---------------------------------------------

SHEET_NAMES = {
    "enterprises": ("企业", "enterprises"),
    "plans": ("复产计划", "plans"),
    "problems": ("复产问题", "problems"),
    "labour": ("用工需求", "labour"),
}
_CODE_COLUMNS = frozenset({"uscc", "phone", "ref"})


def column_kind(column: str) -> str:
    """The kind of a ledger column in a workbook."""
    from .layouts import BOOL_COLUMNS, COUNT_COLUMNS, DATE_COLUMNS

    if column in _CODE_COLUMNS:
        return "code"
    if column in DATE_COLUMNS:
        return "date"
    if column in COUNT_COLUMNS or column in ("gap", "id"):
        return "count"
    if column in BOOL_COLUMNS or column == "overdue":
        return "bool"
    return "text"


def export_table(ledger: str, rows: Iterable[dict[str, Any]], *, chinese: bool) -> Table:
    """A ledger in the layout `import` reads, as a sheet.

    English headers and canonical values (`resumed`, TRUE) like the CSV export;
    `chinese`: the first Chinese alias of each column as its header and the
    Chinese words for the values (已复产, 是/否) — import reads both back.
    """
    from .layouts import COLUMNS, chinese_header

    columns = COLUMNS[ledger]
    headers = [chinese_header(c) if chinese else c for c in columns]
    kinds = [column_kind(c) for c in columns]
    translate = _translations(ledger, columns, kinds, "zh") if chinese else {}
    if chinese:
        kinds = ["text" if k == "bool" else k for k in kinds]

    def values() -> Iterable[list[Any]]:
        for row in rows:
            out = [row.get(c) for c in columns]
            for i, word in translate.items():
                if out[i] is not None:
                    out[i] = word(out[i])
            yield out

    zh, en = SHEET_NAMES[ledger]
    return Table(
        zh if chinese else en, [Column(h, k) for h, k in zip(headers, kinds, strict=True)], values()
    )


def _translations(
    ledger: str, columns: Sequence[str], kinds: Sequence[str], lang: str
) -> dict[int, Callable[[Any], Any]]:
    """Column index -> how its canonical value reads in the language (yes/no as 是/否
    in Chinese; TRUE/FALSE stay booleans in English)."""
    from .render import VOCABS

    vocabs = VOCABS.get(ledger, {})
    out: dict[int, Callable[[Any], Any]] = {}
    for i, column in enumerate(columns):
        vocab = vocabs.get(column)
        if vocab is not None:
            out[i] = lambda v, vocab=vocab: vocab.label(v, lang)
        elif column == "job_type":
            from .vocab import JOB_TYPE

            out[i] = lambda v: JOB_TYPE.label(v, lang)
        elif kinds[i] == "bool" and lang != "en":
            out[i] = lambda v: ("是" if v else "否") if isinstance(v, bool) else v
    return out


# The report's detail sheets: (title zh, title en, columns)
DETAIL_SHEETS = {
    "not_resumed": (
        "未复产企业",
        "not yet resumed",
        [
            "district",
            "uscc",
            "name",
            "status",
            "planned_on",
            "inspected_on",
            "inspection",
            "reason",
            "employees",
            "liaison",
            "contact",
            "phone",
        ],
    ),
    "open_problems": (
        "未办结问题",
        "open problems",
        [
            "ref",
            "district",
            "uscc",
            "name",
            "category",
            "description",
            "raised_on",
            "department",
            "deadline",
            "overdue",
            "status",
        ],
    ),
    "labour_gaps": (
        "用工缺口",
        "labour gaps",
        [
            "district",
            "uscc",
            "name",
            "job_type",
            "needed",
            "filled",
            "gap",
            "raised_on",
            "requirements",
        ],
    ),
}
_DETAIL_LEDGER = {"not_resumed": "plans", "open_problems": "problems", "labour_gaps": "labour"}


def report_title_block(
    doc: dict[str, Any], lang: str, *, generated_at: str, version: str
) -> list[str]:
    """The title block of every format (render.title_block), and the fugong version."""
    from .render import title_lines

    return [*title_lines(doc, lang), f"fugong {version}"]


def report_tables(
    doc: dict[str, Any],
    details: dict[str, list[dict[str, Any]]],
    lang: str,
    *,
    generated_at: str,
    version: str,
) -> list[Table]:
    """A report as sheets: the figures (a row per district and the city total, with
    the title block above) and the detail lists."""
    from .render import REPORT_SECTIONS, label, report_notes, report_scopes, report_title

    title = report_title_block(doc, lang, generated_at=generated_at, version=version)
    title += report_notes(doc, lang)
    columns = [Column("scope" if lang == "en" else "区县")]
    keys: list[tuple[str, str]] = []
    for section, fields in REPORT_SECTIONS.items():
        for key, zh, en in fields:
            if section == "plans" and key == "total" and doc.get("all_enterprises"):
                zh, en = "企业", "enterprises"
            kind = (
                "rate"
                if key.endswith("_rate")
                else "number"
                if key.startswith("median")
                else "count"
            )
            columns.append(Column(en if lang == "en" else zh, kind))
            keys.append((section, key))
    rows = [
        [name, *(part[section][key] for section, key in keys)]
        for name, part in report_scopes(doc, lang)
    ]
    tables = [Table("figures" if lang == "en" else "复工复产情况", columns, rows, title=title)]
    for name, (zh, en, fields) in DETAIL_SHEETS.items():
        ledger = _DETAIL_LEDGER[name]
        kinds = [column_kind(c) for c in fields]
        translate = _translations(ledger, fields, kinds, lang)
        if lang != "en":
            kinds = ["text" if k == "bool" else k for k in kinds]
        table_rows = []
        for row in details.get(name, []):
            out = [row.get(c) for c in fields]
            for i, word in translate.items():
                if out[i] is not None:
                    out[i] = word(out[i])
            if name == "not_resumed" and row.get("status") is None:
                out[fields.index("status")] = "unreported" if lang == "en" else "未填报"
            table_rows.append(out)
        sheet_title = [report_title(doc, lang), en if lang == "en" else zh]
        tables.append(
            Table(
                en if lang == "en" else zh,
                [Column(label(c, lang), k) for c, k in zip(fields, kinds, strict=True)],
                table_rows,
                title=sheet_title,
            )
        )
    return tables


def trend_tables(doc: dict[str, Any], lang: str, *, version: str) -> list[Table]:
    """A trend as a workbook: the title block, a row per day with the trend's figures
    (numbers, rates as percentages); for the city, each district's resumption rate."""
    from .render import TREND_COLUMNS, figure_label, title_block

    every = doc.get("all_enterprises", False)
    title = [f"{label}: {value}" for label, value in title_block(doc, lang)]
    title.append(f"fugong {version}")
    columns = [Column("date" if lang == "en" else "日期", "date")] + [
        Column(
            figure_label(section, key, lang, all_enterprises=every),
            "rate" if key.endswith("_rate") else "number",
        )
        for section, key in TREND_COLUMNS
    ]
    rows = (
        [date.fromisoformat(day["date"]), *(day[section][key] for section, key in TREND_COLUMNS)]
        for day in doc["days"]
    )
    tables = [Table("趋势" if lang != "en" else "trend", columns, rows, title=title)]
    if doc["days"] and "districts" in doc["days"][0]:
        names = [d["scope"]["name"] for d in doc["days"][0]["districts"]]
        header = [Column("date" if lang == "en" else "日期", "date")] + [
            Column(name, "rate") for name in names
        ]
        rates = (
            [
                date.fromisoformat(day["date"]),
                *(d["plans"]["resumption_rate"] for d in day["districts"]),
            ]
            for day in doc["days"]
        )
        label = "resumption rate by district" if lang == "en" else "各区县复产率"
        tables.append(Table(label, header, rates, title=title))
    return tables
