"""Where the ledger lives, how it is opened, and how an old ledger is brought up to date."""

from __future__ import annotations

import ast
import json
import os
import sqlite3
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from spec_facts import LESHAN
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

import fugong.db
from fugong.db import SCHEMA_HEAD, Ledger, ledger_url, open_ledger, schema_revision
from fugong.models import District
from fugong.readmodel import MODEL_SHAPE


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user data directory of the test's own (platformdirs honours XDG_DATA_HOME)."""
    home = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    monkeypatch.delenv("FUGONG_DB", raising=False)
    return home


def _default_ledger() -> Path:
    from platformdirs import user_data_path

    return user_data_path("fugong", appauthor=False) / "ledger.db"


# --------------------------------------------------------------------------- the URL


def test_ledger_url_resolution(tmp_path, monkeypatch, data_home):
    monkeypatch.chdir(tmp_path)
    # default: a file in the user data directory
    assert _default_ledger() == data_home / "fugong" / "ledger.db"
    assert ledger_url() == f"sqlite:///{data_home / 'fugong' / 'ledger.db'}"
    # FUGONG_DB, a relative path: made absolute
    monkeypatch.setenv("FUGONG_DB", "from-env.db")
    assert ledger_url() == f"sqlite:///{tmp_path / 'from-env.db'}"
    # --db wins over FUGONG_DB; ~ is the home directory
    assert ledger_url("other.db") == f"sqlite:///{tmp_path / 'other.db'}"
    assert ledger_url("~/x/l.db") == f"sqlite:///{Path.home() / 'x' / 'l.db'}"
    # a URL is a server; bare postgresql:// means the psycopg 3 driver we ship
    url = "postgresql+psycopg://u@db.example:5432/fugong"
    assert ledger_url(url) == url
    assert (
        ledger_url("postgresql://u@db.example/fugong") == "postgresql+psycopg://u@db.example/fugong"
    )
    monkeypatch.setenv("FUGONG_DB", url)
    assert ledger_url() == url
    assert ledger_url(str(tmp_path / "a.db")) == f"sqlite:///{tmp_path / 'a.db'}"


def test_db_path_command(bare_cli, tmp_path, monkeypatch, data_home):
    monkeypatch.chdir(tmp_path)
    default = data_home / "fugong" / "ledger.db"
    result = bare_cli("db", "path")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{default}\n", "")
    result = bare_cli("db", "path", env={"FUGONG_DB": "env.db"})
    assert result.stdout == f"{tmp_path / 'env.db'}\n"
    result = bare_cli("db", "path", "--db", "opt.db", env={"FUGONG_DB": "env.db"})
    assert result.stdout == f"{tmp_path / 'opt.db'}\n"
    # a server URL is shown without its password
    result = bare_cli("db", "path", "--db", "postgresql://clerk:s3cret@db.example:5432/fugong")
    assert result.exit_code == 0
    assert result.stdout == "postgresql+psycopg://clerk:***@db.example:5432/fugong\n"
    assert "s3cret" not in result.stdout + result.stderr
    # `db path` only says where: it creates nothing
    assert not default.exists() and not (tmp_path / "opt.db").exists()


def test_default_ledger_is_created_in_the_user_data_directory(bare_cli, data_home, read_ledger):
    default = data_home / "fugong" / "ledger.db"
    result = bare_cli("init")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == f"账本已就绪: {default}\n"
    assert default.is_file()
    result = bare_cli("enterprise", "add", "乐山甲有限公司", "--district", "沙湾")
    assert result.exit_code == 0, result.stderr
    assert [e.name for e in read_ledger(str(default)).all(fugong.models.Enterprise)] == [
        "乐山甲有限公司"
    ]


