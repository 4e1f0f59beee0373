"""Sheet → validated rows + row errors: encodings, header aliases, value parsing.

No database here.  `open_sheet` reads the header (raising `SheetError` when the
sheet cannot be imported at all); `Sheet.rows()` then streams the data lines,
each either a parsed `SheetRow` or the list of everything wrong with it, so the
importer can report every error of a file, not only the first.  Memory does not
grow with the file, except for the compact map that finds a record given twice.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import sys
import unicodedata
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from typing import BinaryIO

from .errors import FugongError, RowError, SheetError, ValueProblem
from .values import (
    USCC_SHAPE,
    ZERO_WIDTH_CHARS,
    clean_text,
    name_key,
    normalize_uscc,
    parse_bool,
    parse_count,
    parse_date,
    parse_job,
    parse_term,
    uscc_check_char,
    uscc_check_ok,
)
from .vocab import CATEGORY, INSPECTION, PLAN_STATUS, PROBLEM_STATUS, SECTOR, fold
from .vocab import ENTERPRISE_COLUMNS as ENTERPRISE_COLUMNS_ORDER

__all__ = [
    "ALIASES",
    "COLUMNS",
    "ENTERPRISE_COLUMNS",
    "LEDGERS",
    "RejectsWriter",
    "RowErrors",
    "Sheet",
    "SheetRow",
    "open_sheet",
    "write_rejects",
]

LEDGERS = ("enterprises", "plans", "problems", "labour")

ENTERPRISE_COLUMNS = list(ENTERPRISE_COLUMNS_ORDER)

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

_DATE_COLUMNS = frozenset(
    {"planned_on", "inspected_on", "resumed_on", "raised_on", "deadline", "resolved_on"}
)
_COUNT_COLUMNS = frozenset({"employees", "returned", "needed", "filled"})
_BOOL_COLUMNS = frozenset({"above_scale", "key_enterprise"})
_TEXT_COLUMNS = frozenset(
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
_FORMULA_CHARS = ("=", "+", "-", "@")
_SNIFF_BYTES = 64 * 1024
_BLOCK_BYTES = 256 * 1024
_MAX_TITLE_ROWS = 5  # title lines ("沙湾区复工复产台账") allowed above the header
_CACHE_SIZE = 20_000
_MISSING = object()
BLOCK_ROWS = 5000  # rows parsed (and applied by the importer) together
_ZERO_WIDTH = re.compile(f"[{ZERO_WIDTH_CHARS}]")
_BLANKS_ANYWHERE = re.compile(f"[\\s{ZERO_WIDTH_CHARS}]+")
_NO_PROBLEMS: list[RowError] = []  # shared, never appended to
_STDIN = "<stdin>"


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _header_key(cell: str) -> str:
    return fold(cell).strip("*:").replace("_", "").replace("-", "")


def _header_keys(column: str) -> list[str]:
    return [_header_key(column), *(_header_key(a) for a in ALIASES.get(column, ()))]


def _shown(cell: str) -> str:
    """A cell as printed in `FILE:LINE: COLUMN: VALUE: REASON` (one line)."""
    text = cell.strip()
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def _unguard(text: str) -> str:
    if text[:1] == "'" and text[1:2] in _FORMULA_CHARS:
        return text[1:]
    return text


@dataclass
class SheetRow:
    """One readable data line of a sheet."""

    line: int  # spreadsheet line of the row's start, header = 1
    values: dict[str, object]  # canonical column -> parsed value; non-blank cells only
    raw: list[str]  # the cells as read (for the rejects file)
    warnings: list[RowError] = field(default_factory=list)
    name_key: str | None = None  # values.name_key of the name, worked out once


class _Bad:
    """A cell that does not read, as remembered in a column's cache."""

    __slots__ = ("problem",)

    def __init__(self, problem: FugongError):
        self.problem = problem


class RowErrors(list[RowError]):
    """The errors of one data line; also carries its line and cells for the rejects file."""

    def __init__(self, line: int, raw: list[str], errors: Iterable[RowError] = ()):
        super().__init__(errors)
        self.line = line
        self.raw = raw


