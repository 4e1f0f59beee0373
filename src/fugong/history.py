"""The history as rows: what `fugong log` shows, newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from .clock import shown
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


def entries(
    *, session: Session, enterprise_id: int | None = None, batch_id: int | None = None
) -> list[dict[str, Any]]:
    """Every event (optionally of one enterprise or one batch), newest business date first,
    same-day events newest recorded first."""
    names = dict(session.execute(select(Enterprise.id, Enterprise.name)).all())
    district_names = dict(session.execute(select(District.code, District.name)).all())
    out: list[dict[str, Any]] = []
    for kind, (model, owner) in EVENT_MODELS.items():
        query = select(model, Batch).join(Batch, Batch.id == model.batch_id)
        if kind == "enterprise":
            query = query.add_columns(model.enterprise_id)
            if enterprise_id is not None:
                query = query.where(model.enterprise_id == enterprise_id)
        else:
            identity = OWNER[kind]
            query = query.join(identity, identity.id == getattr(model, owner)).add_columns(
                identity.enterprise_id
            )
            if enterprise_id is not None:
                query = query.where(identity.enterprise_id == enterprise_id)
        if batch_id is not None:
            query = query.where(model.batch_id == batch_id)
        for event, batch, eid in session.execute(query):
            change = {
                field: getattr(event, field)
                for field in EVENT_FIELDS[kind]
                if getattr(event, field) is not None
            }
            if "district" in change:
                change["district"] = district_names.get(change["district"], change["district"])
            source = batch.source if event.line is None else f"{batch.source}:{event.line}"
            out.append(
                {
                    "business_date": event.business_date,
                    "recorded_at": moment(batch.recorded_at),
                    "by": batch.by,
                    "source": source,
                    "batch": batch.id,
                    "undone": batch.undone_at is not None,
                    "record": kind,
                    "record_id": getattr(event, owner),
                    "enterprise_id": eid,
                    "enterprise": names.get(eid),
                    "action": event.action,
                    "change": change,
                    "_order": (event.business_date, batch.recorded_at, kind, event.id),
                }
            )
    out.sort(key=lambda e: e["_order"], reverse=True)
    for e in out:
        del e["_order"]
    return out


def batches(*, session: Session) -> list[Batch]:
    return list(session.execute(select(Batch).order_by(Batch.id.desc())).scalars())
