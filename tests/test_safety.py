"""Nothing the user names is destroyed, nothing secret is kept, nothing false is printed
(SPEC "Names, paths and the ledger file").

Outputs never land on the ledger or the input and are whole or absent; only
`init` creates a ledger; ledger paths are paths; passwords stay out of the
history and the messages; names are visible text; odd inputs are messages,
never tracebacks.
"""

from __future__ import annotations

import json
import os
import resource
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from fugong.models import Batch, Enterprise


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def refused(result, *says):
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    assert result.stderr.startswith("错误: ") or ":" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    for part in says:
        assert part in result.stderr, result.stderr
    return result


def fugong(*args, env=None, **kw) -> subprocess.CompletedProcess:
    """The real console entry point in a fresh process."""
    environment = {**os.environ, "NO_COLOR": "1", **(env or {})}
    environment.pop("FUGONG_LANG", None)
    return subprocess.run(
        [sys.executable, "-m", "fugong", *args],
        env=environment,
        capture_output=True,
        **kw,
    )


def setup(cli) -> None:
    for line in (
        "enterprise add 甲公司 --district 沙湾 --above-scale --date 2020-02-01",
        "plan add 甲公司 --status planned --date 2020-02-03",
    ):
        ok(cli(*shlex.split(line)))


# --------------------------------------------------------------------------- outputs


@pytest.mark.sqlite_only
def test_no_output_may_be_the_ledger_in_any_spelling(cli, db_url, ledger, tmp_path, monkeypatch):
    setup(cli)
    file = Path(db_url)
    link = tmp_path / "link.csv"
    link.symlink_to(file)
    monkeypatch.chdir(tmp_path)
    spellings = [
        str(file),
        os.path.relpath(file, tmp_path),
        str(file.parent / ".." / file.parent.name / file.name),
        str(link),
        f"{file}-wal",
    ]
    for target in spellings:
        refused(cli("export", "enterprises", "--format", "csv", "-o", target), "账本")
        refused(cli("report", "--format", "json", "-o", target), "账本")
    sheet = tmp_path / "s.csv"
    sheet.write_text("企业名称,区县,复产状态\n乙公司,沙弯,计划复产\n", encoding="utf-8")
    for extra in ([], ["--dry-run"]):
        result = cli(
            "import", "plans", str(sheet), "--skip-invalid", "--rejects", str(file), *extra
        )
        refused(result, "账本")
    with sqlite3.connect(db_url) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert [e.name for e in ledger.all(Enterprise)] == ["甲公司"]


def test_rejects_never_overwrite_the_input_and_appear_only_when_rows_are_rejected(cli, tmp_path):
    sheet = tmp_path / "s.csv"
    text = "企业名称,区县,复产状态\n乙公司,沙弯,计划复产\n丙公司,沙湾,未停工\n"
    sheet.write_text(text, encoding="utf-8")
    refused(
        cli("import", "plans", str(sheet), "--skip-invalid", "--rejects", str(sheet)), "输入文件"
    )
    assert sheet.read_text(encoding="utf-8") == text
    rejects = tmp_path / "rejects.csv"
    dry = cli(
        "import", "plans", str(sheet), "--skip-invalid", "--rejects", str(rejects), "--dry-run"
    )
    assert dry.exit_code == 3 and not rejects.exists()
    good = tmp_path / "good.csv"
    good.write_text("企业名称,区县,复产状态\n丁公司,沙湾,未停工\n", encoding="utf-8")
    assert ok(cli("import", "plans", str(good), "--skip-invalid", "--rejects", str(rejects)))
    assert not rejects.exists()
    done = cli("import", "plans", str(sheet), "--skip-invalid", "--rejects", str(rejects))
    assert done.exit_code == 3 and "乙公司" in rejects.read_text(encoding="utf-8-sig")
    assert not list(tmp_path.glob(".*.part"))


# --------------------------------------------------------------------------- the ledger file


def test_a_mistyped_ledger_path_is_an_error_and_creates_nothing(bare_cli, tmp_path):
    missing = tmp_path / "typo" / "ledgr.db"
    for argv in (
        ["report", "--as-of", "2020-02-14"],
        ["enterprise", "add", "甲公司", "--district", "沙湾"],
        ["plan", "list"],
        ["import", "plans", "-"],
        ["backup", str(tmp_path / "copy.db")],
    ):
        result = bare_cli(*argv, "--db", str(missing), input="企业名称,区县\n")
        refused(result, "账本不存在", str(missing), "fugong init")
        assert result.stdout == ""
    assert not missing.exists() and not missing.parent.exists()
    assert not (tmp_path / "copy.db").exists()


