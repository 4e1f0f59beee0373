"""The plain-Python floor: csv module + one executemany of the raw rows into one table.

Usage: python bench/floor.py SHEET.csv DB.sqlite
"""

import csv
import os
import sqlite3
import sys


def main() -> None:
    sheet, db = sys.argv[1], sys.argv[2]
    for suffix in ("", "-journal"):  # a fresh database each run
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    with open(sheet, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        conn = sqlite3.connect(db)
        columns = ", ".join(f'"c{i}" TEXT' for i in range(len(header)))
        conn.execute(f"CREATE TABLE sheet ({columns})")
        marks = ", ".join("?" * len(header))
        with conn:
            conn.executemany(f"INSERT INTO sheet VALUES ({marks})", reader)
        conn.close()


if __name__ == "__main__":
    main()
