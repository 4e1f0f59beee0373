"""`fugong import | export` end to end: real sheets through the CLI, the ledger read back.

Every test runs on SQLite and on PostgreSQL (see conftest.py).  The contract is
SPEC.md "CSV / spreadsheet import": matching, the dates of what a sheet records,
the values offices type, every error as `FILE:LINE: COLUMN: VALUE: REASON`, all
or nothing, and an export that imports back to the same bytes.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import shlex
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from fugong.clock import today as office_today  # the office's today (SPEC "Clock and order")
from fugong.models import Enterprise

D = date.fromisoformat
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
EVENT_TABLES = ("enterprise_event", "plan_event", "problem_event", "labour_event")

# SPEC.md "CSV / spreadsheet import": the columns of each ledger's layout.
ENTERPRISE_COLUMNS = {
    "uscc",
    "name",
    "district",
    "sector",
    "above_scale",
    "key_enterprise",
    "employees",
    "liaison",
    "contact",
    "phone",
}
LAYOUT = {
    "enterprises": ENTERPRISE_COLUMNS,
    "plans": ENTERPRISE_COLUMNS
    | {
        "status",
        "planned_on",
        "inspected_on",
        "inspection",
        "resumed_on",
        "returned",
        "reason",
        "note",
    },
    "problems": {
        "uscc",
        "name",
        "district",
        "ref",
        "category",
        "description",
        "raised_on",
        "department",
        "deadline",
        "status",
        "resolved_on",
        "resolution",
    },
    "labour": {
        "uscc",
        "name",
        "district",
        "job_type",
        "needed",
        "filled",
        "raised_on",
        "requirements",
        "note",
    },
}


def uscc(first17: str) -> str:
    """A valid USCC (GB 32100-2015), computed here independently of fugong."""
    total = sum(USCC_CHARSET.index(c) * 3**i for i, c in enumerate(first17))
    return first17 + USCC_CHARSET[(31 - total % 31) % 31]


def wrong_check(code: str) -> str:
    return code[:17] + USCC_CHARSET[(USCC_CHARSET.index(code[17]) + 1) % 31]


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


U1 = uscc("91511111MA6100001")
U2 = uscc("91511112MA6100002")
U3 = uscc("91511113MA6100003")


# --------------------------------------------------------------------------- helpers


def ok(result, code: int = 0):
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    return result


def sheet(path: Path, text: str, encoding: str = "utf-8") -> str:
    path.write_bytes(text.encode(encoding))
    return str(path)


def events(ledger) -> dict[str, int]:
    counts = ledger.counts()
    return {t: counts[t] for t in EVENT_TABLES}


def log(cli, *args) -> list[dict]:
    return json.loads(ok(cli("log", "--format", "json", *args)).stdout)


def listed(cli, ledger_cmd, *args) -> list[dict]:
    return json.loads(ok(cli(ledger_cmd, "list", "--format", "json", *args)).stdout)


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {r["name"]: r for r in rows}


def registered(cli, name: str, *more: str, on: str = "2020-02-01"):
    """An enterprise registered in 沙湾 by the command."""
    return ok(cli("enterprise", "add", name, "--district", "沙湾", "--date", on, *more))


def imported(cli, ledger_name, file, *args, code=0):
    return ok(cli("import", ledger_name, file, *args), code)


def refused_import(cli, ledger, ledger_name, file, *args):
    """exit 1, every error on stderr, no traceback, nothing written at all."""
    before = ledger.counts()
    result = cli("import", ledger_name, file, *args)
    assert result.exit_code == 1, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    assert ledger.counts() == before
    return result


def error_lines(stderr: str, file: str) -> dict[int, str]:
    """Line number -> stderr line, for the `FILE:LINE: …` lines."""
    found = {}
    for text in stderr.splitlines():
        m = re.match(re.escape(file) + r":(\d+): ", text)
        if m:
            found[int(m.group(1))] = text
    return found


def assert_error(stderr: str, file: str, line: int, column: str, value: str) -> str:
    pattern = rf"^{re.escape(file)}:{line}: {re.escape(column)}: {re.escape(value)}: \S.*$"
    m = re.search(pattern, stderr, re.MULTILINE)
    assert m, f"no `{file}:{line}: {column}: {value}: REASON` in\n{stderr}"
    return m.group(0)


def plan_events(entries, name):
    return [e for e in entries if e["record"] == "plan" and e["enterprise"] == name]


# --------------------------------------------------------------------------- messy sheets

MESSY = (
    "备注,复产状态, 到岗人数 ,县(市、区),企业名称,是否规上,职工总数,计划复产日期,复产日期,"
    "验收日期,验收结果,统一社会信用代码\r\n"
    "\r\n"
    '\'=SUM(A1), 已复产 , ５０人 , 沙湾 , 乐山甲机械有限公司 ,是,"1,200",2020-02-10,'
    "2020/2/14,2020.2.12,通过,\r\n"
    f",计划复产,,五通桥区,乐山乙化工有限公司,√,３０,2020年2月20日,,,,{U2.lower()}\r\n"
    " , , , , , , , , , , , \r\n"
    ",未停工,,犍为,丙建材公司,否,50人,,,,,\r\n"
    ",计划复产,,沙湾区,丁食品公司,×,20,20200225,,,,\r\n"
)


def test_messy_gbk_sheet_imports_and_reads_back(cli, ledger, tmp_path):
    path = sheet(tmp_path / "复产台账.csv", MESSY, "gb18030")
    result = imported(cli, "plans", path, "--date", "2020-02-15")
    assert "Traceback" not in result.stderr
    plans = by_name(listed(cli, "plan"))
    assert set(plans) == {"乐山甲机械有限公司", "乐山乙化工有限公司", "丙建材公司", "丁食品公司"}
    a = plans["乐山甲机械有限公司"]
    assert (a["status"], a["returned"], a["employees"], a["above_scale"]) == (
        "resumed",
        50,
        1200,
        True,
    )
    assert a["district"] == "沙湾区"
    assert (a["planned_on"], a["resumed_on"], a["inspected_on"], a["inspection"]) == (
        "2020-02-10",
        "2020-02-14",
        "2020-02-12",
        "passed",
    )
    assert a["note"] == "=SUM(A1)"  # the guarding ' is removed
    b = plans["乐山乙化工有限公司"]
    assert (b["status"], b["planned_on"], b["employees"], b["above_scale"], b["uscc"]) == (
        "planned",
        "2020-02-20",
        30,
        True,
        U2,
    )
    assert b["district"] == "五通桥区"
    c = plans["丙建材公司"]
    assert (c["status"], c["employees"], c["above_scale"], c["district"]) == (
        "not_stopped",
        50,
        False,
        "犍为县",
    )
    d = plans["丁食品公司"]
    assert (d["planned_on"], d["above_scale"]) == ("2020-02-25", False)

    # the figures: 甲 and 乙 are above scale, 甲 resumed on 2020-02-14
    report = json.loads(ok(cli("report", "--as-of", "2020-02-15", "--format", "json")).stdout)
    assert report["plans"]["total"] == 2
    assert report["plans"]["resumed"] == 1
    assert report["plans"]["operating"] == 1
    assert report["plans"]["resumption_rate"] == 0.5
    on_14 = json.loads(ok(cli("report", "--as-of", "2020-02-14", "--format", "json")).stdout)
    assert on_14["plans"]["resumed_today"] == 1

    # every change points at the file and its line (header = line 1, blank lines count)
    entries = log(cli)
    assert {e["source"] for e in plan_events(entries, "乐山甲机械有限公司")} == {f"{path}:3"}
    assert {e["source"] for e in plan_events(entries, "丁食品公司")} == {f"{path}:7"}

    # the same sheet again records nothing, not even an empty batch
    before = ledger.counts()
    again = imported(cli, "plans", path, "--date", "2020-02-15")
    assert ledger.counts() == before
    assert len(log(cli)) == len(entries)
    assert "无新内容 (未记录批次)" in again.stderr and "无变化行: 4" in again.stderr


def test_total_rows_and_blank_lines_of_a_csv_are_skipped(cli, ledger, tmp_path):
    """合计/小计 rows (the name cell, or the first cell where the name is blank) and
    lines of blanks (zero-width ones too) are not records; a name with 计 in it is."""
    path = sheet(
        tmp_path / "台账.csv",
        "序号,企业名称,区县,复产状态\n"
        "1,乐山会计服务有限公司,沙湾,计划复产\n"
        "\u200b,\u3000, ,\n"
        "2,乐山甲机械有限公司,沙湾,已复产\n"
        ",合计,,\n"
        "小计,,,\n",
    )
    result = imported(cli, "plans", path, "--date", "2020-02-15")
    assert "跳过合计行: 2" in result.stderr
    assert set(by_name(listed(cli, "plan"))) == {"乐山会计服务有限公司", "乐山甲机械有限公司"}
    sources = {e["source"] for e in plan_events(log(cli), "乐山甲机械有限公司")}
    assert sources == {f"{path}:4"}  # the line of blanks counts as a line


def test_older_sheet_changes_nothing_newer_records_only_what_changed(cli, ledger, tmp_path):
    head = "企业名称,区县,复产状态,复产日期,职工总数\n"
    v1 = sheet(
        tmp_path / "v1.csv",
        head + "乐山甲机械有限公司,沙湾,计划复产,,100\n乐山乙化工有限公司,沙湾,计划复产,,40\n",
    )
    v2 = sheet(
        tmp_path / "v2.csv",
        head
        + "乐山甲机械有限公司,沙湾,已复产,2020-02-14,100\n乐山乙化工有限公司,沙湾,计划复产,,40\n",
    )
    v3 = sheet(
        tmp_path / "v3.csv",
        head
        + "乐山甲机械有限公司,沙湾,已复产,2020-02-14,100\n乐山乙化工有限公司,沙湾,计划复产,,60\n",
    )
    imported(cli, "plans", v1, "--date", "2020-02-10")
    imported(cli, "plans", v2, "--date", "2020-02-15")
    after_v2 = events(ledger)
    entries = log(cli)
    resumption = [
        e for e in plan_events(entries, "乐山甲机械有限公司") if e["source"].startswith(v2)
    ]
    assert len(resumption) == 1
    assert resumption[0]["source"] == f"{v2}:2"
    assert resumption[0]["business_date"] == "2020-02-14"
    assert resumption[0]["change"].get("status") == "resumed"

    imported(cli, "plans", v1, "--date", "2020-02-10")  # an older sheet again
    assert events(ledger) == after_v2
    imported(cli, "plans", v2, "--date", "2020-02-15")  # the same sheet again
    assert events(ledger) == after_v2

    imported(cli, "plans", v3, "--date", "2020-02-16")  # a newer sheet
    now = events(ledger)
    assert now["enterprise_event"] == after_v2["enterprise_event"] + 1
    assert {k: v for k, v in now.items() if k != "enterprise_event"} == {
        k: v for k, v in after_v2.items() if k != "enterprise_event"
    }
    newest = [e for e in log(cli) if e["source"].startswith(v3)]
    assert len(newest) == 1
    assert newest[0]["source"] == f"{v3}:3"
    assert newest[0]["enterprise"] == "乐山乙化工有限公司"
    assert newest[0]["change"] == {"employees": 60}
    assert newest[0]["business_date"] == "2020-02-16"
    assert (
        by_name(listed(cli, "enterprise", "--as-of", "2020-02-15"))["乐山乙化工有限公司"][
            "employees"
        ]
        == 40
    )


# --------------------------------------------------------------------------- dates of records


def test_plan_dates_come_from_their_own_columns_else_date_else_today(cli, tmp_path):
    path = sheet(
        tmp_path / "plans.csv",
        "企业名称,区县,复产状态,复产日期,验收日期,验收结果\n"
        "甲公司,沙湾,已复产,2020-02-14,,\n"
        "乙公司,沙湾,验收通过,,2020-02-12,通过\n"
        "丙公司,沙湾,计划复产,,,\n",
    )
    imported(cli, "plans", path, "--date", "2020-02-20")
    entries = log(cli)
    [a] = plan_events(entries, "甲公司")
    assert (a["business_date"], a["change"]["status"]) == ("2020-02-14", "resumed")
    b = {e["business_date"]: e["change"] for e in plan_events(entries, "乙公司")}
    assert b["2020-02-12"].get("inspection") == "passed"
    assert b["2020-02-20"].get("status") == "approved"
    [c] = plan_events(entries, "丙公司")
    assert c["business_date"] == "2020-02-20"

    today = sheet(tmp_path / "today.csv", "企业名称,区县,复产状态\n丁公司,沙湾,计划复产\n")
    imported(cli, "plans", today)
    [d] = plan_events(log(cli), "丁公司")
    assert d["business_date"] == office_today().isoformat()


def test_problem_dates_raised_on_and_resolved_on(cli, ledger, tmp_path):
    head = "问题编号,企业名称,区县,问题类别,问题描述,提出日期,办理状态,办结日期,办理结果\n"
    first = sheet(
        tmp_path / "p1.csv",
        head
        + "P1,甲公司,沙湾,用工,缺普工 30 人,2020-02-05,办理中,,\n"
        + "P2,甲公司,沙湾,物流,原料运不进来,2020/2/6,已办结,2020年2月9日,已协调通行证\n",
    )
    imported(cli, "problems", first, "--date", "2020-02-20")
    kept = events(ledger)
    imported(cli, "problems", first, "--date", "2020-02-21")  # again: nothing new
    assert events(ledger) == kept
    entries = [e for e in log(cli) if e["record"] == "problem"]
    dates = {(e["record_id"], e["business_date"], e["change"].get("status")) for e in entries}
    problems = {p["ref"]: p for p in listed(cli, "problem")}
    p1, p2 = problems["P1"]["id"], problems["P2"]["id"]
    assert (p1, "2020-02-05", "open") in dates
    assert (p2, "2020-02-06", "open") in dates
    assert (p2, "2020-02-09", "resolved") in dates
    assert problems["P1"]["raised_on"] == "2020-02-05"
    assert (problems["P2"]["status"], problems["P2"]["resolved_on"]) == ("resolved", "2020-02-09")
    assert problems["P2"]["resolution"] == "已协调通行证"

    second = sheet(
        tmp_path / "p2.csv",
        head + "P1,甲公司,沙湾,用工,缺普工 30 人,2020-02-05,已办结,2020-02-18,已招满\n",
    )
    imported(cli, "problems", second, "--date", "2020-02-20")
    [resolution] = [e for e in log(cli) if e["source"] == f"{second}:2"]
    assert resolution["business_date"] == "2020-02-18"
    assert resolution["change"]["status"] == "resolved"
    assert {p["ref"]: p for p in listed(cli, "problem")}["P1"]["resolved_on"] == "2020-02-18"

    # the first sheet again, dated after the resolution, would reopen P1: only
    # `problem reopen --reason` may (SPEC), so the row is refused and nothing written
    before = ledger.counts()
    result = cli("import", "problems", first, "--date", "2020-02-21")
    assert result.exit_code == 1
    message = assert_error(result.stderr, first, 2, "办理状态", "办理中")  # as the sheet has it
    assert "problem reopen" in message
    assert ledger.counts() == before


def test_labour_filled_in_a_sheet_is_absolute(cli, tmp_path):
    registered(cli, "甲公司")
    ok(cli(*shlex.split("labour add 甲公司 --job 普工 --needed 10 --filled 5 --date 2020-02-03")))
    path = sheet(
        tmp_path / "labour.csv", "企业名称,区县,工种,需求人数,已招人数\n甲公司,沙湾,普工,10,8\n"
    )
    imported(cli, "labour", path, "--date", "2020-02-10")
    [row] = listed(cli, "labour")
    assert (row["needed"], row["filled"], row["gap"]) == (10, 8, 2)


# --------------------------------------------------------------------------- enterprises


def test_new_enterprises_are_created_and_counted(cli, ledger, tmp_path):
    registered(cli, "甲公司")
    path = sheet(
        tmp_path / "e.csv",
        "企业名称,区县,复产状态\n甲公司,沙湾,计划复产\n乙公司,沙湾,计划复产\n丙公司,峨边,未停工\n",
    )
    result = imported(cli, "plans", path, "--date", "2020-02-10", "--lang", "en")
    assert re.search(r"new: [^;]*enterprises 2", result.stderr), result.stderr
    assert result.stdout == ""
    assert len(ledger.all(Enterprise)) == 3
    assert by_name(listed(cli, "enterprise"))["丙公司"]["district"] == "峨边彝族自治县"


def test_usccs_fill_in_normalise_and_warn(cli, ledger, tmp_path):
    ok(
        cli(
            "enterprise",
            "add",
            "乐山戊（集团）有限公司",
            "--district",
            "沙湾",
            "--date",
            "2020-02-01",
        )
    )
    bad_check = wrong_check(U3)
    path = sheet(
        tmp_path / "u.csv",
        "统一社会信用代码,企业名称,区县,复产状态\n"
        f" {full_width(U1.lower())} , 乐山戊（集团）有限公司 ,沙湾区,计划复产\n"
        f"{U2.lower()},己公司,沙湾,计划复产\n"
        f"{bad_check},庚公司,沙湾,计划复产\n",
    )
    result = imported(cli, "plans", path, "--date", "2020-02-10")
    # the enterprise without USCC gets it; nobody is created for that row
    ents = ledger.all(Enterprise)
    assert len(ents) == 3
    assert {e.name: e.uscc for e in ents} == {
        "乐山戊（集团）有限公司": U1,
        "己公司": U2,
        "庚公司": bad_check,
    }
    # a wrong check character warns (naming file and line) but imports
    warned = [x for x in result.stderr.splitlines() if f"{path}:4" in x]
    assert warned and bad_check in warned[0], result.stderr
    assert not [x for x in result.stderr.splitlines() if f"{path}:2" in x or f"{path}:3" in x]


# --------------------------------------------------------------------------- errors


def test_every_row_error_is_listed_and_nothing_written(cli, ledger, tmp_path):
    registered(cli, "已有公司")
    path = sheet(
        tmp_path / "bad.csv",
        "统一社会信用代码,企业名称,区县,复产状态,复产日期,到岗人数\n"
        "9.15111E+17,甲公司,沙湾,已复产,2020-02-14,5\n"  # 2
        ",乙公司,沙弯,计划复产,,\n"  # 3
        ",丙公司,沙湾,已复产,2020-02-14,-3\n"  # 4
        ",丁公司,沙湾,已复产,2020-02-14,很多\n"  # 5
        ",戊公司,沙湾,已复产,2020-02-30,5\n"  # 6
        ",己公司,沙湾,差不多,,\n"  # 7
        ",庚公司,沙湾,计划复产,,,多余,更多\n"  # 8
        ",辛公司,沙湾,计划复产,,\n"  # 9
        ",辛公司,沙湾,未停工,,\n"  # 10
        ",已有公司,沙湾,计划复产,,\n",  # 11: fine
    )
    result = refused_import(cli, ledger, "plans", path, "--date", "2020-02-15")
    assert_error(result.stderr, path, 2, "统一社会信用代码", "9.15111E+17")
    assert_error(result.stderr, path, 3, "区县", "沙弯")
    assert_error(result.stderr, path, 4, "到岗人数", "-3")
    assert_error(result.stderr, path, 5, "到岗人数", "很多")
    assert_error(result.stderr, path, 6, "复产日期", "2020-02-30")
    assert_error(result.stderr, path, 7, "复产状态", "差不多")
    dup = assert_error(result.stderr, path, 10, "企业名称", "辛公司")
    assert "9" in dup.split(": ", 3)[-1], dup  # names the earlier line
    lines = error_lines(result.stderr, path)
    assert set(lines) == {2, 3, 4, 5, 6, 7, 8, 10}, result.stderr
    assert "多余" in lines[8]


def test_labour_count_errors(cli, ledger, tmp_path):
    path = sheet(
        tmp_path / "labour.csv",
        "企业名称,区县,工种,需求人数,已招人数\n"
        "甲公司,沙湾,普工,10,12\n"
        "乙公司,沙湾,技工,-1,0\n"
        "丙公司,沙湾,技工,十个,0\n"
        "丁公司,沙湾,技工,5,2\n",
    )
    result = refused_import(cli, ledger, "labour", path)
    assert_error(result.stderr, path, 2, "已招人数", "12")
    assert_error(result.stderr, path, 3, "需求人数", "-1")
    assert_error(result.stderr, path, 4, "需求人数", "十个")
    assert set(error_lines(result.stderr, path)) == {2, 3, 4}


@pytest.mark.parametrize(
    ("content", "line"),
    [
        pytest.param("复产状态,区县\n计划复产,沙湾\n".encode(), 1, id="no-enterprise-column"),
        pytest.param(b"", 1, id="empty-file"),
        pytest.param(b"\n\n", 1, id="blank-file"),
        pytest.param(
            "企业名称,区县,复产状态\n甲公司,沙湾,计划复产\n乙公\0司,沙湾,计划复产\n".encode(),
            3,
            id="nul-bytes",
        ),
        pytest.param(
            "企业名称,区县,复产状态\n甲公司,沙湾,计划复产\n".encode("gb18030")
            + b"\xff\xfe\xff,\xff,\xff\n",
            3,
            id="undecodable-bytes",
        ),
    ],
)
def test_unreadable_sheets_are_refused_naming_the_line(cli, ledger, tmp_path, content, line):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = refused_import(cli, ledger, "plans", str(path), "--date", "2020-02-15")
    assert re.search(rf"^{re.escape(str(path))}:{line}: [^:]*: .*: \S", result.stderr, re.M), (
        result.stderr
    )


def test_header_without_rows_imports_nothing(cli, ledger, tmp_path):
    path = sheet(tmp_path / "empty.csv", "\ufeff企业名称,区县,复产状态\n\n")
    before = events(ledger)
    imported(cli, "plans", path)
    assert events(ledger) == before


# --------------------------------------------------------------------------- modes


def test_dry_run_says_what_would_change_and_writes_nothing(cli, ledger, tmp_path):
    registered(cli, "甲公司")
    registered(cli, "乙公司")
    ok(cli("plan", "add", "甲公司", "--status", "planned", "--date", "2020-02-05"))
    ok(cli("plan", "add", "乙公司", "--status", "planned", "--date", "2020-02-05"))
    path = sheet(
        tmp_path / "d.csv",
        "企业名称,区县,复产状态,复产日期\n"
        "甲公司,沙湾,已复产,2020-02-14\n"
        "乙公司,沙湾,计划复产,\n"
        "丙公司,沙湾,计划复产,\n",
    )
    before = ledger.counts()
    result = imported(cli, "plans", path, "--date", "2020-02-15", "--dry-run", "--lang", "en")
    assert ledger.counts() == before
    text = result.stderr
    assert re.search(r"new: [^;]*enterprises 1", text), text
    assert re.search(r"new: [^;]*plans 1", text), text
    assert re.search(r"changed: [^;]*plans 1", text), text
    assert re.search(r"unchanged[^;]*: 1", text), text
    # and for real, the same counts
    real = imported(cli, "plans", path, "--date", "2020-02-15", "--lang", "en")
    assert re.search(r"changed: [^;]*plans 1", real.stderr), real.stderr
    assert ledger.counts() != before


def test_skip_invalid_writes_valid_rows_and_rejects_to_fix(cli, ledger, tmp_path):
    path = sheet(
        tmp_path / "s.csv",
        "企业名称,区县,复产状态,到岗人数\n"
        "甲公司,沙湾,计划复产,\n"
        "乙公司,沙弯,计划复产,\n"
        "丙公司,沙湾,已复产,很多\n"
        "丁公司,沙湾,未停工,\n",
    )
    rejects = tmp_path / "rejects.csv"
    result = imported(
        cli, "plans", path, "--date", "2020-02-15", "--skip-invalid", "--rejects", rejects, code=3
    )
    assert "Traceback" not in result.stderr
    assert set(by_name(listed(cli, "plan"))) == {"甲公司", "丁公司"}
    with open(rejects, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:4] == ["企业名称", "区县", "复产状态", "到岗人数"]
    assert "error" in rows[0]
    err = rows[0].index("error")
    body = [r for r in rows[1:] if any(c.strip() for c in r)]
    assert [r[0] for r in body] == ["乙公司", "丙公司"]
    assert all(r[err].strip() for r in body)

    fixed = io.StringIO()
    writer = csv.writer(fixed)
    for r in rows:
        writer.writerow([{"沙弯": "沙湾", "很多": "12"}.get(c, c) for c in r])
    rejects.write_text(fixed.getvalue(), encoding="utf-8-sig")
    imported(cli, "plans", str(rejects), "--date", "2020-02-15")
    plans = by_name(listed(cli, "plan"))
    assert set(plans) == {"甲公司", "乙公司", "丙公司", "丁公司"}
    assert plans["丙公司"]["returned"] == 12


def test_rejects_keep_the_sheets_order(cli, tmp_path):
    """Rows that do not read and rows the rules refuse come out as the sheet has them."""
    path = sheet(
        tmp_path / "s.csv",
        "企业名称,区县,复产状态,复产日期\n"
        "甲公司,沙湾,剔除,\n"
        "乙公司,沙湾,已复产,2020-13-01\n"
        "丙公司,沙湾,计划复产,\n"
        "丁公司,沙湾,剔除,\n"
        "戊公司,沙湾,已复产,2020-02-30\n",
    )
    rejects = tmp_path / "rejects.csv"
    args = ("--date", "2020-02-15", "--skip-invalid", "--rejects", rejects)
    imported(cli, "plans", path, *args, code=3)
    with open(rejects, encoding="utf-8-sig", newline="") as f:
        names = [row[0] for row in csv.reader(f)][1:]
    assert names == ["甲公司", "乙公司", "丁公司", "戊公司"]


def test_a_row_rejected_while_applying_leaves_nothing_behind(cli, ledger, tmp_path):
    # The row reads well but cannot be applied (excluded without a reason) after its
    # enterprise and inspection were worked out: none of that may be written.
    path = sheet(
        tmp_path / "s.csv",
        "name,district,status,inspection,inspected_on\n"
        "甲公司,沙湾区,planned,,\n"
        "丙公司,沙湾区,excluded,passed,2020-02-03\n",
    )
    result = imported(
        cli,
        "plans",
        path,
        "--date",
        "2020-02-05",
        "--skip-invalid",
        "--rejects",
        tmp_path / "rej.csv",
        code=3,
    )
    assert "丙公司" not in result.stdout
    assert set(by_name(listed(cli, "plan"))) == {"甲公司"}
    assert [e.name for e in ledger.all(Enterprise)] == ["甲公司"]


def test_import_from_stdin(cli, tmp_path):
    text = "企业名称,区县,复产状态\n甲公司,沙湾,计划复产\n乙公司,五通桥,已复产\n"
    result = cli("import", "plans", "-", "--date", "2020-02-15", input=text.encode("gb18030"))
    ok(result)
    plans = by_name(listed(cli, "plan"))
    assert (plans["甲公司"]["status"], plans["乙公司"]["status"]) == ("planned", "resumed")
    assert plans["乙公司"]["district"] == "五通桥区"


# --------------------------------------------------------------------------- export


def build_ledger(cli) -> None:
    """A ledger of all four kinds, recorded with commands on dated business days."""

    def run(line: str, *more) -> None:
        ok(cli(*shlex.split(line), *more))

    run(
        f"enterprise add 乐山甲机械有限公司 --district 沙湾 --uscc {U1} --sector 工业 "
        "--above-scale --key --employees 120 --liaison 王五 --contact 李四 "
        "--phone 0833-1234567 --date 2020-02-01"
    )
    run(
        "enterprise add 乐山乙（集团）有限公司 --district 五通桥 --sector 服务业 "
        "--employees 30 --contact @张三 --date 2020-02-01"
    )
    run("enterprise add 丙建材公司 --district 峨边 --above-scale --date 2020-02-02")
    run(f"enterprise add 丁食品公司 --district 沙湾 --uscc {U2} --above-scale --date 2020-02-02")
    run(f"plan add {U1} --status planned --planned-on 2020-02-12 --date 2020-02-05")
    run(f"plan inspect {U1} --passed --date 2020-02-11")
    run(f"plan set {U1} --status resumed --returned 80 --date 2020-02-13")
    run("plan add 乐山乙（集团）有限公司 --status not_stopped --date 2020-02-05")
    run("plan add 丙建材公司 --status planned --date 2020-02-05")
    run("plan inspect 丙建材公司 --passed --date 2020-02-09")
    run("plan set 丙建材公司 --status approved --date 2020-02-09")
    run(f"plan add {U2} --status excluded --reason=-退规 --date 2020-02-06")
    run(
        f"problem add {U1} --category 用工 --text '=缺普工 30 人' --department 人社局 "
        "--deadline 2020-02-20 --ref SW-001 --date 2020-02-06"
    )
    run("problem add 丙建材公司 --category 物流 --text 原料运不进来 --date 2020-02-07")
    problems = {p["name"]: p["id"] for p in listed(cli, "problem")}
    run(f"problem resolve {problems['丙建材公司']} --note 已协调通行证 --date 2020-02-10")
    run(
        f"labour add {U1} --job 普工 --needed 30 --filled 5 --requirements +能倒班 "
        "--date 2020-02-04"
    )
    run("labour add 乐山乙（集团）有限公司 --job 营销 --needed 4 --date 2020-02-05")
    labour = {row["name"]: row["id"] for row in listed(cli, "labour")}
    run(f"labour fill {labour['乐山甲机械有限公司']} --count 7 --date 2020-02-08")
    # a history that moved back: resumed then suspended, resolved then reopened
    run("enterprise add 戊纺织公司 --district 沙湾 --above-scale --date 2020-02-01")
    run("plan add 戊纺织公司 --status planned --date 2020-02-03")
    run("plan set 戊纺织公司 --status resumed --returned 9 --date 2020-02-05")
    run("plan set 戊纺织公司 --status suspended --reason 订单不足 --date 2020-02-08")
    run("problem add 戊纺织公司 --category 资金 --text 贷款难 --date 2020-02-03")
    problems = {p["name"]: p["id"] for p in listed(cli, "problem")}
    run(f"problem resolve {problems['戊纺织公司']} --note 已放贷 --date 2020-02-05")
    run(f"problem reopen {problems['戊纺织公司']} --reason 额度不够 --date 2020-02-07")


def exported(cli, ledger_name, *args) -> str:
    result = ok(cli("export", ledger_name, *args))
    return result.stdout


def test_export_is_utf8_with_bom_in_the_import_layout(cli, tmp_path):
    build_ledger(cli)
    for ledger_name in ("enterprises", "plans", "problems", "labour"):
        text = exported(cli, ledger_name)
        assert text.startswith("\ufeff"), ledger_name
        rows = list(csv.reader(io.StringIO(text[1:])))
        assert set(rows[0]) == LAYOUT[ledger_name], ledger_name
        assert len(rows[0]) == len(set(rows[0]))
        assert len(rows) > 1

        out = tmp_path / f"{ledger_name}.csv"
        ok(cli("export", ledger_name, "-o", out))
        data = out.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        assert data.decode("utf-8-sig") == text[1:]

        as_json = json.loads(exported(cli, ledger_name, "--format", "json"))
        assert isinstance(as_json, list) and len(as_json) == len(rows) - 1
        assert all(list(obj) == rows[0] for obj in as_json), ledger_name


def test_export_guards_formula_like_cells(cli):
    build_ledger(cli)

    def cells(ledger_name):
        text = exported(cli, ledger_name)
        return {c for row in csv.reader(io.StringIO(text[1:])) for c in row}

    assert "'@张三" in cells("enterprises")
    assert "'-退规" in cells("plans")
    assert "'=缺普工 30 人" in cells("problems")
    assert "'+能倒班" in cells("labour")
    assert "0833-1234567" in cells("enterprises")  # not at the start: left alone
    # JSON is data, not a spreadsheet: the values as stored
    problems = json.loads(exported(cli, "problems", "--format", "json"))
    assert "=缺普工 30 人" in {p["description"] for p in problems}


def test_export_import_export_round_trip_gives_identical_bytes(cli, tmp_path):
    build_ledger(cli)
    order = ["enterprises", "plans", "problems", "labour"]
    first = {}
    for name in order:
        first[name] = tmp_path / f"first-{name}.csv"
        ok(cli("export", name, "-o", first[name]))
    second_db = str(tmp_path / "second.db")  # a SQLite ledger on both backends
    ok(cli("init", "--db", second_db))
    for name in order:
        ok(cli("import", name, first[name], "--db", second_db))
    with sqlite3.connect(second_db) as conn:  # imports keep references right themselves
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    differ = {}
    for name in order:
        again = tmp_path / f"second-{name}.csv"
        ok(cli("export", name, "-o", again, "--db", second_db))
        assert exported(cli, name, "--db", second_db).encode() == again.read_bytes()
        if again.read_bytes() != first[name].read_bytes():
            differ[name] = (first[name].read_text("utf-8-sig"), again.read_text("utf-8-sig"))
    assert not differ, "\n".join(f"{k}:\n{a}---\n{b}" for k, (a, b) in differ.items())


def test_a_passed_inspection_in_a_sheet_approves_a_planned_plan(cli, tmp_path):
    registered(cli, "乙公司")
    ok(cli("plan", "add", "乙公司", "--status", "planned", "--date", "2020-02-01"))
    path = sheet(
        tmp_path / "s.csv", "name,district,inspection,inspected_on\n乙公司,沙湾,通过,2020-02-03\n"
    )
    imported(cli, "plans", path, "--date", "2020-02-05")
    plan = by_name(listed(cli, "plan", "--as-of", "2020-02-03"))["乙公司"]
    assert (plan["status"], plan["inspection"], plan["inspected_on"]) == (
        "approved",
        "passed",
        "2020-02-03",
    )


def test_a_problem_sheet_without_dates_imported_daily_is_not_duplicated(cli, tmp_path):
    path = sheet(
        tmp_path / "p.csv",
        "企业名称,区县,问题类别,问题描述,办理状态\n甲公司,沙湾,用工,缺少熟练工,办理中\n",
    )
    imported(cli, "problems", path, "--date", "2020-02-10")
    imported(cli, "problems", path, "--date", "2020-02-11")
    assert len(listed(cli, "problem", "--as-of", "2020-02-11")) == 1


def test_one_enterprise_by_uscc_on_one_line_and_by_name_on_another_is_refused(
    cli, ledger, tmp_path
):
    """The same record twice (SPEC "Errors"): one line names 新甲公司 by its USCC,
    a later one by its name and district and says otherwise; --skip-invalid
    keeps the first line's plan, the rejects file carries the other."""
    path = sheet(
        tmp_path / "s.csv",
        "信用代码,企业名称,区县,复产状态,复产日期\n"
        f"{U1},新甲公司,沙湾,计划复产,\n"
        ",新甲公司,沙湾区,已复产,2020-02-12\n",
    )
    result = refused_import(cli, ledger, "plans", path, "--date", "2020-02-10")
    assert f"{path}:3: 企业名称: 新甲公司: 与第 2 行重复但内容不同" in result.stderr.splitlines()
    rejects = tmp_path / "rejects.csv"
    imported(
        cli, "plans", path, "--date", "2020-02-10", "--skip-invalid", "--rejects", rejects, code=3
    )
    (plan,) = listed(cli, "plan")
    assert (plan["name"], plan["status"], plan["resumed_on"]) == ("新甲公司", "planned", None)
    assert rejects.read_text(encoding="utf-8-sig").splitlines()[1:] == [
        ",新甲公司,沙湾区,已复产,2020-02-12,与第 2 行重复但内容不同"
    ]


