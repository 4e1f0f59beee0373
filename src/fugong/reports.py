"""The figures of SPEC "Figures", as of the end of a day, as known at a moment.

Everything is computed from the history at report time (rates are never
stored).  One code path serves a report (one day) and a trend (every day of a
window): `daily` reads each figure's inputs as spans over the window
(spans.py), groups the records' segments by their values in SQL, and spreads
each group over the days it covers.  `report` is `daily` over one day, so a
trend's day and that day's report come from the same rules by construction.
The city total is the sum of its districts; a rate is computed from the summed
numerator and denominator, never summed.  Returns plain dicts (the JSON
document); rendering happens in render.py.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Integer,
    String,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlmodel import Session

from . import clock
from .asof import (
    View,
    enterprise_since,
    ever_in,
    first_dates,
    uninspected,
    with_merges,
    withdrawn_problems,
)
from .models import (
    District,
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
    by_position,
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
    "returned",
    "return_base",
)
PROBLEM_COUNTS = ("raised", "resolved", "open", "overdue", "raised_today", "resolved_today")
LABOUR_COUNTS = ("enterprises", "needed", "filled", "gap")
TREND_DAYS = 14  # a trend's default length, and the chart of an HTML report


def rate(numerator: int, denominator: int) -> float | None:
    """A fraction rounded to 4 decimals; None when the denominator is 0."""
    return None if denominator == 0 else round(numerator / denominator, 4)


def _median(histogram: Counter) -> float | None:
    """statistics.median of the values a histogram (value -> how many) holds."""
    n = sum(histogram.values())
    if n == 0:
        return None
    wanted = {(n - 1) // 2, n // 2}
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        count = histogram[value]
        found += [value] * len({i for i in wanted if seen <= i < seen + count})
        seen += count
    middle = found[0] if len(found) == 1 else (found[0] + found[1]) / 2
    return int(middle) if float(middle).is_integer() else round(middle, 1)


# --------------------------------------------------------------------------- the tally


class Tally:
    """Figures per day of a window, filled by ranges of days (difference arrays).

    A key is a tuple (district, section, figure, ...); `add` counts `amount`
    on every day of [start, stop), `on` on one day when it lies in [start, stop).
    """

    def __init__(self, window: Window):
        self.window = window
        self.diffs: dict[tuple, list[int]] = {}

    def add(self, key: tuple, start: date, stop: date, amount: int = 1) -> None:
        if not amount:
            return
        i, j = self.window.index(start), self.window.index(stop)
        if i >= j:
            return
        diff = self.diffs.get(key)
        if diff is None:
            diff = self.diffs[key] = [0] * (self.window.length + 1)
        diff[i] += amount
        diff[j] -= amount

    def on(self, key: tuple, day: date | None, start: date, stop: date, amount: int = 1) -> None:
        if day is not None and start <= day < stop:
            self.add(key, day, day + timedelta(days=1), amount)

    def series(self) -> dict[tuple, list[int]]:
        out = {}
        for key, diff in self.diffs.items():
            running, values = 0, []
            for step in diff[:-1]:
                running += step
                values.append(running)
            out[key] = values
        return out


# --------------------------------------------------------------------------- the scope


def _scope(session: Session, window: Window, codes: list[str]):
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
        span = span_table(session, f"w_ent_{name}", kind, span_query("enterprise", name, window))
        fill_back(session, span, "enterprise", name, window, since.c.eid, since.c.since)
        attributes[name] = span
    points = [select(since.c.eid, later(since.c.since, window.first_literal()))]
    points += [select(span.c.rid, span.c.start) for span in attributes.values()]
    seg = segments(session, "w_ent_seg", window, points)
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
        .where(attributes["district"].c.value.in_(codes))
    )
    columns = [
        Column("eid", Integer),
        Column("start", Date),
        Column("stop", Date),
        Column("district", String),
        Column("above_scale", Boolean),
        Column("employees", Integer),
    ]
    scope = temp_table(session, "w_scope", columns, query, index=("eid", "start"))
    drop(session, since, seg, *attributes.values())
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


def _plans(session: Session, window: Window, scope, all_enterprises: bool, tally: Tally) -> None:
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
    seg = segments(session, "w_plan_seg", window, points)

    is_resumed = status.c.value == "resumed"
    query = (
        select(
            seg.c.start,
            seg.c.stop,
            scope.c.district,
            status.c.value.label("status"),
            status.c.ever,
            status.c.today_on,
            status.c.uninspected,
            func.count().label("n"),
            func.sum(case((is_resumed, returned.c.value), else_=0)).label("returned"),
            func.sum(
                case(
                    (
                        and_(
                            is_resumed,
                            returned.c.value.is_not(None),
                            scope.c.employees.is_not(None),
                        ),
                        scope.c.employees,
                    ),
                    else_=0,
                )
            ).label("base"),
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
        .group_by(*by_position(7))
    )
    if not all_enterprises:
        query = query.where(scope.c.above_scale == literal(True))
    for row in session.execute(query):
        span = (row.start, row.stop)
        key = row.status or "unreported"
        tally.add((row.district, "plans", key), *span, row.n)
        if key == "excluded":
            continue  # an excluded enterprise leaves every plan figure but `excluded`
        if row.ever:
            tally.add((row.district, "plans", "resumed_ever"), *span, row.n)
        tally.on((row.district, "plans", "resumed_today"), row.today_on, *span, row.n)
        if key == "resumed":
            if row.uninspected:
                tally.add((row.district, "plans", "resumed_without_inspection"), *span, row.n)
            tally.add((row.district, "plans", "returned"), *span, int(row.returned or 0))
            tally.add((row.district, "plans", "return_base"), *span, int(row.base or 0))
    drop(session, status, returned, seg)


def _plan_figures(series, code: str, i: int) -> dict[str, Any]:
    figures = {key: _at(series, (code, "plans", key), i) for key in PLAN_COUNTS}
    return _finish_plans(figures)


def _finish_plans(figures: dict[str, Any]) -> dict[str, Any]:
    counted = sum(figures[s] for s in PLAN_STATUSES) + figures["unreported"]
    figures["total"] = counted - figures["excluded"]
    figures["operating"] = figures["not_stopped"] + figures["resumed"]
    figures["resumption_rate"] = rate(figures["operating"], figures["total"])
    figures["return_rate"] = rate(figures["returned"], figures["return_base"])
    return figures


# --------------------------------------------------------------------------- problems


def _problems(session: Session, window: Window, scope, tally: Tally) -> None:
    since = first_dates("problem", window.view)
    since = temp_table(
        session,
        "w_problem_since",
        [Column("rid", Integer), Column("since", Date)],
        select(since.c.rid, since.c.since).where(since.c.since <= window.last),
        index=("rid",),
    )
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
    seg = segments(session, "w_problem_seg", window, points)

    category, status, deadline = spans["category"], spans["status"], spans["deadline"]
    resolved = status.c.value == "resolved"
    resolved_on = case((resolved, status.c.dated))
    open_deadline = case((resolved, None), else_=deadline.c.value)
    raised_today = case((since.c.since >= window.first_literal(), since.c.since))
    raised_on = case((resolved, Problem.raised_on))
    query = (
        select(
            seg.c.start,
            seg.c.stop,
            scope.c.district,
            category.c.value.label("category"),
            status.c.value.label("status"),
            resolved_on.label("resolved_on"),
            open_deadline.label("deadline"),
            raised_today.label("since"),
            raised_on.label("raised_on"),
            func.count().label("n"),
        )
        .select_from(seg)
        .join(Problem, Problem.id == seg.c.key)
        .join(since, and_(since.c.rid == seg.c.key, since.c.since <= seg.c.start))
        .join(scope, _in_scope(scope, window.view.owner(Problem.enterprise_id), seg.c.start))
        .outerjoin(category, containing(category, seg.c.key, seg.c.start))
        .outerjoin(status, containing(status, seg.c.key, seg.c.start))
        .outerjoin(deadline, containing(deadline, seg.c.key, seg.c.start))
        .group_by(*by_position(9))
    )
    for row in session.execute(query):
        span, where = (row.start, row.stop), row.district
        tally.add((where, "problems", "raised"), *span, row.n)
        tally.add((where, "problems", "by_category", row.category or "other"), *span, row.n)
        tally.on((where, "problems", "raised_today"), row.since, *span, row.n)
        if row.status == "resolved":
            tally.add((where, "problems", "resolved"), *span, row.n)
            tally.on((where, "problems", "resolved_today"), row.resolved_on, *span, row.n)
            days = (row.resolved_on - row.raised_on).days
            tally.add((where, "problems", "days_to_resolve", days), *span, row.n)
        else:
            tally.add((where, "problems", "open"), *span, row.n)
            if row.deadline is not None:  # overdue from the day after the deadline
                after = max(row.start, row.deadline + timedelta(days=1))
                tally.add((where, "problems", "overdue"), after, row.stop, row.n)
    drop(session, since, seg, *spans.values())


def _empty_problems() -> dict[str, Any]:
    return {**dict.fromkeys(PROBLEM_COUNTS, 0), "by_category": dict.fromkeys(CATEGORY.terms, 0)}


def _problem_figures(series, extras, code: str, i: int) -> tuple[dict[str, Any], Counter]:
    figures = _empty_problems()
    for key in PROBLEM_COUNTS:
        figures[key] = _at(series, (code, "problems", key), i)
    for category in extras.get((code, "by_category"), ()):
        value = _at(series, (code, "problems", "by_category", category), i)
        if value or category in figures["by_category"]:
            figures["by_category"][category] = value
    histogram = Counter()
    for days in extras.get((code, "days_to_resolve"), ()):
        count = _at(series, (code, "problems", "days_to_resolve", days), i)
        if count:
            histogram[days] = count
    figures["median_days_to_resolve"] = _median(histogram)
    return figures, histogram


# --------------------------------------------------------------------------- labour


def _labour(session: Session, window: Window, scope, tally: Tally) -> None:
    since = first_dates("labour", window.view)
    since = temp_table(
        session,
        "w_labour_since",
        [Column("rid", Integer), Column("since", Date)],
        select(since.c.rid, since.c.since).where(since.c.since <= window.last),
        index=("rid",),
    )
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
    seg = segments(session, "w_labour_seg", window, points)
    needed, filled = spans["needed"], spans["filled"]
    query = (
        select(
            seg.c.start,
            seg.c.stop,
            scope.c.district,
            Labour.job_type,
            func.count().label("n"),
            func.coalesce(func.sum(needed.c.value), 0).label("needed"),
            func.coalesce(func.sum(filled.c.value), 0).label("filled"),
        )
        .select_from(seg)
        .join(Labour, Labour.id == seg.c.key)
        .join(since, and_(since.c.rid == seg.c.key, since.c.since <= seg.c.start))
        .join(scope, _in_scope(scope, window.view.owner(Labour.enterprise_id), seg.c.start))
        .outerjoin(needed, containing(needed, seg.c.key, seg.c.start))
        .outerjoin(filled, containing(filled, seg.c.key, seg.c.start))
        .group_by(*by_position(4))
    )
    for row in session.execute(query):
        span, where = (row.start, row.stop), row.district
        tally.add((where, "labour", "job", row.job_type, "records"), *span, row.n)
        tally.add((where, "labour", "job", row.job_type, "needed"), *span, int(row.needed))
        tally.add((where, "labour", "job", row.job_type, "filled"), *span, int(row.filled))

    # enterprises with demand: from the first day any of their demands exists
    owner = window.view.owner(Labour.enterprise_id)
    employers = (
        select(owner.label("eid"), func.min(since.c.since).label("since"))
        .join(since, since.c.rid == Labour.id)
        .group_by(owner)
        .subquery("employers")
    )
    points = [select(employers.c.eid, later(employers.c.since, first))]
    for point in _scope_points(scope, window):
        points.append(point.join(employers, employers.c.eid == scope.c.eid))
    drop(session, seg, *spans.values())
    seg = segments(session, "w_employer_seg", window, points)
    query = (
        select(seg.c.start, seg.c.stop, scope.c.district, func.count().label("n"))
        .select_from(seg)
        .join(employers, and_(employers.c.eid == seg.c.key, employers.c.since <= seg.c.start))
        .join(scope, _in_scope(scope, seg.c.key, seg.c.start))
        .group_by(*by_position(3))
    )
    for row in session.execute(query):
        tally.add((row.district, "labour", "enterprises"), row.start, row.stop, row.n)
    drop(session, since, seg)


def _empty_labour() -> dict[str, Any]:
    return {**dict.fromkeys(LABOUR_COUNTS, 0), "by_job_type": {}}


def _labour_figures(series, extras, code: str, i: int) -> dict[str, Any]:
    figures = _empty_labour()
    figures["enterprises"] = _at(series, (code, "labour", "enterprises"), i)
    for job in sorted(extras.get((code, "job"), ())):
        if not _at(series, (code, "labour", "job", job, "records"), i):
            continue
        needed = _at(series, (code, "labour", "job", job, "needed"), i)
        filled = _at(series, (code, "labour", "job", job, "filled"), i)
        figures["needed"] += needed
        figures["filled"] += filled
        figures["gap"] += needed - filled
        figures["by_job_type"][job] = {"needed": needed, "filled": filled, "gap": needed - filled}
    return figures


# --------------------------------------------------------------------------- 零报告


def _active(session: Session, window: Window, scope) -> set[tuple[date, str]]:
    """(day, district) with at least one fact of the scope dated that day (the others
    send a 零报告)."""
    first, last = window.first, window.last
    view = window.view
    dated = [
        select(
            view.owner(EnterpriseEvent.enterprise_id).label("eid"),
            EnterpriseEvent.business_date.label("d"),
        )
        # a merge corrects the ledger; it is no fact of its day
        .where(
            EnterpriseEvent.business_date.between(first, last),
            EnterpriseEvent.merged_into.is_(None),
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
    touched = union_all(*dated).subquery("touched")
    query = (
        select(touched.c.d, scope.c.district)
        .join(scope, _in_scope(scope, touched.c.eid, touched.c.d))
        .distinct()
    )
    return {(row.d, row.district) for row in session.execute(query)}


# --------------------------------------------------------------------------- assembling


def _at(series, key: tuple, i: int) -> int:
    values = series.get(key)
    return values[i] if values is not None else 0


def _extras(series) -> dict[tuple, set]:
    """The open-ended keys met: categories, days to resolve, job types, per district."""
    found: dict[tuple, set] = defaultdict(set)
    for key in series:
        if key[1] == "problems" and len(key) == 4:
            found[(key[0], key[2])].add(key[3])
        elif key[1] == "labour" and key[2] == "job":
            found[(key[0], "job")].add(key[3])
    return found


def _sum_into(total: dict[str, Any], part: dict[str, Any]) -> None:
    for key, value in part.items():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int):
            total[key] = total.get(key, 0) + value
        elif isinstance(value, dict):
            _sum_into(total.setdefault(key, {}), value)


def _document(scope: District, day: date, plans, problems, labour, active: bool) -> dict[str, Any]:
    return {
        "scope": {"code": scope.code, "name": scope.name},
        "as_of": day.isoformat(),
        "known_at": None,
        "generated_at": None,
        "zero_report": not active,
        "plans": plans,
        "problems": problems,
        "labour": labour,
    }


def members_of(session: Session, district: District) -> list[District]:
    """The districts a scope sums: a city's children, else the district itself."""
    children = list(
        session.execute(
            select(District).where(District.parent == district.code).order_by(District.code)
        ).scalars()
    )
    return children or [district]


