"""Reading workbooks without a database: what each cell becomes, sheets, odd markup.

The workbooks are made here with openpyxl (as offices' programs would write them)
or written as XML by hand where a program leaves something out (a formula
without a cached value, a WPS dimension, rich text, a namespace prefix).
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from fugong.errors import FugongError, SheetError, ValueProblem
from fugong.ingest import SheetFile, open_sheet
from fugong.values import make_uscc
from fugong.workbook_in import Calamine, Cells, Xlsx, general_text, serial_date

U1 = make_uscc("91511111MA6300001")
U2 = make_uscc("91511111MA6300002")
DISTRICTS = {"沙湾": "511111", "沙湾区": "511111", "五通桥区": "511112", "峨边": "511132"}


def resolve(text: str) -> str:
    try:
        return DISTRICTS[text]
    except KeyError:
        raise ValueProblem(f"未知区县 '{text}'", f"unknown district '{text}'") from None


def workbook(path: Path, rows: list[list], *, title: str = "台账", notes: bool = False, **kw):
    wb = openpyxl.Workbook()
    if kw.get("epoch1904"):
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    if notes:
        ws.title = "填表说明"
        ws.append(["填表说明：请按要求填写，日期格式 2020-02-14。"])
        ws = wb.create_sheet(title)
    else:
        ws.title = title
    for row in rows:
        ws.append(row)
    for merged in kw.get("merge", ()):
        ws.merge_cells(merged)
    wb.save(path)
    return str(path)


def rewrite(path: str, member: str, change) -> None:
    """Rewrite one part of a workbook (XML a program would have written differently)."""
    with zipfile.ZipFile(path) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    parts[member] = change(parts[member].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def read(source, layout: str = "plans"):
    """(rows' values, error lines, the sheet) of a workbook."""
    sheet = open_sheet(
        source if isinstance(source, SheetFile) else SheetFile(str(source)),
        layout,
        resolve_district=resolve,
    )
    rows, errors = [], []
    for row, errs in sheet.rows():
        if row is None:
            errors.extend(str(e) for e in errs)
        else:
            rows.append((row.line, row.values))
    return rows, errors, sheet


def refused(source, layout: str = "plans") -> list[str]:
    with pytest.raises(SheetError) as e:
        read(source, layout)
    return [str(x) for x in e.value.errors]


# --- layout of an office's sheet -------------------------------------------------------------


def test_notes_sheet_title_rows_merged_title_and_serial_number_column(tmp_path):
    path = workbook(
        tmp_path / "台账.xlsx",
        [
            ["沙湾区企业复工复产计划台账（截至2020年2月10日）"],
            ["填报单位：沙湾区经信局", None, None, "填报日期：2020年2月10日"],
            [],
            ["序号", "统一社会信用代码", "企业名称", "县(市、区)", "复产状态"],
            [1, U1, "乐山甲机械有限公司", "沙湾", "已复产"],
            [2, None, "乙公司", "五通桥区", "计划复产"],
        ],
        notes=True,
        merge=["A1:E1"],
    )
    rows, errors, sheet = read(path)
    assert errors == []
    assert sheet.file == f"{path}[台账]" and sheet.header_line == 4
    assert rows == [
        (5, {"uscc": U1, "name": "乐山甲机械有限公司", "district": "511111", "status": "resumed"}),
        (6, {"name": "乙公司", "district": "511112", "status": "planned"}),
    ]


def test_merged_cells_count_for_every_cell_they_span(tmp_path):
    path = workbook(
        tmp_path / "m.xlsx",
        [
            ["企业名称", "县(市、区)", "复产状态"],
            ["甲公司", "沙湾", "已复产"],
            ["乙公司", None, "计划复产"],
            ["丙公司", None, "计划复产"],
        ],
        merge=["B2:B4"],
    )
    rows, errors, _sheet = read(path)
    assert errors == []
    assert [v["district"] for _line, v in rows] == ["511111"] * 3


def test_merged_header_cell_spans_its_columns(tmp_path):
    path = workbook(
        tmp_path / "h.xlsx",
        [["企业名称", "县(市、区)", None, "复产状态"], ["甲公司", "沙湾", "x", "已复产"]],
        merge=["B1:C1"],
    )
    # the merged header names B and C alike: one column twice
    assert refused(path) == [f"{path}[台账]:1: -: 县(市、区): 重复的列：与第 2 列同为 district"]


def test_total_rows_are_skipped_with_their_uncalculated_formulas(tmp_path):
    path = workbook(
        tmp_path / "t.xlsx",
        [
            ["序号", "企业名称", "县(市、区)", "职工总数"],
            [1, "甲公司", "沙湾", 10],
            [2, "乙公司", "沙湾", 20],
            [None, "合  计", None, "=SUM(D2:D3)"],
            ["小计", None, None, "=SUM(D2:D3)"],
        ],
    )
    spec = SheetFile(path)
    rows, errors, _sheet = read(spec)
    assert errors == []
    assert [v["employees"] for _line, v in rows] == [10, 20]
    assert spec.totals == 2


def test_formula_without_a_value_in_a_row_that_is_read_is_an_error(tmp_path):
    path = workbook(
        tmp_path / "f.xlsx",
        [
            ["企业名称", "县(市、区)", "职工总数", "备注"],
            ["甲公司", "沙湾", "=SUM(1,2)", "=A1"],
        ],
    )
    rows, errors, _sheet = read(path)
    assert rows == []
    [employees, note] = errors
    assert employees.startswith(
        f"{path}[台账]:2: 职工总数: =SUM(1,2): 单元格 C2 的公式没有计算结果"
    )
    assert note.startswith(f"{path}[台账]:2: 备注: =A1: 单元格 D2 的公式没有计算结果")


def test_formula_with_a_cached_value_gives_its_value(tmp_path):
    path = workbook(tmp_path / "c.xlsx", [["企业名称", "县(市、区)", "职工总数", "备注"]])

    def cached(xml: str) -> str:
        row = (
            '<row r="2"><c r="A2" t="inlineStr"><is><t>甲公司</t></is></c>'
            '<c r="B2" t="str"><f>"沙"&amp;"湾"</f><v>沙湾</v></c>'
            '<c r="C2"><f>ROW()*10</f><v>20</v></c>'
            '<c r="D2" t="str"><f>IF(1,"","x")</f><v></v></c></row>'
        )
        return xml.replace("</row></sheetData>", "</row>" + row + "</sheetData>")

    rewrite(path, "xl/worksheets/sheet1.xml", cached)
    rows, errors, _sheet = read(path)
    assert errors == []
    assert rows == [(2, {"name": "甲公司", "district": "511111", "employees": 20})]


def test_a_column_not_read_may_hold_anything(tmp_path):
    path = workbook(
        tmp_path / "x.xlsx",
        [["序号", "企业名称", "县(市、区)", "经度"], ["=ROW()-1", "甲公司", "沙湾", "=1/0"]],
    )
    rows, errors, _sheet = read(path)
    assert errors == [] and rows == [(2, {"name": "甲公司", "district": "511111"})]


# --- values -------------------------------------------------------------------------------


def test_dates_from_date_cells_serials_and_text(tmp_path):
    serial = (dt.date(2020, 2, 10) - dt.date(1899, 12, 30)).days
    path = workbook(
        tmp_path / "d.xlsx",
        [
            ["企业名称", "县(市、区)", "计划复产日期", "验收日期", "复产日期"],
            ["甲", "沙湾", dt.date(2020, 2, 9), serial, "2020年2月12日"],
            ["乙", "沙湾", dt.datetime(2020, 2, 9, 8, 30), 20200211, "2020/2/13"],
        ],
    )
    rows, errors, _sheet = read(path)
    assert errors == []
    assert [(v["planned_on"], v["inspected_on"], v["resumed_on"]) for _l, v in rows] == [
        (dt.date(2020, 2, 9), dt.date(2020, 2, 10), dt.date(2020, 2, 12)),
        (dt.date(2020, 2, 9), dt.date(2020, 2, 11), dt.date(2020, 2, 13)),
    ]


def test_the_1904_date_system(tmp_path):
    serial = (dt.date(2020, 2, 10) - dt.date(1904, 1, 1)).days
    path = workbook(
        tmp_path / "mac.xlsx",
        [
            ["企业名称", "县(市、区)", "计划复产日期", "验收日期"],
            ["甲", "沙湾", dt.date(2020, 2, 9), serial],
        ],
        epoch1904=True,
    )
    assert 'date1904="1"' in zipfile.ZipFile(path).read("xl/workbook.xml").decode()
    rows, errors, _sheet = read(path)
    assert errors == []
    assert rows[0][1]["planned_on"] == dt.date(2020, 2, 9)
    assert rows[0][1]["inspected_on"] == dt.date(2020, 2, 10)


def test_a_number_in_a_date_column_that_is_no_day_is_an_error(tmp_path):
    path = workbook(
        tmp_path / "n.xlsx",
        [["企业名称", "县(市、区)", "计划复产日期"], ["甲", "沙湾", 2020.02]],
    )
    _rows, [error], _sheet = read(path)
    assert error.startswith(f"{path}[台账]:2: 计划复产日期: 2020.02: 单元格 C2 的数字不是日期")


def test_counts_as_numbers_floats_and_text(tmp_path):
    path = workbook(
        tmp_path / "c.xlsx",
        [
            ["企业名称", "县(市、区)", "职工总数", "到岗人数"],
            ["甲", "沙湾", 30.0, "405人"],
            ["乙", "沙湾", 1200, "１０人"],
            ["丙", "沙湾", 30.5, "30.0"],
        ],
    )
    rows, errors, _sheet = read(path)
    assert [(v["employees"], v["returned"]) for _l, v in rows] == [(30, 405), (1200, 10)]
    assert errors == [f"{path}[台账]:4: 职工总数: 30.5: 不是整数"]


def test_a_uscc_stored_as_a_number_is_an_error_naming_the_cell(tmp_path):
    path = workbook(
        tmp_path / "u.xlsx",
        [
            ["企业名称", "县(市、区)", "统一社会信用代码"],
            ["甲", "沙湾", 915111000000000000],
            ["乙", "沙湾", U2],
        ],
    )
    rows, errors, _sheet = read(path)
    assert rows == [(3, {"name": "乙", "district": "511111", "uscc": U2})]
    assert errors == [
        f"{path}[台账]:2: 统一社会信用代码: 9.15111E+17: 单元格 C2 的统一社会信用代码存成了数字，"
        "Excel 已丢掉其后几位；请把该列设为文本后照原件重新填写"
    ]


def test_booleans_and_error_values(tmp_path):
    path = workbook(
        tmp_path / "b.xlsx",
        [["企业名称", "县(市、区)", "是否规上", "职工总数"], ["甲", "沙湾", True, "#N/A"]],
    )

    def error_cell(xml: str) -> str:
        return re.sub(r'<c r="D2"[^>]*>.*?</c>', '<c r="D2" t="e"><v>#N/A</v></c>', xml)

    rewrite(path, "xl/worksheets/sheet1.xml", error_cell)
    rows, errors, _sheet = read(path)
    assert rows == []
    assert errors == [f"{path}[台账]:2: 职工总数: #N/A: 单元格 D2 是 Excel 错误值 #N/A"]
    path2 = workbook(
        tmp_path / "b2.xlsx", [["企业名称", "县(市、区)", "是否规上"], ["甲", "沙湾", False]]
    )
    rows, errors, _sheet = read(path2)
    assert rows[0][1]["above_scale"] is False


# --- what programs write ----------------------------------------------------------------------


def test_a_wps_dimension_of_a1_is_not_trusted(tmp_path):
    path = workbook(
        tmp_path / "wps.xlsx",
        [["企业名称", "县(市、区)"], ["甲", "沙湾"], ["乙", "峨边"]],
    )
    rewrite(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:A1"', xml),
    )
    assert (
        '<dimension ref="A1:A1"' in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    )
    rows, errors, _sheet = read(path)
    assert errors == [] and [v["name"] for _l, v in rows] == ["甲", "乙"]


def test_shared_strings_rich_text_phonetics_and_escapes(tmp_path):
    path = workbook(tmp_path / "s.xlsx", [["企业名称", "县(市、区)", "备注"]])
    strings = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<si><r><rPr><b/></rPr><t>乐山</t></r><r><t xml:space="preserve">甲 &amp; 乙</t></r>'
        '<rPh sb="0" eb="2"><t>ルサン</t></rPh></si>'
        "<si><t>沙湾</t></si><si><t>a_x000D_b &lt;c&gt;</t></si><si/></sst>"
    )

    def cells(xml: str) -> str:
        row = (
            '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c>'
            '<c r="C2" t="s"><v>2</v></c></row>'
            '<row r="3"><c r="A3" t="inlineStr"><is><t xml:space="preserve"> 丙 </t></is></c>'
            '<c r="B3" t="s"><v>1</v></c><c r="C3" t="s"><v>3</v></c></row>'
        )
        return xml.replace("</row></sheetData>", "</row>" + row + "</sheetData>")

    rewrite(path, "xl/worksheets/sheet1.xml", cells)
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["xl/sharedStrings.xml"] = strings.encode()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    rows, errors, _sheet = read(path)
    assert errors == []
    assert rows == [
        (2, {"name": "乐山甲 & 乙", "district": "511111", "note": "a\rb <c>"}),
        (3, {"name": "丙", "district": "511111"}),
    ]