PLAN_HEADER = "信用代码,企业名称,区县,复产状态,复产日期\n"


def test_one_enterprise_by_uscc_alone_and_by_name_is_one_record(cli, ledger, tmp_path):
    """The ledger knows 甲公司 holds U1: a line naming only U1 and a line naming only
    甲公司 are one record (SPEC "Errors"), which the sheet alone cannot see; the
    later line may only restate what the earlier said."""
    first = sheet(tmp_path / "a.csv", PLAN_HEADER + f"{U1},甲公司,沙湾区,计划复产,\n")
    imported(cli, "plans", first, "--date", "2020-02-10")
    path = sheet(
        tmp_path / "s.csv",
        PLAN_HEADER + f"{U1},,,已复产,2020-02-12\n,甲公司,沙湾区,计划复产,\n",
    )
    result = refused_import(cli, ledger, "plans", path, "--date", "2020-02-13")
    assert (
        f"{path}:3: 企业名称: 甲公司: 与第 2 行是同一企业但内容不同" in result.stderr.splitlines()
    )
    english = refused_import(cli, ledger, "plans", path, "--date", "2020-02-13", "--lang", "en")
    assert "names the same enterprise as line 2 with different values" in english.stderr
    # saying the same twice is no conflict, nor is a line that adds the USCC
    same = sheet(
        tmp_path / "same.csv",
        PLAN_HEADER
        + f"{U1},,,已复产,2020-02-12\n,甲公司,沙湾区,已复产,2020-02-12\n"
        + f",乙公司,沙湾区,计划复产,\n{U2},乙公司,沙湾区,计划复产,\n",
    )
    imported(cli, "plans", same, "--date", "2020-02-13")
    plans = by_name(listed(cli, "plan", "--as-of", "2020-02-13"))
    assert (plans["甲公司"]["status"], plans["甲公司"]["resumed_on"]) == ("resumed", "2020-02-12")
    assert (plans["乙公司"]["uscc"], plans["乙公司"]["status"]) == (U2, "planned")