class RowBlock:
    """Data lines of a sheet parsed together, column by column.

    `columns[c][k]` is the value of column c in the block's k-th row (None where
    the cell is blank or did not read); `lines[k]` and `raw[k]` are its line and
    cells; `errors[k]` lists what is wrong with a row that does not read (its
    values are not to be used); `warnings[k]` what to check in one that does.
    """

    def __init__(self, lines: list[int], raw: list[list[str]], errors: dict[int, RowErrors]):
        self.lines = lines
        self.raw = raw
        self.errors = errors
        self.columns: dict[str, list] = {}
        self.name_keys: list[str | None] = []
        self.warnings: dict[int, list[RowError]] = {}

    def __len__(self) -> int:
        return len(self.lines)

    def fail(self, k: int, error: RowError) -> None:
        errors = self.errors.get(k)
        if errors is None:
            errors = self.errors[k] = RowErrors(self.lines[k], self.raw[k])
        errors.append(error)

    def values(self, k: int) -> dict[str, object]:
        """Row k as canonical column -> value, non-blank cells only."""
        return {c: v[k] for c, v in self.columns.items() if v[k] is not None}

    def row(self, k: int) -> SheetRow:
        return SheetRow(
            line=self.lines[k],
            values=self.values(k),
            raw=self.raw[k],
            warnings=self.warnings.get(k, []),
            name_key=self.name_keys[k],
        )

    def items(self) -> Iterator[tuple[SheetRow | None, RowErrors]]:
        """(row, no errors) or (None, its errors) for each line, in order."""
        for k in range(len(self.lines)):
            errors = self.errors.get(k)
            if errors:
                yield None, errors
            else:
                yield self.row(k), RowErrors(self.lines[k], self.raw[k])


def _filled(cell: str) -> bool:
    """Whether clean_text(cell) is not empty, cheaply for the usual cell (the
    first cell of a data line: its 序号 or code)."""
    text = cell.strip()
    return bool(text) and text[0] not in ZERO_WIDTH_CHARS and text[-1] not in ZERO_WIDTH_CHARS


def _text_column(cells: list[str]) -> list[str | None]:
    """clean_text and the formula guard over a column; cell by cell only where needed."""
    texts = list(map(str.strip, cells))
    joined = "\0".join(texts)
    if _ZERO_WIDTH.search(joined):
        texts = list(map(clean_text, cells))
    if "'" in joined:
        texts = [_unguard(t) if t[:1] == "'" else t for t in texts]
    return [t or None for t in texts]


def _name_keys(names: list[str | None]) -> list[str | None]:
    """values.name_key of every name of a column, worked out in one go.

    NUL never survives decoding and is no blank, so it can join the names:
    NFKC, case folding and removing blanks act on each name alone.
    """
    present = [n for n in names if n is not None]
    if not present:
        return [None] * len(names)
    folded = unicodedata.normalize("NFKC", "\0".join(present)).casefold()
    keys = iter(_BLANKS_ANYWHERE.sub("", folded).split("\0"))
    return [next(keys) if n is not None else None for n in names]


# --- bytes -> text lines ---------------------------------------------------------------


def _usable_encoding(name: str, lang: str) -> str:
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise ValueProblem(f"未知编码 '{name}'", f"unknown encoding '{name}'") from None
    try:
        ascii_compatible = "a,\n".encode(info.name) == b"a,\n"
    except (UnicodeError, LookupError, TypeError):
        ascii_compatible = False
    if not ascii_compatible:
        raise ValueProblem(
            f"不支持编码 '{name}'（可用 UTF-8、GB18030/GBK 等）",
            f"encoding '{name}' is not supported (use UTF-8, GB18030/GBK …)",
        )
    return "utf-8-sig" if info.name == "utf-8" else info.name


def _read_head(stream: BinaryIO) -> bytes:
    parts: list[bytes] = []
    size = 0
    while size < _SNIFF_BYTES:
        chunk = stream.read(_SNIFF_BYTES - size)
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


def _is_utf8(data: bytes) -> bool:
    try:
        # final=False: a multibyte character cut at the end of the sample is fine.
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _expected_rows(stream: BinaryIO, head: bytes) -> int:
    """About how many lines the file has (0 when its size is unknown, as for a pipe)."""
    try:
        size = os.fstat(stream.fileno()).st_size
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return 0
    lines = head.count(b"\n")
    return size * lines // len(head) if lines and head else 0


def _guess_encoding(data: bytes) -> str:
    """UTF-8 or GB18030, by a vote of the lines that are not plain ASCII.

    One mistyped line must not make a UTF-8 sheet be read as GB18030 (which
    would decode most UTF-8 Chinese into plausible nonsense, not errors); text
    in GBK is practically never valid UTF-8 over a whole line.
    """
    utf8 = other = 0
    for line in data.split(b"\n"):
        if line.isascii():
            continue
        if _is_utf8(line):
            utf8 += 1
        else:
            other += 1
    return "utf-8" if utf8 >= other else "gb18030"


