"""A second floor: writing exactly what fugong's import wrote, without reading the sheet.

Copies the records and events of a ledger that `fugong import` filled (rows
read first, not timed) into a new empty ledger with one executemany per
table in one transaction, with the pragmas fugong uses, and prints the
seconds the writing and the commit took.  It is what the event model costs
to write (about four indexed rows per sheet row where the plain floor writes
one unindexed row): the part of an import no parsing or validation can save.

With --native, the rows are copied by the database itself (ATTACH and one
`INSERT … SELECT` per table): what the storage design costs to write, with no
Python between the rows (issue 18's composite floor: raw floor + this).

Usage: python bench/schema_floor.py [--native] FILLED.db EMPTY.db
"""

import sqlite3
import sys
import time

# what the import leaves: the records and events, the sheet memo, and the report's read
# model (rm_state, one row, is there in the empty ledger already)
TABLES = (
    "batch",
    "enterprise",
    "enterprise_event",
    "plan",
    "plan_event",
    "sheet_memo",
    "rm_plan",
    "rm_problem",
    "rm_labour",
    "rm_employer",
    "rm_active",
)


# as fugong does (src/fugong/db.py): bind None and bool without the adapter search
sqlite3.register_adapter(type(None), lambda _none: None)
sqlite3.register_adapter(bool, int)


def main() -> None:
    native = "--native" in sys.argv
    filled, empty = [a for a in sys.argv[1:] if a != "--native"]
    rows = {}
    if not native:
        source = sqlite3.connect(filled)
        rows = {t: source.execute(f'SELECT * FROM "{t}"').fetchall() for t in TABLES}
        source.close()
    conn = sqlite3.connect(empty, isolation_level=None)
    for pragma in (
        "journal_mode = WAL",
        "synchronous = NORMAL",
        "cache_size = -16384",
        "foreign_keys = OFF",
    ):
        conn.execute(f"PRAGMA {pragma}")
    if native:
        conn.execute("ATTACH DATABASE ? AS filled", (filled,))
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    for table in TABLES:
        if native:
            conn.execute(f'INSERT INTO main."{table}" SELECT * FROM filled."{table}"')  # noqa: S608
        elif rows[table]:
            marks = ", ".join("?" * len(rows[table][0]))
            conn.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows[table])
    conn.execute("COMMIT")
    conn.close()  # the checkpoint, as when fugong's process ends
    print(f"{time.perf_counter() - start:.3f}")


if __name__ == "__main__":
    main()
