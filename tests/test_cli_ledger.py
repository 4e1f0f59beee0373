"""The recording commands end to end: the real CLI, then the ledger read back.

Every test runs on SQLite and on PostgreSQL (see conftest.py).  A refused
command must exit 1 with `错误: …` on stderr, print nothing on stdout and leave
every table as it was.
"""

from __future__ import annotations

import csv
import getpass
import io
import json
import re
import shlex
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import typer

from fugong.clock import today as office_today  # the office's today (SPEC "Clock and order")
from fugong.models import (
    Batch,
    Enterprise,
    EnterpriseEvent,
    Labour,
    LabourEvent,
    Plan,
    PlanEvent,
    Problem,
    ProblemEvent,
)

A = "乐山沙湾甲机械有限公司"
B = "沙湾乙（集团）有限公司"
C = "四川丙建材有限公司"
D = date.fromisoformat

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc(first17: str) -> str:
    """A valid USCC (GB 32100-2015), computed here independently of fugong."""
    total = sum(USCC_CHARSET.index(c) * 3**i for i, c in enumerate(first17))
    return first17 + USCC_CHARSET[(31 - total % 31) % 31]


def wrong_check(code: str) -> str:
    other = USCC_CHARSET[(USCC_CHARSET.index(code[17]) + 1) % 31]
    return code[:17] + other


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def source(*argv: str) -> str:
    """What the history records as the source of a command: the command line."""
    return "fugong " + shlex.join(argv)


# --------------------------------------------------------------------------- helpers


def ok(result):
    assert result.exit_code == 0, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    return result


def refused(cli, ledger, *args, says=()):
    """The command exits 1 with a message on stderr, prints nothing, writes nothing."""
    before = ledger.counts()
    result = cli(*args)
    assert result.exit_code == 1, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    assert result.stdout == ""
    assert result.stderr.startswith("错误: "), result.stderr
    assert "Traceback" not in result.stderr
    for part in says:
        assert part in result.stderr, f"{part!r} not in {result.stderr!r}"
    assert ledger.counts() == before
    return result


def rows(cli, ledger_cmd, *args):
    """`fugong LEDGER list --format json …` parsed."""
    result = ok(cli(ledger_cmd, "list", "--format", "json", *args))
    assert result.stderr == ""
    return json.loads(result.stdout)


def one(items):
    assert len(items) == 1, items
    return items[0]


def register(cli, name=A, district="沙湾", on="2020-02-01", *more):
    return ok(cli("enterprise", "add", name, "--district", district, "--date", on, *more))


def enterprise(ledger, name) -> Enterprise:
    return one(ledger.all(Enterprise, Enterprise.name == name))


def last_batch(ledger) -> Batch:
    return ledger.all(Batch)[-1]


# --------------------------------------------------------------------------- enterprises


def test_enterprise_add_records_a_dated_event_with_who_and_source(cli, ledger):
    argv = (
        "enterprise",
        "add",
        A,
        "--district",
        "沙湾",
        "--uscc",
        uscc("91511111MA6000001"),
        "--sector",
        "工业",
        "--above-scale",
        "--key",
        "--employees",
        "1,200",
        "--liaison",
        "王五",
        "--contact",
        "李四",
        "--phone",
        "0833-1234567",
        "--date",
        "2020-02-01",
        "--by",
        "alice",
    )
    result = ok(cli(*argv))
    ent = enterprise(ledger, A)
    assert result.stdout == f"已登记企业 #{ent.id} {A}\n"
    assert result.stderr == ""
    assert ent.uscc == uscc("91511111MA6000001")
    assert ent.district == "511111"
    event = one(ledger.all(EnterpriseEvent))
    assert event.enterprise_id == ent.id
    assert event.business_date == D("2020-02-01")
    assert event.action == "register"
    assert (event.name, event.district, event.uscc) == (A, "511111", ent.uscc)
    assert (event.sector, event.above_scale, event.key_enterprise) == ("industry", True, True)
    assert (event.employees, event.liaison, event.contact, event.phone) == (
        1200,
        "王五",
        "李四",
        "0833-1234567",
    )
    batch = ledger.batch_of(event)
    assert (batch.kind, batch.by, batch.source) == ("command", "alice", source(*argv))


def test_who_records_is_by_else_fugong_user_else_os_user(cli, ledger):
    register(cli, A)
    ok(cli("enterprise", "add", B, "--district", "沙湾", "--by", "  alice  "))
    ok(cli("enterprise", "add", C, "--district", "沙湾", env={"FUGONG_USER": None}))
    assert [b.by for b in ledger.all(Batch)] == [cli.user, "alice", getpass.getuser()]


def test_business_date_defaults_to_today_and_as_of_understands_today_yesterday(cli, ledger):
    ok(cli("enterprise", "add", A, "--district", "沙湾"))
    assert one(ledger.all(EnterpriseEvent)).business_date == office_today()
    assert [r["name"] for r in rows(cli, "enterprise")] == [A]
    assert [r["name"] for r in rows(cli, "enterprise", "--as-of", "today")] == [A]
    assert rows(cli, "enterprise", "--as-of", "yesterday") == []
    yesterday = (office_today() - timedelta(days=1)).isoformat()
    assert rows(cli, "enterprise", "--as-of", yesterday) == []


def test_enterprise_list_formats_and_district(cli):
    register(cli, A, "沙湾", "2020-02-01", "--above-scale", "--employees", "120")
    register(cli, B, "511111", "2020-02-02", "--sector", "服务业")
    register(cli, C, "五通桥", "2020-02-03")

    listed = rows(cli, "enterprise")
    assert [r["name"] for r in listed] == [A, B, C]
    first = listed[0]
    assert first == {
        "id": first["id"],
        "uscc": None,
        "name": A,
        "district": "沙湾区",
        "sector": None,
        "above_scale": True,
        "key_enterprise": None,  # not said: not recorded (as a sheet without the column)
        "employees": 120,
        "liaison": None,
        "contact": None,
        "phone": None,
    }
    assert listed[1]["sector"] == "services"
    assert listed[2]["district"] == "五通桥区"

    # --district by short name, full name and code all mean the same scope
    for name in ("沙湾", "沙湾区", "511111"):
        assert [r["name"] for r in rows(cli, "enterprise", "--district", name)] == [A, B]
    assert [r["name"] for r in rows(cli, "enterprise", "--district", "五通桥")] == [C]
    # the whole city is every county
    assert len(rows(cli, "enterprise", "--district", "乐山市")) == 3

    # CSV: header = the JSON keys, same values
    result = ok(cli("enterprise", "list", "--format", "csv", "--district", "沙湾"))
    assert result.stderr == ""
    reader = csv.DictReader(io.StringIO(result.stdout))
    assert reader.fieldnames == list(first)
    table = list(reader)
    assert [r["name"] for r in table] == [A, B]
    assert table[0]["employees"] == "120"
    assert table[0]["district"] == "沙湾区"

    # --as-of: an enterprise belongs to the ledger from its registration date
    assert [r["name"] for r in rows(cli, "enterprise", "--as-of", "2020-02-02")] == [A, B]
    assert rows(cli, "enterprise", "--as-of", "2020-01-31") == []

    # table: Chinese header, one line per enterprise, nothing on stderr
    result = ok(cli("enterprise", "list", "--district", "沙湾"))
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "编号",
        "统一社会信用代码",
        "企业名称",
        "区县",
        "企业类型",
        "规上",
        "职工总数",
    ]
    assert len(lines) == 4
    assert lines[2].split() == [str(first["id"]), A, "沙湾区", "是", "120"]
    assert lines[3].split() == [str(listed[1]["id"]), B, "沙湾区", "服务业"]  # 规上 not said