def _byte_blocks(head: bytes, stream: BinaryIO) -> Iterator[bytes]:
    """The bytes in blocks of whole lines (the last may lack its newline).

    b"\n" never occurs inside a UTF-8 or GB18030 character, so a block cut
    after a newline decodes on its own, and a line that cannot be decoded can
    be found within its block.
    """
    block = head
    while True:
        if block and not block.endswith(b"\n"):
            block += stream.readline()
        if not block:
            return
        yield block
        block = stream.read(_BLOCK_BYTES)


class _Lines:
    """Decodes the sheet for csv.reader, a line at a time; notes undecodable lines aside.

    A block that decodes as a whole (the usual case) is split into lines in C;
    only a block with a bad line is decoded line by line, to name the line.
    """

    def __init__(self, blocks: Iterator[bytes], encoding: str | None, file: str, lang: str):
        self._blocks = blocks
        self.encoding = encoding  # None: only ASCII seen so far, decided later
        self._file = file
        self._lang = lang
        self.lineno = 0
        self.problems: dict[int, RowError] = {}

    def __iter__(self) -> Iterator[str]:
        for block in self._blocks:
            if self.encoding is None and not block.isascii():
                self.encoding = _guess_encoding(block)
            if b"\0" not in block:
                try:
                    text = block.decode(self.encoding or "utf-8")
                except UnicodeDecodeError:
                    pass
                else:
                    self.lineno += text.count("\n") + (not text.endswith("\n"))
                    yield from io.StringIO(text, newline="\n")
                    continue
            for raw in io.BytesIO(block):
                self.lineno += 1
                yield self._decode_line(raw)

    def _decode_line(self, raw: bytes) -> str:
        if b"\0" in raw:
            self.problems[self.lineno] = RowError(
                self._file,
                self.lineno,
                "-",
                "NUL",
                _t(self._lang, "含有 NUL 字节（不是文本文件？）", "contains NUL bytes"),
            )
            raw = raw.replace(b"\0", b"")
        encoding = self.encoding or "utf-8"
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as e:
            bad = raw[e.start : min(e.end, e.start + 8)]
            self.problems.setdefault(
                self.lineno,
                RowError(
                    self._file,
                    self.lineno,
                    "-",
                    repr(bad) if bad else "?",
                    _t(
                        self._lang,
                        f"无法解码（按 {encoding}；可用 --encoding 指定编码）",
                        f"cannot be decoded as {encoding} (see --encoding)",
                    ),
                ),
            )
            return raw.decode(encoding, errors="replace")

    def take_problems(self, upto: int) -> list[RowError]:
        found = [self.problems.pop(n) for n in sorted(self.problems) if n <= upto]
        return found


class _FirstSeen:
    """Record key hash -> (its first line << 32 | hash of its values), for the whole sheet.

    Open addressing in two flat arrays of 64-bit words: ~20 bytes a record
    where a dict of ints takes ~100, so memory stays flat for a large sheet.
    Sized from the expected number of rows, so it rarely has to grow.
    """

    def __init__(self, expected_rows: int = 0) -> None:
        size = 1 << 12
        while size * 2 < expected_rows * 3:
            size *= 2
        self._allocate(size)

    def _allocate(self, size: int) -> None:
        self._mask = size - 1
        self._keys = array("Q", bytes(8 * size))
        self._values = array("Q", bytes(8 * size))
        self._room = size * 2 // 3

    def first(self, key: int, value: int) -> int | None:
        """The value stored for key; stores `value` (returning None) if there is none."""
        key = (key & 0xFFFFFFFFFFFFFFFF) or 1  # 0 marks an empty slot
        keys, mask = self._keys, self._mask
        i = key & mask
        found = keys[i]
        while found:
            if found == key:
                return self._values[i]
            i = (i + 1) & mask
            found = keys[i]
        keys[i] = key
        self._values[i] = value
        self._room -= 1
        if not self._room:
            self._grow()
        return None

    def conflicts(self, keys: list[int], values: list[int]) -> list[tuple[int, int]]:
        """first() for many keys at once: (index, earlier value) where a key was
        stored before with a value whose low 32 bits differ."""
        found = []
        first = self.first
        for j, (key, value) in enumerate(zip(keys, values, strict=True)):
            earlier = first(key, value)
            if earlier is not None and (earlier ^ value) & 0xFFFFFFFF:
                found.append((j, earlier))
        return found

    def _grow(self) -> None:
        old = [(k, v) for k, v in zip(self._keys, self._values, strict=True) if k]
        self._allocate(2 * (self._mask + 1))
        for k, v in old:
            self.first(k, v)


