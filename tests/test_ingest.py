"""Sheet import without a database: encodings, header aliases, values, row errors."""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import io
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fugong.errors import FugongError, RowError, SheetError, ValueProblem
from fugong.firstseen import FirstLines, FirstSeen, IdBits
from fugong.ingest import RowErrors, SheetRow, open_sheet
from fugong.layouts import ALIASES, COLUMNS, ENTERPRISE_COLUMNS, LAYOUTS
from fugong.rejects import write_rejects
from fugong.values import make_uscc
from fugong.vocab import fold

DISTRICTS = {"沙湾": "511111", "沙湾区": "511111", "511111": "511111", "峨边": "511132"}
U1 = make_uscc("91511111MA6200001")
U2 = make_uscc("91511111MA6200002")
U3 = make_uscc("91511111MA6200003")
BAD_CHECK = U1[:17] + ("0" if U1[17] != "0" else "1")


def resolve(text: str) -> str:
    try:
        return DISTRICTS[text]
    except KeyError:
        raise ValueProblem(
            f"未知区县 '{text}'; 可选: 沙湾区, 峨边彝族自治县", f"unknown district '{text}'"
        ) from None


def sheet(text: str | bytes, layout: str = "plans", **kw):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return open_sheet("-", layout, resolve_district=resolve, stdin=io.BytesIO(data), **kw)


def read(text: str | bytes, layout: str = "plans", **kw):
    """(good rows, all errors as text) of a sheet."""
    rows, errors = [], []
    for row, errs in sheet(text, layout, **kw).rows():
        if row is None:
            assert errs
            errors.extend(str(e) for e in errs)
        else:
            assert errs == []
            rows.append(row)
    return rows, errors


def only_row(text: str, layout: str = "plans", **kw) -> SheetRow:
    rows, errors = read(text, layout, **kw)
    assert errors == []
    assert len(rows) == 1
    return rows[0]


def sheet_error(text: str | bytes, layout: str = "plans", **kw) -> list[str]:
    with pytest.raises(SheetError) as e:
        sheet(text, layout, **kw)
    return [str(x) for x in e.value.errors]


# --- layout ----------------------------------------------------------------------------


def test_layouts():
    assert LAYOUTS == ("enterprises", "plans", "problems", "labour")
    assert COLUMNS["enterprises"] == ENTERPRISE_COLUMNS
    assert COLUMNS["plans"][: len(ENTERPRISE_COLUMNS)] == ENTERPRISE_COLUMNS
    for layout in LAYOUTS:
        assert {"uscc", "name", "district"} <= set(COLUMNS[layout])
        assert all(c in ALIASES for c in COLUMNS[layout])


@pytest.mark.parametrize("layout", LAYOUTS)
def test_aliases_are_unambiguous_within_a_ledger(layout):
    seen: dict[str, str] = {}
    for column in COLUMNS[layout]:
        for word in (column, *ALIASES[column]):
            key = fold(word)
            assert seen.setdefault(key, column) == column, (word, column, seen[key])


SPEC_ALIASES = {
    "uscc": ["统一社会信用代码", "信用代码"],
    "name": ["企业名称", "企业"],
    "district": ["所属区县", "区县", "县(市、区)"],
    "sector": ["企业类型", "行业类别"],
    "above_scale": ["是否规上", "规上企业"],
    "key_enterprise": ["是否重点企业"],
    "employees": ["职工总数", "员工总数"],
    "liaison": ["挂联干部", "包联干部"],
    "contact": ["联系人"],
    "phone": ["联系电话"],
    "status": ["复产状态", "状态", "办理状态"],
    "planned_on": ["计划复产日期"],
    "inspected_on": ["验收日期"],
    "inspection": ["验收结果"],
    "resumed_on": ["复产日期", "实际复产日期"],
    "returned": ["到岗人数"],
    "reason": ["原因", "剔除原因"],
    "note": ["备注"],
    "ref": ["问题编号", "编号"],
    "category": ["问题类别"],
    "description": ["问题描述", "困难问题"],
    "raised_on": ["提出日期", "收集日期", "登记日期"],
    "department": ["责任单位", "主办单位"],
    "deadline": ["办理时限"],
    "resolved_on": ["办结日期", "解决日期"],
    "resolution": ["办理结果", "解决情况"],
    "job_type": ["工种", "岗位"],
    "needed": ["需求人数", "用工需求"],
    "filled": ["已招人数", "已到岗"],
    "requirements": ["技能要求"],
}


def test_every_spec_alias_is_known():
    for column, words in SPEC_ALIASES.items():
        assert set(words) <= set(ALIASES[column]), column