def test_a_problem_by_its_number_and_by_its_description_says_the_same(cli, ledger, tmp_path):
    """The number names a problem as the USCC names an enterprise: a line leaving it
    blank says nothing else; a different status does."""
    start = PLAN_HEADER + f"{U1},甲公司,沙湾区,计划复产,\n"
    imported(cli, "plans", sheet(tmp_path / "a.csv", start), "--date", "2020-02-05")
    header = "问题编号,信用代码,企业名称,区县,问题类别,问题描述,办理状态\n"
    line = f"Q1,{U1},甲公司,沙湾区,资金,缺少流动资金,未解决\n"
    same = sheet(tmp_path / "p.csv", header + line + ",,甲公司,沙湾区,资金,缺少流动资金,未解决\n")
    imported(cli, "problems", same, "--date", "2020-02-06")
    imported(cli, "problems", same, "--date", "2020-02-07")
    assert len(listed(cli, "problem")) == 1
    other = sheet(tmp_path / "o.csv", header + line + ",,甲公司,沙湾区,资金,缺少流动资金,已解决\n")
    result = refused_import(cli, ledger, "problems", other, "--date", "2020-02-07")
    assert error_lines(result.stderr, other) == {
        3: f"{other}:3: 企业名称: 甲公司: 与第 2 行是同一问题但内容不同"
    }


