"""indexes for the public display's two heaviest reads on PostgreSQL

The public display of a region read every month cell of ``pub_set`` through the primary
key (grain, dim, day, ...), once per place of the region; a partial index finds a
place's month cells directly (PostgreSQL only: SQLite uses no partial index for a query
that binds its values as parameters, and its plan is already fine). Counting the
actions done that answer a public input of the area scanned ``rollup_action_place`` and
``action`` whole; both lookups are now index-only, with indexes that replace narrower
ones, so writes keep the same number of indexes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PUB_MONTH = "grain = 'm' AND dim = 'pub_set'"


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_rollup_cell_pub_month', 'rollup_cell', ['locality_id'], unique=False,
                        postgresql_where=sa.text(PUB_MONTH))
    op.drop_index('ix_rollup_action_place_locality_id', table_name='rollup_action_place')
    op.create_index('ix_rollup_action_place_place', 'rollup_action_place',
                    ['locality_id', 'public', 'action_id'], unique=False)
    op.drop_index('ix_action_status', table_name='action')
    op.create_index('ix_action_status_closed', 'action', ['status', 'closed_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_action_status_closed', table_name='action')
    op.create_index('ix_action_status', 'action', ['status'], unique=False)
    op.drop_index('ix_rollup_action_place_place', table_name='rollup_action_place')
    op.create_index('ix_rollup_action_place_locality_id', 'rollup_action_place', ['locality_id'],
                    unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_rollup_cell_pub_month', table_name='rollup_cell')
