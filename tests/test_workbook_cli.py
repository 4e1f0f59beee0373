"""Workbooks through the CLI: import, export, report, rejects — the ledger and files read back.

SPEC "Workbooks (.xlsx)": an office's workbook imports with the same figures as
its CSV twin, a broken one is refused naming FILE[SHEET]:ROW: COLUMN: VALUE, every
workbook fugong writes is a real one (read back here with openpyxl: types,
formats, frozen header, widths), and the export imports back to the same content.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from test_import_cli import build_ledger, listed, ok, refused_import, uscc

U1 = uscc("91511111MA6400001")
U2 = uscc("91511111MA6400002")
U3 = uscc("91511132MA6400003")
SERIAL_2020_02_10 = (dt.date(2020, 2, 10) - dt.date(1899, 12, 30)).days
HEADER = [
    "序号",
    "统一社会信用代码",
    "企业名称",
    "县(市、区)",
    "是否规上",
    "职工总数",
    "复产状态",
    "计划复产日期",
    "验收日期",
    "验收结果",
    "实际复产日期",
    "到岗人数",
    "备注",
]


def office_workbook(path: Path, *, mangled: bool = False) -> str:
    """A plan workbook as offices keep it (see the issue): a notes sheet first, a title
    merged across the columns, a 填报单位 row, 序号, a district merged over two rows,
    date cells and a serial number, counts as numbers, floats and text, and a 合计
    row with a SUM no program has calculated."""
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "填表说明"
    notes.append(["1. 日期填写为日期格式；2. 统一社会信用代码按文本填写。"])
    ws = wb.create_sheet("复产台账")
    ws.append(["沙湾区企业复工复产计划台账（截至2020年2月14日）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    ws.append(
        ["填报单位：沙湾区经信局（盖章）", None, None, None, None, None, "填报日期：2020年2月14日"]
    )
    ws.append(HEADER)
    ws.append(
        [1, U1, "乐山甲机械有限公司", "沙湾", "是", 120, "已复产", None,
         dt.date(2020, 2, 11), "通过", dt.date(2020, 2, 13), 30.0, None]
    )  # fmt: skip
    ws.append(
        [2, 915111000000000000 if mangled else U2, "乐山乙化工有限公司", None, "是", "405人",
         "计划复产", SERIAL_2020_02_10, None, None, None, None, "等原料"]
    )  # fmt: skip
    ws.merge_cells("D4:D5")  # one district for both rows
    ws.append(
        [3, None, "丙建材公司", "五通桥区", "否", "１０人", "验收通过", None,
         dt.date(2020, 2, 12), "通过", None, None, None]
    )  # fmt: skip
    ws.append(
        [4, U3, "丁食品公司", "峨边", "是", 80, "已复产", None, None, None,
         "2020年2月12日", "=SUM(1,2)" if mangled else " 50 ", None]
    )  # fmt: skip
    ws.append(
        [None, "合计", None, None, None, "=SUM(F4:F7)", None, None, None, None, None, "=SUM(L4:L7)"]
    )
    ws.merge_cells("B8:C8")
    wb.save(path)
    return str(path)


CSV_TWIN = (
    "序号,统一社会信用代码,企业名称,县(市、区),是否规上,职工总数,复产状态,计划复产日期,"
    "验收日期,验收结果,实际复产日期,到岗人数,备注\n"
    f"1,{U1},乐山甲机械有限公司,沙湾,是,120,已复产,,2020-02-11,通过,2020-02-13,30,\n"
    f"2,{U2},乐山乙化工有限公司,沙湾,是,405人,计划复产,2020-02-10,,,,,等原料\n"
    "3,,丙建材公司,五通桥区,否,１０人,验收通过,,2020-02-12,通过,,,\n"
    f"4,{U3},丁食品公司,峨边,是,80,已复产,,,,2020年2月12日,50,\n"
)


def values_of(path, sheet: int | str = 0) -> list[list]:
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[sheet] if isinstance(sheet, int) else wb[sheet]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    while rows and not any(v is not None for v in rows[-1]):
        rows.pop()
    return rows


def without_ids(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "id"} for r in rows]


# --------------------------------------------------------------------------- import


def test_an_office_workbook_imports_with_the_figures_of_its_csv_twin(cli, ledger, tmp_path):
    book = office_workbook(tmp_path / "沙湾台账.xlsx")
    result = ok(cli("import", "plans", book, "--date", "2020-02-14"))
    assert f"{book}[复产台账]: 4 行" in result.stderr
    assert "跳过合计行: 1" in result.stderr
    twin_db = str(tmp_path / "twin.db")  # a SQLite ledger on both backends
    ok(cli("init", "--db", twin_db))
    twin = tmp_path / "沙湾台账.csv"
    twin.write_text(CSV_TWIN, encoding="utf-8")
    ok(cli("import", "plans", twin, "--date", "2020-02-14", "--db", twin_db))
    for ledger_cmd in ("plan", "enterprise"):
        assert without_ids(listed(cli, ledger_cmd)) == without_ids(
            listed(cli, ledger_cmd, "--db", twin_db)
        )
    report = ["report", "--as-of", "2020-02-14", "--format", "json"]

    def figures(*more):
        doc = json.loads(ok(cli(*report, *more)).stdout)
        return [(d["scope"], d["plans"], d["problems"], d["labour"]) for d in doc["districts"]]

    assert figures() == figures("--db", twin_db)
    plans = {p["name"]: p for p in listed(cli, "plan")}
    assert plans["乐山乙化工有限公司"]["district"] == "沙湾区"  # the merged cell
    assert plans["乐山乙化工有限公司"]["planned_on"] == "2020-02-10"  # the serial number
    assert plans["乐山甲机械有限公司"]["returned"] == 30  # 30.0
    # the batch names the file and the sheet
    [entry] = json.loads(ok(cli("log", "--format", "json", "乐山甲机械有限公司")).stdout)[:1]
    assert entry["source"].startswith(f"{book}[复产台账]:4")


def test_a_broken_workbook_is_refused_naming_sheet_row_column_and_value(cli, ledger, tmp_path):
    book = office_workbook(tmp_path / "坏台账.xlsx", mangled=True)
    result = refused_import(cli, ledger, "plans", book, "--date", "2020-02-14")
    errors = [line for line in result.stderr.splitlines() if line.startswith(book)]
    assert errors == [
        f"{book}[复产台账]:5: 统一社会信用代码: 9.15111E+17: 单元格 B5 的统一社会信用代码存成了"
        "数字，Excel 已丢掉其后几位；请把该列设为文本后照原件重新填写",
        f"{book}[复产台账]:7: 到岗人数: =SUM(1,2): 单元格 L7 的公式没有计算结果（请在 Excel/WPS "
        "中打开、保存后再导入，或把公式粘贴为数值）",
    ]
    assert "共 2 处错误; 未导入任何数据" in result.stderr


def test_sheet_by_name_and_by_number(cli, tmp_path):
    wb = openpyxl.Workbook()
    for title, name in (("五通桥", "甲公司"), ("沙湾", "乙公司")):
        ws = wb.active if title == "五通桥" else wb.create_sheet(title)
        ws.title = title
        ws.append(["企业名称", "县(市、区)", "复产状态"])
        ws.append([name, title, "计划复产"])
    book = str(tmp_path / "two.xlsx")
    wb.save(book)
    ok(cli("import", "plans", book, "--sheet", "沙湾", "--date", "2020-02-14"))
    assert [p["name"] for p in listed(cli, "plan")] == ["乙公司"]
    ok(cli("import", "plans", book, "--sheet", "1", "--date", "2020-02-14"))
    assert sorted(p["name"] for p in listed(cli, "plan")) == ["乙公司", "甲公司"]
    result = cli("import", "plans", book, "--sheet", "峨边")
    assert result.exit_code == 1 and "五通桥、沙湾" in result.stderr


def test_dry_run_writes_nothing_not_even_rejects(cli, ledger, tmp_path):
    book = office_workbook(tmp_path / "台账.xlsx")
    before = ledger.counts()
    result = ok(
        cli("import", "plans", book, "--dry-run", "--skip-invalid", "--rejects", tmp_path / "r.csv")
    )
    assert "试导入 (未写入)" in result.stderr and "跳过合计行: 1" in result.stderr
    assert ledger.counts() == before
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_rejects_as_workbook_or_csv_fix_and_import_again(cli, tmp_path, suffix):
    book = office_workbook(tmp_path / "坏台账.xlsx", mangled=True)
    rejects = tmp_path / f"rejects{suffix}"
    result = cli(
        "import", "plans", book, "--skip-invalid", "--rejects", rejects, "--date", "2020-02-14"
    )
    assert result.exit_code == 3, result.stderr
    assert sorted(p["name"] for p in listed(cli, "plan")) == ["丙建材公司", "乐山甲机械有限公司"]
    if suffix == ".xlsx":
        rows = values_of(rejects)
        header, bad = rows[0], rows[1:]
    else:
        rows = list(csv.reader(io.StringIO(rejects.read_text("utf-8-sig"))))
        header, bad = rows[0], rows[1:]
    assert header == [*HEADER, "error"]
    assert [r[2] for r in bad] == ["乐山乙化工有限公司", "丁食品公司"]
    assert bad[0][1] == "9.15111E+17" and "存成了数字" in bad[0][-1]
    # the formula as it was shown; CSV guards it so no spreadsheet runs it
    assert bad[1][11] == ("=SUM(1,2)" if suffix == ".xlsx" else "'=SUM(1,2)")
    # fixed in a spreadsheet, imported again
    fixed = [
        [U2 if c == "9.15111E+17" else "50" if (c or "").endswith("=SUM(1,2)") else c for c in r]
        for r in bad
    ]
    if suffix == ".xlsx":
        wb = openpyxl.Workbook()
        wb.active.append(header)
        for r in fixed:
            wb.active.append(r)
        again = tmp_path / "fixed.xlsx"
        wb.save(again)
    else:
        again = tmp_path / "fixed.csv"
        with again.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerows([header, *fixed])
    ok(cli("import", "plans", again, "--date", "2020-02-14"))
    assert len(listed(cli, "plan")) == 4


def test_stdin_holding_a_workbook_is_refused(cli, ledger, tmp_path):
    book = office_workbook(tmp_path / "台账.xlsx")
    result = cli("import", "plans", "-", input=Path(book).read_bytes())
    assert result.exit_code == 1
    assert "标准输入是 Excel 工作簿；工作簿请给出文件名导入" in result.stderr


# --------------------------------------------------------------------------- export


def test_export_writes_a_real_workbook(cli, tmp_path):
    build_ledger(cli)
    out = tmp_path / "plans.xlsx"
    result = ok(cli("export", "plans", "-o", out))
    assert "已导出 5 行" in result.stderr
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    assert ws.title == "plans" and ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header[:3] == ["uscc", "name", "district"]
    rows = {r[1].value: r for r in ws.iter_rows(min_row=2)}
    first = rows["乐山甲机械有限公司"]
    cell = dict(zip(header, first, strict=True))
    assert cell["uscc"].data_type == "s" and cell["uscc"].number_format == "@"
    assert cell["employees"].value == 120 and cell["employees"].data_type == "n"
    assert cell["resumed_on"].value == dt.datetime(2020, 2, 13)
    assert cell["resumed_on"].is_date and cell["resumed_on"].number_format == "yyyy\\-mm\\-dd"
    assert cell["above_scale"].value is True
    assert cell["status"].value == "resumed"
    # widths fit CJK text: a CJK character counts two
    assert ws.column_dimensions["B"].width >= 2 * len("乐山乙（集团）有限公司")
    assert ws.column_dimensions["A"].width >= 18


def test_export_in_chinese_imports_back(cli, tmp_path):
    build_ledger(cli)
    out = tmp_path / "plans-zh.xlsx"
    ok(cli("export", "plans", "-o", out, "--lang", "zh"))
    rows = values_of(out)
    assert rows[0][:4] == ["统一社会信用代码", "企业名称", "所属区县", "企业类型"]
    statuses = {r[1]: r[10] for r in rows[1:]}
    assert statuses["乐山甲机械有限公司"] == "已复产"
    assert {r[4] for r in rows[1:]} <= {"是", "否", None}  # None: not recorded


@pytest.mark.parametrize("lang", [[], ["--lang", "zh"]])
def test_workbook_round_trip_gives_the_same_content(cli, tmp_path, lang):
    build_ledger(cli)
    order = ["enterprises", "plans", "problems", "labour"]
    first = {}
    for name in order:
        first[name] = tmp_path / f"first-{name}.xlsx"
        ok(cli("export", name, "-o", first[name], *lang))
    second_db = str(tmp_path / "second.db")
    ok(cli("init", "--db", second_db))
    for name in order:
        ok(cli("import", name, first[name], "--db", second_db))
    for name in order:
        again = tmp_path / f"second-{name}.xlsx"
        ok(cli("export", name, "-o", again, "--db", second_db, *lang))
        assert values_of(again) == values_of(first[name]), name


def test_export_workbook_to_a_pipe_and_never_to_a_terminal(cli, tmp_path, monkeypatch):
    build_ledger(cli)
    result = ok(cli("export", "labour", "--format", "xlsx"))
    data = result.stdout_bytes
    assert data.startswith(b"PK\x03\x04")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert "xl/worksheets/sheet1.xml" in zf.namelist()
    from fugong.cli import io as cli_io
    from fugong.errors import FugongError

    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    with pytest.raises(FugongError) as e:
        cli_io.refuse_workbook_on_terminal()
    assert "终端" in e.value.zh


@pytest.mark.parametrize(
    "args",
    [
        ["export", "plans", "-o", "{dir}/plans.docx"],
        ["export", "plans", "-o", "{dir}/plans.pdf", "--format", "csv"],
        ["export", "plans", "-o", "{dir}/plans.xlsx", "--format", "csv"],
        ["export", "plans", "-o", "{dir}/plans.csv", "--format", "xlsx"],
        ["report", "-o", "{dir}/report.docx"],
        ["report", "-o", "{dir}/report.xlsx", "--format", "markdown"],
        ["trend", "-o", "{dir}/trend.xlsx", "--format", "csv"],
        ["report", "-o", "{dir}/report"],
    ],
)
def test_a_refused_extension_leaves_no_file(cli, tmp_path, args):
    out = tmp_path / "out"
    out.mkdir()
    argv = [a.format(dir=out) for a in args]
    result = cli(*argv)
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("错误: -o ")
    assert list(out.iterdir()) == []


# --------------------------------------------------------------------------- report


def test_report_workbook(cli, tmp_path):
    build_ledger(cli)
    out = tmp_path / "日报.xlsx"
    ok(cli("report", "--as-of", "2020-02-14", "--known-at", "2099-01-01", "-o", out))
    doc = json.loads(
        ok(
            cli("report", "--as-of", "2020-02-14", "--known-at", "2099-01-01", "--format", "json")
        ).stdout
    )
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["复工复产情况", "未复产企业", "未办结问题", "用工缺口"]
    figures = [list(r) for r in wb["复工复产情况"].iter_rows(values_only=True)]
    title = [r[0] for r in figures[:6]]
    assert title[0] == "乐山市 企业复工复产情况 截至 2020-02-14"  # the title block of every format
    assert title[1:3] == ["范围: 乐山市 (511100)", "截至: 2020-02-14"]
    assert title[3] == "记录截至: 2099-01-01T23:59:59+08:00"
    assert title[4].startswith("生成时间: ") and title[5].startswith("fugong ")
    header_at = next(i for i, r in enumerate(figures) if r[0] == "区县")
    header = figures[header_at]
    assert wb["复工复产情况"].freeze_panes == f"A{header_at + 2}"
    body = {r[0]: dict(zip(header, r, strict=True)) for r in figures[header_at + 1 :]}
    assert list(body)[-1] == "乐山市合计" and len(body) == 12
    city = body["乐山市合计"]
    assert city["规上企业"] == doc["plans"]["total"]
    assert city["复产率"] == doc["plans"]["resumption_rate"]
    assert city["用工缺口"] == doc["labour"]["gap"]
    shawan = next(d for d in doc["districts"] if d["scope"]["name"] == "沙湾区")
    assert body["沙湾区"]["已复产"] == shawan["plans"]["resumed"]
    last = header_at + 1 + len(body)  # the city total, whose rate is a number
    rate_cell = wb["复工复产情况"].cell(row=last, column=header.index("复产率") + 1)
    assert rate_cell.value == doc["plans"]["resumption_rate"]
    assert rate_cell.number_format == "0.00%"

    def detail(name):
        rows = [list(r) for r in wb[name].iter_rows(values_only=True)]
        at = next(i for i, r in enumerate(rows) if r[0] in ("区县", "问题编号"))
        return [dict(zip(rows[at], r, strict=True)) for r in rows[at + 1 :]]

    not_resumed = detail("未复产企业")
    assert len(not_resumed) == doc["plans"]["total"] - doc["plans"]["operating"]
    problems = detail("未办结问题")
    assert len(problems) == doc["problems"]["open"]
    assert sum(p["逾期"] == "是" for p in problems) == doc["problems"]["overdue"]
    gaps = detail("用工缺口")
    assert sum(g["缺口"] for g in gaps) == doc["labour"]["gap"]
    assert all(isinstance(g["需求人数"], int) for g in gaps)


def test_report_workbook_in_english_for_a_district(cli, tmp_path):
    build_ledger(cli)
    out = tmp_path / "report.xlsx"
    ok(cli("report", "--district", "沙湾", "--as-of", "2020-02-14", "--lang", "en", "-o", out))
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["figures", "not yet resumed", "open problems", "labour gaps"]
    figures = [list(r) for r in wb["figures"].iter_rows(values_only=True)]
    assert figures[1][0] == "scope: 沙湾区 (511111)"
    header = next(r for r in figures if r[0] == "scope")
    assert "above-scale" in header and "resumption rate" in header
    assert [r[0] for r in figures if r[0] == "沙湾区"] == ["沙湾区"]