# --- the sheet ---------------------------------------------------------------------


class Sheet:
    """An open sheet whose header has been read; `rows()` streams the data lines.

    `rows()` can be iterated once.  Use the sheet as a context manager (or call
    `close()`) when the rows may not be read to the end.
    """

    file: str
    header: list[str]
    columns: list[str]
    ledger: str

    def __init__(
        self,
        *,
        file: str,
        ledger: str,
        stream: BinaryIO,
        owned: bool,
        encoding: str | None,
        resolve_district: Callable[[str], str],
        lang: str,
    ):
        self.file = file
        self.ledger = ledger
        self._stream = stream
        self._owned = owned
        self._resolve_district = resolve_district
        self._lang = lang
        self._started = False
        try:
            self._open(encoding)
        except BaseException:
            self.close()
            raise

    # -- set-up

    def _fatal(self, line: int, value: str, zh: str, en: str) -> SheetError:
        return SheetError([RowError(self.file, line, "-", value, _t(self._lang, zh, en))])

    def _open(self, encoding: str | None) -> None:
        head = _read_head(self._stream)
        self._seen = _FirstSeen(_expected_rows(self._stream, head))
        if not head.strip(b" \t\r\n"):
            raise self._fatal(1, "", "空文件，没有表头", "empty file, no header")
        self._refuse_binary(head)
        if encoding is not None:
            chosen: str | None = _usable_encoding(encoding, self._lang)
        elif head.isascii() and len(head) == _SNIFF_BYTES:
            chosen = None  # decide on the first line that is not plain ASCII
        else:
            chosen = _guess_encoding(head)
        if chosen in ("utf-8", "utf-8-sig", None) and head.startswith(codecs.BOM_UTF8):
            head = head[len(codecs.BOM_UTF8) :]
        if chosen == "utf-8-sig":
            chosen = "utf-8"
        self._lines = _Lines(_byte_blocks(head, self._stream), chosen, self.file, self._lang)
        self._reader = csv.reader(self._lines)
        self._read_header()

    def _refuse_binary(self, head: bytes) -> None:
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise self._fatal(
                1,
                "UTF-16",
                "UTF-16 编码不受支持；请另存为“CSV UTF-8”",
                "UTF-16 is not supported; save the sheet as CSV UTF-8",
            )
        if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
            raise self._fatal(
                1,
                "Excel",
                "这是 Excel 工作簿，不是 CSV；请另存为“CSV UTF-8”",
                "this is an Excel workbook, not CSV; save it as CSV UTF-8",
            )

    def _next_record(self) -> tuple[int, list[str] | None, list[RowError]]:
        """The next csv record: (start line, cells or None at the end, line problems)."""
        start = self._reader.line_num + 1
        try:
            cells = next(self._reader)
        except StopIteration:
            return start, None, self._lines.take_problems(self._reader.line_num)
        except csv.Error as e:
            end = self._reader.line_num
            problems = self._lines.take_problems(end)
            problems.append(
                RowError(
                    self.file,
                    end,
                    "-",
                    "?",
                    _t(self._lang, f"CSV 格式错误: {e}", f"malformed CSV: {e}"),
                )
            )
            return start, [], problems
        if not self._lines.problems:  # the usual case, kept cheap
            return start, cells, _NO_PROBLEMS
        return start, cells, self._lines.take_problems(self._reader.line_num)

    def _read_header(self) -> None:
        wanted = COLUMNS[self.ledger]
        lookup: dict[str, str] = {}
        for column in wanted:
            for key in _header_keys(column):
                lookup.setdefault(key, column)
        first: tuple[int, list[str]] | None = None
        titles = 0
        while True:
            line, cells, problems = self._next_record()
            if problems:
                raise SheetError(problems)
            if cells is None:
                if first is None:
                    raise self._fatal(1, "", "空文件，没有表头", "empty file, no header")
                line, cells = first
                break
            filled = [c for c in cells if clean_text(c)]
            if not filled:
                continue
            if first is None:
                first = (line, cells)
            mapped = [self._match(lookup, c) for c in cells]
            has_enterprise = "uscc" in mapped or "name" in mapped
            if has_enterprise or len(filled) > 1:
                break
            if titles >= _MAX_TITLE_ROWS:
                line, cells = first
                break
            titles += 1
        self.header_line = line
        self.header = cells
        self._index: list[tuple[int, str]] = []
        where: dict[str, int] = {}
        for i, cell in enumerate(cells):
            column = self._match(lookup, cell)
            if column is None:
                continue
            if column in where:
                earlier = where[column] + 1
                raise self._fatal(
                    line,
                    clean_text(cell),
                    f"重复的列：与第 {earlier} 列同为 {column}",
                    f"duplicate column: column {earlier} is {column} too",
                )
            where[column] = i
            self._index.append((i, column))
        self.columns = [c for c in wanted if c in where]
        self._where = where
        # (cell index, column, cache of cell -> value): text columns are not cached,
        # every other column is (a sheet repeats its dates, districts and terms).
        self._readers = [
            (i, column, None if column in _TEXT_COLUMNS or column == "uscc" else {"": None})
            for i, column in sorted(self._index)
        ]
        self._need = max((i for i, _column in self._index), default=-1) + 1  # cells a row needs
        self._bad_cells: dict[str, set[str]] = {c: set() for c in where}
        if "uscc" not in where and "name" not in where:
            shown = ",".join(clean_text(c) for c in cells)
            raise self._fatal(
                line,
                shown if len(shown) <= 80 else shown[:77] + "…",
                "没有企业列（统一社会信用代码 或 企业名称）",
                "no enterprise column (uscc or name)",
            )

    @staticmethod
    def _match(lookup: dict[str, str], cell: str) -> str | None:
        key = _header_key(cell)
        if not key:
            return None
        column = lookup.get(key)
        if column is None and key.endswith(")") and "(" in key:
            # 职工总数(人), 需求人数（人）: a unit in brackets after the name
            column = lookup.get(key[: key.rindex("(")])
        return column

    def column_label(self, column: str) -> str:
        """The header cell (as written in the file) of a recognised column."""
        return clean_text(self.header[self._where[column]])

    @property
    def encoding(self) -> str:
        """The encoding the sheet is read with ("utf-8" until non-ASCII bytes are seen)."""
        return self._lines.encoding or "utf-8"

    # -- rows

    def rows(self) -> Iterator[tuple[SheetRow | None, list[RowError]]]:
        """One item per non-blank data line: (row, []) or (None, errors).

        The errors list is a `RowErrors`: `.line` and `.raw` give the line and its
        cells for the rejects file.
        """
        for block in self.blocks():
            yield from block.items()

    def blocks(self, size: int = BLOCK_ROWS) -> Iterator[RowBlock]:
        """The non-blank data lines, `size` at a time, parsed column by column."""
        if self._started:
            raise RuntimeError("Sheet.rows() can be iterated only once")
        self._started = True
        try:
            yield from self._blocks(size)
        finally:
            self.close()

    def _blocks(self, size: int) -> Iterator[RowBlock]:
        # The csv reader is iterated directly (not through _next_record): this
        # loop runs once per line of the sheet.
        lines: list[int] = []
        raw: list[list[str]] = []
        unread: dict[int, RowErrors] = {}  # rows whose line could not be read at all
        reader, source = self._reader, self._lines
        pending = source.problems  # undecodable lines, by line number
        end = reader.line_num
        while True:
            try:
                for cells in reader:
                    start, end = end + 1, reader.line_num
                    problems = source.take_problems(end) if pending else None
                    if problems:
                        unread[len(lines)] = RowErrors(start, cells, problems)
                    elif not _filled(cells[0] if cells else "") and not any(map(clean_text, cells)):
                        continue  # a blank line (zero-width blanks are blanks too)
                    lines.append(start)
                    raw.append(cells)
                    if len(lines) >= size:
                        yield self._parse_block(lines, raw, unread)
                        lines, raw, unread = [], [], {}
                break
            except csv.Error as e:
                start, end = end + 1, reader.line_num
                problems = source.take_problems(end)
                problems.append(
                    RowError(
                        self.file,
                        end,
                        "-",
                        "?",
                        _t(self._lang, f"CSV 格式错误: {e}", f"malformed CSV: {e}"),
                    )
                )
                unread[len(lines)] = RowErrors(start, [], problems)
                lines.append(start)
                raw.append([])
        problems = source.take_problems(reader.line_num)
        if problems:  # a last line that was cut inside a quoted cell
            unread[len(lines)] = RowErrors(problems[0].line, [], problems)
            lines.append(problems[0].line)
            raw.append([])
        if lines:
            yield self._parse_block(lines, raw, unread)

    def _error(self, line: int, column: str, value: str, problem: FugongError) -> RowError:
        return RowError(
            self.file, line, self.column_label(column), _shown(value), problem.text(self._lang)
        )

    # -- parsing, a column at a time
    #
    # The hot path of an import.  A repeated cell (dates, districts, statuses,
    # yes/no, counts) is one C-level dict look-up of the cell as read; text
    # columns are stripped with str.strip over the column, and only a column
    # that holds a zero-width blank or a guarding quote is looked at cell by cell.

    def _parse_block(
        self, lines: list[int], raw: list[list[str]], unread: dict[int, RowErrors]
    ) -> RowBlock:
        block = RowBlock(lines, raw, errors=dict(unread))
        n = len(lines)
        need = self._need
        cells = raw
        if min(map(len, raw)) < need or unread:
            cells = [c if len(c) >= need else c + [""] * (need - len(c)) for c in raw]
            for k in unread:  # a line that could not be read is not parsed either
                cells[k] = [""] * need
        failed: dict[str, set[int]] = {}  # column -> rows whose cell did not read
        for i, column, cache in self._readers:
            column_cells = list(map(itemgetter(i), cells))
            if cache is not None:
                values = self._cached_column(block, column, column_cells, cache, failed)
            elif column == "uscc":
                values = self._uscc_column(block, column_cells, failed)
            else:
                values = _text_column(column_cells)
            block.columns[column] = values
        names = block.columns.get("name")
        block.name_keys = _name_keys(names) if names is not None else [None] * n
        if max(map(len, raw)) > len(self.header):
            for k, row in enumerate(raw):
                if len(row) > len(self.header) and k not in unread:
                    self._check_extra(block, k, row)
        self._check_enterprise(block, failed, unread)
        if self.ledger == "labour":
            self._check_filled(block)
        self._check_duplicates(block)
        return block

    def _cached_column(
        self,
        block: RowBlock,
        column: str,
        cells: list[str],
        cache: dict[str, object],
        failed: dict[str, set[int]],
    ) -> list[object]:
        missing = set(cells).difference(cache.keys())
        if not missing:  # the usual, once the first rows have filled the cache
            values = list(map(cache.__getitem__, cells))
        else:
            values = list(map(cache.get, cells, repeat(_MISSING)))
            for k, value in enumerate(values):
                if value is _MISSING:
                    values[k] = self._read_cell(column, cells[k], cache)
        bad = self._bad_cells[column]
        if bad and not bad.isdisjoint(cells):
            for k, value in enumerate(values):
                if value.__class__ is _Bad:
                    failed.setdefault(column, set()).add(k)
                    block.fail(k, self._error(block.lines[k], column, cells[k], value.problem))
                    values[k] = None
        return values

    def _read_cell(self, column: str, cell: str, cache: dict[str, object]) -> object:
        """The value of a cell of a cached column (None if blank, or _Bad); remembers it."""
        text = clean_text(cell)
        value: object = None
        if text:
            if text[0] == "'":
                text = _unguard(text)
            try:
                value = self._value(column, text)
            except FugongError as problem:
                value = _Bad(problem)
                self._bad_cells[column].add(cell)
        if len(cache) < _CACHE_SIZE:
            cache[cell] = value
        return value

    def _uscc_column(
        self, block: RowBlock, cells: list[str], failed: dict[str, set[int]]
    ) -> list[str | None]:
        texts = list(map(str.strip, cells))
        shaped = list(map(USCC_SHAPE.fullmatch, texts))  # a code typed as it should be
        values: list[str | None] = []
        for k, (text, shape) in enumerate(zip(texts, shaped, strict=True)):
            if shape is not None:
                if not uscc_check_ok(text):
                    block.warnings.setdefault(k, []).append(
                        self._check_char_warning(block.lines[k], cells[k], text)
                    )
                values.append(text)
                continue
            text = clean_text(cells[k])
            if not text:
                values.append(None)
                continue
            if text[0] == "'":
                text = _unguard(text)
            try:
                code, check_ok = normalize_uscc(text)
            except FugongError as problem:
                failed.setdefault("uscc", set()).add(k)
                block.fail(k, self._error(block.lines[k], "uscc", cells[k], problem))
                values.append(None)
                continue
            if not check_ok:
                block.warnings.setdefault(k, []).append(
                    self._check_char_warning(block.lines[k], cells[k], code)
                )
            values.append(code)
        return values

    def _check_char_warning(self, line: int, cell: str, code: str) -> RowError:
        expected = uscc_check_char(code[:17])
        return self._error(
            line,
            "uscc",
            cell,
            ValueProblem(
                f"校验位错误（按 GB 32100 应为 {expected}），请核对",
                f"wrong check character (GB 32100 gives {expected}); please verify",
            ),
        )

    def _check_extra(self, block: RowBlock, k: int, cells: list[str]) -> None:
        extra = [clean_text(c) for c in cells[len(self.header) :] if c and clean_text(c)]
        if not extra:
            return
        shown = _shown(",".join(extra))
        block.fail(
            k,
            RowError(
                self.file,
                block.lines[k],
                "-",
                shown if len(shown) <= 80 else shown[:77] + "…",
                _t(
                    self._lang,
                    f"多出 {len(extra)} 个非空单元格（表头只有 {len(self.header)} 列）",
                    f"{len(extra)} non-blank cells beyond the header's {len(self.header)} columns",
                ),
            ),
        )

    def _check_enterprise(
        self, block: RowBlock, failed: dict[str, set[int]], unread: dict[int, RowErrors]
    ) -> None:
        """Every row names its enterprise: a USCC, or a name and a district (a cell
        that is there but did not read counts as there: its own error says why)."""
        n = len(block.lines)
        none = [None] * n
        usccs = block.columns.get("uscc", none)
        names = block.columns.get("name", none)
        districts = block.columns.get("district", none)
        bad_uscc, bad_district = failed.get("uscc", ()), failed.get("district", ())
        for k, (uscc, name, district) in enumerate(zip(usccs, names, districts, strict=True)):
            if uscc is not None or k in bad_uscc or k in unread:
                continue
            if name is not None and (district is not None or k in bad_district):
                continue
            block.fail(
                k,
                RowError(
                    self.file,
                    block.lines[k],
                    "-",
                    _shown(clean_text(self._cell(block.raw[k], "name"))),
                    _t(
                        self._lang,
                        "缺少企业：需要统一社会信用代码，或企业名称 + 所属区县",
                        "no enterprise: needs a uscc, or a name + district",
                    ),
                ),
            )

    def _check_filled(self, block: RowBlock) -> None:
        n = len(block.lines)
        needed = block.columns.get("needed", [None] * n)
        filled = block.columns.get("filled", [None] * n)
        for k, (need, got) in enumerate(zip(needed, filled, strict=True)):
            if need is not None and got is not None and got > need:
                block.fail(
                    k,
                    self._error(
                        block.lines[k],
                        "filled",
                        self._cell(block.raw[k], "filled"),
                        ValueProblem(
                            f"已招人数 {got} 超过需求人数 {need}",
                            f"filled {got} exceeds needed {need}",
                        ),
                    ),
                )

    def _cell(self, cells: list[str], column: str) -> str:
        i = self._where.get(column)
        return cells[i] if i is not None and i < len(cells) else ""

    def _value(self, column: str, text: str) -> object:
        if column in _TEXT_COLUMNS:
            return text
        if column in _DATE_COLUMNS:
            return parse_date(text)
        if column in _COUNT_COLUMNS:
            return parse_count(text)
        if column in _BOOL_COLUMNS:
            return parse_bool(text)
        if column == "district":
            return self._resolve_district(text)
        if column == "sector":
            return parse_term(SECTOR, text)
        if column == "status":
            vocab = PROBLEM_STATUS if self.ledger == "problems" else PLAN_STATUS
            return parse_term(vocab, text)
        if column == "inspection":
            return parse_term(INSPECTION, text)
        if column == "category":
            return parse_term(CATEGORY, text)
        if column == "job_type":
            return parse_job(text)
        raise AssertionError(f"no parser for column {column}")  # pragma: no cover

    # -- the same record twice

    def _record_key(self, values: dict[str, object], key: str | None) -> tuple[object, ...]:
        """The record's identity in this sheet; its first item names the column
        that identifies it ("uscc", "name" or "ref")."""
        if "uscc" in values:
            enterprise: tuple[object, ...] = ("uscc", values["uscc"])
        else:
            enterprise = ("name", key, values.get("district"))
        if self.ledger == "problems":
            if "ref" in values:
                return ("ref", unicodedata.normalize("NFKC", str(values["ref"])))
            description = name_key(str(values.get("description", "")))
            return (*enterprise, values.get("raised_on"), description)
        if self.ledger == "labour":
            job = values.get("job_type")
            return (*enterprise, name_key(job) if isinstance(job, str) else None)
        return enterprise

    def _check_duplicates(self, block: RowBlock) -> None:
        """A record given twice must say the same thing twice (rows that read, in
        line order; the first occurrence is the one named)."""
        n = len(block.lines)
        columns = block.columns
        # The values are in the sheet's column order, so equal rows give equal tuples.
        value_hashes = list(map(hash, zip(*columns.values(), strict=True))) if columns else [0] * n
        if self.ledger in ("plans", "enterprises"):
            usccs = columns.get("uscc", [None] * n)
            districts = columns.get("district", [None] * n)
            records: list[tuple[object, ...]] = [
                ("uscc", uscc) if uscc is not None else ("name", key, district)
                for uscc, key, district in zip(usccs, block.name_keys, districts, strict=True)
            ]
        else:
            records = [
                self._record_key(block.values(k), block.name_keys[k])
                if k not in block.errors
                else ()
                for k in range(n)
            ]
        ok = [k for k in range(n) if k not in block.errors] if block.errors else range(n)
        lines = block.lines
        # hash() is salted per process but stable within this import, which is all
        # the comparison needs; 64 bits make a false "duplicate" vanishingly rare.
        keys = [hash(records[k]) for k in ok]
        packed = [(lines[k] << 32) | (value_hashes[k] & 0xFFFFFFFF) for k in ok]
        for j, earlier in self._seen.conflicts(keys, packed):
            k = ok[j]
            record = records[k]
            shown = str(record[0])
            block.fail(
                k,
                self._error(
                    lines[k],
                    shown,
                    self._cell(block.raw[k], shown),
                    ValueProblem(
                        f"与第 {earlier >> 32} 行重复但内容不同",
                        f"duplicates line {earlier >> 32} with different values",
                    ),
                ),
            )

    # -- lifetime

    def close(self) -> None:
        if self._owned:
            self._stream.close()

    def __enter__(self) -> Sheet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_sheet(
    source: str,
    ledger: str,
    *,
    encoding: str | None = None,
    resolve_district: Callable[[str], str],
    stdin: BinaryIO | None = None,
    lang: str = "zh",
) -> Sheet:
    """Open a CSV sheet of a ledger (a path, or "-" for stdin) and read its header.

    The encoding is detected (UTF-8 with or without BOM, else GB18030) unless
    given.  `resolve_district` turns a district as typed into its code, raising
    FugongError (listing the candidates) when it cannot.  Raises SheetError when
    the sheet cannot be imported at all, FugongError when it cannot be opened.
    """
    if ledger not in COLUMNS:
        raise ValueProblem(f"未知台账 '{ledger}'", f"unknown ledger '{ledger}'")
    if source == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        return Sheet(
            file=_STDIN,
            ledger=ledger,
            stream=stream,
            owned=False,
            encoding=encoding,
            resolve_district=resolve_district,
            lang=lang,
        )
    try:
        stream = open(source, "rb")  # noqa: SIM115 - the Sheet closes it
    except OSError as e:
        raise FugongError(
            f"无法打开文件 {source}: {e.strerror}", f"cannot open {source}: {e.strerror}"
        ) from None
    return Sheet(
        file=source,
        ledger=ledger,
        stream=stream,
        owned=True,
        encoding=encoding,
        resolve_district=resolve_district,
        lang=lang,
    )


