"""What a person reads on a terminal is whole (issue 13): the installed `fugong` is run
in a real pseudo-terminal of 60, 80, 120 and 200 columns, and what it drew is read back.

No line may be wider than the terminal (the terminal would wrap it into a tangle), and
every figure and name must be there whole: each report row's figures are read back from
the drawn tables, in order, and compared with the JSON of the same report.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from rich.cells import cell_len

from fugong import render

WIDTHS = (60, 80, 120, 200)
AS_OF = "2020-02-14"
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> dict[str, str]:
    """The sample ledger (February 2020) and an environment that uses it."""
    folder = tmp_path_factory.mktemp("terminal")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FUGONG_", "NO_COLOR"))}
    env.update(
        FUGONG_DB=str(folder / "sample.db"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        TERM="xterm-256color",
        FUGONG_TZ="Asia/Shanghai",
    )
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    done = subprocess.run(["fugong", "init", "--sample"], env=env, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    return env


def in_terminal(env: dict[str, str], columns: int, *args: str) -> str:
    """What `fugong ARGS` draws on a terminal `columns` wide (escape codes taken out)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    process = subprocess.Popen(
        ["fugong", *args], stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait(timeout=120) == 0, b"".join(chunks).decode(errors="replace")
    text = ESCAPES.sub("", b"".join(chunks).decode("utf-8")).replace("\r\n", "\n")
    assert "Traceback" not in text
    return text


def json_of(env: dict[str, str], *args: str):
    done = subprocess.run(["fugong", *args, "--format", "json"], env=env, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def assert_fits(text: str, columns: int) -> None:
    for number, line in enumerate(text.splitlines(), 1):
        assert cell_len(line) <= columns, f"line {number} is {cell_len(line)} wide: {line!r}"


def cells_of_row(text: str, name: str) -> list[str]:
    """The cells after `name` in every table line whose first cell is `name`, in order."""
    found = []
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line)]
        cells = [c for c in cells if c]
        if cells and cells[0] == name:
            found.extend(cells[1:])
    return found


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("scope", [(), ("--district", "沙湾")], ids=["city", "district"])
def test_a_report_on_a_terminal_shows_every_figure_whole(sample, columns, scope):
    args = ("report", "--as-of", AS_OF, *scope)
    drawn = in_terminal(sample, columns, *args)
    assert_fits(drawn, columns)
    document = json_of(sample, *args)
    for _title, _headers, rows in render.report_sections(document, "zh"):
        for name, *figures in rows:
            assert figures, name
            shown = cells_of_row(drawn, name)
            # a section's row may also be drawn in another section: the figures come in order
            joined = " ".join(shown)
            assert " ".join(figures) in joined, (columns, name, figures, shown)
    assert "截至: 2020-02-14" in drawn and "生成时间:" in drawn


@pytest.mark.parametrize("columns", WIDTHS)
def test_a_trend_on_a_terminal_fits_and_names_every_day(sample, columns):
    drawn = in_terminal(sample, columns, "trend", "--to", AS_OF, "--district", "沙湾")
    assert_fits(drawn, columns)
    days = json_of(sample, "trend", "--to", AS_OF, "--district", "沙湾")
    for day in days:
        rate = render.figure_text("resumption_rate", day["plans"]["resumption_rate"])
        shown = cells_of_row(drawn, day["date"])
        assert rate in shown, (columns, day["date"], shown)


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize(
    "args",
    [
        ("problem", "list", "--district", "沙湾", "--as-of", AS_OF),
        ("plan", "list", "--district", "沙湾", "--as-of", AS_OF),
        ("labour", "list", "--district", "沙湾", "--as-of", AS_OF),
        ("log", "乐山大佛新材料有限公司"),
        ("check", "--district", "沙湾", "--as-of", AS_OF),
    ],
    ids=["problems", "plans", "labour", "log", "check"],
)
def test_lists_logs_and_checks_fit_the_terminal_whole(sample, columns, args):
    drawn = in_terminal(sample, columns, *args)
    assert_fits(drawn, columns)
    rows = json_of(sample, *args)
    if isinstance(rows, dict):  # check: {"findings": [...]}
        rows = rows.get("findings", [])
    assert rows
    tokens = set(re.split(r"\s+", drawn))
    for row in rows:
        name = row.get("name") or row.get("enterprise")
        if name:
            assert name in drawn, (columns, name)
        if "id" in row and args[0] != "check":
            assert str(row["id"]) in tokens, (columns, row["id"])