def test_list_columns_are_the_ledgers_csv_columns(cli):
    register(cli, A)
    ok(cli("plan", "add", A, "--status", "planned", "--date", "2020-02-02"))
    ok(cli("problem", "add", A, "--category", "用工", "--text", "缺工", "--date", "2020-02-02"))
    ok(cli("labour", "add", A, "--job", "普工", "--needed", "3", "--date", "2020-02-02"))
    ent = ["uscc", "name", "district"]
    more = ["sector", "above_scale", "key_enterprise", "employees", "liaison", "contact", "phone"]
    expected = {
        "enterprise": {"id", *ent, *more},
        "plan": {
            "id",
            *ent,
            *more,
            "status",
            "planned_on",
            "inspected_on",
            "inspection",
            "resumed_on",
            "returned",
            "reason",
            "note",
        },
        "problem": {
            "id",
            *ent,
            "ref",
            "category",
            "description",
            "raised_on",
            "department",
            "deadline",
            "status",
            "resolved_on",
            "resolution",
            "overdue",
        },
        "labour": {
            "id",
            *ent,
            "job_type",
            "needed",
            "filled",
            "raised_on",
            "requirements",
            "note",
            "gap",
        },
    }
    for ledger_cmd, columns in expected.items():
        document = rows(cli, ledger_cmd)
        assert isinstance(document, list) and len(document) == 1
        assert list(document[0])[0] == "id"
        assert set(document[0]) == columns, ledger_cmd
        header = ok(cli(ledger_cmd, "list", "--format", "csv")).stdout.splitlines()[0]
        assert header.split(",") == list(document[0]), ledger_cmd


def test_enterprise_show(cli):
    register(cli, A, "沙湾", "2020-02-01", "--above-scale", "--not-key", "--employees", "80")
    ok(cli("plan", "add", A, "--status", "planned", "--date", "2020-02-05"))
    eid = one(rows(cli, "enterprise"))["id"]

    result = ok(cli("enterprise", "show", A, "--as-of", "2020-02-06"))
    lines = result.stdout.splitlines()
    assert lines[:6] == [
        f"编号: {eid}",
        f"企业名称: {A}",
        "区县: 沙湾区",
        "规上: 是",
        "重点企业: 否",
        "职工总数: 80",
    ]
    assert "复产计划" in lines
    assert any("计划复产" in line for line in lines)

    shown = json.loads(ok(cli("enterprise", "show", str(eid), "--format", "json")).stdout)
    assert shown["name"] == A and shown["id"] == eid
    assert shown["plan"]["status"] == "planned"
    assert shown["problems"] == [] and shown["labour"] == []

    # before its first entry the enterprise is not in the ledger
    cli_result = cli("enterprise", "show", A, "--as-of", "2020-01-31")
    assert cli_result.exit_code == 1 and cli_result.stdout == ""
    assert cli_result.stderr.startswith("错误: ")


def test_rename_applies_from_its_date(cli, ledger):
    register(cli, A, "沙湾", "2020-02-01")
    result = ok(
        cli("enterprise", "edit", A, "--name", "乐山甲重工有限公司", "--date", "2020-02-10")
    )
    eid = enterprise(ledger, "乐山甲重工有限公司").id
    assert result.stdout == f"#{eid} 已修改: 企业名称=乐山甲重工有限公司\n"
    events = ledger.all(EnterpriseEvent)
    assert [(e.business_date, e.action, e.name) for e in events] == [
        (D("2020-02-01"), "register", A),
        (D("2020-02-10"), "edit", "乐山甲重工有限公司"),
    ]
    assert events[1].district is None and events[1].uscc is None  # only what changed
    assert [r["name"] for r in rows(cli, "enterprise", "--as-of", "2020-02-09")] == [A]
    assert [r["name"] for r in rows(cli, "enterprise", "--as-of", "2020-02-10")] == [
        "乐山甲重工有限公司"
    ]
    assert [r["name"] for r in rows(cli, "enterprise")] == ["乐山甲重工有限公司"]
    # the ledger is addressed by its current name
    ok(cli("plan", "add", "乐山甲重工有限公司", "--status", "planned", "--date", "2020-02-11"))
    log = json.loads(ok(cli("log", str(eid), "--format", "json")).stdout)
    assert [(e["business_date"], e["action"]) for e in log] == [
        ("2020-02-11", "add"),
        ("2020-02-10", "edit"),
        ("2020-02-01", "register"),
    ]
    assert log[1]["change"] == {"name": "乐山甲重工有限公司"}


def test_district_move_applies_from_its_date(cli):
    register(cli, A, "沙湾", "2020-02-01")
    ok(cli("enterprise", "edit", A, "--district", "五通桥", "--date", "2020-02-15"))
    assert [
        r["name"] for r in rows(cli, "enterprise", "--district", "沙湾", "--as-of", "2020-02-14")
    ] == [A]
    assert rows(cli, "enterprise", "--district", "沙湾", "--as-of", "2020-02-15") == []
    assert [
        r["name"] for r in rows(cli, "enterprise", "--district", "五通桥", "--as-of", "2020-02-15")
    ] == [A]


