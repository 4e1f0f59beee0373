"""The first schema: districts, batches, the identity and event tables.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _event(name, owner, *columns):
    op.create_table(
        name,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("batch.id"), nullable=False),
        sa.Column(f"{owner}_id", sa.Integer, sa.ForeignKey(f"{owner}.id"), nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("line", sa.Integer),
        sa.Column("action", sa.String, nullable=False),
        *columns,
    )
    op.create_index(f"ix_{name}_batch_id", name, ["batch_id"])


def upgrade():
    op.create_table(
        "district",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("short_names", sa.String, nullable=False),
        sa.Column("parent", sa.String),
    )
    op.create_index("ix_district_parent", "district", ["parent"])
    op.create_table(
        "batch",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("by", sa.String, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("undone_at", sa.DateTime),
        sa.Column("undone_by", sa.Integer),
        sa.Column("note", sa.String),
    )
    op.create_index("ix_batch_recorded_at", "batch", ["recorded_at"])
    op.create_table(
        "enterprise",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uscc", sa.String),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("name_key", sa.String, nullable=False),
        sa.Column("district", sa.String, nullable=False),
    )
    op.create_index("ix_enterprise_uscc", "enterprise", ["uscc"])
    op.create_index("ix_enterprise_name_key", "enterprise", ["name_key"])
    _event(
        "enterprise_event",
        "enterprise",
        sa.Column("name", sa.String),
        sa.Column("district", sa.String),
        sa.Column("uscc", sa.String),
        sa.Column("sector", sa.String),
        sa.Column("above_scale", sa.Boolean),
        sa.Column("key_enterprise", sa.Boolean),
        sa.Column("employees", sa.Integer),
        sa.Column("liaison", sa.String),
        sa.Column("contact", sa.String),
        sa.Column("phone", sa.String),
    )
    op.create_table(
        "plan",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "enterprise_id", sa.Integer, sa.ForeignKey("enterprise.id"), nullable=False, unique=True
        ),
    )
    _event(
        "plan_event",
        "plan",
        sa.Column("status", sa.String),
        sa.Column("planned_on", sa.Date),
        sa.Column("returned", sa.Integer),
        sa.Column("reason", sa.String),
        sa.Column("note", sa.String),
        sa.Column("inspection", sa.String),
    )
    op.create_table(
        "problem",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprise.id"), nullable=False),
        sa.Column("ref", sa.String),
        sa.Column("raised_on", sa.Date, nullable=False),
        sa.Column("description_key", sa.String, nullable=False),
    )
    op.create_index("ix_problem_enterprise_id", "problem", ["enterprise_id"])
    op.create_index("ix_problem_ref", "problem", ["ref"])
    _event(
        "problem_event",
        "problem",
        sa.Column("category", sa.String),
        sa.Column("description", sa.String),
        sa.Column("department", sa.String),
        sa.Column("deadline", sa.Date),
        sa.Column("status", sa.String),
        sa.Column("resolution", sa.String),
        sa.Column("reason", sa.String),
    )
    op.create_table(
        "labour",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprise.id"), nullable=False),
        sa.Column("job_type", sa.String, nullable=False),
        sa.Column("raised_on", sa.Date, nullable=False),
    )
    op.create_index("ix_labour_enterprise_id", "labour", ["enterprise_id"])
    _event(
        "labour_event",
        "labour",
        sa.Column("needed", sa.Integer),
        sa.Column("filled", sa.Integer),
        sa.Column("requirements", sa.String),
        sa.Column("note", sa.String),
    )


def downgrade():
    for table in (
        "labour_event",
        "labour",
        "problem_event",
        "problem",
        "plan_event",
        "plan",
        "enterprise_event",
        "enterprise",
        "batch",
        "district",
    ):
        op.drop_table(table)
