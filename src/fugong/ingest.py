"""Sheet → validated rows + row errors: encodings, header aliases, value parsing.

No database here.  `open_sheet` reads the header (raising `SheetError` when the
sheet cannot be imported at all); `Sheet.rows()` then streams the data lines,
each either a parsed `SheetRow` or the list of everything wrong with it, so the
importer can report every error of a file, not only the first.  Memory does not
grow with the file, except for the compact map that finds a record given twice.

A sheet's records are the lines of a CSV file, or come from a `RecordSource`
(a workbook's sheet, see workbook_in.py) as text cells: either way the same
header rule, columns, value parsers and row errors apply.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import stat
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import and_, is_not, itemgetter, lshift, methodcaller, mul, or_
from typing import BinaryIO, Protocol

from .decoding import (
    SNIFF_BYTES,
    Lines,
    byte_blocks,
    expected_rows,
    guess_encoding,
    read_head,
    usable_encoding,
)
from .errors import FugongError, RowError, SheetError, ValueProblem, in_lang
from .firstseen import FirstSeen
from .layouts import (
    BOOL_COLUMNS,
    COLUMNS,
    COUNT_COLUMNS,
    DATE_COLUMNS,
    LAYOUTS,
    MULTILINE_COLUMNS,
    NAMING_COLUMNS,
    TEXT_COLUMNS,
    TITLE_ROWS,
    header_lookup,
    match_header,
    names_enterprise,
    unguard,
)
from .values import (
    USCC_SHAPE,
    ZERO_WIDTH_CHARS,
    check_name,
    check_text,
    clean_text,
    name_key,
    normalize_uscc,
    parse_bool,
    parse_count,
    parse_date,
    parse_job,
    parse_term,
    uscc_check_char,
    uscc_checks_ok,
)
from .vocab import CATEGORY, INSPECTION, PLAN_STATUS, PROBLEM_STATUS, SECTOR

__all__ = [
    "RecordSource",
    "RowBlock",
    "RowErrors",
    "Sheet",
    "SheetFile",
    "SheetRow",
    "open_sheet",
]

# A cell of a megabyte (a pasted report in a 备注) is read, not refused: the csv
# module's default limit (128 KiB) would lose its row.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

_CACHE_SIZE = 20_000
_MISSING = object()
BLOCK_ROWS = 5000  # rows parsed (and applied by the importer) together
_ZERO_WIDTH = re.compile(f"[{ZERO_WIDTH_CHARS}]")
_BLANKS_ANYWHERE = re.compile(f"[\\s{ZERO_WIDTH_CHARS}]+")
_NO_PROBLEMS: list[RowError] = []  # shared, never appended to
_STDIN = "<stdin>"
# Magic numbers of workbooks: a zip (.xlsx, .ods) and an OLE compound file (.xls).
WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
# A row whose name cell says this is a sum of the rows above, not an enterprise.
_TOTAL_WORDS = ("合计", "小计", "总计")


@dataclass
class SheetFile:
    """What `import` reads: a path ("-" = standard input) and, for a workbook,
    which sheet (its name, or its number from 1; default: the first sheet whose
    header names an enterprise column).  `totals` counts the 合计/小计/总计 rows
    passed over while the rows were read."""

    path: str
    sheet: str | None = None
    totals: int = 0

    def __str__(self) -> str:
        return self.path


# (index of the cell in its record, what is wrong with it)
CellProblems = list[tuple[int, FugongError]]


class RecordSource(Protocol):
    """Records that are not lines of CSV text: a workbook's sheet (workbook_in.py).

    Cells are text, as the CSV reader would give them.  A `Sheet` reads its
    header with `next_record()`, tells the source the columns it reads
    (`read_columns`: cell index -> column), then takes the data rows from
    `records()`: (row number as the file numbers it, cells, problems of cells
    that have no text to read — a formula without a value, a USCC stored as a
    number; None when there are none).
    """

    file: str  # as errors name it: FILE[SHEET]
    expected_rows: int

    def next_record(self) -> tuple[int, list[str]] | None: ...

    def read_columns(self, columns: dict[int, str]) -> None: ...

    def records(self) -> Iterator[tuple[int, list[str], CellProblems | None]]: ...

    def close(self) -> None: ...


def _shown(cell: str) -> str:
    """A cell as printed in `FILE:LINE: COLUMN: VALUE: REASON` (one line)."""
    text = cell.strip()
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


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
        # a hash of each row's values but those naming its enterprise (_value_hashes)
        self.said: list[int] = []
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


def _identity(stream) -> tuple[int, int] | None:
    """Size and modification time of the file behind a stream (None: not a file)."""
    try:
        info = os.fstat(stream.fileno())
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return info.st_size, info.st_mtime_ns


def _digits(text: str) -> bool:
    """Whether a name could be all digits (check_name decides exactly)."""
    return text.lstrip("#＃").isdigit()


def _any_digits(names: list[str]) -> bool:
    """Whether any of the names could be all digits: _digits, a column at a time."""
    return any(map(str.isdigit, map(methodcaller("lstrip", "#＃"), names)))


def _filled(cell: str) -> bool:
    """Whether clean_text(cell) is not empty, cheaply for the usual cell (the
    first cell of a data line: its 序号 or code)."""
    text = cell.strip()
    return bool(text) and text[0] not in ZERO_WIDTH_CHARS and text[-1] not in ZERO_WIDTH_CHARS


def _blank(cells: list[str]) -> bool:
    """Whether a line holds nothing but blanks (zero-width blanks are blanks too).
    A line whose first cell is a number or a code (isalnum, the usual 序号) is
    not: the import's loop asks that first, without a call."""
    return not _filled(cells[0] if cells else "") and not any(map(clean_text, cells))


