"""A workbook's sheet as the records of an import: .xlsx read as a stream, .xls by calamine.

`open_records` picks the sheet (by name, by number, else the first visible sheet
whose header names an enterprise column) and returns a `RecordSource` for
ingest.Sheet: rows as Excel numbers them, cells as the text the shared column
parsers read (the one place that reads dates, counts and USCCs), so a workbook
and its CSV twin import alike.  What a cell holds becomes text like this:

- text as it is; a merged cell's value in every cell the merge spans;
- a date cell as its ISO date; in a date column, a number too: `20200214` as
  typed, else a serial day number of the workbook's date system (1900 or 1904);
- a number as its digits (`30.0` -> `30`), TRUE/FALSE as such;
- errors of a cell (ingest.CellProblems): a USCC stored as a number (Excel has
  already destroyed its last digits), a formula without a calculated value, an
  Excel error value (#N/A …) — reported only for a column that is read, in a
  row that is read (a 合计 row is skipped with its SUM).

.xlsx is read with zipfile and regular expressions, one chunk of rows at a time:
memory stays flat (a sheet's cells are never all held), the dimension a sheet
claims (WPS writes `A1:A1`) is not trusted, and a row the fast pattern does
not fully cover (formulas, rich text, unusual markup) is parsed by expat.
.xls (and .ods) go through python-calamine, imported only here.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import IO
from xml.etree import ElementTree
from xml.parsers import expat

from .errors import FugongError, RowError, SheetError, ValueProblem, in_lang
from .layouts import (
    COUNT_COLUMNS,
    DATE_COLUMNS,
    TITLE_ROWS,
    header_lookup,
    names_enterprise,
)

_CHUNK = 1 << 20  # bytes of sheet XML parsed at a time
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 0 of the 1900 system (past its leap-year bug)
_EPOCH_1904 = dt.date(1904, 1, 1)
_MAX_SERIAL = 2958465  # 9999-12-31
_BUILTIN_DATE_FORMATS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])

# A cell as Excel, WPS, LibreOffice, openpyxl and XlsxWriter write it: r first, then
# the value or a plain inline string.  (column letters, attributes, <v>, inline text;
# the attributes of an empty cell <c r="A1" s="1"/> end with "/".)  Kept this simple
# on purpose: every optional group doubles the time of the pattern.
_CELL = re.compile(r'<c r="([A-Z]+)[0-9]+"([^>]*)>(?:<v>([^<]*)</v>|<is><t>([^<]*)</t></is>)?')
_ROW_NUMBER = re.compile(r'<row\b[^>]*?\sr="([0-9]+)"')
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\sref="([A-Z]+[0-9]+)(?::([A-Z]+[0-9]+))?"')
_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_CHAR_REF = re.compile(r"&#(x[0-9A-Fa-f]+|[0-9]+);")
_SI = re.compile(r"<si>(.*?)</si>|<si/>", re.S)
_SI_TEXT = re.compile(r"<t(?: [^>]*)?>([^<]*)</t>|<t(?: [^>]*)?/>")
_PHONETIC = re.compile(r"<rPh\b.*?</rPh>", re.S)
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')

# kinds of cells, by their attributes
_EMPTY, _SHARED, _NUMBER, _DATE, _INLINE, _TEXT, _BOOL, _ERROR, _ISO = range(9)


def _problem(zh: str, en: str) -> ValueProblem:
    return ValueProblem(zh, en)


class _Unreadable:
    """A cell with no text to read: shown as `shown`, refused with `problem`."""

    __slots__ = ("problem", "shown")

    def __init__(self, shown: str, problem: FugongError):
        self.shown = shown
        self.problem = problem


# --- cells -> text --------------------------------------------------------------------


def column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def number_text(value: float) -> str:
    """A number as its digits: whole numbers without `.0`, others as Python writes them."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def general_text(value: float) -> str:
    """A number as Excel's General format shows it (what the officer saw: 9.15111E+17)."""
    if value.is_integer() and abs(value) < 1e11:
        return str(int(value))
    if abs(value) >= 1e11 or abs(value) < 1e-9:
        mantissa, exponent = f"{value:.5E}".split("E")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}E{exponent[0]}{exponent[1:].lstrip('0').zfill(2)}"
    return f"{value:.10G}"


