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
        help="Ignore what was recorded after this moment (ISO 8601, a date, now, yesterday).",
    ),
]
AllOpt = Annotated[
    bool, typer.Option("--all-enterprises", help="Count every enterprise, not only 规上.")
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "-o",
        "--output",
        help="Write to this file; its extension picks the format: "
        ".csv .json .md .txt .html (.txt = plain).",
    ),
]


def chosen_format(fmt: Enum | None, output: Path | None, extensions: dict[str, str]) -> str:
    """--format, else what -o's extension names (`extensions`: this command's part of
    SPEC's list); any other extension is refused before anything is read or written."""
    from ..errors import FugongError

    if fmt is not None:
        return fmt.value
    if output is None:
        return "table"
    suffix = output.suffix.lower()
    chosen = extensions.get(suffix)
    if chosen == "xlsx":
        raise FugongError(
            f"-o {output}: Excel 工作簿 (.xlsx) 输出尚未提供; 请用 .csv 或 .html",
            f"-o {output}: Excel workbooks (.xlsx) are not written yet; use .csv or .html",
        )
    if chosen is None:
        names = " ".join(s for s, f in extensions.items() if f != "xlsx")
        what = f"'{suffix}'" if suffix else "(无)"
        raise FugongError(
            f"-o {output}: 不支持的文件扩展名 {what}; 可用: {names}, 或用 --format 指定格式",
            f"-o {output}: unknown file extension {suffix or '(none)'}; use one of {names} "
            "or name the format with --format",
        )
    return chosen


def read_for(db: str | None, output: Path | None, work: Callable[[Any], Any]) -> Any:
    """Open the ledger, refuse an -o that is the ledger itself, then run `work(session)`
    in one read transaction."""
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
    from ..ledger import resolve_district, the_city

    if district is not None:
        return resolve_district(session=session, text=district)
    return the_city(session=session)


@handles_errors
def report(
    district: Annotated[
        str | None,
        typer.Option(
            "--district", help="One district (name, short name or code); default the city."
        ),
    ] = None,
    as_of: AsOfOpt = "today",
    known_at: KnownAtOpt = None,
    all_enterprises: AllOpt = False,
    fmt: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format",
            help="table, markdown, plain, csv, json or html (default: table, "
            "or what -o's extension says).",
        ),
    ] = None,
    output: OutputOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Print the figures of a district, or of the city with a row per district.

    Example: fugong report --district 沙湾 --as-of 2020-02-14 --format json
    """
    from ..reports import TREND_DAYS, daily

    language = lang_of(lang)
    day = parse_day(as_of, what="--as-of")
    moment = parse_known_at(known_at)
    chosen = chosen_format(fmt, output, EXTENSIONS)
    # the HTML report draws the last 14 days: the same figures, over a window
    first = day - timedelta(days=TREND_DAYS - 1) if chosen == "html" else day

    def work(session):
        return daily(
            session=session,
            district=scope_of(session, district),
            first=first,
            last=day,
            known_at=moment,
            all_enterprises=all_enterprises,
        )

    days = read_for(db, output, work)
    text = _render(days, chosen, language, to_terminal=on_terminal(output))
    deliver(text, output, chosen, language)


def _render(days: list[dict], fmt: str, language: str, *, to_terminal: bool) -> str | None:
    from .. import render

    doc = days[-1]
    if fmt == "json":
        return render.json_text(doc)
    if fmt == "csv":
        return render.report_csv(doc)
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
