"""The rejects file of `import --skip-invalid --rejects FILE`: the bad rows, fixable.

The original header plus an `error` column; cells guarded like an export, so
the file can be fixed in a spreadsheet and imported again.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Iterable

from .errors import RowError
from .layouts import guard, header_key, unguard
from .output import atomic_file


class RejectsWriter:
    """Collects rejected rows: the original header plus an `error` column.

    The file appears only when `commit()` is called with rows in it: written to
    a temporary file beside the target and renamed at the end (SPEC: --rejects
    is written only when rows were rejected, whole or not at all).
    """

    def __init__(self, path: str, header: list[str]):
        # A rejects file imported again and rejected again keeps one error column.
        keys = [header_key(c) for c in header]
        self._drop = keys.index("error") if "error" in keys else None
        self._header = self._without_error(header)
        self._path = path
        self._buffer = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._buffer)
        self._writer.writerow([*self._header, "error"])
        self.rows = 0

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
        self.rows += 1

    def commit(self) -> bool:
        """Write the file if rows were rejected; returns whether it was written."""
        if not self.rows:
            return False
        self._buffer.seek(0)
        with atomic_file(self._path, "w", encoding="utf-8-sig", newline="") as handle:
            shutil.copyfileobj(self._buffer, handle)
        return True

    def close(self) -> None:
        self._buffer.close()

    def __enter__(self) -> RejectsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
    """Write the rejected rows to a CSV (UTF-8 with BOM) that can be fixed and imported again."""
    with RejectsWriter(path, header) as writer:
        for raw, errors in rejected:
            writer.add(raw, errors)
        writer.commit()
