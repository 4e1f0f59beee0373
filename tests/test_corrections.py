"""Corrections (SPEC "Recording", the paragraph after the synopsis): ordinary dated,
attributed, undoable facts decided by the same rules.

Each correction is made through the CLI and read back: the figures as of dates
before, on and after it, `--known-at` before it, the history, and undo.
"""

from __future__ import annotations

import json
import re
import shlex

import pytest


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def run(cli, line: str):
    return ok(cli(*shlex.split(line)))


def report(cli, day: str, *more: str) -> dict:
    return json.loads(
        ok(cli("report", "--district", "沙湾", "--as-of", day, "--format", "json", *more)).stdout
    )


def listed(cli, ledger: str, *more: str) -> list[dict]:
    return json.loads(ok(cli(ledger, "list", "--format", "json", *more)).stdout)


def log(cli, *more: str) -> list[dict]:
    return json.loads(ok(cli("log", "--format", "json", *more)).stdout)


def last_batch(cli) -> int:
    return max(e["batch"] for e in log(cli))


def import_sheet(cli, path, kind: str, text: str, day: str) -> None:
    path.write_text(text, encoding="utf-8")
    ok(cli("import", kind, str(path), "--date", day))


@pytest.fixture
def ledger_with_a_problem(cli):
    run(cli, "enterprise add 甲公司 --district 沙湾 --above-scale --date 2020-02-01")
    run(
        cli,
        "problem add 甲公司 --category 物流 --text 原料运不进 --department 区交通局 "
        "--date 2020-02-05",
    )
    return cli


def test_a_problem_added_twice_is_refused_as_a_duplicate(ledger_with_a_problem, ledger):
    cli = ledger_with_a_problem
    before = ledger.counts()
    again = cli(
        "problem",
        "add",
        "甲公司",
        "--category",
        "用工",
        "--text",
        " 原料运不进",
        "--date",
        "2020-02-05",
    )
    assert again.exit_code == 1 and "与问题 #1 重复" in again.stderr
    assert ledger.counts() == before
    # another day is another problem
    run(cli, "problem add 甲公司 --category 物流 --text 原料运不进 --date 2020-02-06")


def test_a_problem_edited_from_its_date(ledger_with_a_problem):
    cli = ledger_with_a_problem
    before = report(cli, "2020-02-07")
    run(
        cli,
        "problem edit 1 --category 原材料 --department 区经信局 --deadline 2020-02-12 "
        "--date 2020-02-08",
    )
    [on_7] = listed(cli, "problem", "--as-of", "2020-02-07")
    [on_8] = listed(cli, "problem", "--as-of", "2020-02-08")
    assert (on_7["category"], on_7["department"], on_7["deadline"]) == (
        "logistics",
        "区交通局",
        None,
    )
    assert (on_8["category"], on_8["department"], on_8["deadline"]) == (
        "materials",
        "区经信局",
        "2020-02-12",
    )
    assert report(cli, "2020-02-07")["problems"] == before["problems"]
    assert report(cli, "2020-02-08")["problems"]["by_category"]["materials"] == 1
    [entry] = [e for e in log(cli) if e["action"] == "edit"]
    assert entry["by"] == "tester" and entry["business_date"] == "2020-02-08"
    # a change dated before the problem was raised is refused, as from a sheet
    early = cli("problem", "edit", "1", "--category", "其他", "--date", "2020-02-03")
    assert early.exit_code == 1 and "早于问题的提出日期" in early.stderr
    nothing = cli("problem", "edit", "1")
    assert nothing.exit_code == 1


def test_a_problem_withdrawn_leaves_every_figure_and_list_but_known_at_shows_it(
    ledger_with_a_problem,
):
    cli = ledger_with_a_problem
    run(cli, "problem resolve 1 --note 已协调 --date 2020-02-06")
    sent = report(cli, "2020-02-06")
    assert sent["problems"]["raised"] == 1 and sent["problems"]["resolved"] == 1
    moment = sent["generated_at"] if "generated_at" in sent else log(cli)[0]["recorded_at"]
    run(cli, "problem withdraw 1 --reason 重复录入 --date 2020-02-10")
    for day in ("2020-02-05", "2020-02-06", "2020-02-20"):
        figures = report(cli, day)["problems"]
        assert (figures["raised"], figures["resolved"], figures["open"]) == (0, 0, 0), day
        assert listed(cli, "problem", "--as-of", day) == []
    then = report(cli, "2020-02-06", "--known-at", moment)
    assert then["problems"]["raised"] == 1 and then["problems"]["resolved"] == 1
    [entry] = [e for e in log(cli) if e["action"] == "withdraw"]
    assert entry["change"] == {"reason": "重复录入", "withdrawn": True} and entry["by"] == "tester"
    refused = cli("problem", "resolve", "1", "--note", "再办")
    assert refused.exit_code == 1 and "已作废" in refused.stderr
    # undo takes the withdrawal back
    ok(cli("undo", str(last_batch(cli))))
    assert report(cli, "2020-02-06")["problems"]["raised"] == 1


