"""`fugong check`, `fugong undo`, `fugong backup` end to end.

check: every planted data-quality problem is found, a clean ledger has none.
undo: a batch taken back leaves every report as it was before the batch, keeps
its history (marked undone), and `--known-at` still reproduces what was known.
backup: a consistent SQLite copy whose reports equal the original's.
"""

from __future__ import annotations

import json
import shlex
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from fugong.models import Batch

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
EVENT_TABLES = ("enterprise_event", "plan_event", "problem_event", "labour_event")


def uscc(first17: str) -> str:
    """A valid USCC (GB 32100-2015), computed here independently of fugong."""
    total = sum(USCC_CHARSET.index(c) * 3**i for i, c in enumerate(first17))
    return first17 + USCC_CHARSET[(31 - total % 31) % 31]


def wrong_check(code: str) -> str:
    return code[:17] + USCC_CHARSET[(USCC_CHARSET.index(code[17]) + 1) % 31]


U1 = uscc("91511111MA6200001")
U2 = uscc("91511112MA6200002")
ABOVE = ("--above-scale", "--date", "2020-02-01", "--employees")
DUE = ("--deadline", "2020-02-20", "--date", "2020-02-06")


# --------------------------------------------------------------------------- helpers


def ok(result, code: int = 0):
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    return result


def run(cli, line: str, *more):
    return ok(cli(*shlex.split(line), *more))


def events(ledger) -> dict[str, int]:
    counts = ledger.counts()
    return {t: counts[t] for t in EVENT_TABLES}


def as_json(cli, *args):
    return json.loads(ok(cli(*args, "--format", "json")).stdout)


def without_known_at(value):
    """Less the moments of the view (known_at) and of the run (generated_at)."""
    if isinstance(value, dict):
        return {
            k: without_known_at(v)
            for k, v in value.items()
            if k not in ("known_at", "generated_at")
        }
    if isinstance(value, list):
        return [without_known_at(v) for v in value]
    return value


def reports(cli, *extra) -> dict:
    """Every report and list a user sees: the city (with its districts), districts, lists."""
    snap = {
        "city": as_json(cli, "report", *extra),
        "city 2020-02-15": as_json(cli, "report", "--as-of", "2020-02-15", *extra),
        "city all": as_json(cli, "report", "--all-enterprises", *extra),
        "沙湾": as_json(cli, "report", "--district", "沙湾", *extra),
    }
    assert len(snap["city"]["districts"]) == 11
    if not any(a.startswith("--known-at") for a in extra):
        for kind in ("enterprise", "plan", "problem", "labour"):
            snap[kind] = as_json(cli, kind, "list", *extra)
    return without_known_at(snap)


