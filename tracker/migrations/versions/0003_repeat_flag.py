"""repeats_open_ask: a stored, always-refreshed flag for repeated asks

Computing repeated asks by a self-join on every dashboard view does not scale to a
million inputs; the flag is kept current by tracker.repeats in the transaction of
every write that can change it. Existing rows are computed here.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('input', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repeats_open_ask', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    from tracker.repeats import refresh_repeat_flags

    refresh_repeat_flags(Session(bind=op.get_bind()))


def downgrade() -> None:
    with op.batch_alter_table('input', schema=None) as batch_op:
        batch_op.drop_column('repeats_open_ask')
