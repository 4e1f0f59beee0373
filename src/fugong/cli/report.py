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


EXTENSIONS = {".json": "json", ".csv": "csv", ".md": "markdown", ".txt": "plain"}


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
            help="table, markdown, plain, csv or json (default: table, "
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
    from ..errors import FugongError
    from ..registry import resolve_district, the_city
    from ..reports import report as build

    language = lang_of(lang)
    day = parse_day(as_of, what="--as-of")
    moment = parse_known_at(known_at)
    chosen = fmt.value if fmt else None
    if chosen is None and output is not None:
        chosen = EXTENSIONS.get(output.suffix.lower(), "plain")
    chosen = chosen or "table"

    def work(session):
        if district is not None:
            scope = resolve_district(session=session, text=district)
        else:
            scope = the_city(session=session)
        return build(
            session=session,
            district=scope,
            as_of=day,
            known_at=moment,
            all_enterprises=all_enterprises,
        )

    doc = read(db, work)
    text = _render(doc, chosen, language, to_terminal=output is None and sys.stdout.isatty())
    if output is None:
        if text is not None:
            typer.echo(text, nl=False)
        return
    encoding = "utf-8-sig" if chosen == "csv" else "utf-8"
    try:
        output.write_text(text, encoding=encoding)
    except OSError as exc:
        raise FugongError(
            f"无法写入 {output}: {exc.strerror}", f"cannot write {output}: {exc.strerror}"
        ) from None
    typer.echo(f"wrote {output}" if language == "en" else f"已写入 {output}", err=True)


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