def test_edit_without_a_change_records_no_event(cli, ledger):
    register(cli, A, "沙湾", "2020-02-01", "--above-scale")
    before = ledger.counts()
    result = ok(cli("enterprise", "edit", A, "--above-scale", "--date", "2020-02-05"))
    assert result.stdout == ""
    assert result.stderr == "没有变化\n"
    after = ledger.counts()
    assert after["enterprise_event"] == before["enterprise_event"]


def test_full_width_brackets_name_the_same_enterprise(cli, ledger):
    register(cli, B, "沙湾", "2020-02-01")
    half = "沙湾乙(集团)有限公司"
    refused(cli, ledger, "enterprise", "add", half, "--district", "沙湾", says=["已登记", B])
    # any spelling finds it; the name stays as typed
    ok(cli("plan", "add", half, "--status", "planned", "--date", "2020-02-03"))
    ok(cli("plan", "inspect", " 沙湾乙 （集团）有限公司 ", "--passed", "--date", "2020-02-04"))
    ent = enterprise(ledger, B)
    plan = one(ledger.all(Plan))
    assert plan.enterprise_id == ent.id
    assert len(ledger.all(Enterprise)) == 1
    assert one(rows(cli, "plan"))["name"] == B


def test_uscc_lower_case_and_full_width_are_normalised(cli, ledger):
    code = uscc("91511111MA6000002")
    typed = full_width(code.lower())
    result = ok(cli("enterprise", "add", A, "--district", "沙湾", "--uscc", typed))
    assert result.stderr == ""
    assert enterprise(ledger, A).uscc == code
    assert one(ledger.all(EnterpriseEvent)).uscc == code
    # and the enterprise can be named by its USCC, typed either way
    ok(cli("plan", "add", code.lower(), "--status", "planned"))
    ok(cli("plan", "set", f"  {typed} ", "--status", "resumed"))
    assert one(rows(cli, "plan"))["uscc"] == code


def test_malformed_uscc_is_refused(cli, ledger):
    good = uscc("91511111MA6000003")
    refused(
        cli,
        ledger,
        "enterprise",
        "add",
        A,
        "--district",
        "沙湾",
        "--uscc",
        good[:17],
        says=["--uscc", good[:17]],
    )
    bad_char = good[:8] + "I" + good[9:]  # I is not in the charset
    refused(
        cli,
        ledger,
        "enterprise",
        "add",
        A,
        "--district",
        "沙湾",
        "--uscc",
        bad_char,
        says=["--uscc", "'I'"],
    )
    refused(
        cli,
        ledger,
        "enterprise",
        "add",
        A,
        "--district",
        "沙湾",
        "--uscc",
        "9.15111E+17",
        says=["--uscc"],
    )
    register(cli, A)
    refused(cli, ledger, "enterprise", "edit", A, "--uscc", good + "0", says=["--uscc"])


def test_wrong_check_character_is_accepted_with_a_warning(cli, ledger):
    code = wrong_check(uscc("91511111MA6000004"))
    result = ok(cli("enterprise", "add", A, "--district", "沙湾", "--uscc", code))
    ent = enterprise(ledger, A)
    assert result.stdout == f"已登记企业 #{ent.id} {A}\n"
    assert (
        result.stderr == f"警告: 统一社会信用代码 {code} 校验位不符 (已接受; fugong check 会列出)\n"
    )
    assert ent.uscc == code


def test_a_uscc_belongs_to_one_enterprise(cli, ledger):
    code = uscc("91511111MA6000005")
    register(cli, A, "沙湾", "2020-02-01", "--uscc", code)
    refused(
        cli, ledger, "enterprise", "add", B, "--district", "沙湾", "--uscc", code, says=[code, A]
    )


def test_unknown_district_suggests_and_lists_candidates(cli, ledger):
    result = refused(
        cli, ledger, "enterprise", "add", A, "--district", "沙弯", says=["沙弯", "沙湾区"]
    )
    # every district of the city is a candidate
    for name in ("市中区", "五通桥区", "峨眉山市", "马边彝族自治县"):
        assert name in result.stderr
    refused(
        cli,
        ledger,
        "enterprise",
        "add",
        A,
        "--district",
        "自治县",
        says=["峨边彝族自治县 (511132)", "马边彝族自治县 (511133)"],
    )
    register(cli, A)
    refused(cli, ledger, "enterprise", "edit", A, "--district", "沙弯", says=["沙湾区"])
    for ledger_cmd in ("enterprise", "plan", "problem", "labour"):
        result = cli(ledger_cmd, "list", "--district", "沙弯")
        assert result.exit_code == 1 and result.stdout == ""
        assert "沙湾区" in result.stderr


def test_unknown_enterprise_suggests_close_names(cli, ledger):
    register(cli, A)
    register(cli, B)
    close = "乐山沙湾甲机械公司"
    refused(cli, ledger, "plan", "add", close, "--status", "planned", says=[close, A])
    refused(cli, ledger, "plan", "set", "9999", "--status", "resumed", says=["9999"])
    refused(cli, ledger, "problem", "add", close, "--category", "用工", "--text", "缺工", says=[A])
    refused(cli, ledger, "labour", "add", close, "--job", "普工", "--needed", "3", says=[A])
    refused(cli, ledger, "enterprise", "edit", close, "--employees", "3", says=[A])
    result = cli("log", close)
    assert result.exit_code == 1 and A in result.stderr


def test_a_name_shared_by_two_districts_is_ambiguous(cli, ledger):
    register(cli, A, "沙湾")
    register(cli, A, "五通桥")
    ids = [e.id for e in ledger.all(Enterprise)]
    result = refused(cli, ledger, "plan", "add", A, "--status", "planned")
    assert all(f"#{i}" in result.stderr for i in ids)
    ok(cli("plan", "add", str(ids[1]), "--status", "planned", "--date", "2020-02-02"))
    assert one(rows(cli, "plan"))["district"] == "五通桥区"


def test_messages_in_english_with_fugong_lang(cli, ledger):
    before = ledger.counts()
    result = cli("plan", "add", "无此企业", "--status", "planned", env={"FUGONG_LANG": "en"})
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("Error: ") and "无此企业" in result.stderr
    result = cli("enterprise", "add", A, "--district", "沙弯", "--lang", "en")
    assert result.exit_code == 1 and result.stderr.startswith("Error: ")
    assert "沙湾区" in result.stderr
    assert ledger.counts() == before


def test_usage_errors_exit_2_and_write_nothing(cli, ledger):
    before = ledger.counts()
    assert cli("plan", "frobnicate").exit_code == 2
    assert cli("plan", "add", A).exit_code == 2  # --status missing
    assert cli("enterprise", "add", A, "--district", "沙湾", "--colour", "red").exit_code == 2
    assert cli("plan", "list", "--format", "xml").exit_code == 2
    assert ledger.counts() == before