def test_a_withdrawn_problem_in_a_sheet_again_records_nothing(
    ledger_with_a_problem, ledger, tmp_path
):
    cli = ledger_with_a_problem
    run(cli, "problem withdraw 1 --reason 录错了")
    sheet = tmp_path / "p.csv"
    sheet.write_text(
        "企业名称,区县,问题类别,问题描述,提出日期\n甲公司,沙湾,物流,原料运不进,2020-02-05\n",
        encoding="utf-8",
    )
    before = ledger.counts()
    result = ok(cli("import", "problems", str(sheet), "--date", "2020-02-10"))
    assert "已作废" in result.stderr
    assert ledger.counts() == before


def test_labour_set_states_absolute_figures(cli):
    run(cli, "enterprise add 甲公司 --district 沙湾 --date 2020-02-01")
    run(cli, "labour add 甲公司 --job 普工 --needed 30 --filled 5 --date 2020-02-03")
    run(cli, "labour set 1 --needed 20 --date 2020-02-06")
    run(cli, "labour set 1 --filled 8 --date 2020-02-07")
    assert [
        (r["needed"], r["filled"], r["gap"]) for r in listed(cli, "labour", "--as-of", "2020-02-05")
    ] == [(30, 5, 25)]
    assert [
        (r["needed"], r["filled"], r["gap"]) for r in listed(cli, "labour", "--as-of", "2020-02-07")
    ] == [(20, 8, 12)]
    over = cli("labour", "set", "1", "--filled", "21", "--date", "2020-02-08")
    assert over.exit_code == 1 and "超过需求人数" in over.stderr
    run(cli, "labour fill 1 --count 2 --date 2020-02-08")  # fill keeps adding
    assert listed(cli, "labour")[0]["filled"] == 10
    ok(cli("undo", str(last_batch(cli))))
    assert listed(cli, "labour")[0]["filled"] == 8


def test_a_former_name_finds_its_enterprise_and_says_the_current_one(cli):
    run(cli, "enterprise add 甲公司 --district 沙湾 --date 2020-02-01")
    run(cli, "enterprise edit 甲公司 --name 甲股份公司 --date 2020-02-10")
    result = ok(cli("plan", "add", "甲公司", "--status", "planned", "--date", "2020-02-05"))
    assert "现名" in result.stderr and "甲股份公司" in result.stderr
    shown = json.loads(
        ok(cli("enterprise", "show", "甲公司", "--as-of", "2020-02-05", "--format", "json")).stdout
    )
    assert shown["name"] == "甲公司"  # its name on that day
    # the log by a former name: the rename (02-10), the plan (02-05), the registration
    assert [e["record"] for e in log(cli, "甲公司")] == ["enterprise", "plan", "enterprise"]
    # a current name claims its own name first
    run(cli, "enterprise add 甲公司 --district 沙湾 --date 2020-02-11")
    [newer] = [e for e in listed(cli, "enterprise") if e["name"] == "甲公司"]
    assert (
        json.loads(ok(cli("enterprise", "show", "甲公司", "--format", "json")).stdout)["id"]
        == newer["id"]
    )


def test_a_rename_backdated_by_the_former_name_says_the_name_it_wrote(cli):
    # the rename's date moves back: the enterprise cache is rewritten inside the
    # command, and what the command says after its commit must still be readable
    run(cli, "enterprise add 丁公司 --district 沙湾 --date 2020-02-01")
    run(cli, "enterprise edit 丁公司 --name 丁公司新 --date 2020-02-18")
    result = ok(cli("enterprise", "edit", "丁公司", "--name", "丁公司新", "--date", "2020-02-12"))
    assert result.stdout == "#1 已修改: 企业名称=丁公司新\n"
    assert result.stderr == "（按曾用名找到; 现名: #1 丁公司新）\n"
    shown = json.loads(
        ok(cli("enterprise", "show", "1", "--as-of", "2020-02-13", "--format", "json")).stdout
    )
    assert shown["name"] == "丁公司新"


