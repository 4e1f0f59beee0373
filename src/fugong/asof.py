"""The value of any field as of the end of day D, as known at moment T.

Everything the ledger shows is read through here, set-based in SQL (window
functions, which SQLite and PostgreSQL both have), so a list or a report is a
handful of queries whatever the size of the ledger.

Rules (SPEC "History and time"):
- a field's value as of D is its latest event dated <= D; same-day events
  apply in the order they were recorded (event id);
- an event counts only if its batch was recorded by T and not undone by T
  (T = None: everything recorded, minus what is undone now);
- an enterprise belongs to the ledger from its earliest dated entry in any
  ledger; its attributes before their first date take their first value (a
  registration dated after the first plan entry still names the enterprise).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import and_, case, func, literal, not_, or_, select, true, union_all
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, Select, Subquery

from .models import (
    EVENT_MODELS,
    Batch,
    EnterpriseEvent,
    Labour,
    LabourEvent,
    Plan,
    PlanEvent,
    Problem,
    ProblemEvent,
)

FAR_FUTURE = date(9999, 12, 31)
# above this many hidden batches (a --known-at long ago) `counts` asks the batch table
HIDDEN_LISTED = 500
IDENTITIES = {"plan": Plan, "problem": Problem, "labour": Labour}


@dataclass(frozen=True)
class View:
    """A point of view on the history: as of the end of `as_of`, as known at `known_at`.

    `merged` (from `with_merges`) maps each enterprise merged into another, as known
    in the view, to the enterprise it is: a merge holds at every date (the two were
    always one), so its records count for the one kept; `dropped_plans` are the
    plans whose history does not go on (where both had one).

    `districts` narrows what the queries read to the records of enterprises whose
    history ever names one of these districts (None: the whole ledger).  It is a
    filter before the as-of fold, never a rule of it: an enterprise in one of the
    districts as of D names it in its history, so every figure and row of these
    districts comes out as without it; callers still select the district as of D.
    """

    as_of: date = FAR_FUTURE
    known_at: datetime | None = None  # UTC, naive; None = now
    merged: tuple[tuple[int, int], ...] = ()
    dropped_plans: frozenset[int] = frozenset()
    districts: tuple[str, ...] | None = None
    # the enterprises ever in `districts`, when the caller holds them in a table (eid):
    # read once instead of once per query
    ever_in: Any = None
    # the batches whose events do not count in the view, when read (`with_merges`):
    # None = not read, `counts` asks the batch table per event
    hidden: frozenset[int] | None = None

    def owner(self, enterprise_id):
        """A record's enterprise column as the enterprise it counts for (SQL)."""
        if not self.merged:
            return enterprise_id
        return case(dict(self.merged), value=enterprise_id, else_=enterprise_id)

    def keep(self, enterprise_id: int) -> int:
        """The enterprise an enterprise id counts for (Python)."""
        return self._kept.get(enterprise_id, enterprise_id) if self.merged else enterprise_id

    @cached_property
    def _kept(self) -> dict[int, int]:
        # once per view: the lists ask it once per row (not a field: not compared)
        return dict(self.merged)

    def counts_plan(self, plan_id):
        """The condition that a plan's history counts (SQL; `plan_id`: a plan id column)."""
        return plan_id.not_in(self.dropped_plans) if self.dropped_plans else literal(True)

    def among(self, kind: str, rid) -> ColumnElement[bool]:
        """The condition that a record of `kind` (`rid`: its id column) may be in the
        districts (see `districts`): its enterprise, or the one it counts for after a
        merge, ever named one of them (SQL)."""
        if self.districts is None:
            return literal(True)
        table = self.ever_in
        ever = select(table.c.eid) if table is not None else ever_in(self.districts)
        if kind == "enterprise":
            return rid.in_(ever)
        identity = aliased(IDENTITIES[kind], name=f"{kind}_ever_in")
        return rid.in_(select(identity.id).where(self.owner(identity.enterprise_id).in_(ever)))

    def counts(self, batch_id) -> ColumnElement[bool]:
        """The condition that an event counts in the view (`batch_id`: its batch column;
        SQL): its batch is `visible`.  With the hidden batches read, a short list instead
        of a look-up in `batch` per event; none hidden (the usual case) is no condition.

        The list holds for the statements that see what `with_merges` saw: a read is
        one snapshot (SQLite's read transaction, REPEATABLE READ on PostgreSQL: see
        db.Ledger.session) and a writer holds the writer turn, so no batch is recorded
        or undone in between."""
        if self.hidden is None or len(self.hidden) > HIDDEN_LISTED:
            return batch_id.in_(select(Batch.id).where(self.visible()))
        return batch_id.not_in(sorted(self.hidden)) if self.hidden else true()

    def visible(self) -> ColumnElement[bool]:
        """The condition on `Batch` for its events to count (the rule `counts` applies)."""
        if self.known_at is None:
            return Batch.undone_at.is_(None)
        return and_(
            Batch.recorded_at <= self.known_at,
            or_(Batch.undone_at.is_(None), Batch.undone_at > self.known_at),
        )


