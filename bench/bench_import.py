"""Issue 4: `fugong import plans` of a 300k-row office sheet against a plain-Python floor.

Generates the sheet (Chinese headers, mixed date forms, 是/否), then in one run:
- floor: csv module + one executemany of the raw rows into one table (bench/floor.py);
- fugong import plans on an empty ledger, 300k rows and 30k rows;
and prints wall-time ratio, peak RSS, and RSS at 300k relative to 30k; then, as a
second floor, the time of writing exactly the rows the import wrote (schema_floor.py).

Usage: python bench/bench_import.py [--rows 300000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from common import HERE, OUT, fugong, measure, verdict


def sheet(rows: int) -> str:
    path = OUT / f"plans-{rows}.csv"
    if not path.exists():
        subprocess.run(
            [sys.executable, str(HERE / "gen_plans.py"), str(rows), str(path)], check=True
        )
    return str(path)


def ledger(name: str) -> str:
    path = OUT / name
    for suffix in ("", "-wal", "-shm"):
        (OUT / f"{name}{suffix}").unlink(missing_ok=True)
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    big, small = sheet(args.rows), sheet(args.rows // 10)
    exe = fugong()
    floor_wall, floor_rss = measure(
        [sys.executable, str(HERE / "floor.py"), big, ledger("floor.db")]
    )
    cmd = [exe, "import", "plans", big, "--db", ledger("big.db"), "--date", "2020-02-14"]
    wall, rss = measure(cmd)
    small_cmd = [exe, "import", "plans", small, "--db", ledger("small.db"), "--date", "2020-02-14"]
    small_wall, small_rss = measure(small_cmd)
    again_wall, _ = measure(cmd[:4] + ["--db", str(OUT / "big.db"), "--date", "2020-02-14"])
    empty = ledger("schema-floor.db")
    subprocess.run([exe, "init", "--db", empty], check=True, capture_output=True)
    written = subprocess.run(
        [sys.executable, str(HERE / "schema_floor.py"), str(OUT / "big.db"), empty],
        check=True,
        capture_output=True,
        text=True,
    )
    schema_wall = float(written.stdout)
    ratio = wall / floor_wall
    print(f"rows: {args.rows}")
    print(f"floor (csv + executemany): {floor_wall:.2f} s, {floor_rss / 1024:.0f} MB")
    print(f"fugong import (empty ledger): {wall:.2f} s, peak RSS {rss / 1024:.0f} MB")
    print(f"ratio to floor: {ratio:.2f}x (target <= 3x: {verdict(ratio, 3.0)})")
    print(f"peak RSS: {rss / 1024:.0f} MB (target <= 150 MB: {verdict(rss / 1024 / 150, 1.0)})")
    growth = rss / small_rss
    print(
        f"RSS at {args.rows // 10} rows: {small_rss / 1024:.0f} MB ({small_wall:.2f} s); "
        f"{args.rows} / {args.rows // 10}: {growth:.2f} (target <= 1.2: {verdict(growth, 1.2)})"
    )
    print(f"same sheet again (records nothing): {again_wall:.2f} s")
    print(
        f"writing what the import wrote, nothing else (schema_floor.py): {schema_wall:.2f} s "
        f"= {schema_wall / floor_wall:.2f}x the floor; the import is "
        f"{wall / schema_wall:.2f}x that"
    )


if __name__ == "__main__":
    main()