# --- rejects -------------------------------------------------------------------------


class RejectsWriter:
    """Writes rejected rows as they come: the original header plus an `error` column."""

    def __init__(self, path: str, header: list[str]):
        # A rejects file imported again and rejected again keeps one error column.
        keys = [_header_key(c) for c in header]
        self._drop = keys.index("error") if "error" in keys else None
        self._header = self._without_error(header)
        try:
            self._file = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        except OSError as e:
            raise FugongError(
                f"无法写入文件 {path}: {e.strerror}", f"cannot write {path}: {e.strerror}"
            ) from None
        self._writer = csv.writer(self._file)
        self._writer.writerow([*self._header, "error"])

    def _without_error(self, cells: list[str]) -> list[str]:
        if self._drop is None or self._drop >= len(cells):
            return list(cells)
        return cells[: self._drop] + cells[self._drop + 1 :]

    def add(self, raw: list[str], errors: Iterable[RowError]) -> None:
        cells = [_guard(c) for c in self._without_error(raw)]
        while cells and not cells[-1].strip():
            cells.pop()
        width = len(self._header)
        cells += [""] * (width - len(cells))
        reason = "; ".join(e.reason for e in errors)
        self._writer.writerow([*cells[:width], reason, *cells[width:]])

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RejectsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _guard(cell: str) -> str:
    text = cell.lstrip()
    if text[:1] in _FORMULA_CHARS:
        return "'" + text
    return cell


def write_rejects(
    path: str,
    header: list[str],
    rejected: Iterable[tuple[list[str], list[RowError]]],
) -> None:
    """Write the rejected rows to a CSV (UTF-8 with BOM) that can be fixed and imported again."""
    with RejectsWriter(path, header) as writer:
        for raw, errors in rejected:
            writer.add(raw, errors)
