"""The read model: the rows a report counts (figures.py), as known now, kept by the writer.

A report folds the history at report time; on a city of 100k enterprises that fold
is most of its time, and no tuning of it fits in the time a report may take
(bench/bench_scale.py measures the fold of one field alone).  So the one writer keeps
the fold's result: the rows of every section of figures.py over all dates (a window
from MODEL_FIRST to MODEL_LAST), as the ledger knows them now, in the `rm_*` tables.
A report as known now (or at a moment after the newest batch and undo) reads them
and clips them to its days; a report `--known-at` an earlier moment folds the
history as before.

It is a cache, not history: made only by figures.section_rows from the history, by
the same code a report that folds the history runs, so a row here is the row that
fold would make.  Kept so:

- every batch (unit.UnitOfWork.close, before its commit, in its transaction) makes
  again the rows of the enterprises its events name, and of those its undo takes
  back, with the enterprises merged into or with them (a record counts for the
  enterprise it was merged into), CHUNK enterprises at a time (a first import of
  300k rows folds them all);
- `rm_state` holds the newest batch the model reflects; a report reads the model
  only when that is the ledger's newest batch and nothing was recorded or undone
  after the report's moment.  A model that does not reflect the ledger (just
  upgraded; written by a writer that did not keep it) is made whole by the next
  batch, and until then reports fold the history;
- `fugong check` makes the whole model again in its transaction and compares.

Each row depends only on the history of its own enterprise (and the enterprises
merged into it): that is what makes replacing some enterprises' rows exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy import Column, Integer, and_, false, func, or_, select, union
from sqlalchemy.sql import Select
from sqlmodel import Session

from . import figures
from .asof import FAR_FUTURE, View, with_merges
from .models import (
    READ_MODEL,
    READ_MODEL_STATE,
    Batch,
    Enterprise,
    EnterpriseEvent,
    Labour,
    LabourEvent,
    Plan,
    PlanEvent,
    Problem,
    ProblemEvent,
)
from .spans import Window, drop, earlier, later, temp_table

MODEL_FIRST = date.min
MODEL_LAST = FAR_FUTURE - timedelta(days=1)  # an open period stops at FAR_FUTURE
# Enterprises folded at a time: their temporary tables are in memory (db.py), and a
# first import of 300k rows folds them all (10k: its peak RSS about 120 MB).
CHUNK = 10_000
# The shape of the rows figures.section_rows makes of a history: one more whenever the
# same history would give other rows (figures unchanged), so that a model made by an
# older fugong is made again, not called wrong by `check` (rm_state.shape; 0007).
# 1: an enterprise's first attribute value holds from MODEL_FIRST (no segment starts
# where it is dated).  A bump alone makes the next batch rebuild the model (reports fold
# the history until then); with a migration, the catch-up after the upgrade rebuilds it
# as the ledger is opened.
MODEL_SHAPE = 1


# --------------------------------------------------------------------------- reading


def reflects(session: Session, moment: datetime) -> bool:
    """Whether the model holds the rows of the ledger as known at `moment` (naive UTC):
    it reflects the newest batch, and no batch was recorded or undone after `moment`."""
    seen = _seen(session)
    newest, recorded, undone = session.execute(
        select(func.max(Batch.id), func.max(Batch.recorded_at), func.max(Batch.undone_at))
    ).one()
    return seen == (newest or 0) and all(at is None or at <= moment for at in (recorded, undone))


def _seen(session: Session) -> int | None:
    """The batch the model reflects; None when its rows are of another shape."""
    state = READ_MODEL_STATE.c
    return session.execute(select(state.batch_seen).where(state.shape == MODEL_SHAPE)).scalar()


def read_rows(window: Window, codes: list[str]) -> Iterator[tuple[str, Select]]:
    """figures.section_rows over the window, for the districts `codes`, from the model:
    each period clipped to the window's days."""
    first, stop = window.first_literal(), window.stop_literal()
    for name in figures.SECTIONS:
        table = READ_MODEL[name]
        if name == "active":
            days = table.c.day.between(window.first, window.last)
            yield name, select(table).where(days, table.c.district.in_(codes))
            continue
        if window.length == 1:  # every period that holds the day, clipped, is the day
            period = []  # (reports.py counts rows without a period as the window's)
        else:
            period = [
                later(table.c.start, first).label("start"),
                earlier(table.c.stop, stop).label("stop"),
            ]
        columns = [*period, *(c for c in table.columns if c.name not in ("start", "stop"))]
        during = (table.c.start < stop, table.c.stop > first)
        yield name, select(*columns).where(*during, table.c.district.in_(codes))


