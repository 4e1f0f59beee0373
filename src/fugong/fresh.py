"""Rows that create their records, written set-based: the bulk of a first import.

A plans or enterprises sheet imported into a ledger that does not know its
enterprises yet: each row creates an enterprise (and its plan), and there is no
history to diff against.  Such rows are staged in a temporary table with one
executemany and become enterprises, plans and their events through a few
INSERT … SELECT statements — no Python object per record or event.

Everything else goes the general way (importer.Importer): a row naming an
enterprise the ledger knows, every row after the first that names the same
enterprise in the block, and a row the general rules would refuse (so that it
is refused with the general message).  The SQL below states, for an empty
history, exactly what Importer._plan_changes records;
tests/test_import_cli.py checks the two ways against each other for every
combination of the plan columns.
"""

from __future__ import annotations

from datetime import date
from operator import itemgetter
from typing import Any

from .db import executemany
from .ingest import RowBlock
from .layouts import COLUMNS
from .models import EVENT_FIELDS
from .vocab import ENTERPRISE_COLUMNS

STAGE = "fugong_import_stage"
PLAN_COLUMNS = tuple(c for c in COLUMNS["plans"] if c not in ENTERPRISE_COLUMNS)
# the columns whose value gives an enterprise a plan (Importer._plan decides by it too)
MAKES_PLAN = ("status", "planned_on", "inspection", "resumed_on", "returned")
_TYPES = {
    "above_scale": "BOOLEAN",
    "key_enterprise": "BOOLEAN",
    "employees": "INTEGER",
    "returned": "INTEGER",
    "planned_on": "DATE",
    "inspected_on": "DATE",
    "resumed_on": "DATE",
}
STAGED = ("name_key", *ENTERPRISE_COLUMNS, *PLAN_COLUMNS)


def fresh_rows(block: RowBlock, good: list[int], ledger: str, known, prefetched: bool) -> list[int]:
    """The rows of `good` that create their enterprise (and plan) and take the
    set-based way; `known(uscc, key, district)` says whether the ledger (as
    prefetched) has an enterprise a row names, `prefetched` whether it has any.

    A row counts only if no earlier row of the block names its USCC or its name
    and district, whichever way that row goes.
    """
    n = len(block)
    none = [None] * n
    usccs = block.columns.get("uscc", none)
    names = block.columns.get("name", none)
    districts = block.columns.get("district", none)
    keys = block.name_keys
    plans = ledger == "plans"
    status = block.columns.get("status", none)
    returned = block.columns.get("returned", none)
    resumed = block.columns.get("resumed_on", none)
    reason = block.columns.get("reason", none)
    if not prefetched and _all_fresh(block, good, usccs, names, districts):
        fresh = good
        if plans:  # rows the general way refuses go that way, to be refused there
            refused = set()
            for k in good:
                if returned[k] is not None and status[k] != "resumed" and resumed[k] is None:
                    refused.add(k)
                if status[k] == "excluded" and reason[k] is None:
                    refused.add(k)
            if refused:
                fresh = [k for k in good if k not in refused]
        return fresh
    seen_usccs: set[str] = set()
    seen_names: set[tuple[str | None, str | None]] = set()
    fresh = []
    for k in good:
        uscc, key, district = usccs[k], keys[k], districts[k]
        new = (
            names[k] is not None
            and district is not None
            and uscc not in seen_usccs
            and (key, district) not in seen_names
            and not known(uscc, key, district)
        )
        if uscc is not None:
            seen_usccs.add(uscc)
        seen_names.add((key, district))
        if not new:
            continue
        if plans:
            # rows the general way refuses go that way, to be refused there
            if returned[k] is not None and status[k] != "resumed" and resumed[k] is None:
                continue
            if status[k] == "excluded" and reason[k] is None:
                continue
        fresh.append(k)
    return fresh


def _all_fresh(block: RowBlock, good: list[int], usccs, names, districts) -> bool:
    """Whether every good row names its own new enterprise (the usual block of a
    first import), worked out with set sizes instead of row by row."""
    pick = itemgetter(*good) if len(good) > 1 else (lambda seq: (seq[good[0]],))
    picked_names, picked_districts = pick(names), pick(districts)
    if None in picked_names or None in picked_districts:
        return False
    codes = [u for u in pick(usccs) if u is not None]
    if len(set(codes)) != len(codes):
        return False
    return len(set(zip(pick(block.name_keys), picked_districts, strict=True))) == len(good)


