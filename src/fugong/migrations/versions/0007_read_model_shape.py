"""The read model says which shape of rows it holds.

`rm_state.shape` is the version of figures.section_rows' rows the model was made
with (readmodel.MODEL_SHAPE).  The rows of one history can change shape without
changing a figure (this revision: no segment starts where an enterprise's first
attribute value is dated, since that value holds before it too), and `check` would
then call rows of the older shape wrong.  A model of another shape is not read; it is
made again right after this upgrade (schema.upgrade_schema), or by the next batch.

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rm_state") as table:
        # 0: rows of before the column, which no fugong reads any more; the catch-up
        # that follows every upgrade makes them again (readmodel.catch_up)
        table.add_column(sa.Column("shape", sa.Integer, nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("rm_state") as table:
        table.drop_column("shape")
