"""Every rule of recording, in one place: pure decisions, no database, no CLI.

Given a record's history (a `Timeline`) and a requested change on a business
date — from a recording command or from a sheet row — a function here returns
the events to record (`Decision`), or raises `Refusal` naming the column and
the reason in Chinese and English.  The recording commands (writer.py), the
import's general path (importer.py) and its set-based path for new records
(fresh.py, which takes only the rows these rules allow) all decide here, so a
sheet row is refused exactly when the same change typed as a command is, with
the same words (SPEC "CSV / spreadsheet import").

Two ways of asking differ, and only here:
- a command is an act: it records what differs from the state as of its date;
- a sheet row is a snapshot (`restating=True`): a value already recorded for
  that record and field on that business date records nothing, also when a
  later entry of the same date changed it again (SPEC "Dates of what a sheet
  records"), and a name spelled another way is the same name.

A Refusal carries the column (a layout column, or "date" for the business
date of the command or of the import); the edge adds the value as typed: the
cell for a sheet, the option for a command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from .errors import FugongError
from .timeline import UNSTORED, Timeline
from .vocab import JOB_TYPE, PLAN_STATUS

# Statuses a passed inspection approves (None: no plan yet).
APPROVABLE = (None, "planned", "suspended")


class Refusal(FugongError):
    """A change the rules refuse; `column` names where the offending value was given."""

    def __init__(self, column: str, zh: str, en: str):
        super().__init__(zh, en)
        self.column = column


@dataclass
class Decision:
    """What to record for one record: events (business date, fields set), in order."""

    changes: list[tuple[date, dict[str, Any]]] = field(default_factory=list)
    # a sheet row restated a value that a later entry of the same date superseded
    superseded: bool = False

    def __bool__(self) -> bool:
        return bool(self.changes)

    def fields(self) -> dict[str, Any]:
        """Every field the decision sets, the last value of each (for messages)."""
        out: dict[str, Any] = {}
        for _on, values in self.changes:
            out.update(values)
        return out


class _Work:
    """A decision in the making: a copy of the history that sees what was decided.

    The history is copied only when something is recorded (most sheet rows restate
    what is there), and the order of new events is worked out then too.
    """

    __slots__ = ("timeline", "restating", "decision", "_order", "_copied")

    def __init__(self, history: Timeline, restating: bool):
        self.timeline = history
        self.restating = restating
        self.decision = Decision()
        self._copied = False

    def diff(
        self, on: date, wanted: dict[str, Any], *, fallback: bool = False, at: date | None = None
    ) -> dict[str, Any]:
        """The wanted values (None = leave alone) that would change the record on `on`,
        compared with its state as of `at` (default `on`)."""
        state = self.timeline.state(at or on, fallback=fallback)
        # what events dated `on` set: a sheet's restated value records nothing
        same_day = self.timeline.set_on(on) if self.restating else ()
        out = {}
        for name, value in wanted.items():
            if value is None:
                continue
            if any(name in values and values[name] == value for values in same_day):
                if state.get(name) != value:
                    self.decision.superseded = True
                continue
            if state.get(name) != value:
                out[name] = value
        return out

    def record(self, on: date, values: dict[str, Any]) -> None:
        if not values:
            return
        if not self._copied:
            history = self.timeline
            self.timeline = Timeline()
            self.timeline.events = list(history.events)
            # after every event of the history, also those a running import added
            self._order = max(UNSTORED, max((e[1] for e in history.events), default=0))
            self._copied = True
        changes = self.decision.changes
        # one event per date when the fields do not overlap (a command is one fact)
        if changes and changes[-1][0] == on and not changes[-1][1].keys() & values.keys():
            changes[-1][1].update(values)
        else:
            changes.append((on, dict(values)))
        self._order += 1
        self.timeline.add(on, self._order, values)


# --------------------------------------------------------------------------- dates


def check_date(on: date | None, today: date, column: str = "date") -> None:
    """A business date may not lie after the office's today (SPEC "Clock and order")."""
    if on is not None and on > today:
        raise Refusal(
            column,
            f"业务日期 {on} 晚于今天 ({today})，不能预先登记",
            f"business date {on} is after today ({today}); the future cannot be recorded",
        )


