"""Issue 7: reports on a synthetic city ledger of 100k enterprises against the sample ledger.

Builds (once, cached in bench/out/) a city ledger: 100k enterprises over the 11
districts, about three history entries each (registration, plan, a status
change), plus problems and labour demand, through `fugong import`.  Then, in
one run, times the city report and a district report as of a past date on it
and on the sample ledger (medians of alternating runs), with peak RSS.

Also (issue 18) the peak RSS of `plan list --district 沙湾` on that ledger, and, given
two empty PostgreSQL databases, the same reports on PostgreSQL (the city's sheets
against the sample ledger, both on the server).

Usage: python bench/bench_scale.py [--enterprises 100000] [--runs 5]
           [--pg-city postgresql://postgres@127.0.0.1/bench_city
            --pg-sample postgresql://postgres@127.0.0.1/bench_sample]
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


def report_ratios(
    exe: str, city: str, sample: str, count: int, runs: int, backend: str
) -> dict[str, float]:
    """The report ratios; returns the sample's seconds per report."""
    baseline = {}
    for label, extra in (("city report", []), ("district report", ["--district", "沙湾"])):
        argv = [exe, "report", "--as-of", "2020-02-12", "--format", "json", *extra]
        big, small = alternate(argv + ["--db", city], argv + ["--db", sample], runs)
        _wall, rss = measure(argv + ["--db", city])
        ratio = big / small
        baseline[label] = small
        print(
            f"{backend}: {label} as of a past date: {big:.3f} s on {count} enterprises vs "
            f"{small:.3f} s on the sample = {ratio:.2f}x (bound 1.5x: {verdict(ratio, 1.5)}); "
            f"peak RSS {rss / 1024:.0f} MB (bound 150 MB: {verdict(rss / 1024 / 150, 1.0)})"
        )
    return baseline


# one as-of fold of one field: the latest event of each record dated <= the day, read
# from the as-of index alone (no row, no batch, no second field)
FOLD = (
    "SELECT count(*) FROM (SELECT {rid}, row_number() OVER (PARTITION BY {rid} "
    "ORDER BY business_date DESC, id DESC) AS rn FROM {table} "
    "WHERE business_date <= '2020-02-12') WHERE rn = 1"
)
EVENT_TABLES = {
    "enterprise_event": "enterprise_id",
    "plan_event": "plan_id",
    "problem_event": "problem_id",
    "labour_event": "labour_id",
}


def history_floor(city: str, sample_city_report: float, runs: int) -> None:
    """What a city report computed from the history at report time could not go below:
    folding each event table once, for one field, in SQLite itself (no Python).  The
    bound leaves half the sample's report for all the city adds: why a report as known
    now reads the read model the writer keeps (src/fugong/readmodel.py) instead, and
    only a report `--known-at` an earlier moment folds the history."""
    import sqlite3
    import time

    conn = sqlite3.connect(city)
    conn.execute("PRAGMA cache_size = -16384")  # as fugong (src/fugong/db.py)
    fold = 0.0
    for table, rid in EVENT_TABLES.items():
        seconds = []
        for _ in range(runs):
            start = time.perf_counter()
            conn.execute(FOLD.format(rid=rid, table=table)).fetchone()
            seconds.append(time.perf_counter() - start)
        fold += min(seconds)
    conn.close()
    budget = 0.5 * sample_city_report
    print(
        f"SQLite: one as-of fold of each event table (one field, index only): {fold:.3f} s; "
        f"the 1.5x bound leaves {budget:.3f} s for all the city adds, and a report folds "
        f"about ten fields when it folds the history (--known-at an earlier moment): "
        f"{fold / budget:.2f}x that budget for one field alone"
    )


def list_rss(exe: str, city: str, count: int) -> None:
    """Issue 18: a list must not hold the city to show a district."""
    argv = [exe, "plan", "list", "--district", "沙湾", "--as-of", "2020-02-12", "--db", city]
    shown = subprocess.run(
        [*argv, "--format", "csv"], capture_output=True, check=True
    ).stdout.count(b"\n")
    for fmt in ("table", "csv", "json"):
        wall, rss = measure([*argv, "--format", fmt])
        print(
            f"plan list --district 沙湾 --format {fmt} ({shown - 1} rows of {count}): "
            f"{wall:.3f} s, peak RSS {rss / 1024:.0f} MB "
            f"(bound 120 MB: {verdict(rss / 1024 / 120, 1.0)})"
        )


def pg_ledger(exe: str, url: str, count: int | None) -> None:
    """Load the sample (count None) or the city's sheets into an empty PostgreSQL
    database, unless it holds enterprises already."""
    probe = subprocess.run(
        [exe, "enterprise", "list", "--format", "csv", "--db", url], capture_output=True
    )
    if probe.returncode == 0 and probe.stdout.count(b"\n") > 1:
        return
    if count is None:
        measure([exe, "init", "--sample", "--db", url])
        return
    measure([exe, "init", "--db", url])
    for ledger, sheet, day in (
        ("plans", OUT / f"city-plans-{count}.csv", "2020-02-07"),
        ("problems", OUT / f"city-problems-{count}.csv", "2020-02-14"),
        ("labour", OUT / f"city-labour-{count}.csv", "2020-02-14"),
    ):
        measure([exe, "import", ledger, str(sheet), "--db", url, "--date", day])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--pg-city",
        metavar="URL",
        help="also on PostgreSQL: an empty database (createdb) for the city's sheets",
    )
    parser.add_argument(
        "--pg-sample", metavar="URL", help="… and one for the sample ledger (the baseline)"
    )
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    exe = fugong()
    sample = OUT / "scale-sample.db"
    if not sample.exists():
        measure([exe, "init", "--sample", "--db", str(sample)])
    city = build_city(exe, args.enterprises)
    baseline = report_ratios(exe, city, str(sample), args.enterprises, args.runs, "SQLite")
    history_floor(city, baseline["city report"], args.runs)
    list_rss(exe, city, args.enterprises)
    if args.pg_city and args.pg_sample:
        pg_ledger(exe, args.pg_city, args.enterprises)
        pg_ledger(exe, args.pg_sample, None)
        report_ratios(exe, args.pg_city, args.pg_sample, args.enterprises, args.runs, "PostgreSQL")


if __name__ == "__main__":
    main()
