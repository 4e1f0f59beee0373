"""Issue 15: workbooks against CSV — import 100k plan rows, export 100k plans.

In one run, alternately (medians of --runs pairs, after a warm-up pair):
- `fugong import plans` of the office CSV sheet (bench/gen_plans.py) and of its
  .xlsx twin (bench/gen_workbook.py: the same rows, typed as a workbook holds
  them), each into a fresh empty ledger;  target: xlsx <= 1.5x CSV;
- `fugong export plans -o FILE.csv` and `-o FILE.xlsx` of the ledger that import
  made;  target: xlsx <= 2x CSV;
and the peak RSS of every workbook run (target <= 150 MB).

Usage: python bench/bench_workbook.py [--rows 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys

from common import HERE, OUT, fugong, measure, verdict


def made(script: str, rows: int, suffix: str) -> str:
    path = OUT / f"plans-{rows}{suffix}"
    if not path.exists():
        subprocess.run([sys.executable, str(HERE / script), str(rows), str(path)], check=True)
    return str(path)


def fresh(template: str, name: str) -> str:
    for suffix in ("", "-wal", "-shm"):
        (OUT / f"{name}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, OUT / name)
    return str(OUT / name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    sheet = made("gen_plans.py", args.rows, ".csv")
    book = made("gen_workbook.py", args.rows, ".xlsx")
    exe = fugong()
    empty = str(OUT / "wb-empty.db")
    for suffix in ("", "-wal", "-shm"):
        (OUT / f"wb-empty.db{suffix}").unlink(missing_ok=True)
    subprocess.run([exe, "init", "--db", empty], check=True, capture_output=True)

    def run_import(source: str) -> tuple[float, int]:
        db = fresh(empty, "wb-import.db")
        return measure([exe, "import", "plans", source, "--db", db, "--date", "2020-02-14"])

    run_import(sheet), run_import(book)  # warm-up
    csv_in, xlsx_in, rss_in = [], [], []
    for _ in range(args.runs):
        csv_in.append(run_import(sheet)[0])
        wall, rss = run_import(book)
        xlsx_in.append(wall)
        rss_in.append(rss)

    ledger = fresh(str(OUT / "wb-import.db"), "wb-export.db")

    def run_export(suffix: str) -> tuple[float, int]:
        return measure([exe, "export", "plans", "--db", ledger, "-o", str(OUT / f"export{suffix}")])

    run_export(".csv"), run_export(".xlsx")  # warm-up
    csv_out, xlsx_out, rss_out, rss_csv_out = [], [], [], []
    for _ in range(args.runs):
        wall, rss = run_export(".csv")
        csv_out.append(wall)
        rss_csv_out.append(rss)
        wall, rss = run_export(".xlsx")
        xlsx_out.append(wall)
        rss_out.append(rss)

    m = statistics.median
    ratio_in = m(xlsx_in) / m(csv_in)
    ratio_out = m(xlsx_out) / m(csv_out)
    peak_in, peak_out = max(rss_in) / 1024, max(rss_out) / 1024
    print(f"rows: {args.rows}, runs: {args.runs} (medians)")
    print(
        f"import CSV:  {m(csv_in):.2f} s;  "
        f"import .xlsx: {m(xlsx_in):.2f} s, peak RSS {peak_in:.0f} MB"
    )
    print(f"import ratio: {ratio_in:.2f}x (target <= 1.5x: {verdict(ratio_in, 1.5)})")
    print(
        f"export CSV:  {m(csv_out):.2f} s (peak RSS {max(rss_csv_out) / 1024:.0f} MB);  "
        f"export .xlsx: {m(xlsx_out):.2f} s, peak RSS {peak_out:.0f} MB"
    )
    print(f"export ratio: {ratio_out:.2f}x (target <= 2x: {verdict(ratio_out, 2.0)})")
    for what, peak in (("import .xlsx", peak_in), ("export .xlsx", peak_out)):
        print(f"{what} peak RSS: {peak:.0f} MB (target <= 150 MB: {verdict(peak / 150, 1.0)})")


if __name__ == "__main__":
    main()
