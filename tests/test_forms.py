"""Upward forms through the CLI: `fugong form list|show|fill`, the filled workbooks read back.

SPEC "Trend, HTML report and upward forms" (the form bullet), issue 17: a form is
a superior's template kept as it is plus a TOML mapping; the district form's
figures are the report's, the enterprise form's rows are the lists'; a template
that differs from its mapping is refused naming what differs, and nothing is
written; a user's form in the forms folder is listed and filled.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from fugong import forms

FORMS = Path(__file__).resolve().parents[1] / "data" / "forms"
DISTRICT_FORM = "规上工业企业复工复产进度表"
ENTERPRISE_FORM = "企业复工复产情况统计表"
AS_OF = "2020-02-14"
# the district form's columns B..M, as its mapping says (A is 序号, N 备注 is blank)
DISTRICT_COLUMNS = {
    "C": "plans.total",
    "D": "plans.not_stopped",
    "E": "plans.resumed",
    "F": "plans.planned",
    "G": "plans.resumption_rate",
    "H": "plans.returned",
    "I": "plans.return_rate",
    "J": "problems.raised",
    "K": "problems.resolved",
    "L": "problems.open",
    "M": "labour.gap",
}
STATUS_WORDS = {
    "not_stopped": "未停工",
    "planned": "计划复产",
    "approved": "验收通过",
    "resumed": "已复产",
    "suspended": "暂缓",
    "excluded": "剔除",
    None: "未填报",
}
SECTOR_WORDS = {
    "industry": "工业",
    "services": "服务业",
    "construction": "建筑业",
    "agriculture": "农业",
    "other": "其他",
}


def ok(result):
    assert result.exit_code == 0, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    return result


def refused(result, *says: str) -> str:
    assert result.exit_code == 1, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    for text in says:
        assert text in result.stderr, result.stderr
    return result.stderr


def figure(doc: dict, key: str):
    section, name = key.split(".")
    return doc[section].get(name)  # returned / return_rate: when this report gives them


def find_row(ws, column: str, text: str) -> int:
    hits = [c.row for c in ws[column] if c.value == text]
    assert len(hits) == 1, (text, hits)
    return hits[0]


@pytest.fixture
def sample(cli):
    ok(cli("init", "--sample"))
    return cli


@pytest.fixture
def forms_folder(tmp_path, monkeypatch):
    folder = tmp_path / "forms"
    folder.mkdir()
    monkeypatch.setenv("FUGONG_FORMS", str(folder))
    return folder


def fill(cli, form, out, *args, env=None):
    return ok(cli("form", "fill", form, "-o", str(out), *args, env=env))


# --------------------------------------------------------------------------- list and show


def test_form_list_shows_the_shipped_forms(bare_cli, forms_folder):
    listed = json.loads(ok(bare_cli("form", "list", "--format", "json")).stdout)
    by_name = {f["name"]: f for f in listed}
    assert by_name[DISTRICT_FORM]["level"] == "district"
    assert by_name[ENTERPRISE_FORM]["level"] == "enterprise"
    assert {f["source"] for f in listed} == {"shipped"}
    for form in listed:
        assert Path(form["mapping"]).is_file() and Path(form["template"]).is_file()
    table = ok(bare_cli("form", "list")).stdout
    assert DISTRICT_FORM in table and "区县 (district)" in table and "内置" in table
    assert str(forms_folder) in table


def test_form_show_names_its_files_what_it_maps_and_how_to_copy_it(bare_cli, forms_folder):
    shown = ok(bare_cli("form", "show", DISTRICT_FORM)).stdout
    # the files named are the installed package's, wherever it is installed
    shipped = forms.shipped_folder()
    template = shipped / f"{DISTRICT_FORM}.xlsx"
    assert f"模板: {template}" in shown
    assert f"映射: {shipped / DISTRICT_FORM}.toml" in shown
    assert "表头: 第 3–4 行; 数据从第 5 行起" in shown
    assert "G  复工复产情况 / 复产率  →  plans.resumption_rate 复产率 [0.00%]" in shown
    assert "N  备注  →  （留空）" in shown
    assert "A2 (含 '填报单位' 的单元格)  ←  填报单位（盖章）：{unit}" in shown
    assert f"mkdir -p {forms_folder}" in shown
    assert "cp " in shown and str(template) in shown
    english = ok(bare_cli("form", "show", ENTERPRISE_FORM, "--lang", "en")).stdout
    assert "C  统一社会信用代码  →  uscc 统一社会信用代码" in english
    assert "to start your own from it" in english


# --------------------------------------------------------------------------- the district form


def test_district_form_gives_the_figures_of_the_report(sample, tmp_path):
    out = tmp_path / "进度表.xlsx"
    result = fill(sample, DISTRICT_FORM, out, "--as-of", AS_OF, "--unit", "乐山市经信局")
    doc = json.loads(ok(sample("report", "--as-of", AS_OF, "--format", "json")).stdout)
    ws = openpyxl.load_workbook(out)["进度表"]
    names = [d["scope"]["name"] for d in doc["districts"]]
    first = find_row(ws, "B", names[0])
    assert first == 5  # right under the two-row header
    for i, part in enumerate([*doc["districts"], doc]):
        row = first + i
        if part is doc:
            assert ws[f"B{row}"].value == "合计" and ws[f"A{row}"].value is None
            assert ws[f"B{row}"].font.b
        else:
            assert ws[f"A{row}"].value == i + 1
            assert ws[f"B{row}"].value == part["scope"]["name"]
        for letter, key in DISTRICT_COLUMNS.items():
            assert ws[f"{letter}{row}"].value == figure(part, key), (row, key)
        assert ws[f"G{row}"].number_format == "0.00%"
        assert ws[f"N{row}"].value is None
    assert ws[f"B{first + len(names) + 1}"].value is None  # nothing after the total
    # the reference figures of the source report, for good measure
    shawan = doc["districts"][names.index("沙湾区")]
    assert ws[f"C{first + names.index('沙湾区')}"].value == shawan["plans"]["total"] == 77
    assert ws[f"M{first + names.index('沙湾区')}"].value == 980
    # the fixed cells
    assert ws["A1"].value == "乐山市规上工业企业复工复产进度表"
    assert ws["A2"].value == "填报单位（盖章）：乐山市经信局"
    assert ws["G2"].value == "截至日期：2020年2月14日"
    assert ws["L2"].value.startswith("填报日期：") and "年" in ws["L2"].value
    if "returned" not in doc["plans"]:  # before the trend branch: said, not hidden
        assert "plans.returned" in result.stderr


def test_district_form_for_one_district_has_its_row_and_no_total(sample, tmp_path):
    out = tmp_path / "沙湾.xlsx"
    fill(sample, DISTRICT_FORM, out, "--as-of", AS_OF, "--district", "沙湾")
    doc = json.loads(
        ok(sample("report", "--district", "沙湾", "--as-of", AS_OF, "--format", "json")).stdout
    )
    ws = openpyxl.load_workbook(out).active
    assert ws["A1"].value == "沙湾区规上工业企业复工复产进度表"
    assert [ws["B5"].value, ws["A5"].value] == ["沙湾区", 1]
    for letter, key in DISTRICT_COLUMNS.items():
        assert ws[f"{letter}5"].value == figure(doc, key)
    assert ws["B6"].value is None
    assert ws["A7"].value.startswith("注：")  # the note stays where the template has it


def test_template_layout_survives_filling(sample, tmp_path):
    """Styles, merged cells, widths, heights, print setup and the rows under the table."""
    out = tmp_path / "进度表.xlsx"
    fill(sample, DISTRICT_FORM, out, "--as-of", AS_OF)
    before = openpyxl.load_workbook(FORMS / f"{DISTRICT_FORM}.xlsx")["进度表"]
    after = openpyxl.load_workbook(out)["进度表"]
    added = 12 - 1  # 11 districts + 合计 written over the template's one blank row
    head = {str(m) for m in before.merged_cells.ranges if m.max_row <= 4}
    assert head <= {str(m) for m in after.merged_cells.ranges}
    assert {"A7:N7", "A8:N8"} <= {str(m) for m in before.merged_cells.ranges}
    assert {f"A{7 + added}:N{7 + added}", f"A{8 + added}:N{8 + added}"} <= {
        str(m) for m in after.merged_cells.ranges
    }
    assert after[f"A{7 + added}"].value == before["A7"].value
    assert after[f"A{8 + added}"].value.startswith("填表人")
    assert after.row_dimensions[7 + added].height == before.row_dimensions[7].height
    for letter, dim in before.column_dimensions.items():
        assert after.column_dimensions[letter].width == dim.width
    assert after.page_setup.orientation == "landscape"
    assert after.page_setup.paperSize == before.page_setup.paperSize == 9
    assert after.page_setup.fitToWidth == 1
    assert after.sheet_properties.pageSetUpPr.fitToPage
    assert after.print_title_rows == before.print_title_rows
    assert after["A1"].font.sz == before["A1"].font.sz == 18
    assert after["D3"].font.name == "黑体"
    for row in range(5, 5 + 12):  # every data row bordered like the template's blank row
        for col in "ACGN":
            cell = after[f"{col}{row}"]
            assert cell.border.left.style == "thin" and cell.border.bottom.style == "thin"
            assert cell.font.name == before[f"{col}5"].font.name
        assert after.row_dimensions[row].height == before.row_dimensions[5].height


# --------------------------------------------------------------------------- the enterprise form


def test_enterprise_form_gives_the_rows_of_the_lists(sample, tmp_path):
    sample(
        "enterprise",
        "edit",
        "乐山大佛新材料有限公司",
        "--contact",
        "王芳",
        "--phone",
        "08332345678",
        "--date",
        "2020-02-10",
    )
    out = tmp_path / "统计表.xlsx"
    fill(sample, ENTERPRISE_FORM, out, "--as-of", AS_OF, "--district", "沙湾", "--unit", "沙湾区")
    scope = ("--as-of", AS_OF, "--district", "沙湾", "--format", "json")
    enterprises = json.loads(ok(sample("enterprise", "list", *scope)).stdout)
    plans = {p["name"]: p for p in json.loads(ok(sample("plan", "list", *scope)).stdout)}
    ws = openpyxl.load_workbook(out)["统计表"]
    assert ws["A1"].value == "沙湾区企业复工复产情况统计表"
    assert ws["A2"].value == "填报单位（盖章）：沙湾区"
    first = 4
    for i, ent in enumerate(enterprises):
        row = first + i
        plan = plans.get(ent["name"], {})
        got = {c: ws[f"{c}{row}"].value for c in "ABCDEFGHIJKLMNO"}
        resumed = plan.get("resumed_on")
        assert got == {
            "A": i + 1,
            "B": ent["name"],
            "C": ent["uscc"],
            "D": ent["district"],
            "E": SECTOR_WORDS[ent["sector"]],
            "F": "是" if ent["above_scale"] else "否",
            "G": ent["employees"],
            "H": STATUS_WORDS[plan.get("status")],
            "I": "是" if plan.get("status") in ("not_stopped", "resumed") else "否",
            "J": dt.datetime.fromisoformat(resumed) if resumed else None,
            "K": plan.get("returned"),
            "L": ent["contact"],
            "M": ent["phone"],
            "N": ent["liaison"],
            "O": plan.get("note"),
        }, row
        if ent["uscc"]:  # USCCs and phone numbers are text, formatted as text
            assert ws[f"C{row}"].data_type == "s" and ws[f"C{row}"].number_format == "@"
        if resumed:
            assert ws[f"J{row}"].is_date and ws[f"J{row}"].number_format == "yyyy/m/d"
    assert ws[f"B{first + len(enterprises)}"].value is None
    phone = ws[f"M{first}"]
    assert (phone.value, phone.data_type, phone.number_format) == ("08332345678", "s", "@")
    assert {p.get("status") for p in plans.values()} >= {"not_stopped", "planned"}


def test_enterprise_form_of_the_city_lists_every_enterprise(sample, tmp_path):
    out = tmp_path / "全市.xlsx"
    fill(sample, ENTERPRISE_FORM, out, "--as-of", AS_OF)
    listed = json.loads(
        ok(sample("enterprise", "list", "--as-of", AS_OF, "--format", "json")).stdout
    )
    ws = openpyxl.load_workbook(out).active
    names = [ws[f"B{r}"].value for r in range(4, 4 + len(listed))]
    assert names == [e["name"] for e in listed]
    assert ws[f"B{4 + len(listed)}"].value is None
    last = ws.max_row
    assert ws[f"A{last}"].value.startswith("填表人")
    assert ws[f"A{last - 1}"].value.startswith("说明")
    assert "统计表" in ws.parent.sheetnames[0]


# --------------------------------------------------------------------------- as of, known at


def test_the_filled_form_says_as_of_known_at_generated_and_by_which_fugong(sample, tmp_path):
    from fugong import __version__

    before = dt.datetime.now(dt.UTC).isoformat()
    ok(sample("plan", "set", "乐山大佛新材料有限公司", "--status", "suspended", "--date", AS_OF))
    first = tmp_path / "当时.xlsx"
    fill(sample, DISTRICT_FORM, first, "--as-of", AS_OF, "--known-at", before)
    now = tmp_path / "现在.xlsx"
    fill(sample, DISTRICT_FORM, now, "--as-of", AS_OF)
    for out, known in ((first, ("--known-at", before)), (now, ())):
        doc = json.loads(ok(sample("report", "--as-of", AS_OF, *known, "--format", "json")).stdout)
        wb = openpyxl.load_workbook(out)
        ws = wb["进度表"]
        row = find_row(ws, "B", "沙湾区")
        shawan = next(d for d in doc["districts"] if d["scope"]["name"] == "沙湾区")
        assert ws[f"D{row}"].value == shawan["plans"]["not_stopped"]
        props = {p.name: p.value for p in wb.custom_doc_props}
        assert props["fugong.as_of"] == AS_OF
        assert props["fugong.version"] == __version__
        assert props["fugong.scope"] == "乐山市 (511100)"
        generated = dt.datetime.fromisoformat(props["fugong.generated_at"])
        assert generated.utcoffset() == dt.timedelta(hours=8)
        note = wb["fugong"]
        assert note.sheet_state == "hidden"
        facts = {r[0].value: r[1].value for r in note.iter_rows(min_row=2)}
        assert facts["截至 / as_of"] == AS_OF
        assert facts["生成时间 / generated_at"] == props["fugong.generated_at"]
        assert wb.active.title == "进度表"
        assert f"fugong {__version__}" in wb.properties.description
    then = openpyxl.load_workbook(first)
    known_at = {p.name: p.value for p in then.custom_doc_props}["fugong.known_at"]
    assert dt.datetime.fromisoformat(known_at) == dt.datetime.fromisoformat(before)
    assert then["进度表"]["D6"].value == openpyxl.load_workbook(now)["进度表"]["D6"].value + 1


# --------------------------------------------------------------------------- refused templates


def _changed_copy(tmp_path: Path, change) -> Path:
    """A copy of the shipped district form (template + mapping) with the template changed."""
    template = tmp_path / "上级新表.xlsx"
    shutil.copy(FORMS / f"{DISTRICT_FORM}.toml", tmp_path / "上级新表.toml")
    wb = openpyxl.load_workbook(FORMS / f"{DISTRICT_FORM}.xlsx")
    change(wb, wb["进度表"])
    wb.save(template)
    return template


def _swap(ws, a, b):
    ws[a].value, ws[b].value = ws[b].value, ws[a].value


CHANGES = {
    "renamed": (
        lambda wb, ws: setattr(ws["E4"], "value", "复产企业数"),
        ["E 列的表头是 '复工复产情况 / 复产企业数', 映射中为 '复工复产情况 / 已复产'"],
    ),
    "moved": (
        lambda wb, ws: _swap(ws, "E4", "F4"),
        ["表头 '复工复产情况 / 计划复产' 的位置变了", "模板中在第 5 列 (E 列)"],
    ),
    "missing": (
        lambda wb, ws: (ws.delete_cols(13), ws.merged_cells.remove("M3:M4")),
        ["映射中的表头 '用工缺口（人）' 在模板中没有"],
    ),
    "added": (
        lambda wb, ws: setattr(ws["O3"], "value", "联系人"),
        ["模板 O 列多出表头 '联系人', 映射中没有"],
    ),
    "sheet": (
        lambda wb, ws: setattr(ws, "title", "Sheet1"),
        ["模板中没有工作表 '进度表' (有: Sheet1)"],
    ),
    "no unit cell": (
        lambda wb, ws: setattr(ws["A2"], "value", "单位："),
        ["模板中找不到含 '填报单位' 的单元格 (映射 cells[2])"],
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_changed_template_is_refused_and_nothing_is_written(bare_cli, tmp_path, change):
    edit, says = CHANGES[change]
    template = _changed_copy(tmp_path, edit)
    out = tmp_path / "out.xlsx"
    ledger = tmp_path / "never.db"  # refused before the ledger is opened
    result = bare_cli("form", "fill", template, "-o", out, env={"FUGONG_DB": str(ledger)})
    stderr = refused(result, "与映射不符, 未填写", *says)
    assert str(template) in stderr
    assert not out.exists() and not ledger.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["上级新表.toml", "上级新表.xlsx"]


def test_a_changed_template_is_refused_in_english(bare_cli, tmp_path):
    template = _changed_copy(tmp_path, CHANGES["renamed"][0])
    result = bare_cli("form", "fill", template, "-o", tmp_path / "o.xlsx", "--lang", "en")
    refused(result, "differs from its mapping; nothing filled", "column E reads")


def test_rows_already_filled_in_the_template_are_refused(bare_cli, tmp_path):
    def prefilled(wb, ws):
        ws["B5"], ws["C5"] = "沙湾区", 77

    template = _changed_copy(tmp_path, lambda wb, ws: prefilled(wb, ws))
    result = bare_cli("form", "fill", template, "-o", tmp_path / "o.xlsx")
    refused(result, "表格中第 5 行已有内容 (B5 '沙湾区'")


# --------------------------------------------------------------------------- the user's forms


def _user_form(folder: Path) -> None:
    """A superior's own district form: another layout, a 合计 row already in the
    template (at the top), more blank rows than districts, labels fugong infers."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "简表"
    ws["A1"] = "全市复工简表"
    ws.merge_cells("A1:E1")
    ws["A2"] = "报送单位：　　　　　"
    ws["D2"] = "数据截止："
    for col, label in enumerate(["地区", "规上企业", "在产", "复工率", "用工缺口(人)"], 1):
        ws.cell(3, col, label).font = openpyxl.styles.Font(bold=True)
    ws["A4"] = "全市合计"
    thin = openpyxl.styles.Side(style="thin")
    for row in range(4, 4 + 1 + 20):
        for col in range(1, 6):
            ws.cell(row, col).border = openpyxl.styles.Border(left=thin, bottom=thin)
    ws["A26"] = "报送要求：每日12时前报送。"
    ws.merge_cells("A26:E26")
    wb.save(folder / "全市复工简表.xlsx")
    (folder / "全市复工简表.toml").write_text(
        """
[form]
title = "全市复工简表"
level = "district"

[table]
total = "全市合计"
total_at = "top"

[[columns]]
header = "地区"

[[columns]]
header = "规上企业"

[[columns]]
header = "在产"

[[columns]]
header = "复工率"
format = "0.0%"

[[columns]]
header = "用工缺口(人)"

[[cells]]
find = "报送单位"
value = "报送单位：{unit}"

[[cells]]
find = "数据截止"
put = "right"
value = "{as_of}"
""",
        encoding="utf-8",
    )


