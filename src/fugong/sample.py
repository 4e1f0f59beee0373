"""Load the bundled sample ledger through the ordinary import path."""

from __future__ import annotations

import csv
from importlib import resources

from sqlalchemy import func, select

from .db import Ledger
from .errors import FugongError
from .importer import ImportSummary, import_sheet
from .models import Enterprise
from .values import parse_date


class SampleSummary:
    def __init__(self, parts: list[ImportSummary]):
        self.parts = parts

    def text(self, lang: str = "zh") -> str:
        return "\n".join(part.text(lang) for part in self.parts)


def load_sample(ledger: Ledger, *, by: str = "sample") -> SampleSummary:
    """Import data/sample/*.csv (as manifest.csv lists them) into an empty ledger."""
    folder = resources.files("fugong.data.sample")
    with (folder / "manifest.csv").open(encoding="utf-8") as handle:
        manifest = list(csv.DictReader(handle))

    def work(session):
        if session.execute(select(func.count()).select_from(Enterprise)).scalar():
            raise FugongError(
                "账本中已有企业, 不能载入样例 (请用新的账本: --db 新文件)",
                "the ledger already holds enterprises; load the sample into a new one (--db)",
            )
        parts = []
        for entry in manifest:
            with resources.as_file(folder / entry["file"]) as path:
                parts.append(
                    import_sheet(
                        session=session,
                        ledger=entry["ledger"],
                        source=str(path),
                        by=by,
                        default_date=parse_date(entry["date"]),
                    )
                )
        return SampleSummary(parts)

    return ledger.write(work, bulk=True)