def test_a_sheet_carries_a_problems_corrections(ledger_with_a_problem, tmp_path):
    cli = ledger_with_a_problem
    import_sheet(
        cli,
        tmp_path / "p.csv",
        "problems",
        "企业名称,区县,问题类别,问题描述,提出日期,责任单位,办理时限\n"
        "甲公司,沙湾,原材料,原料运不进,2020-02-05,区经信局,2020-02-15\n",
        "2020-02-09",
    )
    [problem] = listed(cli, "problem", "--as-of", "2020-02-09")
    assert (problem["category"], problem["department"], problem["deadline"]) == (
        "materials",
        "区经信局",
        "2020-02-15",
    )
    # corrected by command, the description still matches the sheet as it was
    run(cli, "problem edit 1 --text 原料运不进厂 --date 2020-02-10")
    again = ok(cli("import", "problems", str(tmp_path / "p.csv"), "--date", "2020-02-09"))
    assert re.search(r"新增: 0", again.stderr), again.stderr
    assert len(listed(cli, "problem")) == 1


# --------------------------------------------------------------------------- merge


def figures(cli, day: str, *more: str) -> tuple:
    r = report(cli, day, *more)
    return (
        r["plans"]["total"],
        r["plans"]["not_stopped"],
        r["plans"]["planned"],
        r["problems"]["raised"],
        r["labour"]["enterprises"],
    )


@pytest.fixture
def entered_twice(cli):
    """甲公司 entered a second time as 甲有限公司, each with a plan; the duplicate has the
    problem and the labour demand."""
    run(cli, "enterprise add 甲公司 --district 沙湾 --above-scale --date 2020-02-01")
    run(cli, "enterprise add 甲有限公司 --district 沙湾 --above-scale --date 2020-02-02")
    run(cli, "plan add 甲公司 --status planned --planned-on 2020-02-10 --date 2020-02-03")
    run(cli, "plan add 甲有限公司 --status not_stopped --date 2020-02-03")
    run(cli, "problem add 甲有限公司 --category 物流 --text 运不进 --date 2020-02-04")
    run(cli, "labour add 甲有限公司 --job 普工 --needed 10 --date 2020-02-04")
    return cli


def test_a_merge_where_both_had_a_plan_must_say_whose_goes_on(entered_twice, ledger):
    cli = entered_twice
    before = ledger.counts()
    refused = cli("enterprise", "merge", "甲有限公司", "--into", "甲公司", "--date", "2020-02-08")
    assert refused.exit_code == 1 and "--plan kept" in refused.stderr
    assert ledger.counts() == before
    itself = cli("enterprise", "merge", "甲公司", "--into", "甲公司", "--plan", "kept")
    assert itself.exit_code == 1 and "合并到它自己" in itself.stderr
    assert ledger.counts() == before


@pytest.mark.parametrize(
    ("whose", "status_after"),
    [("kept", (1, 0, 1)), ("merged", (1, 1, 0))],
)
def test_a_merged_enterprise_is_one_enterprise_at_every_date(entered_twice, whose, status_after):
    cli = entered_twice
    days = ("2020-02-03", "2020-02-05", "2020-02-08", "2020-02-12")
    before = {day: figures(cli, day) for day in days}
    assert before["2020-02-05"] == (2, 1, 1, 1, 1)
    moment = log(cli)[0]["recorded_at"]
    result = run(cli, f"enterprise merge 甲有限公司 --into 甲公司 --plan {whose} --date 2020-02-08")
    assert "已合并: #2 甲有限公司 → #1 甲公司" in result.stdout
    # before, on and after the merge date: one enterprise, its problem and its demand
    for day in days[1:]:
        total, not_stopped, planned, raised, hiring = figures(cli, day)
        assert (total, not_stopped, planned) == status_after, day
        assert (raised, hiring) == (1, 1), day
    # as known before the merge, two enterprises
    assert figures(cli, "2020-02-05", "--known-at", moment) == before["2020-02-05"]
    assert [e["name"] for e in listed(cli, "enterprise")] == ["甲公司"]
    assert {p["name"] for p in listed(cli, "problem")} == {"甲公司"}
    assert {p["name"] for p in listed(cli, "labour")} == {"甲公司"}
    # the duplicate's name finds the one kept, and says so
    added = run(cli, "problem add 甲有限公司 --category 物流 --text 又运不进 --date 2020-02-09")
    assert "已合并到 #1 甲公司" in added.stderr
    assert figures(cli, "2020-02-09")[3] == 2
    # the kept enterprise's log holds the duplicate's history, the merge with it
    actions = [(e["record"], e["action"]) for e in log(cli, "甲公司")]
    assert ("enterprise", "merge") in actions and ("labour", "add") in actions
    assert actions.count(("plan", "add")) == 2