# --- header ----------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("pick", [0, -1])
def test_chinese_header_in_any_order(layout, pick):
    columns = list(reversed(COLUMNS[layout])) if pick else COLUMNS[layout]
    header = [ALIASES[c][pick] for c in columns]
    s = sheet(",".join(header) + "\n", layout)
    assert s.columns == COLUMNS[layout]
    assert s.header == header
    assert list(s.rows()) == []


def test_english_header_is_case_blank_and_width_insensitive():
    s = sheet(" USCC ,Ｎａｍｅ, District,Above Scale,KEY_ENTERPRISE,planned-on\n")
    assert s.columns == ["uscc", "name", "district", "above_scale", "key_enterprise", "planned_on"]


def test_header_variants():
    text = '*企业名称,县（市、区）,职工总数（人）,需求人数：,"统一社会\n信用代码"\n'
    s = sheet(text, "enterprises")
    assert s.columns == ["uscc", "name", "district", "employees"]


def test_unknown_columns_are_ignored():
    row = only_row(f"序号,企业名称,统一社会信用代码,经度,状态\n1,甲,{U1},103.5,已复产\n")
    assert row.values == {"name": "甲", "uscc": U1, "status": "resumed"}


def test_title_rows_above_the_header_are_skipped():
    text = f"沙湾区企业复工复产计划台账\n\n填报日期：2020年2月14日,,,\n企业名称,信用代码\n甲,{U1}\n"
    s = sheet(text)
    assert s.header_line == 4
    [(row, errors)] = list(s.rows())
    assert row.line == 5 and row.values == {"name": "甲", "uscc": U1}


def test_header_without_enterprise_column():
    assert sheet_error("区县,复产状态\n沙湾,已复产\n") == [
        "<stdin>:1: -: 区县,复产状态: 没有企业列（统一社会信用代码 或 企业名称）"
    ]


def test_sheet_of_one_title_line():
    assert sheet_error("沙湾区复工复产台账\n") == [
        "<stdin>:1: -: 沙湾区复工复产台账: 没有企业列（统一社会信用代码 或 企业名称）"
    ]


@pytest.mark.parametrize("data", [b"", b"\n\n", b"  \r\n", b"\xef\xbb\xbf"])
def test_empty_file(data):
    assert sheet_error(data) == ["<stdin>:1: -: : 空文件，没有表头"]


def test_duplicate_column():
    assert sheet_error("企业名称,信用代码,统一社会信用代码\n") == [
        "<stdin>:1: -: 统一社会信用代码: 重复的列：与第 2 列同为 uscc"
    ]


def test_header_errors_name_line_1():
    bad = b"\xe4\xbc\x81\xff,name\n"  # 企 then a byte valid in no UTF-8 character
    assert sheet_error(bad, encoding="utf-8") == [
        "<stdin>:1: -: b'\\xff': 无法解码（按 utf-8；可用 --encoding 指定编码）"
    ]
    assert sheet_error(b"name\x00,uscc\n") == ["<stdin>:1: -: NUL: 含有 NUL 字节（不是文本文件？）"]


def test_binary_files_are_refused():
    [xlsx] = sheet_error(b"PK\x03\x04rest of a zip")
    assert "Excel" in xlsx
    [utf16] = sheet_error("企业名称\n".encode("utf-16"))
    assert "UTF-16" in utf16


def test_unknown_or_unusable_encoding():
    with pytest.raises(ValueProblem):
        sheet("name\n", encoding="no-such-codec")
    with pytest.raises(ValueProblem):
        sheet("name\n", encoding="utf-16")


def test_missing_file(tmp_path):
    with pytest.raises(FugongError) as e:
        open_sheet(str(tmp_path / "nope.csv"), "plans", resolve_district=resolve)
    assert "nope.csv" in e.value.zh


# --- encodings and sources ----------------------------------------------------------------

CHINESE = f"企业名称,所属区县,统一社会信用代码,复产状态\n乐山（集团）有限公司,沙湾区,{U1},已复产\n"


def test_gb18030_file_with_chinese_headers(tmp_path):
    path = tmp_path / "台账.csv"
    path.write_bytes(CHINESE.encode("gb18030"))
    s = open_sheet(str(path), "plans", resolve_district=resolve)
    assert s.file == str(path)
    assert s.encoding == "gb18030"
    [(row, _)] = list(s.rows())
    assert row.values == {
        "name": "乐山（集团）有限公司",
        "district": "511111",
        "uscc": U1,
        "status": "resumed",
    }


def test_gbk_and_bom_and_plain_utf8_read_alike():
    expected = only_row(CHINESE).values
    assert only_row(CHINESE.encode("gbk")).values == expected
    assert only_row(CHINESE.encode("utf-8-sig")).values == expected
    assert sheet(CHINESE.encode("utf-8-sig")).header[0] == "企业名称"


