"""Keeping the ledger trustworthy: the data check and backup.

`findings` returns what a careful officer would want to look at before signing
a report; `backup` copies a SQLite ledger consistently while others may be
writing.  (Undo is undo.py.)
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from .asof import View, enterprises
from .errors import FugongError
from .listing import enterprise_rows, labour_rows, plan_rows, problem_rows
from .models import EVENT_MODELS, Batch, Enterprise, Labour, Plan, Problem
from .values import name_key, normalize_uscc

STALE_DAYS = 14
OWNERS = {"plan": Plan, "problem": Problem, "labour": Labour}


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" | "warning"
    code: str
    record: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _legal_form_folded(key: str) -> str:
    """有限责任公司 and 有限公司 name the same kind of company."""
    return re.sub(r"有限责任公司$", "有限公司", key)


def findings(*, session: Session, today: date) -> list[Finding]:
    """Every data-quality finding of the ledger as of today, errors first."""
    view = View(today)
    found: list[Finding] = []
    enterprises = enterprise_rows(session=session, view=View())
    by_key: dict[str, list[dict]] = defaultdict(list)
    for ent in enterprises:
        label = f"#{ent['id']} {ent['name']}"
        if ent["uscc"]:
            try:
                _code, check_ok = normalize_uscc(ent["uscc"])
            except FugongError:
                check_ok = False
            if not check_ok:
                found.append(
                    Finding(
                        "warning", "uscc_check", label, f"统一社会信用代码 {ent['uscc']} 校验位不符"
                    )
                )
        by_key[_legal_form_folded(name_key(ent["name"]))].append(ent)
    for group in by_key.values():
        if len(group) > 1:
            names = "; ".join(f"#{e['id']} {e['name']} ({e['district']})" for e in group)
            found.append(
                Finding("warning", "probable_duplicate", names, "名称相同, 可能是同一企业")
            )

    plans = plan_rows(session=session, view=view)
    planned_ids = set()
    for plan in plans:
        planned_ids.add((plan["name"], plan["district"]))
        passed_first = (
            plan["inspection"] == "passed"
            and plan["inspected_on"] is not None
            and (plan["resumed_on"] is None or plan["inspected_on"] <= plan["resumed_on"])
        )
        if plan["status"] == "resumed" and not passed_first:  # as the report counts it
            found.append(
                Finding(
                    "warning",
                    "resumed_uninspected",
                    f"#{plan['id']} {plan['name']}",
                    "未验收即复产",
                )
            )
    for ent in enterprise_rows(session=session, view=view):
        if ent["above_scale"] and (ent["name"], ent["district"]) not in planned_ids:
            found.append(
                Finding("warning", "no_plan", f"#{ent['id']} {ent['name']}", "规上企业尚无复产计划")
            )
    for problem in problem_rows(session=session, view=view):
        if problem["overdue"]:
            found.append(
                Finding(
                    "warning",
                    "overdue",
                    f"问题 #{problem['id']} {problem['name']}",
                    f"办理时限 {problem['deadline']} 已过, 仍在办理中",
                )
            )
    stale_before = today - timedelta(days=STALE_DAYS)
    last_change = dict(session.execute(_last_change("labour")).all())
    for labour in labour_rows(session=session, view=view):
        label = f"用工需求 #{labour['id']} {labour['name']}"
        if labour["filled"] > labour["needed"]:
            found.append(
                Finding(
                    "error",
                    "overfilled",
                    label,
                    f"已招 {labour['filled']} 超过需求 {labour['needed']}",
                )
            )
        last_on = last_change.get(labour["id"])
        if labour["gap"] > 0 and last_on is not None and last_on < stale_before:
            found.append(
                Finding(
                    "warning", "stale_labour", label, f"自 {last_on} 起 {STALE_DAYS} 天以上未更新"
                )
            )
    for kind, (model, owner) in EVENT_MODELS.items():
        rows = session.execute(
            select(getattr(model, owner), func.max(model.business_date))
            .join(Batch, Batch.id == model.batch_id)
            .where(model.business_date > today, Batch.undone_at.is_(None))
            .group_by(getattr(model, owner))
        )
        for rid, when in rows:
            found.append(
                Finding("error", "future_date", f"{kind} #{rid}", f"业务日期 {when} 在未来")
            )
    found.extend(_cache_findings(session))
    found.sort(key=lambda f: (f.severity != "error", f.code, f.record))
    return found


def _last_change(kind: str):
    model, owner = EVENT_MODELS[kind]
    return (
        select(getattr(model, owner), func.max(model.business_date))
        .join(Batch, Batch.id == model.batch_id)
        .where(Batch.undone_at.is_(None))
        .group_by(getattr(model, owner))
    )


def _cache_findings(session: Session) -> list[Finding]:
    """The Enterprise cache must say what the history says (one set-based query)."""
    now = enterprises(View(), ("name", "district", "uscc")).subquery("now")
    rows = session.execute(
        select(
            Enterprise.id,
            Enterprise.name,
            now.c.name,
            now.c.district,
            now.c.uscc,
            Enterprise.district,
            Enterprise.uscc,
        ).join(now, now.c.id == Enterprise.id)
    )
    return [
        Finding("error", "cache_mismatch", f"#{eid} {cached}", "企业缓存与历史记录不一致")
        for eid, cached, name, district, uscc, cached_district, cached_uscc in rows
        if name is not None and (name, district, uscc) != (cached, cached_district, cached_uscc)
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
