"""The ledgers as rows, as of a view: what `list` shows and `export` writes.

Each function returns plain dicts keyed by the ledger's CSV column names (the
import layout), plus `id` and computed fields (`gap`, `overdue`).  Values are
canonical (vocabulary keys, dates); rendering happens at the edge.  The
`iter_*` functions give the same rows one at a time (`ITER_ROWS`), for an
export that writes them as they come: memory stays flat in the ledger's size
but for the enterprises' attributes, held as tuples.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from .asof import View, enterprise_since, records, with_merges
from .layouts import ENTERPRISE_COLUMNS
from .models import (
    EVENT_FIELDS,
    EVENT_MODELS,
    District,
    EnterpriseEvent,
    Labour,
    Plan,
    PlanEvent,
    Problem,
)
from .timeline import Timeline

ENTERPRISE_FIELDS = tuple(ENTERPRISE_COLUMNS)  # the enterprise columns of every layout
# attributes that many enterprises share (kept once in memory)
_REPEATED = frozenset(
    ENTERPRISE_FIELDS.index(f) for f in ("district", "sector", "employees", "liaison", "contact")
)
_BATCH = 2000  # rows fetched at a time by the long queries


def _stream(session: Session, query) -> Iterator:
    """The rows of a long query, fetched a batch at a time (Core: no ORM row overhead).
    The option is the statement's: set on the connection, it would stay for every later
    statement of the transaction (on PostgreSQL, DDL cannot run through a cursor)."""
    return session.connection().execute(query, execution_options={"yield_per": _BATCH})


def narrowed(view: View, district_codes: list[str] | None) -> View:
    """The view reading only what enterprises ever in these districts recorded (a list
    of a district does not hold the city): View.districts."""
    if not district_codes:
        return view
    return replace(view, districts=tuple(sorted(district_codes)))


def _district_names(session: Session) -> dict[str, str]:
    return {d.code: d.name for d in session.execute(select(District)).scalars()}


def enterprise_states(
    *,
    session: Session,
    view: View,
    district_codes: list[str] | None = None,
    enterprise_id: int | None = None,
) -> dict[int, dict[str, Any]]:
    """Every enterprise in the ledger as of the view, with its attributes as of D."""
    table = enterprise_table(
        session=session, view=view, district_codes=district_codes, enterprise_id=enterprise_id
    )
    return {eid: dict(zip(ENTERPRISE_FIELDS, values, strict=True)) for eid, values in table.items()}


def enterprise_table(
    *,
    session: Session,
    view: View,
    district_codes: list[str] | None = None,
    enterprise_id: int | None = None,
) -> dict[int, tuple]:
    """Every enterprise in the ledger as of the view: id -> its ENTERPRISE_FIELDS as of D
    (the district by name), in id order.

    One ordered pass over the enterprise events, each enterprise's events folded
    by timeline.Timeline (the one as-of fold) as they stream by: a list needs all
    ten attributes, and ten as-of windows (one per field) cost far more than
    reading the events once.  Tuples, not dicts: a third of the memory.
    """
    view = with_merges(session, narrowed(view, district_codes))
    since_q = enterprise_since(view)
    members = {
        eid
        for eid, since in _stream(session, select(since_q.c.eid, since_q.c.since))
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
        .where(view.counts(event.batch_id), view.among("enterprise", event.enterprise_id))
        .order_by(event.enterprise_id, event.business_date, event.id)
    )
    if enterprise_id is not None:
        query = query.where(event.enterprise_id == enterprise_id)
    names = _district_names(session)
    where = ENTERPRISE_FIELDS.index("district")
    wanted = set(district_codes) if district_codes else None
    shared: dict[Any, Any] = {}  # one object for a value many enterprises have (sector …)
    out: dict[int, tuple] = {}

    def fold(eid: int, history: Timeline) -> None:
        state = history.state(view.as_of, fallback=True)
        values = [state.get(f) for f in ENTERPRISE_FIELDS]
        if wanted is not None and values[where] not in wanted:
            return
        for j in _REPEATED:
            if values[j] is not None:
                values[j] = shared.setdefault(values[j], values[j])
        values[where] = names.get(values[where], values[where])
        out[eid] = tuple(values)

    current, history = None, Timeline()
    for row in _stream(session, query):
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


def _last_status_date(kind: str, status: str, view: View):
    """Per record: the business date of its latest event setting `status`, as of the view."""
    model, owner = EVENT_MODELS[kind]
    rid = getattr(model, owner)
    return (
        select(rid.label("rid"), func.max(model.business_date).label("dated"))
        .where(
            model.status == status,
            model.business_date <= view.as_of,
            view.counts(model.batch_id),
            view.among(kind, rid),
        )
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
    return list(
        iter_plan_rows(
            session=session, view=view, district_codes=district_codes, enterprise_id=enterprise_id
        )
    )


_PLAN_FIELDS = EVENT_FIELDS["plan"]


def _plan_states(session: Session, view: View, enterprise_id: int | None) -> Iterator[tuple]:
    """Per plan in the ledger as of the view, in id order: (plan id, enterprise id, its
    fields as of D, inspected_on, resumed_on).

    One ordered pass over the plan events, each plan's events folded by
    timeline.Timeline (the one as-of fold) as they stream by, like the enterprises'
    (enterprise_table): six as-of windows and a join of them cost more than reading
    the events once, and nothing of the city is held.  `inspected_on` is the date of
    the event that set the inspection in force (asof.latest's `dated`), `resumed_on`
    the latest resumption dated by D.  With `enterprise_id`, only the plans that
    count for that enterprise are read.
    """
    query = (
        select(
            PlanEvent.plan_id,
            Plan.enterprise_id,
            PlanEvent.business_date,
            PlanEvent.id,
            *(getattr(PlanEvent, f) for f in _PLAN_FIELDS),
        )
        .join(Plan, Plan.id == PlanEvent.plan_id)
        .where(view.counts(PlanEvent.batch_id), view.among("plan", PlanEvent.plan_id))
        .order_by(PlanEvent.plan_id, PlanEvent.business_date, PlanEvent.id)
    )
    if enterprise_id is not None:  # its plan, or the one it took over in a merge
        query = query.where(view.owner(Plan.enterprise_id) == enterprise_id)

    def fold(pid: int, eid: int, history: Timeline) -> tuple | None:
        if history.since() > view.as_of:
            return None
        inspected_on = resumed_on = None
        for when, _order, values in history.events:
            if when > view.as_of:
                break
            if "inspection" in values:
                inspected_on = when
            if values.get("status") == "resumed":
                resumed_on = when
        return pid, eid, history.state(view.as_of), inspected_on, resumed_on

    current, owner, history = None, None, Timeline()
    for row in _stream(session, query):
        if row[0] != current:
            if current is not None and (done := fold(current, owner, history)):
                yield done
            current, owner, history = row[0], row[1], Timeline()
        values = {f: v for f, v in zip(_PLAN_FIELDS, row[4:], strict=True) if v is not None}
        history.events.append((row[2], row[3], values))  # rows come in order
    if current is not None and (done := fold(current, owner, history)):
        yield done


def iter_plan_rows(
    *,
    session: Session,
    view: View,
    district_codes: list[str] | None = None,
    enterprise_id: int | None = None,
    with_enterprise_id: bool = False,
    ents: dict[int, tuple] | None = None,
) -> Iterator[dict[str, Any]]:
    """`ents`: enterprise_table of the same arguments, when the caller has it already."""
    # a merged enterprise's records count for the kept one; read only the districts'
    view = with_merges(session, narrowed(view, district_codes))
    if ents is None:
        ents = enterprise_table(
            session=session, view=view, district_codes=district_codes, enterprise_id=enterprise_id
        )
    for pid, eid, state, inspected_on, resumed_on in _plan_states(session, view, enterprise_id):
        owner = view.keep(eid)
        ent = ents.get(owner)
        if ent is None or pid in view.dropped_plans:
            continue
        yield {
            "id": pid,
            **dict(zip(ENTERPRISE_FIELDS, ent, strict=True)),
            "status": state.get("status"),
            "planned_on": state.get("planned_on"),
            "inspected_on": inspected_on if "inspection" in state else None,
            "inspection": state.get("inspection"),
            "resumed_on": resumed_on,
            "returned": state.get("returned"),
            "reason": state.get("reason"),
            "note": state.get("note"),
            **({"enterprise_id": owner} if with_enterprise_id else {}),
        }


def problem_rows(
    *,
    session: Session,
    view: View,
    district_codes: list[str] | None = None,
    enterprise_id: int | None = None,
) -> list[dict[str, Any]]:
    return list(
        iter_problem_rows(
            session=session, view=view, district_codes=district_codes, enterprise_id=enterprise_id
        )
    )


_USCC, _NAME, _DISTRICT = (ENTERPRISE_FIELDS.index(f) for f in ("uscc", "name", "district"))


def iter_problem_rows(
    *,
    session: Session,
    view: View,
    district_codes: list[str] | None = None,
    enterprise_id: int | None = None,
    with_enterprise_id: bool = False,
    ents: dict[int, tuple] | None = None,
) -> Iterator[dict[str, Any]]:
    """`ents`: enterprise_table of the same arguments, when the caller has it already."""
    # a merged enterprise's records count for the kept one; read only the districts'
    view = with_merges(session, narrowed(view, district_codes))
    if ents is None:
        ents = enterprise_table(
            session=session, view=view, district_codes=district_codes, enterprise_id=enterprise_id
        )
    fields = ("category", "description", "department", "deadline", "status", "resolution")
    problems, _since = records("problem", view, fields)
    problems = problems.subquery("problems")
    resolved = _last_status_date("problem", "resolved", view)
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
    for row in _stream(session, query):
        owner = view.keep(row.enterprise_id)
        ent = ents.get(owner)
        if ent is None:
            continue
        is_open = row.status != "resolved"
        yield {
            "id": row.id,
            "ref": row.ref,
            "uscc": ent[_USCC],
            "name": ent[_NAME],
            "district": ent[_DISTRICT],
            "category": row.category,
            "description": row.description,
            "raised_on": row.raised_on,
            "department": row.department,
            "deadline": row.deadline,
            "status": row.status,
            "resolved_on": None if is_open else row.resolved_on,
            "resolution": row.resolution,
            "overdue": bool(is_open and row.deadline and row.deadline < view.as_of),
            **({"enterprise_id": owner} if with_enterprise_id else {}),
        }


def labour_rows(
    *,
    session: Session,
    view: View,
    district_codes: list[str] | None = None,
    enterprise_id: int | None = None,
) -> list[dict[str, Any]]:
    return list(
        iter_labour_rows(
            session=session, view=view, district_codes=district_codes, enterprise_id=enterprise_id
        )
    )


def iter_labour_rows(
    *,
    session: Session,
    view: View,
    district_codes: list[str] | None = None,
    enterprise_id: int | None = None,
    with_enterprise_id: bool = False,
    ents: dict[int, tuple] | None = None,
) -> Iterator[dict[str, Any]]:
    """`ents`: enterprise_table of the same arguments, when the caller has it already."""
    # a merged enterprise's records count for the kept one; read only the districts'
    view = with_merges(session, narrowed(view, district_codes))
    if ents is None:
        ents = enterprise_table(
            session=session, view=view, district_codes=district_codes, enterprise_id=enterprise_id
        )
    labour, _since = records("labour", view, ("needed", "filled", "requirements", "note"))
    labour = labour.subquery("labour_now")
    query = (
        select(labour, Labour.job_type, Labour.raised_on, Labour.enterprise_id)
        .join(Labour, Labour.id == labour.c.id)
        .order_by(labour.c.id)
    )
    for row in _stream(session, query):
        owner = view.keep(row.enterprise_id)
        ent = ents.get(owner)
        if ent is None:
            continue
        needed, filled = row.needed or 0, row.filled or 0
        yield {
            "id": row.id,
            "uscc": ent[_USCC],
            "name": ent[_NAME],
            "district": ent[_DISTRICT],
            "job_type": row.job_type,
            "needed": needed,
            "filled": filled,
            "raised_on": row.raised_on,
            "requirements": row.requirements,
            "note": row.note,
            "gap": needed - filled,
            **({"enterprise_id": owner} if with_enterprise_id else {}),
        }


def iter_enterprise_rows(
    *,
    session: Session,
    view: View,
    district_codes: list[str] | None = None,
    enterprise_id: int | None = None,
) -> Iterator[dict[str, Any]]:
    table = enterprise_table(
        session=session, view=view, district_codes=district_codes, enterprise_id=enterprise_id
    )
    for eid, values in table.items():
        yield {"id": eid, **dict(zip(ENTERPRISE_FIELDS, values, strict=True))}


ROWS = {
    "enterprises": enterprise_rows,
    "plans": plan_rows,
    "problems": problem_rows,
    "labour": labour_rows,
}
ITER_ROWS = {
    "enterprises": iter_enterprise_rows,
    "plans": iter_plan_rows,
    "problems": iter_problem_rows,
    "labour": iter_labour_rows,
}


def report_details(
    *, session: Session, view: View, district_codes: list[str], all_enterprises: bool = False
) -> dict[str, list[dict[str, Any]]]:
    """The lists behind a report's figures, as of the view:

    - not_resumed: the enterprises the plan figures count (规上 unless
      `all_enterprises`) that are not operating — planned, approved, suspended,
      or without a plan (status None): `total` − `operating` of the report;
    - open_problems: problems not resolved, the overdue ones first;
    - labour_gaps: labour demand with a gap, the largest first.
    """
    ents = enterprise_table(session=session, view=view, district_codes=district_codes)
    plans = {
        row["enterprise_id"]: row
        for row in iter_plan_rows(
            session=session,
            view=view,
            district_codes=district_codes,
            with_enterprise_id=True,
            ents=ents,
        )
    }
    scale = ENTERPRISE_FIELDS.index("above_scale")
    not_resumed = []
    for eid, values in ents.items():
        if not all_enterprises and not values[scale]:
            continue
        plan = plans.get(eid)
        if plan is not None and plan["status"] in ("resumed", "not_stopped", "excluded"):
            continue
        row = plan or {"id": None, **dict(zip(ENTERPRISE_FIELDS, values, strict=True))}
        row.setdefault("status", None)
        not_resumed.append(row)
    not_resumed.sort(key=lambda r: (r["district"] or "", r["status"] or "", r["name"] or ""))
    problems = [
        p
        for p in iter_problem_rows(
            session=session, view=view, district_codes=district_codes, ents=ents
        )
        if p["status"] != "resolved"
    ]
    problems.sort(key=lambda p: (not p["overdue"], p["deadline"] or view.as_of, p["id"]))
    gaps = [
        lab
        for lab in iter_labour_rows(
            session=session, view=view, district_codes=district_codes, ents=ents
        )
        if lab["gap"] > 0
    ]
    gaps.sort(key=lambda lab: (-lab["gap"], lab["id"]))
    return {"not_resumed": not_resumed, "open_problems": problems, "labour_gaps": gaps}


# --------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class Filters:
    """What a list keeps and how it orders it (`… list --status … --sort …`)."""

    status: str | None = None  # a plan or problem status key
    overdue: bool | None = None
    department: str | None = None  # part of the lead department's name
    above_scale: bool | None = None
    search: str | None = None  # part of a name or a USCC
    sort: str | None = None  # a column; "-column" for descending


def _folded(text: Any) -> str:
    from .values import name_key

    return name_key(str(text)) if text is not None else ""


def select_rows(rows: Iterable[dict[str, Any]], filters: Filters) -> list[dict[str, Any]]:
    """The rows the filters keep, in the order they ask for (stable; blanks last)."""
    wanted_search = _folded(filters.search) if filters.search else None
    wanted_department = _folded(filters.department) if filters.department else None
    kept = []
    for row in rows:
        if filters.status is not None and row.get("status") != filters.status:
            continue
        if filters.overdue is not None and bool(row.get("overdue")) != filters.overdue:
            continue
        if filters.above_scale is not None and bool(row.get("above_scale")) != filters.above_scale:
            continue
        if wanted_department is not None and wanted_department not in _folded(
            row.get("department")
        ):
            continue
        if wanted_search is not None and not (
            wanted_search in _folded(row.get("name")) or wanted_search in _folded(row.get("uscc"))
        ):
            continue
        kept.append(row)
    if filters.sort:
        column = filters.sort.lstrip("-")
        descending = filters.sort.startswith("-")
        present = [r for r in kept if r.get(column) is not None]
        blank = [r for r in kept if r.get(column) is None]
        present.sort(key=lambda r: _sort_key(r[column]), reverse=descending)
        kept = present + blank
    return kept


def _sort_key(value: Any) -> tuple:
    if isinstance(value, bool | int | float):
        return (0, value, "")
    return (1, 0, str(value))