def test_a_user_form_in_the_forms_folder_is_listed_and_filled(sample, tmp_path, forms_folder):
    _user_form(forms_folder)
    listed = json.loads(ok(sample("form", "list", "--format", "json")).stdout)
    mine = next(f for f in listed if f["name"] == "全市复工简表")
    assert (mine["source"], mine["level"]) == ("user", "district")
    assert mine["template"] == str(forms_folder / "全市复工简表.xlsx")
    out = tmp_path / "简表.xlsx"
    fill(sample, "全市复工简表", out, "--as-of", AS_OF, env={"FUGONG_UNIT": "市经信局"})
    doc = json.loads(ok(sample("report", "--as-of", AS_OF, "--format", "json")).stdout)
    ws = openpyxl.load_workbook(out)["简表"]
    assert ws["A2"].value == "报送单位：市经信局"
    assert ws["E2"].value == dt.datetime(2020, 2, 14) and ws["E2"].is_date
    rows = [doc, *doc["districts"]]  # the total first, as the template has it
    for i, part in enumerate(rows):
        row = 4 + i
        label = "全市合计" if part is doc else part["scope"]["name"]
        assert ws[f"A{row}"].value == label
        assert ws[f"B{row}"].value == part["plans"]["total"]
        assert ws[f"C{row}"].value == part["plans"]["operating"]
        assert ws[f"D{row}"].value == part["plans"]["resumption_rate"]
        assert ws[f"E{row}"].value == part["labour"]["gap"]
        assert ws[f"D{row}"].number_format == "0.0%"
    # the surplus blank rows are gone: the note follows the table
    assert ws[f"A{4 + len(rows)}"].value is None
    assert ws[f"A{4 + len(rows) + 1}"].value == "报送要求：每日12时前报送。"
    assert f"A{4 + len(rows) + 1}:E{4 + len(rows) + 1}" in {str(m) for m in ws.merged_cells.ranges}