# --------------------------------------------------------------------------- plans


def test_plan_lifecycle_and_its_state_as_of_dates(cli, ledger):
    register(cli, A, "沙湾", "2020-02-01", "--above-scale")
    result = ok(
        cli(
            "plan",
            "add",
            A,
            "--status",
            "planned",
            "--planned-on",
            "2020-02-10",
            "--date",
            "2020-02-09",
            "--by",
            "alice",
        )
    )
    assert result.stdout == f"{A}: 状态=计划复产，计划复产日期=2020-02-10\n"
    result = ok(
        cli("plan", "inspect", A, "--failed", "--note", "消毒台账不全", "--date", "2020-02-11")
    )
    assert result.stdout.startswith(f"{A}: ")
    ok(cli("plan", "inspect", A, "--passed", "--date", "2020-02-12"))
    result = ok(
        cli("plan", "set", A, "--status", "resumed", "--returned", "50", "--date", "2020-02-13")
    )
    assert result.stdout == f"{A}: 状态=已复产，到岗人数=50\n"

    plan = one(ledger.all(Plan))
    assert plan.enterprise_id == enterprise(ledger, A).id
    events = ledger.all(PlanEvent)
    assert [
        (e.business_date, e.action, e.status, e.inspection, e.returned, e.planned_on)
        for e in events
    ] == [
        (D("2020-02-09"), "add", "planned", None, None, D("2020-02-10")),
        (D("2020-02-11"), "inspect", None, "failed", None, None),
        (D("2020-02-12"), "inspect", "approved", "passed", None, None),
        (D("2020-02-13"), "set", "resumed", None, 50, None),
    ]
    assert events[1].note == "消毒台账不全"
    assert [ledger.batch_of(e).by for e in events] == ["alice", cli.user, cli.user, cli.user]

    def at(day):
        return rows(cli, "plan", "--as-of", day)

    assert at("2020-02-08") == []
    planned = one(at("2020-02-10"))
    assert (planned["status"], planned["planned_on"], planned["inspection"]) == (
        "planned",
        "2020-02-10",
        None,
    )
    failed = one(at("2020-02-11"))
    assert (failed["status"], failed["inspection"], failed["inspected_on"]) == (
        "planned",
        "failed",
        "2020-02-11",
    )
    approved = one(at("2020-02-12"))
    assert (approved["status"], approved["inspection"], approved["inspected_on"]) == (
        "approved",
        "passed",
        "2020-02-12",
    )
    assert approved["resumed_on"] is None and approved["returned"] is None
    resumed = one(at("2020-02-20"))
    assert (resumed["status"], resumed["resumed_on"], resumed["returned"]) == (
        "resumed",
        "2020-02-13",
        50,
    )
    assert resumed["planned_on"] == "2020-02-10" and resumed["name"] == A
    assert resumed["district"] == "沙湾区" and resumed["above_scale"] is True

    # the table shows the Chinese labels
    lines = ok(cli("plan", "list", "--as-of", "2020-02-20")).stdout.splitlines()
    assert lines[0].split() == [
        "编号",
        "企业名称",
        "区县",
        "状态",
        "计划复产日期",
        "验收结果",
        "复产日期",
        "到岗人数",
    ]
    assert lines[2].split() == [
        str(resumed["id"]),
        A,
        "沙湾区",
        "已复产",
        "2020-02-10",
        "通过",
        "2020-02-13",
        "50",
    ]


def test_plan_add_twice_is_refused_and_set_without_change_writes_no_event(cli, ledger):
    register(cli, A)
    ok(cli("plan", "add", A, "--status", "not_stopped", "--date", "2020-02-02"))
    refused(cli, ledger, "plan", "add", A, "--status", "planned", says=["plan set"])
    before = ledger.counts()
    result = ok(cli("plan", "set", A, "--status", "未停工", "--date", "2020-02-05"))
    assert result.stdout == "" and result.stderr == "没有变化\n"
    assert ledger.counts()["plan_event"] == before["plan_event"]


def test_plan_set_creates_a_plan_and_accepts_chinese_status_words(cli, ledger):
    register(cli, A)
    result = ok(cli("plan", "set", A, "--status", "已复产", "--date", "2020-02-05"))
    assert result.stdout == f"{A}: 状态=已复产\n"
    assert one(ledger.all(PlanEvent)).status == "resumed"


def test_status_word_outside_the_vocabulary_is_refused(cli, ledger):
    register(cli, A)
    refused(
        cli,
        ledger,
        "plan",
        "add",
        A,
        "--status",
        "开工",
        says=["--status", "开工", "计划复产 (planned)"],
    )
    ok(cli("plan", "add", A, "--status", "planned", "--date", "2020-02-02"))
    refused(cli, ledger, "plan", "set", A, "--status", "reopened", says=["--status", "reopened"])
    refused(cli, ledger, "enterprise", "edit", A, "--sector", "金融", says=["--sector", "金融"])
    refused(
        cli,
        ledger,
        "problem",
        "add",
        A,
        "--category",
        "天气",
        "--text",
        "下雪",
        says=["--category", "天气"],
    )


def test_excluded_needs_a_reason(cli, ledger):
    register(cli, A)
    reason = ["--status: excluded: ", "剔除须说明原因"]
    refused(cli, ledger, "plan", "add", A, "--status", "excluded", says=reason)
    ok(cli("plan", "add", A, "--status", "planned", "--date", "2020-02-02"))
    refused(cli, ledger, "plan", "set", A, "--status", "excluded", says=reason)
    refused(cli, ledger, "plan", "set", A, "--status", "excluded", "--reason", "  ", says=reason)
    ok(cli("plan", "set", A, "--status", "剔除", "--reason", "退规", "--date", "2020-02-05"))
    excluded = one(rows(cli, "plan"))
    assert (excluded["status"], excluded["reason"]) == ("excluded", "退规")
    event = ledger.all(PlanEvent)[-1]
    assert (event.business_date, event.status, event.reason) == (
        D("2020-02-05"),
        "excluded",
        "退规",
    )


def test_returned_goes_with_resumed_only(cli, ledger):
    register(cli, A)
    ok(cli("plan", "add", A, "--status", "planned", "--date", "2020-02-02"))
    refused(
        cli,
        ledger,
        "plan",
        "set",
        A,
        "--status",
        "suspended",
        "--returned",
        "5",
        says=["--returned"],
    )


