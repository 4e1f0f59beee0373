"""`fugong trend` end to end: a day of the trend is the report of that day.

Runs on SQLite and PostgreSQL (conftest.py).  The reports the trend is compared
with come from `fugong report` itself, so a rule that the two computed
differently would show here; the figures themselves are checked against SPEC in
test_reports.py.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from spec_facts import CITY, DISTRICTS
from test_reports import (
    GOLDEN_DAY,
    SHAWAN,
    golden,
    ok,
    report_json,
    small_ledger,
    without_generated_at,
)

SEEDS = [int(s) for s in os.environ.get("FUGONG_TEST_SEEDS", "16").split(",")]
FEBRUARY = [date(2020, 2, 1) + timedelta(days=i) for i in range(29)]


def trend_json(cli, *args) -> list[dict[str, Any]]:
    result = ok(cli("trend", "--format", "json", *args))
    assert result.stderr == ""
    days = json.loads(result.stdout)
    assert isinstance(days, list)
    stamps = {d["generated_at"] for d in days}
    assert len(stamps) == 1, "one trend, one moment"
    return days


def as_report(day: dict[str, Any]) -> dict[str, Any]:
    """A day of a trend less its `date`: what `report --as-of` that day prints."""
    assert day["date"] == day["as_of"]
    return without_generated_at({k: v for k, v in day.items() if k != "date"})


def test_each_day_of_the_trend_is_that_days_report(cli):
    """The sample ledger, every day of February 2020: the city's trend against the city's
    report of each day, each district's trend against its part of that report, and on
    three days against the district's own report."""
    ok(cli("init", "--sample"))
    first, last = FEBRUARY[0].isoformat(), FEBRUARY[-1].isoformat()
    city = trend_json(cli, "--from", first, "--to", last)
    assert [d["date"] for d in city] == [d.isoformat() for d in FEBRUARY]
    reports = {}
    for on, day in zip(FEBRUARY, city, strict=True):
        reports[on] = report_json(cli, "--as-of", on)
        assert as_report(day) == reports[on], on
    assert {d["plans"]["total"] for d in city} != {0}, "the sample has figures in February"

    for code, name in DISTRICTS.items():
        days = trend_json(cli, "--district", code, "--from", first, "--to", last)
        for on, day in zip(FEBRUARY, days, strict=True):
            assert day["scope"] == {"code": code, "name": name}
            part = [d for d in reports[on]["districts"] if d["scope"]["code"] == code][0]
            assert as_report(day) == {**part, "all_enterprises": False}, (name, on)
            if on.day in (3, 7, 14):
                assert as_report(day) == report_json(cli, "--district", code, "--as-of", on)

    # --all-enterprises and --known-at reach every day alike
    every = trend_json(cli, "--from", "2020-02-06", "--to", "2020-02-08", "--all-enterprises")
    for day in every:
        assert as_report(day) == report_json(cli, "--as-of", day["date"], "--all-enterprises")
    before = trend_json(cli, "--to", "2020-02-14", "--known-at", "2000-01-01")
    assert len(before) == 14 and all(d["plans"]["total"] == 0 for d in before)
    assert all(d["known_at"].startswith("2000-01-01T23:59:59.999999+08:00") for d in before)


