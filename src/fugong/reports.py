"""The figures of SPEC "Figures", as of the end of a day, as known at a moment.

Everything is computed from the history at report time (rates are never
stored), grouped by district in SQL, so one district and the whole city come
from the same few queries.  The city total is the sum of its districts.
Returns plain dicts (the JSON document); rendering happens in render.py.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlmodel import Session

from .asof import View, enterprises, latest, records
from .models import (
    Batch,
    District,
    EnterpriseEvent,
    Labour,
    LabourEvent,
    Plan,
    PlanEvent,
    Problem,
    ProblemEvent,
)
from .vocab import CATEGORY

PLAN_STATUSES = ("not_stopped", "planned", "approved", "resumed", "suspended", "excluded")
PLAN_COUNTS = (
    "total",
    *PLAN_STATUSES,
    "unreported",
    "operating",
    "resumed_today",
    "resumed_ever",
    "resumed_without_inspection",
)
PROBLEM_COUNTS = ("raised", "resolved", "open", "overdue", "raised_today", "resolved_today")
LABOUR_COUNTS = ("enterprises", "needed", "filled", "gap")


def rate(numerator: int, denominator: int) -> float | None:
    """A fraction rounded to 4 decimals; None when the denominator is 0."""
    return None if denominator == 0 else round(numerator / denominator, 4)


def _median(days: list[int]) -> float | None:
    if not days:
        return None
    middle = statistics.median(days)
    return int(middle) if float(middle).is_integer() else round(middle, 1)


# --------------------------------------------------------------------------- per-district raw


def _scope(session: Session, view: View, codes: list[str]):
    """The enterprises of the scope with their district and 规上 flag as of D.

    Worked out once per report into a temporary table (the as-of window query
    over every enterprise is the costly part) and joined by each figure's query.
    """
    scope = Table(
        "fugong_report_scope",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("district", String),
        Column("above_scale", Boolean),
        prefixes=["TEMPORARY"],
    )
    conn = session.connection()
    scope.drop(conn, checkfirst=True)
    scope.create(conn)
    ent = enterprises(view, ("district", "above_scale")).subquery("ent")
    conn.execute(
        scope.insert().from_select(
            ["id", "district", "above_scale"],
            select(ent.c.id, ent.c.district, ent.c.above_scale).where(ent.c.district.in_(codes)),
        )
    )
    return scope.alias("ent")


def _plan_figures(session: Session, view: View, ent, all_enterprises: bool):
    status = latest("plan", "status", view)
    resumed = (
        select(
            PlanEvent.plan_id.label("rid"),
            func.max(case((PlanEvent.business_date == view.as_of, 1), else_=0)).label("today"),
        )
        .join(Batch, Batch.id == PlanEvent.batch_id)
        .where(
            PlanEvent.status == "resumed",
            PlanEvent.business_date <= view.as_of,
            view.visible(),
        )
        .group_by(PlanEvent.plan_id)
        .subquery("resumptions")
    )
    # The latest inspection dated on or before the resumption (see SPEC "Plan").
    inspected = (
        select(PlanEvent.inspection)
        .join(Batch, Batch.id == PlanEvent.batch_id)
        .where(
            PlanEvent.plan_id == Plan.id,
            PlanEvent.inspection.is_not(None),
            PlanEvent.business_date <= status.c.dated,
            view.visible(),
        )
        .order_by(PlanEvent.business_date.desc(), PlanEvent.id.desc())
        .limit(1)
        .correlate(Plan, status)
        .scalar_subquery()
    )
    is_resumed = status.c.value == "resumed"
    query = (
        select(
            ent.c.district,
            status.c.value.label("status"),
            func.count().label("n"),
            func.sum(case((resumed.c.rid.is_not(None), 1), else_=0)).label("ever"),
            func.sum(case((resumed.c.today == 1, 1), else_=0)).label("today"),
            func.sum(
                case(
                    (and_(is_resumed, or_(inspected.is_(None), inspected != "passed")), 1),
                    else_=0,
                )
            ).label("uninspected"),
        )
        .select_from(ent)
        .outerjoin(Plan, Plan.enterprise_id == ent.c.id)
        .outerjoin(status, status.c.rid == Plan.id)
        .outerjoin(resumed, resumed.c.rid == Plan.id)
        .group_by(ent.c.district, status.c.value)
    )
    if not all_enterprises:
        query = query.where(ent.c.above_scale == literal(True))
    out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(PLAN_COUNTS, 0))
    for row in session.execute(query):
        figures = out[row.district]
        key = row.status or "unreported"
        figures[key] += row.n
        if key == "excluded":
            continue
        figures["resumed_ever"] += row.ever or 0
        figures["resumed_today"] += row.today or 0
        figures["resumed_without_inspection"] += row.uninspected or 0
    for figures in out.values():
        _finish_plans(figures)
    return out


def _finish_plans(figures: dict[str, Any]) -> dict[str, Any]:
    counted = sum(figures[s] for s in PLAN_STATUSES) + figures["unreported"]
    figures["total"] = counted - figures["excluded"]
    figures["operating"] = figures["not_stopped"] + figures["resumed"]
    figures["resumption_rate"] = rate(figures["operating"], figures["total"])
    return figures


def _empty_problems() -> dict[str, Any]:
    return {**dict.fromkeys(PROBLEM_COUNTS, 0), "by_category": dict.fromkeys(CATEGORY.terms, 0)}


def _problem_figures(session: Session, view: View, ent):
    problems, _since = records("problem", view, ("category", "status", "deadline"))
    problems = problems.subquery("problems")
    resolved_on = latest("problem", "status", view)
    query = (
        select(
            ent.c.district,
            problems.c.since,
            problems.c.category,
            problems.c.status,
            problems.c.deadline,
            resolved_on.c.dated.label("status_on"),
            Problem.raised_on,
        )
        .select_from(problems)
        .join(Problem, Problem.id == problems.c.id)
        .join(ent, ent.c.id == Problem.enterprise_id)
        .outerjoin(resolved_on, resolved_on.c.rid == problems.c.id)
    )
    out: dict[str, dict[str, Any]] = defaultdict(_empty_problems)
    days: dict[str, list[int]] = defaultdict(list)
    for row in session.execute(query):
        figures = out[row.district]
        figures["raised"] += 1
        figures["by_category"][row.category or "other"] = (
            figures["by_category"].get(row.category or "other", 0) + 1
        )
        if row.since == view.as_of:
            figures["raised_today"] += 1
        if row.status == "resolved":
            figures["resolved"] += 1
            if row.status_on == view.as_of:
                figures["resolved_today"] += 1
            days[row.district].append((row.status_on - row.raised_on).days)
        else:
            figures["open"] += 1
            if row.deadline is not None and row.deadline < view.as_of:
                figures["overdue"] += 1
    for district, figures in out.items():
        figures["median_days_to_resolve"] = _median(days[district])
        figures["_days"] = days[district]
    return out


def _labour_figures(session: Session, view: View, ent):
    labour, _since = records("labour", view, ("needed", "filled"))
    labour = labour.subquery("labour_now")
    query = (
        select(
            ent.c.district,
            Labour.job_type,
            func.count(func.distinct(Labour.enterprise_id)).label("enterprises"),
            func.coalesce(func.sum(labour.c.needed), 0).label("needed"),
            func.coalesce(func.sum(labour.c.filled), 0).label("filled"),
        )
        .select_from(labour)
        .join(Labour, Labour.id == labour.c.id)
        .join(ent, ent.c.id == Labour.enterprise_id)
        .group_by(ent.c.district, Labour.job_type)
    )
    employers = (
        select(ent.c.district, func.count(func.distinct(Labour.enterprise_id)).label("n"))
        .select_from(labour)
        .join(Labour, Labour.id == labour.c.id)
        .join(ent, ent.c.id == Labour.enterprise_id)
        .group_by(ent.c.district)
    )
    out: dict[str, dict[str, Any]] = defaultdict(_empty_labour)
    for row in session.execute(query):
        figures = out[row.district]
        needed, filled = int(row.needed), int(row.filled)
        figures["needed"] += needed
        figures["filled"] += filled
        figures["gap"] += needed - filled
        figures["by_job_type"][row.job_type] = {
            "needed": needed,
            "filled": filled,
            "gap": needed - filled,
        }
    for row in session.execute(employers):
        out[row.district]["enterprises"] = row.n
    return out


def _empty_labour() -> dict[str, Any]:
    return {**dict.fromkeys(LABOUR_COUNTS, 0), "by_job_type": {}}


def _active_districts(session: Session, view: View, ent) -> set[str]:
    """Districts with at least one fact dated D (the others send a 零报告)."""
    dated = [
        select(EnterpriseEvent.enterprise_id.label("eid"))
        .join(Batch, Batch.id == EnterpriseEvent.batch_id)
        .where(EnterpriseEvent.business_date == view.as_of, view.visible())
    ]
    for identity, model, owner in (
        (Plan, PlanEvent, "plan_id"),
        (Problem, ProblemEvent, "problem_id"),
        (Labour, LabourEvent, "labour_id"),
    ):
        dated.append(
            select(identity.enterprise_id.label("eid"))
            .join(model, getattr(model, owner) == identity.id)
            .join(Batch, Batch.id == model.batch_id)
            .where(model.business_date == view.as_of, view.visible())
        )
    touched = union_all(*dated).subquery("touched")
    query = select(ent.c.district).join(touched, touched.c.eid == ent.c.id).distinct()
    return set(session.execute(query).scalars())


# --------------------------------------------------------------------------- assembling


def _document(scope: District, view: View, plans, problems, labour, active: bool) -> dict[str, Any]:
    problems = {k: v for k, v in problems.items() if k != "_days"}
    return {
        "scope": {"code": scope.code, "name": scope.name},
        "as_of": view.as_of.isoformat(),
        "known_at": None,
        "zero_report": not active,
        "plans": plans,
        "problems": problems,
        "labour": labour,
    }


def _sum_into(total: dict[str, Any], part: dict[str, Any]) -> None:
    for key, value in part.items():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int):
            total[key] = total.get(key, 0) + value
        elif isinstance(value, dict):
            _sum_into(total.setdefault(key, {}), value)
        elif isinstance(value, list):
            total.setdefault(key, []).extend(value)


def report(
    *,
    session: Session,
    district: District,
    as_of: date,
    known_at=None,
    all_enterprises: bool = False,
) -> dict[str, Any]:
    """The report of one district, or of a city with its districts and their sum."""
    view = View(as_of, known_at)
    children = list(
        session.execute(
            select(District).where(District.parent == district.code).order_by(District.code)
        ).scalars()
    )
    members = children or [district]
    codes = [d.code for d in members]
    ent = _scope(session, view, codes)
    plans = _plan_figures(session, view, ent, all_enterprises)
    problems = _problem_figures(session, view, ent)
    labour = _labour_figures(session, view, ent)
    active = _active_districts(session, view, ent)

    def piece(code: str):
        p = plans.get(code) or _finish_plans(dict.fromkeys(PLAN_COUNTS, 0))
        q = problems.get(code) or {**_empty_problems(), "median_days_to_resolve": None}
        return p, q, labour.get(code) or _empty_labour()

    docs = []
    for member in members:
        p, q, lab = piece(member.code)
        docs.append(_document(member, view, p, q, lab, member.code in active))
    if not children:
        doc = docs[0]
    else:
        plans_total: dict[str, Any] = dict.fromkeys(PLAN_COUNTS, 0)
        problems_total: dict[str, Any] = _empty_problems()
        labour_total: dict[str, Any] = _empty_labour()
        all_days: list[int] = []
        for code in codes:
            p, q, lab = piece(code)
            _sum_into(plans_total, {k: v for k, v in p.items() if k != "resumption_rate"})
            _sum_into(problems_total, {k: v for k, v in q.items() if k != "_days"})
            _sum_into(labour_total, lab)
            all_days.extend(q.get("_days", []))
        _finish_plans(plans_total)
        problems_total["median_days_to_resolve"] = _median(all_days)
        doc = _document(district, view, plans_total, problems_total, labour_total, bool(active))
        doc["districts"] = docs
    if known_at is not None:
        from .history import moment

        stamp = moment(known_at)
        doc["known_at"] = stamp
        for d in doc.get("districts", []):
            d["known_at"] = stamp
    doc["all_enterprises"] = all_enterprises
    return doc