def test_tags_with_a_namespace_prefix(tmp_path):
    path = workbook(tmp_path / "p.xlsx", [["企业名称", "县(市、区)"], ["甲", "沙湾"]])

    def prefixed(xml: str) -> str:
        xml = re.sub(r"<(/?)(\w+)([ >/])", r"<\1x:\2\3", xml)
        return xml.replace("<x:worksheet xmlns=", "<x:worksheet xmlns:x=")

    rewrite(path, "xl/worksheets/sheet1.xml", prefixed)
    assert "<x:row" in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    rows, errors, _sheet = read(path)
    assert errors == [] and rows == [(2, {"name": "甲", "district": "511111"})]


def test_cells_without_references(tmp_path):
    path = workbook(tmp_path / "r.xlsx", [["企业名称", "县(市、区)"], ["甲", "沙湾"]])
    rewrite(path, "xl/worksheets/sheet1.xml", lambda xml: re.sub(r' r="[A-Z]+\d+"', "", xml))
    rows, errors, _sheet = read(path)
    assert errors == [] and rows == [(2, {"name": "甲", "district": "511111"})]


# --- sheets ---------------------------------------------------------------------------------


def two_sheets(tmp_path) -> str:
    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "五通桥"
    first.append(["企业名称", "县(市、区)"])
    first.append(["甲", "五通桥区"])
    second = wb.create_sheet("沙湾")
    second.append(["企业名称", "县(市、区)"])
    second.append(["乙", "沙湾"])
    path = str(tmp_path / "two.xlsx")
    wb.save(path)
    return path


