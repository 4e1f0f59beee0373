"""Commands and sheets follow the same rules, in the same words (SPEC "CSV / spreadsheet
import": a row is refused exactly when the same change typed as a command would be).

Each case sets up two ledgers alike, makes one change through a recording command
on the first and through a one-row sheet on the second, and asserts that both
recorded the same events (business dates and fields), or that both refused with
the same reason.  Then: the held-out-style sheets of one district imported, and
imported again in every order, change nothing; errors of reading and of the rules
come out together, each with the value as the sheet has it.
"""

from __future__ import annotations

import itertools
import json
import re
import shlex
from datetime import timedelta
from pathlib import Path

import pytest

from fugong import clock

SETUP = [
    "enterprise add 甲公司 --district 沙湾 --above-scale --employees 80 --date 2020-02-01",
    "plan add 甲公司 --status planned --planned-on 2020-02-12 --date 2020-02-03",
    "enterprise add 丙公司 --district 沙湾 --date 2020-02-01",
    "plan add 丙公司 --status excluded --reason 退规 --date 2020-02-03",
    "problem add 甲公司 --category 物流 --text 原料运不进 --date 2020-02-05",
    "labour add 甲公司 --job 普工 --needed 30 --filled 5 --date 2020-02-04",
]
FUTURE = (clock.today() + timedelta(days=3)).isoformat()

