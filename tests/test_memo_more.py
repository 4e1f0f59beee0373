"""More random scenarios for the sheet memo (memo.py), memo on against memo off.

test_memo.py's scenarios change plan and enterprise sheets between commands;
these add what its mark (memo.py: "nothing recorded since" kept for the whole
table) must also see: problems, labour and enterprises imports between plan
imports, rows naming an enterprise by a new name, without its USCC or with
another's, `enterprise edit --uscc/--district`, renames back and forth, merges of
renamed enterprises, undo of any batch (not only the newest), refused imports
(rolled back), --skip-invalid and --dry-run, and sheets read 1, 2 or 3 rows a
block.  Everything a user sees must be the same both ways.  (Written by an
independent review of the mark; it found no difference in 420 SQLite and 120
PostgreSQL scenarios.)
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from test_memo import DATES, HEADER, POOL, run, uscc

import fugong.importer
from fugong.ingest import Sheet

OTHER_USCC = uscc("91511100MA6000009")
LEDGERS = ("enterprises", "plans", "problems", "labour")
HEADERS = {
    "plans": HEADER,
    "enterprises": "uscc,name,district,employees,sector\n",
    "problems": "uscc,name,district,category,description,raised_on,status\n",
    "labour": "uscc,name,district,job_type,needed,filled\n",
}


def named(rng: random.Random, who: tuple[str, str, str]) -> list[str]:
    """How a row names an enterprise: as it is, by a new name, without its USCC,
    or with another's."""
    code, name, district = who
    draw = rng.random()
    if draw < 0.15:
        name += "新"
    elif draw < 0.25 and code:
        code = ""
    elif draw < 0.3:
        code = rng.choice(["", OTHER_USCC])
    return [code, name, district]


def row(rng: random.Random, layout: str, who: tuple[str, str, str]) -> str:
    cells = named(rng, who)
    if layout == "plans":
        status = rng.choice(["计划复产", "计划复产", "已复产", "未停工", "暂缓", "剔除", ""])
        planned = resumed = returned = reason = ""
        if status == "计划复产":
            planned = rng.choice(["2020-02-12", "2020-02-20"])
        elif status == "已复产":
            resumed = rng.choice(["", "2020-02-11", "2020-02-15"])
            returned = rng.choice(["", "30"])
        elif status == "剔除":
            reason = "退规"
        employees = rng.choice(["", "50", "80"])
        cells += [employees, status, planned, resumed, returned, reason]
    elif layout == "enterprises":
        cells += [rng.choice(["", "50", "80"]), rng.choice(["", "工业", "服务业"])]
    elif layout == "problems":
        status = rng.choice(["办理中", "已办结", ""])
        cells += ["资金", f"贷款难{rng.randrange(2)}", "2020-02-09", status]
    else:
        cells += ["普工", rng.choice(["10", "20"]), rng.choice(["", "5"])]
    return ",".join(cells) + "\n"


def scenario(rng: random.Random, folder: Path) -> list[tuple]:
    """Steps as test_memo.scenario gives them, and ("undo-any",): undo any batch."""
    folder.mkdir()
    base = {layout: [row(rng, layout, who) for who in POOL] for layout in ("plans", "enterprises")}
    steps: list[tuple] = []
    last = None
    for i in range(16):
        if i < 2 or rng.random() < 0.6:
            layout = rng.choices(list(HEADERS), [6, 2, 1, 1])[0]
            rows = list(base.get(layout) or [row(rng, layout, w) for w in rng.sample(POOL, 3)])
            options: list[str] = []
            change = rng.random()
            if change < 0.3:  # a row changed, and perhaps kept in the next day's sheet
                k = rng.randrange(len(rows))
                rows[k] = row(rng, layout, POOL[k % len(POOL)])
                if rng.random() < 0.5 and layout in base:
                    base[layout] = list(rows)
            elif change < 0.4:  # a row repeated somewhere, perhaps changed
                k = rng.randrange(len(rows))
                rows.insert(rng.randrange(len(rows) + 1), row(rng, layout, POOL[k % len(POOL)]))
            elif change < 0.5:
                rng.shuffle(rows)
            elif change < 0.65 and layout == "plans":  # a refused row: all refused, or skipped
                rows.insert(rng.randrange(len(rows) + 1), ",庚公司,沙湾区,,计划复产,,,5,\n")
                options = rng.choice([["--skip-invalid"], [], ["--skip-invalid"]])
            if rng.random() < 0.1:
                options = [*options, "--dry-run"]
            path = folder / f"{i}.csv"
            path.write_text(HEADERS[layout] + "".join(rows), encoding="utf-8")
            day = last if last and rng.random() < 0.5 else rng.choice(DATES)
            last = day
            steps.append(("import", layout, str(path), day, options))
            continue
        _code, name, district = rng.choice(POOL)
        day = ["--date", rng.choice(DATES)]
        keep = ["--plan", rng.choice(["kept", "merged"])]
        plan_set = ["plan", "set", name, "--status"]
        other = rng.choice(POOL)
        commands = [
            [*plan_set, "已复产", "--returned", "20", *day],
            [*plan_set, "暂缓", *day],
            [*plan_set, "计划复产", "--planned", "2020-02-20", *day],
            ["enterprise", "edit", name, "--employees", "99", *day],
            ["enterprise", "edit", name, "--name", name + "新", *day],
            ["enterprise", "edit", name + "新", "--name", name, *day],
            ["enterprise", "edit", name, "--uscc", OTHER_USCC, *day],
            ["enterprise", "edit", name, "--district", other[2], *day],
            ["enterprise", "add", name, "--district", district, *day],
            ["enterprise", "add", name + "新", "--district", district, *day],
            ["enterprise", "merge", name, "--into", other[1], *keep, *day],
            ["enterprise", "merge", name + "新", "--into", other[1], *keep, *day],
        ]
        steps.append(rng.choice([*[("command", c) for c in commands], ("undo",), ("undo-any",)]))
    path = folder / "last.csv"
    path.write_text(HEADER + "".join(base["plans"]), encoding="utf-8")
    steps += [("import", "plans", str(path), DATES[-1], [])] * 2  # the daily case
    return steps


# more: FUGONG_TEST_MEMO_MORE=200 (each takes one to two seconds)
SCENARIOS = int(os.environ.get("FUGONG_TEST_MEMO_MORE", "4"))


@pytest.mark.parametrize("seed", range(SCENARIOS))
def test_the_memo_decides_as_the_rules_do_among_other_writes(
    seed, cli, other_db_url, tmp_path, monkeypatch
):
    steps = scenario(random.Random(seed), tmp_path / "sheets")
    size = [None, 1, 2, 3][seed % 4]
    if size:  # rows of earlier blocks change later ones
        blocks = Sheet.blocks
        monkeypatch.setattr(Sheet, "blocks", lambda sheet, size=size: blocks(sheet, size))
    with_memo = run(cli, steps, random.Random(seed + 1), LEDGERS)
    monkeypatch.setattr(fugong.importer, "MEMO_WAY", False)
    by_rules = run(type(cli)(other_db_url), steps, random.Random(seed + 1), LEDGERS)
    assert len(with_memo[0]) == len(by_rules[0])
    for step_memo, step_rules in zip(with_memo[0], by_rules[0], strict=True):
        assert step_memo == step_rules
    assert with_memo[1] == by_rules[1]  # the same history
    assert with_memo[2] == by_rules[2]  # the same ledgers on every day
    # (not every scenario lets the memo pass a row by; test_memo.py checks it does)
