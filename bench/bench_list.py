"""Issue 7: `fugong plan list` of 10k rows as a table against the same list as CSV.

Usage: python bench/bench_list.py [--rows 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from common import HERE, OUT, alternate, fugong, measure, verdict


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    exe = fugong()
    db = OUT / f"list-{args.rows}.db"
    if not db.exists():
        sheet = OUT / f"plans-{args.rows}.csv"
        subprocess.run(
            [sys.executable, str(HERE / "gen_plans.py"), str(args.rows), str(sheet)], check=True
        )
        measure([exe, "import", "plans", str(sheet), "--db", str(db), "--date", "2020-02-14"])
    base = [exe, "plan", "list", "--db", str(db), "--as-of", "2020-02-14"]
    table, csv_ = alternate(base, base + ["--format", "csv"], args.runs)
    ratio = table / csv_
    print(
        f"plan list of {args.rows} rows: table {table:.3f} s vs csv {csv_:.3f} s = {ratio:.2f}x "
        f"(bound 2x: {verdict(ratio, 2.0)})"
    )


if __name__ == "__main__":
    main()