def test_a_line_naming_an_enterprise_as_an_earlier_line_renamed_it_finds_it(cli, tmp_path):
    start = PLAN_HEADER + f"{U1},甲公司,沙湾区,计划复产,\n"
    imported(cli, "plans", sheet(tmp_path / "a.csv", start), "--date", "2020-02-05")
    path = sheet(
        tmp_path / "s.csv",
        PLAN_HEADER
        + f"{U1},甲新公司,沙湾区,已复产,2020-02-11\n"
        + ",甲新公司,沙湾区,已复产,2020-02-11\n",
    )
    imported(cli, "plans", path, "--date", "2020-02-12")
    (plan,) = listed(cli, "plan", "--as-of", "2020-02-12")
    assert (plan["name"], plan["uscc"], plan["status"]) == ("甲新公司", U1, "resumed")


def test_a_line_naming_an_enterprise_as_it_was_called_renames_and_moves_nothing_back(
    cli, ledger, tmp_path
):
    """An office's sheet still calls the enterprise by its name before a rename, and
    places it where it was before a move: the line finds it (SPEC: a former name
    still finds its enterprise) and records what else it says, never the old name or
    district again; the same sheet again records nothing."""
    registered(cli, "乙公司")
    registered(cli, "丙公司")
    ok(cli("enterprise", "edit", "乙公司", "--name", "乙新公司", "--date", "2020-02-05"))
    ok(cli("enterprise", "edit", "丙公司", "--district", "五通桥", "--date", "2020-02-05"))
    old = sheet(
        tmp_path / "old.csv",
        "企业名称,区县,职工总数\n乙公司,沙湾区,80\n丙公司,沙湾区,90\n",
    )
    before = events(ledger)
    imported(cli, "enterprises", old, "--date", "2020-02-10")
    assert events(ledger)["enterprise_event"] == before["enterprise_event"] + 2
    rows = by_name(listed(cli, "enterprise", "--as-of", "2020-02-10"))
    assert {n: (r["district"], r["employees"]) for n, r in rows.items()} == {
        "乙新公司": ("沙湾区", 80),
        "丙公司": ("五通桥区", 90),
    }
    again = imported(cli, "enterprises", old, "--date", "2020-02-11")
    assert "无新内容 (未记录批次)" in again.stderr


