"""`… list` for the four ledgers: rows as of a day, in a district, in a format."""

import typer

from .common import ListFormat, lang_of, parse_day, read, scope_codes

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


def show_list(ledger: str, *, db, district, as_of, fmt: ListFormat, lang) -> None:
    from .. import render
    from ..asof import View
    from ..listing import ROWS

    day = parse_day(as_of, what="--as-of")

    def work(session):
        return ROWS[ledger](
            session=session, view=View(day), district_codes=scope_codes(session, district)
        )

    rows = read(db, work)
    if fmt is ListFormat.json:
        typer.echo(render.json_rows(rows, columns_of(ledger)), nl=False)
    elif fmt is ListFormat.csv:
        typer.echo(render.csv_text(rows, columns_of(ledger)), nl=False)
    else:
        typer.echo(render.table(rows, TABLE_COLUMNS[ledger], lang_of(lang), ledger))
