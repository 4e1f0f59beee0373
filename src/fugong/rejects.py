"""The rejects file of `import --skip-invalid --rejects FILE`: the bad rows, fixable.

The original header plus an `error` column; cells guarded like an export, so
the file can be fixed in a spreadsheet and imported again.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

from .errors import FugongError, RowError
from .layouts import guard, header_key, unguard


class RejectsWriter:
    """Writes rejected rows as they come: the original header plus an `error` column."""

    def __init__(self, path: str, header: list[str]):
        # A rejects file imported again and rejected again keeps one error column.
        keys = [header_key(c) for c in header]
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
