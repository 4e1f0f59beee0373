"""The one as-of fold in Python (timeline.py) equals the SQL as-of (asof.py).

Random histories — several records, events on a few business days, batches
recorded at increasing moments, some undone later — are written into a real
ledger; for every field of every record, as of every day and as known at every
moment that matters (each batch's recording, each undo, and now), the value
the SQL window query gives must be the value the Python fold gives.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, delete, insert, select

from fugong.asof import View, latest, with_merges
from fugong.models import EVENT_FIELDS, EVENT_MODELS, Batch, Enterprise, Labour, Plan, Problem
from fugong.timeline import Timeline, load

DAYS = [date(2020, 2, d) for d in (3, 4, 6, 9)]
START = datetime(2020, 2, 10, 8, 0)
# a few values per field, so that equal and different values both happen
VALUES = {
    "enterprise": {
        "name": ["甲", "乙"],
        "district": ["511111", "511112"],
        "above_scale": [True, False],
        "employees": [10, 20],
    },
    "plan": {"status": ["planned", "resumed", "approved"], "returned": [5, 7]},
    "problem": {"status": ["open", "resolved"], "department": ["区经信局", "区交通局"]},
    "labour": {"needed": [10, 20], "filled": [0, 5]},
}
IDENTITY = {"plan": Plan, "problem": Problem, "labour": Labour}


@st.composite
def histories(draw, kind: str):
    batches = draw(st.integers(1, 5))
    undone = {
        b: draw(st.integers(b + 1, batches + 1))  # undone by a later moment
        for b in range(batches)
        if draw(st.booleans()) and draw(st.booleans())
    }
    events = draw(
        st.lists(
            st.tuples(
                st.integers(1, 3),  # record
                st.integers(0, batches - 1),  # batch
                st.sampled_from(DAYS),
                st.dictionaries(
                    st.sampled_from(sorted(VALUES[kind])),
                    st.integers(0, 1),
                    min_size=1,
                ),
            ),
            min_size=1,
            max_size=12,
        )
    )
    return batches, undone, events


@pytest.fixture(scope="module")
def engine(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("timeline") / "ledger.db"
    shutil.copyfile(sqlite_template, path)
    engine = create_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def _write(conn, kind: str, batches: int, undone: dict[int, int], events) -> None:
    model, owner = EVENT_MODELS[kind]
    for table in (model, *IDENTITY.values(), Enterprise, Batch):
        conn.execute(delete(table))
    for b in range(batches):
        at = START + timedelta(hours=b)
        conn.execute(
            insert(Batch).values(
                id=b + 1,
                kind="command",
                source="t",
                by="t",
                recorded_at=at,
                undone_at=START + timedelta(hours=undone[b], minutes=30) if b in undone else None,
            )
        )
    for rid in (1, 2, 3):
        name = f"x{rid}"
        conn.execute(insert(Enterprise).values(id=rid, name=name, name_key=name, district="511111"))
        if kind in IDENTITY:
            values = {"id": rid, "enterprise_id": rid}
            if kind == "problem":
                values |= {"raised_on": DAYS[0], "description_key": "x"}
            if kind == "labour":
                values |= {"job_type": "general", "raised_on": DAYS[0]}
            conn.execute(insert(IDENTITY[kind]).values(**values))
    for n, (rid, batch, day, fields) in enumerate(events, start=1):
        values = {f: VALUES[kind][f][i] for f, i in fields.items()}
        conn.execute(
            insert(model).values(
                id=n, batch_id=batch + 1, business_date=day, action="t", **{owner: rid}, **values
            )
        )


def _moments(batches: int, undone: dict[int, int]) -> list[datetime | None]:
    marks = [START + timedelta(hours=b) for b in range(batches + 2)]
    marks += [START + timedelta(hours=u, minutes=30) for u in undone.values()]
    return [None, START - timedelta(hours=1), *marks]


@pytest.mark.parametrize("kind", ["enterprise", "plan", "problem", "labour"])
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_python_fold_equals_the_sql_as_of(engine, kind, data):
    batches, undone, events = data.draw(histories(kind))
    fallback = kind == "enterprise"
    with engine.begin() as conn:
        _write(conn, kind, batches, undone, events)
    with engine.connect() as conn:
        for known_at in _moments(batches, undone):
            for as_of in [DAYS[0] - timedelta(days=1), *DAYS, DAYS[-1] + timedelta(days=5)]:
                view = View(as_of, known_at)
                # the hidden batches read once and listed: the same values as asking
                # the batch table per event (View.counts)
                listed = with_merges(conn, view)
                assert listed.hidden is not None
                folded = load(conn, kind, [1, 2, 3], view)
                for field in EVENT_FIELDS[kind]:
                    if field not in VALUES[kind]:
                        continue
                    sub = latest(kind, field, view, fallback=fallback)
                    in_sql = dict(conn.execute(select(sub.c.rid, sub.c.value)).all())
                    sub = latest(kind, field, listed, fallback=fallback)
                    assert dict(conn.execute(select(sub.c.rid, sub.c.value)).all()) == in_sql
                    for rid in (1, 2, 3):
                        in_python = folded[rid].state(as_of, fallback=fallback).get(field)
                        assert in_python == in_sql.get(rid), (kind, field, rid, as_of, known_at)


def test_same_day_events_apply_in_recording_order_and_restated_values_are_seen():
    history = Timeline(
        [
            (DAYS[1], 7, {"status": "planned"}),
            (DAYS[0], 9, {"status": "approved"}),
            (DAYS[1], 8, {"status": "resumed"}),
        ]
    )
    assert history.since() == DAYS[0]
    assert history.state(DAYS[1]) == {"status": "resumed"}
    assert history.state(DAYS[0]) == {"status": "approved"}
    assert history.recorded_on(DAYS[1], "status", "planned")  # superseded the same day
    assert not history.recorded_on(DAYS[0], "status", "planned")
    assert history.state(DAYS[0] - timedelta(days=1), fallback=True) == {"status": "approved"}
