"""The import's shortcut for rows that restate the ledger never decides differently.

rules.restates_plan / restates_enterprise let an import pass a sheet row by
without asking plan_changes / enterprise_changes.  Over random histories (events
on a few days, several on the same day, in recording order) and random rows (every
field a plan row can carry, dated or not), whenever the shortcut says "restates",
the rules themselves must record nothing, flag nothing as superseded and refuse
nothing; for plans it says so exactly then.  Histories are random, or built the
way ledgers get them (rows and commands decided by the rules, some by a running
import); the office's today falls after or inside the days (so future dates are
refused).  The shortcut must also fire for the daily case (a sheet sent again),
or it saves nothing: checked on the history a row itself leaves.
"""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from fugong import rules
from fugong.rules import PlanChange
from fugong.timeline import UNSTORED, Timeline
from fugong.values import name_key

DAYS = [date(2020, 2, d) for d in (3, 4, 6, 9, 12)]
# the office's today: after every day, or inside them (then later dates are refused)
TODAYS = [date(2020, 2, 20), date(2020, 2, 5)]
TODAY = TODAYS[0]
PLAN_VALUES = {
    "status": ["planned", "approved", "resumed", "suspended", "excluded", "not_stopped"],
    "planned_on": DAYS[:2],
    "returned": [5, 7],
    "reason": ["退规", " ", "注销"],
    "note": ["甲", "乙"],
    "inspection": ["passed", "failed"],
}
ENTERPRISE_VALUES = {
    "uscc": ["91511111MA60000014", "91511111MA60000027"],
    "name": ["乐山甲厂（集团）", "乐山甲厂(集团)", "乙厂"],
    "district": ["511111", "511112"],
    "above_scale": [True, False],
    "employees": [10, 20],
}


def timelines(values: dict[str, list]) -> st.SearchStrategy[Timeline]:
    event = st.tuples(
        st.sampled_from(DAYS),
        st.dictionaries(
            st.sampled_from(sorted(values)),
            st.integers(0, 4),
            min_size=1,
        ),
    )

    def build(events) -> Timeline:
        return Timeline(
            (on, order, {k: values[k][i % len(values[k])] for k, i in fields.items()})
            for order, (on, fields) in enumerate(events)
        )

    return st.lists(event, max_size=6).map(build)


def maybe(options: list) -> st.SearchStrategy:
    return st.one_of(st.none(), st.sampled_from(options))


plan_changes = st.builds(
    PlanChange,
    on=st.sampled_from(DAYS),
    status=maybe(PLAN_VALUES["status"]),
    planned_on=maybe(PLAN_VALUES["planned_on"]),
    returned=maybe(PLAN_VALUES["returned"]),
    reason=maybe(PLAN_VALUES["reason"]),
    note=maybe(PLAN_VALUES["note"]),
    inspection=maybe(PLAN_VALUES["inspection"]),
    inspected_on=maybe(DAYS),
    resumed_on=maybe(DAYS),
)


@st.composite
def recorded_plans(draw) -> Timeline:
    """A plan history as ledgers get one: commands and sheet rows decided by the rules,
    some recorded by a running import (orders after every stored event)."""
    history = Timeline()
    for order, (change, restating) in enumerate(
        draw(st.lists(st.tuples(plan_changes, st.booleans()), max_size=7)), start=1
    ):
        try:
            decision = rules.plan_changes(history, change, today=TODAY, restating=restating)
        except rules.Refusal:
            continue
        for on, values in decision.changes:
            history.add(on, UNSTORED + order if order % 2 else order, values)
    return history


def _decide_plan(history: Timeline, change: PlanChange, today: date = TODAY):
    try:
        return rules.plan_changes(history, change, today=today, restating=True)
    except rules.Refusal as refusal:
        return refusal


@given(st.one_of(timelines(PLAN_VALUES), recorded_plans()), plan_changes, st.sampled_from(TODAYS))
def test_a_plan_row_is_said_to_restate_exactly_when_the_rules_do_nothing(history, change, today):
    decision = _decide_plan(history, change, today)
    quiet = isinstance(decision, rules.Decision) and not decision and not decision.superseded
    assert rules.restates_plan(history, change) == quiet, decision


@given(timelines(PLAN_VALUES), plan_changes)
def test_a_plan_row_sent_again_is_said_to_restate(history, change):
    decision = _decide_plan(history, change)
    if not isinstance(decision, rules.Decision):
        return
    after = Timeline(history.events)
    for order, (on, values) in enumerate(decision.changes, start=100):
        after.add(on, order, values)
    again = _decide_plan(after, change)
    # (not when a same-day entry changed it again, or the row's parts undo each other)
    if isinstance(again, rules.Decision) and not again and not again.superseded:
        assert rules.restates_plan(after, change)


@given(
    timelines(ENTERPRISE_VALUES),
    st.fixed_dictionaries({k: maybe(v) for k, v in ENTERPRISE_VALUES.items()}),
    st.sampled_from(DAYS),
    st.sampled_from(TODAYS),
)
def test_an_enterprise_row_said_to_restate_records_flags_and_refuses_nothing(
    history, wanted, on, today
):
    if not rules.restates_enterprise(history, wanted, on):
        return
    stored = history.state(on, fallback=True).get("name") or ""
    owner = rules.Owner(99, "别家", "91511111MA60000099")
    decision = rules.enterprise_changes(
        history,
        wanted,
        on,
        today=today,
        restating=True,
        # as the importer asks it: a name spelt another way is the same name
        same_name=wanted["name"] is not None and name_key(wanted["name"]) == name_key(stored),
        uscc_owner=owner,
        name_owner=owner,
    )
    assert decision.changes == [] and not decision.superseded
