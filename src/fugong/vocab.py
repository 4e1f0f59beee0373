"""The closed vocabularies of the ledgers: canonical key, Chinese label, accepted words.

Stored values are the canonical English keys; officers may type either language
(and a few common synonyms).  Matching is done on an NFKC-folded, lower-cased,
blank-free form of the word.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# The master record's fields, in the order of every sheet layout (SPEC "CSV").
ENTERPRISE_COLUMNS = (
    "uscc",
    "name",
    "district",
    "sector",
    "above_scale",
    "key_enterprise",
    "employees",
    "liaison",
    "contact",
    "phone",
)


def fold(word: str) -> str:
    """The matching form of a vocabulary word or a name: NFKC, lower case, no blanks."""
    return "".join(unicodedata.normalize("NFKC", word).lower().split())


@dataclass(frozen=True)
class Vocabulary:
    name_zh: str
    name_en: str
    # key -> (Chinese label, English label, extra accepted words)
    terms: dict[str, tuple[str, str, tuple[str, ...]]]

    def label(self, key: str | None, lang: str = "zh") -> str:
        if key is None:
            return ""
        if key not in self.terms:
            return key  # free text (job types)
        zh, en, _ = self.terms[key]
        return en if lang == "en" else zh

    def lookup(self, word: str) -> str | None:
        """The canonical key for a typed word, or None."""
        wanted = fold(word)
        for key, (zh, en, extra) in self.terms.items():
            if wanted in {fold(key), fold(zh), fold(en), *(fold(x) for x in extra)}:
                return key
        return None

    def choices(self, lang: str = "zh") -> str:
        return ", ".join(f"{self.label(k, lang)} ({k})" if lang == "zh" else k for k in self.terms)


PLAN_STATUS = Vocabulary(
    "复产状态",
    "plan status",
    {
        "not_stopped": ("未停工", "not stopped", ("在产", "未停产", "not-stopped")),
        "planned": ("计划复产", "planned", ("拟复产", "计划复工", "待复产")),
        "approved": (
            "验收通过",
            "approved",
            ("批准生产", "验收通过/批准生产", "已验收", "已批准"),
        ),
        "resumed": ("已复产", "resumed", ("复产", "已复工", "已复工复产", "复工")),
        "suspended": ("暂缓", "suspended", ("停产", "暂缓/停产", "暂缓复产")),
        "excluded": ("剔除", "excluded", ("退规", "注销", "政策性停工", "已剔除")),
    },
)

PROBLEM_STATUS = Vocabulary(
    "办理状态",
    "problem status",
    {
        "open": ("办理中", "open", ("未办结", "待办", "正在办理", "未解决")),
        "resolved": ("已办结", "resolved", ("办结", "已解决", "已完成", "解决")),
    },
)

CATEGORY = Vocabulary(
    "问题类别",
    "problem category",
    {
        "labour": ("用工", "labour", ("labor", "用工问题", "招工")),
        "finance": ("资金融资", "finance", ("资金", "融资", "funding")),
        "materials": ("原材料供应", "materials", ("原材料", "原料", "raw materials")),
        "logistics": ("物流运输", "logistics", ("物流", "运输", "transport")),
        "epidemic_supplies": (
            "防疫物资",
            "epidemic supplies",
            ("防护物资", "防护用品", "口罩", "supplies"),
        ),
        "approvals": ("审批手续", "approvals", ("审批", "手续", "approval")),
        "policy": ("政策兑现", "policy", ("政策", "政策落实")),
        "energy": ("能源要素", "energy", ("能源", "要素保障", "水电气")),
        "operations": ("生产经营", "operations", ("经营", "生产")),
        "other": ("其他", "other", ("其它",)),
    },
)

JOB_TYPE = Vocabulary(
    "工种",
    "job type",
    {
        "general": ("普工", "general worker", ("general", "普通工人")),
        "skilled": ("技工", "skilled worker", ("skilled", "技术工人")),
        "engineer": ("工程师", "engineer", ("技术人员",)),
        "manager": ("管理人员", "manager", ("management", "管理")),
        "sales": ("营销", "sales", ("销售", "marketing")),
        "other": ("其他", "other", ("其它",)),
    },
)

SECTOR = Vocabulary(
    "企业类型",
    "sector",
    {
        "industry": ("工业", "industry", ("工业企业", "制造业")),
        "services": ("服务业", "services", ("服务", "服务业企业", "service")),
        "construction": ("建筑业", "construction", ("建筑", "在建项目")),
        "agriculture": ("农业", "agriculture", ("农业企业",)),
        "other": ("其他", "other", ("其它",)),
    },
)

INSPECTION = Vocabulary(
    "验收结果",
    "inspection",
    {
        "passed": ("通过", "passed", ("验收通过", "合格", "pass", "是", "y", "yes", "√", "✓")),
        "failed": ("未通过", "failed", ("不通过", "不合格", "fail", "否", "n", "no", "×", "✗")),
    },
)
