"""rollup_cell, rollup_action_place: summary tables the dashboards read instead of the inputs

At a million inputs every leadership figure computed from the input table costs a
full scan; the rollups (tracker.rollups) hold counts per place, day (and month) and
dimension, kept current in the transaction of every write. Existing rows are summed here.
ix_input_open_age lists the oldest open inputs without sorting every open one, and
ix_input_open_due now covers what the overdue figures read of the open inputs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from tracker.sqltypes import UTCDateTime

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEASURES = ('inputs', 'closed', 'open_inputs', 'with_report_back', 'participants', 'female',
            'youth', 'src_women', 'src_youth', 'src_displaced', 'src_minority', 'repeats')

# What tracker.rollups.read.pending reads of the open inputs not yet due, without the rows.
OPEN_DUE_COVERS = ['locality_id', 'received_at', 'channel_code', 'component_code', 'section_code']


def upgrade() -> None:
    op.create_table(
        'rollup_cell',
        sa.Column('grain', sa.String(length=1), nullable=False),
        sa.Column('dim', sa.String(length=16), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('locality_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=200), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in MEASURES),
        sa.Column('oldest_open', UTCDateTime(), nullable=True),
        sa.Column('counts', sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint('grain', 'dim', 'day', 'locality_id', 'code',
                                name=op.f('pk_rollup_cell')),
    )
    op.create_index('ix_rollup_cell_place', 'rollup_cell', ['locality_id', 'day'], unique=False)
    op.create_table(
        'rollup_action_place',
        sa.Column('action_id', sa.Integer(), nullable=False),
        sa.Column('locality_id', sa.Integer(), nullable=False),
        sa.Column('public', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('action_id', 'locality_id', 'public',
                                name=op.f('pk_rollup_action_place')),
    )
    op.create_index(op.f('ix_rollup_action_place_locality_id'), 'rollup_action_place',
                    ['locality_id'], unique=False)
    with op.batch_alter_table('input', schema=None) as batch_op:
        batch_op.create_index('ix_input_open_age', ['closed_at', 'received_at'], unique=False)
        batch_op.drop_index('ix_input_open_due')
        batch_op.create_index('ix_input_open_due', ['closed_at', 'respond_by', *OPEN_DUE_COVERS],
                              unique=False)
    from tracker.rollups.build import rebuild

    rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    with op.batch_alter_table('input', schema=None) as batch_op:
        batch_op.drop_index('ix_input_open_age')
        batch_op.drop_index('ix_input_open_due')
        batch_op.create_index('ix_input_open_due', ['closed_at', 'respond_by'], unique=False)
    op.drop_index(op.f('ix_rollup_action_place_locality_id'), table_name='rollup_action_place')
    op.drop_table('rollup_action_place')
    op.drop_index('ix_rollup_cell_place', table_name='rollup_cell')
    op.drop_table('rollup_cell')