def _random_history(cli, rng: random.Random) -> None:
    """Enterprises of two districts with every kind of entry, dated in the first twelve
    days of February and recorded in shuffled order: moves between districts, 规上 and
    employee changes, plan entries dated before the registration, same-day changes,
    back-dated corrections, problems resolved and reopened, labour filled.  A command the
    ledger refuses changes nothing; that is part of the game."""

    def day(since: int = 1) -> tuple[int, str]:
        n = rng.randint(since, 12)
        return n, f"2020-02-{n:02d}"

    changes: list[list[str]] = []
    for i in range(10):
        name = f"随机{i}号机械有限公司"
        flags = ["--above-scale"] if rng.random() < 0.7 else []
        if rng.random() < 0.7:
            flags += ["--employees", str(rng.randint(20, 300))]
        registered, on = day()
        district = rng.choice(["沙湾", "五通桥"])
        ok(cli("enterprise", "add", name, "--district", district, *flags, "--date", on))
        planned, on = day(max(1, registered - 3))  # a plan may be dated before registration
        status = rng.choice(["planned", "not_stopped"])
        ok(cli("plan", "add", name, "--status", status, "--date", on))
        for _ in range(rng.randint(1, 4)):
            status = rng.choice(["planned", "approved", "resumed", "resumed", "suspended"])
            more = ["--returned", str(rng.randint(0, 200))] if rng.random() < 0.6 else []
            changes.append(
                ["plan", "set", name, "--status", status, *more, "--date", day(planned)[1]]
            )
        if rng.random() < 0.3:
            changes.append(["plan", "set", name, "--status", "excluded", "--reason", "退规"])
            changes[-1] += ["--date", day(planned)[1]]
        inspection = rng.choice(["--passed", "--failed"])
        changes.append(["plan", "inspect", name, inspection, "--date", day(planned)[1]])
        if rng.random() < 0.5:
            moved = ["--district", rng.choice(["沙湾", "五通桥"])]
            scale = rng.choice([["--above-scale"], ["--not-above-scale"], []])
            changes.append(
                ["enterprise", "edit", name, *moved, *scale, "--date", day(registered)[1]]
            )
        if rng.random() < 0.3:
            employees = ["--employees", str(rng.randint(20, 300))]
            changes.append(["enterprise", "edit", name, *employees, "--date", day(registered)[1]])
        for _ in range(rng.randint(0, 2)):
            raised, on = day(registered)
            result = ok(cli(
                "problem", "add", name, "--category", rng.choice(["用工", "物流运输", "资金融资"]),
                "--text", f"困难{rng.random()}", "--deadline", day(raised)[1], "--date", on,
            ))  # fmt: skip
            pid = re.search(r"#(\d+)", result.stdout).group(1)
            changes.append(
                ["problem", "resolve", pid, "--note", "已解决", "--date", day(raised)[1]]
            )
            if rng.random() < 0.4:
                changes.append(
                    ["problem", "reopen", pid, "--reason", "反复", "--date", day(raised)[1]]
                )
        if rng.random() < 0.5:
            raised, on = day(registered)
            result = ok(cli(
                "labour", "add", name, "--job", rng.choice(["普工", "技工"]), "--needed", "40",
                "--filled", "5", "--date", on,
            ))  # fmt: skip
            lid = re.search(r"#(\d+)", result.stdout).group(1)
            changes.append(["labour", "fill", lid, "--count", "7", "--date", day(raised)[1]])
    rng.shuffle(changes)
    for change in changes:
        result = cli(*change)
        assert result.exit_code in (0, 1), (change, result.stdout, result.stderr)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_histories_trend_equals_the_reports(cli, seed):
    """On histories no sample has (see _random_history), every day of the trend of the
    city and of 沙湾 is that day's report."""
    _random_history(cli, random.Random(seed))
    span = ("--from", "2020-01-31", "--to", "2020-02-13")
    city = trend_json(cli, *span)
    shawan = trend_json(cli, "--district", "沙湾", *span)
    for day, part in zip(city, shawan, strict=True):
        report = report_json(cli, "--as-of", day["date"])
        assert as_report(day) == report, day["date"]
        assert as_report(part) == report_json(cli, "--district", "沙湾", "--as-of", day["date"])
    resumed = [d["plans"]["resumed"] for d in city]
    assert len(set(resumed)) > 1, f"a history where nothing resumes tests little: {resumed}"


