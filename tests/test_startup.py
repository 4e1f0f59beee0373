"""Commands that do not open the ledger must not pay for SQLAlchemy (issue 7)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "tabulate",
    "rich.table",
    "fugong.ledger",
    # the workbook modules and libraries: only commands that touch a workbook load them
    "python_calamine",
    "openpyxl",
    "xlsxwriter",
    "zipfile",
    "fugong.workbook_in",
    "fugong.workbook_out",
    "fugong.form_fill",  # upward forms: openpyxl, loaded by `form show` and `form fill` only
)


def _loaded_after(code: str) -> dict[str, bool]:
    probe = (
        f"import sys, json\n{code}\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_nothing_heavy():
    assert _loaded_after("import fugong.cli") == dict.fromkeys(HEAVY, False)


def test_version_and_help_load_nothing_heavy():
    for argv in (["--version"], ["--help"], ["report", "--help"], ["form", "fill", "--help"]):
        code = (
            "import fugong.cli\n"
            f"sys.argv = ['fugong', *{argv!r}]\n"
            "try:\n    fugong.cli.main()\nexcept SystemExit:\n    pass"
        )
        loaded = _loaded_after(code)
        assert not loaded["sqlalchemy"], argv
        assert not loaded["fugong.ledger"], argv


def test_commands_without_a_workbook_load_no_workbook_code(tmp_path):
    """A CSV import, a CSV export and a table report leave the workbook code unloaded."""
    db = tmp_path / "l.db"
    sheet = tmp_path / "s.csv"
    sheet.write_text("企业名称,区县,复产状态\n甲公司,沙湾,计划复产\n", encoding="utf-8")
    workbook = ("python_calamine", "openpyxl", "xlsxwriter", "fugong.workbook_in")
    for argv in (
        ["init", "--db", str(db)],
        ["import", "plans", str(sheet), "--db", str(db)],
        ["export", "plans", "--db", str(db), "-o", str(tmp_path / "p.csv")],
        ["report", "--db", str(db), "--format", "json"],
    ):
        code = (
            "import fugong.cli\n"
            f"sys.argv = ['fugong', *{argv!r}]\n"
            "try:\n    fugong.cli.main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        )
        loaded = _loaded_after(code)
        assert not any(loaded[m] for m in workbook), (argv, loaded)
        assert not loaded["fugong.workbook_out"], argv


def test_form_list_reads_the_mappings_only(tmp_path):
    """`form list` reads TOML files: no ledger, no workbook library."""
    code = (
        "import fugong.cli\n"
        "sys.argv = ['fugong', 'form', 'list']\n"
        "try:\n    fugong.cli.main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
    )
    loaded = _loaded_after(code)
    loaded.pop("tabulate")  # the table it prints
    loaded.pop("zipfile")  # importlib.resources' own (the shipped forms' folder)
    assert not any(loaded.values()), loaded


def test_commands_other_than_form_do_not_load_openpyxl(tmp_path):
    """openpyxl is a runtime dependency for the forms; nothing else imports it."""
    db = tmp_path / "l.db"
    for argv in (
        ["init", "--db", str(db)],
        ["report", "--db", str(db), "-o", str(tmp_path / "r.xlsx")],
        ["export", "plans", "--db", str(db), "-o", str(tmp_path / "p.xlsx")],
    ):
        code = (
            "import fugong.cli\n"
            f"sys.argv = ['fugong', *{argv!r}]\n"
            "try:\n    fugong.cli.main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        )
        loaded = _loaded_after(code)
        assert not loaded["openpyxl"] and not loaded["fugong.form_fill"], argv