def serial_date(serial: float, date1904: bool) -> dt.date | None:
    """The day of a serial number in the workbook's date system (None: not a day)."""
    day = int(serial)  # a time of day does not change the day
    if not 1 <= day <= _MAX_SERIAL:
        return None
    if date1904:
        return _EPOCH_1904 + dt.timedelta(days=day)
    if day == 60:
        return None  # 1900-02-29, which Lotus 1-2-3 invented and Excel kept
    return _EXCEL_EPOCH + dt.timedelta(days=day if day > 60 else day + 1)


def moment_text(value: dt.date | dt.datetime | dt.time, *, day_only: bool) -> str:
    if isinstance(value, dt.datetime):
        if day_only or value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    return value.isoformat()


def _unescape(text: str) -> str:
    """XML text as read by regular expression: entities and Excel's _xHHHH_ escapes."""
    if "&" in text:
        if "&#" in text:
            text = _CHAR_REF.sub(
                lambda m: chr(int(m[1][1:], 16) if m[1][0] == "x" else int(m[1])), text
            )
        text = (
            text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", '"')
            .replace("&apos;", "'")
            .replace("&amp;", "&")
        )
    if "_x" in text:
        text = _ESCAPED.sub(lambda m: chr(int(m[1], 16)), text)
    return text


def _excel_escapes(text: str) -> str:
    return _ESCAPED.sub(lambda m: chr(int(m[1], 16)), text) if "_x" in text else text


class Cells:
    """How the cells of each column become text: column-blind until `read_columns`."""

    def __init__(self, date1904: bool):
        self.date1904 = date1904
        self.kinds: dict[int, str] = {}  # cell index -> "date" | "count" | "uscc" | "other"

    def read_columns(self, columns: dict[int, str]) -> None:
        for i, column in columns.items():
            if column in DATE_COLUMNS:
                self.kinds[i] = "date"
            elif column in COUNT_COLUMNS:
                self.kinds[i] = "count"
            elif column == "uscc":
                self.kinds[i] = "uscc"

    def number(self, i: int, value: float, ref: str) -> str | _Unreadable:
        kind = self.kinds.get(i)
        if kind is None or kind == "count":
            return number_text(value)
        if kind == "uscc":
            shown = general_text(value)
            return _Unreadable(
                shown,
                _problem(
                    f"单元格 {ref} 的统一社会信用代码存成了数字，Excel 已丢掉其后几位；"
                    "请把该列设为文本后照原件重新填写",
                    f"cell {ref} holds the credit code as a number, whose last digits Excel "
                    "has already lost; format the column as text and type the code again",
                ),
            )
        # a date column
        if value.is_integer() and 19000101 <= value <= 21001231:
            return str(int(value))  # 20200214 typed as a number
        day = serial_date(value, self.date1904) if value.is_integer() else None
        if day is None:
            return _Unreadable(
                general_text(value),
                _problem(
                    f"单元格 {ref} 的数字不是日期（应为日期单元格、日期序列号或 20200214）",
                    f"cell {ref}: the number is not a date (a date cell, a date serial "
                    "number or 20200214)",
                ),
            )
        return day.isoformat()

    def serial(self, i: int, value: float) -> str:
        """A number in a cell formatted as a date (or time)."""
        day = serial_date(value, self.date1904)
        if day is None:
            return general_text(value)
        if self.kinds.get(i) == "date" or value.is_integer():
            return day.isoformat()
        seconds = round((value - int(value)) * 86400)
        moment = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
        return moment_text(moment, day_only=False)

    def moment(self, i: int, value: dt.date | dt.datetime | dt.time) -> str:
        return moment_text(value, day_only=self.kinds.get(i) == "date")


def _error_value(shown: str, ref: str) -> _Unreadable:
    return _Unreadable(
        shown,
        _problem(
            f"单元格 {ref} 是 Excel 错误值 {shown}",
            f"cell {ref} holds the Excel error {shown}",
        ),
    )


