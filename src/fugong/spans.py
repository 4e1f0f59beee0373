"""The as-of rule of asof.py, answered for every day of a window at once.

A report needs each field's value as of the end of one day D; a trend needs it
for every day of a window [first, last].  Asking one day at a time costs a
report per day.  Instead, a field's history is read as *spans*: among the
visible events of one record that carry the field, the last one of its
business date holds its value from that date until the date of the record's
next such event.  The value as of the end of D is the span that contains D —
which is asof.latest's rule (the latest event dated <= D, same-day events in
recording order) — so one pass over the events serves every day.

Spans are clipped to the window: `start` is at least `first`, `stop` at most
the day after `last`, and spans that end before the window are left out;
events dated after `last` cannot change a day of the window and are not read
(fill_back adds an enterprise attribute's first value, wherever it is dated,
for the days before it: asof.latest's fallback).

A record's figures change only where one of its spans starts or stops, so the
figures are computed per *segment*: the points where anything about a record
changes, each holding until the next.  A query groups the segments by their
values and their (start, stop), and the caller spreads each group over the
days it covers.  A window of one day has one segment per record: the report.

Spans live in temporary tables of the read transaction (indexed by record and
start), dropped when their figures are counted; segments are subqueries of the
one query that counts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    Table,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
    union,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ClauseElement, ColumnElement, Executable, Select
from sqlalchemy.sql.visitors import InternalTraversal
from sqlmodel import Session

from .asof import FAR_FUTURE, View
from .models import EVENT_MODELS


@dataclass(frozen=True)
class Window:
    """The days first..last (both included), as known at `known_at` (naive UTC; None = now)."""

    first: date
    last: date
    known_at: datetime | None = None
    merges: View | None = None  # merges known at known_at, districts (asof.View)

    @property
    def stop(self) -> date:
        """The day after the window: where every open span ends."""
        return self.last + timedelta(days=1)

    @property
    def view(self) -> View:
        if self.merges is None:
            return View(self.last, self.known_at)
        # the hidden batches hold for the moment they were read at only
        hidden = self.merges.hidden if self.merges.known_at == self.known_at else None
        return replace(self.merges, as_of=self.last, known_at=self.known_at, hidden=hidden)

    @property
    def whole(self) -> bool:
        """Whether the window holds every date a ledger can hold (the read model's)."""
        return self.first == date.min and self.stop == FAR_FUTURE

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.length)]

    @property
    def length(self) -> int:
        return (self.last - self.first).days + 1

    def index(self, day: date) -> int:
        """Position of a day in the window, clipped to 0..length."""
        return min(max((day - self.first).days, 0), self.length)

    def first_literal(self) -> ColumnElement:
        return literal(self.first, Date())

    def stop_literal(self) -> ColumnElement:
        return literal(self.stop, Date())


def later(a, b) -> ColumnElement:
    """The later of two dates (portable: SQLite's max() and PostgreSQL's greatest() differ)."""
    return type_coerce(case((a > b, a), else_=b), Date())


def earlier(a, b) -> ColumnElement:
    return type_coerce(case((a < b, a), else_=b), Date())


def by_position(n: int) -> list[ColumnElement]:
    """GROUP BY the first n output columns: an expression with bound values (a CASE)
    would otherwise be written twice with two parameters, which PostgreSQL does not
    take for the same expression."""
    return [literal_column(str(i)) for i in range(1, n + 1)]


def containing(span, key, at) -> ColumnElement[bool]:
    """The join condition: `span` is the record `key`'s span that contains day `at`."""
    return and_(span.c.rid == key, span.c.start <= at, at < span.c.stop)


# --------------------------------------------------------------------------- spans