def sheet(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def batch_of(cli, file: str) -> int:
    """The batch of an import, as `fugong log` shows it."""
    found = {e["batch"] for e in as_json(cli, "log") if e["source"].startswith(f"{file}:")}
    assert len(found) == 1, found
    return found.pop()


def base_ledger(cli) -> None:
    run(cli, f"enterprise add 乐山甲机械有限公司 --district 沙湾 --uscc {U1}", *ABOVE, "100")
    run(cli, "enterprise add 乐山乙化工有限公司 --district 五通桥 --above-scale --date 2020-02-01")
    run(cli, f"plan add {U1} --status planned --date 2020-02-05")
    run(cli, "plan add 乐山乙化工有限公司 --status planned --date 2020-02-05")
    run(cli, f"problem add {U1} --category 用工 --text 缺普工 --ref P1", *DUE)
    run(cli, f"labour add {U1} --job 普工 --needed 20 --filled 2 --date 2020-02-06")


# --------------------------------------------------------------------------- check


def test_check_finds_every_planted_problem(cli, monkeypatch):
    from fugong import clock

    real_today = clock.today()
    future = (real_today + timedelta(days=30)).isoformat()
    run(cli, f"enterprise add 错码公司 --district 沙湾 --uscc {wrong_check(U2)} --date 2020-02-01")
    run(cli, "enterprise add 乐山某某（集团）有限公司 --district 沙湾 --date 2020-02-01")
    run(cli, "enterprise add 乐山某某(集团)有限责任公司 --district 沙湾 --date 2020-02-01")
    run(cli, "enterprise add 未验收公司 --district 沙湾 --date 2020-02-01")
    run(cli, "plan add 未验收公司 --status resumed --date 2020-02-10")
    run(cli, "enterprise add 逾期公司 --district 沙湾 --date 2020-02-01")
    run(cli, "problem add 逾期公司 --category 物流 --text 运不进", *DUE)
    run(cli, "enterprise add 无计划公司 --district 沙湾 --above-scale --date 2020-02-01")
    run(cli, "enterprise add 未来公司 --district 沙湾 --date 2020-02-01")
    # a business date after today is refused (SPEC), so the entry is planted by a
    # machine whose clock ran ahead; `check` on a correct clock finds it
    with monkeypatch.context() as ahead:
        ahead.setattr(clock, "today", lambda: real_today + timedelta(days=60))
        run(cli, f"plan add 未来公司 --status planned --date {future}")

    result = cli("check", "--format", "json")
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr
    found = json.loads(result.stdout)
    assert all(set(f) >= {"severity", "code", "record", "detail"} for f in found)
    assert all(f["severity"] in ("error", "warning") and f["detail"] for f in found)

    def about(name):
        return [f for f in found if name in (f["enterprise"] or "") or name in f["detail"]]

    for name in ("错码公司", "未验收公司", "逾期公司", "无计划公司"):
        assert about(name), f"nothing about {name}: {found}"
    dup = about("乐山某某（集团）有限公司")
    assert dup and any("乐山某某(集团)有限责任公司" in f["enterprise"] + f["detail"] for f in dup)
    future_errors = [f for f in found if f["severity"] == "error"]
    assert future_errors, found
    assert any(future in f["detail"] and f["enterprise"] == "未来公司" for f in future_errors)
    # one kind of finding per planted problem
    codes = {
        about("错码公司")[0]["code"],
        dup[0]["code"],
        about("未验收公司")[0]["code"],
        about("逾期公司")[0]["code"],
        about("无计划公司")[0]["code"],
        future_errors[0]["code"],
    }
    assert len(codes) == 6, found
    assert [f["severity"] for f in found] == sorted(
        (f["severity"] for f in found), key=lambda s: s != "error"
    )  # errors first

    table = cli("check")
    assert table.exit_code == 1 and "Traceback" not in table.stderr
    assert "无计划公司" in table.stdout


def test_check_finds_nothing_in_a_clean_ledger(cli):
    run(cli, f"enterprise add 乐山甲机械有限公司 --district 沙湾 --uscc {U1}", *ABOVE, "9")
    run(cli, f"enterprise add 乐山乙化工有限公司 --district 五通桥 --uscc {U2} --date 2020-02-01")
    run(cli, f"plan add {U1} --status planned --date 2020-02-05")
    run(cli, f"plan inspect {U1} --passed --date 2020-02-08")
    run(cli, f"plan set {U1} --status resumed --returned 50 --date 2020-02-10")
    run(cli, f"problem add {U2} --category 用工 --text 缺普工", *DUE)
    pid = as_json(cli, "problem", "list")[0]["id"]
    run(cli, f"problem resolve {pid} --note 已招满 --date 2020-02-12")
    run(cli, f"labour add {U2} --job 普工 --needed 10 --filled 10 --date 2020-02-06")

    result = ok(cli("check", "--format", "json"))
    assert json.loads(result.stdout) == []
    assert ok(cli("check")).stdout.strip() == ""


def test_check_on_an_empty_ledger(cli):
    assert json.loads(ok(cli("check", "--format", "json")).stdout) == []


# --------------------------------------------------------------------------- undo


def test_undo_leaves_every_report_as_before_and_keeps_the_history(cli, ledger, tmp_path):
    base_ledger(cli)
    before = reports(cli)
    plans = sheet(
        tmp_path / "plans.csv",
        "企业名称,区县,统一社会信用代码,复产状态,复产日期,职工总数\n"
        f"乐山甲机械有限公司,沙湾,{U1},已复产,2020-02-14,120\n"
        "新建公司,峨边,,计划复产,,30\n",
    )
    problems = sheet(
        tmp_path / "problems.csv",
        "问题编号,统一社会信用代码,问题类别,问题描述,提出日期,办理状态,办结日期,办理结果\n"
        f"P1,{U1},用工,缺普工,2020-02-06,已办结,2020-02-12,已招满\n"
        f"P2,{U1},资金,贷款难,2020-02-13,办理中,,\n",
    )
    labour = sheet(
        tmp_path / "labour.csv",
        "统一社会信用代码,企业名称,区县,工种,需求人数,已招人数,登记日期\n"
        f"{U1},,,普工,20,15,\n"
        ",乐山乙化工有限公司,五通桥,技工,5,1,2020-02-10\n",
    )
    snapshots = [before]
    batches = []
    for name, path in (("plans", plans), ("problems", problems), ("labour", labour)):
        ok(cli("import", name, path, "--date", "2020-02-15"))
        batches.append(batch_of(cli, path))
        snapshots.append(reports(cli))
        assert snapshots[-1] != snapshots[-2], f"the {name} import changed nothing"
    assert len(set(batches)) == 3

    marks = []
    for batch, expected in zip(reversed(batches), reversed(snapshots[:-1]), strict=True):
        logged = as_json(cli, "log", "--batch", str(batch))
        assert logged and not any(e["undone"] for e in logged)
        kept = events(ledger)
        result = ok(cli("undo", str(batch)))
        assert result.stdout.strip()
        assert events(ledger) == kept  # nothing deleted
        again = as_json(cli, "log", "--batch", str(batch))
        taken_back = [e for e in again if e["action"] != "undo"]
        assert len(taken_back) == len(logged) and all(e["undone"] for e in taken_back)
        [undo] = [e for e in again if e["action"] == "undo"]  # who took it back, when
        assert undo["change"]["undid_batch"] == batch and undo["by"] == "tester"
        assert "已由批次" in ok(cli("log", "--batch", str(batch))).stdout
        assert reports(cli) == expected
        marks.append(batch)

    # what was known before each undo is still what --known-at shows
    recorded = {b.id: b for b in ledger.all(Batch)}
    undos = {int(b.note.split()[-1]): b for b in recorded.values() if b.kind == "undo"}
    assert set(undos) == set(batches)
    for batch, snap in zip(batches, snapshots[1:], strict=True):
        # between the undo of the batch after it (or its own import) and its own undo
        later = [undos[b].recorded_at for b in batches if b > batch] or [
            recorded[batch].recorded_at
        ]
        start, end = max(later), undos[batch].recorded_at
        assert start < end
        moment = (start + (end - start) / 2).replace(tzinfo=UTC).isoformat()
        known = reports(cli, "--known-at", moment)
        assert known == {k: v for k, v in snap.items() if k in known}, batch


def test_undo_twice_unknown_and_dependent_batches_are_refused(cli, ledger, tmp_path):
    base_ledger(cli)
    path = sheet(tmp_path / "new.csv", "企业名称,区县,复产状态\n新建公司,沙湾,计划复产\n")
    ok(cli("import", "plans", path, "--date", "2020-02-15"))
    created = batch_of(cli, path)

    # a later command changes what the batch created: its undo is refused
    run(cli, "plan set 新建公司 --status resumed --date 2020-02-16")
    before = ledger.counts()
    result = cli("undo", str(created))
    assert result.exit_code == 1 and result.stderr.strip(), result.stderr
    assert "Traceback" not in result.stderr
    assert ledger.counts() == before

    # an import that only changes existing records can be undone, once
    other = sheet(tmp_path / "other.csv", f"统一社会信用代码,复产状态\n{U1},未停工\n")
    ok(cli("import", "plans", other, "--date", "2020-02-15"))
    batch = batch_of(cli, other)
    ok(cli("undo", str(batch)))
    before = ledger.counts()
    twice = cli("undo", str(batch))
    assert twice.exit_code == 1 and str(batch) in twice.stderr, twice.stderr
    assert "Traceback" not in twice.stderr
    assert ledger.counts() == before

    unknown = cli("undo", "99999")
    assert unknown.exit_code == 1 and "99999" in unknown.stderr, unknown.stderr
    assert "Traceback" not in unknown.stderr
    assert ledger.counts() == before


def test_undo_of_a_batch_that_created_a_merges_kept_enterprise_is_refused(cli, ledger, tmp_path):
    """A merge into an enterprise a batch created depends on that batch: undoing the
    batch alone would leave the duplicate counting for an enterprise that is no more
    (it and its plan vanished from every list and figure).  Undo the merge first."""
    path = sheet(tmp_path / "new.csv", "企业名称,区县,复产状态\n新建公司,沙湾,计划复产\n")
    ok(cli("import", "plans", path, "--date", "2020-02-15"))
    created = batch_of(cli, path)
    run(cli, "enterprise add 旧公司 --district 沙湾 --date 2020-02-10")
    run(cli, "plan add 旧公司 --status resumed --date 2020-02-11")
    run(cli, "enterprise merge 旧公司 --into 新建公司 --plan merged")
    log = json.loads(ok(cli("log", "--format", "json")).stdout)
    merge = max(e["batch"] for e in log)

    before = ledger.counts()
    refused = cli("undo", str(created))
    assert refused.exit_code == 1, refused.stdout
    assert f"批次 {merge}" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    assert ledger.counts() == before

    # in the order the message asks: the merge, then the batch; 旧公司 and its plan stay
    ok(cli("undo", str(merge)))
    ok(cli("undo", str(created)))
    names = [
        e["name"] for e in json.loads(ok(cli("enterprise", "list", "--format", "json")).stdout)
    ]
    assert names == ["旧公司"]
    (plan,) = json.loads(ok(cli("plan", "list", "--format", "json")).stdout)
    assert plan["status"] == "resumed"
    ok(cli("check"))


# --------------------------------------------------------------------------- backup


def test_backup_copies_a_sqlite_ledger(cli, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("backup copies SQLite ledgers; PostgreSQL ledgers are backed up with pg_dump")
    base_ledger(cli)
    copy = tmp_path / "copy.db"
    ok(cli("backup", str(copy)))
    assert copy.is_file() and copy.stat().st_size > 0
    assert reports(cli, "--db", str(copy)) == reports(cli)
    assert as_json(cli, "log", "--db", str(copy)) == as_json(cli, "log")

    # the copy is independent: later changes do not reach it
    run(cli, "plan set 乐山乙化工有限公司 --status resumed --date 2020-02-16")
    assert reports(cli, "--db", str(copy)) != reports(cli)

    data = copy.read_bytes()
    refused = cli("backup", str(copy))
    assert refused.exit_code == 1 and refused.stderr.strip(), refused.stderr
    assert "Traceback" not in refused.stderr
    assert copy.read_bytes() == data


def test_backup_of_postgres_points_to_pg_dump(cli, backend, ledger, tmp_path):
    if backend != "postgres":
        pytest.skip("the PostgreSQL refusal; SQLite is copied (test above)")
    target = tmp_path / "copy.db"
    result = cli("backup", str(target))
    assert result.exit_code == 1
    assert "pg_dump" in result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists()


def test_undoing_a_fill_that_a_later_fill_counts_is_refused(cli):
    ok(cli("enterprise", "add", "甲公司", "--district", "沙湾", "--date", "2020-02-01"))
    ok(cli("labour", "add", "甲公司", "--job", "普工", "--needed", "10", "--date", "2020-02-01"))
    ok(cli("labour", "fill", "1", "--count", "3", "--date", "2020-02-02"))
    ok(cli("labour", "fill", "1", "--count", "2", "--date", "2020-02-03"))
    log = json.loads(ok(cli("log", "--format", "json")).stdout)
    fills = sorted({e["batch"] for e in log if e["action"] == "fill"})
    refused = cli("undo", str(fills[0]))
    assert refused.exit_code == 1
    assert str(fills[1]) in refused.stderr
    ok(cli("undo", str(fills[1])))
    ok(cli("undo", str(fills[0])))
    (labour,) = json.loads(ok(cli("labour", "list", "--format", "json")).stdout)
    assert labour["filled"] == 0


@pytest.mark.parametrize("text", ["²", "abc", "99999999999999999999", "#x"])
def test_odd_ids_are_data_errors_not_tracebacks(cli, text):
    for argv in (
        ("undo", text),
        ("problem", "resolve", text, "--note", "x"),
        ("labour", "fill", text, "--count", "1"),
        ("log", "--batch", text),
    ):
        result = cli(*argv)
        assert result.exit_code == 1, (argv, result.stderr)
        assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- one rule for both


@pytest.mark.parametrize(
    ("story", "uninspected"),
    [
        # inspected and passed, then resumed: fine
        (["inspect 甲 --passed --date 2020-02-08", "set 甲 --status resumed --date 2020-02-10"], 0),
        # resumed, and a pass recorded later the same day: not before the resumption
        (["set 甲 --status resumed --date 2020-02-10", "inspect 甲 --passed --date 2020-02-10"], 1),
        # passed, then failed on re-inspection, then resumed: the failure is in force
        (
            [
                "inspect 甲 --passed --date 2020-02-06",
                "inspect 甲 --failed --date 2020-02-08",
                "set 甲 --status resumed --date 2020-02-10",
            ],
            1,
        ),
        # resumed, passed, suspended and resumed again, all the same day: the status the
        # day ends with was given after the pass
        (
            [
                "set 甲 --status resumed --date 2020-02-10",
                "inspect 甲 --passed --date 2020-02-10",
                "set 甲 --status suspended --date 2020-02-10",
                "set 甲 --status resumed --date 2020-02-10",
            ],
            0,
        ),
        # failed, then passed, then resumed: fine
        (
            [
                "inspect 甲 --failed --date 2020-02-06",
                "inspect 甲 --passed --date 2020-02-08",
                "set 甲 --status resumed --date 2020-02-10",
            ],
            0,
        ),
    ],
)
def test_check_and_report_count_resumed_without_inspection_by_one_rule(cli, story, uninspected):
    run(cli, "enterprise add 甲 --district 沙湾 --above-scale --date 2020-02-01")
    run(cli, "plan add 甲 --status planned --date 2020-02-02")
    for line in story:
        run(cli, f"plan {line}")
    report = json.loads(
        ok(cli("report", "--district", "沙湾", "--as-of", "2020-02-12", "--format", "json")).stdout
    )
    assert report["plans"]["resumed_without_inspection"] == uninspected
    found = json.loads(cli("check", "--as-of", "2020-02-12", "--format", "json").stdout or "[]")
    flagged = [f for f in found if f["code"] == "resumed_uninspected"]
    assert len(flagged) == uninspected
    if flagged:
        assert (flagged[0]["record"], flagged[0]["enterprise"]) == ("plan", "甲")


def test_check_speaks_of_the_enterprise_a_merged_ones_records_count_for(cli):
    """After a merge the duplicate's plan, problems and labour demand count for the kept
    enterprise at every date (the report's rule): check must not call the kept one
    planless, and its findings name the kept one."""
    run(cli, "enterprise add 甲机械 --district 沙湾 --above-scale --date 2020-02-01")
    run(cli, "enterprise add 甲机械厂 --district 沙湾 --date 2020-02-01")
    run(cli, "plan add 甲机械厂 --status resumed --date 2020-02-05")  # no inspection
    for name in ("甲机械", "甲机械厂"):
        run(cli, f"problem add {name} --category 物流 --text 运不进", *DUE)
    run(cli, "labour add 甲机械厂 --job 普工 --needed 5 --date 2020-02-02")
    run(cli, "enterprise merge 甲机械厂 --into 甲机械 --date 2020-02-08")
    (kept,) = as_json(cli, "enterprise", "list")
    (plan,) = as_json(cli, "plan", "list")
    report = as_json(cli, "report", "--district", "沙湾", "--as-of", "2020-03-01")
    assert report["plans"]["resumed_without_inspection"] == 1

    found = json.loads(ok(cli("check", "--as-of", "2020-03-01", "--format", "json")).stdout)
    about = {(f["code"], f["record"], f["record_id"]): f for f in found}
    problems = sorted(p["id"] for p in as_json(cli, "problem", "list"))
    (labour,) = as_json(cli, "labour", "list")
    assert set(about) == {
        ("resumed_uninspected", "plan", plan["id"]),
        ("overdue", "problem", problems[0]),
        ("overdue", "problem", problems[1]),
        ("probable_duplicate_problem", "problem", problems[1]),
        ("stale_labour", "labour", labour["id"]),
    }, found  # and no no_plan for 甲机械: the merged plan is its plan
    assert {(f["enterprise_id"], f["enterprise"]) for f in found} == {(kept["id"], "甲机械")}
    assert (
        f"#{problems[0]}" in about[("probable_duplicate_problem", "problem", problems[1])]["detail"]
    )


def test_check_flags_two_demands_of_one_job_type_a_merge_made(cli):
    """Each of two enterprises, one company entered twice, recorded its 普工 demand;
    after the merge the report counts both gaps: check names the later one."""
    run(cli, "enterprise add 甲机械 --district 沙湾 --date 2020-02-01")
    run(cli, "enterprise add 甲机械厂 --district 沙湾 --date 2020-02-01")
    run(cli, "labour add 甲机械 --job 普工 --needed 5 --date 2020-02-02")
    run(cli, "labour add 甲机械厂 --job 普工 --needed 5 --date 2020-02-03")
    run(cli, "labour add 甲机械厂 --job 电焊工 --needed 2 --date 2020-02-03")
    before = json.loads(ok(cli("check", "--as-of", "2020-02-05", "--format", "json")).stdout)
    assert [f for f in before if f["code"] == "probable_duplicate_labour"] == []
    run(cli, "enterprise merge 甲机械厂 --into 甲机械 --date 2020-02-04")
    report = as_json(cli, "report", "--district", "沙湾", "--as-of", "2020-02-05")
    assert report["labour"]["gap"] == 12  # both 普工 gaps count
    found = json.loads(ok(cli("check", "--as-of", "2020-02-05", "--format", "json")).stdout)
    [twice] = [f for f in found if f["code"] == "probable_duplicate_labour"]
    first, second, _welder = sorted(d["id"] for d in as_json(cli, "labour", "list"))
    assert (twice["severity"], twice["record"], twice["record_id"]) == ("warning", "labour", second)
    assert (twice["enterprise"], f"#{first}" in twice["detail"]) == ("甲机械", True)
    # what the finding says to do clears it, and the report's double count with it
    run(cli, f"labour set {second} --needed 0 --filled 0 --date 2020-02-05")
    found = json.loads(ok(cli("check", "--as-of", "2020-02-05", "--format", "json")).stdout)
    assert [f for f in found if f["code"] == "probable_duplicate_labour"] == []
    report = as_json(cli, "report", "--district", "沙湾", "--as-of", "2020-02-05")
    assert report["labour"]["gap"] == 7


def test_check_files_a_merged_ones_future_date_under_the_kept_enterprise(cli, monkeypatch):
    from fugong import clock

    real_today = clock.today()
    run(cli, "enterprise add 丁公司 --district 市中 --above-scale --date 2020-02-01")
    run(cli, "enterprise add 丁公司沙湾 --district 沙湾 --date 2020-02-01")
    with monkeypatch.context() as ahead:  # a clock that ran ahead (see the planted test)
        ahead.setattr(clock, "today", lambda: real_today + timedelta(days=60))
        future = (real_today + timedelta(days=30)).isoformat()
        run(cli, f"problem add 丁公司沙湾 --category 物流 --text 运不进 --date {future}")
    run(cli, "enterprise merge 丁公司沙湾 --into 丁公司 --date 2020-02-08")
    for scope in ((), ("--district", "市中")):
        result = cli("check", *scope, "--format", "json")
        assert result.exit_code == 1, (scope, result.stdout, result.stderr)
        [error] = [f for f in json.loads(result.stdout) if f["code"] == "future_date"]
        assert (error["record"], error["enterprise_id"], error["enterprise"]) == (
            "problem",
            1,
            "丁公司",
        )


def test_check_takes_a_day_and_a_district_and_speaks_chinese(cli):
    run(cli, "enterprise add 甲 --district 沙湾 --above-scale --date 2020-02-01")
    run(cli, "enterprise add 乙 --district 五通桥 --above-scale --date 2020-02-01")
    run(cli, "labour add 甲 --job 普工 --needed 10 --date 2020-02-02")
    run(cli, "problem add 乙 --category 物流 --text 运不进 --deadline 2020-02-05 --date 2020-02-03")
    early = json.loads(ok(cli("check", "--as-of", "2020-02-04", "--format", "json")).stdout)
    assert {f["code"] for f in early} == {"no_plan"}  # not yet overdue nor stale then
    late = json.loads(ok(cli("check", "--as-of", "2020-02-20", "--format", "json")).stdout)
    assert {f["code"] for f in late} == {"no_plan", "overdue", "stale_labour"}
    shawan = json.loads(
        ok(cli("check", "--as-of", "2020-02-20", "--district", "沙湾", "--format", "json")).stdout
    )
    assert {f["enterprise"] for f in shawan} == {"甲"}
    table = ok(cli("check", "--as-of", "2020-02-20")).stdout
    assert "警告" in table and "问题逾期未办结" in table and "问题 #1" in table
    assert "warning" not in table and "overdue" not in table
    csv_text = ok(cli("check", "--as-of", "2020-02-20", "--format", "csv")).stdout
    assert (
        csv_text.splitlines()[0] == "severity,code,record,record_id,enterprise_id,enterprise,detail"
    )