def test_a_former_name_is_nobodys_to_hold_but_finds_its_enterprise_spelled_any_way(cli, tmp_path):
    """As `enterprise add` may, a sheet registers a new enterprise (its own USCC) under
    a name another bore before a rename; after it, that name finds the new one.  A
    former name found by its key: 乙（集团）公司 is 乙(集团)公司."""
    registered(cli, "甲公司", "--uscc", U1)
    registered(cli, "乙(集团)公司")
    for old, new in (("甲公司", "甲新公司"), ("乙(集团)公司", "乙新公司")):
        ok(cli("enterprise", "edit", old, "--name", new, "--date", "2020-02-05"))
    path = sheet(
        tmp_path / "s.csv",
        "信用代码,企业名称,区县,职工总数\n"
        f"{U2},甲公司,沙湾区,10\n,甲公司,沙湾区,10\n,乙（集团）公司,沙湾区,30\n",
    )
    imported(cli, "enterprises", path, "--date", "2020-02-10")
    again = sheet(tmp_path / "again.csv", "企业名称,区县,职工总数\n甲公司,沙湾区,20\n")
    imported(cli, "enterprises", again, "--date", "2020-02-11")
    rows = listed(cli, "enterprise", "--as-of", "2020-02-11")
    assert sorted((r["name"], r["uscc"], r["employees"]) for r in rows) == [
        ("乙新公司", None, 30),
        ("甲公司", U2, 20),
        ("甲新公司", U1, None),
    ]


