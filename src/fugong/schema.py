"""Create or upgrade a ledger's schema, and load the reference data.

Schema changes are ordered Alembic migrations (`fugong.migrations.versions`),
run from the package itself (no alembic.ini), so the same steps serve SQLite
and PostgreSQL.  Only imported when a ledger is not yet at SCHEMA_HEAD.
"""

from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path

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
        from .readmodel import catch_up

        with Session(engine) as session:
            load_districts(session)
            catch_up(session)  # a ledger from before the read model: made from its history
            session.commit()


COLUMNS = ("code", "name", "short_names", "parent")


def read_districts(source=None) -> list[dict[str, str]]:
    """A district table (default: the bundled 乐山市 one), checked row by row.

    Columns: code, name, short_names (";"-separated), parent (the city's code;
    empty for the city itself).  UTF-8 (with or without BOM) or GB18030.  Every
    row needs a code and a name; errors name the file and the line.
    """
    name = str(source) if source is not None else "districts.csv"
    if source is None:
        data = (resources.files("fugong.data") / "districts.csv").read_bytes()
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise FugongError(
                f"无法读取 {name}: {exc.strerror}", f"cannot read {name}: {exc.strerror}"
            ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise FugongError(
                f"{name}: 无法解码 (应为 UTF-8 或 GBK)", f"{name}: cannot be decoded (UTF-8 or GBK)"
            ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = set(COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise FugongError(
            f"{name}:1: 区县表缺少列: {', '.join(sorted(missing))}",
            f"{name}:1: the district table lacks columns: {', '.join(sorted(missing))}",
        )
    rows = []
    for row in reader:
        values = {c: (row.get(c) or "").strip() for c in COLUMNS}
        if not values["code"] or not values["name"]:
            column = "code" if not values["code"] else "name"
            raise FugongError(
                f"{name}:{reader.line_num}: {column}: 缺少区县代码或名称",
                f"{name}:{reader.line_num}: {column}: a district needs a code and a name",
            )
        rows.append(values)
    return rows


def load_districts(session: Session, rows: list[dict[str, str]] | None = None) -> int:
    """Insert the districts of a table (default: the bundled one) the ledger lacks."""
    known = set(session.exec(select(District.code)).all())
    added = 0
    for row in rows if rows is not None else read_districts():
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
        known.add(row["code"])
        added += 1
    return added
