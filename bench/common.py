"""Shared helpers of the benchmarks: run a command, measure wall time and peak RSS."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

# A fresh wrapper process per measurement, so RUSAGE_CHILDREN's maxrss is the
# peak of exactly one command.
_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "wall = time.perf_counter() - t\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'{wall} {rss} {code}')\n"
)


def fugong() -> str:
    found = shutil.which("fugong")
    if not found:
        sys.exit("fugong is not on PATH: pip install . first (see bench/README.md)")
    return found


def measure(argv: list[str], env: dict | None = None) -> tuple[float, int]:
    """(wall seconds, peak RSS in KiB) of one run of argv; exits if it fails."""
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *argv],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=True,
    )
    wall, rss, code = done.stdout.split()
    if code not in ("0", "3"):
        sys.exit(f"command failed ({code}): {' '.join(argv)}")
    return float(wall), int(rss)


def alternate(
    a: list[str], b: list[str], runs: int, env: dict | None = None
) -> tuple[float, float]:
    """Median wall times of a and b, run alternately (a, b, a, b …) after one warm-up each."""
    measure(a, env)
    measure(b, env)
    times_a, times_b = [], []
    for _ in range(runs):
        times_a.append(measure(a, env)[0])
        times_b.append(measure(b, env)[0])
    return statistics.median(times_a), statistics.median(times_b)


def clock() -> float:
    return time.perf_counter()


def verdict(ratio: float, bound: float) -> str:
    return "meets" if ratio <= bound else f"MISSES by {ratio / bound:.2f}x"