# (name, command, layout, sheet text, sheet --date)
CASES = [
    (
        "excluded without a reason",
        "plan set 甲公司 --status 剔除 --date 2020-02-10",
        "plans",
        "企业名称,区县,复产状态\n甲公司,沙湾,剔除\n",
        "2020-02-10",
    ),
    (
        "excluded with its reason",
        "plan set 甲公司 --status 剔除 --reason 注销 --date 2020-02-10",
        "plans",
        "企业名称,区县,复产状态,原因\n甲公司,沙湾,剔除,注销\n",
        "2020-02-10",
    ),
    (
        "returned without a resumption",
        "plan set 甲公司 --status planned --returned 5 --date 2020-02-10",
        "plans",
        "企业名称,区县,复产状态,到岗人数\n甲公司,沙湾,计划复产,5\n",
        "2020-02-10",
    ),
    (
        "resumed with the workers back",
        "plan set 甲公司 --status 已复产 --returned 50 --date 2020-02-13",
        "plans",
        "企业名称,区县,复产状态,到岗人数\n甲公司,沙湾,已复产,50\n",
        "2020-02-13",
    ),
    (
        "resumed on its own date",
        "plan set 甲公司 --status resumed --returned 50 --date 2020-02-13",
        "plans",
        "企业名称,区县,复产状态,复产日期,到岗人数\n甲公司,沙湾,已复产,2020-02-13,50\n",
        "2020-02-20",
    ),
    (
        "an inspection passed approves",
        "plan inspect 甲公司 --passed --date 2020-02-11",
        "plans",
        "企业名称,区县,验收结果,验收日期\n甲公司,沙湾,通过,2020-02-11\n",
        "2020-02-14",
    ),
    (
        "an inspection failed keeps it planned",
        "plan inspect 甲公司 --failed --date 2020-02-11",
        "plans",
        "企业名称,区县,验收结果\n甲公司,沙湾,未通过\n",
        "2020-02-11",
    ),
    (
        "an excluded enterprise is not inspected",
        "plan inspect 丙公司 --passed --date 2020-02-11",
        "plans",
        "企业名称,区县,验收结果\n丙公司,沙湾,通过\n",
        "2020-02-11",
    ),
    (
        "a business date after today",
        f"plan set 甲公司 --status resumed --date {FUTURE}",
        "plans",
        f"企业名称,区县,复产状态,复产日期\n甲公司,沙湾,已复产,{FUTURE}\n",
        "2020-02-14",
    ),
    (
        "an attribute from its date on",
        "enterprise edit 甲公司 --employees 95 --not-above-scale --date 2020-02-15",
        "enterprises",
        "企业名称,区县,职工总数,是否规上\n甲公司,沙湾,95,否\n",
        "2020-02-15",
    ),
    (
        "a name of digits only",
        "enterprise add 0004 --district 沙湾 --date 2020-02-01",
        "enterprises",
        "企业名称,区县\n0004,沙湾\n",
        "2020-02-01",
    ),
    (
        "a name with an escape sequence",
        "enterprise add 乙\x1b[2J公司 --district 沙湾 --date 2020-02-01",
        "enterprises",
        "企业名称,区县\n乙\x1b[2J公司,沙湾\n",
        "2020-02-01",
    ),
    (
        "an enterprise in the city itself",
        "enterprise add 丁公司 --district 乐山市 --date 2020-02-01",
        "enterprises",
        "企业名称,区县\n丁公司,乐山市\n",
        "2020-02-01",
    ),
    (
        "a new enterprise",
        "enterprise add 丁公司 --district 五通桥 --sector 工业 --above-scale --date 2020-02-02",
        "enterprises",
        "企业名称,区县,企业类型,是否规上\n丁公司,五通桥,工业,是\n",
        "2020-02-02",
    ),
    (
        "a deadline before the problem was raised",
        "problem add 甲公司 --category 用工 --text 缺工 --deadline 2020-02-05 --date 2020-02-08",
        "problems",
        "企业名称,区县,问题类别,问题描述,提出日期,办理时限\n甲公司,沙湾,用工,缺工,2020-02-08,2020-02-05\n",
        "2020-02-08",
    ),
    (
        "a change dated before the problem was raised",
        "problem assign 1 --department 区交通局 --date 2020-02-03",
        "problems",
        "企业名称,区县,问题类别,问题描述,提出日期,责任单位\n"
        "甲公司,沙湾,物流,原料运不进,2020-02-05,区交通局\n",
        "2020-02-03",
    ),
    (
        "a problem resolved",
        "problem resolve 1 --note 已协调 --date 2020-02-09",
        "problems",
        "企业名称,区县,问题描述,提出日期,办理状态,办结日期,办理结果\n"
        "甲公司,沙湾,原料运不进,2020-02-05,已办结,2020-02-09,已协调\n",
        "2020-02-12",
    ),
    (
        "a new problem",
        "problem add 甲公司 --category 资金 --text 贷款难 --department 区金融局 --date 2020-02-07",
        "problems",
        "企业名称,区县,问题类别,问题描述,责任单位\n甲公司,沙湾,资金,贷款难,区金融局\n",
        "2020-02-07",
    ),
    (
        "more hired than needed",
        "labour add 甲公司 --job 技工 --needed 5 --filled 8 --date 2020-02-06",
        "labour",
        "企业名称,区县,工种,需求人数,已招人数\n甲公司,沙湾,技工,5,8\n",
        "2020-02-06",
    ),
    (
        "a new labour demand",
        "labour add 甲公司 --job 技工 --needed 12 --filled 2 --date 2020-02-06",
        "labour",
        "企业名称,区县,工种,需求人数,已招人数\n甲公司,沙湾,技工,12,2\n",
        "2020-02-06",
    ),
]

COMMAND_REASON = re.compile(r"^错误: (?:[^:]+: [^:\n]*: )?(.*)$", re.M)


def _ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def _setup(cli, db: str) -> None:
    for line in SETUP:
        _ok(cli(*shlex.split(line), "--db", db))


def _last_batch(cli, db: str) -> list[tuple]:
    entries = json.loads(_ok(cli("log", "--format", "json", "--db", db)).stdout)
    last = max(e["batch"] for e in entries)
    return sorted(
        (e["record"], e["business_date"], json.dumps(e["change"], sort_keys=True))
        for e in entries
        if e["batch"] == last
    )


def _sheet_reasons(stderr: str, path: str) -> list[str]:
    found = re.findall(rf"^{re.escape(path)}:\d+: [^:]+: [^:\n]*: (.*)$", stderr, re.M)
    return found