def _not_before(on: date, since: date | None, what_zh: str, what_en: str, column: str) -> None:
    if since is not None and on < since:
        raise Refusal(
            column,
            f"日期 {on} 早于{what_zh} ({since})",
            f"date {on} is before {what_en} ({since})",
        )


def _text(value: str | None, column: str, zh: str, en: str) -> str:
    if value is None or not value.strip():
        raise Refusal(column, zh, en)
    return value.strip()


# --------------------------------------------------------------------------- enterprises


@dataclass(frozen=True)
class Owner:
    """Another enterprise that already holds a USCC or a name (for the message)."""

    id: int
    name: str
    uscc: str | None = None
    district: str | None = None


def _taken_uscc(uscc: str, owner: Owner) -> Refusal:
    return Refusal(
        "uscc",
        f"该统一社会信用代码已属于 #{owner.id} {owner.name}",
        f"this USCC already belongs to #{owner.id} {owner.name}",
    )


def _taken_name(owner: Owner) -> Refusal:
    code = f"，统一社会信用代码 {owner.uscc}" if owner.uscc else ""
    code_en = f", USCC {owner.uscc}" if owner.uscc else ""
    return Refusal(
        "name",
        f"该区县已登记同名企业 (#{owner.id} {owner.name}{code})",
        f"an enterprise of that name is already registered in the district "
        f"(#{owner.id} {owner.name}{code_en})",
    )


def new_enterprise(
    values: dict[str, Any],
    on: date,
    *,
    today: date,
    uscc_owner: Owner | None,
    name_owner: Owner | None,
    command: bool = False,
) -> Decision:
    """Registering an enterprise: its name and district, the attributes given."""
    check_date(on, today)
    _text(values.get("name"), "name", "企业名称不能为空", "the enterprise name is empty")
    if name_owner is not None:
        if command:
            raise Refusal(
                "name",
                f"企业已登记: #{name_owner.id} {name_owner.name}; 修改请用 enterprise edit",
                f"already registered: #{name_owner.id} {name_owner.name}; use enterprise edit",
            )
        raise _taken_name(name_owner)
    if values.get("uscc") and uscc_owner is not None:
        raise _taken_uscc(values["uscc"], uscc_owner)
    return Decision([(on, {k: v for k, v in values.items() if v is not None})])


def enterprise_changes(
    history: Timeline,
    wanted: dict[str, Any],
    on: date,
    *,
    today: date,
    restating: bool,
    same_name: bool,
    uscc_owner: Owner | None = None,
    name_owner: Owner | None = None,
) -> Decision:
    """Changing an enterprise's attributes from `on` on.

    `same_name`: the name wanted has the stored name's key (a sheet's spelling
    of it is not a rename).  The owners are the other enterprises holding the
    wanted USCC, or the wanted name in the wanted district, if any.
    """
    work = _Work(history, restating)
    wanted = dict(wanted)
    if restating and same_name:
        wanted["name"] = None
    if "name" in wanted and wanted["name"] is not None:
        wanted["name"] = _text(wanted["name"], "name", "企业名称不能为空", "the name is empty")
    diff = work.diff(on, wanted, fallback=True)
    if diff:
        check_date(on, today)
    if "uscc" in diff and uscc_owner is not None:
        raise _taken_uscc(diff["uscc"], uscc_owner)
    if ("name" in diff or "district" in diff) and name_owner is not None:
        raise _taken_name(name_owner)
    work.record(on, diff)
    return work.decision


def merge_enterprises(
    duplicate: Owner,
    keep: Owner,
    *,
    on: date,
    today: date,
    both_planned: bool,
    plan: str | None,
) -> Decision:
    """`enterprise merge`: the duplicate was the kept enterprise all along (entered twice).

    Recorded on the duplicate; it holds at every date once known.  Where both had a
    plan, `plan` says whose history goes on: "kept" or "merged" (the duplicate's).
    """
    if duplicate.id == keep.id:
        raise Refusal(
            "into", "不能把企业合并到它自己", "an enterprise cannot be merged into itself"
        )
    if both_planned and plan is None:
        raise Refusal(
            "plan",
            f"两家都有复产计划: 请用 --plan kept 沿用 #{keep.id} {keep.name} 的, "
            f"或 --plan merged 沿用 #{duplicate.id} {duplicate.name} 的 (另一份留在历史中)",
            f"both have a plan: say --plan kept to go on with #{keep.id}'s, or --plan merged "
            f"with #{duplicate.id}'s (the other stays in the history)",
        )
    check_date(on, today)
    return Decision([(on, {"merged_into": keep.id, "merge_plan": plan if both_planned else None})])


