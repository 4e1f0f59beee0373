"""fugong report — the figures the office sends upward every day."""

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from .common import (
    AsOfOpt,
    DbOpt,
    LangOpt,
    handles_errors,
    lang_of,
    parse_day,
    parse_known_at,
    read,
)


class ReportFormat(str, Enum):
    table = "table"
    markdown = "markdown"
    plain = "plain"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


EXTENSIONS = {".json": "json", ".csv": "csv", ".md": "markdown", ".txt": "plain", ".xlsx": "xlsx"}


@handles_errors
def report(
    district: Annotated[
        str | None,
        typer.Option(
            "--district", help="One district (name, short name or code); default the city."
        ),
    ] = None,
    as_of: AsOfOpt = "today",
    known_at: Annotated[
        str | None,
        typer.Option("--known-at", help="Ignore what was recorded after this moment (ISO 8601)."),
    ] = None,
    all_enterprises: Annotated[
        bool, typer.Option("--all-enterprises", help="Count every enterprise, not only 规上.")
    ] = False,
    fmt: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format",
            help="table, markdown, plain, csv, json or xlsx (default: table, "
            "or what -o's extension says).",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file.")
    ] = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Print the figures of a district, or of the city with a row per district.

    Example: fugong report --district 沙湾 --as-of 2020-02-14 --format json
    """
    from ..output import check_target, write_text
    from ..registry import resolve_district, the_city
    from ..reports import report as build
    from .common import ledger_file, output_format

    language = lang_of(lang)
    day = parse_day(as_of, what="--as-of")
    moment = parse_known_at(known_at)
    chosen = output_format(output, fmt.value if fmt else None, EXTENSIONS, default="table")
    if output is not None:
        check_target(output, ledger_file=ledger_file(db))
    elif chosen == "xlsx":
        from .io import refuse_workbook_on_terminal

        refuse_workbook_on_terminal()

    def work(session):
        if district is not None:
            scope = resolve_district(session=session, text=district)
        else:
            scope = the_city(session=session)
        doc = build(
            session=session,
            district=scope,
            as_of=day,
            known_at=moment,
            all_enterprises=all_enterprises,
        )
        if chosen == "xlsx":
            return doc, _details(session, scope, day, moment, all_enterprises)
        return doc

    doc = read(db, work)
    if chosen == "xlsx":
        _workbook(*doc, language, output)
        if output is not None:
            typer.echo(f"wrote {output}" if language == "en" else f"已写入 {output}", err=True)
        return
    text = _render(doc, chosen, language, to_terminal=output is None and sys.stdout.isatty())
    if output is None:
        if text is not None:
            typer.echo(text, nl=False)
        return
    write_text(output, text, bom=chosen == "csv")
    typer.echo(f"wrote {output}" if language == "en" else f"已写入 {output}", err=True)


def _details(session, scope, day, moment, all_enterprises) -> dict:
    """The lists of a report workbook's detail sheets."""
    from ..asof import View
    from ..listing import report_details
    from ..registry import district_codes_in

    return report_details(
        session=session,
        view=View(day, moment),
        district_codes=district_codes_in(session=session, district=scope),
        all_enterprises=all_enterprises,
    )


def _workbook(doc, details, language, output) -> None:
    """The report as a workbook: the figures with the title block, and the detail sheets."""
    from .. import __version__, clock
    from ..workbook_out import report_tables, workbook_to, write_workbook

    generated = doc.get("generated_at") or clock.shown(clock.now_utc())
    tables = report_tables(doc, details, language, generated_at=generated, version=__version__)
    if output is None:
        workbook_to(sys.stdout.buffer, tables)
    else:
        write_workbook(output, tables)


def _render(doc, fmt: str, language: str, *, to_terminal: bool) -> str | None:
    from .. import render

    if fmt == "json":
        return render.json_text(doc)
    if fmt == "csv":
        return render.report_csv(doc)
    if fmt in ("markdown", "plain") or not to_terminal:
        # Off a terminal the table is plain aligned text (tabulate): never wrapped,
        # no escape codes, and no need to load rich for a script or a pipe.
        return render.report_text(doc, language, "markdown" if fmt == "markdown" else "plain")
    from rich.console import Console

    console = Console(no_color=bool(os.environ.get("NO_COLOR")), highlight=False)
    render.report_rich(doc, language, console)
    return None


def register(app: typer.Typer) -> None:
    app.command("report")(report)