def test_encoding_override():
    data = CHINESE.encode("gbk")
    assert only_row(data, encoding="GBK").values["name"] == "乐山（集团）有限公司"
    assert only_row(CHINESE.encode("utf-8-sig"), encoding="utf-8").values["uscc"] == U1


def test_encoding_decided_after_a_long_ascii_start():
    # 64 KiB of ASCII, then GBK: the decision waits for the first non-ASCII line.
    rows = "".join(f"{make_uscc(f'91511111MA{i:07d}')},x{i},planned\n" for i in range(3000))
    assert len(rows) > 64 * 1024
    data = ("uscc,name,status\n" + rows + f"{U1},乐山公司,已复产\n").encode("gbk")
    s = sheet(data)
    items = list(s.rows())
    assert s.encoding == "gb18030"
    assert items[-1][0].values["name"] == "乐山公司"
    assert all(row is not None for row, _ in items)


def test_stdin_file_name():
    s = sheet("name,district\n甲,峨边\n")
    assert s.file == "<stdin>"
    [(row, _)] = list(s.rows())
    assert row.values == {"name": "甲", "district": "511132"}


def test_cut_multibyte_character_at_the_sniff_boundary():
    body = "".join(f"甲乙丙丁公司{i},沙湾\n" for i in range(5000))
    for pad in range(3):
        data = (f"企业名称,区县,{'x' * pad}\n{body}").encode()
        try:
            data[: 64 * 1024].decode("utf-8")
        except UnicodeDecodeError:
            break  # the sample ends inside a character
    else:
        pytest.fail("no padding cuts a character")
    s = sheet(data)
    assert s.encoding == "utf-8"
    assert sum(1 for row, errors in s.rows() if row and not errors) == 5000


def test_one_gbk_line_does_not_turn_a_utf8_sheet_into_gb18030():
    # The first data line was pasted from a GBK sheet; the rest is UTF-8.  Read as
    # GB18030 the UTF-8 names would become plausible nonsense, not errors.
    data = (
        "企业名称,区县\n".encode()
        + "甲公司,沙湾\n".encode("gbk")
        + "".join(f"乙公司{i},沙湾\n" for i in range(3)).encode()
    )
    rows, errors = read(data)
    assert [r.values["name"] for r in rows] == ["乙公司0", "乙公司1", "乙公司2"]
    assert errors == ["<stdin>:2: -: b'\\xbc': 无法解码（按 utf-8；可用 --encoding 指定编码）"]


def test_lines_are_counted_across_blocks():
    # More than one read block (256 KiB) of good lines, then one bad line.
    body = "".join(f"甲乙丙丁公司{i},沙湾\n" for i in range(20000)).encode()
    assert len(body) > 2 * 256 * 1024
    rows, errors = read("企业名称,区县\n".encode() + body + b"\xff,x\n" + "乙,沙湾\n".encode())
    assert len(rows) == 20001
    assert errors == ["<stdin>:20002: -: b'\\xff': 无法解码（按 utf-8；可用 --encoding 指定编码）"]


def test_undecodable_and_nul_lines_are_row_errors():
    data = (
        "企业名称,区县\n甲,沙湾\n".encode("gb18030")
        + b"\xff\xff,\xb3\xc9\n"  # not GB18030
        + "乙,沙湾\n".encode("gb18030")
        + b"\xb1\xfb\x00,x\n"
        + "丙,沙湾\n".encode("gb18030")
    )
    rows, errors = read(data, encoding="gb18030")
    assert [r.values["name"] for r in rows] == ["甲", "乙", "丙"]
    assert errors == [
        "<stdin>:3: -: b'\\xff': 无法解码（按 gb18030；可用 --encoding 指定编码）",
        "<stdin>:5: -: NUL: 含有 NUL 字节（不是文本文件？）",
    ]


def test_rows_stream(tmp_path):
    class Endless(io.RawIOBase):
        """A header, then rows for ever: reading it all would never end."""

        def __init__(self):
            self.sent = 0
            lines = (
                f"{make_uscc(f'91511111MA{i:07d}')},甲{i}\n".encode() for i in itertools.count()
            )
            self.chunks = itertools.chain([b"uscc,name\n"], lines)
            self.buffer = b""

        def readable(self):
            return True

        def readinto(self, b):
            while len(self.buffer) < len(b):
                self.buffer += next(self.chunks)
            n = len(b)
            b[:n], self.buffer = self.buffer[:n], self.buffer[n:]
            self.sent += n
            return n

    raw = Endless()
    s = open_sheet("-", "plans", resolve_district=resolve, stdin=io.BufferedReader(raw))
    rows = s.rows()
    assert inspect.isgenerator(rows)
    first = list(itertools.islice(rows, 3000))
    assert [r.line for r, _ in first[:3]] == [2, 3, 4]
    assert raw.sent < 1024 * 1024


