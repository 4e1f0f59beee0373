"""Where the ledger lives and how to open it.

One way to reach the database (STYLE.md #7): `--db`, else `FUGONG_DB`, else a
file in the user's data directory.  A plain path is SQLite; anything with
`://` is a SQLAlchemy URL (PostgreSQL).  Opening a ledger brings it to the
current schema (Alembic migrations in `fugong.migrations`).
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlmodel import Session

from .errors import FugongError

# The newest migration; a ledger at this revision is opened without loading
# Alembic at all.  tests/test_db.py checks it against the migration scripts.
SCHEMA_HEAD = "0007"

BUSY_TIMEOUT_MS = 30_000
BUSY_RETRIES = 5

T = TypeVar("T")


def default_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("fugong", appauthor=False) / "ledger.db"


def ledger_url(db: str | None = None) -> str:
    """The SQLAlchemy URL of the ledger: --db, else FUGONG_DB, else the data directory.

    A plain path is a SQLite file — taken as a path: `#`, `?`, `%` and spaces are
    characters of the name, never URI syntax.  A `postgresql://` URL is a server
    (psycopg 3, the driver fugong ships).  Any other URL, and SQLite in memory
    (where writes would vanish), is refused.
    """
    chosen = db or os.environ.get("FUGONG_DB") or str(default_path())
    if "://" not in chosen:
        return "sqlite:///" + os.path.abspath(os.path.expanduser(chosen))
    scheme = chosen.split("://", 1)[0].lower()
    if scheme in ("postgresql", "postgres"):
        # psycopg 3 is the driver we ship; a bare postgresql:// would ask for psycopg2
        return "postgresql+psycopg://" + chosen.split("://", 1)[1]
    if scheme.startswith("postgresql+"):
        return chosen
    if scheme.startswith("sqlite"):
        path = chosen.split("://", 1)[1]
        if not path.startswith("/") or path in ("/", "/:memory:"):
            raise FugongError(
                "不支持内存中的 SQLite 账本 (写入会丢失); 请给出账本文件路径",
                "an in-memory SQLite ledger is refused (its writes would vanish); give a file path",
            )
        return "sqlite:///" + os.path.abspath(path[1:] if path.startswith("//") else path)
    raise FugongError(
        f"不支持的数据库 '{scheme}': 账本是一个 SQLite 文件路径, 或 postgresql:// 地址",
        f"unsupported database '{scheme}': a ledger is a SQLite file path or a postgresql:// URL",
    )


def sqlite_path(url: str) -> str:
    return url[len("sqlite:///") :]


def describe(url: str) -> str:
    """The ledger as a user names it: a path for SQLite, the URL without password otherwise."""
    if is_sqlite(url):
        return sqlite_path(url)
    return mask_secrets(url)


_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*):\S*@")


def mask_secrets(text: str) -> str:
    """Any `scheme://user:password@` in the text with the password as ***."""
    return _PASSWORD.sub(r"\1:***@", text)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite:")


def make_engine(url: str) -> Engine:
    if is_sqlite(url):
        # a URL object, not a string: the path is never parsed as URI syntax
        target = URL.create("sqlite", database=sqlite_path(url))
        engine = create_engine(target, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _sqlite_setup(engine)
        return engine
    try:
        return create_engine(url, pool_pre_ping=False)
    except ModuleNotFoundError as exc:
        raise FugongError(
            f"缺少 PostgreSQL 驱动 ({exc.name}); "
            "请在安装 fugong 的环境中安装: pip install 'psycopg[binary]'",
            f"the PostgreSQL driver is missing ({exc.name}); install it where fugong is "
            "installed: pip install 'psycopg[binary]'",
        ) from None
    except Exception as exc:  # malformed URL and the like
        shown = mask_secrets(url)
        reason = mask_secrets(str(exc))
        raise FugongError(
            f"无法识别的数据库地址: {shown} ({reason})",
            f"malformed database URL: {shown} ({reason})",
        ) from None


def _sqlite_setup(engine: Engine) -> None:
    """WAL, foreign keys, busy timeout; and BEGIN IMMEDIATE for writers.

    pysqlite's own transaction handling starts transactions lazily, so a writer
    that read first could fail to upgrade its lock without waiting.  We take
    over BEGIN (the SQLAlchemy-documented recipe) and make every transaction
    IMMEDIATE: writers queue on the busy timeout instead of failing, and in
    WAL mode readers of other processes are never blocked by it.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        mode = cur.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal":
            cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        # 16 MB of page cache: index updates of a large import stay in memory.
        cur.execute("PRAGMA cache_size = -16384")
        # Temporary tables (a report's scope, an import's staged block) are a few
        # MB at most; in a temp file with its own journal they cost an import
        # a third of its write time.
        cur.execute("PRAGMA temp_store = MEMORY")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Readers begin DEFERRED: in WAL mode they then never wait for a writer.
        options = conn.get_execution_options()
        # An import checks its references itself (it writes the parents it points
        # at, or found them under the write lock): SQLite's per-row foreign key
        # look-ups are a fifth of its write time.  The pragma only takes effect
        # outside a transaction, so it is set before every BEGIN.
        checked = "OFF" if options.get("fugong_bulk", False) else "ON"
        conn.exec_driver_sql(f"PRAGMA foreign_keys = {checked}")
        conn.exec_driver_sql("BEGIN" if options.get("fugong_read", False) else "BEGIN IMMEDIATE")


