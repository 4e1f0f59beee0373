"""Every test gets its own ledger, on SQLite and on PostgreSQL.

- `db_url`: what `FUGONG_DB` is set to for the test — a SQLite file path in
  `tmp_path`, or a `postgresql+psycopg://` URL of a database created for the
  test from a template that was migrated once per session.  Tests marked
  `sqlite_only` are not run on PostgreSQL.
- `cli`: runs the real Typer app in-process (`typer.testing.CliRunner`) with
  that ledger, `FUGONG_USER=tester` and no `FUGONG_LANG`; the result has
  `.exit_code`, `.stdout` and `.stderr`.  A traceback is never an acceptable
  outcome, so an uncaught exception fails the test right there.
- `ledger`: reads the ledger back (SQLModel sessions, row counts) for assertions.

The PostgreSQL server is 127.0.0.1:5432 (user postgres, trust auth, maintenance
database `test`) unless `FUGONG_TEST_PG` names another; when none answers, the
postgres parameters skip with the reason (or fail, when `FUGONG_TEST_REQUIRE_PG`
is set, as .ci/run does).
"""

from __future__ import annotations

import gc
import itertools
import os
import shutil
import sys
import traceback
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from sqlmodel import Session
from typer.testing import CliRunner

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TESTER = "tester"
PID = os.getpid()


# Property tests check outcomes, not speed: a busy CI machine must not fail them on
# Hypothesis' per-example deadline.
settings.register_profile("fugong", deadline=None)
settings.load_profile("fugong")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: the test concerns SQLite itself; not run on PostgreSQL"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        sqlite_only = metafunc.definition.get_closest_marker("sqlite_only") is not None
        backends = ["sqlite"] if sqlite_only else ["sqlite", "postgres"]
        metafunc.parametrize("backend", backends, indirect=True)


# --------------------------------------------------------------------------- PostgreSQL


class PgServer:
    """The test server: a migrated template and a fresh database per test.

    CREATE DATABASE takes about half a second (the server syncs to disk), so
    the next test's database is created, and the last one dropped, by one
    background thread with its own connection while a test runs.
    """

    def __init__(self, url: str):
        self.url = make_url(url)
        if not self.url.drivername.startswith("postgresql"):
            raise ValueError(f"FUGONG_TEST_PG is not a PostgreSQL URL: {url}")
        self.url = self.url.set(drivername="postgresql+psycopg")
        self.template = f"fugong_tpl_{PID}"
        self.counter = itertools.count(1)
        self.conn = None
        self.strategy = ""
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fugong-pg")
        self.upcoming: Future[str] | None = None

    @property
    def where(self) -> str:
        return f"{self.url.host or 'localhost'}:{self.url.port or 5432}"

    def conninfo(self) -> str:
        return self.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def sqlalchemy_url(self, database: str) -> str:
        return self.url.set(database=database).render_as_string(hide_password=False)

    def connect(self) -> None:
        import psycopg

        self.conn = psycopg.connect(self.conninfo(), connect_timeout=2, autocommit=True)
        if self.conn.info.server_version >= 150000:
            self.strategy = " STRATEGY FILE_COPY"  # faster than WAL_LOG for a small template

    # Everything below runs on the worker thread only: one connection, one thread.

    def _drop(self, name: str) -> None:
        try:
            self.conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception:  # servers before 13 have no FORCE
            self.conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            self.conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

    def _create_template(self) -> None:
        from fugong.db import open_ledger

        self._drop(self.template)
        self.conn.execute(f'CREATE DATABASE "{self.template}"')
        ledger = open_ledger(self.sqlalchemy_url(self.template), create=True)
        ledger.engine.dispose()

    def _create(self) -> str:
        name = f"fugong_t_{PID}_{next(self.counter)}"
        self._drop(name)
        self.conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"{self.strategy}')
        return name

    def _create_blank(self) -> str:
        name = f"fugong_b_{PID}_{next(self.counter)}"
        self._drop(name)
        self.conn.execute(f'CREATE DATABASE "{name}"')
        return name

    # The test side.

    def blank_database(self) -> str:
        """An empty database: no schema at all."""
        return self.worker.submit(self._create_blank).result()

    def create_template(self) -> None:
        self.worker.submit(self._create_template).result()

    def new_database(self) -> str:
        upcoming = self.upcoming or self.worker.submit(self._create)
        name = upcoming.result()
        self.upcoming = self.worker.submit(self._create)
        return name

    def release(self, name: str) -> None:
        self.worker.submit(self._drop, name)

    def close(self) -> None:
        if self.conn is None:
            return
        try:
            if self.upcoming is not None:
                self.release(self.upcoming.result())
            self.worker.submit(self._drop, self.template).result()
        finally:
            self.worker.shutdown(wait=True)
            self.conn.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer | str]:
    """The PostgreSQL server with the migrated template, or the reason why there is none."""
    server = PgServer(os.environ.get("FUGONG_TEST_PG") or PG_DEFAULT)
    try:
        server.connect()
    except Exception as exc:
        server.worker.shutdown()
        yield f"PostgreSQL not reachable at {server.where}: {str(exc).strip()}"
        return
    try:
        server.create_template()
        yield server
    finally:
        server.close()


