"""fugong import | export — the sheets offices already keep, in and out."""

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from .common import ByOpt, DbOpt, LangOpt, handles_errors, lang_of, parse_day, warn


class Ledger(str, Enum):
    enterprises = "enterprises"
    plans = "plans"
    problems = "problems"
    labour = "labour"


class ExportFormat(str, Enum):
    csv = "csv"
    json = "json"


@handles_errors
def import_(
    ledger: Annotated[Ledger, typer.Argument(help="Which ledger the sheet is.")],
    file: Annotated[str, typer.Argument(help="A CSV file, or - for standard input.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and say what would change; write nothing.")
    ] = False,
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="Write the valid rows, skip the bad ones (exit 3)."),
    ] = False,
    rejects: Annotated[
        str | None, typer.Option("--rejects", help="With --skip-invalid: write the bad rows here.")
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="Override the detected encoding (utf-8, gb18030 …)."),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option("--date", help="Business date of rows without their own date; default today."),
    ] = None,
    by: ByOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Import a sheet (CSV) into a ledger: all rows or none, matching what is already there.

    Example: fugong import plans 沙湾复产台账.csv --date 2020-02-14 --dry-run
    """
    from ..db import open_ledger
    from ..errors import FugongError, SheetError
    from ..importer import import_sheet
    from ..ledger import current_user

    language = lang_of(lang)
    on = parse_day(date)
    if rejects and not skip_invalid:
        raise FugongError(
            "--rejects 需与 --skip-invalid 一起使用", "--rejects goes with --skip-invalid"
        )
    who = current_user(by)
    ledger_db = open_ledger(db)
    progress = _progress() if sys.stderr.isatty() else None

    def work(session):
        summary = import_sheet(
            session=session,
            ledger=ledger.value,
            source=file,
            by=who,
            default_date=on,
            encoding=encoding,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            rejects=rejects,
            lang=language,
            progress=progress,
        )
        if dry_run:
            session.rollback()
        return summary

    try:
        summary = ledger_db.write(work, bulk=True)
    except SheetError as exc:
        for error in exc.errors:
            typer.echo(str(error), err=True)
        count = len(exc.errors)
        warn(
            f"{count} error(s); nothing imported"
            if language == "en"
            else f"共 {count} 处错误; 未导入任何数据"
        )
        raise typer.Exit(1) from None
    for warning in summary.warnings:
        warn(("warning: " if language == "en" else "警告: ") + str(warning))
    if summary.skipped:
        for error in summary.errors:
            warn(str(error))
    warn(summary.text(language))
    if summary.skipped:
        raise typer.Exit(3)


def _progress():
    from rich.console import Console

    console = Console(stderr=True)

    def tick(count: int) -> None:
        console.print(f"… {count}", end="\r", highlight=False)

    return tick


@handles_errors
def export(
    ledger: Annotated[Ledger, typer.Argument(help="Which ledger to export.")],
    fmt: Annotated[
        ExportFormat | None, typer.Option("--format", help="csv (default) or json.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file.")
    ] = None,
    as_of: Annotated[str, typer.Option("--as-of", help="The ledger as of this day.")] = "today",
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Export a ledger in the layout `import` reads (CSV as UTF-8 with BOM for Excel).

    Example: fugong export plans -o plans.csv
    """
    from .. import render
    from ..asof import View
    from ..errors import FugongError
    from ..layouts import COLUMNS
    from ..listing import ROWS
    from .common import read

    language = lang_of(lang)
    day = parse_day(as_of, what="--as-of")
    chosen = (
        fmt.value if fmt else ("json" if output and output.suffix.lower() == ".json" else "csv")
    )
    rows = read(db, lambda session: ROWS[ledger.value](session=session, view=View(day)))
    columns = COLUMNS[ledger.value]
    to_text = render.json_rows if chosen == "json" else render.csv_text
    text = to_text(rows, columns)
    if output is None:
        if chosen == "csv":
            sys.stdout.write("\ufeff")
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8-sig" if chosen == "csv" else "utf-8")
    except OSError as exc:
        raise FugongError(
            f"无法写入 {output}: {exc.strerror}", f"cannot write {output}: {exc.strerror}"
        ) from None
    warn(
        f"wrote {len(rows)} rows to {output}"
        if language == "en"
        else f"已导出 {len(rows)} 行到 {output}"
    )


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("export")(export)