def ever_in(districts: Iterable[str]) -> Select:
    """The enterprises whose history names one of these districts (View.districts): eid."""
    named = aliased(EnterpriseEvent, name="ever_in")
    return select(named.enterprise_id.label("eid")).where(named.district.in_(tuple(districts)))


def latest(
    kind: str, field: str, view: View, *, fallback: bool = False, event: bool = False
) -> Subquery:
    """Per record of `kind`: the value of `field` as of the view (columns rid, value, dated).

    `dated` is the business date of the event that set it, and with `event` its id is
    the column `event`.  With `fallback`, a record whose first value is dated after D
    takes that first value (used for enterprise attributes, see module docstring).
    """
    model, owner = EVENT_MODELS[kind]
    column = getattr(model, field)
    rid = getattr(model, owner)
    if fallback:
        in_range = model.business_date <= view.as_of
        order = (
            case((in_range, 0), else_=1),
            case((in_range, model.business_date), else_=None).desc(),
            model.business_date.asc(),
            model.id.desc(),
        )
        where = [column.is_not(None)]
    else:
        order = (model.business_date.desc(), model.id.desc())
        where = [column.is_not(None), model.business_date <= view.as_of]
    ranked = (
        select(
            rid.label("rid"),
            column.label("value"),
            model.business_date.label("dated"),
            model.id.label("event"),
            func.row_number().over(partition_by=rid, order_by=order).label("rn"),
        )
        .where(*where, view.counts(model.batch_id))
        .subquery()
    )
    columns = [ranked.c.rid, ranked.c.value, ranked.c.dated]
    if event:
        columns.append(ranked.c.event)
    return select(*columns).where(ranked.c.rn == 1).subquery(f"{kind}_{field}")


def withdrawn_problems(view: View) -> Select:
    """The problems withdrawn (作废) as known in the view: out of every figure and list
    at every date, whatever the withdrawal's business date (it was a mistake, not
    an event of that day)."""
    return select(ProblemEvent.problem_id).where(
        ProblemEvent.withdrawn.is_(True), view.counts(ProblemEvent.batch_id)
    )


def first_dates(kind: str, view: View) -> Subquery:
    """Per record of `kind`: the business date of its earliest visible event (rid, since)."""
    model, owner = EVENT_MODELS[kind]
    rid = getattr(model, owner)
    query = select(rid.label("rid"), func.min(model.business_date).label("since"))
    query = query.where(view.counts(model.batch_id), view.among(kind, rid))
    if kind == "problem":
        query = query.where(rid.not_in(withdrawn_problems(view)))
    return query.group_by(rid).subquery(f"{kind}_since")


def enterprise_since(view: View) -> Subquery:
    """Per enterprise: the earliest business date of any visible entry in any ledger (an
    enterprise merged into another adds its entries to that one's)."""
    event = EVENT_MODELS["enterprise"][0]
    parts = [
        select(
            view.owner(event.enterprise_id).label("eid"), event.business_date.label("dated")
        ).where(
            view.counts(event.batch_id), view.among("enterprise", view.owner(event.enterprise_id))
        )
    ]
    for identity, model, owner in (
        (Plan, PlanEvent, "plan_id"),
        (Problem, ProblemEvent, "problem_id"),
        (Labour, LabourEvent, "labour_id"),
    ):
        part = (
            select(
                view.owner(identity.enterprise_id).label("eid"), model.business_date.label("dated")
            )
            .join(model, getattr(model, owner) == identity.id)
            .where(
                view.counts(model.batch_id),
                view.among("enterprise", view.owner(identity.enterprise_id)),
            )
        )
        if identity is Problem:
            part = part.where(Problem.id.not_in(withdrawn_problems(view)))
        if identity is Plan and view.dropped_plans:
            part = part.where(Plan.id.not_in(view.dropped_plans))
        parts.append(part)
    entries = union_all(*parts).subquery("entries")
    return (
        select(entries.c.eid, func.min(entries.c.dated).label("since"))
        .group_by(entries.c.eid)
        .subquery("enterprise_since")
    )


def enterprises(view: View, fields: tuple[str, ...]) -> Select:
    """One row per enterprise in the ledger as of the view: `id`, `since` and `fields`."""
    since = enterprise_since(view)
    query = select(since.c.eid.label("id"), since.c.since).where(since.c.since <= view.as_of)
    for field in fields:
        sub = latest("enterprise", field, view, fallback=True)
        query = query.add_columns(sub.c.value.label(field)).outerjoin(sub, sub.c.rid == since.c.eid)
    return query


def records(kind: str, view: View, fields: tuple[str, ...]) -> tuple[Select, Subquery]:
    """One row per record of a ledger (plan/problem/labour) existing as of the view.

    Returns the query (columns `id`, `since`, then `fields`) and the `since`
    subquery, so callers can join more.
    """
    since = first_dates(kind, view)
    query = select(since.c.rid.label("id"), since.c.since).where(since.c.since <= view.as_of)
    for field in fields:
        sub = latest(kind, field, view)
        query = query.add_columns(sub.c.value.label(field)).outerjoin(sub, sub.c.rid == since.c.rid)
    return query, since


