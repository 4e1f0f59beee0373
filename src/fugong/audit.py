"""Keeping the ledger trustworthy: the data check and backup.

`findings` returns what a careful officer would want to look at before signing
a report; `backup` copies a SQLite ledger consistently while others may be
writing.  (Undo is undo.py.)
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from .asof import View, enterprises, latest, uninspected, with_merges
from .errors import FugongError
from .listing import (
    ENTERPRISE_FIELDS,
    enterprise_table,
    iter_labour_rows,
    iter_plan_rows,
    iter_problem_rows,
)
from .models import EVENT_MODELS, Batch, Enterprise, Labour, Plan, Problem
from .readmodel import differences
from .values import name_key, normalize_uscc

STALE_DAYS = 14
OWNERS = {"plan": Plan, "problem": Problem, "labour": Labour}

# kind of finding -> (severity, Chinese, English)
KINDS = {
    "future_date": ("error", "业务日期在未来", "business date in the future"),
    "overfilled": ("error", "已招超过需求", "more hired than needed"),
    "cache_mismatch": ("error", "企业缓存与历史不符", "cache differs from the history"),
    "model_mismatch": ("error", "报表缓存与历史不符", "report cache differs from the history"),
    "duplicate_uscc": ("error", "统一社会信用代码重复", "one USCC, two enterprises"),
    "duplicate_name": ("warning", "同区县重名企业", "one name twice in a district"),
    "probable_duplicate": ("warning", "疑似重复企业", "probably one enterprise twice"),
    "probable_duplicate_problem": ("warning", "疑似重复问题", "probably one problem twice"),
    "probable_duplicate_labour": ("warning", "疑似重复用工需求", "probably one demand twice"),
    "uscc_check": ("warning", "信用代码校验位不符", "USCC check character wrong"),
    "resumed_uninspected": ("warning", "未验收即复产", "resumed without inspection"),
    "no_plan": ("warning", "规上企业无复产计划", "above-scale without a plan"),
    "overdue": ("warning", "问题逾期未办结", "problem overdue"),
    "stale_labour": ("warning", "用工需求久未更新", "labour demand not updated"),
}
RECORDS = {
    "enterprise": ("企业", "enterprise"),
    "plan": ("复产计划", "plan"),
    "problem": ("问题", "problem"),
    "labour": ("用工需求", "labour demand"),
}


@dataclass(frozen=True)
class Finding:
    """One thing to look at: what kind, about which record (and its enterprise), and what
    was compared — in both languages; `as_dict` gives the document for --format json."""

    code: str
    record: str  # enterprise | plan | problem | labour
    record_id: int
    enterprise_id: int | None
    enterprise: str | None
    zh: str
    en: str

    @property
    def severity(self) -> str:
        return KINDS[self.code][0]

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "record": self.record,
            "record_id": self.record_id,
            "enterprise_id": self.enterprise_id,
            "enterprise": self.enterprise,
            "detail": self.en if lang == "en" else self.zh,
        }


def _legal_form_folded(key: str) -> str:
    """有限责任公司 and 有限公司 name the same kind of company."""
    return re.sub(r"有限责任公司$", "有限公司", key)


def findings(
    *, session: Session, today: date, as_of: date | None = None, district_codes=None
) -> list[Finding]:
    """Every data-quality finding as of a day (default today) in a scope, errors first.

    Business dates are compared with the office's `today`; everything else (an overdue
    problem, a demand not updated for two weeks) with `as_of`.  A record of an enterprise
    merged into another is about the one it counts for, as in every list and report.

    The records stream by; what is held is the scope's enterprises (as tuples, read
    once for every list) and a few values per problem: a city's `check` must not hold
    its lists as dictionaries (on 300k enterprises that was 970 MB).
    """
    day = as_of or today
    view = View(day)
    ents = enterprise_table(session=session, view=view, district_codes=district_codes)
    lists = {"session": session, "view": view, "district_codes": district_codes, "ents": ents}
    found = [
        *_enterprise_findings(session, ents),
        *_plan_findings(session, view, day, ents, lists),
        *_problem_findings(day, lists),
        *_labour_findings(session, day, lists),
        *_future_findings(session, today, ents, district_codes, with_merges(session, view)),
    ]
    found.extend(
        f
        for f in (*_cache_findings(session), *_model_findings(session))
        if district_codes is None or f.enterprise_id in ents
    )
    found.sort(key=lambda f: (f.severity != "error", f.code, f.record, f.record_id))
    return found


_NAME, _USCC, _DISTRICT, _ABOVE_SCALE = (
    ENTERPRISE_FIELDS.index(f) for f in ("name", "uscc", "district", "above_scale")
)


def _about(code: str, eid: int, ents: dict[int, tuple], zh: str, en: str) -> Finding:
    return Finding(code, "enterprise", eid, eid, ents[eid][_NAME], zh, en)


def _enterprise_findings(session: Session, ents: dict[int, tuple]) -> Iterator[Finding]:
    """A USCC's check character; names alike (probably one enterprise twice); one USCC
    borne by two live enterprises."""
    by_key: dict[str, list[int]] = defaultdict(list)
    for eid, ent in ents.items():
        if ent[_USCC]:
            try:
                _code, check_ok = normalize_uscc(ent[_USCC])
            except FugongError:
                check_ok = False
            if not check_ok:
                yield _about(
                    "uscc_check",
                    eid,
                    ents,
                    f"统一社会信用代码 {ent[_USCC]} 的校验位不符合 GB 32100",
                    f"USCC {ent[_USCC]} fails the GB 32100 check character",
                )
        by_key[_legal_form_folded(name_key(ent[_NAME]))].append(eid)
    for group in by_key.values():
        if len(group) < 2:
            continue
        same = (
            len({name_key(ents[e][_NAME]) for e in group}) == 1
            and len({ents[e][_DISTRICT] for e in group}) == 1
        )
        listed = [f"#{e} {ents[e][_NAME]} ({ents[e][_DISTRICT]})" for e in group]
        names, names_en = "、".join(listed), ", ".join(listed)
        for eid in group[1:]:
            yield _about(
                "duplicate_name" if same else "probable_duplicate",
                eid,
                ents,
                (
                    f"名称相同: {names}; 请合并 (enterprise merge)"
                    if same
                    else f"名称只差写法或公司类型: {names}; 若是同一企业请合并 (enterprise merge)"
                ),
                (
                    f"same name: {names_en}; merge them"
                    if same
                    else f"names differ only in spelling or legal form: {names_en}; "
                    "merge if one enterprise"
                ),
            )
    shared = (
        select(Enterprise.uscc)
        .where(Enterprise.live, Enterprise.uscc.is_not(None))
        .group_by(Enterprise.uscc)
        .having(func.count() > 1)
    )
    usccs: dict[str, list[int]] = defaultdict(list)
    for eid, uscc in session.execute(
        select(Enterprise.id, Enterprise.uscc)
        .where(Enterprise.live, Enterprise.uscc.in_(shared))
        .order_by(Enterprise.id)
    ):
        usccs[uscc].append(eid)
    for uscc, ids in usccs.items():
        for eid in ids[1:]:
            if eid in ents:
                others = [f"#{i}" for i in ids if i != eid]
                yield _about(
                    "duplicate_uscc",
                    eid,
                    ents,
                    f"统一社会信用代码 {uscc} 也属于 " + "、".join(others) + "; 请合并",
                    f"USCC {uscc} also belongs to " + ", ".join(others) + "; merge them",
                )


def _plan_findings(session, view, day, ents, lists) -> Iterator[Finding]:
    """Resumed without a passed inspection (the report's rule); above scale, no plan."""
    uninspected_plans = set(_resumed_uninspected(session, view))
    with_plan = set()
    for plan in iter_plan_rows(**lists, with_enterprise_id=True):
        with_plan.add(plan["enterprise_id"])
        if plan["id"] in uninspected_plans:
            yield Finding(
                "resumed_uninspected",
                "plan",
                plan["id"],
                plan["enterprise_id"],
                plan["name"],
                "已复产, 但复产前没有记录验收通过 (与报告的 未验收即复产 同一规则)",
                "resumed without a passed inspection recorded before (the report's rule)",
            )
    for eid, ent in ents.items():
        if ent[_ABOVE_SCALE] and eid not in with_plan:
            yield _about(
                "no_plan",
                eid,
                ents,
                f"规上企业, 截至 {day} 尚无复产计划",
                f"above scale, no plan by {day}",
            )


def _problem_findings(day, lists) -> Iterator[Finding]:
    """Overdue problems; a problem described as an earlier one of its enterprise was."""
    first_of: dict[tuple[int, str], tuple[int, date]] = {}  # (enterprise, text) -> problem
    for problem in iter_problem_rows(**lists, with_enterprise_id=True):
        eid = problem["enterprise_id"]
        if problem["overdue"]:
            yield Finding(
                "overdue",
                "problem",
                problem["id"],
                eid,
                problem["name"],
                f"办理时限 {problem['deadline']} 已过 (截至 {day}), 仍在办理中",
                f"deadline {problem['deadline']} passed by {day}, still open",
            )
        key = (eid, name_key(problem["description"] or ""))
        first = first_of.setdefault(key, (problem["id"], problem["raised_on"]))
        if first[0] != problem["id"]:  # (the rows come in id order: the first is earliest)
            yield Finding(
                "probable_duplicate_problem",
                "problem",
                problem["id"],
                eid,
                problem["name"],
                f"与问题 #{first[0]} 描述相同 ({first[1]} 提出); 若重复请作废 (problem withdraw)",
                f"same description as problem #{first[0]} (raised {first[1]}); "
                "withdraw it if a duplicate",
            )


def _labour_findings(session, day, lists) -> Iterator[Finding]:
    """More hired than needed; a gap not updated for STALE_DAYS; a second demand of one
    job type of an enterprise (as sheets and `labour add` match it: a merge makes one),
    whose figures the report counts twice if it is the same demand — until one of the
    two is set to zero."""
    stale_before = day - timedelta(days=STALE_DAYS)
    last_change = dict(session.execute(_last_change("labour", day)).all())
    first_of: dict[tuple[int, str | None], int] = {}  # (enterprise, job type) -> demand
    for labour in iter_labour_rows(**lists, with_enterprise_id=True):
        eid = labour["enterprise_id"]
        if labour["needed"] or labour["filled"]:
            first = first_of.setdefault((eid, labour["job_type"]), labour["id"])
            if first != labour["id"]:  # (the rows come in id order: the first is earliest)
                yield Finding(
                    "probable_duplicate_labour",
                    "labour",
                    labour["id"],
                    eid,
                    labour["name"],
                    f"与用工需求 #{first} 同为 {labour['job_type']}, 人数计了两次; 若为同一需求, "
                    f"用 labour set {labour['id']} --needed 0 --filled 0 清零",
                    f"the same job type ({labour['job_type']}) as demand #{first}: its figures "
                    f"count twice; if one demand, zero it: labour set {labour['id']} "
                    "--needed 0 --filled 0",
                )
        if labour["filled"] > labour["needed"]:
            yield Finding(
                "overfilled",
                "labour",
                labour["id"],
                eid,
                labour["name"],
                f"已招 {labour['filled']} 人, 超过需求 {labour['needed']} 人",
                f"filled {labour['filled']} exceeds needed {labour['needed']}",
            )
        last_on = last_change.get(labour["id"])
        if labour["gap"] > 0 and last_on is not None and last_on < stale_before:
            yield Finding(
                "stale_labour",
                "labour",
                labour["id"],
                eid,
                labour["name"],
                f"缺口 {labour['gap']} 人, 自 {last_on} 起到 {day} 已 {STALE_DAYS} 天以上未更新",
                f"gap {labour['gap']}, not updated since {last_on} "
                f"({STALE_DAYS}+ days before {day})",
            )


def _future_findings(session, today, ents, district_codes, view) -> Iterator[Finding]:
    """Business dates after the office's today (recorded by a clock that ran ahead); a
    merged enterprise's records are about the one kept (`view`: with_merges)."""
    for kind, (model, owner) in EVENT_MODELS.items():
        rows = session.execute(
            select(getattr(model, owner), func.max(model.business_date))
            .join(Batch, Batch.id == model.batch_id)
            .where(model.business_date > today, Batch.undone_at.is_(None))
            .group_by(getattr(model, owner))
        )
        for rid, when in rows:
            eid = view.keep(rid if kind == "enterprise" else _owner_of(session, kind, rid))
            if district_codes is not None and eid not in ents:
                continue
            yield Finding(
                "future_date",
                kind,
                rid,
                eid,
                ents[eid][_NAME] if eid in ents else None,
                f"业务日期 {when} 晚于今天 ({today})",
                f"business date {when} is after today ({today})",
            )


def _owner_of(session: Session, kind: str, rid: int) -> int | None:
    return session.execute(
        select(OWNERS[kind].enterprise_id).where(OWNERS[kind].id == rid)
    ).scalar()


def _resumed_uninspected(session: Session, view: View) -> list[int]:
    """Plans resumed as of the view without a passed inspection before the resumption:
    the report's own rule (asof.uninspected), asked of the event that gave the plan its
    status as of the view (the last of its day).  (Not by joining the latest statuses
    to every day's checks: SQLite joined those two subqueries row by row, and `check`
    of a 300k-plan ledger ran for half an hour.)"""
    status = latest("plan", "status", view, event=True)
    flag = uninspected(view, status.c.rid, status.c.dated, status.c.event, status.c.value)
    query = select(status.c.rid).where(status.c.value == "resumed", flag == 1)
    return list(session.execute(query.order_by(status.c.rid)).scalars())


def _last_change(kind: str, day: date):
    model, owner = EVENT_MODELS[kind]
    return (
        select(getattr(model, owner), func.max(model.business_date))
        .join(Batch, Batch.id == model.batch_id)
        .where(Batch.undone_at.is_(None), model.business_date <= day)
        .group_by(getattr(model, owner))
    )


def _cache_findings(session: Session) -> list[Finding]:
    """The Enterprise cache must say what the history says (one set-based query; its
    rows stream by: the session would hold them all, 200 MB on 300k enterprises.  Not
    compared in the query: SQLite then folds the history once per enterprise)."""
    now = enterprises(View(), ("name", "district", "uscc")).subquery("now")
    rows = session.connection().execute(
        select(
            Enterprise.id,
            Enterprise.name,
            now.c.name,
            now.c.district,
            now.c.uscc,
            Enterprise.district,
            Enterprise.uscc,
        ).join(now, now.c.id == Enterprise.id),
        execution_options={"yield_per": 5000},  # (PostgreSQL: a server-side cursor)
    )
    return [
        Finding(
            "cache_mismatch",
            "enterprise",
            eid,
            eid,
            cached,
            f"缓存的名称/区县/代码 ({cached}, {cached_district}, {cached_uscc}) "
            f"与历史 ({name}, {district}, {uscc}) 不符",
            f"cached name/district/USCC ({cached}, {cached_district}, {cached_uscc}) "
            f"differ from the history ({name}, {district}, {uscc})",
        )
        for eid, cached, name, district, uscc, cached_district, cached_uscc in rows
        if name is not None and (name, district, uscc) != (cached, cached_district, cached_uscc)
    ]


def _model_findings(session: Session) -> list[Finding]:
    """The report's read model must hold what the history makes of it (readmodel.py)."""
    differ = sorted(differences(session))
    names = dict(
        session.execute(
            select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(differ))
        ).all()
        if differ
        else ()
    )
    return [
        Finding(
            "model_mismatch",
            "enterprise",
            eid,
            eid,
            names.get(eid),
            "报表缓存中该企业的数据与历史不符, 报表数字可能有误; 请运行 fugong check --repair",
            "the report cache holds other rows for this enterprise than its history makes; "
            "figures may be wrong: run fugong check --repair",
        )
        for eid in differ
    ]