def _uncalculated(formula: str, ref: str) -> _Unreadable:
    return _Unreadable(
        "=" + formula if formula else "=",
        _problem(
            f"单元格 {ref} 的公式没有计算结果（请在 Excel/WPS 中打开、保存后再导入，"
            "或把公式粘贴为数值）",
            f"cell {ref} holds a formula without a calculated value (open and save the "
            "workbook in Excel/WPS first, or paste the formula as values)",
        ),
    )


# --- merged cells ----------------------------------------------------------------------


class Merges:
    """Merged ranges: the value of a range's first cell goes to every cell it spans."""

    def __init__(self, ranges: list[tuple[int, int, int, int]]):
        # (first row, first column, last row, last column), rows as Excel numbers them
        self._waiting = sorted(ranges, reverse=True)  # popped in order of first row
        self._active: list[list] = []  # [first row, c1, last row, c2, value]

    def __bool__(self) -> bool:
        return bool(self._waiting or self._active)

    def apply(self, row: int, cells: list[str]) -> list[str]:
        while self._waiting and self._waiting[-1][0] <= row:
            r1, c1, r2, c2 = self._waiting.pop()
            if r2 >= row:
                self._active.append([r1, c1, r2, c2, None])
        if not self._active:
            return cells
        keep = []
        for merge in self._active:
            r1, c1, r2, c2, value = merge
            if value is None:
                value = merge[4] = cells[c1] if r1 == row and c1 < len(cells) else ""
            if len(cells) <= c2:
                cells.extend([""] * (c2 + 1 - len(cells)))
            for c in range(c1, c2 + 1):
                cells[c] = value
            if r2 > row:
                keep.append(merge)
        self._active = keep
        return cells


def _range_of(first: str, last: str | None) -> tuple[int, int, int, int] | None:
    a = _REF.fullmatch(first)
    b = _REF.fullmatch(last or first)
    if not a or not b:
        return None
    return (int(a[2]), column_index(a[1]), int(b[2]), column_index(b[1]))


# --- .xlsx ---------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(element: ElementTree.Element, name: str) -> str | None:
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def _is_date_format(code: str) -> bool:
    text = _QUOTED.sub("", code).lower()
    if "general" in text:
        return False
    return any(ch in text for ch in "ymdhs")


