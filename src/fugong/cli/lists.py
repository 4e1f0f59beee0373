"""`… list` for the four ledgers: rows as of a day, in a district, in a format."""

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from .common import (
    lang_of,
    ledger_file,
    output_format,
    parse_day,
    parse_option,
    read,
    scope_codes,
    screen_width,
    warn,
)

# What the table shows (the CSV and JSON carry every column).
TABLE_COLUMNS = {
    "enterprises": ["id", "uscc", "name", "district", "sector", "above_scale", "employees"],
    "plans": [
        "id",
        "name",
        "district",
        "status",
        "planned_on",
        "inspection",
        "resumed_on",
        "returned",
    ],
    "problems": [
        "id",
        "name",
        "district",
        "category",
        "description",
        "department",
        "deadline",
        "status",
        "overdue",
    ],
    "labour": ["id", "name", "district", "job_type", "needed", "filled", "gap"],
}
COMPUTED = {"problems": ["overdue"], "labour": ["gap"]}


def columns_of(ledger: str) -> list[str]:
    from ..layouts import COLUMNS

    return ["id", *COLUMNS[ledger], *COMPUTED.get(ledger, [])]


LIST_FORMATS = {".csv": "csv", ".json": "json", ".xlsx": "xlsx", ".txt": "table"}

SearchOpt = Annotated[
    str | None,
    typer.Option(
        "--search", metavar="文字", help="名称或统一社会信用代码中含有 / part of a name or USCC"
    ),
]
SortOpt = Annotated[
    str | None,
    typer.Option(
        "--sort",
        metavar="列",
        help="按此列排序, 前加 - 为降序 (如 -gap) / sort by a column, -column descending",
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "-o", "--output", metavar="文件", help="写到文件 (.csv .json .xlsx .txt) / write to a file"
    ),
]
AboveScaleOpt = Annotated[
    bool | None,
    typer.Option(
        "--above-scale/--not-above-scale", metavar="", help="只列规上 / 非规上企业 / above scale"
    ),
]


class ListFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


ListFormatOpt = Annotated[
    ListFormat | None,
    typer.Option(
        "--format", metavar="格式", help="table | csv | json | xlsx (默认 table 或按 -o 扩展名)"
    ),
]


def status_filter(text: str | None, layout: str) -> str | None:
    """--status as typed (Chinese or English) -> the status key of the ledger."""
    from ..values import parse_term
    from ..vocab import PLAN_STATUS, PROBLEM_STATUS

    vocab = PLAN_STATUS if layout == "plans" else PROBLEM_STATUS
    return parse_option(lambda t: parse_term(vocab, t), text, "--status")


def show_list(
    ledger: str,
    *,
    db,
    district,
    as_of,
    fmt: ListFormat | None,
    lang,
    filters=None,
    output: Path | None = None,
) -> None:
    """Rows of a ledger as of a day, kept and sorted by the filters, in a format."""
    from .. import render
    from ..asof import View
    from ..errors import FugongError
    from ..listing import ROWS, Filters, select_rows
    from ..output import atomic_file, check_target

    language = lang_of(lang)
    filters = filters or Filters()
    chosen = output_format(output, fmt, LIST_FORMATS, default="table")
    if chosen not in ("table", "csv", "json", "xlsx"):
        raise FugongError(
            f"--format {chosen}: 可用 table csv json xlsx",
            f"--format {chosen}: table csv json xlsx",
        )
    if output is not None:
        check_target(output, ledger_file=ledger_file(db))
    columns = columns_of(ledger)
    if filters.sort and filters.sort.lstrip("-") not in columns:
        raise FugongError(
            f"--sort {filters.sort}: 没有这一列; 可用: {' '.join(columns)}",
            f"--sort {filters.sort}: no such column; choose: {' '.join(columns)}",
        )
    day = parse_day(as_of, what="--as-of")

    def work(session):
        rows = ROWS[ledger](
            session=session, view=View(day), district_codes=scope_codes(session, district)
        )
        return select_rows(rows, filters)

    rows = read(db, work)
    if chosen == "xlsx":
        from ..workbook_out import Column, Table, column_kind, workbook_to, write_workbook

        headers = [render.label(c, language) for c in columns]
        table = Table(
            ledger,
            [Column(h, column_kind(c)) for h, c in zip(headers, columns, strict=True)],
            ([row.get(c) for c in columns] for row in rows),
        )
        if output is None:
            from .io import refuse_workbook_on_terminal

            refuse_workbook_on_terminal()
            workbook_to(sys.stdout.buffer, [table])
        else:
            write_workbook(output, [table])
            count = table.written
            warn(
                f"wrote {count} rows to {output}"
                if language == "en"
                else f"已写入 {count} 行到 {output}"
            )
        return
    if chosen == "json":
        text = render.json_rows(rows, columns)
    elif chosen == "csv":
        text = render.csv_text(rows, columns)
    else:
        shown = columns if output is not None else TABLE_COLUMNS[ledger]
        width = screen_width() if output is None else None
        text = render.table(rows, shown, language, ledger, width=width) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    with atomic_file(output, "w", encoding="utf-8-sig" if chosen == "csv" else "utf-8") as out:
        out.write(text)
    warn(
        f"wrote {len(rows)} rows to {output}"
        if language == "en"
        else f"已写入 {len(rows)} 行到 {output}"
    )