def test_a_user_form_of_the_same_name_comes_first(bare_cli, forms_folder):
    for ext in ("xlsx", "toml"):
        shutil.copy(FORMS / f"{DISTRICT_FORM}.{ext}", forms_folder / f"{DISTRICT_FORM}.{ext}")
    shown = ok(bare_cli("form", "show", DISTRICT_FORM)).stdout
    assert f"映射: {forms_folder / DISTRICT_FORM}.toml" in shown and "(用户)" in shown


# --------------------------------------------------------------------------- errors


def _mapping(tmp_path: Path, edit) -> Path:
    text = (FORMS / f"{DISTRICT_FORM}.toml").read_text(encoding="utf-8")
    shutil.copy(FORMS / f"{DISTRICT_FORM}.xlsx", tmp_path / "t.xlsx")
    path = tmp_path / "t.toml"
    path.write_text(edit(text).replace(f"{DISTRICT_FORM}.xlsx", "t.xlsx"), encoding="utf-8")
    return path


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_mapping_errors_name_the_file_the_line_and_the_key(bare_cli, tmp_path):
    out = tmp_path / "o.xlsx"

    def fails(edit, *says, lang=()):
        path = _mapping(tmp_path, edit)
        stderr = refused(bare_cli("form", "fill", tmp_path / "t.xlsx", "-o", out, *lang), *says)
        assert not out.exists()
        return path, stderr

    path, stderr = fails(
        lambda t: t.replace('"plans.resumed"', '"plans.resumedd"'),
        "columns[5].field: 未知字段 'plans.resumedd' (可选: serial (序号)",
    )
    assert f"映射文件 {path}:{_line_of(path, 'plans.resumedd')}: " in stderr
    path, stderr = fails(
        lambda t: t.replace('header = "备注"', 'header = "备注'), "不是有效的 TOML"
    )
    line = _line_of(path, 'header = "备注')
    assert f"{path}:{line}: " in stderr
    fails(lambda t: t.replace("field = ", "feild = ", 1), "columns[1].feild: 未知的键")
    fails(
        lambda t: t.replace('level = "district"', 'level = "city"'), "form.level: 须为 enterprise"
    )
    fails(
        lambda t: t.replace("{unit}", "{units}"),
        "cells[2].value: unknown placeholder {units}",
        lang=("--lang", "en"),
    )
    fails(
        lambda t: t.replace('header = "备注"\nfield = ""', 'header = "备注说明"'),
        "表头 '备注说明' 不是 fugong 认识的字段",
    )