def test_rows_can_be_read_once():
    s = sheet("name,district\n甲,沙湾\n")
    list(s.rows())
    with pytest.raises(RuntimeError):
        list(s.rows())


# --- values -------------------------------------------------------------------------------


def test_every_value_form_of_a_plan():
    header = (
        "信用代码,企业名称,区县,企业类型,是否规上,是否重点企业,职工总数,挂联干部,联系人,"
        "联系电话,复产状态,计划复产日期,验收日期,验收结果,复产日期,到岗人数,原因,备注"
    )
    row = (
        f'  {U1.lower()} ,乐山（集团）有限公司 ,沙湾,工业,√,N,"1,200人",张三,李四,'
        "'+86 833 1234567,已复产,2020/2/10,2020.2.12,通过,2020年2月14日,５０,, '=SUM(A1)"
    )
    r = only_row(f"{header}\n{row}\n")
    assert r.values == {
        "uscc": U1,
        "name": "乐山（集团）有限公司",
        "district": "511111",
        "sector": "industry",
        "above_scale": True,
        "key_enterprise": False,
        "employees": 1200,
        "liaison": "张三",
        "contact": "李四",
        "phone": "+86 833 1234567",
        "status": "resumed",
        "planned_on": dt.date(2020, 2, 10),
        "inspected_on": dt.date(2020, 2, 12),
        "inspection": "passed",
        "resumed_on": dt.date(2020, 2, 14),
        "returned": 50,
        "note": "=SUM(A1)",
    }
    assert r.line == 2
    assert r.raw[0] == f"  {U1.lower()} "
    assert r.warnings == []


def test_every_value_form_of_a_problem():
    header = (
        "编号,企业,区县,问题类别,问题描述,收集日期,主办单位,办理时限,办理状态,解决日期,解决情况"
    )
    row = (
        "P-001,甲,沙湾,资金融资,流动资金不足,20200214,区经信局,2020-02-21,已办结,2020/2/20,"
        "已协调贷款"
    )
    r = only_row(f"{header}\n{row}\n", "problems")
    assert r.values == {
        "ref": "P-001",
        "name": "甲",
        "district": "511111",
        "category": "finance",
        "description": "流动资金不足",
        "raised_on": dt.date(2020, 2, 14),
        "department": "区经信局",
        "deadline": dt.date(2020, 2, 21),
        "status": "resolved",
        "resolved_on": dt.date(2020, 2, 20),
        "resolution": "已协调贷款",
    }


def test_every_value_form_of_labour():
    r = only_row(
        "企业名称,区县,岗位,需求人数,已到岗,登记日期,技能要求,备注\n甲,沙湾,普工,100人,80,2020-02-14,无,\n",
        "labour",
    )
    assert r.values == {
        "name": "甲",
        "district": "511111",
        "job_type": "general",
        "needed": 100,
        "filled": 80,
        "raised_on": dt.date(2020, 2, 14),
        "requirements": "无",
    }
    free = only_row("企业名称,区县,工种,需求人数\n甲,沙湾, 电焊工 ,3\n", "labour")
    assert free.values["job_type"] == "电焊工"


def test_blank_cells_and_lines_are_absent():
    rows, errors = read(f"uscc,name,status,note\n\n{U1}, , ,\n,,,\n  ,\t,,\n{U2},乙\n\n")
    assert errors == []
    assert [(r.line, r.values) for r in rows] == [
        (3, {"uscc": U1}),
        (6, {"uscc": U2, "name": "乙"}),
    ]


def test_fewer_cells_than_header_is_fine():
    assert only_row(f"uscc,name,status,note\n{U1}\n").values == {"uscc": U1}


def test_quoted_multi_line_cells_keep_line_numbers():
    text = f'uscc,note\n{U1},"one\ntwo\nthree"\n{U2},x\n{U3},-1\n'
    rows, errors = read(text)
    assert [r.line for r in rows] == [2, 5, 6]
    assert rows[0].values["note"] == "one\ntwo\nthree"
    assert rows[2].values["note"] == "-1"


def test_crlf_line_endings():
    rows, errors = read(f"uscc,name\r\n{U1},甲\r\n{U2},乙\r\n")
    assert errors == [] and [r.values["name"] for r in rows] == ["甲", "乙"]


