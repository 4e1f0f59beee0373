"""The read model: what the report folds from the history, as known now.

A cache, not history (readmodel.py): per enterprise and period of business dates,
the inputs of the report's figures, kept by the one writer at every batch.  The
state row starts at -1 (reflects nothing): fugong builds the model from the history
right after this upgrade (schema.upgrade_schema), and until it is built reports fold
the history as before.

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = {
    "rm_plan": [
        ("above_scale", sa.Boolean),
        ("status", sa.String),
        ("ever", sa.Integer),
        ("today_on", sa.Date),
        ("uninspected", sa.Integer),
        ("returned", sa.Integer),
        ("base", sa.Integer),
    ],
    "rm_problem": [
        ("category", sa.String),
        ("status", sa.String),
        ("resolved_on", sa.Date),
        ("deadline", sa.Date),
        ("since", sa.Date),
        ("raised_on", sa.Date),
    ],
    "rm_labour": [("job_type", sa.String), ("needed", sa.Integer), ("filled", sa.Integer)],
    "rm_employer": [],
}

FIGURES = {
    "rm_plan": [
        *("district", "status", "ever", "today_on", "uninspected"),
        *("above_scale", "returned", "base", "start", "stop"),
    ],
    "rm_problem": [
        *("district", "category", "status", "resolved_on", "deadline", "since", "raised_on"),
        *("start", "stop"),
    ],
    "rm_labour": ["district", "job_type", "needed", "filled", "start", "stop"],
    "rm_employer": ["district", "start", "stop"],
}


def upgrade():
    for name, columns in TABLES.items():
        op.create_table(
            name,
            sa.Column("eid", sa.Integer, nullable=False),
            sa.Column("start", sa.Date, nullable=False),
            sa.Column("stop", sa.Date, nullable=False),
            sa.Column("district", sa.String, nullable=False),
            *(sa.Column(column, kind) for column, kind in columns),
        )
        op.create_index(f"ix_{name}_eid", name, ["eid"])
        # every column a report reads, what it groups by first: it reads the index
        # alone, already in its groups (no table rows, no sort)
        op.create_index(f"ix_{name}_figures", name, FIGURES[name])
    op.create_table(
        "rm_active",
        sa.Column("eid", sa.Integer, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("district", sa.String, nullable=False),
    )
    op.create_index("ix_rm_active_eid", "rm_active", ["eid"])
    op.create_index("ix_rm_active_day", "rm_active", ["day"])
    state = op.create_table(
        "rm_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("batch_seen", sa.Integer, nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "batch_seen": -1}])


def downgrade():
    op.drop_table("rm_state")
    op.drop_index("ix_rm_active_day", table_name="rm_active")
    op.drop_index("ix_rm_active_eid", table_name="rm_active")
    op.drop_table("rm_active")
    for name in reversed(TABLES):
        op.drop_index(f"ix_{name}_figures", table_name=name)
        op.drop_index(f"ix_{name}_eid", table_name=name)
        op.drop_table(name)
