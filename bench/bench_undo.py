"""Issue 11: `fugong undo` of a large import, against the import itself.

Imports an office-style plan sheet into an empty ledger, then takes the import
back, and prints undo / import (bound: 1.5x).  SQLite with 300k rows by default;
`--pg URL` runs the same on PostgreSQL (70k rows by default there: the old undo
failed at 70k rows on PostgreSQL with "number of parameters must be between 0
and 65535", and at 250k on SQLite with "too many SQL variables").

Usage: python bench/bench_undo.py [--rows 300000] [--pg postgresql://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from bench_import import ledger, sheet
from common import OUT, fugong, measure, verdict


def fresh_pg(url: str) -> str:
    """A new empty database beside the one the URL names (dropped first if it exists)."""
    import psycopg

    base, _, _name = url.rpartition("/")
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS fugong_bench_undo WITH (FORCE)")
        conn.execute("CREATE DATABASE fugong_bench_undo")
    return f"{base}/fugong_bench_undo"


def last_batch(exe: str, db: str) -> str:
    import json

    done = subprocess.run(
        [exe, "log", "--db", db, "--format", "json"], check=True, capture_output=True, text=True
    )
    return str(max(entry["batch"] for entry in json.loads(done.stdout)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int)
    parser.add_argument("--pg", help="a PostgreSQL URL (its server gets a scratch database)")
    args = parser.parse_args()
    rows = args.rows or (70_000 if args.pg else 300_000)
    OUT.mkdir(exist_ok=True)
    exe = fugong()
    path = sheet(rows)
    db = fresh_pg(args.pg) if args.pg else ledger("undo.db")
    subprocess.run([exe, "init", "--db", db], check=True, capture_output=True)
    imported, import_rss = measure(
        [exe, "import", "plans", path, "--db", db, "--date", "2020-02-14"]
    )
    batch = last_batch(exe, db)
    undone, undo_rss = measure([exe, "undo", batch, "--db", db])
    ratio = undone / imported
    where = "PostgreSQL" if args.pg else "SQLite"
    print(f"{where}, {rows} rows")
    print(f"import: {imported:.2f} s, peak RSS {import_rss / 1024:.0f} MB")
    print(f"undo:   {undone:.2f} s, peak RSS {undo_rss / 1024:.0f} MB")
    print(f"undo / import: {ratio:.2f}x (bound <= 1.5x: {verdict(ratio, 1.5)})")


if __name__ == "__main__":
    sys.path.insert(0, str(OUT.parent))
    main()
