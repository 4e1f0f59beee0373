"""Writers that race on one shared ledger (SPEC "Clock and order").

Real `fugong` processes started together: the same enterprise added by four
offices at once is added once; the same job's labour demand likewise; an undo
racing a fill on the demand it created leaves no negative gap; and a report as
known at a moment while a writer was waiting for its turn does not show what
that writer recorded after the wait.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, func, select, text

from fugong.models import Enterprise, Labour

OFFICES = 4


def _run_together(db: str, argv: list[str], n: int = OFFICES) -> list[subprocess.CompletedProcess]:
    env = {**os.environ, "FUGONG_DB": db, "FUGONG_USER": "racer", "NO_COLOR": "1"}
    env.pop("FUGONG_LANG", None)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "fugong", *argv],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def _count(db_url: str, model, *where) -> int:
    from fugong.db import ledger_url

    engine = create_engine(ledger_url(db_url))
    try:
        with engine.connect() as conn:
            query = select(func.count()).select_from(model).where(*where)
            return conn.execute(query).scalar_one()
    finally:
        engine.dispose()


def test_four_offices_adding_the_same_enterprise_add_it_once(cli, db_url):
    argv = ["enterprise", "add", "同名公司", "--district", "沙湾", "--date", "2020-02-01"]
    results = _run_together(db_url, argv)
    codes = sorted(r.returncode for r in results)
    assert codes == [0, 1, 1, 1], [r.stderr for r in results]
    for r in results:
        assert "Traceback" not in r.stderr
        if r.returncode == 1:
            assert "已登记同名企业" in r.stderr, r.stderr
    assert _count(db_url, Enterprise, Enterprise.live) == 1


def test_four_offices_adding_the_same_labour_demand_add_it_once(cli, db_url):
    assert (
        cli("enterprise", "add", "用工公司", "--district", "沙湾", "--date", "2020-02-01").exit_code
        == 0
    )
    argv = ["labour", "add", "用工公司", "--job", "普工", "--needed", "30", "--date", "2020-02-03"]
    results = _run_together(db_url, argv)
    assert sorted(r.returncode for r in results) == [0, 1, 1, 1], [r.stderr for r in results]
    assert _count(db_url, Labour, Labour.live) == 1
    report = json.loads(
        cli("report", "--district", "沙湾", "--as-of", "2020-02-03", "--format", "json").stdout
    )
    assert report["labour"]["needed"] == 30


def test_an_undo_racing_a_fill_leaves_no_negative_gap(cli, db_url, tmp_path):
    assert (
        cli("enterprise", "add", "用工公司", "--district", "沙湾", "--date", "2020-02-01").exit_code
        == 0
    )
    sheet = tmp_path / "labour.csv"
    sheet.write_text(
        "企业名称,区县,工种,需求人数,已招人数\n用工公司,沙湾,普工,3,2\n", encoding="utf-8"
    )
    done = cli("import", "labour", str(sheet), "--date", "2020-02-03")
    assert done.exit_code == 0, done.stderr
    batch = max(e["batch"] for e in json.loads(cli("log", "--format", "json").stdout))
    [demand] = json.loads(cli("labour", "list", "--format", "json").stdout)
    env = {**os.environ, "FUGONG_DB": db_url, "FUGONG_USER": "racer"}
    undo = subprocess.Popen(
        [sys.executable, "-m", "fugong", "undo", str(batch)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    fill = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fugong",
            "labour",
            "fill",
            str(demand["id"]),
            "--count",
            "1",
            "--date",
            "2020-02-04",
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    undo_err, fill_err = undo.communicate(timeout=120)[1], fill.communicate(timeout=120)[1]
    # one of them went first; the other was refused, with a message
    assert sorted([undo.returncode, fill.returncode]) == [0, 1], (undo_err, fill_err)
    assert "Traceback" not in undo_err + fill_err
    for row in json.loads(cli("labour", "list", "--format", "json").stdout):
        assert row["gap"] >= 0 and row["filled"] <= row["needed"]
    check = cli("check", "--format", "json")
    assert not [f for f in json.loads(check.stdout or "[]") if f["severity"] == "error"]


def _hold_the_writer_turn(db_url: str):
    """A connection that holds the ledger's writer turn until it is rolled back."""
    from fugong.db import ledger_url
    from fugong.unit import WRITER_LOCK

    url = ledger_url(db_url)
    engine = create_engine(url)
    conn = engine.connect()
    if url.startswith("sqlite"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.begin()
        conn.execute(text(f"SELECT pg_advisory_xact_lock({WRITER_LOCK})"))
    return engine, conn


def test_a_report_known_at_a_moment_during_a_writers_wait_does_not_show_it(cli, db_url):
    assert (
        cli(
            "enterprise",
            "add",
            "等待公司",
            "--district",
            "沙湾",
            "--above-scale",
            "--date",
            "2020-02-01",
        ).exit_code
        == 0
    )
    assert (
        cli("plan", "add", "等待公司", "--status", "planned", "--date", "2020-02-02").exit_code == 0
    )
    engine, holder = _hold_the_writer_turn(db_url)
    env = {**os.environ, "FUGONG_DB": db_url, "FUGONG_USER": "waiter"}
    try:
        waiting = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fugong",
                "plan",
                "set",
                "等待公司",
                "--status",
                "resumed",
                "--date",
                "2020-02-05",
            ],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(2.0)  # it has started and waits for its turn
        during = datetime.now(UTC).isoformat()
        time.sleep(0.5)
        assert waiting.poll() is None, "the writer did not wait for its turn"
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()
    assert waiting.wait(timeout=60) == 0, waiting.stderr.read()
    as_then = json.loads(
        cli(
            "report",
            "--district",
            "沙湾",
            "--as-of",
            "2020-02-05",
            "--known-at",
            during,
            "--format",
            "json",
        ).stdout
    )
    now = json.loads(
        cli("report", "--district", "沙湾", "--as-of", "2020-02-05", "--format", "json").stdout
    )
    assert (as_then["plans"]["planned"], as_then["plans"]["resumed"]) == (1, 0)
    assert (now["plans"]["planned"], now["plans"]["resumed"]) == (0, 1)


