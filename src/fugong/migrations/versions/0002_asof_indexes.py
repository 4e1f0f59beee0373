"""Indexes that serve the as-of queries: per record, events in (business date, id) order.

Revision ID: 0002
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_enterprise_event_asof": ("enterprise_event", ["enterprise_id", "business_date", "id"]),
    "ix_plan_event_asof": ("plan_event", ["plan_id", "business_date", "id"]),
    "ix_problem_event_asof": ("problem_event", ["problem_id", "business_date", "id"]),
    "ix_labour_event_asof": ("labour_event", ["labour_id", "business_date", "id"]),
    "ix_labour_enterprise_job": ("labour", ["enterprise_id", "job_type"]),
}


def upgrade():
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade():
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
