"""Generate an office-style plan sheet: Chinese headers, mixed date forms, 是/否.

Usage: python bench/gen_plans.py ROWS OUT.csv [--encoding gb18030]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from fugong.values import make_uscc  # noqa: E402

DISTRICTS = [
    "沙湾",
    "五通桥区",
    "511113",
    "犍为县",
    "井研",
    "夹江县",
    "沐川",
    "峨边",
    "马边",
    "峨眉山市",
]
CODES = [
    "511111",
    "511112",
    "511113",
    "511123",
    "511124",
    "511126",
    "511129",
    "511132",
    "511133",
    "511181",
]
STATUSES = ["未停工", "计划复产", "验收通过", "已复产", "暂缓"]
HEADER = [
    "序号",
    "统一社会信用代码",
    "企业名称",
    "县(市、区)",
    "行业类别",
    "是否规上",
    "职工总数",
    "包联干部",
    "复产状态",
    "计划复产日期",
    "验收日期",
    "验收结果",
    "实际复产日期",
    "到岗人数",
    "备注",
]


def date_text(rng: random.Random, d: date) -> str:
    form = rng.randrange(5)
    if form == 0:
        return d.isoformat()
    if form == 1:
        return f"{d.year}/{d.month}/{d.day}"
    if form == 2:
        return f"{d.year}.{d.month}.{d.day}"
    if form == 3:
        return f"{d.year}年{d.month}月{d.day}日"
    return d.strftime("%Y%m%d")


def rows(count: int, seed: int = 7):
    rng = random.Random(seed)
    start = date(2020, 2, 1)
    for i in range(count):
        k = i % len(DISTRICTS)
        status = STATUSES[rng.randrange(len(STATUSES))]
        planned = start + timedelta(days=rng.randrange(5, 25))
        inspected = start + timedelta(days=rng.randrange(3, 12))
        resumed = inspected + timedelta(days=rng.randrange(0, 3))
        yield [
            str(i + 1),
            make_uscc(f"91{CODES[k]}MA{i:07d}") if i % 3 else "",
            f"乐山市第{i + 1}号企业有限公司",
            DISTRICTS[k],
            rng.choice(["工业", "服务业", "建筑业"]),
            rng.choice(["是", "否", "Y", "N"]),
            f"{rng.randrange(10, 2000):,}" if rng.random() < 0.3 else str(rng.randrange(10, 900)),
            rng.choice(["王明", "李华", "张军"]),
            status,
            date_text(rng, planned) if status == "计划复产" else "",
            date_text(rng, inspected) if status in ("验收通过", "已复产") else "",
            "通过" if status in ("验收通过", "已复产") else "",
            date_text(rng, resumed) if status == "已复产" else "",
            f"{rng.randrange(5, 90)}人" if status == "已复产" else "",
            "",
        ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", type=int)
    parser.add_argument("out")
    parser.add_argument("--encoding", default="utf-8-sig")
    args = parser.parse_args()
    with open(args.out, "w", encoding=args.encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows(args.rows))


if __name__ == "__main__":
    main()
