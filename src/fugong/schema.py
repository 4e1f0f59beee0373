"""Create or upgrade a ledger's schema, and load the reference data.

Schema changes are ordered Alembic migrations (`fugong.migrations.versions`),
run from the package itself (no alembic.ini), so the same steps serve SQLite
and PostgreSQL.  Only imported when a ledger is not yet at SCHEMA_HEAD.
"""

from __future__ import annotations

import csv
from importlib import resources

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from .errors import FugongError
from .models import District


def alembic_config(connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("fugong") / "migrations"))
    config.attributes["connection"] = connection
    return config


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Bring the ledger's database to `revision` (default: the newest), then load the
    districts."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
    if revision == "head":
        with Session(engine) as session:
            load_districts(session)
            session.commit()


def load_districts(session: Session, source=None) -> int:
    """Insert the districts of a table (default: the bundled 乐山市 one) that the
    ledger does not have yet.  Columns: code, name, short_names (";"-separated),
    parent (the city's code; empty for the city itself)."""
    known = set(session.exec(select(District.code)).all())
    added = 0
    source = source or resources.files("fugong.data") / "districts.csv"
    with source.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    missing = {"code", "name", "short_names", "parent"} - set(rows[0] if rows else {})
    if missing:
        raise FugongError(
            f"{source}: 区县表缺少列: {', '.join(sorted(missing))}",
            f"{source}: the district table lacks columns: {', '.join(sorted(missing))}",
        )
    for row in rows:
        if row["code"] in known:
            continue
        session.add(
            District(
                code=row["code"],
                name=row["name"],
                short_names=row["short_names"],
                parent=row["parent"] or None,
            )
        )
        added += 1
    return added
