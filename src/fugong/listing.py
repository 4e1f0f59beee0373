"""The ledgers as rows, as of a view: what `list` shows and `export` writes.

Each function returns plain dicts keyed by the ledger's CSV column names (the
import layout), plus `id` and computed fields (`gap`, `overdue`).  Values are
canonical (vocabulary keys, dates); rendering happens at the edge.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from .asof import View, enterprise_since, latest, records
from .layouts import ENTERPRISE_COLUMNS
from .models import (
    Batch,
    District,
    EnterpriseEvent,
    Labour,
    Plan,
    PlanEvent,
    Problem,
    ProblemEvent,
)
from .timeline import Timeline

ENTERPRISE_FIELDS = tuple(ENTERPRISE_COLUMNS)  # the enterprise columns of every layout


def _district_names(session: Session) -> dict[str, str]:
    return {d.code: d.name for d in session.execute(select(District)).scalars()}


def enterprise_states(
    *,
    session: Session,
    view: View,
    district_codes: list[str] | None = None,
    enterprise_id: int | None = None,
) -> dict[int, dict[str, Any]]:
    """Every enterprise in the ledger as of the view, with its attributes as of D.

    One ordered pass over the enterprise events, each enterprise's events folded
    by timeline.Timeline (the one as-of fold) as they stream by: a list needs all
    ten attributes, and ten as-of windows (one per field) cost far more than
    reading the events once.
    """
    since_q = enterprise_since(view)
    members = {
        eid
        for eid, since in session.execute(select(since_q.c.eid, since_q.c.since))
        if since <= view.as_of and (enterprise_id is None or eid == enterprise_id)
    }
    event = EnterpriseEvent
    query = (
        select(
            event.enterprise_id,
            event.business_date,
            event.id,
            *(getattr(event, f) for f in ENTERPRISE_FIELDS),
        )
        .join(Batch, Batch.id == event.batch_id)
        .where(view.visible())
        .order_by(event.enterprise_id, event.business_date, event.id)
    )
    if enterprise_id is not None:
        query = query.where(event.enterprise_id == enterprise_id)
    names = _district_names(session)
    out: dict[int, dict[str, Any]] = {}

    def fold(eid: int, history: Timeline) -> None:
        state = dict.fromkeys(ENTERPRISE_FIELDS) | history.state(view.as_of, fallback=True)
        if district_codes and state["district"] not in district_codes:
            return
        state["district"] = names.get(state["district"], state["district"])
        out[eid] = state

    current, history = None, Timeline()
    for row in session.execute(query):
        eid = row[0]
        if eid not in members:
            continue
        if eid != current:
            if current is not None:
                fold(current, history)
            current, history = eid, Timeline()
        values = {f: v for f, v in zip(ENTERPRISE_FIELDS, row[3:], strict=True) if v is not None}
        history.events.append((row[1], row[2], values))  # rows come in order
    if current is not None:
        fold(current, history)
    return out


def enterprise_rows(
    *,
    session: Session,
    view: View,
    district_codes: list[str] | None = None,
    enterprise_id: int | None = None,
) -> list[dict[str, Any]]:
    states = enterprise_states(
        session=session, view=view, district_codes=district_codes, enterprise_id=enterprise_id
    )
    return [{"id": eid, **state} for eid, state in states.items()]


def _last_status_date(model, owner: str, status: str, view: View):
    """Per record: the business date of its latest event setting `status`, as of the view."""
    rid = getattr(model, owner)
    return (
        select(rid.label("rid"), func.max(model.business_date).label("dated"))
        .join(Batch, Batch.id == model.batch_id)
        .where(model.status == status, model.business_date <= view.as_of, view.visible())
        .group_by(rid)
        .subquery(f"{model.__tablename__}_{status}_on")
    )


def plan_rows(
    *,
    session: Session,
    view: View,
    district_codes: list[str] | None = None,
    enterprise_id: int | None = None,
) -> list[dict[str, Any]]:
    ents = enterprise_states(
        session=session, view=view, district_codes=district_codes, enterprise_id=enterprise_id
    )
    plans, _since = records("plan", view, ("status", "planned_on", "returned", "reason", "note"))
    plans = plans.subquery("plans")
    inspection = latest("plan", "inspection", view)
    resumed = _last_status_date(PlanEvent, "plan_id", "resumed", view)
    query = (
        select(
            plans,
            Plan.enterprise_id,
            inspection.c.value.label("inspection"),
            inspection.c.dated.label("inspected_on"),
            resumed.c.dated.label("resumed_on"),
        )
        .join(Plan, Plan.id == plans.c.id)
        .outerjoin(inspection, inspection.c.rid == plans.c.id)
        .outerjoin(resumed, resumed.c.rid == plans.c.id)
        .order_by(plans.c.id)
    )
    out = []
    for row in session.execute(query):
        ent = ents.get(row.enterprise_id)
        if ent is None:
            continue
        out.append(
            {
                "id": row.id,
                **ent,
                "status": row.status,
                "planned_on": row.planned_on,
                "inspected_on": row.inspected_on,
                "inspection": row.inspection,
                "resumed_on": row.resumed_on,
                "returned": row.returned,
                "reason": row.reason,
                "note": row.note,
            }
        )
    return out


def problem_rows(
    *,
    session: Session,
    view: View,
    district_codes: list[str] | None = None,
    enterprise_id: int | None = None,
) -> list[dict[str, Any]]:
    ents = enterprise_states(
        session=session, view=view, district_codes=district_codes, enterprise_id=enterprise_id
    )
    fields = ("category", "description", "department", "deadline", "status", "resolution")
    problems, _since = records("problem", view, fields)
    problems = problems.subquery("problems")
    resolved = _last_status_date(ProblemEvent, "problem_id", "resolved", view)
    query = (
        select(
            problems,
            Problem.ref,
            Problem.raised_on,
            Problem.enterprise_id,
            resolved.c.dated.label("resolved_on"),
        )
        .join(Problem, Problem.id == problems.c.id)
        .outerjoin(resolved, resolved.c.rid == problems.c.id)
        .order_by(problems.c.id)
    )
    out = []
    for row in session.execute(query):
        ent = ents.get(row.enterprise_id)
        if ent is None:
            continue
        is_open = row.status != "resolved"
        out.append(
            {
                "id": row.id,
                "ref": row.ref,
                "uscc": ent["uscc"],
                "name": ent["name"],
                "district": ent["district"],
                "category": row.category,
                "description": row.description,
                "raised_on": row.raised_on,
                "department": row.department,
                "deadline": row.deadline,
                "status": row.status,
                "resolved_on": None if is_open else row.resolved_on,
                "resolution": row.resolution,
                "overdue": bool(is_open and row.deadline and row.deadline < view.as_of),
            }
        )
    return out


def labour_rows(
    *,
    session: Session,
    view: View,
    district_codes: list[str] | None = None,
    enterprise_id: int | None = None,
) -> list[dict[str, Any]]:
    ents = enterprise_states(
        session=session, view=view, district_codes=district_codes, enterprise_id=enterprise_id
    )
    labour, _since = records("labour", view, ("needed", "filled", "requirements", "note"))
    labour = labour.subquery("labour_now")
    query = (
        select(labour, Labour.job_type, Labour.raised_on, Labour.enterprise_id)
        .join(Labour, Labour.id == labour.c.id)
        .order_by(labour.c.id)
    )
    out = []
    for row in session.execute(query):
        ent = ents.get(row.enterprise_id)
        if ent is None:
            continue
        needed, filled = row.needed or 0, row.filled or 0
        out.append(
            {
                "id": row.id,
                "uscc": ent["uscc"],
                "name": ent["name"],
                "district": ent["district"],
                "job_type": row.job_type,
                "needed": needed,
                "filled": filled,
                "raised_on": row.raised_on,
                "requirements": row.requirements,
                "note": row.note,
                "gap": needed - filled,
            }
        )
    return out


ROWS = {
    "enterprises": enterprise_rows,
    "plans": plan_rows,
    "problems": problem_rows,
    "labour": labour_rows,
}