# --------------------------------------------------------------------------- plans


class PlanChange(NamedTuple):
    """What a command or a sheet row says of a plan (a tuple: an import makes one
    per row).

    `on` dates what has no date of its own; an inspection is dated
    `inspected_on` (else `on`), a resumption `resumed_on` (sheets)."""

    on: date
    status: str | None = None
    planned_on: date | None = None
    returned: int | None = None
    reason: str | None = None
    note: str | None = None
    inspection: str | None = None
    inspected_on: date | None = None
    resumed_on: date | None = None


def plan_changes(
    history: Timeline, change: PlanChange, *, today: date, restating: bool = False
) -> Decision:
    """The events a plan records for a change: the inspection on its date, the
    resumption on its date, the rest on the change's date."""
    status = change.status
    if _stray_returned(change):
        raise Refusal(
            "returned",
            "到岗人数只用于已复产（或填写复产日期）",
            "returned goes with resumed (or with a resumption date)",
        )
    work = _Work(history, restating)
    if change.inspection is not None:
        # An inspection is an act of its date: a command records it whatever the
        # state; a sheet restates it, so it records nothing when that result is
        # recorded on that date (or, dated by --date only, is the state then).
        when = change.inspected_on or change.on
        column = "inspected_on" if change.inspected_on else "date"
        now = work.timeline.state(when)
        before = now.get("status")
        wanted: dict[str, Any] = {"inspection": change.inspection}
        if change.inspection == "passed" and status is None and before in APPROVABLE:
            wanted["status"] = "approved"  # an inspection passed approves production
        if restating:
            recorded = work.timeline.recorded_on(when, "inspection", change.inspection)
            if recorded and now.get("inspection") != change.inspection:
                work.decision.superseded = True
            if recorded or (
                change.inspected_on is None and now.get("inspection") == wanted["inspection"]
            ):
                wanted = {}
        if wanted:
            check_date(when, today, column)
            if before == "excluded":
                raise Refusal(
                    "inspection",
                    "企业已剔除，不能验收",
                    "the enterprise is excluded; it cannot be inspected",
                )
            work.record(when, wanted)
    resumed, wanted = _plan_values(change)
    if resumed is not None:
        diff = work.diff(change.resumed_on, resumed)
        if diff:
            check_date(change.resumed_on, today, "resumed_on")
        work.record(change.resumed_on, diff)
    diff = work.diff(change.on, wanted)
    if diff.get("status") == "excluded" and not (change.reason and change.reason.strip()):
        raise Refusal(
            "status",
            "剔除须说明原因（退规 / 注销 / 政策性停工 …）",
            "excluded needs a reason (退规 / 注销 / 政策性停工 …)",
        )
    if diff:
        check_date(change.on, today)
    work.record(change.on, diff)
    return work.decision


def _stray_returned(change: PlanChange) -> bool:
    return change.returned is not None and change.status != "resumed" and change.resumed_on is None


def _plan_values(change: PlanChange) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """What a change sets on its resumption date (None: no date given) and on its
    own date (None values: leave alone)."""
    resumed = None
    if change.resumed_on is not None:
        resumed = {"status": "resumed", "returned": change.returned}
    wanted: dict[str, Any] = {}
    status = change.status
    if status is not None and not (status == "resumed" and change.resumed_on is not None):
        wanted["status"] = status
        if status == "resumed":
            wanted["returned"] = change.returned
    wanted.update(planned_on=change.planned_on, reason=change.reason, note=change.note)
    return resumed, wanted


def _holds(history: Timeline, on: date, wanted: dict[str, Any], fallback: bool = False) -> bool:
    """Whether the record's state as of `on` has every value wanted (None: any)."""
    state = history.state(on, fallback=fallback)
    for name, value in wanted.items():
        if value is not None and state.get(name) != value:
            return False
    return True