def test_unknown_form_missing_template_and_unknown_district_are_errors(sample, tmp_path):
    out = tmp_path / "o.xlsx"
    refused(sample("form", "fill", "进度表", "-o", out), "未知表单 '进度表' (可选: ")
    refused(sample("form", "show", "进度表", "--lang", "en"), "unknown form '进度表'")
    mapping = _mapping(tmp_path, lambda t: t)
    (tmp_path / "t.xlsx").unlink()
    refused(sample("form", "fill", mapping, "-o", out), "模板文件不存在: ", "t.xlsx")
    refused(
        sample("form", "fill", DISTRICT_FORM, "-o", out, "--district", "沙弯"),
        "未知区县 '沙弯'; 您是否要找: 沙湾区?",
    )
    refused(sample("form", "fill", DISTRICT_FORM, "-o", tmp_path / "o.csv"), "只能写成 .xlsx")
    assert not out.exists() and not (tmp_path / "o.csv").exists()


@pytest.mark.sqlite_only
def test_output_onto_the_ledger_or_the_template_is_refused(sample, db_url, tmp_path):
    ledger = Path(db_url)
    onto = ledger.with_suffix(".xlsx")
    ledger.rename(onto)
    size = onto.stat().st_size
    refused(sample("form", "fill", DISTRICT_FORM, "-o", onto, "--db", onto), "这是账本文件本身")
    assert onto.stat().st_size == size
    template = tmp_path / "t.xlsx"
    _mapping(tmp_path, lambda t: t)
    before = template.read_bytes()
    refused(sample("form", "fill", template, "-o", template, "--db", onto), "正在读取的输入文件")
    assert template.read_bytes() == before