def test_undo_of_a_merge_restores_both_exactly(entered_twice):
    cli = entered_twice
    days = ("2020-02-05", "2020-02-08", "2020-02-12")
    before = {day: figures(cli, day) for day in days}
    run(cli, "enterprise merge 甲有限公司 --into 甲公司 --plan kept --date 2020-02-08")
    assert figures(cli, "2020-02-05") != before["2020-02-05"]
    ok(cli("undo", str(last_batch(cli))))
    assert {day: figures(cli, day) for day in days} == before
    assert sorted(e["name"] for e in listed(cli, "enterprise")) == ["甲公司", "甲有限公司"]
    # the duplicate is itself again
    shown = json.loads(ok(cli("enterprise", "show", "甲有限公司", "--format", "json")).stdout)
    assert shown["id"] == 2


def test_a_sheet_naming_the_duplicate_records_on_the_one_kept(entered_twice, tmp_path):
    cli = entered_twice
    run(cli, "enterprise merge 甲有限公司 --into 甲公司 --plan kept --date 2020-02-08")
    sheet = tmp_path / "p.csv"
    sheet.write_text(
        "企业名称,区县,问题类别,问题描述,提出日期\n甲有限公司,沙湾,用工,缺人,2020-02-09\n",
        encoding="utf-8",
    )
    ok(cli("import", "problems", str(sheet), "--date", "2020-02-09"))
    assert sorted(p["description"] for p in listed(cli, "problem")) == ["缺人", "运不进"]
    assert {p["name"] for p in listed(cli, "problem")} == {"甲公司"}
    # the kept enterprise keeps its name: the alias does not rename it
    assert [e["name"] for e in listed(cli, "enterprise")] == ["甲公司"]


def test_after_a_merge_the_plan_that_goes_on_is_the_one_commands_and_sheets_change(cli, tmp_path):
    """B merged into A (A had no plan: B's goes on), then A into C choosing A's: commands
    and sheets naming any of the three change that one plan, never start another."""
    run(cli, "enterprise add A公司 --district 沙湾 --above-scale --date 2020-02-01")
    run(cli, "enterprise add B公司 --district 五通桥 --above-scale --date 2020-02-01")
    run(cli, "enterprise add C公司 --district 沙湾 --above-scale --date 2020-02-01")
    run(cli, "plan add B公司 --status resumed --date 2020-02-05")
    run(cli, "plan add C公司 --status planned --planned-on 2020-02-20 --date 2020-02-05")
    run(cli, "enterprise merge B公司 --into A公司 --date 2020-02-06")
    refused = cli("enterprise", "merge", "A公司", "--into", "C公司", "--date", "2020-02-07")
    assert refused.exit_code == 1 and "#1 A公司" in refused.stderr  # it carries B's plan
    run(cli, "enterprise merge A公司 --into C公司 --plan merged --date 2020-02-07")
    assert figures(cli, "2020-02-08")[:3] == (1, 0, 0)
    assert report(cli, "2020-02-08")["plans"]["resumed"] == 1
    run(cli, "plan set B公司 --status suspended --date 2020-02-09")
    [plan] = listed(cli, "plan")
    assert (plan["id"], plan["name"], plan["status"]) == (1, "C公司", "suspended")
    sheet = tmp_path / "p.csv"
    sheet.write_text("企业名称,所属区县,复产状态\nA公司,沙湾,已复产\n", encoding="utf-8")
    ok(cli("import", "plans", str(sheet), "--date", "2020-02-10"))
    [plan] = listed(cli, "plan")
    assert (plan["id"], plan["status"]) == (1, "resumed")
    assert report(cli, "2020-02-10")["plans"]["total"] == 1