def restates_plan(history: Timeline, change: PlanChange) -> bool:
    """Whether a sheet row says of a plan only what its history already holds.

    Then plan_changes(restating=True) records nothing, flags nothing and refuses
    nothing, so an import may pass the row by without asking it: the daily case of
    a sheet sent again.  A sufficient condition, not the rule itself (a row failing
    it goes through plan_changes); tests/test_rules.py proves the implication over
    random histories and rows.
    """
    if _stray_returned(change):
        return False
    resumed, wanted = _plan_values(change)
    if change.inspection is not None:
        if change.inspected_on is None:
            wanted = {**wanted, "inspection": change.inspection}
        elif not (
            _holds(history, change.inspected_on, {"inspection": change.inspection})
            and history.recorded_on(change.inspected_on, "inspection", change.inspection)
        ):
            return False
    if resumed is not None and not _holds(history, change.resumed_on, resumed):
        return False
    return _holds(history, change.on, wanted)


def restates_enterprise(history: Timeline, wanted: dict[str, Any], on: date) -> bool:
    """Whether a sheet row's enterprise values (None: leave alone) are the enterprise's
    as of `on`: then enterprise_changes(restating=True) records, flags and refuses
    nothing (the same kind of shortcut as restates_plan, proven the same way)."""
    return bool(history) and _holds(history, on, wanted, fallback=True)


def new_plan(history: Timeline, change: PlanChange, *, today: date, name: str) -> Decision:
    """`plan add`: a plan for an enterprise that has none."""
    if history:
        raise Refusal(
            "status",
            f"{name} 已有复产计划; 改变状态请用 plan set",
            f"{name} already has a plan; use plan set to change its status",
        )
    if change.status is None:
        raise Refusal("status", "缺少复产状态", "the status is missing")
    return plan_changes(history, change, today=today)


def status_label(status: str, lang: str = "zh") -> str:
    return PLAN_STATUS.label(status, lang)


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class ProblemChange:
    """What a command or a sheet row says of a problem (None = leave alone).

    `on` dates what has no date of its own; a resolution is dated
    `resolved_on` (else `on`)."""

    on: date
    category: str | None = None
    description: str | None = None
    department: str | None = None
    deadline: date | None = None
    status: str | None = None
    resolution: str | None = None
    resolved_on: date | None = None
    reason: str | None = None


_DESCRIBED = ("category", "description", "department", "deadline")


def _deadline_after_raised(deadline: date | None, raised: date) -> None:
    if deadline is not None and deadline < raised:
        raise Refusal(
            "deadline",
            f"办理时限 {deadline} 早于提出日期 {raised}",
            f"the deadline {deadline} is before the problem was raised ({raised})",
        )


def new_problem(change: ProblemChange, raised: date, *, today: date) -> Decision:
    """A problem raised on `raised`: described then, and resolved if the change says so."""
    check_date(raised, today, "raised_on" if raised != change.on else "date")
    if not change.category:
        raise Refusal("category", "新问题须有问题类别", "a new problem needs a category")
    _text(change.description, "description", "问题描述不能为空", "the description is empty")
    _deadline_after_raised(change.deadline, raised)
    first = {k: getattr(change, k) for k in _DESCRIBED}
    first["description"] = change.description.strip() if change.description else None
    first["status"] = "open"
    work = _Work(Timeline(), restating=False)
    work.record(raised, {k: v for k, v in first.items() if v is not None})
    _problem_status(work, change, raised, today)
    return work.decision


def problem_changes(
    history: Timeline, raised: date, change: ProblemChange, *, today: date, restating: bool
) -> Decision:
    """A problem's description, assignment and status changed from `change.on` on."""
    work = _Work(history, restating)
    if change.description is not None:
        _text(change.description, "description", "问题描述不能为空", "the description is empty")
    if change.department is not None:
        _text(change.department, "department", "责任单位不能为空", "the department is empty")
    _deadline_after_raised(change.deadline, raised)
    wanted = {k: getattr(change, k) for k in _DESCRIBED}
    if wanted["description"] is not None:
        wanted["description"] = wanted["description"].strip()
    if wanted["department"] is not None:
        wanted["department"] = wanted["department"].strip()
    at = max(change.on, raised)
    diff = work.diff(change.on, wanted, at=at)
    if diff:
        _not_before(change.on, raised, "问题的提出日期", "the problem was raised", "date")
        check_date(change.on, today)
    work.record(change.on, diff)
    _problem_status(work, change, raised, today)
    return work.decision


