"""The figures of SPEC "Figures", as of the end of a day, as known at a moment.

Every figure is counted at report time (rates are never stored) from the rows
of figures.py: per record and segment of days, the inputs of its figures.  They
are folded from the history for the window (spans.py), or read from the read
model the writer keeps of them as known now (readmodel.py): the same rows made
by the same code.  One code path serves a report (one day) and a trend (every
day of a window): `daily` groups the rows by their values in SQL and spreads
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

from sqlalchemy import Column, Integer, func, literal, select
from sqlmodel import Session

from . import clock, readmodel
from .asof import View, ever_in, with_merges
from .figures import section_rows
from .models import District
from .spans import Window, by_position, drop, temp_table
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


# --------------------------------------------------------------------------- counting


def _count(
    session: Session, window: Window, sections, all_enterprises: bool
) -> tuple[Tally, set[tuple[date, str]]]:
    """The figures of every day of the window from each section's rows (figures.py),
    and the (day, district) pairs with a fact (the other districts send a 零报告)."""
    tally = Tally(window)
    active: set[tuple[date, str]] = set()
    for name, query in sections:
        rows = query.subquery(f"{name}_rows")
        if name == "plan":
            _count_plans(session, rows, tally, all_enterprises)
        elif name == "problem":
            _count_problems(session, rows, tally)
        elif name == "labour":
            _count_labour(session, rows, tally)
        elif name == "employer":
            _count_employers(session, rows, tally)
        else:
            found = select(rows.c.day, rows.c.district).distinct()
            active = {(row.day, row.district) for row in session.execute(found)}
    return tally, active


def _grouped(rows, keys: list, totals: list):
    """GROUP BY the period and `keys`, with `totals`.  Rows without period columns (the
    read model over one day: every row holds that day) are grouped by `keys` alone,
    which lets the database group in one pass without sorting constants."""
    period = [rows.c.start, rows.c.stop] if "start" in rows.c else []
    columns = [*period, *keys]
    return select(*columns, *totals).group_by(*by_position(len(columns)))


def _period(row, window: Window) -> tuple[date, date]:
    """The days [start, stop) a grouped row covers (the window's when it has no period)."""
    if "start" in row._fields:
        return row.start, row.stop
    return window.first, window.stop


def _count_plans(session: Session, rows, tally: Tally, all_enterprises: bool) -> None:
    c = rows.c
    query = _grouped(
        rows,
        [c.district, c.status, c.ever, c.today_on, c.uninspected],
        [
            func.count().label("n"),
            func.sum(c.returned).label("returned"),
            func.sum(c.base).label("base"),
        ],
    )
    if not all_enterprises:
        query = query.where(c.above_scale == literal(True))
    for row in session.execute(query):
        span = _period(row, tally.window)
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


def _count_problems(session: Session, rows, tally: Tally) -> None:
    c = rows.c
    keys = [c.district, c.category, c.status, c.resolved_on, c.deadline, c.since, c.raised_on]
    query = _grouped(rows, keys, [func.count().label("n")])
    for row in session.execute(query):
        span, where = _period(row, tally.window), row.district
        start, stop = span
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
                after = max(start, row.deadline + timedelta(days=1))
                tally.add((where, "problems", "overdue"), after, stop, row.n)


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


def _count_labour(session: Session, rows, tally: Tally) -> None:
    c = rows.c
    totals = [
        func.count().label("n"),
        func.coalesce(func.sum(c.needed), 0).label("needed"),
        func.coalesce(func.sum(c.filled), 0).label("filled"),
    ]
    for row in session.execute(_grouped(rows, [c.district, c.job_type], totals)):
        span, where = _period(row, tally.window), row.district
        tally.add((where, "labour", "job", row.job_type, "records"), *span, row.n)
        tally.add((where, "labour", "job", row.job_type, "needed"), *span, int(row.needed))
        tally.add((where, "labour", "job", row.job_type, "filled"), *span, int(row.filled))


def _count_employers(session: Session, rows, tally: Tally) -> None:
    query = _grouped(rows, [rows.c.district], [func.count().label("n")])
    for row in session.execute(query):
        tally.add((row.district, "labour", "enterprises"), *_period(row, tally.window), row.n)


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
    history: bool = False,
) -> list[dict[str, Any]]:
    """The report of every day first..last: one document per day, each what `report`
    gives as of that day.

    `known_at` (naive UTC) leaves out what was recorded later.  Without it the
    figures are as known at `generated_at` (default: now), so that `--known-at`
    that moment gives them again.

    The rows the figures count (figures.py) are the read model's when it reflects
    the ledger as known at that moment (readmodel.reflects), else folded from the
    history; `history` folds the history always (check, tests).
    """
    from .history import moment

    generated_at = generated_at or clock.now_utc()
    seen = known_at or generated_at
    members = members_of(session, district)
    city = members != [district]
    codes = [d.code for d in members]
    ever = None
    if not history and readmodel.reflects(session, seen):
        window = Window(first, last, seen)
        sections = readmodel.read_rows(window, codes)
    else:
        view = with_merges(session, View(last, seen))
        if not city:  # a district's report reads only what its enterprises (ever in it) did
            query = ever_in(codes).distinct()
            ever = temp_table(session, "w_ever_in", [Column("eid", Integer)], query, index=("eid",))
            view = replace(view, districts=tuple(codes), ever_in=ever)
        window = Window(first, last, seen, view)
        sections = section_rows(session, window, codes)
    tally, active = _count(session, window, sections, all_enterprises)
    drop(session, ever)
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