def test_ledger_paths_are_paths(bare_cli, tmp_path):
    for name in ("led#1.db", "led?x.db", "led%41.db", "my ledger.db"):
        path = tmp_path / name
        ok(bare_cli("init", "--db", str(path)))
        ok(bare_cli("enterprise", "add", "甲公司", "--district", "沙湾", "--db", str(path)))
        assert ok(bare_cli("db", "path", "--db", str(path))).stdout == f"{path}\n"
        copy = tmp_path / f"copy-{name}"
        ok(bare_cli("backup", str(copy), "--db", str(path)))
        with sqlite3.connect(copy) as conn:
            assert conn.execute("SELECT name FROM enterprise").fetchall() == [("甲公司",)]
    names = {p.name for p in tmp_path.iterdir()}
    assert not {"led", "ledA.db", "copy-led"} & names, names


def test_memory_and_unknown_databases_are_refused(bare_cli):
    refused(bare_cli("init", "--db", "sqlite://"), "内存")
    refused(bare_cli("report", "--db", "sqlite:///:memory:"), "内存")
    result = refused(bare_cli("report", "--db", "mysql://u:secret@h/db"), "不支持的数据库")
    assert "secret" not in result.stderr and "postgres]" not in result.stderr


def test_a_ledger_of_a_newer_fugong_is_refused(cli, db_url, backend):
    from sqlalchemy import create_engine, text

    from fugong.db import ledger_url

    engine = create_engine(ledger_url(db_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    refused(cli("report"), "更新版本")


def test_backup_is_whole_or_absent_and_never_overwrites(cli, db_url, tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("backup copies SQLite ledgers")
    setup(cli)
    copy = tmp_path / "copy.db"
    ok(cli("backup", str(copy)))
    refused(cli("backup", str(copy)), "已存在")
    refused(cli("backup", db_url), "账本")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        refused(cli("backup", str(locked / "b.db")))
        assert not list(locked.iterdir())
    finally:
        locked.chmod(0o700)


# --------------------------------------------------------------------------- secrets


def test_a_password_never_reaches_the_history_or_a_message(cli, db_url, backend, ledger):
    if backend != "postgres":
        pytest.skip("a server URL carries the password")
    with_password = db_url.replace("postgres@", "postgres:s3cr3t@")
    ok(cli("enterprise", "add", "甲公司", "--district", "沙湾", "--db", with_password))
    sources = [b.source for b in ledger.all(Batch)]
    assert sources and all("s3cr3t" not in s for s in sources), sources
    assert any("postgres:***@" in s for s in sources)
    bad = cli("report", "--db", with_password.replace("/fugong", "/nowhere_db"))
    assert "s3cr3t" not in bad.stdout + bad.stderr
    shown = ok(cli("db", "path", "--db", with_password)).stdout
    assert "s3cr3t" not in shown


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name",
    ["\u200b\u200d", "0004", "＃12", "甲\x1b]0;pwn\x07公司", "甲\u202e司公", "甲\n公司", "  "],
)
def test_names_are_visible_text_and_never_all_digits(cli, ledger, name):
    before = ledger.counts()
    refused(cli("enterprise", "add", name, "--district", "沙湾"))
    assert ledger.counts() == before


def test_ids_names_and_districts(cli, ledger):
    setup(cli)
    ok(cli("enterprise", "add", "乙公司", "--district", "沙湾", "--date", "2020-02-01"))
    [a, b] = json.loads(ok(cli("enterprise", "list", "--format", "json")).stdout)
    assert ok(cli("enterprise", "show", f"#{a['id']}", "--format", "json"))
    refused(cli("plan", "add", "", "--status", "planned"))
    refused(cli("enterprise", "edit", "乙公司", "--name", "甲公司"), "同名")
    refused(cli("enterprise", "add", "丙公司", "--district", "乐山市"), "区县")
    refused(cli("enterprise", "edit", "乙公司", "--district", "511100"), "区县")
    refused(cli("problem", "resolve", "99999999999", "--note", "x"), "编号")
    refused(cli("log", "--batch", "99999999999"), "编号")


def test_a_guarded_value_round_trips(cli, tmp_path):
    ok(
        cli(
            "enterprise",
            "add",
            "甲公司",
            "--district",
            "沙湾",
            "--contact",
            "'=x",
            "--date",
            "2020-02-01",
        )
    )
    exported = ok(cli("export", "enterprises")).stdout
    assert ",''=x," in exported
    path = tmp_path / "e.csv"
    path.write_text(exported[1:], encoding="utf-8")
    db = tmp_path / "other.db"
    ok(cli("init", "--db", str(db)))
    ok(cli("import", "enterprises", str(path), "--db", str(db), "--date", "2020-02-01"))
    [row] = json.loads(ok(cli("enterprise", "list", "--format", "json", "--db", str(db))).stdout)
    assert row["contact"] == "'=x"


# --------------------------------------------------------------------------- odd inputs


@pytest.mark.sqlite_only
def test_odd_inputs_are_messages_not_tracebacks(cli, db_url, tmp_path):
    setup(cli)
    env = {"FUGONG_DB": db_url}
    bad_utf8 = fugong(os.fsencode("enterprise"), "add", b"\xff\xfe", "--district", "沙湾", env=env)
    assert bad_utf8.returncode == 1 and b"Traceback" not in bad_utf8.stderr
    assert "UTF-8" in bad_utf8.stderr.decode()
    with open("/dev/full", "wb") as devfull:
        done = subprocess.run(
            [sys.executable, "-m", "fugong", "report", "--format", "json"],
            env={**os.environ, **env},
            stdout=devfull,
            stderr=subprocess.PIPE,
        )
    assert done.returncode == 1 and b"Traceback" not in done.stderr, done.stderr
    closed = subprocess.run(
        [sys.executable, "-m", "fugong", "import", "plans", "-"],
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        preexec_fn=lambda: os.close(0),  # noqa: PLW1509 - stdin closed, as `<&-` does
    )
    assert closed.returncode == 1 and b"Traceback" not in closed.stderr, closed.stderr


@pytest.mark.sqlite_only
def test_a_file_size_limit_is_an_error_not_a_short_file(cli, db_url, tmp_path):
    rows = "".join(f"企业{i},沙湾,是,计划复产,2020-02-20\n" for i in range(3000))
    sheet = tmp_path / "big.csv"
    sheet.write_text("企业名称,所属区县,是否规上,复产状态,计划复产日期\n" + rows, encoding="utf-8")
    ok(cli("import", "plans", str(sheet), "--date", "2020-02-14"))
    out = tmp_path / "export.csv"

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    with open(out, "wb") as handle:
        done = subprocess.run(
            [sys.executable, "-m", "fugong", "export", "plans", "--db", db_url],
            stdout=handle,
            stderr=subprocess.PIPE,
            preexec_fn=limit,  # noqa: PLW1509
        )
    assert done.returncode == 1, done.stderr
    assert b"Traceback" not in done.stderr


def test_sheets_odd_but_readable(cli, tmp_path):
    cr = tmp_path / "mac.csv"
    cr.write_bytes("企业名称,区县,复产状态\r甲公司,沙湾,计划复产\r乙公司,沙湾,未停工\r".encode())
    ok(cli("import", "plans", str(cr), "--date", "2020-02-10"))
    big = tmp_path / "big.csv"
    note = "长" * 1_100_000
    big.write_text(f"企业名称,区县,复产状态,备注\n丙公司,沙湾,计划复产,{note}\n", encoding="utf-8")
    ok(cli("import", "plans", str(big), "--date", "2020-02-10"))
    plans = {p["name"]: p for p in json.loads(ok(cli("plan", "list", "--format", "json")).stdout)}
    assert set(plans) == {"甲公司", "乙公司", "丙公司"} and plans["丙公司"]["note"] == note


def test_a_file_that_changes_while_it_is_read_is_refused(tmp_path):
    from fugong.errors import SheetError
    from fugong.ingest import open_sheet

    path = tmp_path / "growing.csv"
    path.write_text("企业名称,区县,复产状态\n" + "甲公司,沙湾,计划复产\n" * 10, encoding="utf-8")
    sheet = open_sheet(str(path), "plans", resolve_district=lambda text: "511111")
    with open(path, "a", encoding="utf-8") as handle:  # another program still writing
        handle.write("乙公")
    with pytest.raises(SheetError) as raised:
        list(sheet.blocks())
    assert "修改" in str(raised.value)


def test_another_citys_district_table_in_gbk_and_with_a_short_row(bare_cli, tmp_path):
    good = tmp_path / "成都市.csv"
    good.write_bytes(
        "code,name,short_names,parent\n510100,成都市,成都,\n510104,锦江区,锦江,510100\n".encode(
            "gb18030"
        )
    )
    db = tmp_path / "c.db"
    ok(bare_cli("init", "--districts", str(good), "--db", str(db)))
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,short_names,parent\n510100,成都市,成都,\n510105\n", encoding="utf-8")
    other = tmp_path / "d.db"
    refused(bare_cli("init", "--districts", str(bad), "--db", str(other)), f"{bad}:3")
    assert not other.exists()