def test_sheet_by_name_or_number(tmp_path):
    path = two_sheets(tmp_path)
    assert read(path)[0][0][1]["name"] == "甲"  # the first sheet with a header
    assert read(SheetFile(path, sheet="沙湾"))[0][0][1]["name"] == "乙"
    assert read(SheetFile(path, sheet="2"))[0][0][1]["name"] == "乙"
    with pytest.raises(FugongError) as e:
        read(SheetFile(path, sheet="峨边"))
    assert "五通桥、沙湾" in e.value.zh


def test_no_sheet_with_a_header(tmp_path):
    path = workbook(tmp_path / "none.xlsx", [["说明"], ["请填写"]], notes=True)
    [error] = refused(path)
    assert error.startswith(f"{path}:1: -: 填表说明、台账: 没有哪张工作表有企业列")


def test_a_csv_is_not_a_workbook_for_sheet(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("企业名称,区县\n甲,沙湾\n", encoding="utf-8")
    with pytest.raises(FugongError) as e:
        read(SheetFile(str(path), sheet="1"))
    assert "--sheet" in e.value.zh


def test_broken_and_foreign_zip_files(tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(FugongError) as e:
        read(str(broken))
    assert "无法读取工作簿" in e.value.zh
    foreign = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(foreign, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    with pytest.raises(FugongError) as e:
        read(str(foreign))
    assert "不是 Excel 工作簿" in e.value.zh


def test_stdin_holding_a_workbook_is_refused(tmp_path):
    path = workbook(tmp_path / "w.xlsx", [["企业名称", "县(市、区)"]])
    with pytest.raises(SheetError) as e:
        open_sheet(
            "-", "plans", resolve_district=resolve, stdin=io.BytesIO(Path(path).read_bytes())
        )
    [error] = [str(x) for x in e.value.errors]
    assert error.startswith("<stdin>:1: -: Excel: 标准输入是 Excel 工作簿")


# --- the reader agrees with calamine, and its fast way with its careful way -----------------


def _random_cells(rng: random.Random) -> list:
    choices = [
        lambda: rng.choice(["甲公司", "a & b <c>", " 前后空格 ", "", "+not a formula", "x\ny"]),
        lambda: rng.randrange(-1000, 10**6),
        lambda: rng.random() * 1000,
        lambda: dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(400)),
        lambda: rng.choice([True, False]),
        lambda: None,
        lambda: "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(rng.randrange(1, 8))),
    ]
    return [rng.choice(choices)() for _ in range(rng.randrange(1, 9))]


@pytest.mark.parametrize("seed", range(5))
def test_the_streaming_reader_reads_what_calamine_reads(tmp_path, seed):
    rng = random.Random(seed)
    rows = [_random_cells(rng) for _ in range(200)]
    path = workbook(tmp_path / "r.xlsx", rows, title="S")
    ours = [
        (n, cells)
        for n, cells, _p in Xlsx(path, "zh").rows("xl/worksheets/sheet1.xml", Cells(False))
    ]
    theirs = list(Calamine(path, "zh").rows("S", Cells(False)))

    def shown(cells: list[str]) -> list[str]:
        out = list(cells)
        while out and out[-1] == "":
            out.pop()
        return out

    # calamine lists every row of the used range; blank rows are nobody's records
    theirs = [(n, shown(c)) for n, c, _p in theirs if any(c)]
    ours = [(n, shown(c)) for n, c in ours if any(c)]
    assert ours == theirs


def test_the_fast_way_and_the_parser_read_rows_alike(tmp_path):
    rng = random.Random(7)
    rows = [_random_cells(rng) for _ in range(300)]
    path = workbook(tmp_path / "f.xlsx", rows)
    book = Xlsx(path, "zh")
    from fugong.workbook_in import _SheetXml

    sheet = _SheetXml(book, "xl/worksheets/sheet1.xml", Cells(False))
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    body = xml[xml.index("<sheetData>") + len("<sheetData>") : xml.index("</sheetData>")]
    fast = list(sheet._chunk_rows(body))
    careful = [
        sheet._row_by_parser(p[p.index("<row") :]) for p in body.split("</row>") if "<row" in p
    ]
    assert fast == careful


def test_number_texts():
    assert general_text(915111000000000000.0) == "9.15111E+17"
    assert general_text(1.5e20) == "1.5E+20"
    assert general_text(30.0) == "30"
    assert serial_date(43871, False) == dt.date(2020, 2, 10)
    assert serial_date(60, False) is None  # 1900-02-29 never was
    assert serial_date(59, False) == dt.date(1900, 2, 28)
    assert serial_date(1, True) == dt.date(1904, 1, 2)


def test_an_xls_workbook_through_calamine():
    # tests/data/office.xls was made with xlwt (BIFF8, as old Excel and WPS save .xls):
    # a notes sheet, a merged title, a district merged over two rows, a date cell, a
    # serial number, a float count, text counts and a 合计 row with a formula.
    spec = SheetFile(str(Path(__file__).parent / "data" / "office.xls"))
    rows, errors, sheet = read(spec)
    assert errors == [] and sheet.header_line == 2 and sheet.file.endswith("office.xls[台账]")
    assert rows == [
        (
            3,
            {
                "uscc": "91511111MA60000014",
                "name": "乐山甲机械有限公司",
                "district": "511111",
                "employees": 120,
                "resumed_on": dt.date(2020, 2, 13),
            },
        ),
        (
            4,
            {
                "name": "乙公司",
                "district": "511111",
                "employees": 405,
                "resumed_on": dt.date(2020, 2, 10),
            },
        ),
    ]
    assert spec.totals == 1
