"""The read model (readmodel.py): what a report reads as known now is what the history makes.

A report as known now counts the rows the writer keeps; `daily(history=True)` folds
them from the history as a report `--known-at` an earlier moment does.  On histories
with every kind of entry (test_trend._random_history), moves and merges across
districts (test_district_scope.moving_and_merging), merges and imports taken back and
problems withdrawn, the two give the same report for every day of February and every
district, one day at a time and as a trend, and `check` finds the model whole.  A
model that does not reflect the ledger is not read, and `check` finds and repairs
one that differs.  Runs on SQLite and PostgreSQL (conftest.py).
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from test_corrections import last_batch, log
from test_district_scope import SHAWAN, WUTONGQIAO, moving_and_merging
from test_reports import ok, report_json
from test_trend import _random_history

from fugong import clock, readmodel
from fugong.db import open_ledger
from fugong.models import District
from fugong.reports import daily

FEBRUARY = (date(2020, 2, 1), date(2020, 2, 29))
DAYS = [date(2020, 2, d) for d in (1, 4, 8, 12)]


def assert_the_model_is_the_history(db_url: str) -> None:
    """The model reflects the ledger, `check`'s comparison finds nothing, and every
    report of the city and both districts equals the history's, as a trend and day by day."""
    ledger = open_ledger(db_url)
    try:
        with ledger.session(reading=True) as session:
            now = clock.now_utc()
            assert readmodel.reflects(session, now)
            assert readmodel.differences(session) == set()
            for code in ("511100", SHAWAN, WUTONGQIAO):
                district = session.get(District, code)
                for every in (False, True):
                    windows = [FEBRUARY] + ([(d, d) for d in DAYS] if not every else [])
                    for first, last in windows:
                        ask = {
                            "session": session,
                            "district": district,
                            "first": first,
                            "last": last,
                            "generated_at": now,
                            "all_enterprises": every,
                        }
                        kept, folded = daily(**ask), daily(**ask, history=True)
                        assert kept == folded, (code, every, first, last)
    finally:
        ledger.engine.dispose()


@pytest.mark.parametrize("seed", [5])
def test_random_histories_and_their_undoing(cli, db_url, seed):
    rng = random.Random(seed)
    _random_history(cli, rng)
    assert_the_model_is_the_history(db_url)
    # take back the latest batches (one that later ones depend on is refused: exit 1)
    for _ in range(4):
        result = cli("undo", str(last_batch(cli)))
        assert result.exit_code in (0, 1), result.stderr
    assert_the_model_is_the_history(db_url)


def test_moves_merges_and_their_undoing(cli, db_url):
    moving_and_merging(cli)
    assert_the_model_is_the_history(db_url)
    merges = [e["batch"] for e in log(cli) if e["action"] == "merge"]
    assert merges
    ok(cli("undo", str(max(merges))))  # 乙有限公司 counts for itself again
    ok(cli("problem", "withdraw", "1", "--reason", "重复录入", "--date", "2020-02-10"))
    assert_the_model_is_the_history(db_url)


def test_imports_and_their_undoing(cli, db_url, tmp_path):
    ok(cli("init", "--sample"))
    assert_the_model_is_the_history(db_url)
    sheet = tmp_path / "plans.csv"
    sheet.write_text(
        "企业名称,所属区县,是否规上,职工人数,复产状态,返岗人数\n"
        "乐山福禄化工有限责任公司,沙湾,是,120,已复产,80\n"
        "新来的企业有限公司,五通桥,是,40,计划复产,\n",
        encoding="utf-8",
    )
    ok(cli("import", "plans", str(sheet), "--date", "2020-02-12"))
    assert_the_model_is_the_history(db_url)
    ok(cli("undo", str(last_batch(cli))))
    assert_the_model_is_the_history(db_url)


@pytest.mark.parametrize(
    "marked",
    [
        "batch_seen = batch_seen - 1",  # as of an older batch
        "shape = shape - 1",  # made by a fugong whose fold cut the periods otherwise
    ],
)
def test_a_model_that_does_not_reflect_the_ledger_is_not_read(cli, db_url, marked):
    """Rows that say something else, marked as of an older batch or of another shape of
    rows (rm_state.shape, as an upgraded ledger has them until they are made again):
    reports fold the history (the figures stay right), `check` calls nothing wrong, and
    the next batch makes the model whole."""
    moving_and_merging(cli)
    right = report_json(cli, "--as-of", "2020-02-09")
    ledger = open_ledger(db_url)
    try:
        with ledger.session() as session:
            session.execute(text("UPDATE rm_plan SET status = 'resumed'"))
            session.execute(text(f"UPDATE rm_state SET {marked}"))
        with ledger.session(reading=True) as session:
            assert not readmodel.reflects(session, clock.now_utc())
    finally:
        ledger.engine.dispose()
    assert report_json(cli, "--as-of", "2020-02-09") == right
    assert "model_mismatch" not in ok(cli("check", "--format", "json")).stdout
    ok(cli("plan", "set", "走公司", "--status", "suspended", "--date", "2020-02-11"))
    assert_the_model_is_the_history(db_url)


def test_check_finds_a_model_that_differs_and_repairs_it(cli, db_url):
    moving_and_merging(cli)
    ledger = open_ledger(db_url)
    try:
        with ledger.session() as session:
            eid = session.execute(text("SELECT min(eid) FROM rm_plan")).scalar()
            session.execute(text("UPDATE rm_plan SET returned = 999 WHERE eid = :e"), {"e": eid})
    finally:
        ledger.engine.dispose()
    result = cli("check", "--format", "json")
    assert result.exit_code == 1
    found = [f for f in json.loads(result.stdout) if f["code"] == "model_mismatch"]
    assert [(f["record"], f["record_id"], f["severity"]) for f in found] == [
        ("enterprise", eid, "error")
    ]
    assert "fugong check --repair" in found[0]["detail"]
    result = ok(cli("check", "--repair", "--format", "json"))
    assert "model_mismatch" not in result.stdout
    assert_the_model_is_the_history(db_url)


def test_a_report_known_at_an_earlier_moment_folds_the_history(cli, db_url):
    moving_and_merging(cli)
    entries = log(cli)
    ledger = open_ledger(db_url)
    try:
        with ledger.session(reading=True) as session:
            newest = max(e["recorded_at"] for e in entries)
            assert readmodel.reflects(session, clock.now_utc())
            moment = clock.now_utc() - timedelta(days=1)
            assert not readmodel.reflects(session, moment), newest
    finally:
        ledger.engine.dispose()
