"""Issue 15: which library reads and writes fugong's workbooks — the measurements.

Reading the plan workbook of bench/gen_workbook.py (every cell of its data
sheet, nothing else) with python-calamine, openpyxl in read-only mode and
fugong's own streaming reader; writing the same rows (18 typed columns) with
XlsxWriter's constant-memory mode, openpyxl's write-only mode and fugong's
writer.  Each in a fresh process: wall time and peak RSS.  A library that is
not installed is skipped (pip install openpyxl xlsxwriter to see them all).

Usage: python bench/workbook_libraries.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from common import HERE, OUT, measure

READERS = {
    "python-calamine (whole sheet)": """
import python_calamine
book = python_calamine.CalamineWorkbook.from_path(PATH)
n = sum(len(row) for row in book.get_sheet_by_name("复产台账").iter_rows())
""",
    "openpyxl read-only": """
import openpyxl
book = openpyxl.load_workbook(PATH, read_only=True, data_only=True)
sheet = book["复产台账"]
sheet.reset_dimensions()  # the twin claims A1:A1, as WPS does
n = sum(len(row) for row in sheet.iter_rows(values_only=True))
""",
    "fugong (streaming)": """
from fugong.workbook_in import Cells, Xlsx
book = Xlsx(PATH, "zh")
n = sum(len(row) for _n, row, _p in book.rows("xl/worksheets/sheet2.xml", Cells(False)))
""",
    "csv module, the CSV twin (for scale)": """
import csv
n = sum(len(row) for row in csv.reader(open(CSV, encoding="utf-8-sig")))
""",
}

_ROWS = """
import datetime as dt, random
rng = random.Random(1)
def rows():
    for i in range(ROWS):
        yield [f"91511111MA{i:07d}X", f"乐山市第{i}号企业有限公司", "沙湾区", "industry",
               True, None, rng.randrange(10, 900), "王明", None, None, "resumed", None,
               dt.date(2020, 2, 10), "passed", dt.date(2020, 2, 12), rng.randrange(5, 90),
               None, None]
"""
WRITERS = {
    "XlsxWriter constant_memory": """
import xlsxwriter
book = xlsxwriter.Workbook(TARGET, {"constant_memory": True})
sheet = book.add_worksheet("plans")
dates = book.add_format({"num_format": "yyyy-mm-dd"})
for r, row in enumerate(rows()):
    for c, value in enumerate(row):
        if value is None:
            continue
        if isinstance(value, dt.date):
            sheet.write_datetime(r, c, value, dates)
        else:
            sheet.write(r, c, value)
book.close()
""",
    "openpyxl write-only": """
import openpyxl
book = openpyxl.Workbook(write_only=True)
sheet = book.create_sheet("plans")
for row in rows():
    sheet.append(row)
book.save(TARGET)
""",
    "fugong (workbook_out)": """
from fugong.workbook_out import Column, Table, write_workbook
kinds = ["code", "text", "text", "text", "bool", "bool", "count", "text", "text", "code",
         "text", "date", "date", "text", "date", "count", "text", "text"]
write_workbook(TARGET, [Table("plans", [Column(str(i), k) for i, k in enumerate(kinds)], rows())])
""",
}


def run(code: str) -> tuple[float, int] | None:
    try:
        return measure([sys.executable, "-c", code])
    except SystemExit:
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    book = OUT / f"plans-{args.rows}.xlsx"
    sheet = OUT / f"plans-{args.rows}.csv"
    for script, path in (("gen_workbook.py", book), ("gen_plans.py", sheet)):
        if not path.exists():
            subprocess.run(
                [sys.executable, str(HERE / script), str(args.rows), str(path)], check=True
            )
    print(f"reading {args.rows} rows of {book.name}")
    for name, code in READERS.items():
        found = run(f"PATH = {str(book)!r}\nCSV = {str(sheet)!r}\n{code}")
        print(
            f"  {name:38s} "
            + (f"{found[0]:6.2f} s {found[1] / 1024:5.0f} MB" if found else "skipped")
        )
    print(f"writing {args.rows} rows x 18 typed columns")
    for name, code in WRITERS.items():
        target = OUT / "library-write.xlsx"
        found = run(f"ROWS = {args.rows}\nTARGET = {str(target)!r}\n{_ROWS}\n{code}")
        print(
            f"  {name:38s} "
            + (f"{found[0]:6.2f} s {found[1] / 1024:5.0f} MB" if found else "skipped")
        )


if __name__ == "__main__":
    main()