def test_inspect_needs_exactly_one_outcome(cli, ledger):
    # neither or both of --passed / --failed is a usage error: exit 2, nothing written
    register(cli, A)
    before = ledger.counts()
    for extra in ((), ("--passed", "--failed")):
        result = cli("plan", "inspect", A, *extra)
        assert result.exit_code == 2, result.stderr
        assert "--passed" in result.stderr and "--failed" in result.stderr
    assert ledger.counts() == before


def test_impossible_dates_are_refused(cli, ledger):
    register(cli, A)
    refused(
        cli,
        ledger,
        "plan",
        "add",
        A,
        "--status",
        "planned",
        "--date",
        "2020-02-30",
        says=["--date", "2020-02-30"],
    )
    refused(
        cli,
        ledger,
        "plan",
        "add",
        A,
        "--status",
        "planned",
        "--planned-on",
        "2020-02-30",
        says=["--planned-on", "2020-02-30"],
    )
    refused(
        cli,
        ledger,
        "enterprise",
        "add",
        B,
        "--district",
        "沙湾",
        "--date",
        "2020-13-01",
        says=["2020-13-01"],
    )
    refused(
        cli,
        ledger,
        "problem",
        "add",
        A,
        "--category",
        "用工",
        "--text",
        "缺工",
        "--deadline",
        "2020-02-30",
        says=["--deadline"],
    )
    refused(
        cli,
        ledger,
        "labour",
        "add",
        A,
        "--job",
        "普工",
        "--needed",
        "3",
        "--date",
        "二月",
        says=["--date"],
    )
    for ledger_cmd in ("enterprise", "plan", "problem", "labour"):
        result = cli(ledger_cmd, "list", "--as-of", "2020-02-30")
        assert result.exit_code == 1 and result.stdout == ""
        assert "--as-of" in result.stderr


def test_office_date_forms_are_accepted(cli, ledger):
    for name, typed in ((A, "2020/2/3"), (B, "2020年2月4日"), (C, "20200205")):
        register(cli, name, "沙湾", typed)
    assert [e.business_date for e in ledger.all(EnterpriseEvent)] == [
        D("2020-02-03"),
        D("2020-02-04"),
        D("2020-02-05"),
    ]


def test_back_dated_change_takes_its_place_in_time(cli, ledger):
    register(cli, A)
    ok(cli("plan", "add", A, "--status", "planned", "--date", "2020-02-10"))
    ok(cli("plan", "set", A, "--status", "resumed", "--returned", "20", "--date", "2020-02-13"))
    # recorded later, dated earlier: the inspection passed on the 12th
    ok(cli("plan", "inspect", A, "--passed", "--date", "2020-02-12"))
    events = ledger.all(PlanEvent)
    assert [e.business_date for e in events] == [D("2020-02-10"), D("2020-02-13"), D("2020-02-12")]
    assert one(rows(cli, "plan", "--as-of", "2020-02-11"))["status"] == "planned"
    assert one(rows(cli, "plan", "--as-of", "2020-02-12"))["status"] == "approved"
    now = one(rows(cli, "plan", "--as-of", "2020-02-13"))
    assert (now["status"], now["inspection"], now["inspected_on"]) == (
        "resumed",
        "passed",
        "2020-02-12",
    )
    # the log is in business-date order, not recording order
    log = json.loads(ok(cli("log", A, "--format", "json")).stdout)
    assert [e["business_date"] for e in log] == [
        "2020-02-13",
        "2020-02-12",
        "2020-02-10",
        "2020-02-01",
    ]


def test_same_day_facts_apply_in_recording_order(cli, ledger):
    register(cli, A)
    register(cli, B)
    ok(cli("plan", "add", A, "--status", "planned", "--date", "2020-02-10"))
    ok(cli("plan", "add", B, "--status", "planned", "--date", "2020-02-10"))
    # the same two facts on the same day, recorded in opposite orders
    ok(cli("plan", "set", A, "--status", "suspended", "--date", "2020-02-12"))
    ok(cli("plan", "set", A, "--status", "resumed", "--date", "2020-02-12"))
    ok(cli("plan", "set", B, "--status", "resumed", "--date", "2020-02-12"))
    ok(cli("plan", "set", B, "--status", "suspended", "--date", "2020-02-12"))
    status = {r["name"]: r["status"] for r in rows(cli, "plan", "--as-of", "2020-02-12")}
    assert status == {A: "resumed", B: "suspended"}
    status = {r["name"]: r["status"] for r in rows(cli, "plan", "--as-of", "2020-02-11")}
    assert status == {A: "planned", B: "planned"}
    # the log shows the later-recorded one first
    log = json.loads(ok(cli("log", A, "--format", "json")).stdout)
    assert [e["change"].get("status") for e in log[:2]] == ["resumed", "suspended"]


def test_enterprise_belongs_to_the_ledger_from_its_earliest_entry(cli):
    register(cli, A, "沙湾", "2020-02-10")
    ok(cli("plan", "add", A, "--status", "planned", "--date", "2020-02-03"))
    assert [r["name"] for r in rows(cli, "enterprise", "--as-of", "2020-02-03")] == [A]
    assert rows(cli, "enterprise", "--as-of", "2020-02-02") == []
    assert one(rows(cli, "plan", "--as-of", "2020-02-05", "--district", "沙湾"))["name"] == A


# --------------------------------------------------------------------------- problems


