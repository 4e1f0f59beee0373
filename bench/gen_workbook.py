"""The .xlsx twin of an office-style plan sheet (bench/gen_plans.py), as Excel saves it.

The same rows as the CSV, typed the way an office's workbook holds them: 序号,
plain counts and ISO dates as numbers and date cells, everything else as text
(`1,200`, `50人`, `2020年2月14日`, USCCs); shared strings, as Excel and WPS write
them; above the header a notes sheet, a title merged across the columns and a
填报单位 row, and a 合计 row with a SUM no program has calculated below.

Usage: python bench/gen_workbook.py ROWS OUT.xlsx
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import zipfile
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_plans import HEADER, rows  # noqa: E402

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_EPOCH = date(1899, 12, 30)
DATE_STYLE = 1
DATE_COLUMNS = {"计划复产日期", "验收日期", "实际复产日期"}


def letters(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def write(count: int, out: str) -> None:
    strings: dict[str, int] = {}

    def text(ref: str, value: str) -> str:
        index = strings.setdefault(value, len(strings))
        return f'<c r="{ref}" t="s"><v>{index}</v></c>'

    width = len(HEADER)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as body:
        body.write(
            f'<row r="1">{text("A1", "沙湾区企业复工复产计划台账（截至2020年2月14日）")}</row>'
        )
        body.write(
            f'<row r="2">{text("A2", "填报单位：沙湾区经信局")}'
            f"{text('H2', '填报日期：2020年2月14日')}</row>"
        )
        body.write(
            '<row r="3">'
            + "".join(text(f"{letters(i)}3", h) for i, h in enumerate(HEADER))
            + "</row>"
        )
        n = 3
        for row in rows(count):
            n += 1
            cells = []
            for i, value in enumerate(row):
                if not value:
                    continue
                ref = f"{letters(i)}{n}"
                if HEADER[i] in DATE_COLUMNS and _ISO.fullmatch(value):
                    serial = (date.fromisoformat(value) - _EPOCH).days
                    cells.append(f'<c r="{ref}" s="{DATE_STYLE}"><v>{serial}</v></c>')
                elif value.isdigit() and HEADER[i] != "统一社会信用代码":
                    cells.append(f'<c r="{ref}"><v>{value}</v></c>')
                else:
                    cells.append(text(ref, value))
            body.write(f'<row r="{n}">{"".join(cells)}</row>')
        n += 1
        employees = letters(HEADER.index("职工总数"))
        body.write(
            f'<row r="{n}">{text(f"C{n}", "合计")}'
            f'<c r="{employees}{n}"><f>SUM({employees}4:{employees}{n - 1})</f></c></row>'
        )
        body.seek(0)
        sst = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("[Content_Types].xml", _content_types())
            zf.writestr(
                "_rels/.rels",
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                'relationships"><Relationship Id="rId1" Type="' + _R + '/officeDocument" '
                'Target="xl/workbook.xml"/></Relationships>',
            )
            zf.writestr(
                "xl/workbook.xml",
                f'<workbook xmlns="{_NS}" xmlns:r="{_R}"><sheets>'
                '<sheet name="填表说明" sheetId="1" r:id="rId1"/>'
                '<sheet name="复产台账" sheetId="2" r:id="rId2"/></sheets></workbook>',
            )
            zf.writestr(
                "xl/_rels/workbook.xml.rels",
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                f'relationships"><Relationship Id="rId1" Type="{_R}/worksheet" '
                f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{_R}/worksheet" '
                f'Target="worksheets/sheet2.xml"/><Relationship Id="rId3" Type="{_R}/styles" '
                f'Target="styles.xml"/><Relationship Id="rId4" Type="{_R}/sharedStrings" '
                'Target="sharedStrings.xml"/></Relationships>',
            )
            zf.writestr(
                "xl/styles.xml",
                f'<styleSheet xmlns="{_NS}">'
                '<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill></fills>'
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
                "</borders>"
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
                "</cellStyleXfs>"
                '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" '
                'applyNumberFormat="1"/></cellXfs></styleSheet>',
            )
            zf.writestr(
                "xl/worksheets/sheet1.xml",
                f'<worksheet xmlns="{_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is>'
                "<t>填表说明：日期用日期格式，统一社会信用代码用文本格式。</t></is></c></row>"
                "</sheetData></worksheet>",
            )
            with zf.open("xl/worksheets/sheet2.xml", "w") as sheet:
                sheet.write(
                    f'<worksheet xmlns="{_NS}"><dimension ref="A1:A1"/><sheetData>'.encode()
                )
                while block := body.read(1 << 20):
                    sheet.write(block.encode())
                last = letters(width - 1)
                sheet.write(
                    f'</sheetData><mergeCells count="1"><mergeCell ref="A1:{last}1"/>'
                    "</mergeCells></worksheet>".encode()
                )
            zf.writestr(
                "xl/sharedStrings.xml",
                f'<sst xmlns="{_NS}" count="{len(strings)}" '
                f'uniqueCount="{len(strings)}">{sst}</sst>',
            )


def _content_types() -> str:
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{main}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{main}.worksheet+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet2.xml" ContentType="{main}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{main}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{main}.sharedStrings+xml"/>'
        "</Types>"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", type=int)
    parser.add_argument("out")
    args = parser.parse_args()
    write(args.rows, args.out)


if __name__ == "__main__":
    main()
