"""Taking a batch back: recorded as a new batch, set-based, for a batch of any size.

An undo marks its target as undone by the undo batch (stamped at the undo's
commit, unit.stamp); the target's events stay in the history, so `--known-at`
a moment before the undo still shows them.  The work is a handful of SQL
statements whatever the size of the batch (a 300k-row import included): no id
list travels between Python and the database.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from .errors import FugongError
from .models import EVENT_MODELS, Batch
from .unit import UnitOfWork, refresh_enterprises, refresh_live

OWNERS = {"plan": "plan", "problem": "problem", "labour": "labour"}


def undo_batch(unit: UnitOfWork, batch_id: int) -> Batch:
    """Take a batch back: mark it undone by this unit's batch."""
    session = unit.session
    target = session.get(Batch, batch_id) if batch_id < 2**31 else None
    if target is None:
        raise FugongError(f"未知批次 {batch_id}", f"unknown batch {batch_id}")
    if target.kind == "undo":
        raise FugongError(f"批次 {batch_id} 本身是撤销操作", f"batch {batch_id} is itself an undo")
    if target.undone_by is not None:
        raise FugongError(
            f"批次 {batch_id} 已由批次 {target.undone_by} 撤销",
            f"batch {batch_id} was already undone by batch {target.undone_by}",
        )
    dependants = _dependants(session, batch_id)
    if dependants:
        listing = ", ".join(str(b) for b in dependants)
        raise FugongError(
            f"批次 {batch_id} 新建的记录后来又被批次 {listing} 修改或并入; 请先撤销那些批次",
            f"records created by batch {batch_id} were changed or merged into later by "
            f"batch(es) {listing}; undo those first",
        )
    # undone_at is the undo's own commit moment (unit.stamp sets it)
    target.undone_at = unit.batch.recorded_at
    target.undone_by = unit.batch_id
    session.add(target)
    session.flush()
    try:
        _refresh(session, batch_id)
        session.flush()
    except IntegrityError:
        raise FugongError(
            f"撤销批次 {batch_id} 会让两家在账企业同名或共用统一社会信用代码; 请先改名或合并",
            f"undoing batch {batch_id} would give two live enterprises one name or one USCC; "
            "rename or merge first",
        ) from None
    unit.counted(1)  # the undo is itself the fact recorded (it has no events)
    return target


def _rows(session: Session, sql: str, batch: int) -> list:
    return list(session.execute(text(sql), {"batch": batch}).scalars())


def _dependants(session: Session, batch: int) -> list[int]:
    """Live batches that wrote on records this batch created or merged an enterprise
    into one it created (they would be left pointing at nothing), and later fills that
    count this batch's fill."""
    found: set[int] = set()
    for kind, (model, owner) in EVENT_MODELS.items():
        events = model.__tablename__
        # the records whose first visible event is this batch's
        created = (
            f"SELECT v.{owner} FROM {events} v JOIN batch b ON b.id = v.batch_id "  # noqa: S608
            f"WHERE b.undone_at IS NULL AND v.{owner} IN "
            f"(SELECT {owner} FROM {events} WHERE batch_id = :batch) "
            f"GROUP BY v.{owner} HAVING min(v.batch_id) = :batch"
        )
        found.update(
            _rows(
                session,
                f"SELECT DISTINCT v.batch_id FROM {events} v JOIN batch b ON b.id = v.batch_id "  # noqa: S608
                f"WHERE b.undone_at IS NULL AND v.batch_id <> :batch AND v.{owner} IN ({created})",
                batch,
            )
        )
        if kind != "enterprise":
            continue
        # a merge of another enterprise into one this batch created: the merge's event
        # is the duplicate's, yet the duplicate would count for an enterprise that is
        # no more (and vanish from every list and figure)
        found.update(
            _rows(
                session,
                "SELECT DISTINCT v.batch_id FROM enterprise_event v "  # noqa: S608
                "JOIN batch b ON b.id = v.batch_id "
                "WHERE b.undone_at IS NULL AND v.batch_id <> :batch "
                f"AND v.merged_into IN ({created})",
                batch,
            )
        )
        for other, (other_model, other_owner) in EVENT_MODELS.items():
            if other == "enterprise":
                continue
            table = OWNERS[other]
            found.update(
                _rows(
                    session,
                    f"SELECT DISTINCT v.batch_id FROM {other_model.__tablename__} v "  # noqa: S608
                    f'JOIN "{table}" r ON r.id = v.{other_owner} '
                    "JOIN batch b ON b.id = v.batch_id "
                    "WHERE b.undone_at IS NULL AND v.batch_id <> :batch "
                    f"AND r.enterprise_id IN ({created})",
                    batch,
                )
            )
    # `filled` is stored as a running total: a later fill already counts this
    # batch's, so taking this one back alone would change nothing.
    found.update(
        _rows(
            session,
            "SELECT DISTINCT v.batch_id FROM labour_event v JOIN batch b ON b.id = v.batch_id "
            "WHERE b.undone_at IS NULL AND v.batch_id > :batch AND v.filled IS NOT NULL "
            "AND v.labour_id IN (SELECT labour_id FROM labour_event "
            "WHERE batch_id = :batch AND filled IS NOT NULL)",
            batch,
        )
    )
    return sorted(found)


def _refresh(session: Session, batch: int) -> None:
    """The caches the undone batch changed: `live` of every record it wrote, and the
    current name, district and USCC of the enterprises it renamed, moved or coded."""
    session.execute(
        text(
            "UPDATE enterprise SET live = merged_into IS NULL AND EXISTS (SELECT 1 "
            "FROM enterprise_event v JOIN batch b ON b.id = v.batch_id "
            "WHERE v.enterprise_id = enterprise.id AND b.undone_at IS NULL) "
            "WHERE id IN (SELECT enterprise_id FROM enterprise_event WHERE batch_id = :batch)"
        ),
        {"batch": batch},
    )
    renamed = _rows(
        session,
        "SELECT DISTINCT v.enterprise_id FROM enterprise_event v "
        "JOIN enterprise e ON e.id = v.enterprise_id WHERE v.batch_id = :batch "
        "AND (e.live OR v.merged_into IS NOT NULL) AND (v.name IS NOT NULL OR "
        "v.district IS NOT NULL OR v.uscc IS NOT NULL OR v.merged_into IS NOT NULL)",
        batch,
    )
    if renamed:
        refresh_enterprises(session, renamed)
    refresh_live(session, batch)
