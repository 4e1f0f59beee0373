"""The `fugong` command line: one Typer app per noun, wired together here.

Only Typer and the light modules are imported at start-up; every command
imports the ledger (SQLAlchemy) when it runs, so `fugong --help` is fast.
"""

from typing import Annotated

import typer

from .. import __version__
from . import admin, enterprise, io, labour, plan, problem, report, trend

app = typer.Typer(
    name="fugong",
    help="复工 — the work-resumption ledgers: plans, problems, labour demand.",
    no_args_is_help=True,
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
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """复工 — keep the enterprise resumption ledgers of a district or city office."""


app.add_typer(enterprise.app, name="enterprise")
app.add_typer(plan.app, name="plan")
app.add_typer(problem.app, name="problem")
app.add_typer(labour.app, name="labour")
admin.register(app)
report.register(app)
trend.register(app)
io.register(app)


def main() -> None:
    app()