def test_problem_lifecycle_and_its_state_as_of_dates(cli, ledger):
    register(cli, A)
    result = ok(
        cli(
            "problem",
            "add",
            A,
            "--category",
            "物流",
            "--text",
            "原料运不进来",
            "--deadline",
            "2020-02-15",
            "--date",
            "2020-02-11",
        )
    )
    problem = one(ledger.all(Problem))
    pid = problem.id
    assert result.stdout == f"已登记问题 #{pid}\n"
    assert (problem.raised_on, problem.enterprise_id) == (D("2020-02-11"), enterprise(ledger, A).id)
    result = ok(
        cli("problem", "assign", str(pid), "--department", "区交通局", "--date", "2020-02-11")
    )
    assert result.stdout == f"问题 #{pid} 已交办\n"
    result = ok(
        cli("problem", "resolve", str(pid), "--note", "已协调物流公司", "--date", "2020-02-12")
    )
    assert result.stdout == f"问题 #{pid} 已办结\n"
    result = ok(
        cli("problem", "reopen", f"#{pid}", "--reason", "物流再次中断", "--date", "2020-02-14")
    )
    assert result.stdout == f"问题 #{pid} 已重新打开\n"

    events = ledger.all(ProblemEvent)
    assert [(e.business_date, e.action, e.status) for e in events] == [
        (D("2020-02-11"), "add", "open"),
        (D("2020-02-11"), "assign", None),
        (D("2020-02-12"), "resolve", "resolved"),
        (D("2020-02-14"), "reopen", "open"),
    ]
    assert (events[0].category, events[0].description, events[0].deadline) == (
        "logistics",
        "原料运不进来",
        D("2020-02-15"),
    )
    assert events[1].department == "区交通局"
    assert events[2].resolution == "已协调物流公司"
    assert events[3].reason == "物流再次中断"

    def at(day):
        return one(rows(cli, "problem", "--as-of", day))

    assert rows(cli, "problem", "--as-of", "2020-02-10") == []
    raised = at("2020-02-11")
    assert {
        k: raised[k]
        for k in (
            "status",
            "category",
            "description",
            "raised_on",
            "department",
            "deadline",
            "resolved_on",
            "overdue",
        )
    } == {
        "status": "open",
        "category": "logistics",
        "description": "原料运不进来",
        "raised_on": "2020-02-11",
        "department": "区交通局",
        "deadline": "2020-02-15",
        "resolved_on": None,
        "overdue": False,
    }
    solved = at("2020-02-13")
    assert (solved["status"], solved["resolved_on"], solved["resolution"]) == (
        "resolved",
        "2020-02-12",
        "已协调物流公司",
    )
    assert solved["overdue"] is False
    reopened = at("2020-02-15")
    assert (reopened["status"], reopened["resolved_on"], reopened["overdue"]) == (
        "open",
        None,
        False,
    )
    # open after its deadline: overdue
    assert at("2020-02-16")["overdue"] is True


def test_resolve_resolved_and_reopen_open_are_refused(cli, ledger):
    register(cli, A)
    ok(cli("problem", "add", A, "--category", "用工", "--text", "缺工", "--date", "2020-02-11"))
    pid = one(ledger.all(Problem)).id
    refused(
        cli,
        ledger,
        "problem",
        "reopen",
        str(pid),
        "--reason",
        "x",
        "--date",
        "2020-02-12",
        says=[f"#{pid}"],
    )
    ok(cli("problem", "resolve", str(pid), "--note", "已招到", "--date", "2020-02-12"))
    refused(
        cli,
        ledger,
        "problem",
        "resolve",
        str(pid),
        "--note",
        "再次",
        "--date",
        "2020-02-13",
        says=[f"#{pid}", "已办结"],
    )
    refused(cli, ledger, "problem", "resolve", "999", "--note", "x", says=["999"])
    refused(cli, ledger, "problem", "assign", "abc", "--department", "区人社局", says=["abc"])
    refused(cli, ledger, "problem", "resolve", str(pid), "--note", "  ", says=["--note"])
    # a date before the problem was raised cannot touch it
    refused(
        cli,
        ledger,
        "problem",
        "reopen",
        str(pid),
        "--reason",
        "x",
        "--date",
        "2020-02-10",
        says=["2020-02-10"],
    )


def test_problem_deadline_before_it_was_raised_is_refused(cli, ledger):
    register(cli, A)
    refused(
        cli,
        ledger,
        "problem",
        "add",
        A,
        "--category",
        "用工",
        "--text",
        "缺工",
        "--date",
        "2020-02-11",
        "--deadline",
        "2020-02-10",
        says=["2020-02-10"],
    )


# --------------------------------------------------------------------------- labour


def test_labour_demand_and_its_state_as_of_dates(cli, ledger):
    register(cli, A)
    result = ok(cli("labour", "add", A, "--job", "普工", "--needed", "30", "--date", "2020-02-11"))
    labour = one(ledger.all(Labour))
    lid = labour.id
    assert result.stdout == f"已登记用工需求 #{lid}\n"
    assert (labour.job_type, labour.raised_on) == ("general", D("2020-02-11"))
    result = ok(cli("labour", "fill", str(lid), "--count", "10", "--date", "2020-02-13"))
    assert result.stdout == f"#{lid} 已招 10 人\n"
    result = ok(cli("labour", "fill", str(lid), "--count", "５人", "--date", "2020-02-15"))
    assert result.stdout == f"#{lid} 已招 15 人\n"
    events = ledger.all(LabourEvent)
    assert [(e.business_date, e.action, e.needed, e.filled) for e in events] == [
        (D("2020-02-11"), "add", 30, 0),
        (D("2020-02-13"), "fill", None, 10),
        (D("2020-02-15"), "fill", None, 15),
    ]

    def at(day):
        found = rows(cli, "labour", "--as-of", day)
        return [(r["job_type"], r["needed"], r["filled"], r["gap"]) for r in found]

    assert at("2020-02-10") == []
    assert at("2020-02-12") == [("general", 30, 0, 30)]
    assert at("2020-02-14") == [("general", 30, 10, 20)]
    assert at("2020-02-15") == [("general", 30, 15, 15)]
    lines = ok(cli("labour", "list", "--as-of", "2020-02-14")).stdout.splitlines()
    assert lines[0].split() == ["编号", "企业名称", "区县", "工种", "需求人数", "已招人数", "缺口"]
    assert lines[2].split() == [str(lid), A, "沙湾区", "普工", "30", "10", "20"]


def test_same_day_fills_add_up_in_recording_order(cli, ledger):
    register(cli, A)
    ok(cli("labour", "add", A, "--job", "技工", "--needed", "10", "--date", "2020-02-11"))
    lid = one(ledger.all(Labour)).id
    ok(cli("labour", "fill", str(lid), "--count", "3", "--date", "2020-02-12"))
    ok(cli("labour", "fill", str(lid), "--count", "4", "--date", "2020-02-12"))
    found = one(rows(cli, "labour", "--as-of", "2020-02-12"))
    assert (found["filled"], found["gap"]) == (7, 3)


def test_back_dated_fill_adds_to_every_later_day(cli, ledger):
    """`labour fill` adds: hires recorded late for an earlier day count from that day on."""
    register(cli, A)
    ok(cli("labour", "add", A, "--job", "普工", "--needed", "30", "--date", "2020-02-11"))
    lid = one(ledger.all(Labour)).id
    ok(cli("labour", "fill", str(lid), "--count", "10", "--date", "2020-02-13"))
    # 25 more on the 12th would make 35 of 30 from the 13th on
    refused(cli, ledger, "labour", "fill", str(lid), "--count", "25", "--date", "2020-02-12")
    ok(cli("labour", "fill", str(lid), "--count", "5", "--date", "2020-02-12"))
    assert one(rows(cli, "labour", "--as-of", "2020-02-12"))["filled"] == 5
    assert one(rows(cli, "labour", "--as-of", "2020-02-13"))["filled"] == 15