# --------------------------------------------------------------------------- keeping


def refresh(session: Session, batch_id: int) -> None:
    """Before a batch commits: make again the rows of the enterprises it named (and
    undid), or the whole model when the model did not reflect the ledger before it (or
    it is the ledger's first batch); then mark the batch reflected."""
    seen = _seen(session)
    before = session.execute(select(func.max(Batch.id)).where(Batch.id != batch_id)).scalar()
    # the whole model too for the ledger's first batch: it named every enterprise there
    # is, and all of them go by ranges of ids instead of being gathered from its events
    # first (a first import of 300k rows: 0.7 s less)
    whole = before is None or seen != before
    build(session, None if whole else batch_id)
    _mark(session, batch_id)


def _mark(session: Session, batch_id: int) -> None:
    conn = session.connection()
    state = READ_MODEL_STATE
    mark = {"batch_seen": batch_id, "shape": MODEL_SHAPE}
    if not conn.execute(state.update().values(**mark)).rowcount:
        conn.execute(state.insert().values(id=1, **mark))


def catch_up(session: Session) -> None:
    """Make the whole model when it does not reflect the newest batch (a ledger just
    upgraded to hold it), in the writer's turn: a writer of another process making it
    whole at the same time would leave both their rows."""
    if _current(session):
        return
    from .unit import take_writer_turn

    take_writer_turn(session)
    if not _current(session):  # (unless another process made it while we waited)
        _make_whole(session)


def remake(session: Session) -> None:
    """The whole model made again from the history, in the writer's turn (check --repair)."""
    from .unit import take_writer_turn

    take_writer_turn(session)
    _make_whole(session)


def _make_whole(session: Session) -> None:
    build(session)
    _mark(session, session.execute(select(func.max(Batch.id))).scalar() or 0)


def build(session: Session, batch_id: int | None = None, *, into=None) -> None:
    """Make again from the history, as known now, the rows of the enterprises batch
    `batch_id` (and what it undid) named, or of every enterprise (None).  `into`
    (section -> a table like READ_MODEL's) writes elsewhere (check).

    The enterprises go by the one they count for, CHUNK of those at a time: the
    temporary tables of a fold stay small whatever the ledger's size (a first import
    of 300k rows folds 300k enterprises)."""
    tables = into or READ_MODEL
    conn = session.connection()
    view = with_merges(session, View(MODEL_LAST))
    temps = []
    if batch_id is None and not view.merged:  # each counts for itself: ranges of ids
        for table in tables.values():
            conn.execute(table.delete())
        high = session.execute(select(func.max(Enterprise.id))).scalar() or 0
        parts = [
            select(Enterprise.id.label("eid")).where(Enterprise.id.between(low, low + CHUNK - 1))
            for low in range(0, high + 1, CHUNK)
        ]
    else:
        every = _enterprises(session, view, batch_id)
        for table in tables.values():
            gone = table.delete()
            if batch_id is not None:
                gone = gone.where(table.c.eid.in_(select(every.c.eid)))
            conn.execute(gone)
        chunks = select(every.c.chunk).distinct().order_by(every.c.chunk)
        parts = [
            select(every.c.eid).where(every.c.chunk == n)
            for n in session.execute(chunks).scalars().all()
        ]
        temps.append(every)
    for part in parts:
        keys = temp_table(session, "rm_keys", [Column("eid", Integer)], part, index=("eid",))
        # read only their records (View.districts: a filter before the fold)
        narrowed = replace(view, districts=(), ever_in=keys)
        window = Window(MODEL_FIRST, MODEL_LAST, None, narrowed)
        for name, query in figures.section_rows(session, window, None):
            table = tables[name]
            rows = query.subquery(f"{name}_rows")
            names = [c.name for c in table.columns]
            conn.execute(table.insert().from_select(names, select(*(rows.c[n] for n in names))))
        drop(session, keys)
    drop(session, *temps)


