"""The history as rows: what `fugong log` shows, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from .asof import View, with_merges
from .clock import shown, to_office_day
from .models import (
    EVENT_FIELDS,
    EVENT_MODELS,
    Batch,
    District,
    Enterprise,
    Labour,
    Plan,
    Problem,
)

OWNER = {"plan": Plan, "problem": Problem, "labour": Labour}


def moment(value) -> str:
    """A stored UTC moment in the office's zone with its offset, to the microsecond
    (so that `--known-at` a moment `log` shows includes that very entry)."""
    return shown(value, micro=True)


@dataclass(frozen=True)
class LogFilter:
    """Which entries `fugong log` shows."""

    enterprise_id: int | None = None
    batch_id: int | None = None
    since: date | None = None  # business dates on or after
    until: date | None = None  # business dates on or before
    by: str | None = None
    district_codes: tuple[str, ...] | None = None


def entries(*, session: Session, which: LogFilter = LogFilter()) -> list[dict[str, Any]]:
    """Every event the filter keeps, newest business date first, same-day events newest
    recorded first; and every undo, as what it took back, by whom, when."""
    names = dict(session.execute(select(Enterprise.id, Enterprise.name)).all())
    places = dict(session.execute(select(Enterprise.id, Enterprise.district)).all())
    # a merged enterprise's entries are the kept one's: filed under its district
    merges = with_merges(session, View()) if which.district_codes is not None else View()
    district_names = dict(session.execute(select(District.code, District.name)).all())
    out: list[dict[str, Any]] = []
    touched: dict[int, set[int]] = {}  # batch -> enterprises its events concern
    family = _merged_family(session, which.enterprise_id)
    for kind, (model, owner) in EVENT_MODELS.items():
        query = select(model, Batch).join(Batch, Batch.id == model.batch_id)
        if kind == "enterprise":
            query = query.add_columns(model.enterprise_id)
            subject = model.enterprise_id
        else:
            identity = OWNER[kind]
            query = query.join(identity, identity.id == getattr(model, owner)).add_columns(
                identity.enterprise_id
            )
            subject = identity.enterprise_id
        if which.enterprise_id is not None:
            query = query.where(subject.in_(family))
        if which.batch_id is not None:
            query = query.where(model.batch_id == _undone_by(session, which.batch_id))
        if which.since is not None:
            query = query.where(model.business_date >= which.since)
        if which.until is not None:
            query = query.where(model.business_date <= which.until)
        if which.by is not None:
            query = query.where(Batch.by == which.by)
        for event, batch, eid in session.execute(query):
            if (
                which.district_codes is not None
                and places.get(merges.keep(eid)) not in which.district_codes
            ):
                continue
            touched.setdefault(batch.id, set()).add(eid)
            change = {
                field: getattr(event, field)
                for field in EVENT_FIELDS[kind]
                if getattr(event, field) is not None
            }
            if "district" in change:
                change["district"] = district_names.get(change["district"], change["district"])
            if "merged_into" in change:
                change["merged_into"] = (
                    f"#{change['merged_into']} {names.get(change['merged_into'], '')}"
                )
            source = batch.source if event.line is None else f"{batch.source}:{event.line}"
            out.append(
                {
                    "business_date": event.business_date,
                    "recorded_at": moment(batch.recorded_at),
                    "by": batch.by,
                    "source": source,
                    "batch": batch.id,
                    "undone": batch.undone_at is not None,
                    "undone_by": batch.undone_by,
                    "record": kind,
                    "record_id": getattr(event, owner),
                    "enterprise_id": eid,
                    "enterprise": names.get(eid),
                    "action": event.action,
                    "change": change,
                    "_order": (event.business_date, batch.recorded_at, kind, event.id),
                }
            )
    out.extend(_undos(session, which, touched))
    out.sort(key=lambda e: e["_order"], reverse=True)
    for e in out:
        del e["_order"]
    return out


def _merged_family(session: Session, enterprise_id: int | None) -> set[int]:
    """An enterprise and every enterprise merged into it (their history is its history)."""
    if enterprise_id is None:
        return set()
    into = dict(
        session.execute(
            select(Enterprise.id, Enterprise.merged_into).where(Enterprise.merged_into.is_not(None))
        ).all()
    )
    family, grew = {enterprise_id}, True
    while grew:
        more = {dup for dup, keep in into.items() if keep in family} - family
        family |= more
        grew = bool(more)
    return family


def _undone_by(session: Session, batch_id: int) -> int:
    """`log --batch N` of an undo shows the entries it took back."""
    undo = session.get(Batch, batch_id)
    if undo is not None and undo.kind == "undo":
        target = session.execute(select(Batch.id).where(Batch.undone_by == batch_id)).scalar()
        if target is not None:
            return target
    return batch_id


def _undos(
    session: Session, which: LogFilter, touched: dict[int, set[int]]
) -> list[dict[str, Any]]:
    """An entry per undo batch: what it took back (and the enterprises it concerned)."""
    found = []
    undone = session.execute(
        select(Batch).where(Batch.undone_by.is_not(None)).order_by(Batch.id)
    ).scalars()
    for target in undone:
        undo = session.get(Batch, target.undone_by)
        if undo is None:
            continue
        day = to_office_day(undo.recorded_at)
        concerned = touched.get(target.id, set())
        if which.batch_id is not None and which.batch_id not in (undo.id, target.id):
            continue
        if (which.enterprise_id is not None or which.district_codes is not None) and not concerned:
            continue
        if which.since is not None and day < which.since:
            continue
        if which.until is not None and day > which.until:
            continue
        if which.by is not None and undo.by != which.by:
            continue
        found.append(
            {
                "business_date": day,
                "recorded_at": moment(undo.recorded_at),
                "by": undo.by,
                "source": undo.source,
                "batch": undo.id,
                "undone": False,
                "undone_by": None,
                "record": "batch",
                "record_id": target.id,
                "enterprise_id": None,
                "enterprise": None,
                "action": "undo",
                "change": {"undid_batch": target.id, "undid_source": target.source},
                "_order": (day, undo.recorded_at, "batch", undo.id),
            }
        )
    return found


def batches(*, session: Session) -> list[Batch]:
    return list(session.execute(select(Batch).order_by(Batch.id.desc())).scalars())