class FreshWriter:
    """Stages fresh rows and writes them as records and events, block by block."""

    def __init__(self, conn, *, batch_id: int, default_date: date, ledger: str):
        self.conn = conn
        self.batch_id = batch_id
        self.default_date = default_date
        self.plans = ledger == "plans"
        self.mark = "?" if conn.dialect.name == "sqlite" else "%s"
        self.created = False

    def _create(self) -> None:
        columns = ", ".join(f'"{c}" {_TYPES.get(c, "VARCHAR")}' for c in STAGED)
        suffix = " ON COMMIT DROP" if self.conn.dialect.name == "postgresql" else ""
        self._run(f"DROP TABLE IF EXISTS {self._temporary()}.{STAGE}")
        self.conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {STAGE} ({self._serial()}, line INTEGER, "
            f"enterprise_id INTEGER, plan_id INTEGER, {columns}){suffix}"
        )
        self.created = True

    def _temporary(self) -> str:
        """The schema of temporary tables (so a DROP never reaches a real table)."""
        return "pg_temp" if self.conn.dialect.name == "postgresql" else "temp"

    def _serial(self) -> str:
        if self.conn.dialect.name == "postgresql":
            return "k SERIAL PRIMARY KEY"
        return "k INTEGER PRIMARY KEY"

    def write(self, block: RowBlock, rows: list[int], next_id: dict[str, int]) -> dict[str, int]:
        """Write the rows (indexes into the block); ids come from next_id, which
        is advanced.  Returns how many enterprises and plans were created."""
        if not rows:
            return {}
        if not self.created:
            self._create()
        pick = itemgetter(*rows) if len(rows) > 1 else (lambda seq: (seq[rows[0]],))
        n = len(rows)
        first = next_id["enterprise"]
        enterprise_ids = range(first, first + n)
        next_id["enterprise"] += n
        plan_ids: list[Any] = [None] * n
        if self.plans:
            makes = [pick(block.columns[c]) for c in MAKES_PLAN if c in block.columns]
            nothing = (None,) * len(makes)
            with_plan = [
                i for i, values in enumerate(zip(*makes, strict=True)) if values != nothing
            ]
            start = next_id["plan"]
            for offset, i in enumerate(with_plan):
                plan_ids[i] = start + offset
            next_id["plan"] += len(with_plan)
        # Only the sheet's own columns are bound (the others stay NULL), and k,
        # the row's order, is the rowid SQLite (or the sequence) gives it.
        present = [c for c in STAGED[1:] if c in block.columns]
        staged = [
            pick(block.lines),
            enterprise_ids,
            plan_ids,
            pick(block.name_keys),
            *(pick(block.columns[c]) for c in present),
        ]
        names = ", ".join(["line", "enterprise_id", "plan_id", "name_key", *present])
        marks = ", ".join([self.mark] * len(staged))
        executemany(
            self.conn,
            f"INSERT INTO {STAGE} ({names}) VALUES ({marks})",
            zip(*staged, strict=True),
        )
        self._insert_records()
        self._run(f"DELETE FROM {STAGE}")
        created = {"enterprises": n, "plans": sum(p is not None for p in plan_ids)}
        return {kind: count for kind, count in created.items() if count}

    def _run(self, sql: str, *params: Any) -> None:
        cursor = self.conn.connection.cursor()
        try:
            cursor.execute(sql.replace("?", self.mark), params)
        finally:
            cursor.close()

    def _insert_records(self) -> None:
        fields = EVENT_FIELDS["enterprise"]
        listed = ", ".join(f'"{f}"' for f in fields)
        self._run(
            f"INSERT INTO enterprise (id, name, name_key, district, uscc) "
            f"SELECT enterprise_id, name, name_key, district, uscc FROM {STAGE} ORDER BY k"
        )
        self._run(
            f"INSERT INTO enterprise_event (batch_id, enterprise_id, business_date, line, "
            f"action, {listed}) SELECT ?, enterprise_id, ?, line, 'import', {listed} "
            f"FROM {STAGE} ORDER BY k",
            self.batch_id,
            self.default_date,
        )
        if not self.plans:
            return
        self._run(
            f'INSERT INTO "plan" (id, enterprise_id) SELECT plan_id, enterprise_id '
            f"FROM {STAGE} WHERE plan_id IS NOT NULL ORDER BY k"
        )
        into = "INSERT INTO plan_event (batch_id, plan_id, business_date, line, action"
        # 1. the inspection, on its own date; a pass approves a plan the row gives
        #    no status (an empty history's status is None, which is approvable)
        self._run(
            f"{into}, inspection, status) SELECT ?, plan_id, COALESCE(inspected_on, ?), "
            "line, 'import', inspection, "
            "CASE WHEN inspection = 'passed' AND status IS NULL THEN 'approved' END "
            f"FROM {STAGE} WHERE plan_id IS NOT NULL AND inspection IS NOT NULL ORDER BY k",
            self.batch_id,
            self.default_date,
        )
        # 2. the resumption, on its own date, with the head count back at work
        self._run(
            f"{into}, status, returned) SELECT ?, plan_id, resumed_on, line, 'import', "
            f"'resumed', returned FROM {STAGE} "
            "WHERE plan_id IS NOT NULL AND resumed_on IS NOT NULL ORDER BY k",
            self.batch_id,
        )
        # 3. the rest on the import's date; a status of resumed with its own date
        #    was recorded in 2
        status = "CASE WHEN NOT (status = 'resumed' AND resumed_on IS NOT NULL) THEN status END"
        returned = "CASE WHEN status = 'resumed' AND resumed_on IS NULL THEN returned END"
        self._run(
            f"{into}, planned_on, reason, note, status, returned) "
            f"SELECT ?, plan_id, ?, line, 'import', planned_on, reason, note, "
            f"{status}, {returned} FROM {STAGE} WHERE plan_id IS NOT NULL AND "
            f"(planned_on IS NOT NULL OR reason IS NOT NULL OR note IS NOT NULL "
            f"OR ({status}) IS NOT NULL) ORDER BY k",
            self.batch_id,
            self.default_date,
        )

    def close(self) -> None:
        """After a successful import (a failed one rolls the table back with the rest)."""
        if self.created and self.conn.dialect.name == "sqlite":
            self._run(f"DROP TABLE IF EXISTS temp.{STAGE}")