def _enterprises(session: Session, view: View, batch_id: int | None):
    """The enterprises to make again (eid): those a batch named, the ones they count for
    and every one merged into those; or all.  `chunk` numbers them CHUNK of the ones
    they count for at a time, each with those merged into it."""
    owner = view.owner(Enterprise.id)
    rank = func.dense_rank().over(order_by=owner) - 1
    mine = select(Enterprise.id.label("eid"), (rank // CHUNK).label("chunk"))
    if batch_id is not None:
        named = _named(batch_id).subquery("named")
        # by the primary key, not a pass over every enterprise
        owners = select(view.owner(named.c.eid))
        counted = Enterprise.id.in_(owners)
        if view.merged:
            dups = Enterprise.id.in_([dup for dup, _keep in view.merged])
            counted = or_(counted, and_(dups, owner.in_(owners)))
        mine = mine.where(counted)
    columns = [Column("eid", Integer), Column("chunk", Integer)]
    return temp_table(session, "rm_every", columns, mine, index=("chunk",))


def _named(batch_id: int) -> Select:
    """The enterprises whose records a batch (and the batches it undid) wrote events of,
    and those a merge among them named (eid)."""
    batches = select(Batch.id).where(or_(Batch.id == batch_id, Batch.undone_by == batch_id))
    event = EnterpriseEvent
    parts = [
        select(event.enterprise_id.label("eid")).where(event.batch_id.in_(batches)),
        select(event.merged_into).where(
            event.batch_id.in_(batches), event.merged_into.is_not(None)
        ),
    ]
    for identity, model, owner in (
        (Plan, PlanEvent, "plan_id"),
        (Problem, ProblemEvent, "problem_id"),
        (Labour, LabourEvent, "labour_id"),
    ):
        parts.append(
            select(identity.enterprise_id)
            .join(model, getattr(model, owner) == identity.id)
            .where(model.batch_id.in_(batches))
        )
    return union(*parts)


# --------------------------------------------------------------------------- checking


def differences(session: Session) -> set[int]:
    """The enterprises whose rows in the model differ from what the history makes of
    them now (the whole model made again in temporary tables of this transaction and
    compared row by row, and by the rows' count per enterprise).  None differ when the
    model does not reflect the newest batch: reports then fold the history."""
    if not _current(session):
        return set()
    twins = {
        name: temp_table(
            session,
            f"check_{name}",
            [Column(c.name, c.type) for c in table.columns],
            select(table).where(false()),
        )
        for name, table in READ_MODEL.items()
    }
    build(session, into=twins)
    found: set[int] = set()
    for name, table in READ_MODEL.items():
        twin = twins[name]
        for one, other in ((table, twin), (twin, table)):
            rows = select(*one.columns).except_(select(*other.columns)).subquery("differ")
            found.update(session.execute(select(rows.c.eid).distinct()).scalars())
            counts = [
                select(t.c.eid, func.count().label("n")).group_by(t.c.eid) for t in (one, other)
            ]
            rows = counts[0].except_(counts[1]).subquery("counted")
            found.update(session.execute(select(rows.c.eid)).scalars())
    drop(session, *twins.values())
    return found


def _current(session: Session) -> bool:
    seen = _seen(session)
    return seen == (session.execute(select(func.max(Batch.id))).scalar() or 0)
