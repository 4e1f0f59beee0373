"""Errors of fugong's domain.

Raised inside the library, translated once at the CLI edge into `Error: …` on
stderr and exit 1 (STYLE.md #2).  Messages are in the officer's language: the
Chinese text is the default, `en` the English one.
"""

from __future__ import annotations

from dataclasses import dataclass


def in_lang(lang: str, zh: str, en: str) -> str:
    """The text of a message in the officer's language (zh unless "en")."""
    return en if lang == "en" else zh


class FugongError(Exception):
    """A data or domain error: the user's input cannot be applied (exit 1)."""

    def __init__(self, zh: str, en: str | None = None):
        super().__init__(zh)
        self.zh = zh
        self.en = en or zh

    def text(self, lang: str = "zh") -> str:
        return in_lang(lang, self.zh, self.en)


class ValueProblem(FugongError):
    """One value (a cell, an option) that cannot be read.  Carries no place:
    the caller knows the file, line and column and adds them."""


@dataclass(frozen=True)
class RowError:
    """One unreadable value of a sheet: printed as FILE:LINE: COLUMN: VALUE: REASON."""

    file: str
    line: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.value}: {self.reason}"


class SheetError(FugongError):
    """A sheet that cannot be imported as a whole; carries every row error."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        text = "\n".join(str(e) for e in errors)
        super().__init__(text, text)