class Xlsx:
    """An .xlsx (or .xlsm) workbook: its sheets, strings, date styles and date system."""

    def __init__(self, path: str, lang: str):
        self.path = path
        self.lang = lang
        try:
            self.zip = zipfile.ZipFile(path)
            self._read_book()
        except FugongError:
            self.close()
            raise
        except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, ValueError, OSError) as e:
            self.close()
            raise _broken(path, e) from None
        self._strings: list[str] | None = None

    def close(self) -> None:
        zf = getattr(self, "zip", None)
        if zf is not None:
            zf.close()

    def _xml(self, member: str) -> ElementTree.Element:
        return ElementTree.fromstring(self.zip.read(member))

    def _rels(self, member: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, target member) of a part."""
        part = PurePosixPath(member)
        rels_name = str(part.parent / "_rels" / (part.name + ".rels"))
        if rels_name not in self.zip.NameToInfo:
            return {}
        found = {}
        for rel in self._xml(rels_name):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                continue
            if target.startswith("/"):
                resolved = target.lstrip("/")
            else:
                resolved = str(PurePosixPath(*_normal((part.parent / target).parts)))
            found[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1], resolved)
        return found

    def _read_book(self) -> None:
        book = next(
            (t for kind, t in self._rels("").values() if kind == "officeDocument"),
            "xl/workbook.xml",
        )
        if book not in self.zip.NameToInfo:
            raise _not_a_workbook(self.path)
        self.book = book
        root = self._xml(book)
        rels = self._rels(book)
        self.date1904 = False
        self.sheets: list[tuple[str, str, bool]] = []  # (name, member, visible)
        for element in root.iter():
            tag = _local(element.tag)
            if tag == "workbookPr":
                self.date1904 = (element.get("date1904") or "").lower() in ("1", "true")
            elif tag == "sheet":
                kind, member = rels.get(_attr(element, "id") or "", ("", ""))
                if kind == "worksheet" and member in self.zip.NameToInfo:
                    visible = element.get("state", "visible") == "visible"
                    self.sheets.append((element.get("name", ""), member, visible))
        self._strings_member = next((t for k, t in rels.values() if k == "sharedStrings"), None)
        styles = next((t for k, t in rels.values() if k == "styles"), None)
        self.date_styles = self._date_styles(styles) if styles in self.zip.NameToInfo else set()

    def _date_styles(self, member: str) -> set[int]:
        root = self._xml(member)
        formats: dict[int, str] = {}
        styles: list[int] = []
        for element in root:
            tag = _local(element.tag)
            if tag == "numFmts":
                for fmt in element:
                    formats[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode", "")
            elif tag == "cellXfs":
                styles = [int(xf.get("numFmtId", "0")) for xf in element]
        dates = {
            i
            for i, fmt in enumerate(styles)
            if (fmt in _BUILTIN_DATE_FORMATS and fmt not in formats)
            or (fmt in formats and _is_date_format(formats[fmt]))
        }
        return dates

    def strings(self) -> list[str]:
        """The shared strings (read once, when a sheet needs them)."""
        if self._strings is None:
            member = self._strings_member
            if member is None or member not in self.zip.NameToInfo:
                self._strings = []
            else:
                with self.zip.open(member) as raw:
                    self._strings = _shared_strings(raw)
        return self._strings

    def rows(
        self, member: str, cells: Cells, *, merged: bool = True
    ) -> Iterator[tuple[int, list, list]]:
        try:
            yield from _SheetXml(self, member, cells).rows(merged=merged)
        except (zipfile.BadZipFile, expat.ExpatError, UnicodeDecodeError, OSError) as e:
            raise _broken(self.path, e) from None

    def expected_rows(self, member: str) -> int:
        return self.zip.getinfo(member).file_size // 300


class _Lookup(dict):
    """A dict that works out (and remembers) what it does not hold yet."""

    def __init__(self, work):
        super().__init__()
        self._work = work

    def __missing__(self, key):
        value = self[key] = self._work(key)
        return value


def _normal(parts: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for p in parts:
        if p == "..":
            if out:
                out.pop()
        elif p not in (".", ""):
            out.append(p)
    return out


def _shared_strings(raw: IO[bytes]) -> list[str]:
    """The shared strings, read a chunk at a time (the file can be larger than its strings)."""
    strings: list[str] = []
    rest = b""
    while True:
        chunk = raw.read(_CHUNK)
        data = rest + chunk
        cut = data.rfind(b"</si>") + len(b"</si>") if chunk else len(data)
        if cut < len(b"</si>"):
            if not chunk:
                break
            rest = data
            continue
        text = data[:cut].decode("utf-8")
        rest = data[cut:]
        if not strings and "<si>" not in text and "<si/>" not in text and "si>" in text:
            raw.seek(0)  # a namespace prefix: parse the whole part properly
            return _shared_strings_by_parser(raw.read())
        for body in _SI.findall(text):
            if body.startswith("<t>") and body.endswith("</t>") and body.count("<") == 2:
                value = body[3:-4]
            else:
                if "<rPh" in body:
                    body = _PHONETIC.sub("", body)
                value = "".join(_SI_TEXT.findall(body))
            strings.append(_unescape(value) if "&" in value or "_x" in value else value)
        if not chunk:
            break
    return strings


def _shared_strings_by_parser(data: bytes) -> list[str]:
    strings = []
    for item in ElementTree.fromstring(data):
        if _local(item.tag) != "si":
            continue
        parts = []
        for element in item.iter():
            tag = _local(element.tag)
            if tag == "rPh":
                for t in element.iter():
                    t.text = None
            elif tag == "t" and element.text:
                parts.append(element.text)
        strings.append(_excel_escapes("".join(parts)))
    return strings


class _RowParser:
    """expat for rows the fast pattern does not cover (and whole sheets with prefixes).

    Collects each finished row as (row number, [(index, kind, value, formula, ref)]).
    """

    def __init__(self) -> None:
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.done: list[tuple[int | None, list]] = []
        self._row: list | None = None
        self._row_number: int | None = None
        self._cell: dict | None = None
        self._into: str | None = None  # "v", "t", "f" while inside one
        self._phonetic = 0
        self._next_column = 0

    def feed(self, data: bytes, final: bool = False) -> list[tuple[int | None, list]]:
        self.parser.Parse(data, final)
        done, self.done = self.done, []
        return done

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        tag = name.rsplit(" ", 1)[-1]
        if tag == "row":
            self._row = []
            r = attrs.get("r")
            self._row_number = int(r) if r and r.isdigit() else None
            self._next_column = 0
        elif tag == "c" and self._row is not None:
            ref = attrs.get("r", "")
            m = _REF.fullmatch(ref)
            index = column_index(m[1]) if m else self._next_column
            self._next_column = index + 1
            if m and self._row_number is None:
                self._row_number = int(m[2])
            self._cell = {
                "i": index,
                "t": attrs.get("t", "n"),
                "s": attrs.get("s"),
                "v": None,
                "f": None,
                "text": [],
                "ref": ref,
            }
        elif self._cell is not None:
            if tag == "rPh":
                self._phonetic += 1
            elif tag == "v":
                self._into = "v"
                self._cell["v"] = ""
            elif tag == "f":
                self._into = "f"
                self._cell["f"] = self._cell["f"] or ""
            elif tag == "t" and not self._phonetic:
                self._into = "t"

    def _text(self, data: str) -> None:
        cell = self._cell
        if cell is None or self._into is None:
            return
        if self._into == "v":
            cell["v"] += data
        elif self._into == "f":
            cell["f"] += data
        else:
            cell["text"].append(data)

    def _end(self, name: str) -> None:
        tag = name.rsplit(" ", 1)[-1]
        if tag in ("v", "f", "t"):
            self._into = None
        elif tag == "rPh":
            self._phonetic -= 1
        elif tag == "c" and self._cell is not None and self._row is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "row" and self._row is not None:
            self.done.append((self._row_number, self._row))
            self._row = None


class _SheetXml:
    """One worksheet's XML, streamed: rows of text cells (and their problems)."""

    def __init__(self, book: Xlsx, member: str, cells: Cells):
        self.book = book
        self.member = member
        self.cells = cells
        self.styles = book.date_styles
        self._kinds = _Lookup(self._kind)  # attributes -> kind of cell
        self._columns = _Lookup(column_index)  # column letters -> index

    def _merges(self) -> Merges:
        """The merged ranges, listed after the cells: one pass over the XML first."""
        ranges = []
        tail = b""
        with self.book.zip.open(self.member) as raw:
            while chunk := raw.read(_CHUNK):
                data = tail + chunk
                if b"mergeCell" in data:
                    for first, last in _MERGE.findall(data):
                        found = _range_of(first.decode(), last.decode() if last else None)
                        if found:
                            ranges.append(found)
                    cut = data.rfind(b">") + 1  # never count a merge twice
                    tail = data[cut:]
                else:
                    tail = data[-64:]
        return Merges(sorted(set(ranges)))

    def rows(self, *, merged: bool = True) -> Iterator[tuple[int, list[str], list]]:
        merges = self._merges() if merged else Merges([])
        last = 0
        for number, cells, problems in self._parsed():
            if number is None:
                number = last + 1
            last = number
            if merges:
                cells = merges.apply(number, cells)
            yield number, cells, problems

    def _parsed(self) -> Iterator[tuple[int | None, list[str], list]]:
        with self.book.zip.open(self.member) as raw:
            chunk = raw.read(_CHUNK)
            if b"<row" not in chunk and b":row" in chunk:
                yield from self._all_by_parser(chunk, raw)  # tags with a namespace prefix
                return
            rest = b""
            while chunk:
                data = rest + chunk
                cut = data.rfind(b"</row>")
                if cut < 0:
                    rest = data
                else:
                    cut += len(b"</row>")
                    rest = data[cut:]
                    yield from self._chunk_rows(data[:cut].decode("utf-8"))
                chunk = raw.read(_CHUNK)

    def _chunk_rows(self, text: str) -> Iterator[tuple[int | None, list[str], list]]:
        strings = self.book.strings()
        kinds, columns = self._kinds, self._columns
        for piece in text.split("</row>"):
            start = piece.rfind("<row")
            if start < 0:
                continue
            piece = piece[start:]
            found = _CELL.findall(piece)
            if (
                "<f" in piece
                or "<r>" in piece
                or "<rPh" in piece
                or "xml:space" in piece
                or piece.count("<c ") != len(found)
            ):
                yield self._row_by_parser(piece)
                continue
            m = _ROW_NUMBER.match(piece)
            number = int(m[1]) if m else None
            if not found:
                yield number, [], []
                continue
            row = [""] * (columns[found[-1][0]] + 1)
            problems: list = []
            try:
                for letters, attrs, v, inline in found:
                    kind = kinds[attrs]
                    if kind == _SHARED:
                        row[columns[letters]] = strings[int(v)]
                    elif kind == _INLINE:
                        if "&" in inline or "_x" in inline:
                            inline = _unescape(inline)
                        row[columns[letters]] = inline
                    elif kind != _EMPTY and v:
                        i = columns[letters]
                        value = self._plain_value(kind, i, v, f"{letters}{number}")
                        if value.__class__ is _Unreadable:
                            problems.append((i, value.problem))
                            value = value.shown
                        row[i] = value
            except (IndexError, ValueError):  # cells out of order, a broken string index
                yield self._row_by_parser(piece)
                continue
            yield number, row, problems

    def _plain_value(self, kind: int, i: int, v: str, ref: str) -> str | _Unreadable:
        """A cell that holds no string: a number, a date, a boolean, an error …"""
        if kind == _NUMBER:
            return self.cells.number(i, float(v), ref)
        if kind == _DATE:
            return self.cells.serial(i, float(v))
        return self._other(kind, i, v, ref)

    def _kind(self, attrs: str | None) -> int:
        if not attrs:
            return _NUMBER
        if attrs.endswith("/"):
            return _EMPTY
        t = re.search(r'\st="([^"]*)"', attrs)
        s = re.search(r'\ss="([0-9]+)"', attrs)
        kind = t[1] if t else "n"
        if kind == "n":
            return _DATE if s and int(s[1]) in self.styles else _NUMBER
        return {
            "s": _SHARED,
            "inlineStr": _INLINE,
            "str": _TEXT,
            "b": _BOOL,
            "e": _ERROR,
            "d": _ISO,
        }.get(kind, _TEXT)

    def _other(self, kind: int, i: int, v: str, ref: str) -> str | _Unreadable:
        if kind == _TEXT:
            return _unescape(v)
        if kind == _BOOL:
            return "TRUE" if v.strip() in ("1", "true") else "FALSE"
        if kind == _ERROR:
            return _error_value(_unescape(v), ref)
        if kind == _ISO:
            try:
                return self.cells.moment(i, dt.datetime.fromisoformat(v.strip()))
            except ValueError:
                return v
        return _unescape(v)

    def _row_by_parser(self, piece: str) -> tuple[int | None, list[str], list]:
        parser = _RowParser()
        rows = parser.feed(piece.encode("utf-8") + b"</row>", True)
        if not rows:
            return None, [], []
        number, cells = rows[0]
        return self._cells_of(number, cells)

    def _all_by_parser(self, head: bytes, raw) -> Iterator[tuple[int | None, list[str], list]]:
        parser = _RowParser()
        chunk = head
        while True:
            final = not chunk
            for number, cells in parser.feed(chunk, final):
                yield self._cells_of(number, cells)
            if final:
                return
            chunk = raw.read(_CHUNK)

    def _cells_of(self, number: int | None, found: list[dict]) -> tuple[int | None, list, list]:
        """Cells parsed by expat, made text like the fast path makes them."""
        width = max((c["i"] for c in found), default=-1) + 1
        row = [""] * width
        problems: list = []
        strings = self.book.strings()
        for cell in found:
            i, t, v = cell["i"], cell["t"], cell["v"]
            ref = cell["ref"] or f"{column_letters(i)}{number}"
            value: str | _Unreadable
            if t == "inlineStr":
                value = _excel_escapes("".join(cell["text"]))
            elif cell["f"] is not None and not v and t != "str":
                value = _uncalculated(cell["f"], ref)
            elif v is None or (not v and t != "str"):
                continue
            elif t == "s":
                try:
                    value = strings[int(v)]
                except (ValueError, IndexError):
                    value = ""
            elif t == "n":
                try:
                    number_value = float(v)
                except ValueError:
                    value = v
                else:
                    s = cell["s"]
                    if s and s.isdigit() and int(s) in self.styles:
                        value = self.cells.serial(i, number_value)
                    else:
                        value = self.cells.number(i, number_value, ref)
            elif t == "str":
                value = _excel_escapes(v)
            elif t == "b":
                value = "TRUE" if v.strip() in ("1", "true") else "FALSE"
            elif t == "e":
                value = _error_value(v, ref)
            elif t == "d":
                try:
                    value = self.cells.moment(i, dt.datetime.fromisoformat(v.strip()))
                except ValueError:
                    value = v
            else:
                value = _excel_escapes(v)
            if isinstance(value, _Unreadable):
                problems.append((i, value.problem))
                value = value.shown
            row[i] = value
        return number, row, problems


