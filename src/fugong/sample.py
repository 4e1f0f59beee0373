"""Load the bundled sample ledger through the ordinary import path."""

from __future__ import annotations

import csv
from importlib import resources

from sqlalchemy import func, select

from .db import Ledger
from .errors import FugongError
from .importer import ImportSummary, import_sheet
from .ingest import open_sheet
from .models import Enterprise
from .registry import county_resolver
from .unit import write
from .values import parse_date


class SampleSummary:
    def __init__(self, parts: list[ImportSummary]):
        self.parts = parts

    def text(self, lang: str = "zh") -> str:
        return "\n".join(part.text(lang) for part in self.parts)


def load_sample(ledger: Ledger, *, by: str = "sample") -> SampleSummary:
    """Import data/sample/*.csv (as manifest.csv lists them) into an empty ledger,
    one batch a sheet, through the ordinary import."""
    folder = resources.files("fugong.data.sample")
    with (folder / "manifest.csv").open(encoding="utf-8") as handle:
        manifest = list(csv.DictReader(handle))
    parts = []
    for number, entry in enumerate(manifest):

        def work(unit, entry=entry, first=number == 0):
            session = unit.session
            if first and session.execute(select(func.count()).select_from(Enterprise)).scalar():
                raise FugongError(
                    "账本中已有企业, 不能载入样例 (请用新的账本: --db 新文件)",
                    "the ledger already holds enterprises; load the sample into a new one (--db)",
                )
            with resources.as_file(folder / entry["file"]) as path:
                sheet = open_sheet(
                    str(path), entry["ledger"], resolve_district=county_resolver(session)
                )
                sheet.file = f"sample/{entry['file']}"
                with sheet:
                    return import_sheet(
                        unit=unit, sheet=sheet, default_date=parse_date(entry["date"])
                    )

        summary, batch = write(
            ledger,
            work,
            kind="import",
            source=f"sample/{entry['file']}",
            by=by,
            note=entry["ledger"],
            bulk=True,
        )
        summary.batch_id = batch.id if batch is not None else None
        parts.append(summary)
    return SampleSummary(parts)
