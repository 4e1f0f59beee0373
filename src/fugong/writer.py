"""The recording commands' side of the one writer: look up, decide, record.

Each function takes the unit of work keyword-first (STYLE.md #6), loads the
history of the record it changes (timeline.py), asks rules.py what to record
and records it through the unit (unit.py).  Nothing here decides a rule:
refusals come from rules.py, with the column they concern, and the CLI adds
the option and the value as typed.
"""

from __future__ import annotations

import getpass
import os
from datetime import date
from typing import Any

from sqlalchemy import select

from . import rules
from .asof import counting_plans, with_merged
from .errors import FugongError
from .models import Enterprise, Labour, Plan, Problem
from .registry import owner_of_name, owner_of_uscc
from .rules import Decision, LabourChange, Owner, PlanChange, ProblemChange
from .timeline import Timeline, load_one
from .unit import UnitOfWork
from .values import name_key


def current_user(by: str | None = None) -> str:
    """Who records: --by, else FUGONG_USER, else the OS user."""
    if by and by.strip():
        return by.strip()
    if os.environ.get("FUGONG_USER", "").strip():
        return os.environ["FUGONG_USER"].strip()
    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container
        return "unknown"


def _owner(enterprise: Enterprise | None) -> Owner | None:
    if enterprise is None:
        return None
    return Owner(enterprise.id, enterprise.name, enterprise.uscc, enterprise.district)


# --------------------------------------------------------------------------- enterprises


def register_enterprise(
    unit: UnitOfWork, *, on: date, name: str, district: str, **attrs: Any
) -> Enterprise:
    """Register a new enterprise (district = a county code)."""
    session = unit.session
    values = {"name": name.strip(), "district": district, **attrs}
    decision = rules.new_enterprise(
        values,
        on,
        today=unit.today,
        uscc_owner=_owner(owner_of_uscc(session, attrs["uscc"])) if attrs.get("uscc") else None,
        name_owner=_owner(owner_of_name(session, values["name"], district)),
    )
    enterprise = Enterprise(
        uscc=attrs.get("uscc"),
        name=values["name"],
        name_key=name_key(values["name"]),
        district=district,
    )
    session.add(enterprise)
    session.flush()
    unit.record("enterprise", enterprise.id, decision, action="register")
    return enterprise


def edit_enterprise(
    unit: UnitOfWork, *, on: date, enterprise: Enterprise, changes: dict[str, Any]
) -> dict[str, Any]:
    """Record the attribute changes that differ from the state as of `on`."""
    session = unit.session
    history = load_one(session, "enterprise", enterprise.id)
    state = history.state(on, fallback=True)
    name = changes.get("name") or state.get("name") or enterprise.name
    district = changes.get("district") or state.get("district") or enterprise.district
    uscc = changes.get("uscc")
    decision = rules.enterprise_changes(
        history,
        changes,
        on,
        today=unit.today,
        restating=False,
        same_name=False,
        uscc_owner=_owner(owner_of_uscc(session, uscc, besides=enterprise.id)) if uscc else None,
        name_owner=_owner(owner_of_name(session, name, district, besides=enterprise.id)),
    )
    unit.record("enterprise", enterprise.id, decision, action="edit")
    return decision.fields()


def merge_enterprises(
    unit: UnitOfWork, *, duplicate: Enterprise, keep: Enterprise, on: date, plan: str | None
) -> Plan | None:
    """Merge an enterprise entered twice into the one kept; returns the plan whose history
    goes on (None: neither had one)."""
    mine = plan_of(unit, duplicate, create=False)
    theirs = plan_of(unit, keep, create=False)
    planned = [p for p in (mine, theirs) if p is not None and load_one(unit.session, "plan", p.id)]
    decision = rules.merge_enterprises(
        _owner(duplicate),
        _owner(keep),
        on=on,
        today=unit.today,
        both_planned=len(planned) == 2,
        plan=plan,
    )
    unit.record("enterprise", duplicate.id, decision, action="merge")
    if len(planned) == 2:
        return mine if plan == "merged" else theirs
    return planned[0] if planned else None


# --------------------------------------------------------------------------- plans


def plan_of(unit: UnitOfWork, enterprise: Enterprise, *, create: bool) -> Plan | None:
    """The enterprise's plan: its own, or the one it goes on with after a merge."""
    pid = counting_plans(unit.session, [enterprise.id]).get(enterprise.id)
    plan = unit.session.get(Plan, pid) if pid is not None else None
    if plan is None and create:
        plan = Plan(enterprise_id=enterprise.id)
        unit.session.add(plan)
        unit.session.flush()
    return plan


def _plan_history(unit: UnitOfWork, plan: Plan | None) -> Timeline:
    return load_one(unit.session, "plan", plan.id) if plan is not None else Timeline()


def _record_plan(
    unit: UnitOfWork, enterprise: Enterprise, decision: Decision, action: str
) -> dict[str, Any]:
    if decision:
        plan = plan_of(unit, enterprise, create=True)
        unit.record("plan", plan.id, decision, action=action)  # type: ignore[union-attr]
    return decision.fields()


def add_plan(unit: UnitOfWork, *, enterprise: Enterprise, change: PlanChange) -> dict[str, Any]:
    """`plan add`: the enterprise's first plan."""
    plan = plan_of(unit, enterprise, create=False)
    decision = rules.new_plan(
        _plan_history(unit, plan), change, today=unit.today, name=enterprise.name
    )
    return _record_plan(unit, enterprise, decision, "add")


def change_plan(
    unit: UnitOfWork, *, enterprise: Enterprise, change: PlanChange, action: str
) -> dict[str, Any]:
    """`plan set` / `plan inspect`: what differs from the plan's state (creating it)."""
    plan = plan_of(unit, enterprise, create=False)
    decision = rules.plan_changes(_plan_history(unit, plan), change, today=unit.today)
    return _record_plan(unit, enterprise, decision, action)


