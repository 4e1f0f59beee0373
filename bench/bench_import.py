"""Issues 4 and 18: `fugong import plans` of a 300k-row office sheet against floors.

Generates the sheet (Chinese headers, mixed date forms, 是/否), then in one run
(medians of alternating runs):
- raw floor: csv module + one executemany of the raw rows into one table (floor.py);
- first import on an empty ledger vs the raw floor, and vs the composite floor: the
  raw floor plus a native INSERT … SELECT of exactly the rows the import left
  (schema_floor.py --native; issue 18 bound <= 2x);
- the same sheet imported again, recording nothing (the daily case), as of the same
  day and of the next, vs the raw floor (issue 18 bound <= 4x); with --pg URL also
  on PostgreSQL;
- peak RSS at 300k and at 30k rows (issue 4: <= 150 MB, growth <= 1.2), and of the
  first import of the same 300k rows shuffled: an office's sheet in no particular order,
  whose names and USCCs land all over the indexes (the generated sheet's go in nearly
  in index order).

Usage: python bench/bench_import.py [--rows 300000] [--runs 3] [--pg postgresql://…/db]
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import subprocess
import sys
from pathlib import Path

from common import HERE, OUT, alternate, fugong, measure, verdict


def sheet(rows: int) -> str:
    path = OUT / f"plans-{rows}.csv"
    if not path.exists():
        subprocess.run(
            [sys.executable, str(HERE / "gen_plans.py"), str(rows), str(path)], check=True
        )
    return str(path)


def shuffled(path: str) -> str:
    """The sheet's rows in a random (fixed) order, header first."""
    out = OUT / f"shuffled-{Path(path).name}"
    if not out.exists():
        with open(path, encoding="utf-8-sig", newline="") as handle:
            header, *rows = list(csv.reader(handle))
        random.Random(18).shuffle(rows)
        with open(out, "w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerows([header, *rows])
    return str(out)


def ledger(name: str) -> str:
    path = OUT / name
    for suffix in ("", "-wal", "-shm"):
        (OUT / f"{name}{suffix}").unlink(missing_ok=True)
    return str(path)


def fresh_ledger(exe: str, name: str) -> str:
    path = ledger(name)
    subprocess.run([exe, "init", "--db", path], check=True, capture_output=True)
    return path


def fresh_pg(exe: str, url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    subprocess.run([exe, "init", "--db", url], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg", help="a PostgreSQL database to reset and use (its tables go)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    big, small = sheet(args.rows), sheet(args.rows // 10)
    exe = fugong()
    floor = [sys.executable, str(HERE / "floor.py"), big, str(OUT / "floor.db")]

    def run_floor() -> float:
        ledger("floor.db")
        return measure(floor)[0]

    def import_cmd(db: str, path: str = big, day: str = "2020-02-14") -> list[str]:
        return [exe, "import", "plans", path, "--db", db, "--date", day]

    # first import on an empty ledger, alternating with the floor
    floors, firsts, rss = [], [], 0
    for _ in range(args.runs):
        floors.append(run_floor())
        wall, rss = measure(import_cmd(fresh_ledger(exe, "big.db")))
        firsts.append(wall)
    floor_wall, first = statistics.median(floors), statistics.median(firsts)
    # the composite floor: the rows the import left, written by the database itself
    native = []
    for _ in range(args.runs):
        done = subprocess.run(
            [
                sys.executable,
                str(HERE / "schema_floor.py"),
                "--native",
                str(OUT / "big.db"),
                fresh_ledger(exe, "schema-floor.db"),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        native.append(float(done.stdout))
    composite = floor_wall + statistics.median(native)
    # the same sheet again: records nothing
    floor_again, again = alternate(floor, import_cmd(str(OUT / "big.db")), args.runs)
    # and as of the next day (the office's next morning)
    floor_next, next_day = alternate(
        floor, import_cmd(str(OUT / "big.db"), day="2020-02-15"), args.runs
    )
    small_wall, small_rss = measure(import_cmd(fresh_ledger(exe, "small.db"), small))
    mixed_wall, mixed_rss = measure(import_cmd(fresh_ledger(exe, "shuffled.db"), shuffled(big)))

    print(f"rows: {args.rows}; medians of {args.runs} alternating runs")
    print(f"raw floor (csv + executemany): {floor_wall:.2f} s")
    print(
        f"first import (empty ledger): {first:.2f} s = {first / floor_wall:.2f}x the raw floor; "
        f"composite floor (raw + native INSERT … SELECT of its rows) {composite:.2f} s: "
        f"{first / composite:.2f}x (target <= 2x: {verdict(first / composite, 2.0)})"
    )
    ratio = again / floor_again
    print(
        f"same sheet again (records nothing): {again:.2f} s vs raw floor {floor_again:.2f} s "
        f"= {ratio:.2f}x (target <= 4x: {verdict(ratio, 4.0)}); "
        f"{again / first:.2f}x the first import"
    )
    ratio = next_day / floor_next
    print(
        f"same sheet the next day (records nothing): {next_day:.2f} s vs raw floor "
        f"{floor_next:.2f} s = {ratio:.2f}x (target <= 4x: {verdict(ratio, 4.0)})"
    )
    print(f"peak RSS: {rss / 1024:.0f} MB (target <= 150 MB: {verdict(rss / 1024 / 150, 1.0)})")
    growth = rss / small_rss
    print(
        f"RSS at {args.rows // 10} rows: {small_rss / 1024:.0f} MB ({small_wall:.2f} s); "
        f"{args.rows} / {args.rows // 10}: {growth:.2f} (target <= 1.2: {verdict(growth, 1.2)})"
    )
    print(
        f"peak RSS, the same rows shuffled: {mixed_rss / 1024:.0f} MB ({mixed_wall:.2f} s) "
        f"(target <= 150 MB: {verdict(mixed_rss / 1024 / 150, 1.0)})"
    )
    if args.pg:
        fresh_pg(exe, args.pg)
        pg_first, _ = measure(import_cmd(args.pg))
        pg_floor, pg_again = alternate(floor, import_cmd(args.pg), args.runs)
        print(
            f"PostgreSQL: first import {pg_first:.2f} s; again {pg_again:.2f} s "
            f"= {pg_again / pg_floor:.2f}x the raw floor ({pg_floor:.2f} s) "
            f"(target <= 4x: {verdict(pg_again / pg_floor, 4.0)})"
        )


if __name__ == "__main__":
    main()
