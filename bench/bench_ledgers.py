"""The problems and labour sheets of a city: imported onto a 300k-enterprise ledger.

No issue names a bound for these; the script guards against what the read model's
fold once cost them (a batch of 100k labour demands took 65 s, most of it one
statement computing the same subquery again per segment).  It makes (or reuses) the
ledger bench_import.py leaves after a first import of its plan sheet, derives from
that sheet a labour sheet (one demand for every third enterprise) and a problems
sheet (one for every sixth), and times, on copies of the ledger:
- the first import of each vs the raw floor (floor.py) on the same file;
- the same sheet again (records nothing; these layouts have no sheet memo);
- peak RSS.

Usage: python bench/bench_ledgers.py [--rows 300000]
"""

from __future__ import annotations

import argparse
import csv
import random
import sqlite3
import subprocess
import sys

from bench_import import sheet as plan_sheet
from common import HERE, OUT, fugong, measure

JOBS = ("普工", "技工", "工程师")
CATEGORIES = ("用工", "资金融资", "原材料供应")


def derive(plans: str, labour: str, problems: str) -> dict[str, int]:
    """Labour and problems sheets naming the plan sheet's enterprises as it does;
    returns their rows."""
    made = {"labour": 0, "problems": 0}
    rng = random.Random(2)
    with (
        open(plans, encoding="utf-8-sig", newline="") as source,
        open(labour, "w", encoding="utf-8-sig", newline="") as lab,
        open(problems, "w", encoding="utf-8-sig", newline="") as prob,
    ):
        rows = csv.reader(source)
        head = next(rows)
        at = [head.index(c) for c in ("统一社会信用代码", "企业名称", "县(市、区)")]
        lab_out, prob_out = csv.writer(lab), csv.writer(prob)
        lab_out.writerow([*(head[i] for i in at), "工种", "需求人数", "已招人数", "登记日期"])
        prob_out.writerow(
            [*(head[i] for i in at), "问题类别", "问题描述", "提出日期", "主办单位", "办理状态"]
        )
        for n, row in enumerate(rows):
            names = [row[i] for i in at]
            day = f"2020-02-1{rng.randint(0, 4)}"
            if n % 3 == 0:
                needed = rng.randint(1, 50)
                filled = rng.randint(0, needed)
                lab_out.writerow([*names, rng.choice(JOBS), needed, filled, day])
                made["labour"] += 1
            if n % 6 == 0:
                status = rng.choice(("办理中", "办理中", "已办结"))
                what = f"缺少{rng.choice(('口罩', '工人', '资金'))}{n}"
                prob_out.writerow([*names, rng.choice(CATEGORIES), what, day, "经信局", status])
                made["problems"] += 1
    return made


def copy(source, target) -> None:
    """A SQLite ledger copied whole (its WAL too), over whatever `target` held."""
    for suffix in ("", "-wal", "-shm"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    exe = fugong()
    plans = plan_sheet(args.rows)
    base = OUT / f"ledger-{args.rows}.db"
    if not base.exists():
        scratch = OUT / "ledger-making.db"
        for suffix in ("", "-wal", "-shm"):
            (OUT / f"ledger-making.db{suffix}").unlink(missing_ok=True)
        subprocess.run([exe, "init", "--db", str(scratch)], check=True, capture_output=True)
        subprocess.run(
            [exe, "import", "plans", str(plans), "--db", str(scratch), "--date", "2020-02-14"],
            check=True,
            capture_output=True,
        )
        copy(scratch, base)
    labour, problems = OUT / "labour-derived.csv", OUT / "problems-derived.csv"
    made = derive(str(plans), str(labour), str(problems))
    print(f"ledger: {args.rows} enterprises with plans (bench_import.py's sheet)")
    for layout, sheet in (("labour", labour), ("problems", problems)):
        rows = made[layout]
        floor, _ = measure(
            [sys.executable, str(HERE / "floor.py"), str(sheet), str(OUT / "floor.db")]
        )
        db = OUT / f"ledger-{layout}.db"
        copy(base, db)
        cmd = [exe, "import", layout, str(sheet), "--db", str(db), "--date", "2020-02-15"]
        first, rss = measure(cmd)
        again, _ = measure(cmd)
        print(
            f"{layout}: {rows} rows; raw floor {floor:.2f} s; first import {first:.2f} s "
            f"= {first / floor:.1f}x; again (records nothing) {again:.2f} s "
            f"= {again / floor:.1f}x; peak RSS {rss / 1024:.0f} MB"
        )


if __name__ == "__main__":
    main()