# --- .xls / .ods through calamine ---------------------------------------------------------


class Calamine:
    """An .xls or .ods workbook, read by python-calamine (a sheet is read whole)."""

    def __init__(self, path: str, lang: str):
        try:
            import python_calamine
        except ImportError:  # pragma: no cover - a dependency
            raise FugongError(
                "读取 .xls 需要 python-calamine: pip install python-calamine",
                "reading .xls needs python-calamine: pip install python-calamine",
            ) from None
        self.path = path
        self.lang = lang
        self.date1904 = False  # calamine reads date cells itself; bare serials: 1900 system
        try:
            self.book = python_calamine.CalamineWorkbook.from_path(path)
            self.sheets = [
                (m.name, m.name, str(m.visible).endswith("Visible"))
                for m in self.book.sheets_metadata
                if str(m.typ).endswith("WorkSheet")
            ]
        except Exception as e:  # calamine's errors: CalamineError, PasswordError, ZipError …
            raise _broken(path, e) from None

    def close(self) -> None:
        self.book.close()

    def expected_rows(self, member: str) -> int:
        return 0

    def rows(
        self, member: str, cells: Cells, *, merged: bool = True
    ) -> Iterator[tuple[int, list, list]]:
        try:
            sheet = self.book.get_sheet_by_name(member)
            ranges = [
                (r1 + 1, c1, r2 + 1, c2) for (r1, c1), (r2, c2) in sheet.merged_cell_ranges or ()
            ]
        except Exception as e:
            raise _broken(self.path, e) from None
        merges = Merges(ranges if merged else [])
        first_row, first_column = sheet.start or (0, 0)
        for offset, values in enumerate(sheet.iter_rows()):
            number = first_row + offset + 1
            row = [""] * first_column
            problems: list = []
            for j, value in enumerate(values):
                i = first_column + j
                text = self._text(cells, i, value, f"{column_letters(i)}{number}")
                if isinstance(text, _Unreadable):
                    problems.append((i, text.problem))
                    text = text.shown
                row.append(text)
            if merges:
                row = merges.apply(number, row)
            yield number, row, problems

    @staticmethod
    def _text(cells: Cells, i: int, value: object, ref: str) -> str | _Unreadable:
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int | float):
            return cells.number(i, float(value), ref)
        if isinstance(value, dt.date | dt.datetime | dt.time):
            return cells.moment(i, value)
        return str(value)


