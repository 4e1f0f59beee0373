"""A killed import leaves nothing of itself (SIGKILL at random moments).

Each round starts `fugong import plans` of a large sheet, kills it with
SIGKILL after a random delay, then checks that SQLite's integrity check
passes and that the ledger holds all of the sheet or none of it.  After the
rounds, the import runs to the end and succeeds.  FUGONG_CRASH_ROUNDS sets
the number of rounds (default 5; issue 6 asks for 20 in a row).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROWS = 6000
BENCH = Path(__file__).resolve().parents[1] / "bench"


def _sheet(path: Path) -> None:
    subprocess.run([sys.executable, str(BENCH / "gen_plans.py"), str(ROWS), str(path)], check=True)


def _plans_in(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute("SELECT count(*) FROM plan").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_killed_import_leaves_all_or_nothing(tmp_path):
    if not (BENCH / "gen_plans.py").exists():
        pytest.skip("bench/gen_plans.py is not in this checkout")
    sheet = tmp_path / "plans.csv"
    _sheet(sheet)
    db = tmp_path / "ledger.db"
    env = {**os.environ, "FUGONG_DB": str(db)}
    subprocess.run(
        [sys.executable, "-m", "fugong", "init"], env=env, check=True, capture_output=True
    )
    rounds = int(os.environ.get("FUGONG_CRASH_ROUNDS", "5"))
    rng = random.Random()
    command = [
        sys.executable,
        "-m",
        "fugong",
        "import",
        "plans",
        str(sheet),
        "--date",
        "2020-02-14",
    ]
    # how long a whole import takes here, so that the kills land inside it on a
    # fast machine and on a busy one alike
    scratch = {**env, "FUGONG_DB": str(tmp_path / "scratch.db")}
    subprocess.run([sys.executable, "-m", "fugong", "init"], env=scratch, check=True)
    start = time.perf_counter()
    subprocess.run(command, env=scratch, check=True, capture_output=True)
    whole = time.perf_counter() - start
    killed = 0
    for _ in range(rounds):
        proc = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.3, 0.9) * whole)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
        held = _plans_in(db)
        assert held in (0, ROWS)
        if held == ROWS:  # it finished before the kill: start again from empty
            db.unlink()
            for suffix in ("-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            subprocess.run(
                [sys.executable, "-m", "fugong", "init"], env=env, check=True, capture_output=True
            )
    assert killed > 0, "no round was killed mid-import: the sheet is too small"
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert _plans_in(db) == ROWS