# --------------------------------------------------------------------------- the shipped files


def test_the_shipped_templates_are_what_the_script_makes(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_forms", Path(__file__).resolve().parents[1] / "scripts" / "make_forms.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path)
    module.main()
    for made in tmp_path.glob("*.xlsx"):
        assert made.read_bytes() == (FORMS / made.name).read_bytes(), made.name


# --------------------------------------------------------------------------- form new


@pytest.mark.parametrize("form", [DISTRICT_FORM, ENTERPRISE_FORM])
def test_form_new_drafts_a_mapping_that_fills_as_the_shipped_one(sample, tmp_path, form):
    template = tmp_path / "上级的表.xlsx"
    shutil.copy(FORMS / f"{form}.xlsx", template)
    result = ok(sample("form", "new", template))
    assert "0 列留空" in result.stderr or "1 列留空" in result.stderr
    drafted = tmp_path / "上级的表.toml"
    assert drafted.is_file()
    args = ("--as-of", AS_OF, "--district", "沙湾", "--unit", "沙湾区经信局")
    fill(sample, template, tmp_path / "mine.xlsx", *args)
    fill(sample, form, tmp_path / "shipped.xlsx", *args)
    mine = openpyxl.load_workbook(tmp_path / "mine.xlsx").worksheets[0]
    shipped = openpyxl.load_workbook(tmp_path / "shipped.xlsx").worksheets[0]
    assert mine.max_row == shipped.max_row
    for row_mine, row_shipped in zip(mine.iter_rows(), shipped.iter_rows(), strict=True):
        assert [c.value for c in row_mine] == [c.value for c in row_shipped]
    refused(sample("form", "new", template), "已存在, 未覆盖")


