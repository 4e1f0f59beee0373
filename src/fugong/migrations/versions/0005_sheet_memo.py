"""The sheet memo: rows of a sheet that were found to restate the ledger.

A cache, not history: each row says "this sheet row (by the digest of its
parsed values), imported as of `on_date`, named this enterprise (and plan) and
said only what their history held; nothing was recorded of them after event
`enterprise_seen` / `plan_seen`, nor anything undone after batch `undo_seen`".
An import of the same sheet again passes such rows by after checking those
conditions (memo.py); everything else goes through the rules.  Dropping the
table's rows loses only speed.

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sheet_memo",
        sa.Column("layout", sa.String, primary_key=True),
        sa.Column("enterprise_id", sa.Integer, primary_key=True),
        sa.Column("digest", sa.LargeBinary, nullable=False),
        sa.Column("plan_id", sa.Integer),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("latest", sa.Date, nullable=False),
        sa.Column("enterprise_seen", sa.Integer, nullable=False),
        sa.Column("plan_seen", sa.Integer, nullable=False),
        sa.Column("undo_seen", sa.Integer, nullable=False),
    )
    op.create_index("ix_sheet_memo_digest", "sheet_memo", ["digest"])


def downgrade():
    op.drop_index("ix_sheet_memo_digest", table_name="sheet_memo")
    op.drop_table("sheet_memo")
