"""Rows that create their records, written set-based: the bulk of a first import.

A plans or enterprises sheet imported into a ledger that does not know its
enterprises yet: each row creates an enterprise (and its plan), and there is no
history to diff against.  Such rows are staged in a temporary table with one
executemany and become enterprises, their events and plans through a few
INSERT … SELECT statements; the plan events are what rules.plan_changes
decides for each row on an empty history, written with one executemany.

Only rows the rules allow go this way.  Everything else goes the general way
(importer.Importer), which refuses or records it: a row naming an enterprise
the ledger knows, every row after the first that names the same enterprise in
the block, a row whose name is held by another enterprise, and a row whose
plan the rules refuse (so that it is refused with the rule's own words).
tests/test_import_cli.py checks the two ways against each other for every
combination of the plan columns, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from . import rules
from .db import date_binder, executemany
from .ingest import RowBlock
from .models import EVENT_FIELDS
from .rules import PlanChange, Refusal
from .timeline import Timeline
from .vocab import ENTERPRISE_COLUMNS

if TYPE_CHECKING:
    from .importer import Importer
    from .unit import UnitOfWork

STAGE = "fugong_import_stage"
# the columns whose value gives an enterprise a plan
MAKES_PLAN = ("status", "planned_on", "inspection", "resumed_on", "returned")
_TYPES = {
    "above_scale": "BOOLEAN",
    "key_enterprise": "BOOLEAN",
    "employees": "INTEGER",
}
STAGED = ("name_key", *ENTERPRISE_COLUMNS)
_EMPTY = Timeline()
_REFUSED = rules.Decision()  # a marker: the rules refuse that change


def picker(indexes: list[int]):
    """A function giving the items of a sequence at `indexes` as a tuple (itemgetter's
    speed, and a 1-tuple for one index where itemgetter gives the item itself)."""
    if len(indexes) == 1:
        only = indexes[0]
        return lambda seq: (seq[only],)
    return itemgetter(*indexes)


def makes_plan(values: dict[str, Any]) -> bool:
    """Whether a plans row says anything of a plan (else: enterprise attributes only)."""
    return any(values.get(k) is not None for k in MAKES_PLAN)


def fresh_rows(block: RowBlock, good: list[int], layout: str, importer: Importer, prefetched: bool):
    """The rows of `good` that create their enterprise (and plan) and take the
    set-based way, as (row index, plan decision or None).

    A row counts only if no earlier row of the block names its USCC or its name
    and district, whichever way that row goes, the ledger (as prefetched) knows
    neither, and the rules allow its plan.
    """
    n = len(block)
    none = [None] * n
    usccs = block.columns.get("uscc", none)
    names = block.columns.get("name", none)
    districts = block.columns.get("district", none)
    keys = block.name_keys
    if not prefetched and _all_fresh(block, good, usccs, names, districts):
        candidates = good
    else:
        seen_usccs: set[str] = set()
        seen_names: set[tuple[str | None, str | None]] = set()
        candidates = []
        for k in good:
            uscc, key, district = usccs[k], keys[k], districts[k]
            new = (
                names[k] is not None
                and district is not None
                and uscc not in seen_usccs
                and (key, district) not in seen_names
                and not importer.known(uscc, key, district)
            )
            if uscc is not None:
                seen_usccs.add(uscc)
            seen_names.add((key, district))
            if new:
                candidates.append(k)
    if layout != "plans":
        return [(k, None, True) for k in candidates]
    return list(_plan_decisions(block, candidates, importer))


def _plan_decisions(block: RowBlock, rows: list[int], importer: Importer):
    """(row, its plan's decision, whether the row then restates its plan) for the
    rows whose plan the rules allow.

    The enterprise a fresh row creates records the row's attributes as given, as
    of the import's date, so the row restates it (memo.py may remember the row)
    when it also restates the plan the decision makes."""
    if not rows:
        return
    n = len(block)
    pick = picker(rows)
    # what each row says of its plan, in PlanChange's order after `on`
    said = zip(
        *(pick(block.columns.get(c, [None] * n)) for c in PlanChange._fields[1:]), strict=True
    )
    # On an empty history the outcome depends on what the row says alone, and a
    # sheet repeats the same few statuses and dates: each distinct one is decided
    # once (the decisions are only read from here on).
    decided: dict[tuple, tuple[rules.Decision | None, bool]] = {}
    for k, values in zip(rows, said, strict=True):
        try:
            decision, restates = decided[values]
        except KeyError:
            decision, restates = decided[values] = _decide(values, importer)
        if decision is not _REFUSED:  # else the general way refuses it, in the rule's words
            yield k, decision, restates


def _decide(values: tuple, importer: Importer) -> tuple[rules.Decision | None, bool]:
    """The outcome of a row that says `values` of a new plan (see _plan_decisions):
    no plan when it says nothing that makes one; _REFUSED when the rules refuse it."""
    change = PlanChange(importer.default_date, *values)
    if not makes_plan(change._asdict()):
        return None, True
    try:
        decision = rules.plan_changes(_EMPTY, change, today=importer.today, restating=True)
    except Refusal:
        return _REFUSED, False
    made = Timeline((on, i, values) for i, (on, values) in enumerate(decision.changes))
    return (decision if decision else None), not decision or rules.restates_plan(made, change)


def _all_fresh(block: RowBlock, good: list[int], usccs, names, districts) -> bool:
    """Whether every good row names its own new enterprise (the usual block of a
    first import), worked out with set sizes instead of row by row."""
    pick = picker(good)
    picked_names, picked_districts = pick(names), pick(districts)
    if None in picked_names or None in picked_districts:
        return False
    codes = [u for u in pick(usccs) if u is not None]
    if len(set(codes)) != len(codes):
        return False
    return len(set(zip(pick(block.name_keys), picked_districts, strict=True))) == len(good)


class FreshWriter:
    """Stages fresh rows and writes them as records and events, block by block."""

    def __init__(self, unit: UnitOfWork, *, importer: Importer):
        self.unit = unit
        self.importer = importer
        self.conn = unit.session.connection()
        self.bind_date = date_binder(self.conn)
        self.batch_id = unit.batch_id
        self.default_date = importer.default_date
        sqlite = self.conn.dialect.name == "sqlite"
        self.mark = "?" if sqlite else "%s"
        # SQLite: OR FAIL, not the default ABORT, for the statements that copy a block
        # from the stage: an ABORT statement keeps the pages it changes as they were
        # (to undo itself alone), in memory (temp_store), which for a block of names in
        # no particular order is most of the name and USCC indexes' pages it touches:
        # +45 MB on a shuffled 300k-row sheet.  A failure fails the whole import either
        # way (the unit rolls back), so undoing the statement alone is never needed.
        self.insert = "INSERT OR FAIL" if sqlite else "INSERT"
        self.created = False
        self.written: list[tuple[int, int, int | None]] = []  # (row, enterprise, plan)

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

    def write(self, block: RowBlock, rows: list[tuple[int, Any, bool]]) -> dict[str, int]:
        """Write the rows (block indexes with their plan decisions, as fresh_rows gives
        them); ids come from the importer's next_id, which is advanced.  Returns how
        many enterprises and plans were created; `written` says which ids each row got."""
        if not rows:
            return {}
        if not self.created:
            self._create()
        next_id = self.importer.next_id
        indexes = [k for k, *_rest in rows]
        pick = picker(indexes)
        n = len(indexes)
        first = next_id["enterprise"]
        enterprise_ids = range(first, first + n)
        next_id["enterprise"] += n
        plan_ids: list[Any] = [None] * n
        plan_events: list[tuple] = []
        fields = EVENT_FIELDS["plan"]
        lines = pick(block.lines)
        batch = self.batch_id
        # rows with the same decision share it (_plan_decisions): its events are
        # bound once, and each row adds its plan and line (keyed by id: `rows` holds
        # every decision for the whole loop, so no id is reused)
        tails: dict[int, list[tuple]] = {}
        for i, (_k, decision, _restates) in enumerate(rows):
            if decision is None:
                continue
            plan_ids[i] = pid = next_id["plan"]
            next_id["plan"] += 1
            tail = tails.get(id(decision))
            if tail is None:
                tail = tails[id(decision)] = self._bound_events(decision, fields)
            line = lines[i]
            plan_events += [(batch, pid, line, *event) for event in tail]
        # Only the sheet's own columns are bound (the others stay NULL), and k,
        # the row's order, is the rowid SQLite (or the sequence) gives it.
        present = [c for c in STAGED[1:] if c in block.columns]
        staged = [
            lines,
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
        if plan_events:
            columns = ", ".join(["batch_id", "plan_id", "line", "business_date", "action", *fields])
            executemany(
                self.conn,
                f"INSERT INTO plan_event ({columns}) VALUES "
                f"({', '.join([self.mark] * (5 + len(fields)))})",
                plan_events,
            )
        self._run(f"DELETE FROM {STAGE}")
        self.written = list(zip(indexes, enterprise_ids, plan_ids, strict=True))
        self.unit.counted(n + len(plan_events))
        created = {"enterprises": n, "plans": sum(p is not None for p in plan_ids)}
        return {kind: count for kind, count in created.items() if count}

    def _bound_events(self, decision: rules.Decision, fields: tuple[str, ...]) -> list[tuple]:
        """A decision's plan events as bound after (batch, plan, line): business date,
        action, then `fields`, dates as db.date_binder binds them."""
        bind = self.bind_date
        return [
            (
                bind(on),
                "import",
                *(bind(v) if type(v) is date else v for v in map(values.get, fields)),
            )
            for on, values in decision.changes
        ]

    def _run(self, sql: str, *params: Any) -> None:
        cursor = self.conn.connection.cursor()
        try:
            cursor.execute(sql.replace("?", self.mark), params)
        finally:
            cursor.close()

    def _insert_records(self) -> None:
        fields = ENTERPRISE_COLUMNS  # what a sheet row says of an enterprise
        listed = ", ".join(f'"{f}"' for f in fields)
        self._run(
            f"{self.insert} INTO enterprise (id, name, name_key, district, uscc) "
            f"SELECT enterprise_id, name, name_key, district, uscc FROM {STAGE} ORDER BY k"
        )
        # a new enterprise records the row's attributes as given (rules.new_enterprise
        # with no other enterprise holding its USCC or name: such rows go the general way)
        self._run(
            f"{self.insert} INTO enterprise_event (batch_id, enterprise_id, business_date, line, "
            f"action, {listed}) SELECT ?, enterprise_id, ?, line, 'import', {listed} "
            f"FROM {STAGE} ORDER BY k",
            self.batch_id,
            self.default_date,
        )
        self._run(
            f'{self.insert} INTO "plan" (id, enterprise_id) SELECT plan_id, enterprise_id '
            f"FROM {STAGE} WHERE plan_id IS NOT NULL ORDER BY k"
        )

    def close(self) -> None:
        """After a successful import (a failed one rolls the table back with the rest)."""
        if self.created and self.conn.dialect.name == "sqlite":
            self._run(f"DROP TABLE IF EXISTS temp.{STAGE}")
