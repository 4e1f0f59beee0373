"""The rows a report's figures count: per record and segment, the inputs of its figures.

A segment is a period [start, stop) of business dates over which nothing a figure
reads changes for one record (spans.py).  Each section of SPEC "Figures" has its
rows: plans per enterprise, problems, labour demands, enterprises with demand, and
the days an enterprise recorded a fact (零报告).  A row names the district of its
enterprise then and what the figures need; reports.py groups them by their values
and spreads each group over the days it covers.

The rows come from the history here, for a window of days as known at a moment
(`section_rows`), or, for the ledger as known now, from the read model the writer
keeps (readmodel.py), which holds exactly these rows over all dates.  Either way the
same rules made them: this module is the only place they are written.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Integer,
    String,
    and_,
    case,
    func,
    or_,
    select,
    union,
)
from sqlalchemy.sql import Select
from sqlmodel import Session

from .asof import enterprise_since, first_dates, uninspected, withdrawn_problems
from .models import (
    EnterpriseEvent,
    Labour,
    LabourEvent,
    Plan,
    PlanEvent,
    Problem,
    ProblemEvent,
)
from .spans import (
    Window,
    containing,
    drop,
    earlier,
    fill_back,
    later,
    segments,
    span_query,
    span_table,
    temp_table,
)

SECTIONS = ("plan", "problem", "labour", "employer", "active")


def section_rows(
    session: Session, window: Window, codes: list[str] | None
) -> Iterator[tuple[str, Select]]:
    """Per section (SECTIONS, in that order), the query of its rows over the window for
    the enterprises in one of the districts `codes` (None: any); a section that can have
    no rows (no problem, no labour demand read) is left out.  One section at a time:
    the temporary tables a section's query reads are dropped when the next section is
    asked for, so run each query before asking."""
    scope = _scope(session, window, codes)
    query, temps = _plan_rows(session, window, scope)
    yield "plan", query
    drop(session, *temps)
    # a section of records none of which are read has no rows: not asked (the read
    # model's rows of one enterprise without problems or labour demand)
    if _any(session, window, "problem", Problem):
        query, temps = _problem_rows(session, window, scope)
        yield "problem", query
        drop(session, *temps)
    if _any(session, window, "labour", Labour):
        yield from _labour_rows(session, window, scope)
    yield "active", _active_rows(window, scope)
    drop(session, scope)


def _any(session: Session, window: Window, kind: str, identity) -> bool:
    """Whether the view reads any record of `kind` (View.among)."""
    found = select(identity.id).where(window.view.among(kind, identity.id)).limit(1)
    return session.execute(found).first() is not None


# --------------------------------------------------------------------------- the scope


def _scope(session: Session, window: Window, codes: list[str] | None):
    """The enterprises of the scope, per segment: eid, start, stop, district, above_scale,
    employees.  An enterprise belongs from its earliest entry (asof.enterprise_since); its
    attributes before their first date take their first value (asof.latest's fallback)."""
    since = enterprise_since(window.view)
    since = temp_table(
        session,
        "w_since",
        [Column("eid", Integer), Column("since", Date)],
        select(since.c.eid, since.c.since).where(since.c.since <= window.last),
        index=("eid",),
    )
    attributes = {}
    for name, kind in (("district", String), ("above_scale", Boolean), ("employees", Integer)):
        # a whole window (the read model's) has every event: the fallback is the
        # earliest span's, made to start with the window
        spans = span_query("enterprise", name, window, fallback=window.whole)
        span = span_table(session, f"w_ent_{name}", kind, spans)
        if not window.whole:
            fill_back(session, span, "enterprise", name, window, since.c.eid, since.c.since)
        attributes[name] = span
    points = [select(since.c.eid, later(since.c.since, window.first_literal()))]
    points += [select(span.c.rid, span.c.start) for span in attributes.values()]
    seg = segments("w_ent_seg", window, points)
    query = (
        select(
            seg.c.key.label("eid"),
            seg.c.start,
            seg.c.stop,
            *(span.c.value.label(name) for name, span in attributes.items()),
        )
        .join(since, and_(since.c.eid == seg.c.key, since.c.since <= seg.c.start))
        .outerjoin(
            attributes["above_scale"], containing(attributes["above_scale"], seg.c.key, seg.c.start)
        )
        .outerjoin(
            attributes["employees"], containing(attributes["employees"], seg.c.key, seg.c.start)
        )
        .join(attributes["district"], containing(attributes["district"], seg.c.key, seg.c.start))
    )
    if codes is not None:
        query = query.where(attributes["district"].c.value.in_(codes))
    columns = [
        Column("eid", Integer),
        Column("start", Date),
        Column("stop", Date),
        Column("district", String),
        Column("above_scale", Boolean),
        Column("employees", Integer),
    ]
    scope = temp_table(session, "w_scope", columns, query, index=("eid", "start"))
    drop(session, since, *attributes.values())
    return scope


def _scope_points(scope, window: Window, identity=None) -> list:
    """(key, day) where the scope of a record's enterprise changes: points of the record's
    segments.  The key is the enterprise, or the id of `identity` (a record of it)."""
    out = []
    for day, where in (
        (scope.c.start, []),
        (scope.c.stop, [scope.c.stop < window.stop_literal()]),
    ):
        if identity is None:
            out.append(select(scope.c.eid, day).where(*where))
        else:
            out.append(
                select(identity.id, day)
                .select_from(scope)
                .join(identity, window.view.owner(identity.enterprise_id) == scope.c.eid)
                .where(*where)
            )
    return out


def _in_scope(scope, eid, at):
    return and_(scope.c.eid == eid, scope.c.start <= at, at < scope.c.stop)


# --------------------------------------------------------------------------- plans


def _status_spans(window: Window):
    """The spans of the plans' status (spans.span_query's rule) with, per span, what the
    plan figures need of the history before it, from the same ordered pass over the
    status events: `ever` (a resumption dated by the span's date: resumed_ever),
    `today_on` (the span's date, when a resumption is dated that day: resumed_today) and
    `uninspected` (asof.uninspected, at the status the span holds)."""
    view = window.view
    ordered = {
        "partition_by": PlanEvent.plan_id,
        "order_by": (PlanEvent.business_date, PlanEvent.id),
    }
    resumed_on = case((PlanEvent.status == "resumed", PlanEvent.business_date))
    events = (
        select(
            PlanEvent.plan_id.label("rid"),
            PlanEvent.status.label("value"),
            PlanEvent.business_date.label("dated"),
            PlanEvent.id.label("eid"),
            func.lead(PlanEvent.business_date).over(**ordered).label("next"),
            # the latest resumption up to this event (its day's events all come before the
            # last of them, the only one that makes a span)
            func.max(resumed_on).over(**ordered).label("resumed_by"),
        )
        .where(
            PlanEvent.status.is_not(None),
            PlanEvent.business_date <= window.last,
            view.counts(PlanEvent.batch_id),
            view.among("plan", PlanEvent.plan_id),
        )
        .subquery("status_events")
    )
    first, stop = window.first_literal(), window.stop_literal()
    start = later(events.c.dated, first)
    end = earlier(func.coalesce(events.c.next, stop), stop)
    last_of_day = or_(events.c.next.is_(None), events.c.next > events.c.dated)
    return select(
        events.c.rid,
        events.c.value,
        start.label("start"),
        end.label("stop"),
        case((events.c.resumed_by.is_not(None), 1), else_=0).label("ever"),
        case(
            (and_(events.c.dated >= first, events.c.resumed_by == events.c.dated), events.c.dated)
        ).label("today_on"),
        uninspected(view, events.c.rid, events.c.dated, events.c.eid, events.c.value).label(
            "uninspected"
        ),
    ).where(last_of_day, start < end)


def _plan_rows(session: Session, window: Window, scope) -> tuple[Select, tuple]:
    """Per enterprise and segment: its district and 规上 then, its plan's status (NULL:
    unreported) with `ever`, `today_on` and `uninspected` (_status_spans), and, when
    resumed, the workers returned and the employees they are a share of (0 otherwise)."""
    status = span_table(
        session,
        "w_status",
        String,
        _status_spans(window),
        extra=[Column("ever", Integer), Column("today_on", Date), Column("uninspected", Integer)],
    )
    returned = span_table(session, "w_returned", Integer, span_query("plan", "returned", window))
    points = _scope_points(scope, window)
    for span in (status, returned):
        points.append(
            select(window.view.owner(Plan.enterprise_id), span.c.start)
            .join(span, span.c.rid == Plan.id)
            .where(window.view.counts_plan(Plan.id))
        )
    seg = segments("w_plan_seg", window, points)

    is_resumed = status.c.value == "resumed"
    counted_base = and_(is_resumed, returned.c.value.is_not(None), scope.c.employees.is_not(None))
    query = (
        select(
            seg.c.key.label("eid"),
            seg.c.start,
            seg.c.stop,
            scope.c.district,
            scope.c.above_scale,
            status.c.value.label("status"),
            status.c.ever,
            status.c.today_on,
            status.c.uninspected,
            case((is_resumed, returned.c.value), else_=0).label("returned"),
            case((counted_base, scope.c.employees), else_=0).label("base"),
        )
        .select_from(seg)
        .join(scope, _in_scope(scope, seg.c.key, seg.c.start))
        .outerjoin(
            Plan,
            and_(
                window.view.owner(Plan.enterprise_id) == seg.c.key,
                window.view.counts_plan(Plan.id),
            ),
        )
        .outerjoin(status, containing(status, Plan.id, seg.c.start))
        .outerjoin(returned, containing(returned, Plan.id, seg.c.start))
    )
    return query, (status, returned)


# --------------------------------------------------------------------------- problems


def _record_since(session: Session, window: Window, kind: str):
    """The records of `kind` that exist by the window's last day, with their first day
    (asof.first_dates), as a temporary table: rid, since."""
    since = first_dates(kind, window.view)
    return temp_table(
        session,
        f"w_{kind}_since",
        [Column("rid", Integer), Column("since", Date)],
        select(since.c.rid, since.c.since).where(since.c.since <= window.last),
        index=("rid",),
    )


def _problem_rows(session: Session, window: Window, scope) -> tuple[Select, tuple]:
    """Per problem and segment: its enterprise's district then, its category, status,
    the day it was resolved (when it is), its deadline (while open), the day it was
    raised when that is in the window (raised_today) and its raised_on when resolved."""
    since = _record_since(session, window, "problem")
    spans = {
        field: span_table(
            session,
            f"w_problem_{field}",
            kind,
            span_query("problem", field, window),
            dated=field == "status",  # the day it was resolved
        )
        for field, kind in (("category", String), ("status", String), ("deadline", Date))
    }
    points = [select(since.c.rid, later(since.c.since, window.first_literal()))]
    points += _scope_points(scope, window, Problem)
    points += [select(span.c.rid, span.c.start) for span in spans.values()]
    seg = segments("w_problem_seg", window, points)

    category, status, deadline = spans["category"], spans["status"], spans["deadline"]
    resolved = status.c.value == "resolved"
    query = (
        select(
            scope.c.eid,
            seg.c.start,
            seg.c.stop,
            scope.c.district,
            category.c.value.label("category"),
            status.c.value.label("status"),
            case((resolved, status.c.dated)).label("resolved_on"),
            case((resolved, None), else_=deadline.c.value).label("deadline"),
            case((since.c.since >= window.first_literal(), since.c.since)).label("since"),
            case((resolved, Problem.raised_on)).label("raised_on"),
        )
        .select_from(seg)
        .join(Problem, Problem.id == seg.c.key)
        .join(since, and_(since.c.rid == seg.c.key, since.c.since <= seg.c.start))
        .join(scope, _in_scope(scope, window.view.owner(Problem.enterprise_id), seg.c.start))
        .outerjoin(category, containing(category, seg.c.key, seg.c.start))
        .outerjoin(status, containing(status, seg.c.key, seg.c.start))
        .outerjoin(deadline, containing(deadline, seg.c.key, seg.c.start))
    )
    return query, (since, *spans.values())


# --------------------------------------------------------------------------- labour


def _labour_rows(session: Session, window: Window, scope) -> Iterator[tuple[str, Select]]:
    """The labour sections: per demand and segment, its enterprise's district then, its
    job type, needed and filled ("labour"); then per enterprise with demand (from the
    first day any of its demands exists) and segment, its district ("employer")."""
    since = _record_since(session, window, "labour")
    spans = {
        field: span_table(
            session, f"w_labour_{field}", Integer, span_query("labour", field, window)
        )
        for field in ("needed", "filled")
    }
    first = window.first_literal()
    points = [select(since.c.rid, later(since.c.since, first))]
    points += _scope_points(scope, window, Labour)
    points += [select(span.c.rid, span.c.start) for span in spans.values()]
    seg = segments("w_labour_seg", window, points)
    needed, filled = spans["needed"], spans["filled"]
    yield (
        "labour",
        select(
            scope.c.eid,
            seg.c.start,
            seg.c.stop,
            scope.c.district,
            Labour.job_type,
            needed.c.value.label("needed"),
            filled.c.value.label("filled"),
        )
        .select_from(seg)
        .join(Labour, Labour.id == seg.c.key)
        .join(since, and_(since.c.rid == seg.c.key, since.c.since <= seg.c.start))
        .join(scope, _in_scope(scope, window.view.owner(Labour.enterprise_id), seg.c.start))
        .outerjoin(needed, containing(needed, seg.c.key, seg.c.start))
        .outerjoin(filled, containing(filled, seg.c.key, seg.c.start)),
    )

    owner = window.view.owner(Labour.enterprise_id)
    # a table, indexed: as a subquery, SQLite computed it again for each segment it
    # joins (a batch of 100k labour demands folded them in minutes)
    employers = temp_table(
        session,
        "w_employers",
        [Column("eid", Integer), Column("since", Date)],
        select(owner.label("eid"), func.min(since.c.since).label("since"))
        .join(since, since.c.rid == Labour.id)
        .group_by(owner),
        index=("eid",),
    )
    points = [select(employers.c.eid, later(employers.c.since, first))]
    for point in _scope_points(scope, window):
        points.append(point.join(employers, employers.c.eid == scope.c.eid))
    drop(session, *spans.values())
    seg = segments("w_employer_seg", window, points)
    yield (
        "employer",
        select(seg.c.key.label("eid"), seg.c.start, seg.c.stop, scope.c.district)
        .select_from(seg)
        .join(employers, and_(employers.c.eid == seg.c.key, employers.c.since <= seg.c.start))
        .join(scope, _in_scope(scope, seg.c.key, seg.c.start)),
    )
    drop(session, since, employers)


# --------------------------------------------------------------------------- 零报告


def _active_rows(window: Window, scope) -> Select:
    """Per enterprise of the scope and day of the window with at least one fact of it
    dated that day: eid, day, its district that day (the other districts send a 零报告)."""
    first, last = window.first, window.last
    view = window.view
    dated = [
        select(
            view.owner(EnterpriseEvent.enterprise_id).label("eid"),
            EnterpriseEvent.business_date.label("d"),
        )
        # a merge corrects the ledger; it is no fact of its day.  (Asked of the value,
        # not of the column: SQLite would read nearly every event through the index of
        # the few merges instead of the enterprises' own.)
        .where(
            EnterpriseEvent.business_date.between(first, last),
            func.coalesce(EnterpriseEvent.merged_into, 0) == 0,
            view.counts(EnterpriseEvent.batch_id),
            view.among("enterprise", view.owner(EnterpriseEvent.enterprise_id)),
        )
    ]
    for identity, model, owner in (
        (Plan, PlanEvent, "plan_id"),
        (Problem, ProblemEvent, "problem_id"),
        (Labour, LabourEvent, "labour_id"),
    ):
        part = (
            select(view.owner(identity.enterprise_id), model.business_date)
            .join(model, getattr(model, owner) == identity.id)
            .where(
                model.business_date.between(first, last),
                view.counts(model.batch_id),
                view.among("enterprise", view.owner(identity.enterprise_id)),
            )
        )
        if identity is Problem:  # a withdrawn problem was never a fact of any day
            part = part.where(Problem.id.not_in(withdrawn_problems(view)))
        if identity is Plan:
            part = part.where(view.counts_plan(Plan.id))
        dated.append(part)
    # each (enterprise, day) once: it is in one segment of the scope, or in none
    touched = union(*dated).subquery("touched")
    return select(touched.c.eid, touched.c.d.label("day"), scope.c.district).join(
        scope, _in_scope(scope, touched.c.eid, touched.c.d)
    )
