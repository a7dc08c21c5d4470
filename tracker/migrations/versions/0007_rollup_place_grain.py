"""a place's rollup cells by grain: one locality's screen reads its month cells only

The locality index on ``rollup_cell`` was (locality_id, day): a dashboard or public
screen for one busy locality read all of its cells (every dimension, day and month
alike, 55,000 at a million inputs) to keep the 3,600 month cells it sums. With the grain
second, the month cells are found directly; refreshing a place's days (grain, place and
a day range) uses all three columns, as it used two before.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_rollup_cell_place', table_name='rollup_cell')
    op.create_index('ix_rollup_cell_place_grain', 'rollup_cell', ['locality_id', 'grain', 'day'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_rollup_cell_place_grain', table_name='rollup_cell')
    op.create_index('ix_rollup_cell_place', 'rollup_cell', ['locality_id', 'day'], unique=False)