def test_free_text_job_type_is_kept(cli, ledger):
    register(cli, A)
    ok(cli("labour", "add", A, "--job", "电焊工", "--needed", "4", "--date", "2020-02-11"))
    assert one(ledger.all(Labour)).job_type == "电焊工"
    assert one(rows(cli, "labour"))["job_type"] == "电焊工"


def test_filling_beyond_the_need_is_refused(cli, ledger):
    register(cli, A)
    refused(
        cli,
        ledger,
        "labour",
        "add",
        A,
        "--job",
        "普工",
        "--needed",
        "30",
        "--filled",
        "31",
        says=["31", "30"],
    )
    ok(
        cli(
            "labour",
            "add",
            A,
            "--job",
            "普工",
            "--needed",
            "30",
            "--filled",
            "25",
            "--date",
            "2020-02-11",
        )
    )
    lid = one(ledger.all(Labour)).id
    refused(
        cli,
        ledger,
        "labour",
        "fill",
        str(lid),
        "--count",
        "6",
        "--date",
        "2020-02-12",
        says=["31", "30"],
    )
    refused(cli, ledger, "labour", "fill", "999", "--count", "1", says=["999"])
    refused(cli, ledger, "labour", "add", A, "--job", "普工", "--needed", "5", says=["labour fill"])
    ok(cli("labour", "fill", str(lid), "--count", "5", "--date", "2020-02-12"))
    assert one(rows(cli, "labour"))["gap"] == 0


def test_negative_and_non_numeric_counts_are_refused(cli, ledger):
    register(cli, A)
    ok(cli("plan", "add", A, "--status", "planned", "--date", "2020-02-02"))
    refused(
        cli, ledger, "labour", "add", A, "--job", "普工", "--needed", "-5", says=["--needed", "-5"]
    )
    refused(
        cli,
        ledger,
        "labour",
        "add",
        A,
        "--job",
        "普工",
        "--needed",
        "5",
        "--filled",
        "-1",
        says=["--filled"],
    )
    refused(cli, ledger, "labour", "add", A, "--job", "普工", "--needed", "三十", says=["--needed"])
    refused(cli, ledger, "labour", "add", A, "--job", "普工", "--needed", "2.5", says=["--needed"])
    refused(
        cli,
        ledger,
        "enterprise",
        "add",
        B,
        "--district",
        "沙湾",
        "--employees",
        "-1",
        says=["--employees"],
    )
    refused(
        cli,
        ledger,
        "plan",
        "set",
        A,
        "--status",
        "resumed",
        "--returned",
        "-2",
        says=["--returned"],
    )
    ok(cli("labour", "add", A, "--job", "普工", "--needed", "5", "--date", "2020-02-11"))
    lid = one(ledger.all(Labour)).id
    refused(cli, ledger, "labour", "fill", str(lid), "--count", "-3", says=["--count", "-3"])


# --------------------------------------------------------------------------- history


def test_log_formats(cli, ledger):
    register(cli, A, "沙湾", "2020-02-01")
    ok(cli("plan", "add", A, "--status", "planned", "--date", "2020-02-05", "--by", "alice"))
    log = json.loads(ok(cli("log", "--format", "json")).stdout)
    assert len(log) == 2
    newest = log[0]
    assert newest["business_date"] == "2020-02-05"
    assert newest["by"] == "alice"
    assert newest["source"] == source(
        "plan", "add", A, "--status", "planned", "--date", "2020-02-05", "--by", "alice"
    )
    assert newest["record"] == "plan"
    assert newest["change"] == {"status": "planned"}
    recorded = datetime.fromisoformat(newest["recorded_at"])
    assert recorded.tzinfo is not None
    assert log[1]["change"]["district"] == "沙湾区"

    result = ok(cli("log", "--format", "csv"))
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["business_date"] for r in table] == ["2020-02-05", "2020-02-01"]
    assert [r["by"] for r in table] == ["alice", cli.user]
    assert table[0]["source"] == newest["source"]

    lines = ok(cli("log")).stdout.splitlines()
    assert lines[0].split()[:4] == ["业务日期", "记录时间", "记录人", "来源"]
    assert lines[2].startswith("2020-02-05") and "alice" in lines[2]
    assert newest["source"] in lines[2]