def test_wrong_check_character_is_a_warning():
    r = only_row(f"企业名称,统一社会信用代码\n甲,{BAD_CHECK}\n")
    assert r.values["uscc"] == BAD_CHECK
    assert [str(w) for w in r.warnings] == [
        f"<stdin>:2: 统一社会信用代码: {BAD_CHECK}: 校验位错误（按 GB 32100 应为 {U1[17]}），请核对"
    ]


# --- row errors ---------------------------------------------------------------------------


def test_every_bad_cell_is_reported():
    text = (
        "信用代码,企业名称,区县,是否规上,职工总数,复产状态,复产日期\n"
        f"{U1},甲,沙湾,是,10,已复产,2020-02-14\n"
        "9.15111E+17,乙,沙弯,也许,-5,飞了,2020-02-30\n"
        f"{U2},丙,沙湾,否,十个,planned,2101/1/1\n"
        f"{U3},丁,沙湾,否,1.5,planned,\n"
    )
    rows, errors = read(text)
    assert [r.values["name"] for r in rows] == ["甲"]
    assert errors == [
        "<stdin>:3: 信用代码: 9.15111E+17: 疑似被 Excel 转成科学计数法；请把该列设为文本后重新填写",
        "<stdin>:3: 区县: 沙弯: 未知区县 '沙弯'; 可选: 沙湾区, 峨边彝族自治县",
        "<stdin>:3: 是否规上: 也许: 不是是/否值（可用 是/否、Y/N、1/0、√/×）",
        "<stdin>:3: 职工总数: -5: 不能为负数",
        "<stdin>:3: 复产状态: 飞了: 不是可用的复产状态；可选: 未停工 (not_stopped), "
        "计划复产 (planned), 验收通过 (approved), 已复产 (resumed), 暂缓 (suspended), "
        "剔除 (excluded)",
        "<stdin>:3: 复产日期: 2020-02-30: 日期不存在",
        "<stdin>:4: 职工总数: 十个: 不是有效数字",
        "<stdin>:4: 复产日期: 2101/1/1: 年份超出 1900–2100",
        "<stdin>:5: 职工总数: 1.5: 不是整数",
    ]


def test_errors_in_english():
    _, errors = read("name,district,employees\n甲,沙湾,-1\n", lang="en")
    assert errors == ["<stdin>:2: employees: -1: must not be negative"]


def test_row_wider_than_header():
    _, errors = read(f"uscc,name\n{U1},甲,,\n{U2},乙,多余,也多余\n")
    assert errors == ["<stdin>:3: -: 多余,也多余: 多出 2 个非空单元格（表头只有 2 列）"]


def test_row_without_enterprise():
    _, errors = read("name,district,status\n甲,,已复产\n,沙湾,已复产\n")
    assert errors == [
        "<stdin>:2: -: 甲: 缺少企业：需要统一社会信用代码，或企业名称 + 所属区县",
        "<stdin>:3: -: : 缺少企业：需要统一社会信用代码，或企业名称 + 所属区县",
    ]


def test_bad_enterprise_cell_is_not_reported_twice():
    _, errors = read("uscc,name\n123,甲\n")
    assert errors == ["<stdin>:2: uscc: 123: 应为 18 位，实为 3 位"]


def test_filled_more_than_needed():
    text = "企业名称,区县,工种,需求人数,已招人数\n甲,沙湾,普工,10,12\n甲,沙湾,技工,10,10\n"
    rows, errors = read(text, "labour")
    assert errors == ["<stdin>:2: 已招人数: 12: 已招人数 12 超过需求人数 10"]
    assert len(rows) == 1


def test_same_record_twice_with_different_values():
    text = (
        "企业名称,区县,复产状态\n"
        "甲,沙湾,已复产\n"
        "乙,沙湾,计划复产\n"
        "甲 ,沙湾区,resumed\n"  # the same record, the same values: fine
        "甲,沙湾,计划复产\n"
    )
    rows, errors = read(text)
    assert [r.line for r in rows] == [2, 3, 4]
    assert errors == ["<stdin>:5: 企业名称: 甲: 与第 2 行重复但内容不同"]


def test_same_record_twice_blocks_apart():
    # 12000 rows from a pipe (no size to go by: the table of first lines grows
    # several times), the same record again two blocks later.
    body = "".join(f"{make_uscc(f'91511111MA{i:07d}')},甲{i},已复产\n" for i in range(12000))
    again = f"{make_uscc('91511111MA0000001')},甲1,计划复产\n"
    same = f"{make_uscc('91511111MA0000002')},甲2,已复产\n"
    rows, errors = read("信用代码,企业名称,复产状态\n" + body + again + same)
    assert len(rows) == 12001
    assert errors == [
        f"<stdin>:12002: 信用代码: {make_uscc('91511111MA0000001')}: 与第 3 行重复但内容不同"
    ]


