"""Commands that do not open the ledger must not pay for SQLAlchemy (issue 7)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "tabulate", "rich.table", "fugong.ledger")


def _loaded_after(code: str) -> dict[str, bool]:
    probe = (
        f"import sys, json\n{code}\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_nothing_heavy():
    assert _loaded_after("import fugong.cli") == dict.fromkeys(HEAVY, False)


def test_version_and_help_load_nothing_heavy():
    for argv in (["--version"], ["--help"], ["report", "--help"]):
        code = (
            "import fugong.cli\n"
            f"sys.argv = ['fugong', *{argv!r}]\n"
            "try:\n    fugong.cli.main()\nexcept SystemExit:\n    pass"
        )
        loaded = _loaded_after(code)
        assert not loaded["sqlalchemy"], argv
        assert not loaded["fugong.ledger"], argv
