"""What every command shares: option aliases, the error edge, argument parsing.

Kept free of SQLAlchemy so that `fugong --help` stays fast: the ledger modules
are imported inside the commands that open a ledger.
"""

import contextvars
import errno
import functools
import os
import shlex
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Annotated, Any

import typer

from ..errors import FugongError


class Lang(str, Enum):
    zh = "zh"
    en = "en"


class ListFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="账本",
        help="账本: SQLite 文件路径或 postgresql:// 地址 (默认 $FUGONG_DB, 否则用户数据目录) / "
        "the ledger: a SQLite file or a postgresql:// URL (default $FUGONG_DB, else the user "
        "data folder)",
        show_default=False,
    ),
]
LangOpt = Annotated[
    Lang | None,
    typer.Option(
        "--lang",
        metavar="zh|en",
        help="标签和提示的语言 (默认 $FUGONG_LANG 或 zh) / language of labels and messages",
    ),
]
DateOpt = Annotated[
    str | None,
    typer.Option(
        "--date",
        metavar="日期",
        help="业务日期 (默认今天, 可补录过去) / business date of what is recorded (default today)",
    ),
]
ByOpt = Annotated[
    str | None,
    typer.Option(
        "--by",
        metavar="姓名",
        help="记录人 (默认 $FUGONG_USER, 否则系统用户) / who records",
    ),
]
AsOfOpt = Annotated[
    str,
    typer.Option(
        "--as-of",
        metavar="日期",
        help="截至这一天 (日期、today、yesterday) / as of the end of this day",
    ),
]
DistrictOpt = Annotated[
    str | None,
    typer.Option(
        "--district",
        metavar="区县",
        help="区县: 全称、简称或代码 / district: name, short name or code",
    ),
]
FormatOpt = Annotated[
    ListFormat, typer.Option("--format", metavar="格式", help="输出格式: table | csv | json")
]


def lang_of(lang: Lang | None) -> str:
    if lang is not None:
        return lang.value
    return "en" if os.environ.get("FUGONG_LANG", "").lower().startswith("en") else "zh"


