"""fugong trend — the report's figures day by day."""

from datetime import timedelta
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from .common import (
    DbOpt,
    LangOpt,
    handles_errors,
    lang_of,
    ledger_modules,
    parse_day,
    parse_known_at,
)
from .report import (
    AllOpt,
    DistrictsOpt,
    KnownAtOpt,
    chosen_format,
    console,
    deliver,
    on_terminal,
    one_district,
    read_for,
    scope_of,
)


class TrendFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    html = "html"
    xlsx = "xlsx"


# -o's extension: a .txt file holds the table as plain text; a trend has no markdown
EXTENSIONS = {".csv": "csv", ".json": "json", ".txt": "table", ".html": "html", ".xlsx": "xlsx"}
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "-o",
        "--output",
        metavar="文件",
        help="写到文件, 扩展名定格式: .csv .json .txt .html .xlsx / write to a file",
    ),
]


@handles_errors
def trend(
    district: DistrictsOpt = None,
    first: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="日期",
            help="第一天 (默认 --to 之前 13 天) / first day (default: 13 days before --to)",
            show_default=False,
        ),
    ] = None,
    last: Annotated[
        str,
        typer.Option("--to", metavar="日期", help="最后一天 (日期、today、yesterday) / last day"),
    ] = "today",
    known_at: KnownAtOpt = None,
    all_enterprises: AllOpt = False,
    fmt: Annotated[
        TrendFormat | None,
        typer.Option(
            "--format",
            metavar="格式",
            help="table csv json html xlsx (默认 table, 或按 -o 扩展名) / format",
        ),
    ] = None,
    output: OutputOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """逐日数字: 每天一行, 与当天的 report 相同 / The figures day by day.

    示例 / Example: fugong trend --district 沙湾 --from 2020-02-01 --to 2020-02-14
    """
    ledger_modules()
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
    scope_name = one_district(district)
    if chosen == "xlsx" and output is None:
        from .io import refuse_workbook_on_terminal

        refuse_workbook_on_terminal()

    def work(session):
        return build(
            session=session,
            district=scope_of(session, scope_name),
            first=from_day,
            last=to_day,
            known_at=moment,
            all_enterprises=all_enterprises,
        )

    doc = read_for(db, output, work)
    if chosen == "xlsx":
        _workbook(doc, language, output)
        return
    text = _render(doc, chosen, language, to_terminal=on_terminal(output))
    deliver(text, output, chosen, language)


def _workbook(doc: dict, language: str, output: Path | None) -> None:
    """The trend as a workbook: the title block, a row per day."""
    import sys

    from .. import __version__
    from ..workbook_out import trend_tables, workbook_to, write_workbook

    tables = trend_tables(doc, language, version=__version__)
    if output is None:
        workbook_to(sys.stdout.buffer, tables)
    else:
        write_workbook(output, tables)
        typer.echo(f"wrote {output}" if language == "en" else f"已写入 {output}", err=True)


def _render(doc: dict, fmt: str, language: str, *, to_terminal: bool) -> str | None:
    from .. import render

    if fmt == "json":
        return render.trend_json(doc)
    if fmt == "csv":
        return render.trend_csv(doc, language)
    if fmt == "html":
        from ..htmlreport import trend_html

        return trend_html(doc, language)
    if not to_terminal:
        return render.trend_text(doc, language)
    render.trend_rich(doc, language, console())
    return None


def register(app: typer.Typer) -> None:
    app.command("trend")(trend)
