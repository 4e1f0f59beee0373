"""Generate the bundled sample ledger (data/sample/*.csv).

The enterprises are fictional; the figures as of 2020-02-14 reproduce those of
the source report (../shared/seed/): 沙湾 77 above-scale, 23 not stopped, 54
planned, 20+ problems mostly solved, a hiring gap of 980; 五通桥 39 of 72
resumed (54.2%); 夹江 33 above-scale resumed (58 industrial, 21 agricultural);
金口河 8 industrial, 12 service, 10 construction; 井研 some planned.

Run from the repository root: python scripts/make_sample.py
"""

from __future__ import annotations

import csv
import random
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from fugong.values import make_uscc  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "data" / "sample"
rng = random.Random(20200214)

PLACES = [
    "嘉州",
    "凌云",
    "大佛",
    "沫若",
    "青衣",
    "峨秀",
    "三江",
    "绥山",
    "铜河",
    "龙泓",
    "马踏",
    "福禄",
    "沙溪",
    "轸溪",
    "太平",
    "踏水",
]
TRADES = {
    "工业": [
        "机械",
        "化工",
        "硅材料",
        "建材",
        "食品",
        "纺织",
        "电子",
        "冶金",
        "包装",
        "制药",
        "陶瓷",
        "新材料",
    ],
    "服务业": ["宾馆", "酒店", "物流", "商贸", "餐饮"],
    "建筑业": ["建设", "路桥", "建工"],
    "农业": ["茶业", "农业", "养殖", "果蔬"],
}
DISTRICT_CODE = {
    "沙湾": "511111",
    "五通桥": "511112",
    "金口河": "511113",
    "井研": "511124",
    "夹江": "511126",
}
LIAISONS = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"]
used_names: set[str] = set()
serial = 0


def enterprise(district: str, sector: str, above: bool) -> dict:
    global serial
    serial += 1
    while True:
        name = f"乐山{rng.choice(PLACES)}{rng.choice(TRADES[sector])}"
        name += rng.choice(["有限公司", "有限责任公司", "股份有限公司", "厂"])
        if name not in used_names:
            used_names.add(name)
            break
    code = DISTRICT_CODE[district]
    uscc = make_uscc(f"91{code}MA6{serial:06d}") if serial % 4 else ""
    return {
        "统一社会信用代码": uscc,
        "企业名称": name,
        "所属区县": district,
        "企业类型": sector,
        "是否规上": "是" if above else "否",
        "职工总数": str(rng.randint(30, 400) if above else rng.randint(8, 60)),
        "挂联干部": rng.choice(LIAISONS) + rng.choice(["明", "华", "军", "丽", "强"]),
    }


def day(d: int) -> str:
    return (date(2020, 2, 1) + timedelta(days=d - 1)).isoformat()


plans: list[dict] = []
problems: list[dict] = []
labour: list[dict] = []


def plan(ent: dict, status: str, **extra) -> dict:
    row = {**ent, "复产状态": status, **extra}
    plans.append(row)
    return row


# 沙湾区: 77 above-scale, 23 never stopped, 54 planned (some inspected, none resumed yet).
shawan = [enterprise("沙湾", "工业", True) for _ in range(77)]
for ent in shawan[:23]:
    plan(ent, "未停工", 验收日期=day(rng.randint(8, 12)), 验收结果="通过")
for i, ent in enumerate(shawan[23:]):
    extra = {"计划复产日期": day(rng.randint(15, 25))}
    if i % 9 == 0:
        extra |= {"验收日期": day(13), "验收结果": "不通过", "备注": "防疫措施待整改"}
    plan(ent, "计划复产", **extra)
shawan_small = [enterprise("沙湾", rng.choice(["工业", "服务业"]), False) for _ in range(10)]

# 五通桥区: 72 above-scale industrial; 39 resumed (inspected first), 33 planned.
wtq = [enterprise("五通桥", "工业", True) for _ in range(72)]
for ent in wtq[:39]:
    inspected = rng.randint(3, 12)
    plan(
        ent,
        "已复产",
        验收日期=day(inspected),
        验收结果="通过",
        复产日期=day(inspected + rng.randint(0, 2)),
        到岗人数=str(rng.randint(10, 80)),
    )
for ent in wtq[39:]:
    plan(ent, "计划复产", 计划复产日期=day(rng.randint(15, 24)))

# 夹江县: 58 industrial resumed (33 above-scale) + 5 above-scale planned; 21 agricultural resumed.
jj_above = [enterprise("夹江", "工业", True) for _ in range(38)]
for ent in jj_above[:33]:
    plan(
        ent,
        "已复产",
        验收日期=day(rng.randint(4, 9)),
        验收结果="通过",
        复产日期=day(rng.randint(10, 14)),
        到岗人数=str(rng.randint(20, 120)),
    )
for ent in jj_above[33:]:
    plan(ent, "计划复产", 计划复产日期=day(20))
for _ in range(25):
    plan(enterprise("夹江", "工业", False), "已复产", 复产日期=day(rng.randint(10, 14)))
for _ in range(21):
    plan(enterprise("夹江", "农业", False), "已复产", 复产日期=day(rng.randint(6, 14)))

