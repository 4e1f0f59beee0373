"""Recording, changing and resolving: the only code that writes to the ledger.

Every write goes through a `Batch` (who, when, what command or file) and
leaves one event per changed record; nothing is updated in place but the
`Enterprise` cache, which `refresh_enterprises` keeps equal to the history.
Functions take the session keyword-only first (STYLE.md #6) and raise
`FugongError` with the officer's message when the input cannot be applied.
"""

from __future__ import annotations

import difflib
import getpass
import os
from datetime import date
from typing import Any

from sqlmodel import Session, select

from .asof import FAR_FUTURE as FAR
from .asof import View
from .clock import now_utc
from .errors import FugongError
from .models import (
    EVENT_FIELDS,
    EVENT_MODELS,
    Batch,
    District,
    Enterprise,
    EnterpriseEvent,
    Labour,
    LabourEvent,
    Plan,
    Problem,
)
from .values import name_key, normalize_uscc
from .vocab import JOB_TYPE, PLAN_STATUS, fold

CITY_CODE = "511100"
APPROVABLE = (None, "planned", "suspended")  # statuses an inspection pass approves


# --------------------------------------------------------------------------- who and when


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


def new_batch(*, session: Session, kind: str, source: str, by: str, note: str | None = None):
    batch = Batch(kind=kind, source=source, by=by, recorded_at=now_utc(), note=note)
    session.add(batch)
    session.flush()
    return batch


def stamp_commit(*, session: Session, batch: Batch) -> None:
    """Date the batch at the end of its work, just before it commits: what a report
    could see is what was recorded by then, so `--known-at` reproduces it."""
    batch.recorded_at = max(batch.recorded_at, now_utc())
    session.add(batch)
    session.flush()


# --------------------------------------------------------------------------- districts


def districts(*, session: Session) -> list[District]:
    return list(session.exec(select(District).order_by(District.code)).all())


def resolve_district(*, session: Session, text: str) -> District:
    """A district by code, full name or short name; unknown/ambiguous -> error with candidates."""
    wanted = fold(text)
    if not wanted:
        raise FugongError("区县不能为空", "the district is empty")
    rows = districts(session=session)
    exact = [
        d
        for d in rows
        if wanted in {fold(d.code), fold(d.name), *(fold(s) for s in d.short_names.split(";") if s)}
    ]
    if len(exact) == 1:
        return exact[0]
    partial = exact or [d for d in rows if wanted in fold(d.name) or fold(d.name) in wanted]
    if len(partial) == 1 and not exact:
        return partial[0]
    if partial:
        names = ", ".join(f"{d.name} ({d.code})" for d in partial)
        raise FugongError(
            f"区县 '{text}' 不明确; 可能是: {names}", f"ambiguous district '{text}': {names}"
        )
    close = difflib.get_close_matches(text.strip(), [d.name for d in rows], n=3, cutoff=0.4)
    close += [
        d.name
        for d in rows
        for s in d.short_names.split(";")
        if s
        and difflib.SequenceMatcher(None, text.strip(), s).ratio() >= 0.5
        and d.name not in close
    ]
    hint_zh = f"; 您是否要找: {', '.join(close)}?" if close else ""
    hint_en = f"; did you mean: {', '.join(close)}?" if close else ""
    choices = ", ".join(d.name for d in rows if d.parent)
    raise FugongError(
        f"未知区县 '{text}'{hint_zh} (可选: {choices})",
        f"unknown district '{text}'{hint_en} (choices: {choices})",
    )


def the_city(*, session: Session) -> District:
    """The one top-level district (the city) a report without --district covers."""
    roots = session.exec(select(District).where(District.parent.is_(None))).all()
    if len(roots) != 1:
        names = ", ".join(r.name for r in roots)
        raise FugongError(
            f"请用 --district 选择城市: {names}", f"choose a city with --district: {names}"
        )
    return roots[0]