def test_a_name_two_enterprises_bore_is_refused_without_the_uscc(cli, ledger, tmp_path):
    registered(cli, "甲公司")
    ok(cli("enterprise", "edit", "甲公司", "--name", "乙公司", "--date", "2020-02-02"))
    registered(cli, "甲公司", on="2020-02-03")
    ok(cli("enterprise", "edit", "甲公司", "--name", "丙公司", "--date", "2020-02-04"))
    path = sheet(tmp_path / "s.csv", "企业名称,区县,职工总数\n甲公司,沙湾区,66\n")
    result = refused_import(cli, ledger, "enterprises", path, "--date", "2020-02-10")
    assert (
        f"{path}:2: 企业名称: 甲公司: 曾用此名的企业不止一家: #1 乙公司, #2 丙公司; "
        "请填写统一社会信用代码"
    ) in result.stderr.splitlines()


def test_a_problem_or_demand_names_its_enterprise_and_renames_nothing(cli, tmp_path):
    """An office's problems sheet carries the USCC and the name before a rename: the
    problem is the enterprise's, and the enterprise keeps its name and district."""
    registered(cli, "甲公司", "--uscc", U1)
    ok(
        cli(
            "enterprise",
            "edit",
            "甲公司",
            "--name",
            "甲新公司",
            "--district",
            "五通桥",
            "--date",
            "2020-02-05",
        )
    )
    header = "信用代码,企业名称,区县,"
    problems = sheet(
        tmp_path / "p.csv",
        header + "问题类别,问题描述,提出日期\n" + f"{U1},甲公司,沙湾区,用工,缺工人,2020-02-10\n",
    )
    labour = sheet(tmp_path / "l.csv", header + "工种,需求人数\n" + f"{U1},甲公司,沙湾区,普工,5\n")
    imported(cli, "problems", problems, "--date", "2020-02-10")
    imported(cli, "labour", labour, "--date", "2020-02-10")
    (row,) = listed(cli, "enterprise")
    assert (row["name"], row["district"]) == ("甲新公司", "五通桥区")
    assert [p["name"] for p in listed(cli, "problem")] == ["甲新公司"]
    assert [d["name"] for d in listed(cli, "labour")] == ["甲新公司"]


def test_a_name_this_sheet_gave_is_held_blocks_later(cli, ledger, tmp_path):
    """Line 2 renames 甲 (named so before) to 乙; 5200 rows on, in a later block, a
    new USCC asks for 乙 in the same district: refused as the command refuses it
    (naming the enterprise by its new name), and --skip-invalid rejects that line."""
    registered(cli, "原公司", "--uscc", U1)
    ok(cli("enterprise", "edit", "原公司", "--name", "甲公司", "--date", "2020-02-02"))
    filler = "".join(f",填充{i},沙湾区,1\n" for i in range(5200))
    path = sheet(
        tmp_path / "s.csv",
        "信用代码,企业名称,区县,职工总数\n"
        + f"{U1},乙公司,沙湾区,\n"
        + filler
        + f"{U2},乙公司,沙湾区,8\n",
    )
    result = refused_import(cli, ledger, "enterprises", path, "--date", "2020-02-10")
    (error,) = [line for line in result.stderr.splitlines() if line.startswith(path)]
    assert error.startswith(f"{path}:5203: 企业名称: 乙公司: ") and "#1 乙公司" in error
    rejects = tmp_path / "rejects.csv"
    args = ("--date", "2020-02-10", "--skip-invalid", "--rejects", rejects)
    imported(cli, "enterprises", path, *args, code=3)
    assert rejects.read_text(encoding="utf-8-sig").splitlines()[1].startswith(f"{U2},乙公司")
    assert by_name(listed(cli, "enterprise"))["乙公司"]["uscc"] == U1


