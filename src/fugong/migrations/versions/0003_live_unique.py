"""Identity that must be unique is unique: live USCCs, live names in a district,
one live labour demand per enterprise and job type.

`live` caches whether a record has an entry not undone, so an undone record
does not block its re-creation.  Enterprises that an older fugong let in twice
(same name in one district, or the same USCC) keep working: the later ones get
a `twin` number, and `fugong check` lists them to be merged.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LIVE = {
    "enterprise": ("enterprise_event", "enterprise_id"),
    "problem": ("problem_event", "problem_id"),
    "labour": ("labour_event", "labour_id"),
}


def upgrade():
    # plain ADD COLUMN with a default, on both backends: no copy of the table
    for table in LIVE:
        op.add_column(
            table, sa.Column("live", sa.Boolean, nullable=False, server_default=sa.true())
        )
    op.add_column("enterprise", sa.Column("twin", sa.Integer, nullable=False, server_default="0"))
    for table, (events, owner) in LIVE.items():
        op.execute(
            f'UPDATE "{table}" SET live = EXISTS (SELECT 1 FROM {events} v '  # noqa: S608
            f'JOIN batch b ON b.id = v.batch_id WHERE v.{owner} = "{table}".id '
            "AND b.undone_at IS NULL)"
        )
    _number_twins()
    live = sa.text("live")
    op.create_index(
        "ux_enterprise_uscc_live",
        "enterprise",
        ["uscc", "twin"],
        unique=True,
        sqlite_where=live,
        postgresql_where=live,
    )
    op.create_index(
        "ux_enterprise_name_live",
        "enterprise",
        ["name_key", "district", "twin"],
        unique=True,
        sqlite_where=live,
        postgresql_where=live,
    )
    op.create_index(
        "ux_labour_job_live",
        "labour",
        ["enterprise_id", "job_type"],
        unique=True,
        sqlite_where=live,
        postgresql_where=live,
    )


def _number_twins():
    """Give each live enterprise that repeats an earlier one's name (in its district)
    or USCC the smallest number not used in either group."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, name_key, district, uscc FROM enterprise WHERE live ORDER BY id")
    ).all()
    used_by_name: dict[tuple, set[int]] = {}
    used_by_uscc: dict[str, set[int]] = {}
    twins = []
    for eid, key, district, uscc in rows:
        by_name = used_by_name.setdefault((key, district), set())
        by_uscc = used_by_uscc.setdefault(uscc, set()) if uscc else set()
        twin = 0
        while twin in by_name or twin in by_uscc:
            twin += 1
        by_name.add(twin)
        by_uscc.add(twin)
        if twin:
            twins.append({"id": eid, "twin": twin})
    if twins:
        conn.execute(sa.text("UPDATE enterprise SET twin = :twin WHERE id = :id"), twins)


def downgrade():
    op.drop_index("ux_labour_job_live", table_name="labour")
    op.drop_index("ux_enterprise_name_live", table_name="enterprise")
    op.drop_index("ux_enterprise_uscc_live", table_name="enterprise")
    for table in LIVE:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("live")
            if table == "enterprise":
                batch.drop_column("twin")