def district_resolver(session: Session):
    """A memoising text -> district code function, for imports."""
    memo: dict[str, str] = {}

    def resolve(text: str) -> str:
        if text not in memo:
            memo[text] = resolve_district(session=session, text=text).code
        return memo[text]

    return resolve


def district_codes_in(*, session: Session, district: District) -> list[str]:
    """The codes a scope covers: a county itself, or all the counties of a city."""
    children = session.exec(select(District.code).where(District.parent == district.code)).all()
    return list(children) or [district.code]


# --------------------------------------------------------------------------- record state


def state_of(*, session: Session, kind: str, rid: int, view: View) -> dict[str, Any]:
    """The fields of one record as of the view, folded from its events (plus `since`).

    For enterprises, a field whose first value is dated after D takes that value
    (see asof.py).  `since` is the record's earliest business date or None.
    """
    model, owner = EVENT_MODELS[kind]
    events = session.exec(
        select(model)
        .join(Batch, Batch.id == model.batch_id)
        .where(getattr(model, owner) == rid, view.visible())
        .order_by(model.business_date, model.id)
    ).all()
    state: dict[str, Any] = {field: None for field in EVENT_FIELDS[kind]}
    state["since"] = events[0].business_date if events else None
    later: dict[str, tuple[date, Any]] = {}  # the first value after D: earliest date, last recorded
    for ev in events:
        for field in EVENT_FIELDS[kind]:
            value = getattr(ev, field)
            if value is None:
                continue
            if ev.business_date <= view.as_of:
                state[field] = value
            elif (
                kind == "enterprise"
                and later.get(field, (ev.business_date,))[0] == ev.business_date
            ):
                later[field] = (ev.business_date, value)
    for field, (_day, value) in later.items():
        if state[field] is None:
            state[field] = value
    return state


def _record_event(
    *,
    session: Session,
    kind: str,
    rid: int,
    batch: Batch,
    on: date,
    action: str,
    changes: dict[str, Any],
    line: int | None = None,
) -> Any:
    model, owner = EVENT_MODELS[kind]
    ev = model(batch_id=batch.id, business_date=on, action=action, line=line, **changes)
    setattr(ev, owner, rid)
    session.add(ev)
    return ev