# --- the record source ---------------------------------------------------------------------


class WorkbookRecords:
    """One sheet of a workbook as ingest.RecordSource."""

    def __init__(self, book: Xlsx | Calamine, name: str, member: str):
        self.book = book
        self.file = f"{book.path}[{name}]"
        self.expected_rows = book.expected_rows(member)
        self._cells = Cells(book.date1904)
        self._rows = book.rows(member, self._cells)

    def next_record(self) -> tuple[int, list[str]] | None:
        found = next(self._rows, None)
        return None if found is None else (found[0], found[1])

    def read_columns(self, columns: dict[int, str]) -> None:
        self._cells.read_columns(columns)

    def records(self) -> Iterator[tuple[int, list[str], list | None]]:
        for number, cells, problems in self._rows:
            yield number, cells, problems or None

    def close(self) -> None:
        self.book.close()


def _open_book(path: str, lang: str) -> Xlsx | Calamine:
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as e:
        raise FugongError(
            f"无法打开文件 {path}: {e.strerror}", f"cannot open {path}: {e.strerror}"
        ) from None
    if magic == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError) as e:
            raise _broken(path, e) from None
        if "mimetype" in names and not any(n.startswith("xl/") for n in names):
            return Calamine(path, lang)  # OpenDocument (.ods)
        if not any(n.startswith("xl/") for n in names):
            raise _not_a_workbook(path)
        return Xlsx(path, lang)
    return Calamine(path, lang)  # an OLE compound file: .xls (or an encrypted .xlsx)