def test_trend_of_the_small_ledger(cli, tmp_path):
    """The formats on the ledger of test_reports.py: plain text and CSV against golden
    files, the default days, JSON rows per district, -o by extension."""
    r = small_ledger(cli)
    span = ("--from", "2020-02-01", "--to", GOLDEN_DAY.isoformat())
    for fmt, extension in (("table", "plain.txt"), ("csv", "csv")):
        result = ok(cli("trend", *span, "--format", fmt))
        assert result.stderr == "" and "\x1b" not in result.stdout
        golden(f"trend_city_2020-02-01_{GOLDEN_DAY}.{extension}", result.stdout)
    result = ok(cli("trend", "--district", "沙湾", *span, "--lang", "en"))
    golden(f"trend_shawan_en_2020-02-01_{GOLDEN_DAY}.plain.txt", result.stdout)
    text = result.stdout
    assert text.splitlines()[0] == f"沙湾区 work-resumption trend 2020-02-01 to {GOLDEN_DAY}"
    assert "resumption rate" in text and "return rate" in text

    # default: the 14 days up to --to; the rate of each day as the model computes it
    days = trend_json(cli, "--to", "2020-02-12")
    assert [d["date"] for d in days] == [f"2020-01-{d}" for d in (30, 31)] + [
        f"2020-02-{d:02d}" for d in range(1, 13)
    ]
    for day in days:
        on = date.fromisoformat(day["date"])
        want = r.model.expected(tuple(DISTRICTS), on)
        assert {k: day["plans"][k] for k in want["plans"]} == want["plans"], on
        for part in day["districts"]:
            code = part["scope"]["code"]
            assert (
                part["plans"]["resumption_rate"]
                == r.model.plan_figures((code,), on)["resumption_rate"]
            )

    # CSV: a row per day and scope (the districts, then the city), the report's columns
    english = ok(cli("trend", *span, "--format", "csv", "--lang", "en")).stdout
    rows = list(csv.DictReader(io.StringIO(english)))
    assert len(rows) == 10 * 12
    assert [row["scope_code"] for row in rows[:12]] == [*DISTRICTS, CITY[0]]
    assert {row["date"] for row in rows} == {f"2020-02-{d:02d}" for d in range(1, 11)}
    tenth = [row for row in rows if row["date"] == "2020-02-10" and row["scope_code"] == SHAWAN][0]
    assert (tenth["plans.returned"], tenth["plans.return_rate"]) == ("40", "0.3333")

    # -o: the extension picks the format; stdout stays empty
    for extension in ("json", "csv", "txt", "html"):
        target = tmp_path / f"trend.{extension}"
        result = ok(cli("trend", *span, "-o", target))
        assert result.stdout == "" and str(target) in result.stderr
    assert json.loads((tmp_path / "trend.json").read_text("utf-8"))[0]["date"] == "2020-02-01"
    assert (tmp_path / "trend.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (tmp_path / "trend.txt").read_text("utf-8").startswith("乐山市 企业复工复产趋势")
    assert (tmp_path / "trend.html").read_text("utf-8").startswith("<!DOCTYPE html>")


def test_bad_trend_arguments(cli, tmp_path, db_url):
    """Clear Chinese messages, exit 1, nothing on stdout, no file, never a traceback."""

    def refused(*args, words=()):
        result = cli("trend", *args)
        assert result.exit_code == 1, (args, result.stdout, result.stderr)
        assert result.stdout == ""
        assert result.stderr.startswith("错误: "), result.stderr
        for word in words:
            assert word in result.stderr, (word, result.stderr)
        return result

    refused("--district", "沙弯", words=("沙湾区", "五通桥区"))
    refused("--from", "2020-02-14", "--to", "2020-02-01", words=("--from", "晚于"))
    refused("--from", "2020-02-30", words=("--from", "2020-02-30"))
    refused("--to", "someday", words=("--to",))
    refused("--known-at", "not-a-moment", words=("--known-at",))
    out = tmp_path / "out"
    out.mkdir()
    for name in ("trend.xyz", "trend", "trend.docx"):
        target = out / name
        result = refused("--to", "2020-02-10", "-o", target, words=(str(target),))
        assert list(out.iterdir()) == [], "no file, not even a temporary one"
    assert ".xlsx" in result.stderr and ".html" in result.stderr
    assert cli("trend", "--format", "xml").exit_code == 2
    result = cli("trend", "--district", "沙弯", "--lang", "en")
    assert result.exit_code == 1 and result.stderr.startswith("Error: ")
    # English: the same refusals
    result = cli("trend", "--from", "2020-02-14", "--to", "2020-02-01", "--lang", "en")
    assert result.exit_code == 1 and "after" in result.stderr


@pytest.mark.sqlite_only
def test_output_never_overwrites_the_ledger(cli, db_url):
    before = Path(db_url).read_bytes()
    for command in ("trend", "report"):
        for suffix in ("", "-wal", "-shm"):
            result = cli(command, "--format", "json", "-o", db_url + suffix)
            assert result.exit_code == 1, result.stdout + result.stderr
            assert "账本" in result.stderr
    assert Path(db_url).read_bytes() == before


# --------------------------------------------------------------------------- on a terminal


def _console(width: int):
    from rich.console import Console

    return Console(
        width=width,
        record=True,
        file=io.StringIO(),
        no_color=True,
        highlight=False,
        color_system=None,
    )


def _cells(line: str) -> int:
    from rich.cells import cell_len

    return cell_len(line)


@pytest.mark.sqlite_only
def test_terminal_tables_fit_and_cut_nothing(cli):
    """On a terminal of 80, 60 or 30 columns, report and trend change shape to fit: no line
    is longer than the terminal and every figure and name is still there, whole."""
    from fugong import render

    small_ledger(cli)
    report = json.loads(ok(cli("report", "--as-of", GOLDEN_DAY, "--format", "json")).stdout)
    days = json.loads(ok(cli("trend", "--to", GOLDEN_DAY, "--format", "json")).stdout)
    trend = {
        "scope": days[0]["scope"],
        "from": days[0]["date"],
        "to": days[-1]["date"],
        "known_at": None,
        "generated_at": days[0]["generated_at"],
        "days": days,
    }
    for width in (80, 60, 30):
        for draw, doc in ((render.report_rich, report), (render.trend_rich, trend)):
            console = _console(width)
            draw(doc, "zh", console)
            text = console.export_text()
            assert max(_cells(line) for line in text.splitlines()) <= width, (width, text)
            assert "…" not in text
            for name in DISTRICTS.values():
                assert name in text
    # the trend on a terminal draws the rate beside the numbers, and each district's line
    console = _console(120)
    render.trend_rich(trend, "zh", console)
    text = console.export_text()
    assert any(ch in text for ch in "▏▎▍▌▋▊▉█"), text
    assert any(ch in text for ch in render.SPARKS), text
    assert "各区县复产率" in text
    # off a terminal: plain text, without the chart
    plain = render.trend_text(trend, "zh")
    assert not any(ch in plain for ch in "▏▎▍▌▋▊▉█▁▂▃▄▅▆▇")


def test_column_groups_keep_sections_together():
    from fugong.render import column_groups

    widths = [10, 5, 5, 5, 5, 5, 5]
    sections = [[1, 2, 3], [4, 5, 6]]
    # everything fits: one table
    assert column_groups(widths, 200, sections, per_column=3, base=1) == [[1, 2, 3, 4, 5, 6]]
    # a section that fits on its own starts a new table rather than being split
    assert column_groups(widths, 45, sections, per_column=3, base=1) == [[1, 2, 3], [4, 5, 6]]
    # too narrow for a section: split it
    assert column_groups(widths, 30, sections, per_column=3, base=1) == [[1, 2], [3, 4], [5, 6]]
    # not even one column beside the names: the caller lays rows out as blocks
    assert column_groups(widths, 20, sections, per_column=3, base=1) is None