def test_unreachable_or_unusable_ledger_is_an_error_not_a_traceback(bare_cli, tmp_path):
    result = bare_cli(
        "enterprise", "list", "--db", "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("错误: ")
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = bare_cli("enterprise", "list", "--db", str(blocker / "sub" / "ledger.db"))
    assert result.exit_code == 1
    assert result.stderr.startswith("错误: ")
    not_a_ledger = tmp_path / "notes.db"
    not_a_ledger.write_bytes(b"this is not an SQLite database at all" * 100)
    result = bare_cli("enterprise", "list", "--db", str(not_a_ledger))
    assert result.exit_code == 1
    assert result.stderr.startswith("错误: ")
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- SQLite


@pytest.mark.sqlite_only
def test_sqlite_pragmas(db_url, cli):
    ledger = open_ledger(db_url)
    try:
        with ledger.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        # foreign keys are enforced: an event of a batch that does not exist is refused
        with pytest.raises(IntegrityError), ledger.session() as session:
            session.execute(
                text(
                    "INSERT INTO enterprise_event (batch_id, enterprise_id, business_date, action)"
                    " VALUES (999, 999, '2020-02-01', 'register')"
                )
            )
        # an import's own transaction checks its references itself; the next
        # transaction on the same (pooled) connection is checked again
        with ledger.session(bulk=True) as session:
            assert session.execute(text("PRAGMA foreign_keys")).scalar() == 0
        with ledger.session() as session:
            assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        ledger.engine.dispose()
    # WAL is a property of the file: any other client sees it too
    assert cli("enterprise", "add", "乐山甲有限公司", "--district", "沙湾").exit_code == 0
    with sqlite3.connect(db_url) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _migrations() -> dict[str, str | None]:
    """revision -> down_revision, read from the installed migration scripts."""
    found: dict[str, str | None] = {}
    for entry in resources.files("fugong.migrations.versions").iterdir():
        if not entry.name.endswith(".py") or entry.name.startswith("__"):
            continue
        values = {}
        for node in ast.parse(entry.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        values[target.id] = node.value.value
        assert "revision" in values, entry.name
        found[values["revision"]] = values.get("down_revision")
    return found


def test_schema_head_is_the_newest_migration():
    chain = _migrations()
    assert "0001" in chain and chain["0001"] is None
    heads = set(chain) - set(chain.values())
    assert heads == {SCHEMA_HEAD}, f"migration heads {heads}, SCHEMA_HEAD {SCHEMA_HEAD}"
    # one straight line from the first revision to the head
    seen, revision = [], SCHEMA_HEAD
    while revision is not None:
        seen.append(revision)
        revision = chain[revision]
    assert sorted(seen) == sorted(chain)


def test_opening_an_empty_ledger_creates_the_schema_and_the_districts(blank_db_url, read_ledger):
    ledger = open_ledger(blank_db_url, create=True)
    try:
        assert schema_revision(ledger) == SCHEMA_HEAD
        with ledger.session() as session:
            districts = {d.code: d.name for d in session.exec(select(District))}
        assert districts == LESHAN
    finally:
        ledger.engine.dispose()
    # opening again changes nothing (idempotent)
    open_ledger(blank_db_url).engine.dispose()
    assert len(read_ledger(blank_db_url).all(District, order_by=District.code)) == len(LESHAN)


def test_a_first_revision_ledger_is_upgraded_by_init(blank_db_url, bare_cli, read_ledger):
    from fugong.schema import upgrade_schema

    old = Ledger(ledger_url(blank_db_url))
    try:
        upgrade_schema(old.engine, "0001")
        assert schema_revision(old) == "0001"
        with old.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO district (code, name, short_names, parent) VALUES "
                    "('511100', '乐山市', '乐山', NULL), ('511111', '沙湾区', '沙湾', '511100')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO batch (id, kind, source, by, recorded_at) VALUES "
                    "(1, 'command', 'fugong enterprise add 老企业', 'clerk', '2020-02-01 08:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO enterprise (id, uscc, name, name_key, district) "
                    "VALUES (1, NULL, '老企业（集团）', '老企业(集团)', '511111')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO enterprise_event (id, batch_id, enterprise_id, business_date,"
                    " action, name, district, above_scale) VALUES"
                    " (1, 1, 1, '2020-02-01', 'register', '老企业（集团）', '511111', :yes)"
                ),
                {"yes": True},
            )
            conn.execute(text("INSERT INTO plan (id, enterprise_id) VALUES (1, 1)"))
            conn.execute(
                text(
                    "INSERT INTO plan_event (id, batch_id, plan_id, business_date, action, status,"
                    " returned) VALUES (1, 1, 1, '2020-02-03', 'add', 'resumed', 12)"
                )
            )
            if conn.dialect.name == "postgresql":  # explicit ids: move the sequences on
                for table in ("batch", "enterprise", "enterprise_event", "plan", "plan_event"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1)"))
    finally:
        old.engine.dispose()

    result = bare_cli("init", "--db", blank_db_url)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""

    new = Ledger(ledger_url(blank_db_url))
    try:
        assert schema_revision(new) == SCHEMA_HEAD
        indexes = {ix["name"] for ix in sa_inspect(new.engine).get_indexes("plan_event")}
        assert "ix_plan_event_asof" in indexes
        with new.engine.connect() as conn:  # the report cache, built from the old history
            state = conn.execute(text("SELECT batch_seen, shape FROM rm_state")).one()
            assert tuple(state) == (1, MODEL_SHAPE)
            rows = conn.execute(text("SELECT eid, status FROM rm_plan ORDER BY start")).all()
            assert [tuple(r) for r in rows] == [(1, None), (1, "resumed")]
    finally:
        new.engine.dispose()
    assert {d.code for d in read_ledger(blank_db_url).all(District, order_by=District.code)} == set(
        LESHAN
    )

    # the old facts read back, and the ledger takes new ones
    listed = json.loads(
        bare_cli(
            "plan", "list", "--db", blank_db_url, "--format", "json", "--as-of", "2020-02-05"
        ).stdout
    )
    assert [
        (p["name"], p["district"], p["status"], p["returned"], p["resumed_on"]) for p in listed
    ] == [("老企业（集团）", "沙湾区", "resumed", 12, "2020-02-03")]
    result = bare_cli(
        "plan",
        "set",
        "老企业(集团)",
        "--status",
        "suspended",
        "--date",
        "2020-02-10",
        "--db",
        blank_db_url,
    )
    assert result.exit_code == 0, result.stderr
    log = json.loads(bare_cli("log", "--db", blank_db_url, "--format", "json").stdout)
    assert [(e["business_date"], e["by"]) for e in log] == [
        ("2020-02-10", bare_cli.user),
        ("2020-02-03", "clerk"),
        ("2020-02-01", "clerk"),
    ]