# --------------------------------------------------------------------------- backup


def backup(*, url: str, target: Path) -> None:
    """A consistent copy of a SQLite ledger, taken with SQLite's online backup API.

    Written whole or not at all: into a temporary file beside the target, which
    becomes the target only when the copy is complete (a killed or failed backup
    leaves no half-written file that would open as an empty ledger).  An
    existing file is never overwritten, the ledger itself least of all.
    """
    import os
    import sqlite3
    import tempfile
    from urllib.parse import quote

    from .db import is_sqlite, sqlite_path
    from .output import check_target

    if not is_sqlite(url):
        raise FugongError(
            "backup 只用于 SQLite 账本; PostgreSQL 请用 pg_dump",
            "backup is for SQLite ledgers; for PostgreSQL use pg_dump",
        )
    source_path = sqlite_path(url)
    check_target(target, ledger_file=source_path, what="backup")
    if target.exists():
        raise FugongError(f"{target} 已存在, 不覆盖", f"{target} exists; not overwriting it")
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
        os.close(fd)
    except OSError as exc:
        raise FugongError(
            f"无法写入 {target}: {exc.strerror}", f"cannot write {target}: {exc.strerror}"
        ) from None
    try:
        # a URI, to open read-only; the path percent-encoded (# ? % are characters)
        source = sqlite3.connect(f"file:{quote(source_path)}?mode=ro", uri=True, timeout=30)
        try:
            dest = sqlite3.connect(temporary)
            try:
                with dest:
                    source.backup(dest)
                dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            finally:
                dest.close()
        finally:
            source.close()
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.link(temporary, target)  # never over a file that appeared meanwhile
    except FileExistsError:
        raise FugongError(
            f"{target} 已存在, 不覆盖", f"{target} exists; not overwriting it"
        ) from None
    except (sqlite3.Error, OSError) as exc:
        raise FugongError(f"备份失败: {exc}", f"backup failed: {exc}") from None
    finally:
        Path(temporary).unlink(missing_ok=True)