def test_after_a_merge_sheets_and_commands_find_the_duplicates_demand_and_problem(
    entered_twice, tmp_path
):
    """The duplicate's labour demand and problem count for the kept enterprise: a sheet
    naming the kept one changes them (a second 普工 demand would count its gap twice),
    and adding them again under the kept name is refused as for its own."""
    cli = entered_twice
    run(cli, "enterprise merge 甲有限公司 --into 甲公司 --plan kept --date 2020-02-08")
    text = "企业名称,区县,工种,需求人数,已招人数\n甲公司,沙湾,普工,10,10\n"
    import_sheet(cli, tmp_path / "l.csv", "labour", text, "2020-02-10")
    [demand] = listed(cli, "labour")
    assert (demand["id"], demand["name"], demand["filled"], demand["gap"]) == (1, "甲公司", 10, 0)
    assert report(cli, "2020-02-10")["labour"]["gap"] == 0
    text = "企业名称,区县,问题类别,问题描述,提出日期,办理状态,办结日期\n"
    text += "甲公司,沙湾,物流,运不进,2020-02-04,已办结,2020-02-10\n"
    import_sheet(cli, tmp_path / "p.csv", "problems", text, "2020-02-10")
    [problem] = listed(cli, "problem")
    assert (problem["id"], problem["status"]) == (1, "resolved")
    assert report(cli, "2020-02-10")["problems"]["raised"] == 1

    again = cli("labour", "add", "甲公司", "--job", "普工", "--needed", "3", "--date", "2020-02-11")
    assert again.exit_code == 1 and "#1" in again.stderr, again.stderr
    line = "problem add 甲公司 --category 物流 --text 运不进 --date 2020-02-04"
    twice = cli(*shlex.split(line))
    assert twice.exit_code == 1 and "#1" in twice.stderr, twice.stderr
    assert len(listed(cli, "labour")) == len(listed(cli, "problem")) == 1
    ok(cli("check"))  # the report cache made for the kept enterprise holds what they say


def test_a_plan_undone_before_a_merge_does_not_hide_the_duplicates(cli):
    """The kept enterprise's plan was recorded and undone (its row stays, without a
    history); the duplicate's plan goes on — now, --known-at after the merge, and
    after later writes (which go to that plan, not to the empty row)."""
    run(cli, "enterprise add 丙公司 --district 沙湾 --above-scale --date 2020-02-01")
    run(cli, "enterprise add 丙公司二 --district 沙湾 --above-scale --date 2020-02-01")
    run(cli, "plan add 丙公司 --status planned --date 2020-02-03")
    ok(cli("undo", str(last_batch(cli))))
    run(cli, "plan add 丙公司二 --status resumed --date 2020-02-03")
    merged = run(cli, "enterprise merge 丙公司二 --into 丙公司 --date 2020-02-08")
    assert "沿用复产计划 #2" in merged.stdout
    moment, merge = max((e["recorded_at"], e["batch"]) for e in log(cli))
    for known in ((), ("--known-at", moment)):
        plans = report(cli, "2020-02-10", *known)["plans"]
        assert (plans["total"], plans["resumed"], plans["unreported"]) == (1, 1, 0), known
    run(cli, "plan set 丙公司 --status suspended --date 2020-02-12")
    [plan] = listed(cli, "plan")
    assert (plan["id"], plan["status"], plan["resumed_on"]) == (2, "suspended", "2020-02-03")
    assert report(cli, "2020-02-10")["plans"]["resumed"] == 1
    # and as known then, whatever was recorded since (the merge undone, a plan of its own)
    ok(cli("undo", str(last_batch(cli))))
    ok(cli("undo", str(merge)))
    run(cli, "plan add 丙公司 --status planned --date 2020-02-04")
    then = report(cli, "2020-02-10", "--known-at", moment)["plans"]
    assert (then["total"], then["resumed"], then["planned"]) == (1, 1, 0)
    ok(cli("check"))


def test_a_name_two_merged_enterprises_bore_into_two_others_is_ambiguous(cli):
    for name, district in (("戊公司", "市中"), ("戊公司", "沙湾"), ("戊有限公司", "市中")):
        run(cli, f"enterprise add {name} --district {district} --date 2020-02-01")
    run(cli, "enterprise add 戊有限公司 --district 沙湾 --date 2020-02-01")
    run(cli, "enterprise merge #1 --into #3 --date 2020-02-02")
    run(cli, "enterprise merge #2 --into #4 --date 2020-02-02")
    refused = cli(
        *shlex.split("problem add 戊公司 --category 物流 --text 运不进 --date 2020-02-03")
    )
    assert refused.exit_code == 1 and "不唯一" in refused.stderr, refused.stderr
    assert "#3" in refused.stderr and "#4" in refused.stderr
    assert listed(cli, "problem") == []


def test_the_log_of_a_district_holds_what_was_merged_into_its_enterprises(cli):
    run(cli, "enterprise add 乙公司 --district 市中 --date 2020-02-01")
    run(cli, "enterprise add 乙公司沙湾 --district 沙湾 --date 2020-02-01")
    run(cli, "plan add 乙公司沙湾 --status resumed --date 2020-02-05")
    run(cli, "labour add 乙公司沙湾 --job 普工 --needed 5 --date 2020-02-05")
    run(cli, "enterprise merge 乙公司沙湾 --into 乙公司 --date 2020-02-08")
    whole = log(cli, "乙公司")
    assert len(whole) == 5
    assert log(cli, "乙公司", "--district", "市中") == whole
    assert log(cli, "--district", "沙湾") == []