def test_same_name_in_another_district_is_another_record():
    rows, errors = read("企业名称,区县,复产状态\n甲,沙湾,已复产\n甲,峨边,计划复产\n")
    assert errors == [] and len(rows) == 2


def test_duplicate_uscc_named_by_its_column():
    _, errors = read(f"信用代码,复产状态\n{U1},已复产\n{U1.lower()},暂缓\n")
    assert errors == [f"<stdin>:3: 信用代码: {U1.lower()}: 与第 2 行重复但内容不同"]


def test_one_enterprise_by_uscc_and_by_name_is_one_record():
    """A line with the USCC and a line with only the name and district name one
    enterprise: different values are the same record twice, whichever comes first."""
    text = (
        "信用代码,企业名称,区县,复产状态\n"
        f"{U1},甲,沙湾,计划复产\n"
        ",甲,沙湾,已复产\n"  # after the USCC line: named by its name
        ",乙,沙湾,已复产\n"
        f"{U2},乙,沙湾,计划复产\n"  # before the USCC line: named by its USCC
        f"{U3},丙,沙湾,已复产\n"
        ",丙 ,沙湾区,resumed\n"  # the same values: fine
        ",甲,峨边,已复产\n"  # another district: another enterprise
    )
    rows, errors = read(text)
    assert [r.line for r in rows] == [2, 4, 6, 7, 8]
    assert errors == [
        "<stdin>:3: 企业名称: 甲: 与第 2 行重复但内容不同",
        f"<stdin>:5: 信用代码: {U2}: 与第 4 行重复但内容不同",
    ]


def test_one_enterprise_by_uscc_and_by_name_blocks_apart():
    # the USCC rows of the first blocks are only kept aside until a name-only row comes
    body = "".join(f"{make_uscc(f'91511111MA{i:07d}')},甲{i},沙湾,已复产\n" for i in range(12000))
    rows, errors = read(
        "信用代码,企业名称,区县,复产状态\n" + body + ",甲1,沙湾,计划复产\n,甲2,沙湾,已复产\n"
        f"{make_uscc('91511111MA0012001')},乙,沙湾,已复产\n,乙,沙湾,暂缓\n"
    )
    assert len(rows) == 12002
    assert errors == [
        "<stdin>:12002: 企业名称: 甲1: 与第 3 行重复但内容不同",
        "<stdin>:12005: 企业名称: 乙: 与第 12004 行重复但内容不同",
    ]


def test_a_line_in_conflict_is_nobodys_first_occurrence():
    """A refused line is not what later lines are compared with: line 4 says what
    line 2 says (the record as imported), whether the lines are one block apart
    or not (the USCC lines' names are set aside until a line without one comes)."""
    header = "信用代码,企业名称,区县,复产状态\n"
    near = f"{header},甲,沙湾,已复产\n{U1},甲,沙湾,暂缓\n{U1},甲,沙湾,已复产\n"
    rows, errors = read(near)
    assert [r.line for r in rows] == [2, 4]
    assert errors == [f"<stdin>:3: 信用代码: {U1}: 与第 2 行重复但内容不同"]
    filler = "".join(f"{make_uscc(f'91511111MA{i:07d}')},丁{i},沙湾,已复产\n" for i in range(5000))
    far = f"{header}{U1},甲,沙湾,已复产\n{U1},乙,沙湾,暂缓\n"
    rows, errors = read(far + filler + ",乙,沙湾,计划复产\n")
    assert errors == [f"<stdin>:3: 信用代码: {U1}: 与第 2 行重复但内容不同"]
    assert len(rows) == 5002


def test_two_usccs_of_one_name_are_not_the_same_record_twice():
    # which of them the name-only line means is the ledger's to say; the first is compared
    text = (
        f"信用代码,企业名称,区县,复产状态\n{U1},甲,沙湾,已复产\n{U2},甲,沙湾,暂缓\n,甲,沙湾,暂缓\n"
    )
    rows, errors = read(text)
    assert [r.line for r in rows] == [2, 3]
    assert errors == ["<stdin>:4: 企业名称: 甲: 与第 2 行重复但内容不同"]