def open_records(path: str, *, layout: str, sheet: str | None, lang: str) -> WorkbookRecords:
    """The records of a workbook's sheet: the one named (a name, or a number from 1),
    else the first visible sheet whose header names an enterprise column."""
    book = _open_book(path, lang)
    try:
        name, member = _choose(book, layout, sheet)
        return WorkbookRecords(book, name, member)
    except BaseException:
        book.close()
        raise


def _choose(book: Xlsx | Calamine, layout: str, wanted: str | None) -> tuple[str, str]:
    sheets = book.sheets
    names = "、".join(name for name, _m, _v in sheets)
    if not sheets:
        raise SheetError(
            [
                RowError(
                    book.path,
                    1,
                    "-",
                    "",
                    in_lang(book.lang, "工作簿中没有工作表", "the workbook has no worksheet"),
                )
            ]
        )
    if wanted is not None:
        text = wanted.strip()
        for name, member, _visible in sheets:
            if name == text or name.strip().casefold() == text.casefold():
                return name, member
        if text.isdigit() and 1 <= int(text) <= len(sheets):
            name, member, _visible = sheets[int(text) - 1]
            return name, member
        raise FugongError(
            f"--sheet {wanted}: 工作簿 {book.path} 中没有这张工作表；"
            f"有: {names}（也可写序号 1–{len(sheets)}）",
            f"--sheet {wanted}: no such sheet in {book.path}; it has: {names} "
            f"(or give its number, 1–{len(sheets)})",
        )
    lookup = header_lookup(layout)
    for name, member, visible in sheets:
        if visible and _has_header(book, member, lookup):
            return name, member
    raise SheetError(
        [
            RowError(
                book.path,
                1,
                "-",
                names,
                in_lang(
                    book.lang,
                    "没有哪张工作表有企业列（统一社会信用代码 或 企业名称）；"
                    "可用 --sheet 指定工作表",
                    "no sheet has an enterprise column (uscc or name); name one with --sheet",
                ),
            )
        ]
    )


def _has_header(book: Xlsx | Calamine, member: str, lookup: dict[str, str]) -> bool:
    rows = book.rows(member, Cells(book.date1904), merged=False)
    seen = 0
    for _number, cells, _problems in rows:
        if not any(c.strip() for c in cells):
            continue
        if names_enterprise(lookup, cells):
            return True
        seen += 1
        if seen > TITLE_ROWS:
            return False
    return False


def _not_a_workbook(path: str) -> FugongError:
    return FugongError(
        f"{path}: 不是 Excel 工作簿（.xlsx/.xls），也不是 CSV 文本",
        f"{path}: neither an Excel workbook (.xlsx/.xls) nor CSV text",
    )


def _broken(path: str, error: Exception) -> FugongError:
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "password" in detail.lower() or "encrypt" in detail.lower():
        return FugongError(
            f"{path}: 工作簿有密码保护，请先在 Excel/WPS 中取消密码",
            f"{path}: the workbook is password-protected; remove the password first",
        )
    return FugongError(
        f"{path}: 无法读取工作簿（文件损坏或格式不支持: {detail}）",
        f"{path}: cannot read the workbook (damaged or unsupported: {detail})",
    )