def span_query(
    kind: str,
    field: str,
    window: Window,
    *,
    clip: bool = True,
    fallback: bool = False,
) -> Select:
    """The spans of one field of a ledger's records: rid, value, dated, start, stop.

    `dated` is the business date of the event that set the value.  `clip=False`
    keeps spans whole (start = dated, stop NULL when open) for looking up a value
    as of a day before the window.  A fallback (the first value holding before its
    date too: asof.latest's) is added by fill_back, or, for a whole window, here
    (`fallback`): a record's earliest span starts on the window's first day.
    """
    model, owner = EVENT_MODELS[kind]
    rid = getattr(model, owner)
    column = getattr(model, field)
    ordered = {"partition_by": rid, "order_by": (model.business_date, model.id)}
    columns = [
        rid.label("rid"),
        column.label("value"),
        model.business_date.label("dated"),
        func.lead(model.business_date).over(**ordered).label("next"),
    ]
    if fallback:  # the record's earliest day: its span is the fallback's
        columns.append(func.first_value(model.business_date).over(**ordered).label("first_day"))
    events = (
        select(*columns)
        # events dated after the window cannot change a day of it (fill_back reads a
        # fallback's first value wherever it is dated)
        .where(
            column.is_not(None),
            model.business_date <= window.last,
            window.view.counts(model.batch_id),
            window.view.among(kind, rid),
        )
        .subquery(f"{kind}_{field}_events")
    )
    # an event followed by another of the same day holds for no day at all
    last_of_day = or_(events.c.next.is_(None), events.c.next > events.c.dated)
    if not clip:
        return select(
            events.c.rid,
            events.c.value,
            events.c.dated,
            events.c.dated.label("start"),
            events.c.next.label("stop"),
        ).where(last_of_day)
    first, stop = window.first_literal(), window.stop_literal()
    start = later(events.c.dated, first)
    if fallback:
        if not window.whole:
            raise ValueError("span_query(fallback=True) is for a whole window (see fill_back)")
        start = type_coerce(
            case((events.c.dated == events.c.first_day, first), else_=start), Date()
        )
    end = earlier(func.coalesce(events.c.next, stop), stop)
    return select(
        events.c.rid,
        events.c.value,
        events.c.dated,
        start.label("start"),
        end.label("stop"),
    ).where(last_of_day, start < end)


# --------------------------------------------------------------------------- temporary tables


class _CreateTempAs(Executable, ClauseElement):
    """CREATE TEMPORARY TABLE name AS SELECT …"""

    inherit_cache = True
    _traverse_internals = [
        ("name", InternalTraversal.dp_string),
        ("query", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, name: str, query: Select):
        self.name = name
        self.query = query


@compiles(_CreateTempAs)
def _create_temp_as(element: _CreateTempAs, compiler, **kw) -> str:
    return f'CREATE TEMPORARY TABLE "{element.name}" AS {compiler.process(element.query, **kw)}'


# PostgreSQL plans a temporary table it knows nothing about as if it were small:
# above this many rows, tell it what it holds
ANALYZE_FROM = 1000

# One definition per temporary table for the whole process: statements built on
# the same Table objects are compiled once (SQLAlchemy's statement cache).
_METADATA = MetaData()


def _temp(name: str, columns: Sequence[Column], index: Sequence[str]) -> Table:
    full = f"fugong_{name}"
    table = _METADATA.tables.get(full)
    if table is None:
        table = Table(full, _METADATA, *columns, prefixes=["TEMPORARY"])
        if index:
            Index(f"{full}_ix", *(table.c[c] for c in index))
    return table


def temp_table(
    session: Session,
    name: str,
    columns: Sequence[Column],
    query: Select,
    *,
    index: Sequence[str] = (),
) -> Table:
    """Materialise `query` into a temporary table of this transaction's connection
    (made again when a session reports twice)."""
    table = _temp(name, columns, index)
    conn = session.connection()
    conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table.name}"')
    # CREATE … AS SELECT: one statement to compile, none for DDL; the query's
    # columns are taken by the names of the definition's, in its order
    query = query.subquery(f"{name}_rows")
    rows = select(*(query.c[c.name] for c in table.columns))
    made = conn.execute(_CreateTempAs(table.name, rows))
    if index:
        names = ", ".join(f'"{c}"' for c in index)
        conn.exec_driver_sql(f'CREATE INDEX "{table.name}_ix" ON "{table.name}" ({names})')
    if conn.dialect.name == "postgresql" and made.rowcount > ANALYZE_FROM:
        # temporary tables are never analysed by autovacuum: give the planner row counts
        conn.exec_driver_sql(f'ANALYZE "{table.name}"')
    return table


