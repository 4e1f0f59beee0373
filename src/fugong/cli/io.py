"""fugong import | export — the sheets offices already keep, in and out."""

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from .common import (
    ByOpt,
    DbOpt,
    DistrictOpt,
    LangOpt,
    business_day,
    handles_errors,
    lang_of,
    ledger_file,
    output_format,
    parse_day,
    warn,
)


class Layout(str, Enum):
    enterprises = "enterprises"
    plans = "plans"
    problems = "problems"
    labour = "labour"


class ExportFormat(str, Enum):
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


EXPORT_EXTENSIONS = {".csv": "csv", ".json": "json", ".xlsx": "xlsx"}


@handles_errors
def import_(
    layout: Annotated[
        Layout,
        typer.Argument(
            metavar="LEDGER",
            help="台账 / ledger: enterprises plans problems labour",
        ),
    ],
    file: Annotated[
        str,
        typer.Argument(
            metavar="文件",
            help="CSV 文件或 Excel 工作簿 (.xlsx .xls); - 表示从标准输入读 CSV / "
            "a CSV file, a workbook, or -",
        ),
    ],
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            metavar="",
            help="只检查并说明会有哪些变化, 不写入 / validate only, write nothing",
        ),
    ] = False,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            metavar="",
            help="写入正确的行, 跳过错误的行 (退出码 3) / skip bad rows",
        ),
    ] = False,
    rejects: Annotated[
        str | None,
        typer.Option(
            "--rejects",
            metavar="文件",
            help="与 --skip-invalid 同用: 错误行写到此文件 (.csv 或 .xlsx) / "
            "where to write the bad rows",
        ),
    ] = None,
    sheet_name: Annotated[
        str | None,
        typer.Option(
            "--sheet",
            metavar="工作表",
            help="读哪个工作表: 名称或序号 (默认第一个有企业列的表) / the workbook's sheet",
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding",
            metavar="编码",
            help="指定编码 (utf-8、gb18030 …), 默认自动识别 / the encoding",
        ),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            metavar="日期",
            help="没有自带日期的行的业务日期 (默认今天) / business date of rows without their own",
        ),
    ] = None,
    by: ByOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """导入表格 (CSV 或工作簿) 到台账: 全部导入或全不导入, 与已有记录对照 /
    Import a sheet (CSV or workbook): all rows or none.

    示例 / Example: fugong import plans 沙湾复产台账.xlsx --date 2020-02-14 --dry-run
    """
    from ..db import open_ledger
    from ..errors import FugongError, SheetError
    from ..importer import import_sheet
    from ..ingest import SheetFile, open_sheet
    from ..output import check_target
    from ..registry import county_resolver
    from ..rejects import RejectsWriter
    from ..unit import write
    from ..writer import current_user

    language = lang_of(lang)
    on = business_day(date)
    if rejects and not skip_invalid:
        raise FugongError(
            "--rejects 需与 --skip-invalid 一起使用", "--rejects goes with --skip-invalid"
        )
    who = current_user(by)
    ledger_db = open_ledger(db)
    if rejects:
        check_target(rejects, ledger_file=ledger_db.file, inputs=[file], what="--rejects")
    if file != "-" and ledger_db.file is not None:
        from ..output import same_file

        if same_file(file, ledger_db.file):
            raise FugongError(
                f"{file}: 这是账本文件本身, 不是表格", f"{file}: that is the ledger, not a sheet"
            )
    spooled = _spool_stdin() if file == "-" else None
    progress = _progress() if sys.stderr.isatty() else None
    written: list[RejectsWriter] = []

    def work(unit):
        if spooled is not None:
            spooled.seek(0)
        sheet = open_sheet(
            SheetFile(file, sheet=sheet_name),
            layout.value,
            encoding=encoding,
            resolve_district=county_resolver(unit.session),
            stdin=spooled,
            lang=language,
        )
        unit.batch.source = sheet.file  # a workbook's sheet: FILE[SHEET]
        with sheet:
            writer = RejectsWriter(rejects, sheet.header) if (skip_invalid and rejects) else None
            try:
                summary = import_sheet(
                    unit=unit,
                    sheet=sheet,
                    default_date=on,
                    skip_invalid=skip_invalid,
                    rejects=writer.add if writer is not None else None,
                    lang=language,
                    progress=progress,
                )
                summary.dry_run = dry_run
                if dry_run:
                    unit.keep = False
                elif writer is not None and writer.commit():
                    written.append(writer)  # removed again if the import does not land
            finally:
                if writer is not None:
                    writer.close()
        return summary

    source = "<stdin>" if file == "-" else file
    try:
        summary, batch = write(
            ledger_db, work, kind="import", source=source, by=who, note=layout.value, bulk=True
        )
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
    except BaseException:
        if written and rejects:
            Path(rejects).unlink(missing_ok=True)
        raise
    finally:
        ledger_db.engine.dispose()
    summary.batch_id = batch.id if batch is not None else None
    for warning in summary.warnings:
        warn(("warning: " if language == "en" else "警告: ") + str(warning))
    if summary.skipped:
        for error in summary.errors:
            warn(str(error))
    warn(summary.text(language))
    if summary.skipped:
        raise typer.Exit(3)