def daily(
    *,
    session: Session,
    district: District,
    first: date,
    last: date,
    known_at: datetime | None = None,
    all_enterprises: bool = False,
    generated_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """The report of every day first..last: one document per day, each what `report`
    gives as of that day.

    `known_at` (naive UTC) leaves out what was recorded later.  Without it the
    figures are as known at `generated_at` (default: now), so that `--known-at`
    that moment gives them again.
    """
    from .history import moment

    generated_at = generated_at or clock.now_utc()
    seen = known_at or generated_at
    members = members_of(session, district)
    city = members != [district]
    codes = [d.code for d in members]
    view = with_merges(session, View(last, seen))
    ever = None
    if not city:  # a district's report reads only what its enterprises (ever in it) recorded
        query = ever_in(codes).distinct()
        ever = temp_table(session, "w_ever_in", [Column("eid", Integer)], query, index=("eid",))
        view = replace(view, districts=tuple(codes), ever_in=ever)
    window = Window(first, last, seen, view)
    scope = _scope(session, window, codes)
    tally = Tally(window)
    _plans(session, window, scope, all_enterprises, tally)
    _problems(session, window, scope, tally)
    _labour(session, window, scope, tally)
    active = _active(session, window, scope)
    drop(session, scope, ever)
    series = tally.series()
    extras = _extras(series)
    stamps = {
        "known_at": moment(known_at) if known_at is not None else None,
        "generated_at": moment(generated_at),
    }

    out = []
    for i, day in enumerate(window.days):
        docs = []
        plans_total: dict[str, Any] = dict.fromkeys(PLAN_COUNTS, 0)
        problems_total: dict[str, Any] = _empty_problems()
        labour_total: dict[str, Any] = _empty_labour()
        histogram: Counter = Counter()
        for member in members:
            plans = _plan_figures(series, member.code, i)
            problems, days = _problem_figures(series, extras, member.code, i)
            labour = _labour_figures(series, extras, member.code, i)
            docs.append(
                {
                    **_document(member, day, plans, problems, labour, (day, member.code) in active),
                    **stamps,
                }
            )
            _sum_into(plans_total, {k: plans[k] for k in PLAN_COUNTS})
            _sum_into(problems_total, {k: v for k, v in problems.items() if k in PROBLEM_COUNTS})
            _sum_into(problems_total["by_category"], problems["by_category"])
            _sum_into(labour_total, labour)
            histogram += days
        if not city:
            doc = docs[0]
        else:
            _finish_plans(plans_total)
            problems_total["median_days_to_resolve"] = _median(histogram)
            anyone = any((day, code) in active for code in codes)
            doc = {
                **_document(district, day, plans_total, problems_total, labour_total, anyone),
                **stamps,
            }
            doc["districts"] = docs
        doc["all_enterprises"] = all_enterprises
        out.append(doc)
    return out


def report(
    *,
    session: Session,
    district: District,
    as_of: date,
    known_at: datetime | None = None,
    all_enterprises: bool = False,
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """The report of one district, or of a city with its districts and their sum."""
    return daily(
        session=session,
        district=district,
        first=as_of,
        last=as_of,
        known_at=known_at,
        all_enterprises=all_enterprises,
        generated_at=generated_at,
    )[0]


def trend(
    *,
    session: Session,
    district: District,
    first: date,
    last: date,
    known_at: datetime | None = None,
    all_enterprises: bool = False,
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """The figures of every day first..last: the title block's data and, under `days`,
    per day its `date` and the report of that day (for a city with its districts)."""
    days = daily(
        session=session,
        district=district,
        first=first,
        last=last,
        known_at=known_at,
        all_enterprises=all_enterprises,
        generated_at=generated_at,
    )
    return {
        "scope": days[0]["scope"],
        "from": first.isoformat(),
        "to": last.isoformat(),
        "known_at": days[0]["known_at"],
        "generated_at": days[0]["generated_at"],
        "all_enterprises": all_enterprises,
        "days": [{"date": doc["as_of"], **doc} for doc in days],
    }
