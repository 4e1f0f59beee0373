"""The README runs as written (issue 13): every block marked `<!-- readme: run -->` is run
by bash, top to bottom, in a new folder holding the repository's `data/` (as if run from
the checkout), with the installed `fugong` on PATH and no ledger set, and must end with
exit 0. A line that fails names itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARK = "<!-- readme: run -->"
BLOCK = re.compile(re.escape(MARK) + r"\n```sh\n(.*?)```", re.DOTALL)


def runnable_blocks() -> list[tuple[str, str]]:
    """(the section heading, the block) of every block marked to run."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for match in BLOCK.finditer(text):
        headings = re.findall(r"^#+ (.+)$", text[: match.start()], re.MULTILINE)
        found.append((headings[-1] if headings else "?", match.group(1)))
    return found


BLOCKS = runnable_blocks()


def test_the_readme_marks_its_command_blocks():
    # the quick start and the command reference at least; a lost marker would skip them
    assert [heading for heading, _ in BLOCKS][:2] == ["中文快速上手", "Commands"]
    assert len(BLOCKS) == text_marks(), "a marker not followed by a ```sh block"


def text_marks() -> int:
    return (ROOT / "README.md").read_text(encoding="utf-8").count(MARK)


@pytest.mark.parametrize("heading,block", BLOCKS, ids=[h for h, _ in BLOCKS])
def test_a_readme_block_runs_top_to_bottom(heading, block, tmp_path):
    (tmp_path / "data").symlink_to(ROOT / "data", target_is_directory=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FUGONG_") and k not in ("NO_COLOR", "COLUMNS")
    }
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(tmp_path / "home"),
        FUGONG_FORMS=str(tmp_path / "forms"),
        XDG_DATA_HOME=str(tmp_path / "home" / "data"),
    )
    script = "set -eo pipefail\ntrap 'echo \"README ($LINENO): $BASH_COMMAND\" >&2' ERR\n" + block
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=900,
    )
    assert done.returncode == 0, f"{heading}: {done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr
