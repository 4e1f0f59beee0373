"""One unit of work for every writer: commands, imports, undo, the sample.

SPEC "Clock and order": writers take their turn — one command or import at a
time writes to a ledger (SQLite: BEGIN IMMEDIATE; PostgreSQL: a
transaction-level advisory lock taken before anything is read) — and the
moment a batch is recorded is the moment it commits (on PostgreSQL the
server's clock), so ids follow recording order and `--known-at T` shows
exactly what the ledger held at T.  A unit that records nothing leaves no
batch.  Every event goes through `record` (or, for the bulk writes of an
import, is counted with `counted`), and the `Enterprise` cache (current
name, district, USCC, live) is refreshed from the history before commit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import inspect, select, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from . import clock
from .db import Ledger, is_busy
from .models import EVENT_FIELDS, EVENT_MODELS, Batch, Enterprise, EnterpriseEvent
from .rules import Decision
from .values import name_key

T = TypeVar("T")

# pg_advisory_xact_lock key of the ledger's writer turn ("fugong" in ASCII, folded)
WRITER_LOCK = 0x66_75_67_6F_6E_67
BUSY_RETRIES = 5
CACHED = ("name", "district", "uscc")
LIVE_TABLES = {"enterprise": "enterprise", "problem": "problem", "labour": "labour"}


def take_writer_turn(session: Session) -> None:
    """Wait for the ledger's one writer turn (SQLite took it with BEGIN IMMEDIATE)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK})")


class UnitOfWork:
    """One batch: who, from where; the events it records; its commit stamp."""

    def __init__(
        self,
        session: Session,
        *,
        kind: str,
        source: str,
        by: str,
        note: str | None = None,
        today: date | None = None,
    ):
        self.session = session
        self.today = today or clock.today()
        take_writer_turn(session)  # before the batch: ids in recording order
        self.batch = Batch(kind=kind, source=source, by=by, recorded_at=clock.now_utc(), note=note)
        session.add(self.batch)
        session.flush()
        self.recorded = 0
        self.keep = True  # False: roll everything back (a dry run)
        self._dirty: set[int] = set()  # enterprises whose cache the history changed

    @property
    def batch_id(self) -> int:
        return self.batch.id  # type: ignore[return-value]

    def record(
        self, kind: str, rid: int, decision: Decision, *, action: str, line: int | None = None
    ) -> None:
        """Insert the decided events of one record."""
        model, owner = EVENT_MODELS[kind]
        for on, values in decision.changes:
            event = model(batch_id=self.batch_id, business_date=on, action=action, line=line)
            setattr(event, owner, rid)
            for name, value in values.items():
                setattr(event, name, value)
            self.session.add(event)
            self.recorded += 1
            if kind == "enterprise" and not values.keys().isdisjoint((*CACHED, "merged_into")):
                self._dirty.add(rid)

    def counted(self, events: int, *, cache: Iterable[int] = ()) -> None:
        """Events a bulk writer inserted itself, and the enterprises whose name,
        district or USCC they changed."""
        self.recorded += events
        self._dirty.update(cache)

    def close(self) -> Batch | None:
        """Before commit: refresh the cache and the read model; drop an empty batch;
        stamp the commit."""
        self.session.flush()
        if self._dirty:
            refresh_enterprises(self.session, self._dirty)
            self.session.flush()
        if not self.recorded:
            self.session.delete(self.batch)
            self.session.flush()
            return None
        # the report's read model says what the history says now (before the stamp:
        # the batch is recorded at its commit, as close to it as can be)
        from .readmodel import refresh

        refresh(self.session, self.batch_id)
        stamp(self.session, self.batch)
        return self.batch


def stamp(session: Session, batch: Batch) -> None:
    """Date the batch (and what it undid) at its commit: the server's clock on
    PostgreSQL, this machine's on SQLite (one machine writes a SQLite file)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        moment = conn.execute(
            text(
                "UPDATE batch SET recorded_at = timezone('UTC', clock_timestamp()) "
                "WHERE id = :id RETURNING recorded_at"
            ),
            {"id": batch.id},
        ).scalar_one()
    else:
        moment = clock.now_utc()
        conn.execute(
            text("UPDATE batch SET recorded_at = :at WHERE id = :id"),
            {"at": moment, "id": batch.id},
        )
    conn.execute(
        text("UPDATE batch SET undone_at = :at WHERE undone_by = :id"),
        {"at": moment, "id": batch.id},
    )
    session.expire(batch)
    batch.recorded_at = moment


def write(
    ledger: Ledger,
    work: Callable[[UnitOfWork], T],
    *,
    kind: str,
    source: str,
    by: str,
    note: str | None = None,
    bulk: bool = False,
) -> tuple[T, Batch | None]:
    """Run `work` as one unit of work in one transaction; returns its result and the
    batch recorded (None when nothing was).  A busy database is retried a few
    times (never shown to the user): `work` must be able to run again, so its
    input must be readable again (an import spools stdin first)."""
    for attempt in range(BUSY_RETRIES):
        try:
            with ledger.session(bulk=bulk) as session:
                unit = UnitOfWork(session, kind=kind, source=source, by=by, note=note)
                result = work(unit)
                batch = unit.close() if unit.keep else None
                if not unit.keep:
                    session.rollback()
                return result, batch
        except OperationalError as exc:
            if not is_busy(exc) or attempt == BUSY_RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- the cache


def refresh_enterprises(session: Session, ids: Iterable[int]) -> None:
    """Make the Enterprise cache (name, name key, district, USCC, live, merged into) say
    what the history says now: one ordered pass over the events of those enterprises,
    one executemany to write it.  An enterprise merged into another is not live."""
    wanted = sorted(set(ids))
    event = EnterpriseEvent
    fields = (*CACHED, "merged_into")
    for start in range(0, len(wanted), 5000):
        part = wanted[start : start + 5000]
        rows = session.execute(
            select(event.enterprise_id, *(getattr(event, f) for f in fields))
            .join(Batch, Batch.id == event.batch_id)
            .where(event.enterprise_id.in_(part), Batch.undone_at.is_(None))
            .order_by(event.enterprise_id, event.business_date, event.id)
        )
        now: dict[int, dict[str, Any]] = {}
        for eid, *values in rows:
            state = now.setdefault(eid, {})
            for name, value in zip(fields, values, strict=True):
                if value is not None:
                    state[name] = value
        found = [
            {
                "id": eid,
                "name": state["name"],
                "key": name_key(state["name"]),
                "district": state["district"],
                "uscc": state.get("uscc"),
                "merged": state.get("merged_into"),
                "live": state.get("merged_into") is None,
            }
            for eid, state in now.items()
        ]
        # every entry undone: the row stays, out of the ledger
        gone = [{"id": eid} for eid in part if eid not in now]
        if len(found) > 1:
            # out of the ledger for a moment: where one takes the name (or USCC) another
            # gave up, or two swap, they never meet in the unique indexes of live ones
            session.execute(
                text("UPDATE enterprise SET live = false WHERE id = :id"),
                [{"id": row["id"]} for row in found],
            )
        if found:
            session.execute(
                text(
                    "UPDATE enterprise SET name = :name, name_key = :key, district = :district, "
                    "uscc = :uscc, merged_into = :merged, live = :live WHERE id = :id"
                ),
                found,
            )
        if gone:
            session.execute(
                text("UPDATE enterprise SET live = false, merged_into = NULL WHERE id = :id"), gone
            )
    # The ORM's copies of those rows are stale now: read them again (not only
    # expire them), so what a command says after its commit, its session closed,
    # is what it wrote (a backdated rename found by the old name says the new one).
    rewritten = set(wanted)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Enterprise) and inspect(obj).identity[0] in rewritten:
            session.refresh(obj)


def refresh_live(session: Session, batch_id: int) -> None:
    """After an undo: `live` of the problems and labour demands the batch wrote."""
    for table, (model, owner) in (
        ("problem", EVENT_MODELS["problem"]),
        ("labour", EVENT_MODELS["labour"]),
    ):
        events = model.__tablename__
        session.execute(
            text(
                f'UPDATE "{table}" SET live = EXISTS (SELECT 1 FROM {events} v '  # noqa: S608
                f'JOIN batch b ON b.id = v.batch_id WHERE v.{owner} = "{table}".id '
                f"AND b.undone_at IS NULL) WHERE id IN (SELECT {owner} FROM {events} "
                "WHERE batch_id = :batch)"
            ),
            {"batch": batch_id},
        )


def event_fields(kind: str) -> tuple[str, ...]:
    return EVENT_FIELDS[kind]
