"""Corrections as facts: a problem withdrawn (作废), an enterprise merged into another.

- problem_event.withdrawn: the problem was entered by mistake; it leaves every
  figure and list at every date (as known after the withdrawal).
- enterprise_event.merged_into: the enterprise was the same as another one,
  entered twice; from the merge on (as known), it is that one at every date.
  merge_plan says which plan's history goes on when both had one
  ("kept" = the one merged into, "merged" = this one's).

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("problem_event", sa.Column("withdrawn", sa.Boolean))
    op.add_column("enterprise_event", sa.Column("merged_into", sa.Integer))
    op.add_column("enterprise_event", sa.Column("merge_plan", sa.String))
    op.create_index("ix_enterprise_event_merged_into", "enterprise_event", ["merged_into"])
    # cache: the enterprise this one was merged into (its names and USCC find that one)
    op.add_column("enterprise", sa.Column("merged_into", sa.Integer))


def downgrade():
    with op.batch_alter_table("enterprise") as batch:
        batch.drop_column("merged_into")
    op.drop_index("ix_enterprise_event_merged_into", table_name="enterprise_event")
    with op.batch_alter_table("enterprise_event") as batch:
        batch.drop_column("merge_plan")
        batch.drop_column("merged_into")
    with op.batch_alter_table("problem_event") as batch:
        batch.drop_column("withdrawn")