def span_table(
    session: Session,
    name: str,
    value_type,
    query: Select,
    *,
    dated: bool = False,
    extra: Sequence[Column] = (),
) -> Table:
    """Spans (from span_query) as a temporary table: rid, value, start, stop, and
    `dated` (the day the value was set) only when asked for."""
    columns = [Column("rid", Integer), Column("value", value_type)]
    if dated:
        columns.append(Column("dated", Date))
    columns += [Column("start", Date), Column("stop", Date), *extra]
    return temp_table(session, name, columns, query, index=("rid", "start"))


def drop(session: Session, *tables) -> None:
    """Temporary tables no longer needed: their memory goes back before the next ones."""
    conn = session.connection()
    for table in tables:
        if isinstance(table, Table):
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table.name}"')


def segments(name: str, window: Window, points: Sequence[Select]):
    """Per key, the days where something changes and the next such day: key, start, stop.

    Each query of `points` gives (key, day) rows; days outside the window are
    ignored.  The first query must give every key there is (the others only add
    days).  A window of one day has one segment per key, the day itself: then
    the first query's keys are the segments.

    A subquery, not a temporary table: the one query that reads the segments scans
    them once, as the table it joins everything else to, so an index on them is
    never used (SQLite materialises the subquery itself, unindexed, with no table to
    write and index: with span_query's fallback, the whole fold about 6% faster).
    """
    first, stop = window.first_literal(), window.stop_literal()
    if window.length == 1:
        base = points[0].subquery(f"{name}_keys")
        return (
            select(base.c[0].label("key"), first.label("start"), stop.label("stop"))
            .where(base.c[1] < stop)
            .subquery(name)
        )
    every = union(*points).subquery(f"{name}_points")
    key, day = every.c[0], every.c[1]
    following = func.lead(day).over(partition_by=key, order_by=day)
    query = select(
        key.label("key"),
        type_coerce(day, Date()).label("start"),
        type_coerce(func.coalesce(following, stop), Date()).label("stop"),
    ).where(day >= first, day < stop)
    return query.subquery(name)


def fill_back(
    session: Session, table: Table, kind: str, field: str, window: Window, keys, since
) -> None:
    """Add asof.latest's fallback to a span table: a record whose first value is dated
    after a day it exists on holds that value on that day too.  (A whole window has it
    from span_query(fallback=True) instead.)

    `keys` is a column of record ids and `since` the first day each exists.  Only
    records with no span at max(since, first day of the window) need it; each is
    read through the index on (record, business date, id), so the cost is in how many
    they are (enterprises with entries dated before their registration).
    """
    model, owner = EVENT_MODELS[kind]
    rid = getattr(model, owner)
    column = getattr(model, field)
    first, stop = window.first_literal(), window.stop_literal()
    at = later(since, first)
    covered = (
        select(table.c.rid)
        .where(table.c.rid == keys, table.c.start <= at, at < table.c.stop)
        .exists()
    )
    wanted = temp_table(
        session,
        "w_unspanned",
        [Column("rid", Integer)],
        select(keys.label("rid")).where(~covered, at < stop),
    )
    if session.execute(select(wanted.c.rid).limit(1)).first() is None:
        drop(session, wanted)
        return  # the usual case: every record has a value dated by the days it exists
    ranked = (
        select(
            rid.label("rid"),
            column.label("value"),
            model.business_date.label("dated"),
            func.row_number()
            .over(partition_by=rid, order_by=(model.business_date, model.id.desc()))
            .label("rn"),
        )
        .join(wanted, wanted.c.rid == rid)
        .where(column.is_not(None), window.view.counts(model.batch_id))
        .subquery("earliest")
    )
    query = select(
        ranked.c.rid,
        ranked.c.value,
        ranked.c.dated,
        first.label("start"),
        earlier(ranked.c.dated, stop).label("stop"),
    ).where(ranked.c.rn == 1)
    fallback = query.subquery("fallback")
    query = select(*(fallback.c[c.name] for c in table.columns))
    session.connection().execute(table.insert().from_select([c.name for c in table.columns], query))
    drop(session, wanted)