def _changed(state: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """The wanted values that differ from the state (None = leave as it is)."""
    return {k: v for k, v in wanted.items() if v is not None and state.get(k) != v}


# --------------------------------------------------------------------------- enterprises


def find_enterprise(*, session: Session, ref: str) -> Enterprise:
    """An enterprise by USCC, exact name or id; unknown -> error with close names."""
    text = ref.strip()
    if text.isascii() and text.isdigit() and len(text) < 18:
        found = session.get(Enterprise, int(text))
        if found and _exists(session, found.id):
            return found
    try:
        uscc, _ok = normalize_uscc(text)
    except FugongError:
        uscc = None
    if uscc:
        found = session.exec(select(Enterprise).where(Enterprise.uscc == uscc)).first()
        if found and _exists(session, found.id):
            return found
    matches = [
        e
        for e in session.exec(select(Enterprise).where(Enterprise.name_key == name_key(text)))
        if _exists(session, e.id)
    ]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        listing = ", ".join(f"#{e.id} {e.name} ({e.district})" for e in matches)
        raise FugongError(
            f"企业名称 '{text}' 不唯一: {listing}; 请用编号或统一社会信用代码",
            f"enterprise name '{text}' is ambiguous: {listing}; use the id or the USCC",
        )
    names = list(session.exec(select(Enterprise.name)).all())
    close = difflib.get_close_matches(text, names, n=3, cutoff=0.5)
    close += [n for n in names if text and text in n and n not in close][:3]
    hint_zh = f"; 您是否要找: {', '.join(close)}?" if close else ""
    hint_en = f"; did you mean: {', '.join(close)}?" if close else ""
    raise FugongError(f"未知企业 '{text}'{hint_zh}", f"unknown enterprise '{text}'{hint_en}")


def _exists(session: Session, enterprise_id: int) -> bool:
    """An enterprise whose every entry was undone is no longer in the ledger."""
    row = session.exec(
        select(EnterpriseEvent.id)
        .join(Batch, Batch.id == EnterpriseEvent.batch_id)
        .where(EnterpriseEvent.enterprise_id == enterprise_id, Batch.undone_at.is_(None))
        .limit(1)
    ).first()
    return row is not None


def match_enterprise(
    *, session: Session, uscc: str | None, name: str | None, district: str | None
) -> Enterprise | None:
    """The enterprise a row means: USCC first, else name + district (SPEC "Matching")."""
    if uscc:
        found = session.exec(select(Enterprise).where(Enterprise.uscc == uscc)).first()
        if found and _exists(session, found.id):
            return found
    if name and district:
        for e in session.exec(
            select(Enterprise).where(
                Enterprise.name_key == name_key(name), Enterprise.district == district
            )
        ):
            if (not uscc or e.uscc is None) and _exists(session, e.id):
                return e
    return None


def _check_uscc_free(session: Session, uscc: str, enterprise_id: int | None) -> None:
    other = session.exec(select(Enterprise).where(Enterprise.uscc == uscc)).first()
    if other and other.id != enterprise_id and _exists(session, other.id):
        raise FugongError(
            f"统一社会信用代码 {uscc} 已属于 #{other.id} {other.name}",
            f"USCC {uscc} already belongs to #{other.id} {other.name}",
        )


def register_enterprise(
    *,
    session: Session,
    batch: Batch,
    on: date,
    name: str,
    district: str,
    uscc: str | None = None,
    line: int | None = None,
    **attrs: Any,
) -> Enterprise:
    """Register a new enterprise (district = a resolved code)."""
    name = name.strip()
    if not name:
        raise FugongError("企业名称不能为空", "the enterprise name is empty")
    if uscc:
        _check_uscc_free(session, uscc, None)
    existing = match_enterprise(session=session, uscc=None, name=name, district=district)
    if existing:
        raise FugongError(
            f"企业已登记: #{existing.id} {existing.name}; 修改请用 enterprise edit",
            f"already registered: #{existing.id} {existing.name}; use enterprise edit",
        )
    enterprise = Enterprise(uscc=uscc, name=name, name_key=name_key(name), district=district)
    session.add(enterprise)
    session.flush()
    values = {k: v for k, v in attrs.items() if v is not None}
    _record_event(
        session=session,
        kind="enterprise",
        rid=enterprise.id,
        batch=batch,
        on=on,
        action="register",
        line=line,
        changes={"name": name, "district": district, "uscc": uscc, **values},
    )
    return enterprise


def edit_enterprise(
    *,
    session: Session,
    batch: Batch,
    on: date,
    enterprise: Enterprise,
    changes: dict[str, Any],
    line: int | None = None,
    action: str = "edit",
) -> dict[str, Any]:
    """Record the attribute changes that differ from the state as of `on`; returns them."""
    state = state_of(session=session, kind="enterprise", rid=enterprise.id, view=View(on))
    diff = _changed(state, changes)
    if "uscc" in diff:
        _check_uscc_free(session, diff["uscc"], enterprise.id)
    if "name" in diff and not diff["name"].strip():
        raise FugongError("企业名称不能为空", "the enterprise name is empty")
    if diff:
        _record_event(
            session=session,
            kind="enterprise",
            rid=enterprise.id,
            batch=batch,
            on=on,
            action=action,
            line=line,
            changes=diff,
        )
        session.flush()
        refresh_enterprises(session=session, ids=[enterprise.id])
    return diff


def refresh_enterprises(*, session: Session, ids: list[int] | None = None) -> None:
    """Make the Enterprise cache (uscc, name, district) equal to the history, now."""
    if ids is None:
        ids = list(session.exec(select(Enterprise.id)).all())
    for eid in ids:
        state = state_of(session=session, kind="enterprise", rid=eid, view=View())
        enterprise = session.get(Enterprise, eid)
        if state["name"] is None:  # every entry undone: keep the row, it is invisible
            continue
        enterprise.name = state["name"]
        enterprise.name_key = name_key(state["name"])
        enterprise.district = state["district"]
        enterprise.uscc = state["uscc"]
        session.add(enterprise)


# --------------------------------------------------------------------------- plans


def plan_of(*, session: Session, enterprise: Enterprise, create: bool = False) -> Plan | None:
    plan = session.exec(
        select(Plan).where(Plan.enterprise_id == enterprise.id).with_for_update()
    ).first()
    if plan is None and create:
        plan = Plan(enterprise_id=enterprise.id)
        session.add(plan)
        session.flush()
    return plan


def _plan_state(session: Session, plan: Plan | None, on: date) -> dict[str, Any]:
    if plan is None:
        return {field: None for field in EVENT_FIELDS["plan"]} | {"since": None}
    return state_of(session=session, kind="plan", rid=plan.id, view=View(on))


def add_plan(
    *,
    session: Session,
    batch: Batch,
    on: date,
    enterprise: Enterprise,
    status: str,
    planned_on: date | None = None,
    reason: str | None = None,
) -> Plan:
    plan = plan_of(session=session, enterprise=enterprise)
    if plan is not None and _plan_state(session, plan, FAR)["since"] is not None:
        raise FugongError(
            f"{enterprise.name} 已有复产计划; 改变状态请用 plan set",
            f"{enterprise.name} already has a plan; use plan set to change its status",
        )
    _check_status_args(status, reason=reason, returned=None)
    plan = plan_of(session=session, enterprise=enterprise, create=True)
    _record_event(
        session=session,
        kind="plan",
        rid=plan.id,
        batch=batch,
        on=on,
        action="add",
        changes={"status": status, "planned_on": planned_on, "reason": reason},
    )
    return plan


def _check_status_args(status: str, *, reason: str | None, returned: int | None) -> None:
    if status == "excluded" and not (reason and reason.strip()):
        raise FugongError(
            "剔除 (excluded) 须说明原因: --reason (退规 / 注销 / 政策性停工 …)",
            "excluded needs a reason: --reason",
        )
    if returned is not None and status != "resumed":
        raise FugongError(
            f"到岗人数 (--returned) 只用于已复产, 不用于 {PLAN_STATUS.label(status)}",
            f"--returned goes with resumed, not with {status}",
        )


def set_plan(
    *,
    session: Session,
    batch: Batch,
    on: date,
    enterprise: Enterprise,
    status: str,
    returned: int | None = None,
    reason: str | None = None,
    planned_on: date | None = None,
) -> dict[str, Any]:
    """Change a plan's status (creating the plan if it has none); returns what changed."""
    _check_status_args(status, reason=reason, returned=returned)
    plan = plan_of(session=session, enterprise=enterprise, create=True)
    state = _plan_state(session, plan, on)
    diff = _changed(state, {"status": status, "returned": returned, "planned_on": planned_on})
    if diff and reason:
        diff["reason"] = reason
    if diff:
        _record_event(
            session=session,
            kind="plan",
            rid=plan.id,
            batch=batch,
            on=on,
            action="set",
            changes=diff,
        )
    return diff


def inspect_plan(
    *,
    session: Session,
    batch: Batch,
    on: date,
    enterprise: Enterprise,
    passed: bool,
    note: str | None = None,
) -> dict[str, Any]:
    """Record an inspection (验收).  A pass approves a planned or suspended plan;
    a failure is recorded and leaves the status as it is."""
    plan = plan_of(session=session, enterprise=enterprise, create=True)
    state = _plan_state(session, plan, on)
    changes: dict[str, Any] = {"inspection": "passed" if passed else "failed", "note": note}
    if passed and state["status"] in APPROVABLE:
        changes["status"] = "approved"
    if state["status"] == "excluded":
        raise FugongError(
            f"{enterprise.name} 已剔除, 不能验收", f"{enterprise.name} is excluded; cannot inspect"
        )
    _record_event(
        session=session,
        kind="plan",
        rid=plan.id,
        batch=batch,
        on=on,
        action="inspect",
        changes={k: v for k, v in changes.items() if v is not None},
    )
    return changes


# --------------------------------------------------------------------------- problems


def get_problem(*, session: Session, problem_id: int) -> Problem:
    problem = session.exec(
        select(Problem).where(Problem.id == problem_id).with_for_update()
    ).first()
    if problem is None or _problem_state(session, problem, FAR)["since"] is None:
        raise FugongError(f"未知问题编号 {problem_id}", f"unknown problem id {problem_id}")
    return problem


def _problem_state(session: Session, problem: Problem, on: date) -> dict[str, Any]:
    return state_of(session=session, kind="problem", rid=problem.id, view=View(on))


def add_problem(
    *,
    session: Session,
    batch: Batch,
    on: date,
    enterprise: Enterprise,
    category: str,
    description: str,
    department: str | None = None,
    deadline: date | None = None,
    ref: str | None = None,
) -> Problem:
    description = description.strip()
    if not description:
        raise FugongError("问题描述不能为空", "the problem description is empty")
    if deadline is not None and deadline < on:
        raise FugongError(
            f"办理时限 {deadline} 早于提出日期 {on}", f"deadline {deadline} is before {on}"
        )
    problem = Problem(
        enterprise_id=enterprise.id, ref=ref, raised_on=on, description_key=name_key(description)
    )
    session.add(problem)
    session.flush()
    _record_event(
        session=session,
        kind="problem",
        rid=problem.id,
        batch=batch,
        on=on,
        action="add",
        changes={
            "category": category,
            "description": description,
            "department": department,
            "deadline": deadline,
            "status": "open",
        },
    )
    return problem


def _not_before_raised(problem: Problem, on: date) -> None:
    if on < problem.raised_on:
        raise FugongError(
            f"日期 {on} 早于问题 #{problem.id} 的提出日期 {problem.raised_on}",
            f"date {on} is before problem #{problem.id} was raised ({problem.raised_on})",
        )


def assign_problem(
    *,
    session: Session,
    batch: Batch,
    on: date,
    problem: Problem,
    department: str,
    deadline: date | None = None,
) -> dict[str, Any]:
    _not_before_raised(problem, on)
    if not department.strip():
        raise FugongError("责任单位不能为空", "the department is empty")
    state = _problem_state(session, problem, on)
    diff = _changed(state, {"department": department.strip(), "deadline": deadline})
    if diff:
        _record_event(
            session=session,
            kind="problem",
            rid=problem.id,
            batch=batch,
            on=on,
            action="assign",
            changes=diff,
        )
    return diff


def resolve_problem(
    *, session: Session, batch: Batch, on: date, problem: Problem, note: str
) -> None:
    _not_before_raised(problem, on)
    if not note.strip():
        raise FugongError("办理结果不能为空: --note", "the resolution is empty: --note")
    state = _problem_state(session, problem, on)
    if state["status"] == "resolved":
        raise FugongError(
            f"问题 #{problem.id} 已办结 (reopen 可重新打开)",
            f"problem #{problem.id} is already resolved (reopen it first)",
        )
    _record_event(
        session=session,
        kind="problem",
        rid=problem.id,
        batch=batch,
        on=on,
        action="resolve",
        changes={"status": "resolved", "resolution": note.strip()},
    )


def reopen_problem(
    *, session: Session, batch: Batch, on: date, problem: Problem, reason: str
) -> None:
    _not_before_raised(problem, on)
    if not reason.strip():
        raise FugongError("重新打开须说明原因: --reason", "reopening needs a reason: --reason")
    state = _problem_state(session, problem, on)
    if state["status"] != "resolved":
        raise FugongError(
            f"问题 #{problem.id} 仍在办理中, 无需重新打开",
            f"problem #{problem.id} is still open; nothing to reopen",
        )
    _record_event(
        session=session,
        kind="problem",
        rid=problem.id,
        batch=batch,
        on=on,
        action="reopen",
        changes={"status": "open", "reason": reason.strip()},
    )


# --------------------------------------------------------------------------- labour


def get_labour(*, session: Session, labour_id: int) -> Labour:
    labour = session.exec(select(Labour).where(Labour.id == labour_id).with_for_update()).first()
    if labour is None or _labour_state(session, labour, FAR)["since"] is None:
        raise FugongError(f"未知用工需求编号 {labour_id}", f"unknown labour demand id {labour_id}")
    return labour


def _labour_state(session: Session, labour: Labour, on: date) -> dict[str, Any]:
    return state_of(session=session, kind="labour", rid=labour.id, view=View(on))


def _check_filled(needed: int, filled: int) -> None:
    if filled > needed:
        raise FugongError(
            f"已招人数 {filled} 超过需求人数 {needed}", f"filled {filled} exceeds needed {needed}"
        )


def add_labour(
    *,
    session: Session,
    batch: Batch,
    on: date,
    enterprise: Enterprise,
    job_type: str,
    needed: int,
    filled: int = 0,
    requirements: str | None = None,
) -> Labour:
    _check_filled(needed, filled)
    existing = session.exec(
        select(Labour).where(Labour.enterprise_id == enterprise.id, Labour.job_type == job_type)
    ).first()
    if existing and _labour_state(session, existing, FAR)["since"] is not None:
        raise FugongError(
            f"{enterprise.name} 已有 {JOB_TYPE.label(job_type)} 用工需求 #{existing.id}; "
            "增加到岗请用 labour fill",
            f"{enterprise.name} already has a {job_type} demand #{existing.id}; use labour fill",
        )
    labour = existing or Labour(enterprise_id=enterprise.id, job_type=job_type, raised_on=on)
    labour.raised_on = on
    session.add(labour)
    session.flush()
    _record_event(
        session=session,
        kind="labour",
        rid=labour.id,
        batch=batch,
        on=on,
        action="add",
        changes={"needed": needed, "filled": filled, "requirements": requirements},
    )
    return labour


def fill_labour(*, session: Session, batch: Batch, on: date, labour: Labour, count: int) -> int:
    """Add `count` to what is filled from `on` on; returns the new filled figure on `on`.

    `filled` is stored as an absolute figure (a sheet states it so), so a
    back-dated fill also records, at each later date that states a figure, that
    figure plus `count`: a correction is a new fact, and the hires are counted
    on every day after they happened.
    """
    if on < labour.raised_on:
        raise FugongError(
            f"日期 {on} 早于用工需求 #{labour.id} 的登记日期 {labour.raised_on}",
            f"date {on} is before labour demand #{labour.id} was raised ({labour.raised_on})",
        )
    later_dates = sorted(
        set(
            session.exec(
                select(LabourEvent.business_date)
                .join(Batch, Batch.id == LabourEvent.batch_id)
                .where(
                    LabourEvent.labour_id == labour.id,
                    LabourEvent.filled.is_not(None),
                    LabourEvent.business_date > on,
                    Batch.undone_at.is_(None),
                )
            ).all()
        )
    )
    changes = []
    for day in [on, *later_dates]:
        state = _labour_state(session, labour, day)
        filled = (state["filled"] or 0) + count
        _check_filled(state["needed"] or 0, filled)
        changes.append((day, filled))
    for day, filled in changes:
        _record_event(
            session=session,
            kind="labour",
            rid=labour.id,
            batch=batch,
            on=day,
            action="fill",
            changes={"filled": filled},
        )
    return changes[0][1]


def enterprise_of(*, session: Session, enterprise_id: int) -> Enterprise:
    return session.get(Enterprise, enterprise_id)