def _no_server(reason: str) -> None:
    """Skip the postgres parameter; in CI (FUGONG_TEST_REQUIRE_PG set) fail it instead."""
    if os.environ.get("FUGONG_TEST_REQUIRE_PG"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------- SQLite


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite ledger migrated once; each test gets a copy (migrating takes time)."""
    from fugong.db import open_ledger

    path = tmp_path_factory.mktemp("template") / "ledger.db"
    ledger = open_ledger(str(path), create=True)
    ledger.engine.dispose()  # the last connection to close checkpoints the WAL away
    gc.collect()
    assert not Path(f"{path}-wal").exists(), "the template's WAL was not checkpointed"
    return path


# --------------------------------------------------------------------------- the ledger


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def _pg_database(request: pytest.FixtureRequest, *, blank: bool) -> Iterator[str]:
    """A database of its own on the test server: migrated (from the template) or blank."""
    server = request.getfixturevalue("pg_server")
    if isinstance(server, str):
        _no_server(server)
    name = server.blank_database() if blank else server.new_database()
    try:
        yield server.sqlalchemy_url(name)
    finally:
        server.release(name)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The test's own ledger, as FUGONG_DB names it (a SQLite path, or a PostgreSQL URL)."""
    if backend == "sqlite":
        path = tmp_path / "ledger.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield str(path)
        return
    yield from _pg_database(request, blank=False)


@pytest.fixture
def other_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second ledger of the test's backend (to compare two ways of doing one thing)."""
    if backend == "sqlite":
        path = tmp_path / "other.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield str(path)
        return
    yield from _pg_database(request, blank=False)


@pytest.fixture
def blank_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A ledger location with nothing in it yet (no file / an empty database)."""
    if backend == "sqlite":
        yield str(tmp_path / "blank.db")
        return
    yield from _pg_database(request, blank=True)


class LedgerReader:
    """Reads a ledger back for assertions, independently of the CLI."""

    TABLES = (
        "batch",
        "enterprise",
        "enterprise_event",
        "plan",
        "plan_event",
        "problem",
        "problem_event",
        "labour",
        "labour_event",
        # the report's read model (a cache the writer keeps: nothing written, none kept)
        "rm_plan",
        "rm_problem",
        "rm_labour",
        "rm_employer",
        "rm_active",
    )

    def __init__(self, db: str):
        from fugong.db import ledger_url

        self.url = ledger_url(db)

    @contextmanager
    def session(self) -> Iterator[Session]:
        engine = create_engine(self.url)
        try:
            with Session(engine) as session:
                yield session
        finally:
            engine.dispose()

    def all(self, model, *where, order_by=None) -> list[Any]:
        """Every row of a table model (optionally filtered), in id order."""
        with self.session() as session:
            query = select(model).where(*where).order_by(order_by or model.id)
            return list(session.execute(query).scalars())

    def counts(self) -> dict[str, int]:
        """Rows per table: equal before and after a refused command = nothing written."""
        from sqlalchemy import table

        with self.session() as session:
            return {
                name: session.execute(select(func.count()).select_from(table(name))).scalar_one()
                for name in self.TABLES
            }

    def batch_of(self, event) -> Any:
        from fugong.models import Batch

        with self.session() as session:
            return session.get(Batch, event.batch_id)


@pytest.fixture
def ledger(db_url: str) -> LedgerReader:
    return LedgerReader(db_url)


@pytest.fixture
def read_ledger() -> type[LedgerReader]:
    """`read_ledger(db)` reads any ledger back (for tests that make their own)."""
    return LedgerReader


# --------------------------------------------------------------------------- the CLI


@pytest.fixture(scope="session", autouse=True)
def _build_the_cli_once() -> Iterator[None]:
    """Typer rebuilds the whole command tree on every `CliRunner.invoke` (~70 ms),
    which a real process does once; build it once per session instead."""
    import typer.testing

    original = getattr(typer.testing, "_get_command", None)
    if original is None:  # another Typer: just run slower
        yield
        return
    built: dict[int, Any] = {}

    def get_command(app):
        if id(app) not in built:
            built[id(app)] = (app, original(app))
        return built[id(app)][1]

    typer.testing._get_command = get_command
    try:
        yield
    finally:
        typer.testing._get_command = original


class CliCall:
    """`cli("plan", "add", name, "--status", "planned")` runs `fugong plan add …` in-process."""

    def __init__(self, db: str | None):
        self.db = db
        self.user = TESTER
        self.runner = CliRunner()

    def __call__(
        self, *args: Any, input: str | None = None, env: dict[str, str | None] | None = None
    ):
        from fugong.cli import app

        argv = [str(a) for a in args]
        environment: dict[str, str | None] = {
            "FUGONG_DB": self.db,
            "FUGONG_USER": self.user,
            "FUGONG_LANG": None,
            "NO_COLOR": "1",
        }
        environment.update(env or {})
        # the history records the command line from sys.argv, as in a real process
        saved = sys.argv
        sys.argv = ["fugong", *argv]
        try:
            result = self.runner.invoke(app, argv, input=input, env=environment)
        finally:
            sys.argv = saved
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            trace = "".join(traceback.format_exception(*result.exc_info))
            pytest.fail(f"fugong {' '.join(argv)} raised (never a traceback):\n{trace}")
        return result


@pytest.fixture
def cli(db_url: str) -> CliCall:
    return CliCall(db_url)


@pytest.fixture
def bare_cli() -> CliCall:
    """The CLI without FUGONG_DB: for tests that name the ledger themselves."""
    return CliCall(None)
