"""Issue 7: reports on a synthetic city ledger of 100k enterprises against the sample ledger.

Builds (once, cached in bench/out/) a city ledger: 100k enterprises over the 11
districts, about three history entries each (registration, plan, a status
change), plus problems and labour demand, through `fugong import`.  Then, in
one run, times the city report and a district report as of a past date on it
and on the sample ledger (medians of alternating runs), with peak RSS.

Usage: python bench/bench_scale.py [--enterprises 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys

from common import HERE, OUT, alternate, fugong, measure, verdict


def build_city(exe: str, count: int) -> str:
    db = OUT / f"city-{count}.db"
    if db.exists():
        return str(db)
    plans = OUT / f"city-plans-{count}.csv"
    subprocess.run([sys.executable, str(HERE / "gen_plans.py"), str(count), str(plans)], check=True)
    rng = random.Random(11)
    problems = OUT / f"city-problems-{count}.csv"
    labour = OUT / f"city-labour-{count}.csv"
    names = []
    with open(plans, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            names.append((row["企业名称"], row["县(市、区)"]))
    with open(problems, "w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(
            [
                "企业名称",
                "所属区县",
                "问题类别",
                "问题描述",
                "提出日期",
                "办理时限",
                "办理状态",
                "办结日期",
            ]
        )
        for i, (name, district) in enumerate(rng.sample(names, count // 5)):
            raised = rng.randrange(3, 12)
            solved = i % 3 != 0
            out.writerow(
                [
                    name,
                    district,
                    rng.choice(["用工", "物流运输", "资金融资"]),
                    f"问题{i}",
                    f"2020-02-{raised:02d}",
                    f"2020-02-{raised + 4:02d}",
                    "已办结" if solved else "办理中",
                    f"2020-02-{raised + 2:02d}" if solved else "",
                ]
            )
    with open(labour, "w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["企业名称", "所属区县", "工种", "需求人数", "已招人数", "登记日期"])
        for name, district in rng.sample(names, count // 5):
            needed = rng.randrange(5, 60)
            out.writerow(
                [
                    name,
                    district,
                    "普工",
                    needed,
                    rng.randrange(0, needed),
                    f"2020-02-{rng.randrange(3, 12):02d}",
                ]
            )
    partial = str(db) + ".part"
    if os.path.exists(partial):
        os.remove(partial)  # a build cut short: start again
    measure([exe, "init", "--db", partial])  # only init creates a ledger
    for ledger, sheet, day in (
        ("plans", plans, "2020-02-07"),
        ("problems", problems, "2020-02-14"),
        ("labour", labour, "2020-02-14"),
    ):
        measure([exe, "import", ledger, str(sheet), "--db", partial, "--date", day])
    (OUT / (db.name + ".part")).rename(db)
    return str(db)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    exe = fugong()
    sample = OUT / "scale-sample.db"
    if not sample.exists():
        measure([exe, "init", "--sample", "--db", str(sample)])
    city = build_city(exe, args.enterprises)
    for label, extra in (("city report", []), ("district report", ["--district", "沙湾"])):
        argv = [exe, "report", "--as-of", "2020-02-12", "--format", "json", *extra]
        big, small = alternate(argv + ["--db", city], argv + ["--db", str(sample)], args.runs)
        _wall, rss = measure(argv + ["--db", city])
        ratio = big / small
        print(
            f"{label} as of a past date: {big:.3f} s on {args.enterprises} enterprises vs "
            f"{small:.3f} s on the sample = {ratio:.2f}x (bound 1.5x: {verdict(ratio, 1.5)}); "
            f"peak RSS {rss / 1024:.0f} MB (bound 150 MB: {verdict(rss / 1024 / 150, 1.0)})"
        )


if __name__ == "__main__":
    main()