def _pick(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


_ERRNO_ZH = {
    errno.ENOSPC: "磁盘已满",
    errno.EFBIG: "文件超过大小限制",
    errno.EPIPE: "管道已关闭",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.ENOENT: "文件或目录不存在",
    errno.EIO: "输入输出错误",
    errno.EROFS: "只读文件系统",
    errno.EISDIR: "是一个目录",
}


def reason(exc: OSError, lang: str) -> str:
    """An operating system error in the officer's language."""
    text = exc.strerror or str(exc)
    return text if lang == "en" else _ERRNO_ZH.get(exc.errno or 0, text)


def silence_stdout() -> None:
    """After stdout failed: point it at /dev/null, so the interpreter's last flush
    does not fail again (and print a traceback-like notice)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def handles_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Translate domain errors into `Error: …` on stderr and exit 1 (never a traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        lang = lang_of(kwargs.get("lang"))
        prefix = "Error" if lang == "en" else "错误"
        try:
            return func(*args, **kwargs)
        except FugongError as exc:
            fail(f"{prefix}: {exc.text(lang)}")
        except BrokenPipeError:  # `fugong … | head`: what was asked for was not all written
            silence_stdout()
            fail(f"{prefix}: " + _pick(lang, "无法写入标准输出: 管道已关闭", "stdout: broken pipe"))
        except OSError as exc:  # disk full, a file size limit, /dev/full …
            silence_stdout()
            where = f" {exc.filename}" if exc.filename else ""
            fail(
                f"{prefix}: "
                + _pick(lang, "无法读写", "I/O error")
                + f"{where}: {reason(exc, lang)}"
            )
        except Exception as exc:  # database unreachable, a constraint …
            if type(exc).__module__.startswith(("sqlalchemy", "psycopg", "sqlite3")):
                from ..db import mask_secrets

                orig = mask_secrets(str(getattr(exc, "orig", exc)).strip())
                fail(f"{prefix}: " + _pick(lang, "数据库错误", "database error") + f": {orig}")
            raise

    return wrapper


def parse_day(text: str | None, *, what: str = "--date") -> date:
    """A day option: a date in any accepted form, today, yesterday (the office's days)."""
    from .. import clock

    if text is None:
        return clock.today()
    word = text.strip().casefold()
    if word in clock.TODAY_WORDS:
        return clock.today()
    if word in clock.YESTERDAY_WORDS:
        return clock.today() - timedelta(days=1)
    from ..values import parse_date

    try:
        return parse_date(text)
    except FugongError as exc:
        raise FugongError(f"{what}: {text}: {exc.zh}", f"{what}: {text}: {exc.en}") from None


def parse_known_at(text: str | None) -> datetime | None:
    """--known-at as a naive UTC moment (how the ledger stores recorded_at)."""
    if text is None:
        return None
    from ..values import parse_moment

    try:
        return parse_moment(text)
    except FugongError as exc:
        raise FugongError(
            f"--known-at: {text}: {exc.zh}", f"--known-at: {text}: {exc.en}"
        ) from None


def parse_id(text: str, *, what: str) -> int:
    """A record or batch id as typed (`12`, `#12`); anything else is a data error (exit 1)."""
    from ..values import parse_record_id

    try:
        return parse_record_id(text)
    except FugongError as exc:
        raise FugongError(f"{what}: {text}: {exc.zh}", f"{what}: {text}: {exc.en}") from None


def parse_option(parser: Callable[[str], Any], text: str | None, what: str) -> Any:
    """Run a value parser on an option, naming the option in the error."""
    if text is None:
        return None
    try:
        return parser(text)
    except FugongError as exc:
        raise FugongError(f"{what}: {text}: {exc.zh}", f"{what}: {text}: {exc.en}") from None


def command_line() -> str:
    """The source of a recording command: how it was called, passwords masked
    (the history is append-only: a secret in it could never be removed)."""
    from ..db import mask_secrets

    return mask_secrets("fugong " + shlex.join(sys.argv[1:]))


def screen_width() -> int | None:
    """The terminal's columns when standard output is one (tables change shape to fit),
    else None: a pipe or a file gets the table whole, however wide."""
    import shutil

    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size().columns


def warn(message: str) -> None:
    typer.echo(message, err=True)


def business_day(text: str | None, *, what: str = "--date") -> date:
    """A business date option (default: the office's today); never after today."""
    from .. import clock
    from ..rules import check_date

    day = parse_day(text, what=what)
    try:
        check_date(day, clock.today())
    except FugongError as exc:
        raise FugongError(f"{what}: {text}: {exc.zh}", f"{what}: {text}: {exc.en}") from None
    return day


def ledger_modules() -> None:
    """Import SQLAlchemy, SQLModel and the table models, which every command that
    opens the ledger needs, with the cyclic collector paused; then freeze them.

    Loading them makes some 70,000 long-lived objects and next to no garbage (~200
    unreachable objects), yet at Python's default threshold the collector passes
    over them ~130 times while they load: ~35 ms of a ~400 ms report.  Frozen,
    the collections of the command's own work skip them too.  Call it before a
    command's first import of the ledger's modules; later calls do nothing.
    """
    if "fugong.models" in sys.modules:
        return
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        from .. import db, models  # noqa: F401
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


Typed = dict[str, tuple[str, Any]]


def record(
    db: str | None, by: str | None, work: Callable[..., Any], *, typed: Typed | None = None
) -> Any:
    """Open the ledger and run `work(unit)` as one recorded command (unit.py).

    A refusal of the rules names its column; `typed` maps columns to the option
    and the value as typed, so the message says `--status: 剔除: reason`.
    """
    ledger_modules()
    from ..db import open_ledger
    from ..rules import Refusal
    from ..unit import write
    from ..writer import current_user

    ledger = open_ledger(db)
    try:
        result, batch = write(
            ledger, work, kind="command", source=command_line(), by=current_user(by)
        )
        _recorded.set(batch.id if batch is not None else None)
        return result
    except Refusal as refusal:
        option, value = (typed or {}).get(refusal.column, (None, None))
        if option is None:
            raise
        shown = "" if value is None else str(value)
        raise FugongError(
            f"{option}: {shown}: {refusal.zh}", f"{option}: {shown}: {refusal.en}"
        ) from None
    finally:
        ledger.engine.dispose()


_recorded: contextvars.ContextVar[int | None] = contextvars.ContextVar("recorded", default=None)


class RecordFormat(str, Enum):
    text = "text"
    json = "json"


RecordFormatOpt = Annotated[
    RecordFormat,
    typer.Option(
        "--format",
        metavar="格式",
        help='text | json: {"id", "batch", "record"} 给脚本用 / for scripts',
    ),
]


def confirm(
    fmt: RecordFormat, text: str, *, record: str, rid: int | None, to_stderr: bool = False
) -> None:
    """What a recording command says it did: the officer's line, or for scripts
    {"id", "batch", "record"} (batch null when nothing was recorded)."""
    if fmt is RecordFormat.json:
        import json

        document = {"id": rid, "batch": _recorded.get(), "record": record}
        typer.echo(json.dumps(document, ensure_ascii=False))
        if text and to_stderr:
            typer.echo(text, err=True)
        return
    if text:
        typer.echo(text, err=to_stderr)


def confirm_nothing(fmt: RecordFormat, language: str, *, record: str, rid: int | None) -> None:
    """A correction that changed nothing: said on stderr (exit 0), nothing recorded."""
    text = "nothing changed" if language == "en" else "没有变化"
    confirm(fmt, text, record=record, rid=rid, to_stderr=True)


def say_former(found, language: str) -> None:
    """A former name found its enterprise: say what it is called now."""
    if found.merged is not None:
        old, now = found.merged, found.enterprise
        warn(
            f"(#{old.id} {old.name} was merged into #{now.id} {now.name})"
            if language == "en"
            else f"（#{old.id} {old.name} 已合并到 #{now.id} {now.name}）"
        )
        return
    if found.former:
        warn(
            f"(found by a former name; now: #{found.enterprise.id} {found.enterprise.name})"
            if language == "en"
            else f"（按曾用名找到; 现名: #{found.enterprise.id} {found.enterprise.name}）"
        )


def read(db: str | None, work: Callable[..., Any]) -> Any:
    """Open the ledger and run `work(session)` in one read transaction."""
    ledger_modules()
    from ..db import open_ledger

    ledger = open_ledger(db)
    try:
        return ledger.read(work)
    finally:
        ledger.engine.dispose()


def ledger_file(db: str | None) -> str | None:
    """The ledger's SQLite file (None on a server), without opening the ledger: an
    output path is checked against it before anything is read or written."""
    from ..db import is_sqlite, ledger_url

    url = ledger_url(db)
    return url[len("sqlite:///") :] if is_sqlite(url) else None


def output_format(
    output: str | os.PathLike | None,
    chosen: str | None,
    formats: dict[str, str],
    *,
    default: str,
) -> str:
    """The format to write: --format, else what -o's extension says (`formats`:
    extension -> format, those this command writes).

    Without --format, an extension the command does not write is refused.  With
    it, --format wins over a text extension (`--format json -o out.txt`), but text
    never goes into a file named .xlsx (or .docx, .pdf …) and a workbook never
    into a file named .csv, .txt …
    """
    if output is None:
        return chosen or default
    from pathlib import Path

    suffix = Path(output).suffix.lower()
    if chosen is None:
        if suffix not in formats:
            known = " ".join(sorted(formats))
            raise FugongError(
                f"-o {output}: 不能写 '{suffix or '无扩展名'}' 文件；可用扩展名: {known}"
                "（或用 --format 指定格式）",
                f"-o {output}: fugong does not write '{suffix or 'extensionless'}' files; "
                f"use {known} (or give --format)",
            )
        return formats[suffix]
    if chosen == "xlsx":
        mismatch = suffix != ".xlsx" and (suffix in _TEXT_EXTENSIONS or suffix in _DOCUMENTS)
    else:
        mismatch = suffix == ".xlsx" or suffix in _DOCUMENTS
    if mismatch:
        raise FugongError(
            f"-o {output}: 扩展名 {suffix} 与 --format {chosen} 不符",
            f"-o {output}: the extension {suffix} does not go with --format {chosen}",
        )
    return chosen


# Text files fugong writes, and documents it never writes.
_TEXT_EXTENSIONS = frozenset({".csv", ".json", ".md", ".txt", ".html", ".htm"})
_DOCUMENTS = frozenset(
    {".xls", ".xlsm", ".xlsb", ".ods", ".doc", ".docx", ".odt", ".pdf", ".ppt", ".pptx", ".zip"}
)


def scope_codes(session, district: str | None) -> list[str] | None:
    """The district codes named by --district (None: the whole ledger)."""
    if district is None:
        return None
    from ..registry import district_codes_in, resolve_district

    return district_codes_in(
        session=session, district=resolve_district(session=session, text=district)
    )