def _text_column(cells: Sequence[str]) -> list[str | None]:
    """clean_text and the formula guard over a column; cell by cell only where needed."""
    texts = list(map(str.strip, cells))
    joined = "\0".join(texts)
    if _ZERO_WIDTH.search(joined):
        texts = list(map(clean_text, cells))
    if "'" in joined:
        texts = [unguard(t) if t[:1] == "'" else t for t in texts]
    return [t or None for t in texts]


def _transposed(cells: list[list[str]], indexes: list[int]) -> dict[int, Sequence[str]]:
    """The cells of the columns `indexes` (every row has them), a column at a time.

    One transposition in C (five times faster than a map per column) when the rows
    are about as wide as the columns read; a sheet with many more columns (an
    export with a thousand blank ones) is cut a column at a time instead.
    """
    if not indexes:
        return {}
    if max(map(len, cells)) <= 2 * (max(indexes) + 1):
        # rows differ in length (extra cells): the shortest still has all of indexes
        columns = list(zip(*cells, strict=False))
        return {i: columns[i] for i in indexes}
    return {i: list(map(itemgetter(i), cells)) for i in indexes}


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


def _total_word(cell: str) -> bool:
    """Whether a cell reads 合计, 小计 or 总计 (全区合计 …; blanks and a colon ignored)."""
    return "计" in cell and _BLANKS_ANYWHERE.sub("", cell).rstrip(":：").endswith(_TOTAL_WORDS)


def _without(
    drop: list[int],
    lines: list[int],
    raw: list[list[str]],
    unread: dict[int, RowErrors],
    problems: dict[int, CellProblems] | None,
) -> tuple[list[int], list[list[str]], dict[int, RowErrors], dict[int, CellProblems] | None]:
    """A block's rows without the rows `drop` (the indexes of the rest renumbered)."""
    dropped = set(drop)
    kept = [k for k in range(len(lines)) if k not in dropped]
    new = {old: k for k, old in enumerate(kept)}
    return (
        [lines[k] for k in kept],
        [raw[k] for k in kept],
        {new[k]: v for k, v in unread.items() if k in new},
        {new[k]: v for k, v in problems.items() if k in new} if problems else problems,
    )


# --- the sheet ---------------------------------------------------------------------