def _problem_status(work: _Work, change: ProblemChange, raised: date, today: date) -> None:
    status = change.status
    resolved_on = change.resolved_on
    if resolved_on is not None and resolved_on < raised:
        raise Refusal(
            "resolved_on",
            f"办结日期 {resolved_on} 早于提出日期 {raised}",
            f"resolved on {resolved_on}, before it was raised ({raised})",
        )
    if status == "resolved" or (status is None and change.resolution and resolved_on):
        when = resolved_on or change.on
        column = "resolved_on" if resolved_on else "date"
        wanted = {"status": "resolved", "resolution": change.resolution}
        diff = work.diff(when, wanted, at=max(when, raised))
        if diff:
            _not_before(when, raised, "问题的提出日期", "the problem was raised", column)
            check_date(when, today, column)
        work.record(when, diff)
        return
    when = change.on
    wanted = {"status": status, "resolution": change.resolution, "reason": change.reason}
    diff = work.diff(when, wanted, at=max(when, raised))
    if diff.get("status") == "open" and not (change.reason and change.reason.strip()):
        raise Refusal(
            "status",
            "问题已办结，重新打开须说明原因: fugong problem reopen 编号 --reason 原因",
            "the problem is resolved; reopening it needs a reason: "
            "fugong problem reopen ID --reason ...",
        )
    if diff:
        _not_before(when, raised, "问题的提出日期", "the problem was raised", "date")
        check_date(when, today)
    work.record(when, diff)


def withdrawn(history: Timeline) -> bool:
    """A problem withdrawn (作废) is out of every figure and list, at every date."""
    return any(values.get("withdrawn") for _when, _order, values in history.events)


def refuse_withdrawn(history: Timeline, pid: int) -> None:
    if withdrawn(history):
        raise Refusal(
            "id",
            f"问题 #{pid} 已作废, 不能再修改 (要恢复它, 请撤销作废所在的批次: fugong undo)",
            f"problem #{pid} was withdrawn; it cannot be changed (to restore it, undo the "
            "batch that withdrew it: fugong undo)",
        )


def withdraw_problem(
    history: Timeline, pid: int, reason: str | None, on: date, *, today: date
) -> Decision:
    """`problem withdraw`: a problem entered by mistake leaves every figure and list."""
    reason = _text(reason, "reason", "作废须说明原因", "withdrawing needs a reason")
    refuse_withdrawn(history, pid)
    check_date(on, today)
    return Decision([(on, {"withdrawn": True, "reason": reason})])


def duplicate_problem(pid: int) -> Refusal:
    """`problem add` of one already recorded (the import's matching key)."""
    return Refusal(
        "description",
        f"与问题 #{pid} 重复 (同一企业、同一提出日期、同样的问题描述); 修改请用 problem edit",
        f"duplicates problem #{pid} (same enterprise, date raised and description); "
        "use problem edit to change it",
    )


def taken_ref(ref: str, pid: int) -> Refusal:
    return Refusal(
        "ref",
        f"问题编号 {ref} 已用于问题 #{pid}",
        f"the number {ref} is already problem #{pid}'s",
    )


def resolve_problem(
    history: Timeline, raised: date, pid: int, note: str | None, on: date, *, today: date
) -> Decision:
    """`problem resolve`: an open problem solved on `on`."""
    note = _text(note, "resolution", "办理结果不能为空", "the resolution is empty")
    if history.state(max(on, raised)).get("status") == "resolved":
        raise Refusal(
            "date",
            f"问题 #{pid} 已办结 (reopen 可重新打开)",
            f"problem #{pid} is already resolved (reopen it first)",
        )
    change = ProblemChange(on=on, status="resolved", resolution=note, resolved_on=on)
    return problem_changes(history, raised, change, today=today, restating=False)