def test_a_name_one_line_gives_up_another_takes(cli, tmp_path):
    """丙 frees 乙 on line 2 and 甲 takes it on line 3 (a lower id than 乙's holder):
    the enterprise table is brought up to date in id order, so 甲 took 乙 there while
    its holder still bore it (a raw unique-index error before)."""
    registered(cli, "甲公司", "--uscc", U1)
    registered(cli, "乙公司", "--uscc", U2)
    path = sheet(
        tmp_path / "s.csv",
        f"信用代码,企业名称,区县\n{U2},丙公司,沙湾区\n{U1},乙公司,沙湾区\n",
    )
    imported(cli, "enterprises", path, "--date", "2020-02-10")
    rows = listed(cli, "enterprise")
    assert sorted((r["uscc"], r["name"]) for r in rows) == [(U1, "乙公司"), (U2, "丙公司")]


def test_a_former_name_finds_who_bore_it_in_that_district(cli, tmp_path):
    """X公司 was #1's name in 市中区 (it moved to 沙湾 after a rename) and #2's in 沙湾:
    a line naming X公司 in 沙湾 means #2, not an ambiguity."""
    ok(cli("enterprise", "add", "X公司", "--district", "市中", "--date", "2020-02-01"))
    ok(cli("enterprise", "edit", "X公司", "--name", "Y公司", "--date", "2020-02-02"))
    ok(cli("enterprise", "edit", "Y公司", "--district", "沙湾", "--date", "2020-02-03"))
    registered(cli, "X公司", on="2020-02-04")
    ok(cli("enterprise", "edit", "X公司", "--name", "Z公司", "--date", "2020-02-05"))
    path = sheet(tmp_path / "l.csv", "企业名称,区县,工种,需求人数\nX公司,沙湾区,普工,5\n")
    imported(cli, "labour", path, "--date", "2020-02-10")
    assert [d["name"] for d in listed(cli, "labour")] == ["Z公司"]


def test_a_name_this_sheet_renamed_away_finds_it_blocks_later(cli, tmp_path):
    """The rename on line 2 is written with its block; a line in a later block naming
    the enterprise as it was called before finds it, as one in the same block does."""
    registered(cli, "甲公司", "--uscc", U1)
    filler = "".join(f",企业{i},沙湾区,计划复产,\n" for i in range(5999))
    path = sheet(
        tmp_path / "s.csv",
        PLAN_HEADER + f"{U1},甲新公司,沙湾区,计划复产,\n" + filler + ",甲公司,沙湾区,计划复产,\n",
    )
    imported(cli, "plans", path, "--date", "2020-02-10")
    names = {r["name"] for r in listed(cli, "enterprise")}
    assert "甲新公司" in names and "甲公司" not in names


def test_a_former_name_after_a_line_the_memo_passed_by_is_the_same_record(cli, ledger, tmp_path):
    """The first line is passed by the sheet memo (it restates the ledger) in the
    first block; a line 6000 rows on names the enterprise by its name before a
    rename and says otherwise: refused, naming the first line; --skip-invalid
    keeps the ledger as the first line says."""
    filler = "".join(f",企业{i},沙湾区,计划复产,\n" for i in range(5999))
    registered(cli, "乙公司")
    ok(cli("enterprise", "edit", "乙公司", "--name", "乙新公司", "--date", "2020-02-05"))
    daily = PLAN_HEADER + ",乙新公司,沙湾区,计划复产,\n" + filler
    imported(cli, "plans", sheet(tmp_path / "d.csv", daily), "--date", "2020-02-10")
    path = sheet(tmp_path / "s.csv", daily + ",乙公司,沙湾区,已复产,2020-02-09\n")
    result = refused_import(cli, ledger, "plans", path, "--date", "2020-02-10")
    assert f"{path}:6002: 企业名称: 乙公司: 与第 2 行是同一企业但内容不同" in (
        result.stderr.splitlines()
    )
    rejects = tmp_path / "rejects.csv"
    args = ("--date", "2020-02-10", "--skip-invalid", "--rejects", rejects)
    imported(cli, "plans", path, *args, code=3)
    plans = by_name(listed(cli, "plan", "--as-of", "2020-02-10"))
    assert plans["乙新公司"]["status"] == "planned"
    assert rejects.read_text(encoding="utf-8-sig").splitlines()[1:] == [
        ",乙公司,沙湾区,已复产,2020-02-09,与第 2 行是同一企业但内容不同"
    ]


def test_a_merged_duplicates_uscc_and_the_kept_enterprises_are_one_record(cli, ledger, tmp_path):
    start = PLAN_HEADER + f"{U1},甲公司,沙湾区,计划复产,\n{U2},甲有限公司,沙湾区,,\n"
    imported(cli, "plans", sheet(tmp_path / "a.csv", start), "--date", "2020-02-05")
    ok(cli("enterprise", "merge", "甲有限公司", "--into", "甲公司", "--date", "2020-02-06"))
    # line 3 is refused before it is applied: line 4, saying what line 2 said, is
    # compared with line 2, not with what line 3 would have left
    path = sheet(
        tmp_path / "s.csv",
        PLAN_HEADER
        + f"{U2},甲有限公司,沙湾区,已复产,2020-02-09\n{U1},甲公司,沙湾区,计划复产,\n"
        + f"{U2},甲有限公司,沙湾区,已复产,2020-02-09\n",
    )
    result = refused_import(cli, ledger, "plans", path, "--date", "2020-02-10")
    assert error_lines(result.stderr, path) == {
        3: f"{path}:3: 信用代码: {U1}: 与第 2 行是同一企业但内容不同"
    }


def test_same_record_errors_are_the_same_with_and_without_the_memo(
    cli, ledger, tmp_path, monkeypatch
):
    """Line 5004 restates the ledger (the memo passes such a row by) but not what
    line 2 said of the same enterprise; line 3 does not read, so the import tells
    the memo nothing of line 2: still every error is listed, each naming line 2."""
    import fugong.importer

    filler = "".join(f",企业{i},沙湾区,计划复产,\n" for i in range(5000))
    start = sheet(tmp_path / "a.csv", PLAN_HEADER + f"{U1},甲公司,沙湾区,计划复产,\n")
    imported(cli, "plans", start, "--date", "2020-02-05")
    daily = sheet(tmp_path / "d.csv", PLAN_HEADER + ",甲公司,沙湾区,计划复产,\n")
    for _ in range(2):  # (the second import remembers the row as restating the ledger)
        imported(cli, "plans", daily, "--date", "2020-02-10")
    path = sheet(
        tmp_path / "s.csv",
        PLAN_HEADER
        + f"{U1},,,已复产,2020-02-12\n,丁公司,沙湾区,计划复产,2020-13-45\n"
        + filler
        + ",甲公司,沙湾区,计划复产,\n",
    )
    found = []
    for memo in (True, False):
        monkeypatch.setattr(fugong.importer, "MEMO_WAY", memo)
        result = refused_import(cli, ledger, "plans", path, "--date", "2020-02-10")
        found.append(error_lines(result.stderr, path))
    assert found[0] == found[1]
    assert sorted(found[0]) == [3, 5004]
    assert found[0][5004].endswith("企业名称: 甲公司: 与第 2 行是同一企业但内容不同")


def test_one_demand_by_uscc_and_by_name_is_one_record(cli, ledger, tmp_path):
    """A labour sheet's record is the demand: 普工 of 甲公司 named twice, otherwise
    both times; 普工 and 电工 of one enterprise are two records."""
    start = PLAN_HEADER + f"{U1},甲公司,沙湾区,计划复产,\n"
    imported(cli, "plans", sheet(tmp_path / "a.csv", start), "--date", "2020-02-05")
    path = sheet(
        tmp_path / "l.csv",
        "信用代码,企业名称,区县,工种,需求人数,已招人数\n"
        f"{U1},,,普工,10,2\n{U1},,,电工,3,0\n,甲公司,沙湾区,普工,12,2\n",
    )
    result = refused_import(cli, ledger, "labour", path, "--date", "2020-02-10")
    assert error_lines(result.stderr, path) == {
        4: f"{path}:4: 企业名称: 甲公司: 与第 2 行是同一用工需求但内容不同"
    }