@pytest.mark.parametrize("rows", [6000])
def test_undo_of_a_large_import_is_set_based(cli, db_url, ledger, tmp_path, rows):
    sheet = tmp_path / "big.csv"
    body = "".join(f"企业{i},沙湾,是,计划复产,2020-02-20\n" for i in range(rows))
    sheet.write_text("企业名称,所属区县,是否规上,复产状态,计划复产日期\n" + body, encoding="utf-8")
    before = json.loads(cli("report", "--as-of", "2020-02-14", "--format", "json").stdout)
    done = cli("import", "plans", str(sheet), "--date", "2020-02-14")
    assert done.exit_code == 0, done.stderr
    batch = max(e.id for e in ledger.all(__import__("fugong.models", fromlist=["Batch"]).Batch))
    undone = cli("undo", str(batch))
    assert undone.exit_code == 0, undone.stderr
    after = json.loads(cli("report", "--as-of", "2020-02-14", "--format", "json").stdout)
    for doc in (before, after, *before["districts"], *after["districts"]):
        doc.pop("generated_at", None)
    assert after == before
    assert _count(db_url, Enterprise, Enterprise.live) == 0
    again = cli("import", "plans", str(sheet), "--date", "2020-02-14")  # they come back as new
    assert again.exit_code == 0 and f"企业 {rows}" in again.stderr, again.stderr


@pytest.mark.parametrize("path", ["read model", "history"])
def test_a_report_does_not_count_what_a_writer_commits_while_it_reads(
    cli, db_url, monkeypatch, path
):
    """A report asks whether the read model reflects the ledger (readmodel.reflects),
    or reads the hidden batches once (asof.with_merges) when it folds the history, and
    its figures in many statements after: a write committed in between is in none of
    them, so the report equals itself replayed `--known-at` its own generated_at (one
    snapshot: SQLite's read transaction, REPEATABLE READ on PostgreSQL)."""
    import fugong.readmodel
    import fugong.reports

    assert cli("init", "--sample").exit_code == 0
    argv = ["report", "--district", "沙湾", "--as-of", "2020-02-14", "--format", "json"]
    before = json.loads(cli(*argv).stdout)["plans"]
    original = fugong.reports.with_merges
    reflects = fugong.readmodel.reflects
    env = {**os.environ, "FUGONG_DB": db_url, "FUGONG_USER": "meanwhile", "NO_COLOR": "1"}
    env.pop("FUGONG_LANG", None)
    write = [
        sys.executable,
        *("-m", "fugong", "plan", "set", "乐山大佛新材料有限公司"),
        *("--status", "suspended", "--date", "2020-02-10"),
    ]

    def meanwhile(session, view):
        found = original(session, view)
        done = subprocess.run(write, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return found

    def asked(session, moment):
        if path == "history":
            return False
        found = reflects(session, moment)
        done = subprocess.run(write, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return found

    monkeypatch.setattr(fugong.readmodel, "reflects", asked)
    if path == "history":
        monkeypatch.setattr(fugong.reports, "with_merges", meanwhile)
    during = json.loads(cli(*argv).stdout)
    monkeypatch.setattr(fugong.reports, "with_merges", original)
    monkeypatch.setattr(fugong.readmodel, "reflects", reflects)
    replayed = json.loads(cli(*argv, "--known-at", during["generated_at"]).stdout)
    after = json.loads(cli(*argv).stdout)["plans"]
    assert during["plans"] == replayed["plans"] == before
    assert (after["suspended"], after["not_stopped"]) == (
        before["suspended"] + 1,
        before["not_stopped"] - 1,
    )