def test_problem_and_demand_by_uscc_and_by_name():
    problems = (
        "编号,信用代码,企业名称,区县,问题描述,提出日期,办理状态\n"
        f",{U1},甲,沙湾,缺口罩,2020-02-10,办理中\n"
        ",,甲,沙湾,缺 口罩,2020/2/10,已办结\n"  # the same problem, named by name
        f"7,{U1},甲,沙湾,缺口罩,2020-02-11,办理中\n"
        "7,,甲,沙湾,缺口罩,2020-02-11,办理中\n"  # by its number: the enterprise is a value
    )
    _, errors = read(problems, "problems")
    assert errors == [
        "<stdin>:3: 企业名称: 甲: 与第 2 行重复但内容不同",
        "<stdin>:5: 编号: 7: 与第 4 行重复但内容不同",
    ]
    labour = (
        "信用代码,企业名称,区县,工种,需求人数\n"
        ",甲,沙湾,普工,10\n"
        f"{U1},甲,沙湾,技工,5\n"
        f"{U1},甲,沙湾,普工,12\n"
    )
    _, errors = read(labour, "labour")
    assert errors == [f"<stdin>:4: 信用代码: {U1}: 与第 2 行重复但内容不同"]


def test_problem_keys():
    text = (
        "编号,企业名称,区县,问题描述,提出日期,办理状态\n"
        "1,甲,沙湾,缺口罩,2020-02-10,办理中\n"
        "2,甲,沙湾,缺口罩,2020-02-10,办理中\n"  # another ref: another problem
        "1,甲,沙湾,缺口罩,2020-02-10,已办结\n"
        ",乙,沙湾,缺资金,2020-02-10,办理中\n"
        ",乙,沙湾,缺 资金,2020/2/10,已办结\n"
        ",乙,沙湾,缺资金,2020-02-11,已办结\n"
    )
    _, errors = read(text, "problems")
    assert errors == [
        "<stdin>:4: 编号: 1: 与第 2 行重复但内容不同",
        "<stdin>:6: 企业名称: 乙: 与第 5 行重复但内容不同",
    ]


def test_labour_key_is_enterprise_and_job():
    text = (
        "企业名称,区县,工种,需求人数\n"
        "甲,沙湾,普工,10\n"
        "甲,沙湾,技工,10\n"
        "甲,沙湾,general,12\n"
        "甲,沙湾,电 焊工,1\n"
        "甲,沙湾,电焊工,2\n"
    )
    _, errors = read(text, "labour")
    assert errors == [
        "<stdin>:4: 企业名称: 甲: 与第 2 行重复但内容不同",
        "<stdin>:6: 企业名称: 甲: 与第 5 行重复但内容不同",
    ]


def test_rejected_items_carry_their_cells():
    s = sheet("name,district\n甲,沙弯\n")
    [(row, errors)] = list(s.rows())
    assert row is None
    assert isinstance(errors, RowErrors)
    assert errors.line == 2 and errors.raw == ["甲", "沙弯"]
    assert errors == [
        RowError("<stdin>", 2, "district", "沙弯", "未知区县 '沙弯'; 可选: 沙湾区, 峨边彝族自治县")
    ]


def test_file_name_in_errors(tmp_path):
    path = tmp_path / "plans.csv"
    path.write_text("name,district\n甲,沙弯\n", encoding="utf-8")
    [(_, [error])] = list(open_sheet(str(path), "plans", resolve_district=resolve).rows())
    assert str(error).startswith(f"{path}:2: district: 沙弯: ")


def test_header_only_sheet_has_no_rows():
    assert list(sheet("企业名称,区县\n").rows()) == []


# --- rejects ----------------------------------------------------------------------------