# --------------------------------------------------------------------------- problems


def get_problem(unit_or_session, problem_id: int) -> Problem:
    session = getattr(unit_or_session, "session", unit_or_session)
    problem = session.get(Problem, problem_id) if problem_id < 2**31 else None
    if problem is None or not problem.live:
        raise FugongError(f"未知问题编号 {problem_id}", f"unknown problem id {problem_id}")
    return problem


def add_problem(
    unit: UnitOfWork,
    *,
    enterprise: Enterprise,
    change: ProblemChange,
    ref: str | None = None,
) -> Problem:
    """Record a problem raised on `change.on`; one already recorded (same enterprise or
    one merged into it, date raised and description — the import's matching key) is
    refused."""
    decision = rules.new_problem(change, change.on, today=unit.today)
    description = decision.changes[0][1]["description"]
    key = name_key(description)
    session = unit.session
    same = session.execute(
        select(Problem.id).where(
            Problem.enterprise_id.in_(with_merged(session, [enterprise.id])),
            Problem.raised_on == change.on,
            Problem.description_key == key,
            Problem.live,
        )
    ).scalars()
    for pid in same:
        if not rules.withdrawn(load_one(session, "problem", pid)):
            raise rules.duplicate_problem(pid)
    if ref:
        for pid in session.execute(
            select(Problem.id).where(Problem.ref == ref, Problem.live)
        ).scalars():
            if not rules.withdrawn(load_one(session, "problem", pid)):
                raise rules.taken_ref(ref, pid)
    problem = Problem(
        enterprise_id=enterprise.id, ref=ref, raised_on=change.on, description_key=key
    )
    session.add(problem)
    session.flush()
    unit.record("problem", problem.id, decision, action="add")
    return problem


def _problem_history(unit: UnitOfWork, problem: Problem) -> Timeline:
    history = load_one(unit.session, "problem", problem.id)
    rules.refuse_withdrawn(history, problem.id)
    return history


def change_problem(
    unit: UnitOfWork, *, problem: Problem, change: ProblemChange, action: str
) -> dict[str, Any]:
    """`problem assign` / `problem edit`: what differs from the problem's state."""
    decision = rules.problem_changes(
        _problem_history(unit, problem),
        problem.raised_on,
        change,
        today=unit.today,
        restating=False,
    )
    unit.record("problem", problem.id, decision, action=action)
    return decision.fields()


def resolve_problem(unit: UnitOfWork, *, problem: Problem, note: str, on: date) -> None:
    decision = rules.resolve_problem(
        _problem_history(unit, problem), problem.raised_on, problem.id, note, on, today=unit.today
    )
    unit.record("problem", problem.id, decision, action="resolve")


def reopen_problem(unit: UnitOfWork, *, problem: Problem, reason: str, on: date) -> None:
    decision = rules.reopen_problem(
        _problem_history(unit, problem), problem.raised_on, problem.id, reason, on, today=unit.today
    )
    unit.record("problem", problem.id, decision, action="reopen")


def withdraw_problem(unit: UnitOfWork, *, problem: Problem, reason: str, on: date) -> None:
    """`problem withdraw`: 作废 — out of every figure and list at every date."""
    history = load_one(unit.session, "problem", problem.id)
    decision = rules.withdraw_problem(history, problem.id, reason, on, today=unit.today)
    unit.record("problem", problem.id, decision, action="withdraw")


# --------------------------------------------------------------------------- labour


def get_labour(unit_or_session, labour_id: int) -> Labour:
    session = getattr(unit_or_session, "session", unit_or_session)
    labour = session.get(Labour, labour_id) if labour_id < 2**31 else None
    if labour is None or not labour.live:
        raise FugongError(f"未知用工需求编号 {labour_id}", f"unknown labour demand id {labour_id}")
    return labour


def add_labour(
    unit: UnitOfWork, *, enterprise: Enterprise, job_type: str, change: LabourChange
) -> Labour:
    existing = (
        unit.session.execute(
            select(Labour)
            .where(
                Labour.enterprise_id.in_(with_merged(unit.session, [enterprise.id])),
                Labour.job_type == job_type,
                Labour.live,
            )
            .order_by(Labour.enterprise_id != enterprise.id, Labour.id)
        )
        .scalars()
        .first()
    )  # (both enterprises of a merge may have had one: its own, as a sheet row means)
    if existing is not None:
        raise rules.existing_labour(enterprise.name, job_type, existing.id)
    decision = rules.new_labour(change, change.on, today=unit.today)
    labour = Labour(enterprise_id=enterprise.id, job_type=job_type, raised_on=change.on)
    unit.session.add(labour)
    unit.session.flush()
    unit.record("labour", labour.id, decision, action="add")
    return labour


def set_labour(unit: UnitOfWork, *, labour: Labour, change: LabourChange) -> dict[str, Any]:
    """`labour set`: absolute figures (a corrected need, a recount of the hired)."""
    history = load_one(unit.session, "labour", labour.id)
    decision = rules.labour_changes(
        history, labour.raised_on, change, today=unit.today, restating=False
    )
    unit.record("labour", labour.id, decision, action="set")
    return decision.fields()


def fill_labour(unit: UnitOfWork, *, labour: Labour, count: int, on: date) -> int:
    """Add `count` hires from `on` on; returns the filled figure on `on`."""
    history = load_one(unit.session, "labour", labour.id)
    decision = rules.fill_labour(history, labour.raised_on, count, on, today=unit.today)
    unit.record("labour", labour.id, decision, action="fill")
    return decision.changes[0][1]["filled"]
