"""The office's clock: days in Asia/Shanghai (or FUGONG_TZ), moments in UTC.

SPEC "Clock and order": `today`, `yesterday` and the default business date are
the office's days, whatever the machine's time zone; the ledger stores moments
(`recorded_at`) as naive UTC; what a person reads shows them in the office's
zone, to the second, with the offset.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import cache

DEFAULT_ZONE = "Asia/Shanghai"
# China has kept UTC+8 without daylight saving since 1991: the fallback when no
# time zone database is installed.
_SHANGHAI = timezone(timedelta(hours=8), "CST")

TODAY_WORDS = ("today", "今天", "今日")
YESTERDAY_WORDS = ("yesterday", "昨天", "昨日")
NOW_WORDS = ("now", "现在")


@cache
def _zone(name: str) -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # unknown name, or no time zone database
        if name == DEFAULT_ZONE:
            return _SHANGHAI
        from .errors import FugongError

        raise FugongError(
            f"未知时区 FUGONG_TZ={name}（例如 Asia/Shanghai）",
            f"unknown time zone FUGONG_TZ={name} (e.g. Asia/Shanghai)",
        ) from None


def office_zone() -> tzinfo:
    """The office's time zone: FUGONG_TZ, else Asia/Shanghai."""
    return _zone(os.environ.get("FUGONG_TZ", "").strip() or DEFAULT_ZONE)


def now_utc() -> datetime:
    """This moment as the ledger stores it: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """The office's today."""
    return datetime.now(office_zone()).date()


def end_of(day: date) -> datetime:
    """The last moment of an office day, as naive UTC."""
    local = datetime.combine(day + timedelta(days=1), datetime.min.time(), office_zone())
    return (local.astimezone(UTC) - timedelta(microseconds=1)).replace(tzinfo=None)


def to_utc(moment: datetime) -> datetime:
    """An aware moment (or a naive one in the office's zone) as naive UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=office_zone())
    return moment.astimezone(UTC).replace(tzinfo=None)


def shown(moment: datetime, *, micro: bool = False) -> str:
    """A stored (naive UTC) moment in the office's zone, ISO 8601 with offset."""
    local = moment.replace(tzinfo=UTC).astimezone(office_zone())
    return local.isoformat(timespec="microseconds" if micro else "seconds")


def to_office_day(moment: datetime) -> date:
    """The office day a stored (naive UTC) moment falls on."""
    return moment.replace(tzinfo=UTC).astimezone(office_zone()).date()