def test_rejects_can_be_fixed_and_imported_again(tmp_path):
    text = (
        "企业名称,区县,职工总数,备注\n"
        "甲,沙湾,10,ok\n"
        "乙,沙弯,-5,'=1+1\n"
        "丙,沙湾,7,=cmd\n"  # good: its cell is kept, and guarded in the rejects
        "丁,沙湾,8,x,extra\n"
    )
    s = sheet(text)
    rejected = [(errors.raw, errors) for row, errors in s.rows() if row is None]
    path = tmp_path / "rejects.csv"
    write_rejects(str(path), s.header, rejected)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table == [
        ["企业名称", "区县", "职工总数", "备注", "error"],
        ["乙", "沙弯", "'-5", "'=1+1", "未知区县 '沙弯'; 可选: 沙湾区, 峨边彝族自治县; 不能为负数"],
        ["丁", "沙湾", "8", "x", "多出 1 个非空单元格（表头只有 4 列）", "extra"],
    ]
    # The officer fixes the district and the count, and imports the file again:
    fixed = data.decode("utf-8-sig").replace("沙弯", "沙湾").replace("'-5", "5")
    fixed = fixed.replace(",extra", "")
    rows, errors = read(fixed.encode("utf-8-sig"))
    assert errors == []
    assert [r.values for r in rows] == [
        {"name": "乙", "district": "511111", "employees": 5, "note": "=1+1"},
        {"name": "丁", "district": "511111", "employees": 8, "note": "x"},
    ]
    # Rejected again: still a single error column.
    s = sheet(data)
    again = [(errors.raw, errors) for row, errors in s.rows() if row is None]
    write_rejects(str(path), s.header, again)
    header = next(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert header == ["企业名称", "区县", "职工总数", "备注", "error"]


@given(st.lists(st.tuples(st.integers(-(2**70), 2**70), st.integers(0, 2**40)), max_size=300))
def test_first_seen_is_a_dict_of_first_values(pairs):
    """FirstSeen (open addressing, grown from its smallest table, keys given a few
    calls at a time) answers as a dict of each key's first value would."""
    seen, first = FirstSeen(), {}
    for start in range(0, len(pairs), 7):
        chunk = pairs[start : start + 7]
        expected = []
        for j, (key, value) in enumerate(chunk):
            earlier = first.setdefault((key & 0xFFFFFFFFFFFFFFFF) or 1, value)
            if (earlier ^ value) & 0xFFFFFFFF:
                expected.append((j, earlier))
        keys, values = [k for k, _ in chunk], [v for _, v in chunk]
        assert seen.conflicts(keys, values) == expected


def test_first_seen_keeps_every_key_when_it_grows():
    seen = FirstSeen()  # room for 2730 keys before it grows
    keys = [k * 0x9E3779B97F4A7C15 for k in range(10_000)]  # 64-bit keys, spread
    assert seen.conflicts(keys, list(range(10_000))) == []
    assert seen.conflicts(keys, [v + 1 for v in range(10_000)]) == [(k, k) for k in range(10_000)]


@given(
    st.lists(
        st.tuples(
            st.sampled_from([1, 2, 3, 4096, 2**23 - 1, 2**23, 2**40]),  # dense and far ids
            st.integers(1, 50),
            st.integers(-(2**63), 2**63 - 1),
        ),
        max_size=60,
    )
)
def test_first_lines_is_a_dict_of_first_lines(namings):
    """FirstLines answers as a dict of each record's first (line, what it said)
    would, for rows given a block at a time (the C-level path) or one by one."""
    lines, first = FirstLines(), {}
    for start in range(0, len(namings), 5):
        block = namings[start : start + 5]
        expected = []
        for j, (record, line, said) in enumerate(block):
            held = first.setdefault(record, (line, said & 0xFFFFFFFF))
            if held[1] != said & 0xFFFFFFFF and held[0] != line:
                expected.append((j, held[0]))
        records, numbers, saids = map(list, zip(*block, strict=True))
        assert lines.mark(records, numbers, saids) == expected


@given(
    st.lists(
        st.one_of(st.integers(0, 70_000), st.sampled_from([2**23 - 1, 2**23, 2**40])), max_size=200
    ),
    st.lists(
        st.one_of(st.integers(0, 80_000), st.sampled_from([2**23, 2**23 + 1, 2**41])),
        min_size=1,
        max_size=8,
    ),
)
def test_id_bits_count_as_a_set_of_ids(ids, limits):
    """IdBits (the records an import changed, a bit each) counts as a set would."""
    bits = IdBits()
    for rid in ids:
        bits.add(rid)
    for limit in limits:
        assert bits.count_below(limit) == len({rid for rid in ids if rid < limit})


def test_first_lines_holds_made_records_apart_until_their_chunk_is_written():
    lines = FirstLines()
    lines.made(7, 2, 11)
    assert (lines.first(7, 3, 11), lines.first(7, 3, 12)) == (0, 2)
    lines.drop_made()  # the chunk is applied again: id 7 may go to another record
    assert lines.first(7, 4, 12) == 0  # (now line 4 is its first)
    lines.made(8, 5, 1)
    lines.keep_made()
    assert lines.first(8, 6, 2) == 5


@pytest.mark.parametrize("blank_columns", [0, 2, 40])
def test_rows_read_the_same_whatever_the_sheet_width(blank_columns):
    """A sheet with many trailing blank columns (an Excel export) reads as a narrow
    one; rows shorter or longer than the header too (ingest._transposed)."""
    tail = "," * blank_columns
    text = (
        f"企业名称,区县,复产状态,职工总数{tail}\n"
        f"甲公司,沙湾,计划复产,10{tail}\n"
        "乙公司,沙湾\n"  # a short row: the missing cells are blank
        f"丙公司,峨边,已复产,30{tail}\n"
    )
    rows, errors = read(text)
    assert errors == []
    assert [
        (r.values["name"], r.values.get("status"), r.values.get("employees")) for r in rows
    ] == [
        ("甲公司", "planned", 10),
        ("乙公司", None, None),
        ("丙公司", "resumed", 30),
    ]
