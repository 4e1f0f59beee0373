"""Generate the templates of the upward forms that ship with fugong (data/forms/*.xlsx).

They stand for what a superior sends down: a title merged across the table with
the scope left open ("XX区…"), a 填报单位 / 截至日期 / 填报日期 row, a bordered header
(the district form a two-row header with merged groups), one formatted blank row
for the data, notes and a signature line under the table, column widths and an
A4 landscape print setup.  The mappings beside them (data/forms/*.toml) are
written by hand: they are the worked examples of the README.

The files are made reproducible (fixed document dates and zip timestamps), so
running the script again changes nothing.  Run from the repository root:

    python scripts/make_forms.py
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

OUT = Path(__file__).resolve().parents[1] / "data" / "forms"
STAMP = dt.datetime(2020, 2, 10, 9, 0, 0)
AUTHOR = "XX市应对疫情工作领导小组办公室"

THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BODY = Font(name="宋体", size=11)
HEAD = Font(name="黑体", size=11)
TITLE = Font(name="方正小标宋简体", size=18)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)


def _setup(ws, *, last_col: int, title_rows: str, widths: list[float]) -> None:
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _title(ws, text: str, last_col: int) -> None:
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_col)
    cell = ws.cell(1, 1, text)
    cell.font = TITLE
    cell.alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 36


def _line(ws, row: int, pieces: list[tuple[int, int, str]]) -> None:
    """A row of labels, each merged over its columns (填报单位 …)."""
    for first, last, text in pieces:
        if last > first:
            ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
        cell = ws.cell(row, first, text)
        cell.font = BODY
        cell.alignment = Alignment(horizontal="left", vertical="center")
    ws.row_dimensions[row].height = 22


def _boxed(ws, first_row: int, last_row: int, last_col: int, font: Font) -> None:
    for r in range(first_row, last_row + 1):
        for c in range(1, last_col + 1):
            cell = ws.cell(r, c)
            cell.border = BOX
            cell.font = font
            cell.alignment = CENTRE


def _note(ws, row: int, last_col: int, text: str, height: float = 20) -> None:
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
    cell = ws.cell(row, 1, text)
    cell.font = BODY
    cell.alignment = LEFT
    ws.row_dimensions[row].height = height


def enterprise_form() -> Workbook:
    headers = [
        "序号",
        "企业名称",
        "统一社会信用代码",
        "所属区县",
        "行业",
        "是否\n规上",
        "职工\n总数",
        "复产状态",
        "是否\n复工",
        "复工日期",
        "到岗\n人数",
        "联系人",
        "联系电话",
        "挂联干部",
        "备注",
    ]
    widths = [6, 32, 22, 14, 8, 6, 8, 10, 6, 12, 8, 10, 15, 10, 14]
    n = len(headers)
    wb = Workbook()
    ws = wb.active
    ws.title = "统计表"
    _title(ws, "XX区企业复工复产情况统计表", n)
    _line(ws, 2, [(1, 4, "填报单位（盖章）："), (7, 10, "截至日期："), (12, 15, "填报日期：")])
    for c, text in enumerate(headers, 1):
        ws.cell(3, c, text)
    _boxed(ws, 3, 4, n, BODY)
    for c in range(1, n + 1):
        ws.cell(3, c).font = HEAD
    ws.row_dimensions[3].height = 32
    ws.row_dimensions[4].height = 20
    # the blank data row: how every data row looks
    ws.cell(4, 2).alignment = LEFT
    ws.cell(4, 3).number_format = "@"
    ws.cell(4, 13).number_format = "@"
    ws.cell(4, 10).number_format = "yyyy/m/d"
    _note(
        ws,
        6,
        n,
        "说明：1. 统一社会信用代码、联系电话按文本填写；2. 是否复工：未停工或已复产的企业填“是”；"
        "3. 复工日期为实际复产日期，未停工企业不填；4. 到岗人数为截至日期当日在岗人数。",
        34,
    )
    _note(ws, 7, n, "填表人：                    审核人：                    联系电话：")
    ws.freeze_panes = "C4"
    _setup(ws, last_col=n, title_rows="$1:$3", widths=widths)
    return wb


def district_form() -> Workbook:
    n = 14
    wb = Workbook()
    ws = wb.active
    ws.title = "进度表"
    _title(ws, "XX市规上工业企业复工复产进度表", n)
    _line(ws, 2, [(1, 5, "填报单位（盖章）："), (7, 10, "截至日期："), (12, 14, "填报日期：")])
    # a two-row header: single columns merged down, groups merged across
    tall = {
        1: "序号",
        2: "县（市、区）",
        3: "规上工业\n企业数（户）",
        13: "用工缺口\n（人）",
        14: "备注",
    }
    for c, text in tall.items():
        ws.cell(3, c, text)
        ws.merge_cells(start_row=3, start_column=c, end_row=4, end_column=c)
    groups = [
        (4, "复工复产情况", ["未停产", "已复产", "计划复产", "复产率"]),
        (8, "返岗情况", ["到岗人数", "返岗率"]),
        (10, "困难问题", ["问题数", "已解决", "未解决"]),
    ]
    for first, text, subs in groups:
        ws.cell(3, first, text)
        ws.merge_cells(start_row=3, start_column=first, end_row=3, end_column=first + len(subs) - 1)
        for i, sub in enumerate(subs):
            ws.cell(4, first + i, sub)
    _boxed(ws, 3, 5, n, BODY)
    for r in (3, 4):
        for c in range(1, n + 1):
            ws.cell(r, c).font = HEAD
    ws.row_dimensions[3].height = 24
    ws.row_dimensions[4].height = 30
    ws.row_dimensions[5].height = 20
    for c in (7, 9):  # the rates of the blank data row
        ws.cell(5, c).number_format = "0.00%"
    _note(
        ws,
        7,
        n,
        "注：1. 复产率 =（未停产 + 已复产）÷ 规上工业企业数；"
        "2. 返岗率 = 到岗人数 ÷ 已复产企业职工总数；"
        "3. 数据截至截至日期当日 24 时；4. 合计行为全市合计。",
        34,
    )
    _note(ws, 8, n, "填表人：                    审核人：                    联系电话：")
    _setup(
        ws, last_col=n, title_rows="$1:$4", widths=[6, 16, 12, 9, 9, 9, 9, 10, 9, 9, 9, 9, 10, 12]
    )
    return wb


def _reproducible(data: bytes) -> bytes:
    """The same bytes on every run: fixed zip timestamps and document dates."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*",
                    rb"\g<1>" + STAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode(),
                    body,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=STAMP.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, body)
    return out.getvalue()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make in (
        ("企业复工复产情况统计表", enterprise_form),
        ("规上工业企业复工复产进度表", district_form),
    ):
        wb = make()
        wb.properties.creator = AUTHOR
        wb.properties.title = name
        wb.properties.created = STAMP
        buffer = io.BytesIO()
        wb.save(buffer)
        (OUT / f"{name}.xlsx").write_bytes(_reproducible(buffer.getvalue()))
        print(f"wrote {OUT / name}.xlsx")


if __name__ == "__main__":
    main()
