"""fugong report — the figures the office sends upward."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