# 金口河区: 8 private industrial, 12 hotels and services, 10 construction projects.
for i in range(8):
    ent = enterprise("金口河", "工业", i < 5)
    if i < 4:
        plan(ent, "已复产", 验收日期=day(10), 验收结果="通过", 复产日期=day(12))
    else:
        plan(ent, "计划复产", 计划复产日期=day(18))
for i in range(12):
    plan(
        enterprise("金口河", "服务业", False),
        "已复产" if i < 7 else "暂缓",
        **({"复产日期": day(11)} if i < 7 else {"原因": "客源不足"}),
    )
for _ in range(10):
    plan(enterprise("金口河", "建筑业", False), "计划复产", 计划复产日期=day(rng.randint(17, 28)))

# 井研县: above-scale enterprises that plan to resume.
for _ in range(15):
    plan(enterprise("井研", "工业", True), "计划复产", 计划复产日期=day(rng.randint(16, 26)))

CATEGORIES = [
    "用工",
    "资金融资",
    "原材料供应",
    "物流运输",
    "防疫物资",
    "审批手续",
    "政策兑现",
    "能源要素",
]
DEPARTMENTS = [
    "区经信局",
    "区人社局",
    "区金融办",
    "区交通局",
    "区市场监管局",
    "区发改局",
    "区税务局",
]
TEXTS = {
    "用工": "外地员工无法返岗",
    "资金融资": "流动资金紧张, 需要贷款展期",
    "原材料供应": "上游原料断供",
    "物流运输": "原料运不进来, 成品运不出去",
    "防疫物资": "口罩和消毒液紧缺",
    "审批手续": "复产审批材料不清楚",
    "政策兑现": "社保减免政策如何申请",
    "能源要素": "锅炉压力检测未完成",
}


def problem(ent: dict, number: str, raised: int, solved: int | None) -> None:
    category = rng.choice(CATEGORIES)
    row = {
        "问题编号": number,
        "统一社会信用代码": ent["统一社会信用代码"],
        "企业名称": ent["企业名称"],
        "所属区县": ent["所属区县"],
        "问题类别": category,
        "问题描述": TEXTS[category],
        "提出日期": day(raised),
        "责任单位": rng.choice(DEPARTMENTS),
        "办理时限": day(raised + 3),
        "办理状态": "已办结" if solved else "办理中",
        "办结日期": day(solved) if solved else "",
        "办理结果": "已协调解决" if solved else "",
    }
    problems.append(row)


# 沙湾: 24 problems collected, 21 solved.
for i in range(24):
    raised = rng.randint(3, 12)
    problem(
        rng.choice(shawan + shawan_small),
        f"SW-{i + 1:03d}",
        raised,
        min(raised + rng.randint(0, 3), 14) if i < 21 else None,
    )
# 五通桥: 12 raised on the hotline, 10 solved; 夹江: 10 solved.
for i in range(12):
    raised = rng.randint(4, 11)
    problem(rng.choice(wtq), f"WTQ-{i + 1:03d}", raised, raised + 2 if i < 10 else None)
for i in range(11):
    raised = rng.randint(4, 10)
    problem(rng.choice(jj_above), f"JJ-{i + 1:03d}", raised, raised + 3 if i < 10 else None)

# 沙湾 labour demand: a gap of exactly 980 across 40 demands.
JOBS = ["普工", "技工", "工程师", "管理人员", "营销"]
pairs = set()
needed_total, filled_total = 0, 0
employers = shawan[:30] + shawan_small
while len(labour) < 40:
    ent = rng.choice(employers)
    job = rng.choice(JOBS)
    if (ent["企业名称"], job) in pairs:
        continue
    pairs.add((ent["企业名称"], job))
    needed = rng.randint(10, 45)
    filled = rng.randint(0, needed // 3)
    labour.append(
        {
            "统一社会信用代码": ent["统一社会信用代码"],
            "企业名称": ent["企业名称"],
            "所属区县": ent["所属区县"],
            "工种": job,
            "需求人数": needed,
            "已招人数": filled,
            "登记日期": day(rng.randint(5, 12)),
        }
    )
gap = sum(r["需求人数"] - r["已招人数"] for r in labour)
labour[-1]["需求人数"] += 980 - gap  # make the gap exactly the report's 980
assert labour[-1]["需求人数"] >= labour[-1]["已招人数"]
for r in labour:
    r["需求人数"] = f"{r['需求人数']}人"
# 五通桥 and 夹江 have demand too.
for ent in wtq[:6] + jj_above[:6]:
    labour.append(
        {
            "统一社会信用代码": ent["统一社会信用代码"],
            "企业名称": ent["企业名称"],
            "所属区县": ent["所属区县"],
            "工种": "普工",
            "需求人数": str(rng.randint(10, 40)),
            "已招人数": "5",
            "登记日期": day(8),
        }
    )


def write(name: str, rows: list[dict]) -> None:
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]
    with open(OUT / name, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)


write("plans.csv", plans + [{**e} for e in shawan_small])
write("problems.csv", problems)
write("labour.csv", labour)
print(f"{len(plans)} plans, {len(problems)} problems, {len(labour)} labour rows -> {OUT}")