def test_a_sheet_changing_while_read_is_refused_after_its_rows_were_looked_up(
    cli, ledger, tmp_path, monkeypatch
):
    """On PostgreSQL the memo's look-up of a block runs while the next block is read;
    an error reading on (here: the file changed, found at its end) still refuses
    the whole import, after the rows before it, and leaves nothing written."""
    from fugong.ingest import Sheet

    body = "".join(f"企业{i},沙湾,{'已复产' if i % 2 else '计划复产'}\n" for i in range(6000))
    path = sheet(tmp_path / "big.csv", "企业名称,区县,复产状态\n" + body)
    imported(cli, "plans", path, "--date", "2020-02-10")  # remembered: the next one looks up

    def changed(self):
        raise self._fatal(0, "", "文件在读取过程中被修改", "the file changed while it was read")

    monkeypatch.setattr(Sheet, "_check_unchanged", changed)
    result = refused_import(cli, ledger, "plans", path, "--date", "2020-02-11")
    assert "文件在读取过程中被修改" in result.stderr


def test_records_whose_import_was_undone_come_back_as_new(cli, tmp_path):
    path = sheet(
        tmp_path / "p.csv",
        "问题编号,企业名称,区县,问题类别,问题描述,提出日期\nP1,甲公司,沙湾,用工,缺工,2020-02-03\n",
    )
    first = imported(cli, "problems", path, "--date", "2020-02-05")
    batch = re.search(r"(?:批次|batch) (\d+)", first.stderr).group(1)
    ok(cli("undo", batch))
    again = imported(cli, "problems", path, "--date", "2020-02-05")
    assert "问题 1" in again.stderr.split("新增")[1].split(";")[0]
    (problem,) = listed(cli, "problem", "--as-of", "2020-02-03")
    assert (problem["raised_on"], problem["status"]) == ("2020-02-03", "open")


def test_an_older_sheet_with_a_name_before_its_rename_matches_the_same_enterprise(cli, tmp_path):
    path = sheet(tmp_path / "old.csv", "name,district,status\n乙公司,沙湾区,planned\n")
    imported(cli, "plans", path, "--date", "2020-02-05")
    ok(cli("enterprise", "edit", "乙公司", "--name", "乙新公司", "--date", "2020-02-10"))
    again = imported(cli, "plans", path, "--date", "2020-02-05")
    assert "新增: 0" in again.stderr
    assert [e["name"] for e in listed(cli, "enterprise")] == ["乙新公司"]


def test_rows_creating_their_records_take_the_set_based_way_and_record_what_the_rules_say(
    cli, db_url, other_db_url, read_ledger, tmp_path, monkeypatch
):
    # Most rows of a first import create their enterprise and plan; such rows are
    # written set-based (fresh.py).  For every combination of the plan columns the
    # set-based way must record exactly what the general way records — also which
    # rows it refuses, and why — on both backends.
    import fugong.importer
    from fugong.models import EnterpriseEvent, Plan, PlanEvent

    columns = (
        "uscc,name,district,status,planned_on,inspected_on,inspection,resumed_on,"
        "returned,reason,note"
    )
    rows = []
    combos = itertools.product(
        ["", "not_stopped", "planned", "approved", "resumed", "suspended", "excluded"],
        ["", "2020-02-20"],  # planned_on
        ["", "2020-02-08", "2020-02-16"],  # inspected_on (before / after --date)
        ["", "passed", "failed"],
        ["", "2020-02-10", "2020-02-16"],  # resumed_on
        ["", "40"],  # returned
        ["", "停产整顿"],  # reason
    )
    for i, (status, planned, inspected, inspection, resumed, returned, reason) in enumerate(combos):
        note = "备注" if i % 3 == 0 else ""
        code = uscc(f"91511111MA{i:07d}")
        rows.append(
            f"{code},企业{i},沙湾,{status},{planned},{inspected},{inspection},"
            f"{resumed},{returned},{reason},{note}"
        )
    path = sheet(tmp_path / "plans.csv", columns + "\n" + "\n".join(rows) + "\n")

    def run(db: str, name: str) -> tuple[str, list, str]:
        rejects = tmp_path / f"{name}.rejects.csv"
        result = cli(
            "import", "plans", path, "--date", "2020-02-14", "--db", db,
            "--skip-invalid", "--rejects", rejects,
        )  # fmt: skip
        assert result.exit_code == 3, result.stderr
        reader = read_ledger(db)
        table = [
            [(e.id, e.name, e.name_key, e.district, e.uscc) for e in reader.all(Enterprise)],
            [(p.id, p.enterprise_id) for p in reader.all(Plan)],
            sorted(
                (e.enterprise_id, e.id, str(e.business_date), e.line, e.action, e.name, e.uscc)
                for e in reader.all(EnterpriseEvent)
            ),
            sorted(
                (
                    e.plan_id,
                    e.id,
                    str(e.business_date),
                    e.line,
                    e.status,
                    e.planned_on,
                    e.returned,
                    e.reason,
                    e.note,
                    e.inspection,
                )
                for e in reader.all(PlanEvent)
            ),  # fmt: skip
        ]
        # event ids differ between the ways only by their offset within a table
        for part in table[2:]:
            base = min(row[1] for row in part)
            part[:] = [(row[0], row[1] - base, *row[2:]) for row in part]
        return rejects.read_text(encoding="utf-8-sig"), table, result.stderr.replace(db, "DB")

    set_based = run(db_url, "set-based")
    monkeypatch.setattr(fugong.importer, "FRESH_WAY", False)
    general = run(other_db_url, "general")
    assert set_based[0] == general[0]  # the same rows refused, for the same reasons
    assert set_based[1] == general[1]  # the same records and events
    assert set_based[2] == general[2]  # the same summary and messages
    assert len(general[1][3]) > len(rows)  # (it did record: several events a plan)


def test_a_record_the_sheet_creates_and_then_fills_in_counts_as_new_not_changed(cli, tmp_path):
    # the second row names the enterprise the first row creates, and adds its USCC
    code = uscc("91511100MA6000004")
    path = sheet(tmp_path / "e.csv", f"uscc,name,district\n,甲厂,沙湾区\n{code},甲厂,沙湾区\n")
    result = imported(cli, "enterprises", path, "--date", "2020-02-14", "--lang", "en")
    assert "new: enterprises 1; changed: 0" in result.stderr
    [only] = listed(cli, "enterprise")
    assert (only["name"], only["uscc"]) == ("甲厂", code)


def test_a_large_import_leaves_postgresql_with_planner_statistics(cli, backend, db_url, tmp_path):
    # Without them the first report after loading a city planned the as-of
    # queries as if the tables were empty and ran for many minutes.
    if backend != "postgres":
        pytest.skip("PostgreSQL's planner statistics; SQLite plans without them")
    from sqlalchemy import create_engine, text

    rows = "".join(f"企业{i},沙湾,计划复产,2020-02-20\n" for i in range(1200))
    path = sheet(tmp_path / "big.csv", "企业名称,区县,复产状态,计划复产日期\n" + rows)
    imported(cli, "plans", path, "--date", "2020-02-14")
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            analysed = conn.execute(
                text(
                    "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL "
                    "AND relname IN ('enterprise', 'plan_event')"
                )
            ).scalars()
            assert sorted(analysed) == ["enterprise", "plan_event"]
    finally:
        engine.dispose()