def _spool_stdin():
    """Standard input read once into a spooled file (memory, then disk), so that a
    retried import reads the same sheet again."""
    import shutil
    import tempfile

    spooled = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    try:
        stream = sys.stdin.buffer
    except (AttributeError, ValueError):
        stream = None
    if stream is None or sys.stdin.closed:
        from ..errors import FugongError

        raise FugongError("没有标准输入可读 (stdin 已关闭)", "no standard input to read (closed)")
    try:
        shutil.copyfileobj(stream, spooled)
    except (OSError, ValueError) as exc:
        from ..errors import FugongError

        raise FugongError(
            f"无法读取标准输入: {exc}", f"cannot read standard input: {exc}"
        ) from None
    return spooled


def _progress():
    from rich.console import Console

    console = Console(stderr=True)

    def tick(count: int) -> None:
        console.print(f"… {count}", end="\r", highlight=False)

    return tick


@handles_errors
def export(
    layout: Annotated[
        Layout,
        typer.Argument(metavar="LEDGER", help="台账 / ledger: enterprises plans problems labour"),
    ],
    fmt: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format", metavar="格式", help="csv (默认) | json | xlsx, 或按 -o 的扩展名 / format"
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="文件",
            help="写到此文件 (.csv .json .xlsx) / write to this file",
        ),
    ] = None,
    as_of: Annotated[
        str, typer.Option("--as-of", metavar="日期", help="截至这一天 / as of this day")
    ] = "today",
    district: DistrictOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """按导入的格式导出台账: CSV (UTF-8 带 BOM)、JSON 或工作簿 /
    Export a ledger in the import layout.

    A workbook has the English column names, or with --lang zh the Chinese ones
    (and Chinese words for the values); import reads both back.

    示例 / Example: fugong export plans -o plans.xlsx --lang zh
    """
    from .. import render
    from ..asof import View
    from ..layouts import COLUMNS
    from ..listing import ITER_ROWS
    from ..output import atomic_file, check_target
    from .common import read, scope_codes

    language = lang_of(lang)
    chosen = output_format(output, fmt.value if fmt else None, EXPORT_EXTENSIONS, default="csv")
    if output is not None:
        check_target(output, ledger_file=ledger_file(db))
    elif chosen == "xlsx":
        refuse_workbook_on_terminal()
    day = parse_day(as_of, what="--as-of")
    columns = COLUMNS[layout.value]
    counted = [0]

    def counting(rows):
        for row in rows:
            counted[0] += 1
            yield row

    def work(session):
        codes = scope_codes(session, district)
        rows = counting(
            ITER_ROWS[layout.value](session=session, view=View(day), district_codes=codes)
        )
        if chosen == "xlsx":
            from ..workbook_out import export_table, workbook_to, write_workbook

            # --lang zh asks for Chinese headers; without it the layout's English names
            table = export_table(layout.value, rows, chinese=lang is not None and language == "zh")
            if output is None:
                workbook_to(sys.stdout.buffer, [table])
            else:
                write_workbook(output, [table])
        elif chosen == "json":
            text = render.json_rows(list(rows), columns)
            if output is None:
                typer.echo(text, nl=False)
            else:
                with atomic_file(output, "w", encoding="utf-8") as handle:
                    handle.write(text)
        elif output is None:
            sys.stdout.write("\ufeff")
            render.write_csv(rows, columns, sys.stdout)
            sys.stdout.flush()
        else:
            with atomic_file(output, "w", encoding="utf-8-sig", newline="") as handle:
                render.write_csv(rows, columns, handle)

    read(db, work)
    if output is not None:
        warn(
            f"wrote {counted[0]} rows to {output}"
            if language == "en"
            else f"已导出 {counted[0]} 行到 {output}"
        )


def refuse_workbook_on_terminal() -> None:
    """A workbook is binary: written to a pipe or a file, never onto a terminal."""
    from ..errors import FugongError

    if sys.stdout.isatty():
        raise FugongError(
            "不能把 Excel 工作簿输出到终端；请用 -o FILE.xlsx，或重定向到文件（> FILE.xlsx）",
            "will not write an Excel workbook to a terminal; use -o FILE.xlsx or redirect "
            "(> FILE.xlsx)",
        )


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("export")(export)
