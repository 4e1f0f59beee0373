"""The ledgers as rows, as of a view: what `list` shows and `export` writes.

Each function returns plain dicts keyed by the ledger's CSV column names (the
import layout), plus `id` and computed fields (`gap`, `overdue`).  Values are
canonical (vocabulary keys, dates); rendering happens at the edge.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from .asof import View, enterprises, latest, records
from .ingest import ENTERPRISE_COLUMNS
from .models import Batch, District, Labour, Plan, PlanEvent, Problem, ProblemEvent

ENTERPRISE_FIELDS = tuple(ENTERPRISE_COLUMNS)  # the enterprise columns of every layout


def _district_names(session: Session) -> dict[str, str]:
    return {d.code: d.name for d in session.execute(select(District)).scalars()}


def _enterprise_part(view: View):
    return enterprises(view, ENTERPRISE_FIELDS).subquery("ent")


def _scope(query, ent, district_codes: list[str] | None, enterprise_id: int | None):
    if district_codes:
        query = query.where(ent.c.district.in_(district_codes))
    if enterprise_id is not None:
        query = query.where(ent.c.id == enterprise_id)
    return query


def _enterprise_values(row, names: dict[str, str]) -> dict[str, Any]:
    values = {field: getattr(row, field) for field in ENTERPRISE_FIELDS}
    values["district"] = names.get(values["district"], values["district"])
    return values


def enterprise_rows(
    *,
    session: Session,
    view: View,
    district_codes: list[str] | None = None,
    enterprise_id: int | None = None,
) -> list[dict[str, Any]]:
    ent = _enterprise_part(view)
    query = _scope(select(ent), ent, district_codes, enterprise_id).order_by(ent.c.id)
    names = _district_names(session)
    return [{"id": row.id, **_enterprise_values(row, names)} for row in session.execute(query)]


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
    plans, since = records("plan", view, ("status", "planned_on", "returned", "reason", "note"))
    plans = plans.subquery("plans")
    inspection = latest("plan", "inspection", view)
    resumed = _last_status_date(PlanEvent, "plan_id", "resumed", view)
    ent = _enterprise_part(view)
    query = (
        select(
            plans,
            ent,
            inspection.c.value.label("inspection"),
            inspection.c.dated.label("inspected_on"),
            resumed.c.dated.label("resumed_on"),
        )
        .join(Plan, Plan.id == plans.c.id)
        .join(ent, ent.c.id == Plan.enterprise_id)
        .outerjoin(inspection, inspection.c.rid == plans.c.id)
        .outerjoin(resumed, resumed.c.rid == plans.c.id)
        .order_by(plans.c.id)
    )
    query = _scope(query, ent, district_codes, enterprise_id)
    names = _district_names(session)
    out = []
    for row in session.execute(query):
        out.append(
            {
                "id": row[0],
                **_enterprise_values(row, names),
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
    fields = ("category", "description", "department", "deadline", "status", "resolution")
    problems, _since = records("problem", view, fields)
    problems = problems.subquery("problems")
    resolved = _last_status_date(ProblemEvent, "problem_id", "resolved", view)
    ent = _enterprise_part(view)
    query = (
        select(problems, Problem.ref, Problem.raised_on, ent, resolved.c.dated.label("resolved_on"))
        .join(Problem, Problem.id == problems.c.id)
        .join(ent, ent.c.id == Problem.enterprise_id)
        .outerjoin(resolved, resolved.c.rid == problems.c.id)
        .order_by(problems.c.id)
    )
    query = _scope(query, ent, district_codes, enterprise_id)
    names = _district_names(session)
    out = []
    for row in session.execute(query):
        is_open = row.status != "resolved"
        out.append(
            {
                "id": row[0],
                "ref": row.ref,
                "uscc": row.uscc,
                "name": row.name,
                "district": names.get(row.district, row.district),
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
    labour, _since = records("labour", view, ("needed", "filled", "requirements", "note"))
    labour = labour.subquery("labour_now")
    ent = _enterprise_part(view)
    query = (
        select(labour, Labour.job_type, Labour.raised_on, ent)
        .join(Labour, Labour.id == labour.c.id)
        .join(ent, ent.c.id == Labour.enterprise_id)
        .order_by(labour.c.id)
    )
    query = _scope(query, ent, district_codes, enterprise_id)
    names = _district_names(session)
    out = []
    for row in session.execute(query):
        needed, filled = row.needed or 0, row.filled or 0
        out.append(
            {
                "id": row[0],
                "uscc": row.uscc,
                "name": row.name,
                "district": names.get(row.district, row.district),
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