def inspection_in_force(view: View, rid, dated, eid) -> ColumnElement:
    """The inspection in force at a plan's event (`rid`, `dated`, `eid`: its plan, business
    date and id; SQL): the latest visible inspection at or before it in the order facts
    apply (business date, then recording order).  An inspection recorded with the event
    itself, as a sheet row gives both, came first.  NULL: none.

    The rule of SPEC "Figures" resumed_without_inspection: a resumption is uninspected
    unless the inspection in force at it passed.  `check` and the report share it."""
    event = aliased(PlanEvent, name="in_force")
    return (
        select(event.inspection)
        .where(
            event.plan_id == rid,
            event.inspection.is_not(None),
            or_(
                event.business_date < dated,
                and_(event.business_date == dated, event.id <= eid),
            ),
            view.counts(event.batch_id),
        )
        .order_by(event.business_date.desc(), event.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def uninspected(view: View, rid, dated, eid, status) -> ColumnElement:
    """1 when a plan's event (see inspection_in_force) gives `status` resumed without a
    passed inspection in force, else 0 (SQL).  The subquery runs for resumptions only."""
    return case(
        (
            status == "resumed",
            case(
                (func.coalesce(inspection_in_force(view, rid, dated, eid), "") == "passed", 0),
                else_=1,
            ),
        ),
        else_=0,
    )


def with_merges(session, view: View) -> View:
    """The view with what the ledger holds for it (see View): the batches hidden in it,
    who is merged into whom (chains followed), and which plans stop counting where both
    enterprises had one."""
    # visible() is never NULL (recorded_at is required), so its negation is exact
    hidden = session.execute(select(Batch.id).where(not_(view.visible()))).scalars()
    view = replace(view, hidden=frozenset(hidden))
    event = EnterpriseEvent
    rows = session.execute(
        select(event.enterprise_id, event.merged_into, event.merge_plan)
        .where(event.merged_into.is_not(None), view.counts(event.batch_id))
        .order_by(event.id)
    ).all()
    if not rows:
        return view
    into = {dup: keep for dup, keep, _plan in rows}

    def final(eid: int) -> int:
        seen = set()
        while eid in into and eid not in seen:
            seen.add(eid)
            eid = into[eid]
        return eid

    involved = set(into) | set(into.values())
    # the plan each enterprise goes on with, merge after merge in the order recorded
    # (a chain B -> A -> C: A carries B's plan into its own merge)
    going_on, lived = {}, set()
    for eid, pid, history in session.execute(
        select(Plan.enterprise_id, Plan.id, _has_history(view, Plan.id)).where(
            Plan.enterprise_id.in_(involved)
        )
    ):
        going_on[eid] = pid
        if history:
            lived.add(pid)
    dropped = set()
    for dup, keep, choice in rows:
        mine, theirs = going_on.pop(dup, None), going_on.get(keep)
        if mine is not None and theirs is not None:
            # where both have a history the merge says whose goes on (else the kept's);
            # where one has, that one: a plan none of whose events count in the view (all
            # undone, or recorded after its moment) is no plan, and must not hide the
            # other's (the merge recorded no choice then)
            if (mine in lived) != (theirs in lived):
                goes_on = mine if mine in lived else theirs
            else:
                goes_on = mine if choice == "merged" else theirs
            dropped.add(theirs if goes_on == mine else mine)
            going_on[keep] = goes_on
        elif mine is not None:
            going_on[keep] = mine
    merged = tuple(sorted((dup, final(dup)) for dup in into))
    return replace(view, merged=merged, dropped_plans=frozenset(dropped))


def with_merged(session, enterprise_ids: Iterable[int]) -> dict[int, int]:
    """These enterprises (each -> itself) and those merged into them, through any chain
    (-> the one of these it counts for), as known now: the records of all of them are
    the records of these (`enterprise merge`)."""
    return _owners(with_merges(session, View()), enterprise_ids)


def _owners(view: View, enterprise_ids: Iterable[int]) -> dict[int, int]:
    owners = {eid: eid for eid in enterprise_ids}
    owners.update([(dup, keep) for dup, keep in view.merged if keep in owners])
    return owners


def _has_history(view: View, plan_id) -> ColumnElement[bool]:
    """Whether any event of the plan counts in the view (SQL)."""
    event = PlanEvent
    return select(event.id).where(event.plan_id == plan_id, view.counts(event.batch_id)).exists()


def counting_plans(session, enterprise_ids: Iterable[int]) -> dict[int, int]:
    """The plan that counts for each of these enterprises, as known now: its own, or
    the one it took over from an enterprise merged into it (`enterprise merge`)."""
    view = with_merges(session, View())
    owners = _owners(view, enterprise_ids)
    found: dict[int, int] = {}
    for eid, pid in session.execute(
        select(Plan.enterprise_id, Plan.id).where(Plan.enterprise_id.in_(owners)).order_by(Plan.id)
    ):
        if pid not in view.dropped_plans:
            found.setdefault(owners[eid], pid)
    return found
