"""Finding what the officer names: districts and enterprises.

Read-only look-ups shared by the recording commands, the import and the
reports.  An unknown or ambiguous name is a FugongError that lists the
candidates (SPEC "Domain").
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from .errors import FugongError
from .models import Batch, District, Enterprise, EnterpriseEvent
from .values import name_key, normalize_uscc
from .vocab import fold

_ID = re.compile(r"#?([0-9]{1,17})", re.ASCII)


# --------------------------------------------------------------------------- districts


def districts(*, session: Session) -> list[District]:
    return list(session.execute(select(District).order_by(District.code)).scalars())


def resolve_district(*, session: Session, text: str, county: bool = False) -> District:
    """A district by code, full name or short name; unknown or ambiguous -> an error
    with the candidates.  `county`: only a county-level district will do (an
    enterprise never belongs to the city itself)."""
    wanted = fold(text)
    if not wanted:
        raise FugongError("区县不能为空", "the district is empty")
    rows = districts(session=session)
    exact = [
        d
        for d in rows
        if wanted in {fold(d.code), fold(d.name), *(fold(s) for s in d.short_names.split(";") if s)}
    ]
    found: District | None = None
    if len(exact) == 1:
        found = exact[0]
    partial = exact or [d for d in rows if wanted in fold(d.name) or fold(d.name) in wanted]
    if found is None and len(partial) == 1 and not exact:
        found = partial[0]
    counties = ", ".join(d.name for d in rows if d.parent)
    if found is not None:
        if county and found.parent is None:
            raise FugongError(
                f"企业须属于一个区县, 不能是 {found.name} 本身 (可选: {counties})",
                f"an enterprise belongs to a county-level district, not {found.name} itself "
                f"(choices: {counties})",
            )
        return found
    if partial:
        names = ", ".join(f"{d.name} ({d.code})" for d in partial)
        raise FugongError(
            f"区县 '{text}' 不明确; 可能是: {names}", f"ambiguous district '{text}': {names}"
        )
    close = difflib.get_close_matches(text.strip(), [d.name for d in rows], n=3, cutoff=0.4)
    close += [
        d.name
        for d in rows
        for s in d.short_names.split(";")
        if s
        and difflib.SequenceMatcher(None, text.strip(), s).ratio() >= 0.5
        and d.name not in close
    ]
    hint_zh = f"; 您是否要找: {', '.join(close)}?" if close else ""
    hint_en = f"; did you mean: {', '.join(close)}?" if close else ""
    raise FugongError(
        f"未知区县 '{text}'{hint_zh} (可选: {counties})",
        f"unknown district '{text}'{hint_en} (choices: {counties})",
    )


def the_city(*, session: Session) -> District:
    """The one top-level district (the city) a report without --district covers."""
    roots = list(session.execute(select(District).where(District.parent.is_(None))).scalars())
    if len(roots) != 1:
        names = ", ".join(r.name for r in roots)
        raise FugongError(
            f"请用 --district 选择城市: {names}", f"choose a city with --district: {names}"
        )
    return roots[0]


def county_resolver(session: Session):
    """A memoising text -> county code function, for the districts of an import."""
    memo: dict[str, str] = {}

    def resolve(text: str) -> str:
        if text not in memo:
            memo[text] = resolve_district(session=session, text=text, county=True).code
        return memo[text]

    return resolve


def district_codes_in(*, session: Session, district: District) -> list[str]:
    """The codes a scope covers: a county itself, or all the counties of a city."""
    children = session.execute(
        select(District.code).where(District.parent == district.code)
    ).scalars()
    return list(children) or [district.code]


def district_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(District.code, District.name)).all())


# --------------------------------------------------------------------------- enterprises


@dataclass(frozen=True)
class Found:
    """An enterprise found by what the officer typed; `former` when it was found by a
    name it had before a rename (the command then says its current name)."""

    enterprise: Enterprise
    former: bool = False
    merged: Enterprise | None = None  # found by the name or USCC of one merged into it


def find_enterprise(*, session: Session, ref: str) -> Enterprise:
    return find(session=session, ref=ref).enterprise


def find(*, session: Session, ref: str) -> Found:
    """An enterprise by id (`12`, `#12`), USCC, exact name or former name.

    An enterprise name is never all digits (SPEC), so a number is always an id.
    Unknown -> an error with close names.
    """
    text = ref.strip()
    if not name_key(text):
        raise FugongError("未指明企业 (编号、统一社会信用代码或名称)", "no enterprise given")
    by_id = _ID.fullmatch(text)
    if by_id:
        number = int(by_id.group(1))
        found = session.get(Enterprise, number) if number < 2**31 else None
        if found is not None and found.live:
            return Found(found)
        raise FugongError(f"未知企业编号 {text}", f"unknown enterprise id {text}")
    try:
        uscc, _ok = normalize_uscc(text)
    except FugongError:
        uscc = None
    if uscc:
        found = session.execute(
            select(Enterprise).where(Enterprise.uscc == uscc, Enterprise.live)
        ).scalar()
        if found is not None:
            return Found(found)
    key = name_key(text)
    matches = list(
        session.execute(
            select(Enterprise).where(Enterprise.name_key == key, Enterprise.live)
        ).scalars()
    )
    if len(matches) == 1:
        return Found(matches[0])
    if len(matches) > 1:
        raise _ambiguous(session, text, matches)
    merged = _merged_into(session, text, key, uscc)
    if merged is not None:
        return merged
    former = _by_former_name(session, key)
    if len(former) == 1:
        return Found(former[0], former=True)
    if len(former) > 1:
        raise _ambiguous(session, text, former)
    names = list(session.execute(select(Enterprise.name).where(Enterprise.live)).scalars())
    close = difflib.get_close_matches(text, names, n=3, cutoff=0.5)
    close += [n for n in names if text and text in n and n not in close][:3]
    hint_zh = f"; 您是否要找: {', '.join(close)}?" if close else ""
    hint_en = f"; did you mean: {', '.join(close)}?" if close else ""
    raise FugongError(f"未知企业 '{text}'{hint_zh}", f"unknown enterprise '{text}'{hint_en}")


def _ambiguous(session: Session, text: str, matches: list[Enterprise]) -> FugongError:
    places = district_names(session)
    listing = ", ".join(f"#{e.id} {e.name} ({places.get(e.district, e.district)})" for e in matches)
    return FugongError(
        f"企业名称 '{text}' 不唯一: {listing}; 请用编号或统一社会信用代码",
        f"enterprise name '{text}' is ambiguous: {listing}; use the id or the USCC",
    )


def _merged_into(session: Session, text: str, key: str, uscc: str | None) -> Found | None:
    """An enterprise merged into another is found as that other (followed to a live one);
    two merged enterprises of the name kept in two others make the name ambiguous."""
    condition = Enterprise.name_key == key
    if uscc:
        condition = condition | (Enterprise.uscc == uscc)
    found: dict[int, tuple[Enterprise, Enterprise]] = {}  # kept id -> (kept, a merged one)
    for merged in session.execute(
        select(Enterprise)
        .where(condition, Enterprise.merged_into.is_not(None))
        .order_by(Enterprise.id)
    ).scalars():
        target, seen = merged, set()
        while target is not None and target.merged_into is not None and target.id not in seen:
            seen.add(target.id)
            target = session.get(Enterprise, target.merged_into)
        if target is not None and target.live:
            found.setdefault(target.id, (target, merged))
    if len(found) > 1:
        raise _ambiguous(session, text, [target for target, _merged in found.values()])
    if not found:
        return None
    ((target, merged),) = found.values()
    return Found(target, former=True, merged=merged)


def _by_former_name(session: Session, key: str) -> list[Enterprise]:
    """Live enterprises that once bore a name of this key (and bear another now: asked
    when no live enterprise bears it)."""
    ids = sorted(name_bearers(session).get(key, ()))
    return [session.get(Enterprise, eid) for eid in ids]


def name_bearers(session: Session, among: Iterable[int] | None = None) -> dict[str, set[int]]:
    """Per name key, the live enterprises that bore a name of that key, now or before a
    rename (names compared by their key, as everywhere: （集团） is (集团)).  `among`:
    only these enterprises (those never renamed bear their one name only)."""
    query = (
        select(EnterpriseEvent.enterprise_id, EnterpriseEvent.name)
        .join(Batch, Batch.id == EnterpriseEvent.batch_id)
        .join(Enterprise, Enterprise.id == EnterpriseEvent.enterprise_id)
        .where(EnterpriseEvent.name.is_not(None), Batch.undone_at.is_(None), Enterprise.live)
    )
    among = None if among is None else set(among)
    if among is not None and len(among) <= _FEW:
        query = query.where(EnterpriseEvent.enterprise_id.in_(among))
    found: dict[str, set[int]] = {}
    for eid, name in session.execute(query):
        if among is None or eid in among:
            found.setdefault(name_key(name), set()).add(eid)
    return found


# Ids bound one by one in an IN list at most (SQLite takes 32766 variables a statement,
# PostgreSQL 65535); more are passed by as the rows come.
_FEW = 10_000


def owner_of_uscc(session: Session, uscc: str, *, besides: int | None = None) -> Enterprise | None:
    """The live enterprise holding a USCC, other than `besides`."""
    query = select(Enterprise).where(Enterprise.uscc == uscc, Enterprise.live)
    if besides is not None:
        query = query.where(Enterprise.id != besides)
    return session.execute(query).scalar()


def owner_of_name(
    session: Session, name: str, district: str, *, besides: int | None = None
) -> Enterprise | None:
    """The live enterprise of that name (by its key) in that district, other than `besides`."""
    query = select(Enterprise).where(
        Enterprise.name_key == name_key(name), Enterprise.district == district, Enterprise.live
    )
    if besides is not None:
        query = query.where(Enterprise.id != besides)
    return session.execute(query).scalar()