@pytest.mark.parametrize(
    ("command", "layout", "text", "day"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_a_command_and_a_one_row_sheet_record_the_same_or_refuse_alike(
    cli, db_url, other_db_url, tmp_path, command, layout, text, day
):
    _setup(cli, db_url)
    _setup(cli, other_db_url)
    before = _last_batch(cli, db_url)
    typed = cli(*shlex.split(command), "--db", db_url)
    path = tmp_path / "row.csv"
    path.write_text(text, encoding="utf-8")
    imported = cli("import", layout, str(path), "--date", day, "--db", other_db_url)
    if typed.exit_code == 0:
        assert imported.exit_code == 0, imported.stderr
        assert _last_batch(cli, db_url) != before, "the command recorded nothing"
        assert _last_batch(cli, db_url) == _last_batch(cli, other_db_url)
    else:
        assert typed.exit_code == 1, typed.stderr
        assert imported.exit_code == 1, imported.stderr
        said = COMMAND_REASON.findall(typed.stderr)
        assert said and said[0], typed.stderr
        assert _sheet_reasons(imported.stderr, str(path)) == [said[0]], (
            typed.stderr,
            imported.stderr,
        )
        assert _last_batch(cli, db_url) == before == _last_batch(cli, other_db_url)


# --------------------------------------------------------------------------- re-imports

PLANS_0210 = (
    "统一社会信用代码,企业名称,所属区县,是否规上,职工总数,复产状态,计划复产日期,验收日期,验收结果,复产日期,到岗人数\n"
    ",甲公司,沙湾,是,80,计划复产,2020-02-12,,,,\n"
    ",乙公司,沙湾,是,40,未停工,,2020-02-08,通过,,\n"
    ",丙公司,沙湾,是,60,计划复产,2020-02-14,,,,\n"
)
PLANS_0220 = (
    "统一社会信用代码,企业名称,所属区县,是否规上,职工总数,复产状态,计划复产日期,验收日期,验收结果,复产日期,到岗人数\n"
    ",甲公司,沙湾,是,82,已复产,2020-02-12,2020-02-09,通过,2020-02-10,60\n"
    ",乙公司,沙湾,是,40,未停工,,2020-02-08,通过,,\n"
    ",丙公司,沙湾,是,60,暂缓,2020-02-14,,,,\n"
)
PROBLEMS_0214 = (
    "问题编号,企业名称,所属区县,问题类别,问题描述,提出日期,责任单位,办理状态,办结日期,办理结果\n"
    "P1,甲公司,沙湾,物流,原料运不进,2020-02-06,区交通局,已办结,2020-02-09,已协调\n"
    "P2,丙公司,沙湾,资金,贷款难,2020-02-07,区金融局,办理中,,\n"
)
LABOUR_0214 = (
    "企业名称,所属区县,工种,需求人数,已招人数,登记日期\n甲公司,沙湾,普工,30,12,2020-02-05\n"
)
SHEETS = [
    ("plans", "p0210.csv", PLANS_0210, "2020-02-10"),
    ("plans", "p0220.csv", PLANS_0220, "2020-02-20"),
    ("problems", "q0214.csv", PROBLEMS_0214, "2020-02-14"),
    ("labour", "l0214.csv", LABOUR_0214, "2020-02-14"),
]


def _events(ledger) -> dict[str, int]:
    return {k: v for k, v in ledger.counts().items()}


def test_sheets_imported_again_in_any_order_change_nothing(cli, ledger, tmp_path):
    paths = []
    for layout, name, text, day in SHEETS:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        paths.append((layout, str(path), day))
    for layout, path, day in paths:
        _ok(cli("import", layout, path, "--date", day))
    held = _events(ledger)
    report = _ok(cli("report", "--district", "沙湾", "--as-of", "2020-02-20", "--format", "json"))
    for order in itertools.permutations(paths):
        for layout, path, day in order:
            again = _ok(cli("import", layout, path, "--date", day))
            assert "无新内容" in again.stderr, again.stderr
        assert _events(ledger) == held, order
    after = _ok(cli("report", "--district", "沙湾", "--as-of", "2020-02-20", "--format", "json"))
    assert json.loads(after.stdout)["plans"] == json.loads(report.stdout)["plans"]
    # the older sheet said 甲 was planned on 2020-02-10; the newer one that it resumed
    # that very day: re-importing the older one does not roll the resumption back
    plans = {p["name"]: p for p in json.loads(_ok(cli("plan", "list", "--format", "json")).stdout)}
    assert (plans["甲公司"]["status"], plans["甲公司"]["resumed_on"]) == ("resumed", "2020-02-10")
    again = _ok(cli("import", "plans", paths[0][1], "--date", "2020-02-10"))
    assert "所填值已被同日更晚记录改过的行 (未重复登记; 如需改回请用登记命令): 1" in again.stderr


def test_the_sample_sheets_imported_again_change_nothing(cli, ledger):
    from importlib import resources

    _ok(cli("init", "--sample"))
    held = _events(ledger)
    folder = resources.files("fugong.data.sample")
    manifest = (folder / "manifest.csv").read_text(encoding="utf-8").splitlines()[1:]
    entries = [line.split(",") for line in manifest]
    for order in itertools.permutations(entries):
        for file, layout, day in order:
            with resources.as_file(folder / file) as path:
                _ok(cli("import", layout, str(path), "--date", day))
        assert _events(ledger) == held


# --------------------------------------------------------------------------- errors


def test_reading_and_rule_errors_come_out_together_with_the_value_as_typed(cli, ledger, tmp_path):
    _setup(cli, cli.db)
    path = tmp_path / "both.csv"
    path.write_text(
        "企业名称,区县,复产状态,复产日期,原因\n"
        "乙公司,沙湾,计划复产,2020-02-31,\n"  # 2: a date that does not read
        "甲公司,沙湾,剔除,,\n"  # 3: excluded without a reason (a rule)
        "丁公司,沙湾,计划复产,,\n",  # 4: fine
        encoding="utf-8",
    )
    before = ledger.counts()
    result = cli("import", "plans", str(path), "--date", "2020-02-10")
    assert result.exit_code == 1
    assert ledger.counts() == before
    lines = [x for x in result.stderr.splitlines() if x.startswith(str(path))]
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith(f"{path}:2: 复产日期: 2020-02-31: ")
    assert lines[1].startswith(f"{path}:3: 复产状态: 剔除: 剔除须说明原因")


def test_a_sheet_dated_before_a_problem_was_raised_is_refused(cli, ledger, tmp_path):
    _setup(cli, cli.db)
    path = tmp_path / "p.csv"
    path.write_text(
        "问题编号,企业名称,区县,问题类别,问题描述,提出日期,责任单位\n"
        ",甲公司,沙湾,物流,原料运不进,2020-02-05,区经信局\n",
        encoding="utf-8",
    )
    before = ledger.counts()
    result = cli("import", "problems", str(path), "--date", "2020-02-03")
    assert result.exit_code == 1
    assert "早于问题的提出日期" in result.stderr
    assert ledger.counts() == before
    report = json.loads(
        _ok(cli("report", "--district", "沙湾", "--as-of", "2020-02-03", "--format", "json")).stdout
    )
    assert report["problems"]["raised"] == 0


def test_future_business_dates_are_refused(cli, ledger, tmp_path):
    _setup(cli, cli.db)
    before = ledger.counts()
    result = cli("plan", "set", "甲公司", "--status", "resumed", "--date", FUTURE)
    assert result.exit_code == 1 and "晚于今天" in result.stderr
    path = Path(tmp_path / "p.csv")
    path.write_text("企业名称,区县,复产状态\n甲公司,沙湾,已复产\n", encoding="utf-8")
    result = cli("import", "plans", str(path), "--date", FUTURE)
    assert result.exit_code == 1 and "晚于今天" in result.stderr
    assert ledger.counts() == before


def test_a_command_that_changes_nothing_records_no_batch(cli, ledger):
    _setup(cli, cli.db)
    before = ledger.counts()
    result = cli("plan", "set", "甲公司", "--status", "planned", "--date", "2020-02-05")
    assert result.exit_code == 0 and "没有变化" in result.stderr
    result = cli("enterprise", "edit", "甲公司", "--employees", "80", "--date", "2020-02-05")
    assert result.exit_code == 0 and "没有变化" in result.stderr
    assert ledger.counts() == before
    result = cli("labour", "fill", "1", "--count", "0", "--date", "2020-02-06")
    assert result.exit_code == 1
    assert ledger.counts() == before