def test_issue_scenario_three_enterprises_of_shawan(cli, ledger):
    """The issue's story: every step shows in the log with its date, who and source."""
    steps = []

    def step(by, *argv):
        result = ok(cli(*argv, "--by", by))
        steps.append((argv, by))
        return result

    step(
        "zhang",
        "enterprise",
        "add",
        A,
        "--district",
        "沙湾",
        "--above-scale",
        "--date",
        "2020-02-01",
    )
    step(
        "zhang",
        "enterprise",
        "add",
        B,
        "--district",
        "沙湾",
        "--above-scale",
        "--date",
        "2020-02-01",
    )
    step("zhang", "enterprise", "add", C, "--district", "沙湾区", "--date", "2020-02-01")
    step(
        "li",
        "plan",
        "add",
        A,
        "--status",
        "planned",
        "--planned-on",
        "2020-02-12",
        "--date",
        "2020-02-10",
    )
    step(
        "wang",
        "problem",
        "add",
        A,
        "--category",
        "防疫物资",
        "--text",
        "缺口罩",
        "--department",
        "区经信局",
        "--deadline",
        "2020-02-14",
        "--date",
        "2020-02-11",
    )
    pid = one(ledger.all(Problem)).id
    step("wang", "problem", "resolve", str(pid), "--note", "调配口罩2000只", "--date", "2020-02-12")
    step("li", "plan", "inspect", A, "--passed", "--date", "2020-02-12")
    step("li", "plan", "set", A, "--status", "resumed", "--returned", "50", "--date", "2020-02-13")
    step("zhao", "labour", "add", A, "--job", "普工", "--needed", "30", "--date", "2020-02-12")
    lid = one(ledger.all(Labour)).id
    step("zhao", "labour", "fill", str(lid), "--count", "10", "--date", "2020-02-13")

    def dated(argv):
        return argv[argv.index("--date") + 1]

    # newest business date first; the same day, the later recorded first
    newest_first = [
        step
        for _n, step in sorted(enumerate(steps), key=lambda s: (dated(s[1][0]), s[0]), reverse=True)
    ]
    expected = [(dated(argv), by, source(*argv, "--by", by)) for argv, by in newest_first]
    log = json.loads(ok(cli("log", "--format", "json")).stdout)
    assert [(e["business_date"], e["by"], e["source"]) for e in log] == expected
    assert [e["record"] for e in log] == [argv[0] for argv, _by in newest_first]
    changes = {e["source"]: e["change"] for e in log}
    assert changes[source(*steps[7][0], "--by", "li")] == {"status": "resumed", "returned": 50}
    assert changes[source(*steps[6][0], "--by", "li")] == {
        "status": "approved",
        "inspection": "passed",
    }
    assert changes[source(*steps[9][0], "--by", "zhao")] == {"filled": 10}

    # the table shows the same: date, who and the command on each line
    lines = ok(cli("log")).stdout.splitlines()[2:]
    assert len(lines) == len(expected)
    for line, (day, by, src) in zip(lines, expected, strict=True):
        assert line.startswith(day)
        assert f" {by} " in line and src in line

    # one enterprise's history
    log_a = json.loads(ok(cli("log", A, "--format", "json")).stdout)
    assert len(log_a) == len(expected) - 2
    assert {e["enterprise"] for e in log_a} == {A}

    # the state after the story
    plan = one(rows(cli, "plan", "--district", "沙湾", "--as-of", "2020-02-13"))
    assert (plan["status"], plan["inspected_on"], plan["resumed_on"], plan["returned"]) == (
        "resumed",
        "2020-02-12",
        "2020-02-13",
        50,
    )
    problem = one(rows(cli, "problem", "--as-of", "2020-02-13"))
    assert (problem["status"], problem["resolved_on"]) == ("resolved", "2020-02-12")
    labour = one(rows(cli, "labour", "--as-of", "2020-02-13"))
    assert (labour["needed"], labour["filled"], labour["gap"]) == (30, 10, 20)
    assert [r["name"] for r in rows(cli, "enterprise", "--district", "沙湾")] == [A, B, C]


# --------------------------------------------------------------------------- init, db path


def _described(db_url: str) -> str:
    return db_url if "://" in db_url else str(Path(db_url).absolute())


def test_init_and_db_path(cli, db_url, ledger):
    register(cli, A)
    before = ledger.counts()
    result = ok(cli("init"))
    assert result.stdout == ""
    assert result.stderr == f"账本已就绪: {_described(db_url)}\n"
    assert ledger.counts() == before
    result = ok(cli("db", "path"))
    assert result.stdout == f"{_described(db_url)}\n"


def test_init_sample_is_refused_when_the_ledger_holds_enterprises(cli, ledger):
    register(cli, A)
    before = ledger.counts()
    result = cli("init", "--sample")
    assert result.exit_code == 1, result.stderr
    assert "错误: " in result.stderr
    assert ledger.counts() == before


def test_init_sample_loads_the_sample_ledger(cli, ledger):
    ok(cli("init", "--sample"))
    assert len(ledger.all(Enterprise)) > 0
    assert len(rows(cli, "enterprise")) == len(ledger.all(Enterprise))


# --------------------------------------------------------------------------- the app itself

RECORDING = {
    ("enterprise", "add"),
    ("enterprise", "edit"),
    ("plan", "add"),
    ("plan", "set"),
    ("plan", "inspect"),
    ("problem", "add"),
    ("problem", "assign"),
    ("problem", "resolve"),
    ("problem", "reopen"),
    ("labour", "add"),
    ("labour", "fill"),
}


def _commands(command, path=()):
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


def test_every_command_has_help_and_recording_commands_take_date_and_by():
    from fugong.cli import app

    root = typer.main.get_command(app)
    found = dict(_commands(root))
    for path in (
        *RECORDING,
        ("enterprise", "list"),
        ("enterprise", "show"),
        ("plan", "list"),
        ("problem", "list"),
        ("labour", "list"),
        ("log",),
        ("init",),
        ("db", "path"),
    ):
        assert path in found, f"fugong {' '.join(path)} is missing"
    lacking = [" ".join(p) for p, c in found.items() if p and not (c.help or "").strip()]
    assert lacking == [], f"commands without help: {lacking}"
    for path in RECORDING:
        options = {o for p in found[path].params for o in getattr(p, "opts", [])}
        assert {"--date", "--by", "--db"} <= options, path


@pytest.mark.parametrize(
    "path",
    [(), ("enterprise",), ("plan", "add"), ("problem", "resolve"), ("labour", "fill"), ("log",)],
)
def test_help_is_printed(path, bare_cli):
    result = bare_cli(*path, "--help")
    assert result.exit_code == 0
    assert "用法: fugong" in result.stdout  # Chinese first (SPEC "Command line": language)
    english = bare_cli(*path, "--help", env={"FUGONG_LANG": "en"})
    assert english.exit_code == 0 and "Usage: fugong" in english.stdout


def _has_chinese(text: str | None) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text or "")


def test_every_command_and_option_has_chinese_help_without_type_metavars(bare_cli):
    from fugong.cli import app

    found = dict(_commands(typer.main.get_command(app)))
    english_only = []
    for path, command in found.items():
        if path and not _has_chinese(command.help):
            english_only.append(" ".join(path))
        for param in command.params:
            if getattr(param, "help", None) and not _has_chinese(param.help):
                english_only.append(f"{' '.join(path)} {param.opts[0]}")
    assert english_only == [], f"help without Chinese: {english_only}"
    for path in found:
        shown = bare_cli(*path, "--help")
        assert shown.exit_code == 0, path
        assert not re.search(r"<(str|int|path|bool|text|float|integer)>", shown.stdout), (
            path,
            shown.stdout,
        )


@pytest.mark.parametrize("columns", ["80", "100"])
def test_lists_of_commands_are_whole_on_a_terminal(columns, bare_cli):
    """What a person reads must be whole: no command's line in a help's list ends
    in "…" (rich cut `backup`'s "copy of" to "copy o…" at 80 columns)."""
    from fugong.cli import app

    groups = [p for p, c in _commands(typer.main.get_command(app)) if hasattr(c, "commands")]
    for path in groups:
        shown = bare_cli(*path, "--help", env={"COLUMNS": columns})
        assert shown.exit_code == 0, path
        cut = [line for line in shown.stdout.splitlines() if re.search(r"…\s*│", line)]
        assert cut == [], (path, cut)
