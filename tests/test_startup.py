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


# --------------------------------------------------------------------------- the lazy root
# `fugong --help` lists the root's commands from fugong.cli.COMMANDS instead of building
# them (issue 18): the table must say what the modules really register.

CLI_MODULES = tuple(
    f"fugong.cli.{m}"
    for m in ("admin", "enterprise", "form", "io", "labour", "lists", "plan", "problem")
    + ("report", "trend")
)


def _eager_root():
    """The root as it was before it was lazy: every module registered, every command built."""
    import copy
    import importlib

    import typer
    from typer.core import TyperGroup

    from fugong import cli

    eager = copy.copy(cli.app)
    eager.info = copy.copy(cli.app.info)
    eager.info.cls = TyperGroup
    eager.registered_commands = []
    eager.registered_groups = []
    # the order fugong.cli registered them in when it built the whole tree at start-up
    order = ("enterprise", "plan", "problem", "labour", "admin", "report", "trend", "io", "form")
    assert sorted(order) == sorted(cli.MODULES)
    for module in order:
        importlib.import_module(f"fugong.cli.{module}").register(eager)
    return eager, typer.main.get_command(eager)


def test_the_table_of_root_commands_is_what_the_modules_register():
    import inspect

    from fugong import cli

    _, root = _eager_root()
    assert list(root.commands) == [name for name, _, _ in cli.COMMANDS]
    for name, module, text in cli.COMMANDS:
        command = root.commands[name]
        shown = inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0]
        assert shown == text, name
        assert name in cli.build(module), (name, module)
        assert not command.hidden and not command.deprecated, name
        assert not getattr(command, "rich_help_panel", None), name


def test_the_lazy_root_prints_the_help_and_errors_of_the_whole_tree():
    from typer.testing import CliRunner

    from fugong import cli

    eager, _ = _eager_root()
    runner = CliRunner()
    for lang in ("zh", "en"):
        env = {"FUGONG_LANG": lang, "COLUMNS": "100", "NO_COLOR": "1"}
        for argv in (["--help"], [], ["reprot"], ["db"], ["plan", "--help"], ["--version"]):
            lazy = runner.invoke(cli.app, argv, env=env)
            whole = runner.invoke(eager, argv, env=env)
            assert (lazy.exit_code, lazy.output) == (whole.exit_code, whole.output), (lang, argv)


def test_walking_the_lazy_root_gives_the_whole_tree():
    import typer

    from fugong import cli

    _, whole = _eager_root()
    lazy = typer.main.get_command(cli.app)

    def walk(command, path=()):
        yield path, type(command), [p.opts for p in command.params], command.help
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, (*path, name))

    assert list(walk(lazy))[1:] == list(walk(whole))[1:]


def test_help_and_a_command_import_only_the_modules_they_need():
    def loaded(argv: list[str]) -> set[str]:
        code = (
            "import sys, fugong.cli\n"
            f"sys.argv = ['fugong', *{argv!r}]\n"
            "try:\n    fugong.cli.main()\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {CLI_MODULES!r} if m in sys.modules))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        return set(json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"')))

    assert loaded(["--help"]) == set()
    assert loaded(["--version"]) == set()
    assert loaded(["report", "--help"]) == {"fugong.cli.report"}
    assert loaded(["plan", "--help"]) == {"fugong.cli.plan", "fugong.cli.lists"}


def test_loading_the_ledger_modules_leaves_the_collector_as_it_was():
    """ledger_modules() pauses the cyclic collector while SQLAlchemy loads: it must be
    running again afterwards (a long import must not run without it), and stay off
    where the caller had turned it off."""
    code = (
        "import gc, sys\n"
        "from fugong.cli.common import ledger_modules\n"
        "{pre}\n"
        "ledger_modules()\n"
        "print(gc.isenabled(), 'fugong.models' in sys.modules)"
    )
    for pre, enabled in (("", "True"), ("gc.disable()", "False")):
        done = subprocess.run(
            [sys.executable, "-c", code.format(pre=pre)], capture_output=True, text=True, check=True
        )
        assert done.stdout.split() == [enabled, "True"], pre