def test_form_new_on_a_template_of_other_words(sample, tmp_path):
    """Headers with units and other words still find their figures; unknown ones stay blank."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "＿＿县复工复产日报表"
    ws["A2"] = "报送单位："
    ws["E2"] = "统计截止：  年  月  日"
    labels = ["地区", "规上工业企业（户）", "已复工复产企业（户）", "复工复产率（%）", "联系领导"]
    for col, label in enumerate(labels, 1):
        ws.cell(3, col, label)
    wb.save(tmp_path / "日报表.xlsx")
    ok(sample("form", "new", tmp_path / "日报表.xlsx"))
    text = (tmp_path / "日报表.toml").read_text(encoding="utf-8")
    for expected in (
        'level = "district"',
        'field = "district"',
        'field = "plans.total"',
        'field = "plans.operating"',
        'field = "plans.resumption_rate"',
        'value = "{scope}复工复产日报表"',
        'value = "报送单位：{unit}"',
        'value = "统计截止：{as_of:年月日}"',
    ):
        assert expected in text, expected
    out = tmp_path / "日报.xlsx"
    fill(sample, tmp_path / "日报表.xlsx", out, "--as-of", AS_OF, "--district", "五通桥")
    ws = openpyxl.load_workbook(out).active
    assert [ws[f"{c}4"].value for c in "ABCDE"] == ["五通桥区", 72, 39, 0.5417, None]
    assert ws["A1"].value == "五通桥区复工复产日报表"
    assert ws["E2"].value == "统计截止：2020年2月14日"
