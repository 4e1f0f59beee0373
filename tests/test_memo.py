"""The sheet memo (memo.py): a sheet sent again passes its unchanged rows by, and
decides nothing the rules would not.

The contract is SPEC "CSV / spreadsheet import" (a row that says what the ledger
holds records nothing) and "History": the memo may only skip work.  So each
scenario here is run twice through the real CLI, once with the memo and once with
the rules deciding every row (importer.MEMO_WAY off), and everything a user can
see must be the same: every command's exit code and output, the whole history,
and the exports as of several days.  The scenarios mix the daily re-import (same
and other dates, reordered, duplicated, partly changed sheets) with what makes a
remembered row wrong: commands changing the enterprise or its plan before or
after the sheet's date, renames and a new enterprise taking the old name, merges,
undo, rows refused with --skip-invalid.  The memo must also be used: the runs
count the rows it passed by.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

import fugong.importer
import fugong.memo
from fugong.ingest import Sheet
from fugong.memo import Memo

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc(first17: str) -> str:
    """A valid USCC (GB 32100-2015), computed here independently of fugong."""
    total = sum(USCC_CHARSET.index(c) * 3**i for i, c in enumerate(first17))
    return first17 + USCC_CHARSET[(31 - total % 31) % 31]


# (USCC or "", name, district): the enterprises the sheets and commands name
POOL = [
    (uscc("91511100MA6000001"), "甲公司", "沙湾区"),
    (uscc("91511100MA6000002"), "乙公司", "沙湾区"),
    (uscc("91511100MA6000003"), "丙公司", "市中区"),
    ("", "丁公司", "沙湾区"),
    ("", "戊公司", "市中区"),
    ("", "己公司", "沙湾区"),
]
HEADER = "uscc,name,district,employees,status,planned_on,resumed_on,returned,reason\n"
DATES = [f"2020-02-{day:02d}" for day in (8, 10, 12, 14, 16, 18)]


@pytest.fixture
def hits(monkeypatch) -> list[int]:
    """How many rows the memo passed by, per import (a spy on Memo.passed)."""
    counted: list[int] = []
    passed = Memo.passed

    def spy(self, *args, **kwargs):
        found = passed(self, *args, **kwargs)
        counted.append(len(found))
        return found

    monkeypatch.setattr(Memo, "passed", spy)
    return counted


def plan_row(rng: random.Random, who: tuple[str, str, str]) -> str:
    code, name, district = who
    employees = rng.choice(["", "50", "80"])
    status = rng.choice(["计划复产", "计划复产", "已复产", "未停工", "暂缓", "剔除", ""])
    planned = resumed = returned = reason = ""
    if status == "计划复产":
        planned = rng.choice(["2020-02-12", "2020-02-20"])
    elif status == "已复产":
        resumed = rng.choice(["", "2020-02-11"])
        returned = rng.choice(["", "30"])
    elif status == "剔除":
        reason = "退规"
    fields = [code, name, district, employees, status, planned, resumed, returned, reason]
    return ",".join(fields) + "\n"


def enterprise_row(rng: random.Random, who: tuple[str, str, str]) -> str:
    code, name, district = who
    return f"{code},{name},{district},{rng.choice(['', '50', '80'])}\n"


def scenario(rng: random.Random, folder: Path) -> list[tuple]:
    """The steps of one random scenario: ("import", layout, file, date, options) or
    ("command", argv); "undo" takes back the newest batch in the history."""
    folder.mkdir()
    base = {"plans": [plan_row(rng, who) for who in POOL]}
    base["enterprises"] = [enterprise_row(rng, who) for who in POOL]
    steps: list[tuple] = []
    last = None
    for i in range(12):
        if i < 2 or rng.random() < 0.6:
            layout = "plans" if rng.random() < 0.8 else "enterprises"
            rows = list(base[layout])
            make = plan_row if layout == "plans" else enterprise_row
            options: list[str] = []
            change = rng.random()
            if change < 0.3:  # a row changed, and kept in the next day's sheet
                k = rng.randrange(len(rows))
                rows[k] = make(rng, POOL[k])
                if rng.random() < 0.5:
                    base[layout] = list(rows)
            elif change < 0.4:  # an earlier row repeated further down, changed
                k = rng.randrange(len(rows))
                rows.append(make(rng, POOL[k]))
            elif change < 0.5:
                rng.shuffle(rows)
            elif change < 0.6 and layout == "plans":  # a row refused, the rest imported
                rows.insert(rng.randrange(len(rows)), "庚公司,沙湾区,,计划复产,,,5,\n")
                options = ["--skip-invalid"]
            header = HEADER if layout == "plans" else HEADER.split(",employees")[0] + ",employees\n"
            path = folder / f"{i}.csv"
            path.write_text(header + "".join(rows), encoding="utf-8")
            # offices resend mostly as of the same or the next day
            day = last if last and rng.random() < 0.5 else rng.choice(DATES)
            last = day
            steps.append(("import", layout, str(path), day, options))
            continue
        _code, name, _district = rng.choice(POOL)
        day = ["--date", rng.choice(DATES)]
        keep = ["--plan", rng.choice(["kept", "merged"])]
        plan_set = ["plan", "set", name, "--status"]
        steps.append(
            rng.choice(
                [
                    (
                        "command",
                        [*plan_set, "已复产", "--returned", "20", *day],
                    ),
                    ("command", [*plan_set, "暂缓", *day]),
                    ("command", [*plan_set, "计划复产", *day]),
                    ("command", ["enterprise", "edit", name, "--employees", "99", *day]),
                    ("command", ["enterprise", "edit", name, "--name", name + "新", *day]),
                    ("command", ["enterprise", "add", name, "--district", "沙湾", *day]),
                    ("command", ["enterprise", "merge", name, "--into", POOL[0][1], *day]),
                    ("command", ["enterprise", "merge", name, "--into", POOL[1][1], *keep, *day]),
                    ("undo",),
                ]
            )
        )
    # and the day's sheet twice, as of the last day: the daily case
    path = folder / "last.csv"
    path.write_text(HEADER + "".join(base["plans"]), encoding="utf-8")
    steps += [("import", "plans", str(path), DATES[-1], [])] * 2
    return steps


def run(
    cli, steps: list[tuple], rng: random.Random | None = None, ledgers=("enterprises", "plans")
) -> tuple[list, list, list]:
    """What a user sees of the steps: each step's outcome, the history, the exports
    of `ledgers`.  A step ("undo-any",) undoes a batch `rng` picks."""
    seen = []
    for step in steps:
        if step[0] == "import":
            _kind, layout, path, day, options = step
            result = cli("import", layout, path, "--date", day, *options)
        elif step[0] == "command":
            result = cli(*step[1])
        else:
            history = json.loads(cli("log", "--format", "json").stdout)
            if not history:
                continue
            pick = history[0] if step[0] == "undo" else rng.choice(history)  # type: ignore[union-attr]
            result = cli("undo", str(pick["batch"]))
        seen.append((step, result.exit_code, result.stdout, result.stderr.replace(cli.db, "DB")))
    history = json.loads(cli("log", "--format", "json").stdout)
    for entry in history:
        del entry["recorded_at"]
    exports = [
        cli("export", ledger, "--format", "json", "--as-of", day).stdout
        for ledger in ledgers
        for day in ("2020-02-09", "2020-02-13", "2020-02-17", "2020-02-25")
    ]
    return seen, history, exports


# more scenarios: FUGONG_TEST_MEMO_SCENARIOS=500 (each takes about a second)
SCENARIOS = int(os.environ.get("FUGONG_TEST_MEMO_SCENARIOS", "6"))


@pytest.mark.parametrize("seed", range(SCENARIOS))
def test_the_memo_decides_as_the_rules_do(
    seed, cli, db_url, other_db_url, tmp_path, monkeypatch, hits
):
    steps = scenario(random.Random(seed), tmp_path / "sheets")
    if seed % 2:  # sheets read two rows a block: rows of earlier blocks change later ones
        blocks = Sheet.blocks
        monkeypatch.setattr(Sheet, "blocks", lambda sheet, size=2: blocks(sheet, size))
    with_memo = run(cli, steps)
    monkeypatch.setattr(fugong.importer, "MEMO_WAY", False)
    by_rules = run(type(cli)(other_db_url), steps)
    assert len(with_memo[0]) == len(by_rules[0])
    for step_memo, step_rules in zip(with_memo[0], by_rules[0], strict=True):
        assert step_memo == step_rules
    assert with_memo[1] == by_rules[1]  # the same history
    assert with_memo[2] == by_rules[2]  # the same ledger on every day
    assert sum(hits) >= 1, "the memo passed no row by: the scenario tried nothing"


def daily_sheet(folder: Path) -> Path:
    """A plan sheet naming every enterprise of POOL, each planned for 2020-02-20."""
    rows = [
        f"{code},{name},{district},50,计划复产,2020-02-20,,,\n" for code, name, district in POOL
    ]
    path = folder / "daily.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def test_a_command_between_imports_sends_only_its_records_through_the_rules(cli, tmp_path, hits):
    sheet = str(daily_sheet(tmp_path))
    assert cli("import", "plans", sheet, "--date", "2020-02-14").exit_code == 0
    assert cli("import", "plans", sheet, "--date", "2020-02-16").exit_code == 0
    assert hits[-1] == len(POOL)  # the daily case: every row passed by

    assert cli("plan", "set", "乙公司", "--status", "暂缓", "--date", "2020-02-15").exit_code == 0
    again = cli("import", "plans", sheet, "--date", "2020-02-16")
    assert again.exit_code == 0
    assert "变更: 复产计划 1; 无变化行: 5" in again.stdout + again.stderr
    assert hits[-1] == len(POOL) - 1  # 乙公司's row went through the rules
    plans = cli("plan", "list", "--format", "json").stdout
    assert {plan["name"]: plan["status"] for plan in json.loads(plans)}["乙公司"] == "planned"

    assert cli("import", "plans", sheet, "--date", "2020-02-16").exit_code == 0
    assert hits[-1] == len(POOL)  # remembered again


def test_a_memo_without_its_mark_is_not_trusted(cli, tmp_path, hits):
    """A ledger whose memo rows were written without the mark (an older fugong)
    re-checks every row once, then passes them by again."""
    sheet = str(daily_sheet(tmp_path))
    assert cli("import", "plans", sheet, "--date", "2020-02-14").exit_code == 0
    from sqlalchemy import create_engine, text

    engine = create_engine(cli.db if "://" in cli.db else f"sqlite:///{cli.db}")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM sheet_memo WHERE layout = ''"))
    engine.dispose()
    assert cli("import", "plans", sheet, "--date", "2020-02-14").exit_code == 0
    assert hits[-1] == 0
    assert cli("import", "plans", sheet, "--date", "2020-02-14").exit_code == 0
    assert hits[-1] == len(POOL)


def test_rows_looked_up_before_the_memo_stops_reading_go_by_what_the_block_touched(
    cli, other_db_url, tmp_path, monkeypatch, hits
):
    """Past TOUCHED_LIMIT records sent through the rules, the memo stops looking rows
    up; a row it looked up in that block still goes through the rules when a row of
    the block named its record (found by a former name here), as without the memo."""
    code, name, district = POOL[0]
    folder = tmp_path / "sheets"
    folder.mkdir()
    first, renamed, sheet = (folder / f"{n}.csv" for n in ("first", "renamed", "sheet"))
    first.write_text(HEADER + f"{code},{name},{district},50,计划复产,2020-02-20,,,\n", "utf-8")
    kept = f"{code},{name}新,{district},50,计划复产,2020-02-20,,,\n"
    renamed.write_text(HEADER + kept, "utf-8")
    # line 2 names it by its former name (the rules), line 3 as remembered (the memo)
    sheet.write_text(HEADER + f",{name},{district},60,计划复产,2020-02-20,,,\n" + kept, "utf-8")
    steps = [
        ("import", "plans", str(first), "2020-02-14", []),
        ("command", ["enterprise", "edit", name, "--name", name + "新", "--date", "2020-02-14"]),
        ("import", "plans", str(renamed), "2020-02-14", []),
        ("import", "plans", str(sheet), "2020-02-14", ["--skip-invalid"]),
    ]
    monkeypatch.setattr(fugong.memo, "TOUCHED_LIMIT", 0)  # the first record touched
    with_memo = run(cli, steps)
    assert hits[-1] == 1  # line 3 was looked up
    monkeypatch.setattr(fugong.importer, "MEMO_WAY", False)
    by_rules = run(type(cli)(other_db_url), steps)
    said = with_memo[0][-1][3]  # (stderr) line 3 refused for line 2's record
    assert "sheet.csv:3: " in said and "与第 2 行是同一企业" in said, said
    assert with_memo == by_rules
