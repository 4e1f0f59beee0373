"""The `fugong` command line: one Typer app per noun, wired together here.

Only Typer and the light modules are imported at start-up; every command
imports the ledger (SQLAlchemy) when it runs, so `fugong --help` is fast.
"""

from typing import Annotated

import typer

from .. import __version__
from . import admin, enterprise, form, i18n, io, labour, plan, problem, report, trend

i18n.install()

app = typer.Typer(
    name="fugong",
    help="复工 — 企业复工复产台账: 复产计划、复产问题、用工需求 / the work-resumption ledgers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fugong {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="显示版本 / print the version"
        ),
    ] = False,
) -> None:
    """复工 — 区县和市的企业复工复产台账 / the resumption ledgers of a district or city office."""


app.add_typer(enterprise.app, name="enterprise")
app.add_typer(plan.app, name="plan")
app.add_typer(problem.app, name="problem")
app.add_typer(labour.app, name="labour")
admin.register(app)
report.register(app)
trend.register(app)
io.register(app)
form.register(app)


# Environment variables fugong reads: checked like the arguments.
ENVIRONMENT = ("FUGONG_DB", "FUGONG_USER", "FUGONG_LANG", "FUGONG_TZ", "FUGONG_FORMS")


def _undecodable() -> str | None:
    """The first argument or variable that is not valid UTF-8 (Python keeps such
    bytes as surrogates, which nothing downstream can store or print)."""
    import os
    import sys

    named = [(f"参数 {i} / argument {i}", a) for i, a in enumerate(sys.argv[1:], 1)]
    named += [(name, os.environ[name]) for name in ENVIRONMENT if name in os.environ]
    for what, value in named:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            return f"{what}: {shown}"
    return None


def main() -> None:
    import sys

    bad = _undecodable()
    if bad is not None:
        sys.stderr.write(f"错误: 含有无效的 UTF-8 字节 / not valid UTF-8: {bad}\n")
        sys.exit(1)
    try:
        app()
    except SystemExit as done:
        code = done.code
    else:
        code = 0
    try:
        sys.stdout.flush()
    except OSError as exc:  # the last bytes of a document could not be written
        from .common import silence_stdout

        silence_stdout()
        sys.stderr.write(f"错误: 无法写入标准输出 / cannot write stdout: {exc.strerror}\n")
        code = 1
    sys.exit(code)
