"""fugong report — the figures the office sends upward every day.

Also what `report` and `trend` share: the format an `-o` file's extension asks
for, reading the ledger after the output path was checked, and writing a
document whole or not at all.
"""

import os
import sys
from collections.abc import Callable
from datetime import timedelta
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from .common import (
    AsOfOpt,
    DbOpt,
    LangOpt,
    handles_errors,
    lang_of,
    ledger_modules,
    parse_day,
    parse_known_at,
)


class ReportFormat(str, Enum):
    table = "table"
    markdown = "markdown"
    plain = "plain"
    csv = "csv"
    json = "json"
    html = "html"
    xlsx = "xlsx"


# SPEC "Command line": with -o and no --format, the extension decides
EXTENSIONS = {
    ".csv": "csv",
    ".json": "json",
    ".md": "markdown",
    ".txt": "plain",
    ".html": "html",
    ".xlsx": "xlsx",
}

KnownAtOpt = Annotated[
    str | None,
    typer.Option(
        "--known-at",
        metavar="时刻",
        help="按当时所知: 不计此后才记录的 (ISO 时刻、日期、now、yesterday) / "
        "as known at this moment",
    ),
]
AllOpt = Annotated[
    bool,
    typer.Option(
        "--all-enterprises", help="计所有企业, 不只规上 / count every enterprise, not only 规上"
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "-o",
        "--output",
        metavar="文件",
        help="写到文件, 扩展名定格式: .csv .json .md .txt .html .xlsx / write to a file",
    ),
]


def chosen_format(fmt: Enum | None, output: Path | None, extensions: dict[str, str]) -> str:
    """--format, else what -o's extension names (`extensions`: this command's part of
    SPEC's list); any other extension is refused before anything is read or written,
    and text never goes into a file named .xlsx (common.output_format)."""
    from .common import output_format

    return output_format(
        output, fmt.value if fmt is not None else None, extensions, default="table"
    )


def read_for(db: str | None, output: Path | None, work: Callable[[Any], Any]) -> Any:
    """Open the ledger, refuse an -o that is the ledger itself, then run `work(session)`
    in one read transaction."""
    ledger_modules()
    from ..db import open_ledger
    from ..output import check_target

    ledger = open_ledger(db)
    try:
        if output is not None:
            check_target(output, ledger_file=ledger.file)
        return ledger.read(work)
    finally:
        ledger.engine.dispose()


def deliver(text: str | None, output: Path | None, fmt: str, language: str) -> None:
    """A document to stdout, or to the -o file (whole or not at all; CSV with a BOM for
    Excel)."""
    from ..output import to_stdout, write_text

    if output is None:
        if text is not None:
            to_stdout(text)
        return
    write_text(output, text or "", bom=fmt == "csv")
    typer.echo(f"wrote {output}" if language == "en" else f"已写入 {output}", err=True)


def on_terminal(output: Path | None) -> bool:
    return output is None and sys.stdout.isatty()


def console():
    from rich.console import Console

    return Console(no_color=bool(os.environ.get("NO_COLOR")), highlight=False)


def scope_of(session, district: str | None):
    from ..registry import resolve_district, the_city

    if district is not None:
        return resolve_district(session=session, text=district)
    return the_city(session=session)


def one_district(values: list[str] | None) -> str | None:
    """--district once: a repeated one is refused, never silently the last."""
    from ..errors import FugongError

    if not values:
        return None
    if len(values) > 1:
        raise FugongError(
            f"--district 只能给一次 (给了: {', '.join(values)}); 全市报告请不用 --district",
            f"--district goes once (given: {', '.join(values)}); leave it out for the city",
        )
    return values[0]


DistrictsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--district",
        metavar="区县",
        help="一个区县 (全称、简称或代码); 默认全市 / one district; default the city",
    ),
]


@handles_errors
def report(
    district: DistrictsOpt = None,
    as_of: AsOfOpt = "today",
    known_at: KnownAtOpt = None,
    all_enterprises: AllOpt = False,
    fmt: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format",
            metavar="格式",
            help="table markdown plain csv json html xlsx (默认 table, 或按 -o 扩展名) / format",
        ),
    ] = None,
    output: OutputOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """报告: 一个区县, 或全市 (每区县一行加合计) / The figures of a district or the city.

    示例 / Example: fugong report --district 沙湾 --as-of 2020-02-14 --format json
    """
    ledger_modules()
    from ..reports import TREND_DAYS, daily

    language = lang_of(lang)
    scope_name = one_district(district)
    day = parse_day(as_of, what="--as-of")
    moment = parse_known_at(known_at)
    chosen = chosen_format(fmt, output, EXTENSIONS)
    if chosen == "xlsx" and output is None:
        from .io import refuse_workbook_on_terminal

        refuse_workbook_on_terminal()
    # the HTML report draws the last 14 days: the same figures, over a window
    first = day - timedelta(days=TREND_DAYS - 1) if chosen == "html" else day

    def work(session):
        scope = scope_of(session, scope_name)
        days = daily(
            session=session,
            district=scope,
            first=first,
            last=day,
            known_at=moment,
            all_enterprises=all_enterprises,
        )
        if chosen == "xlsx":
            return days, _details(session, scope, day, moment, all_enterprises)
        return days, None

    days, details = read_for(db, output, work)
    if chosen == "xlsx":
        _workbook(days[-1], details, language, output)
        if output is not None:
            typer.echo(f"wrote {output}" if language == "en" else f"已写入 {output}", err=True)
        return
    text = _render(days, chosen, language, to_terminal=on_terminal(output))
    deliver(text, output, chosen, language)


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


def _render(days: list[dict], fmt: str, language: str, *, to_terminal: bool) -> str | None:
    from .. import render

    doc = days[-1]
    if fmt == "json":
        return render.json_text(doc)
    if fmt == "csv":
        return render.report_csv(doc, language)
    if fmt == "html":
        from ..htmlreport import report_html

        return report_html(doc, days, language)
    if fmt in ("markdown", "plain") or not to_terminal:
        # Off a terminal the table is plain aligned text (tabulate): never wrapped,
        # no escape codes, and no need to load rich for a script or a pipe.
        return render.report_text(doc, language, "markdown" if fmt == "markdown" else "plain")
    render.report_rich(doc, language, console())
    return None


def register(app: typer.Typer) -> None:
    app.command("report")(report)