class Sheet:
    """An open sheet whose header has been read; `rows()` streams the data lines.

    `rows()` can be iterated once.  Use the sheet as a context manager (or call
    `close()`) when the rows may not be read to the end.
    """

    file: str
    header: list[str]
    columns: list[str]
    layout: str

    def __init__(
        self,
        *,
        file: str,
        layout: str,
        stream: BinaryIO | None,
        owned: bool,
        encoding: str | None,
        resolve_district: Callable[[str], str],
        lang: str,
        records: RecordSource | None = None,
        spec: SheetFile | None = None,
    ):
        self.file = file
        self.layout = layout
        self._stream = stream
        self._owned = owned
        self._resolve_district = resolve_district
        self._lang = lang
        self._started = False
        self._source = records
        self.spec = spec if spec is not None else SheetFile(file)
        try:
            self._open(encoding)
        except BaseException:
            self.close()
            raise

    # -- set-up

    def _fatal(self, line: int, value: str, zh: str, en: str) -> SheetError:
        return SheetError([RowError(self.file, line, "-", value, in_lang(self._lang, zh, en))])

    def _open(self, encoding: str | None) -> None:
        if self._source is not None:
            self._seen = FirstSeen(self._source.expected_rows)
            self._read_header()
            return
        self._origin = self._stream  # the file itself, for _check_unchanged and close
        self._identity = _identity(self._origin)
        head = read_head(self._stream)
        self._seen = FirstSeen(expected_rows(self._stream, head))
        if b"\r" in head and b"\n" not in head:
            # line ends of old Mac Excel: a lone CR; such sheets are small, read them whole
            head = head.replace(b"\r", b"\n")
            self._stream = io.BytesIO(self._stream.read().replace(b"\r", b"\n"))
        if not head.strip(b" \t\r\n"):
            raise self._fatal(1, "", "空文件，没有表头", "empty file, no header")
        self._refuse_binary(head)
        if encoding is not None:
            chosen: str | None = usable_encoding(encoding, self._lang)
        elif head.isascii() and len(head) == SNIFF_BYTES:
            chosen = None  # decide on the first line that is not plain ASCII
        else:
            chosen = guess_encoding(head)
        if chosen in ("utf-8", "utf-8-sig", None) and head.startswith(codecs.BOM_UTF8):
            head = head[len(codecs.BOM_UTF8) :]
        if chosen == "utf-8-sig":
            chosen = "utf-8"
        self._lines = Lines(byte_blocks(head, self._stream), chosen, self.file, self._lang)
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
        if head.startswith(WORKBOOK_MAGIC):  # only stdin gets here: files are opened as workbooks
            raise self._fatal(
                1,
                "Excel",
                "标准输入是 Excel 工作簿；工作簿请给出文件名导入"
                "（如 fugong import plans 台账.xlsx），标准输入只读 CSV",
                "standard input holds an Excel workbook; import a workbook by its file name "
                "(e.g. fugong import plans ledger.xlsx): standard input is read as CSV only",
            )

    def _next_record(self) -> tuple[int, list[str] | None, list[RowError]]:
        """The next csv record: (start line, cells or None at the end, line problems)."""
        if self._source is not None:
            found = self._source.next_record()
            return (found[0], found[1], _NO_PROBLEMS) if found else (1, None, _NO_PROBLEMS)
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
                    in_lang(self._lang, f"CSV 格式错误: {e}", f"malformed CSV: {e}"),
                )
            )
            return start, [], problems
        if not self._lines.problems:  # the usual case, kept cheap
            return start, cells, _NO_PROBLEMS
        return start, cells, self._lines.take_problems(self._reader.line_num)

    def _read_header(self) -> None:
        wanted = COLUMNS[self.layout]
        lookup = header_lookup(self.layout)
        # The header is the first row that names an enterprise column: rows above it
        # are titles (a title merged across the columns, 填报单位 and 填报日期 …).
        # A sheet without one is refused, naming its first row of several cells.
        first: tuple[int, list[str]] | None = None
        wide: tuple[int, list[str]] | None = None
        titles = 0
        while True:
            line, cells, problems = self._next_record()
            if problems:
                raise SheetError(problems)
            if cells is None:
                if first is None:
                    raise self._fatal(1, "", "空文件，没有表头", "empty file, no header")
                line, cells = wide or first
                break
            filled = [c for c in cells if clean_text(c)]
            if not filled:
                continue
            if first is None:
                first = (line, cells)
            if names_enterprise(lookup, cells):
                break
            if wide is None and len(filled) > 1:
                wide = (line, cells)
            if titles >= TITLE_ROWS:
                line, cells = wide or first
                break
            titles += 1
        self.header_line = line
        self.header = cells
        self._index: list[tuple[int, str]] = []
        where: dict[str, int] = {}
        for i, cell in enumerate(cells):
            column = match_header(lookup, cell)
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
            (i, column, None if column in TEXT_COLUMNS or column == "uscc" else {"": None})
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
        if self._source is not None:
            self._source.read_columns(dict(self._index))

    def column_label(self, column: str) -> str:
        """The header cell (as written in the file) of a recognised column."""
        return clean_text(self.header[self._where[column]])

    def cell_text(self, cells: list[str], column: str) -> str:
        """A row's cell of a column as the sheet has it (for messages)."""
        return _shown(clean_text(self._cell(cells, column)))

    @property
    def encoding(self) -> str:
        """The encoding the sheet is read with ("utf-8" until non-ASCII bytes are seen)."""
        if self._source is not None:
            return "utf-8"  # a workbook's text is Unicode already
        return self._lines.encoding or "utf-8"

    @property
    def totals(self) -> int:
        """合计/小计/总计 rows passed over so far."""
        return self.spec.totals

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
            if self._source is not None:
                yield from self._record_blocks(size)
            else:
                yield from self._blocks(size)
                self._check_unchanged()
        finally:
            self.close()

    def _check_unchanged(self) -> None:
        """A file that changed while it was read (another program still writing
        it, a copy cut short) cannot be imported: its rows are not one sheet."""
        if self._identity is not None and _identity(self._origin) != self._identity:
            raise self._fatal(
                0,
                "",
                "文件在读取过程中被修改 (另一程序仍在写入?); 请待文件写完后重新导入",
                "the file changed while it was read (still being written?); import it again "
                "when it is complete",
            )

    def _record_blocks(self, size: int) -> Iterator[RowBlock]:
        lines: list[int] = []
        raw: list[list[str]] = []
        problems: dict[int, CellProblems] = {}
        for line, cells, found in self._source.records():
            if found:
                problems[len(lines)] = found
            elif _blank(cells):
                continue
            lines.append(line)
            raw.append(cells)
            if len(lines) >= size:
                yield self._parse_block(lines, raw, {}, problems)
                lines, raw, problems = [], [], {}
        if lines:
            yield self._parse_block(lines, raw, {}, problems)

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
                    elif not (cells and cells[0].isalnum()) and _blank(cells):
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
                        in_lang(self._lang, f"CSV 格式错误: {e}", f"malformed CSV: {e}"),
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

    def _totals(self, raw: list[list[str]], unread: dict[int, RowErrors]) -> list[int]:
        """The rows of a block that are 合计/小计/总计 rows: the name cell (or, when
        it is blank, the row's first non-blank cell) says so and no USCC is given
        (the USCC cell is blank, or says 合计 too: a merge over both)."""
        name = self._where.get("name")
        uscc = self._where.get("uscc")
        if name is not None and raw and min(map(len, raw)) > name:
            names = list(map(itemgetter(name), raw))
            if "计" not in "".join(names) and all(map(str.strip, names)):
                return []  # the usual block: no name cell says 计, none is blank
        found = []
        for k, cells in enumerate(raw):
            text = cells[name] if name is not None and name < len(cells) else ""
            if not text.strip():
                text = next((c for c in cells if c.strip()), "")
            if "计" not in text or k in unread:
                continue
            if _total_word(text) and (
                uscc is None
                or uscc >= len(cells)
                or not cells[uscc].strip()
                or _total_word(cells[uscc])  # a 合计 merged over the USCC column too
            ):
                found.append(k)
        return found

    def _cell_problems(
        self, block: RowBlock, problems: dict[int, CellProblems], failed: dict[str, set[int]]
    ) -> None:
        """Errors of cells the source could not give as text, in the columns read."""
        where = {i: column for i, column in self._index}
        for k, found in problems.items():
            for i, problem in found:
                column = where.get(i)
                if column is None:
                    continue  # a column the import does not read
                block.columns[column][k] = None
                failed.setdefault(column, set()).add(k)
                block.fail(k, self._error(block.lines[k], column, block.raw[k][i], problem))

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
        self,
        lines: list[int],
        raw: list[list[str]],
        unread: dict[int, RowErrors],
        problems: dict[int, CellProblems] | None = None,
    ) -> RowBlock:
        totals = self._totals(raw, unread)
        if totals:
            lines, raw, unread, problems = _without(totals, lines, raw, unread, problems)
            self.spec.totals += len(totals)
        block = RowBlock(lines, raw, errors=dict(unread))
        n = len(lines)
        need = self._need
        cells = raw
        if not n:
            return block
        if min(map(len, raw)) < need or unread:
            cells = [c if len(c) >= need else c + [""] * (need - len(c)) for c in raw]
            for k in unread:  # a line that could not be read is not parsed either
                cells[k] = [""] * need
        if problems:  # a cell without text to read is not parsed: its problem says why
            cells = list(cells)
            for k, found in problems.items():
                cells[k] = row = list(cells[k])
                for i, _problem in found:
                    if i < len(row):
                        row[i] = ""
        failed: dict[str, set[int]] = {}  # column -> rows whose cell did not read
        by_column = _transposed(cells, [i for i, _column, _cache in self._readers])
        for i, column, cache in self._readers:
            column_cells = by_column[i]
            if cache is not None:
                values = self._cached_column(block, column, column_cells, cache, failed)
            elif column == "uscc":
                values = self._uscc_column(block, column_cells, failed)
            else:
                values = _text_column(column_cells)
                self._check_texts(block, column, values, column_cells, failed)
            block.columns[column] = values
        if problems:
            self._cell_problems(block, problems, failed)
        names = block.columns.get("name")
        block.name_keys = _name_keys(names) if names is not None else [None] * n
        if max(map(len, raw)) > len(self.header):
            for k, row in enumerate(raw):
                if len(row) > len(self.header) and k not in unread:
                    self._check_extra(block, k, row)
        self._check_enterprise(block, failed, unread)
        if self.layout == "labour":
            self._check_filled(block)
        self._check_duplicates(block)
        return block

    def _check_texts(
        self,
        block: RowBlock,
        column: str,
        values: list[str | None],
        cells: Sequence[str],
        failed: dict[str, set[int]],
    ) -> None:
        """Names and texts are visible text (values.check_name / check_text); the
        usual column, all printable, is passed over at the cost of a few str methods
        over the whole column."""
        name = column == "name"
        present = list(filter(None, values))  # cells are None or non-empty
        if " ".join(present).isprintable() and not (name and _any_digits(present)):
            return  # the usual column: one look at all its cells
        for k, value in enumerate(values):
            if value is None or (value.isprintable() and not (name and _digits(value))):
                continue
            try:
                if name:
                    check_name(value)
                else:
                    check_text(value, lines=column in MULTILINE_COLUMNS)
            except FugongError as problem:
                failed.setdefault(column, set()).add(k)
                block.fail(k, self._error(block.lines[k], column, cells[k], problem))
                values[k] = None

    def _cached_column(
        self,
        block: RowBlock,
        column: str,
        cells: Sequence[str],
        cache: dict[str, object],
        failed: dict[str, set[int]],
    ) -> list[object]:
        try:  # the usual, once the first rows have filled the cache
            values = list(map(cache.__getitem__, cells))
        except KeyError:
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
                text = unguard(text)
            try:
                value = self._value(column, text)
            except FugongError as problem:
                value = _Bad(problem)
                self._bad_cells[column].add(cell)
        if len(cache) < _CACHE_SIZE:
            cache[cell] = value
        return value

    def _uscc_column(
        self, block: RowBlock, cells: Sequence[str], failed: dict[str, set[int]]
    ) -> list[str | None]:
        texts = list(map(str.strip, cells))
        shaped = list(map(USCC_SHAPE.fullmatch, texts))  # a code typed as it should be
        typed = [text for text, shape in zip(texts, shaped, strict=True) if shape is not None]
        checks = iter(uscc_checks_ok(typed))
        values: list[str | None] = []
        for k, (text, shape) in enumerate(zip(texts, shaped, strict=True)):
            if shape is not None:
                if not next(checks):
                    block.warnings.setdefault(k, []).append(
                        self._check_char_warning(block.lines[k], cells[k], text)
                    )
                values.append(text)
                continue
            text = clean_text(text) if text else text  # (a blank cell: no more to clean)
            if not text:
                values.append(None)
                continue
            if text[0] == "'":
                text = unguard(text)
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
                in_lang(
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
        bad_name = failed.get("name", ())
        for k, (uscc, name, district) in enumerate(zip(usccs, names, districts, strict=True)):
            if uscc is not None or k in bad_uscc or k in unread:
                continue
            if (name is not None or k in bad_name) and (district is not None or k in bad_district):
                continue
            block.fail(
                k,
                RowError(
                    self.file,
                    block.lines[k],
                    "-",
                    _shown(clean_text(self._cell(block.raw[k], "name"))),
                    in_lang(
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
        if column in TEXT_COLUMNS:
            return text
        if column in DATE_COLUMNS:
            return parse_date(text)
        if column in COUNT_COLUMNS:
            return parse_count(text)
        if column in BOOL_COLUMNS:
            return parse_bool(text)
        if column == "district":
            return self._resolve_district(text)
        if column == "sector":
            return parse_term(SECTOR, text)
        if column == "status":
            vocab = PROBLEM_STATUS if self.layout == "problems" else PLAN_STATUS
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
        if self.layout == "problems":
            if "ref" in values:
                return ("ref", unicodedata.normalize("NFKC", str(values["ref"])))
            description = name_key(str(values.get("description", "")))
            return (*enterprise, values.get("raised_on"), description)
        if self.layout == "labour":
            job = values.get("job_type")
            return (*enterprise, name_key(job) if isinstance(job, str) else None)
        return enterprise

    def _check_duplicates(self, block: RowBlock) -> None:
        """A record given twice must say the same thing twice (rows that read, in
        line order; the first occurrence is the one named) — also where one line
        names the enterprise by its USCC and the other by its name and district."""
        n = len(block.lines)
        records, aliases = self._records(block)
        value_hashes = self._value_hashes(block)
        lines = block.lines
        # hash() is salted per process but stable within this import, which is all
        # the comparison needs; 64 bits make a false "duplicate" vanishingly rare.
        if block.errors:
            ok: Sequence[int] = [k for k in range(n) if k not in block.errors]
            keys = [hash(records[k]) for k in ok]
            ok_lines, ok_hashes = [lines[k] for k in ok], [value_hashes[k] for k in ok]
            aliases = [aliases[k] for k in ok]
        else:  # the usual block: every row, a column at a time
            ok, keys, ok_lines, ok_hashes = range(n), list(map(hash, records)), lines, value_hashes
        # (line << 32 | low 32 bits of the values' hash) for each row
        packed = list(
            map(or_, map(lshift, ok_lines, repeat(32)), map(and_, ok_hashes, repeat(0xFFFFFFFF)))
        )
        for j, earlier in self._seen.conflicts(keys, packed, aliases):
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

    def _records(self, block: RowBlock) -> tuple[list[tuple[object, ...]], list[int]]:
        """Each row's record key (see _record_key; () for a row that does not read)
        and, for a row naming its enterprise by USCC, its alias: the hash of its key
        with the enterprise named by name and district, as a row without the USCC
        names it (0 for other rows)."""
        n = len(block.lines)
        columns = block.columns
        districts = columns.get("district", [None] * n)
        if self.layout in ("plans", "enterprises"):
            usccs = columns.get("uscc", [None] * n)
            records: list[tuple[object, ...]] = [
                ("uscc", uscc) if uscc is not None else ("name", key, district)
                for uscc, key, district in zip(usccs, block.name_keys, districts, strict=True)
            ]
            by_name = map(hash, zip(repeat("name"), block.name_keys, districts))
            return records, list(map(mul, by_name, map(is_not, usccs, repeat(None))))
        records = [
            self._record_key(block.values(k), block.name_keys[k]) if k not in block.errors else ()
            for k in range(n)
        ]
        rest = -2 if self.layout == "problems" else -1  # (raised_on, description) / (job,)
        aliases = [
            hash(("name", key, district, *record[rest:])) if record and record[0] == "uscc" else 0
            for record, key, district in zip(records, block.name_keys, districts, strict=True)
        ]
        return records, aliases

    def _value_hashes(self, block: RowBlock) -> list[int]:
        """A hash of each row's values in the sheet's column order, without the USCC:
        a record's key names its enterprise, by USCC or by name, so two lines of one
        record differ in the USCC only where one leaves it out. Not so a problem
        known by its number: which enterprise it is for is one of its values.
        On the way, block.said: the hash of the values without the columns that name
        the record (NAMING_COLUMNS; for problems the number too), for the importer,
        which finds lines naming one record in ways the sheet cannot tell
        (Importer.same_record)."""
        columns = block.columns
        n = len(block.lines)
        # (a problem's number names it as the USCC names an enterprise)
        names = NAMING_COLUMNS | {"ref"} if self.layout == "problems" else NAMING_COLUMNS
        said = [v for c, v in columns.items() if c not in names]
        block.said = list(map(hash, zip(*said, strict=True))) if said else [0] * n
        none = [None] * n
        naming = [columns.get(c, none) for c in sorted(names - {"uscc"})]
        hashes = list(map(hash, zip(block.said, *naming, strict=True)))
        if self.layout == "problems" and "ref" in columns and "uscc" in columns:
            refs, usccs = columns["ref"], columns["uscc"]
            hashes = [
                hash((h, uscc)) if ref is not None else h
                for h, ref, uscc in zip(hashes, refs, usccs, strict=True)
            ]
        return hashes

    # -- lifetime

    def close(self) -> None:
        if self._source is not None:
            self._source.close()
        if self._owned:
            self._stream.close()
            origin = getattr(self, "_origin", None)
            if origin is not None and origin is not self._stream:
                origin.close()

    def __enter__(self) -> Sheet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_sheet(
    source: str | SheetFile,
    layout: str,
    *,
    encoding: str | None = None,
    resolve_district: Callable[[str], str],
    stdin: BinaryIO | None = None,
    lang: str = "zh",
) -> Sheet:
    """Open a sheet of a layout and read its header: a CSV file or a workbook's
    sheet (a path, or "-" for CSV on stdin; a `SheetFile` to name a workbook's sheet).

    A file is read as a workbook when its first bytes say so (.xlsx, .xls),
    else as CSV, whose encoding is detected (UTF-8 with or without BOM, else
    GB18030) unless given.  `resolve_district` turns a district as typed into
    its code, raising FugongError (listing the candidates) when it cannot.
    Raises SheetError when the sheet cannot be imported at all, FugongError
    when it cannot be opened.
    """
    if layout not in LAYOUTS:
        raise ValueProblem(f"未知台账 '{layout}'", f"unknown ledger '{layout}'")
    spec = source if isinstance(source, SheetFile) else SheetFile(source)
    common = {"layout": layout, "resolve_district": resolve_district, "lang": lang, "spec": spec}
    if spec.path == "-":
        if spec.sheet is not None:
            raise _sheet_needs_workbook(spec)
        stream = stdin if stdin is not None else sys.stdin.buffer
        return Sheet(file=_STDIN, stream=stream, owned=False, encoding=encoding, **common)
    try:
        stream = open(spec.path, "rb")  # noqa: SIM115 - the Sheet closes it
        magic = stream.read(len(WORKBOOK_MAGIC[0]))
        stream.seek(0)
    except OSError as e:
        raise FugongError(
            f"无法打开文件 {spec.path}: {e.strerror}", f"cannot open {spec.path}: {e.strerror}"
        ) from None
    if magic.startswith(WORKBOOK_MAGIC):
        stream.close()
        from .workbook_in import open_records

        records = open_records(spec.path, layout=layout, sheet=spec.sheet, lang=lang)
        return Sheet(
            file=records.file, stream=None, owned=False, encoding=None, records=records, **common
        )
    if spec.sheet is not None:
        stream.close()
        raise _sheet_needs_workbook(spec)
    return Sheet(file=spec.path, stream=stream, owned=True, encoding=encoding, **common)


def _sheet_needs_workbook(spec: SheetFile) -> FugongError:
    return FugongError(
        f"--sheet 只用于 Excel 工作簿（.xlsx/.xls），{spec.path} 不是工作簿",
        f"--sheet is for Excel workbooks (.xlsx/.xls); {spec.path} is not one",
    )