def reopen_problem(
    history: Timeline, raised: date, pid: int, reason: str | None, on: date, *, today: date
) -> Decision:
    """`problem reopen`: a resolved problem open again, with the reason."""
    reason = _text(reason, "reason", "重新打开须说明原因", "reopening needs a reason")
    if history.state(max(on, raised)).get("status") != "resolved":
        raise Refusal(
            "date",
            f"问题 #{pid} 仍在办理中, 无需重新打开",
            f"problem #{pid} is still open; nothing to reopen",
        )
    change = ProblemChange(on=on, status="open", reason=reason)
    return problem_changes(history, raised, change, today=today, restating=False)


# --------------------------------------------------------------------------- labour


@dataclass(frozen=True)
class LabourChange:
    """What a command or a sheet row says of a labour demand: absolute figures."""

    on: date
    needed: int | None = None
    filled: int | None = None
    requirements: str | None = None
    note: str | None = None


def _not_overfilled(needed: int, filled: int, column: str = "filled") -> None:
    if filled > needed:
        raise Refusal(
            column,
            f"已招人数 {filled} 超过需求人数 {needed}",
            f"filled {filled} exceeds needed {needed}",
        )


def new_labour(change: LabourChange, raised: date, *, today: date) -> Decision:
    """A labour demand raised on `raised`, with its figures then."""
    check_date(raised, today, "raised_on" if raised != change.on else "date")
    if change.needed is None:
        raise Refusal(
            "needed", "新用工需求须有需求人数", "a new labour demand needs the number needed"
        )
    filled = change.filled or 0
    _not_overfilled(change.needed, filled)
    values = {
        "needed": change.needed,
        "filled": filled,
        "requirements": change.requirements,
        "note": change.note,
    }
    return Decision([(raised, {k: v for k, v in values.items() if v is not None})])


def existing_labour(enterprise: str, job_type: str, lid: int) -> Refusal:
    """`labour add` for a job type the enterprise already has a demand for."""
    job = JOB_TYPE.label(job_type)
    return Refusal(
        "job_type",
        f"{enterprise} 已有 {job} 用工需求 #{lid}; 修改人数请用 labour set 或 labour fill",
        f"{enterprise} already has a {job_type} demand #{lid}; use labour set or labour fill",
    )


def labour_changes(
    history: Timeline, raised: date, change: LabourChange, *, today: date, restating: bool
) -> Decision:
    """Absolute figures (and texts) of a labour demand from `change.on` on."""
    work = _Work(history, restating)
    at = max(change.on, raised)
    state = work.timeline.state(at)
    needed = change.needed if change.needed is not None else state.get("needed", 0)
    filled = change.filled if change.filled is not None else state.get("filled", 0)
    wanted = {
        "needed": change.needed,
        "filled": change.filled,
        "requirements": change.requirements,
        "note": change.note,
    }
    diff = work.diff(change.on, wanted, at=at)
    if diff:
        _not_overfilled(needed, filled, "filled" if change.filled is not None else "needed")
        _not_before(change.on, raised, "用工需求的登记日期", "the demand was raised", "date")
        check_date(change.on, today)
        # later stated figures must still hold filled <= needed
        for when, _order, values in work.timeline.events:
            if when > change.on and ("needed" in values or "filled" in values):
                later = work.timeline.state(when)
                if "needed" in diff and "needed" not in values:
                    _not_overfilled(diff["needed"], later.get("filled", 0), "needed")
    work.record(change.on, diff)
    return work.decision


def fill_labour(history: Timeline, raised: date, count: int, on: date, *, today: date) -> Decision:
    """`labour fill`: `count` more hired from `on` on.

    `filled` is stored as an absolute figure (a sheet states it so), so a
    back-dated fill also records, at each later date that states a figure,
    that figure plus `count`: the hires count on every day after they happened.
    """
    if count <= 0:
        raise Refusal("filled", "新招人数须大于 0", "the number hired must be more than 0")
    _not_before(on, raised, "用工需求的登记日期", "the demand was raised", "date")
    check_date(on, today)
    work = _Work(history, restating=False)
    later = sorted({when for when in history.dates_with("filled") if when > on})
    figures = []
    for day in [on, *later]:
        state = history.state(day)
        filled = state.get("filled", 0) + count
        _not_overfilled(state.get("needed", 0), filled)
        figures.append((day, filled))
    for day, filled in figures:
        work.record(day, {"filled": filled})
    return work.decision
