"""Issue 7: start-up of fugong against the floor of any Typer CLI, medians of alternating runs.

- `fugong --help` and `fugong --version` vs a minimal Typer app with two commands
  printing its own --help (bound 1.2x);
- `fugong report --district 沙湾` on the sample ledger vs `python -c "import sqlmodel, typer"`
  (bound 1.25x).

Usage: python bench/bench_startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from common import OUT, alternate, fugong, measure, verdict

MINIMAL = '''
import typer

app = typer.Typer()


@app.command()
def one():
    """First."""


@app.command()
def two():
    """Second."""


app()
'''


def compile_fugong() -> None:
    """Write fugong's bytecode, as `pip install .` does.  The floor's packages
    (sqlmodel, typer …) are compiled in site-packages; an editable install run with
    PYTHONDONTWRITEBYTECODE=1 would otherwise compile fugong's sources on every
    run and measure the compiler, not the start-up."""
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import compileall, os, fugong; "
            "compileall.compile_dir(os.path.dirname(fugong.__file__), quiet=1)",
        ],
        env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    compile_fugong()
    minimal = OUT / "minimal_typer.py"
    minimal.write_text(MINIMAL)
    exe = fugong()
    floor = [sys.executable, str(minimal), "--help"]
    for label, argv in (("--help", [exe, "--help"]), ("--version", [exe, "--version"])):
        ours, base = alternate(argv, floor, args.runs)
        ratio = ours / base
        print(
            f"fugong {label}: {ours:.3f} s vs minimal Typer --help {base:.3f} s = {ratio:.2f}x "
            f"(bound 1.2x: {verdict(ratio, 1.2)})"
        )

    db = OUT / "sample.db"
    for suffix in ("", "-wal", "-shm"):
        (OUT / f"sample.db{suffix}").unlink(missing_ok=True)
    env = {"FUGONG_DB": str(db), "NO_COLOR": "1"}
    measure([exe, "init", "--sample"], env)
    report = [exe, "report", "--district", "沙湾"]
    floor = [sys.executable, "-c", "import sqlmodel, typer"]
    ours, base = alternate(report, floor, args.runs, env)
    ratio = ours / base
    print(
        f"fugong report --district 沙湾 (sample): {ours:.3f} s vs import sqlmodel, typer "
        f"{base:.3f} s = {ratio:.2f}x (bound 1.25x: {verdict(ratio, 1.25)})"
    )
    os.environ.pop("FUGONG_DB", None)


if __name__ == "__main__":
    main()
