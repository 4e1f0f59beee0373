"""A district's report and lists read only what its enterprises recorded (asof.View.districts).

The restriction is a filter before the as-of fold: the enterprises whose history ever
names the district.  Whatever it leaves out must be what the district never shows, so
a district's report is its part of the city's report, and a district's list is the
city's list less the other districts' rows — on histories with enterprises that move
between districts (there and back), merges across districts, as of every day and as
known at an earlier moment.  Runs on SQLite and PostgreSQL (conftest.py).
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from spec_facts import DISTRICTS
from test_reports import ok, report_json
from test_trend import _random_history

SHAWAN, WUTONGQIAO = "511111", "511112"
DAYS = ("2020-02-02", "2020-02-05", "2020-02-07", "2020-02-09", "2020-02-12")
LEDGERS = ("enterprise", "plan", "problem", "labour")


def run(cli, line: str):
    return ok(cli(*line.split()))


def listed(cli, ledger: str, *args: str) -> list[dict[str, Any]]:
    return json.loads(ok(cli(ledger, "list", "--format", "json", *args)).stdout)


def moving_and_merging(cli) -> str:
    """Enterprises that move between 沙湾 and 五通桥 and back, with plans, problems and
    labour demand on both sides of each move, and merges across the two districts.
    Returns a moment before the last changes were recorded."""
    for line in (
        "enterprise add 走公司 --district 沙湾 --above-scale --employees 80 --date 2020-02-01",
        "plan add 走公司 --status planned --date 2020-02-01",
        "problem add 走公司 --category 用工 --text 缺人 --deadline 2020-02-06 --date 2020-02-03",
        "labour add 走公司 --job 普工 --needed 30 --filled 4 --date 2020-02-03",
        "enterprise edit 走公司 --district 五通桥 --date 2020-02-05",
        "plan inspect 走公司 --passed --date 2020-02-06",
        "plan set 走公司 --status resumed --returned 50 --date 2020-02-06",
        "enterprise edit 走公司 --district 沙湾 --date 2020-02-09",
        # registered in 五通桥 after its first plan entry, moved to 沙湾 later
        "enterprise add 迟公司 --district 五通桥 --above-scale --date 2020-02-04",
        "plan add 迟公司 --status not_stopped --date 2020-02-02",
        "enterprise edit 迟公司 --district 沙湾 --date 2020-02-08",
        # a duplicate in 五通桥 kept as one in 沙湾, and one in 沙湾 kept as one in 五通桥
        "enterprise add 甲公司 --district 沙湾 --above-scale --date 2020-02-01",
        "enterprise add 甲有限公司 --district 五通桥 --above-scale --date 2020-02-02",
        "plan add 甲有限公司 --status resumed --date 2020-02-03",
        "problem add 甲有限公司 --category 物流 --text 运不进 --date 2020-02-04",
        "labour add 甲有限公司 --job 技工 --needed 10 --date 2020-02-04",
        "enterprise add 乙公司 --district 五通桥 --above-scale --date 2020-02-01",
        "enterprise add 乙有限公司 --district 沙湾 --date 2020-02-02",
        "plan add 乙有限公司 --status planned --date 2020-02-03",
        "problem add 乙有限公司 --category 用工 --text 招不到 --date 2020-02-05",
    ):
        run(cli, line)
    moment = listed_log_moment(cli)
    run(cli, "enterprise merge 甲有限公司 --into 甲公司 --date 2020-02-08")
    run(cli, "enterprise merge 乙有限公司 --into 乙公司 --date 2020-02-08")
    run(cli, "plan set 迟公司 --status suspended --date 2020-02-10")
    return moment


def listed_log_moment(cli) -> str:
    return json.loads(ok(cli("log", "--format", "json")).stdout)[0]["recorded_at"]


def assert_district_equals_its_part_of_the_city(cli, *more: str) -> None:
    for day in DAYS:
        city = report_json(cli, "--as-of", day, *more)
        for code in (SHAWAN, WUTONGQIAO):
            part = [d for d in city["districts"] if d["scope"]["code"] == code][0]
            own = report_json(cli, "--district", code, "--as-of", day, *more)
            assert own == {**part, "all_enterprises": own["all_enterprises"]}, (code, day, more)
        for ledger in LEDGERS:
            every = listed(cli, ledger, "--as-of", day)
            for code in (SHAWAN, WUTONGQIAO):
                mine = listed(cli, ledger, "--district", code, "--as-of", day)
                assert mine == [r for r in every if r["district"] == DISTRICTS[code]], (
                    ledger,
                    code,
                    day,
                )


def test_moves_and_merges_across_districts(cli):
    moment = moving_and_merging(cli)
    for more in ((), ("--all-enterprises",), ("--known-at", moment)):
        assert_district_equals_its_part_of_the_city(cli, *more)
    # the mover counts where it is (五通桥 from the 5th, 沙湾 again from the 9th); the
    # duplicate's resumed plan counts for 甲公司 of 沙湾 at every date
    resumed = {
        (code, day): report_json(cli, "--district", code, "--as-of", day)["plans"]["resumed"]
        for code in (SHAWAN, WUTONGQIAO)
        for day in ("2020-02-07", "2020-02-09")
    }
    assert resumed == {
        (SHAWAN, "2020-02-07"): 1,
        (WUTONGQIAO, "2020-02-07"): 1,
        (SHAWAN, "2020-02-09"): 2,
        (WUTONGQIAO, "2020-02-09"): 0,
    }


@pytest.mark.parametrize("seed", [3, 8])
def test_random_histories_district_equals_its_part_of_the_city(cli, seed):
    _random_history(cli, random.Random(seed))
    assert_district_equals_its_part_of_the_city(cli)