# --------------------------------------------------------------------------- the console script


def test_console_script_runs(tmp_path):
    script = Path(sys.executable).with_name("fugong")
    if not script.exists():
        pytest.skip(f"no console script next to {sys.executable}")
    env = {**os.environ, "FUGONG_DB": str(tmp_path / "l.db"), "NO_COLOR": "1"}
    env.pop("FUGONG_LANG", None)
    done = subprocess.run(
        [str(script), "db", "path"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{tmp_path / 'l.db'}\n", "")
    done = subprocess.run(
        [sys.executable, "-m", "fugong", "plan", "add", "无此企业", "--status", "planned"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("错误: ") and "Traceback" not in done.stderr


def test_another_citys_district_table_can_be_loaded(bare_cli, tmp_path):
    table = tmp_path / "chengdu.csv"
    table.write_text(
        "code,name,short_names,parent\n510100,成都市,成都,\n510104,锦江区,锦江,510100\n",
        encoding="utf-8",
    )
    db = str(tmp_path / "cd.db")
    result = bare_cli("init", "--districts", str(table), "--db", db)
    assert result.exit_code == 0, result.stderr
    assert (
        bare_cli(
            "enterprise", "add", "锦江公司", "--district", "锦江", "--above-scale", "--db", db
        ).exit_code
        == 0
    )
    city = json.loads(
        bare_cli("report", "--district", "成都", "--format", "json", "--db", db).stdout
    )
    assert [d["scope"]["name"] for d in city["districts"]] == ["锦江区"]
    assert city["plans"]["total"] == 1
    # two cities now: a report must say which
    assert bare_cli("report", "--db", db).exit_code == 1


def test_tuples_reads_what_sqlalchemy_reads(db_url, cli):
    """db.tuples (the driver's cursor, for hot paths) gives the rows a Core select
    gives: a range and an IN list (db.among), strings and other bound values."""
    from sqlalchemy import select as core_select

    from fugong.db import among, tuples
    from fugong.models import Plan

    assert cli("init", "--sample").exit_code == 0
    ledger = open_ledger(db_url)
    try:
        with ledger.engine.connect() as conn:
            ids = sorted(r[0] for r in conn.execute(core_select(Plan.enterprise_id)).all())
            assert len(ids) > 50
            statements = [
                core_select(Plan.enterprise_id, Plan.id).where(among(Plan.enterprise_id, ids)),
                core_select(Plan.id).where(among(Plan.enterprise_id, ids[::7])),  # IN (…)
                core_select(District.code, District.name).where(District.code > "511112"),
            ]
            for statement in statements:
                expected = sorted(tuple(r) for r in conn.execute(statement).all())
                assert expected and sorted(tuples(conn, statement)) == expected
    finally:
        ledger.engine.dispose()


def test_padded_in_lists_find_what_the_values_find_with_few_statement_texts():
    """db.in_list: every length of list up to 5000 values gives one of a few statement
    texts (sqlite3 keeps each text prepared), and the padded list finds exactly the rows
    the values find, once each."""
    from fugong.db import in_list

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT)")
    conn.execute("CREATE INDEX t_code ON t (code)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, f"c{i}") for i in range(6000)])
    texts = set()
    for n in (0, 1, 2, 15, 16, 17, 300, 1025, 4999, 5000):
        codes = [f"c{i * 7 % 6500}" for i in range(n)]  # some absent (ids up to 5999)
        match, params = in_list(codes)
        texts.add(match)
        found = conn.execute(f"SELECT code FROM t WHERE code {match}", params).fetchall()  # noqa: S608
        assert sorted(code for (code,) in found) == sorted({c for c in codes if int(c[1:]) < 6000})
    assert len(texts) <= 8
    with pytest.raises(ValueError):
        in_list(["c1"] * 5001)


def test_dates_bound_by_a_bulk_write_read_back_as_the_orm_writes_them(db_url, cli):
    """db.date_binder (the bulk writers' dates, without sqlite3's adapter per value)
    stores what SQLAlchemy's Date type stores: read back through the ORM as dates,
    equal to and sorting with the ones the ORM wrote."""
    from datetime import date

    from sqlalchemy import Column, Date, Integer, MetaData, Table
    from sqlalchemy import select as core_select

    from fugong.db import date_binder, executemany

    assert cli("init").exit_code == 0
    ledger = open_ledger(db_url)
    days = [date(2020, 2, 14), None, date(2019, 12, 31), date(2020, 2, 14), date(2020, 10, 1)]
    table = Table("bound_dates", MetaData(), Column("k", Integer), Column("d", Date))
    try:
        with ledger.engine.begin() as conn:
            table.create(conn)
            conn.execute(table.insert(), [{"k": -k, "d": d} for k, d in enumerate(days, 1)])
            bind = date_binder(conn)
            mark = "?" if conn.dialect.name == "sqlite" else "%s"
            sql = f"INSERT INTO bound_dates (k, d) VALUES ({mark}, {mark})"
            executemany(conn, sql, [(k, bind(d)) for k, d in enumerate(days, 1)])
            rows = dict(conn.execute(core_select(table.c.k, table.c.d)).all())
            assert [rows[k] for k in range(1, 6)] == [rows[-k] for k in range(1, 6)] == days
            # the text sorts as the dates do (SQLite compares the ISO text)
            ordered = conn.execute(core_select(table.c.d).order_by(table.c.d, table.c.k)).all()
            assert [d for (d,) in ordered if d] == sorted(d for d in days * 2 if d)
            if conn.dialect.name == "sqlite":
                raw = conn.exec_driver_sql("SELECT DISTINCT typeof(d), d FROM bound_dates").all()
                assert {r for r in raw if r[0] == "text"} == {
                    ("text", d.isoformat()) for d in days if d
                }
            table.drop(conn)
    finally:
        ledger.engine.dispose()