class Ledger:
    """An opened ledger: its URL and engine."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)

    @property
    def sqlite(self) -> bool:
        return is_sqlite(self.url)

    @property
    def file(self) -> str | None:
        """The SQLite file (None on a server): outputs must never be written over it."""
        return sqlite_path(self.url) if self.sqlite else None

    @contextmanager
    def session(self, *, reading: bool = False, bulk: bool = False) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error.

        `bulk`: the writer of an import, which keeps references right itself
        (see _on_begin); tests check `PRAGMA foreign_key_check` after imports.
        """
        bind = self.engine
        if reading or bulk:
            options: dict[str, Any] = {"fugong_read": reading, "fugong_bulk": bulk}
            if reading and not self.sqlite:
                # every statement of a read sees one snapshot, as SQLite's read
                # transaction does: a report's queries agree with each other and with
                # the hidden batches its view read once (asof.View.counts).  A
                # read-only REPEATABLE READ transaction never fails to serialize.
                options["isolation_level"] = "REPEATABLE READ"
            bind = bind.execution_options(**options)
        with Session(bind, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def write(self, work: Callable[[Session], T], *, bulk: bool = False) -> T:
        """Run `work` in one transaction, retrying a bounded number of times
        when the database reports it is busy (never shown to the user)."""
        for attempt in range(BUSY_RETRIES):
            try:
                with self.session(bulk=bulk) as session:
                    return work(session)
            except OperationalError as exc:
                if not is_busy(exc) or attempt == BUSY_RETRIES - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def read(self, work: Callable[[Session], T]) -> T:
        with self.session(reading=True) as session:
            return work(session)


def is_busy(exc: OperationalError) -> bool:
    message = str(exc.orig).lower()
    return any(
        word in message
        for word in ("database is locked", "busy", "deadlock detected", "could not serialize")
    )


def open_ledger(db: str | None = None, *, create: bool = False) -> Ledger:
    """Open the ledger named by --db / FUGONG_DB, bringing an older one to the current
    schema.  Only `init` creates a ledger (`create`): any other command on a
    missing ledger is refused and creates nothing, so a mistyped path never
    yields an empty report (SPEC "Names, paths and the ledger file")."""
    url = ledger_url(db)
    where = describe(url)
    missing = FugongError(
        f"账本不存在: {where}; 先运行 fugong init", f"no ledger at {where}; run fugong init first"
    )
    if is_sqlite(url) and not create:
        path = Path(sqlite_path(url))
        if not path.is_file():
            raise missing
    if is_sqlite(url) and create:
        folder = Path(sqlite_path(url)).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FugongError(
                f"无法创建账本目录 {folder}: {exc.strerror}",
                f"cannot create the ledger's folder {folder}: {exc.strerror}",
            ) from None
    ledger = Ledger(url)
    try:
        current = schema_revision(ledger)
    except (OperationalError, DatabaseError) as exc:
        ledger.engine.dispose()
        reason = mask_secrets(str(exc.orig)).strip()
        raise FugongError(
            f"无法打开账本 {where}: {reason}", f"cannot open the ledger {where}: {reason}"
        ) from None
    if current is None and not create:
        ledger.engine.dispose()
        raise missing
    if current is not None and (not current.isdigit() or int(current) > int(SCHEMA_HEAD)):
        ledger.engine.dispose()
        raise FugongError(
            f"账本 {where} 来自更新版本的 fugong (结构版本 {current}, 本程序只认识到 "
            f"{SCHEMA_HEAD}); 请升级 fugong",
            f"the ledger {where} was written by a newer fugong (schema {current}; this one "
            f"knows up to {SCHEMA_HEAD}); upgrade fugong",
        )
    if current != SCHEMA_HEAD:
        from .schema import upgrade_schema

        upgrade_schema(ledger.engine)
    return ledger


def schema_revision(ledger: Ledger) -> str | None:
    """The Alembic revision the ledger is at, None for a database without a ledger.

    Raises what the database raises when it cannot be opened or is not one."""
    with ledger.engine.execution_options(fugong_read=True).connect() as conn:
        tables = set(conn.dialect.get_table_names(conn))
        if "alembic_version" not in tables:
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


# Imports assign the ids of new records themselves so they can write in bulk.
# That is safe because an import, like every writer, holds the ledger's writer
# turn (unit.take_writer_turn): nobody else creates records meanwhile.
ID_TABLES = ("enterprise", "plan", "problem", "labour")


def next_ids(session) -> dict[str, int]:
    conn = session.connection()
    return {
        table: (conn.exec_driver_sql(f'SELECT max(id) FROM "{table}"').scalar() or 0) + 1
        for table in ID_TABLES
    }


def sync_sequences(session) -> None:
    """After explicit ids: move PostgreSQL's id sequences past them (SQLite needs nothing)."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return
    for table in ID_TABLES:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'coalesce((SELECT max(id) FROM "{table}"), 0) + 1, false)'
        )


def bulk_insert(session, table: str, columns: list[str], rows: list[tuple]) -> None:
    """One DB-API executemany of plain tuples: the fast path for large imports.

    Dates go in as ISO text on SQLite (the adapter below), as SQLAlchemy's Date
    type stores them, so the ORM reads back what this wrote.
    """
    if not rows:
        return
    conn = session.connection()
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join([mark] * len(columns))})'
    executemany(conn, sql, rows)


def executemany(conn, sql: str, rows: Iterable[tuple]) -> None:
    """cursor.executemany on the DB-API connection under a SQLAlchemy Connection.

    Not conn.exec_driver_sql: its execution context holds the parameters in a
    reference cycle, so each block of a large import would stay in memory until
    a full garbage collection, and it adds its own work per statement.
    """
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


_ISO_DATES: dict[date | None, str | None] = {None: None}


def _iso_date(value: date | None) -> str | None:
    """What sqlite3's date adapter (below) binds, remembered per date: a bulk write's
    rows hold few distinct dates, and the adapter's look-up and call cost about 1 µs a
    value (a quarter of binding a plan event).  Dates only, never datetimes."""
    try:
        return _ISO_DATES[value]
    except KeyError:  # at most one entry per calendar day
        text = _ISO_DATES[value] = value.isoformat()
        return text


def _same(value):
    return value


def date_binder(conn):
    """For rows a hot path binds itself: the value to bind for a date (or None) on this
    connection — ISO text on SQLite, as the adapter would make it; the date itself on
    PostgreSQL, whose driver binds dates natively."""
    return _iso_date if conn.dialect.name == "sqlite" else _same


def tuples(conn, statement) -> list[tuple]:
    """The rows of a Core select as the driver returns them, for a hot path of many
    rows: SQLAlchemy's Row objects cost about 1 µs a row, several times the read.

    No type conversion happens either way: only for integer and text columns.
    """
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    if compiled.positiontup is not None:  # SQLite's ?: the values in order
        params = [params[name] for name in compiled.positiontup]
    cursor = conn.connection.cursor()
    try:
        cursor.execute(compiled.string, params)
        return cursor.fetchall()
    finally:
        cursor.close()


# The ISO text SQLAlchemy's Date type stores on SQLite; registered explicitly
# because Python 3.12 deprecates sqlite3's default date adapter.
sqlite3.register_adapter(date, date.isoformat)
# sqlite3 binds only exact int/float/str/bytes directly; for None and bool it
# first searches the adapter protocols (attribute look-ups that fail), which
# made the mostly-blank columns of a large import's rows cost more to bind than
# the rest of the row.  Registered adapters are found at once and bind the same.
sqlite3.register_adapter(type(None), lambda _none: None)
sqlite3.register_adapter(bool, int)


# Values a statement's IN list takes at most (under every bound-parameter limit), and
# the lengths a list is padded to on SQLite (see in_list).
IN_LIST_MAX = 5000
_IN_LENGTHS = (16, 64, 256, 1024, 2048, 4096, IN_LIST_MAX)


def in_list(values: list) -> tuple[str, list]:
    """`IN (?, …)` and its values for SQLite, the list padded to one of a few
    lengths (its last value repeated: IN ignores duplicates; at most IN_LIST_MAX values).

    sqlite3 keeps each statement text it has run prepared (128 of them a connection),
    and a prepared IN list of thousands of values holds about half a megabyte: a
    sheet in no particular order gave each block lists of new lengths, and a 300k-row
    import held ~30 MB more at its end than the same rows in the bench's order."""
    if not values:
        return "IN (NULL)", []  # (true of no value)
    length = next((n for n in _IN_LENGTHS if n >= len(values)), None)
    if length is None:
        raise ValueError(f"an IN list of {len(values)} values (at most {IN_LIST_MAX})")
    return f"IN ({', '.join('?' * length)})", [*values, *[values[-1]] * (length - len(values))]


def among(column, ids: list[int]):
    """`column IN ids` for sorted, non-empty ids, as a range when they are mostly neighbours.

    The records a sheet names are neighbours (ids follow the rows that made them);
    a range reads the index once and binds two values instead of thousands, which
    SQLAlchemy renders one by one and a server plans one by one.  The range may
    take in records not asked for: the caller passes those by.
    """
    low, high = ids[0], ids[-1]
    assert low <= high, "among() takes sorted ids"
    if high - low < 2 * len(ids):
        return column.between(low, high)
    return column.in_(ids)
