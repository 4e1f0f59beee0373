"""The rejects file of `import --skip-invalid --rejects FILE`: the bad rows, fixable.

The original header plus an `error` column; cells guarded like an export, so
the file can be fixed in a spreadsheet and imported again.  FILE.xlsx gets a
workbook (every cell as text, as it was read), any other name CSV (UTF-8 with
BOM).  The file appears only once a row is rejected, and whole (fugong.output):
rows are kept in a temporary file meanwhile, so memory stays flat.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from .errors import RowError
from .layouts import guard, header_key, unguard


def is_workbook_name(path: str) -> bool:
    return Path(path).suffix.lower() in (".xlsx", ".xlsm")


class RejectsWriter:
    """Collects rejected rows as they come: the original header plus an `error` column.

    `commit()` writes the file, and only when rows were rejected; `close()` drops
    what was collected (an import that did not land leaves no rejects file)."""

    def __init__(self, path: str, header: list[str]):
        # A rejects file imported again and rejected again keeps one error column.
        keys = [header_key(c) for c in header]
        self._drop = keys.index("error") if "error" in keys else None
        self._header = self._without_error(header)
        self._path = path
        self._scratch: IO[str] | None = None
        self._writer = None
        self.count = 0

    def _without_error(self, cells: list[str]) -> list[str]:
        if self._drop is None or self._drop >= len(cells):
            return list(cells)
        return cells[: self._drop] + cells[self._drop + 1 :]

    def add(self, raw: list[str], errors: Iterable[RowError]) -> None:
        if self._scratch is None:
            # closed by close()
            self._scratch = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
            self._writer = csv.writer(self._scratch)
            self._writer.writerow([*self._header, "error"])
        cells = [_guard(c) for c in self._without_error(raw)]
        while cells and not cells[-1].strip():
            cells.pop()
        width = len(self._header)
        cells += [""] * (width - len(cells))
        reason = "; ".join(e.reason for e in errors)
        self._writer.writerow([*cells[:width], reason, *cells[width:]])
        self.count += 1

    def commit(self) -> bool:
        """Write the file if rows were rejected (whole or not at all); returns whether
        it was written."""
        if self._scratch is None:
            return False
        self._scratch.seek(0)
        _publish(self._path, self._scratch)
        return True

    def close(self) -> None:
        scratch, self._scratch = self._scratch, None
        if scratch is not None:
            scratch.close()

    def __enter__(self) -> RejectsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _publish(path: str, scratch: IO[str]) -> None:
    from .output import atomic_file

    if is_workbook_name(path):
        from .workbook_out import Column, Table, write_workbook

        rows = csv.reader(scratch)
        header = next(rows)
        # cells as text, as read: a workbook needs no guard against formulas (the
        # writer keeps the one a value starting with ' needs to read back the same)
        cells = ([unguard(c) for c in row] for row in rows)
        table = Table("rejects", [Column(h, "code") for h in header], cells)
        write_workbook(path, [table])
        return
    with atomic_file(path, "w", encoding="utf-8-sig", newline="") as out:
        while block := scratch.read(1 << 16):
            out.write(block)


def _guard(cell: str) -> str:
    """A cell as typed, guarded so that importing the rejects file reads the same
    value as importing the cell did (a cell already guarded stays as it is)."""
    text = cell.lstrip()
    guarded = guard(unguard(text))
    return cell if guarded == text else guarded


def write_rejects(
    path: str,
    header: list[str],
    rejected: Iterable[tuple[list[str], list[RowError]]],
) -> None:
    """Write the rejected rows to a CSV (UTF-8 with BOM) or workbook that can be fixed
    and imported again."""
    with RejectsWriter(path, header) as writer:
        for raw, errors in rejected:
            writer.add(raw, errors)
        writer.commit()
