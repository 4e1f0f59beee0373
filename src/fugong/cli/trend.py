"""fugong trend — the report's figures day by day."""

from datetime import timedelta
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from .common import DbOpt, LangOpt, handles_errors, lang_of, parse_day, parse_known_at
from .report import (
    AllOpt,
    KnownAtOpt,
    chosen_format,
    console,
    deliver,
    on_terminal,
    read_for,
    scope_of,
)


class TrendFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    html = "html"


# -o's extension: a .txt file holds the table as plain text; a trend has no markdown
EXTENSIONS = {".csv": "csv", ".json": "json", ".txt": "table", ".html": "html", ".xlsx": "xlsx"}
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "-o",
        "--output",
        help="Write to this file; its extension picks the format: .csv .json .txt .html.",
    ),
]


@handles_errors
def trend(
    district: Annotated[
        str | None,
        typer.Option(
            "--district", help="One district (name, short name or code); default the city."
        ),
    ] = None,
    first: Annotated[
        str | None,
        typer.Option(
            "--from", help="First day (default: 13 days before --to).", show_default=False
        ),
    ] = None,
    last: Annotated[
        str,
        typer.Option("--to", help="Last day: a date, today, yesterday."),
    ] = "today",
    known_at: KnownAtOpt = None,
    all_enterprises: AllOpt = False,
    fmt: Annotated[
        TrendFormat | None,
        typer.Option(
            "--format",
            help="table, csv, json or html (default: table, or what -o's extension says).",
        ),
    ] = None,
    output: OutputOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Print the figures day by day: one row per day, as `report --as-of` that day.

    Example: fugong trend --district 沙湾 --from 2020-02-01 --to 2020-02-14
    """
    from ..errors import FugongError
    from ..reports import TREND_DAYS
    from ..reports import trend as build

    language = lang_of(lang)
    to_day = parse_day(last, what="--to")
    from_day = (
        parse_day(first, what="--from")
        if first is not None
        else to_day - timedelta(days=TREND_DAYS - 1)
    )
    if from_day > to_day:
        raise FugongError(
            f"--from {from_day} 晚于 --to {to_day}: 起始日期不能晚于结束日期",
            f"--from {from_day} is after --to {to_day}",
        )
    moment = parse_known_at(known_at)
    chosen = chosen_format(fmt, output, EXTENSIONS)

    def work(session):
        return build(
            session=session,
            district=scope_of(session, district),
            first=from_day,
            last=to_day,
            known_at=moment,
            all_enterprises=all_enterprises,
        )

    doc = read_for(db, output, work)
    text = _render(doc, chosen, language, to_terminal=on_terminal(output))
    deliver(text, output, chosen, language)


def _render(doc: dict, fmt: str, language: str, *, to_terminal: bool) -> str | None:
    from .. import render

    if fmt == "json":
        return render.trend_json(doc)
    if fmt == "csv":
        return render.trend_csv(doc)
    if fmt == "html":
        from ..htmlreport import trend_html

        return trend_html(doc, language)
    if not to_terminal:
        return render.trend_text(doc, language)
    render.trend_rich(doc, language, console())
    return None


def register(app: typer.Typer) -> None:
    app.command("trend")(trend)
