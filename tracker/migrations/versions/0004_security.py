"""sign-in sessions, lock-out, shared restricted inputs, encrypted contacts, audit hash chain

Sessions live server-side so sign-out and expiry really end them; restricted inputs
can be shared with named users; a protected source's contact details sit encrypted in
a table of their own, which purging empties without touching any figure. Existing
audit events are chained here, in id order, and from now on the database refuses to
change or delete any of them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracker.sqltypes import UTCDateTime

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = "audit events are append-only: they cannot be changed or deleted"


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_signins', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('locked_until', UTCDateTime(), nullable=True))
    op.create_table(
        'user_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', UTCDateTime(), nullable=False),
        sa.Column('ended_at', UTCDateTime(), nullable=True),
        sa.Column('end_reason', sa.String(length=20), nullable=True),
        sa.Column('method', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'],
                                name=op.f('fk_user_session_user_id_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash')),
    )
    op.create_index(op.f('ix_user_session_user_id'), 'user_session', ['user_id'])
    op.create_table(
        'input_share',
        sa.Column('input_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('shared_by_id', sa.Integer(), nullable=False),
        sa.Column('shared_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['input_id'], ['input.id'],
                                name=op.f('fk_input_share_input_id_input')),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'],
                                name=op.f('fk_input_share_user_id_app_user')),
        sa.ForeignKeyConstraint(['shared_by_id'], ['app_user.id'],
                                name=op.f('fk_input_share_shared_by_id_app_user')),
        sa.PrimaryKeyConstraint('input_id', 'user_id', name=op.f('pk_input_share')),
    )
    op.create_index(op.f('ix_input_share_user_id'), 'input_share', ['user_id'])
    op.create_table(
        'source_contact',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=36), nullable=False),
        sa.Column('input_id', sa.Integer(), nullable=False),
        sa.Column('ciphertext', sa.Text(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['input_id'], ['input.id'],
                                name=op.f('fk_source_contact_input_id_input')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['app_user.id'],
                                name=op.f('fk_source_contact_recorded_by_id_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_source_contact')),
        sa.UniqueConstraint('input_id', name=op.f('uq_source_contact_input_id')),
    )
    op.create_index(op.f('ix_source_contact_uid'), 'source_contact', ['uid'], unique=True)
    op.create_index(op.f('ix_source_contact_recorded_at'), 'source_contact', ['recorded_at'])
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    _chain_existing_events()
    _refuse_changes()


def _chain_existing_events() -> None:
    from tracker.audit import digest

    bind = op.get_bind()
    events = sa.Table('audit_event', sa.MetaData(), autoload_with=bind)
    rows = [dict(r._mapping) for r in bind.execute(sa.select(events).order_by(events.c.id))]
    prev = None
    for values in rows:
        values['prev_hash'] = prev
        values['at'] = UTCDateTime().process_result_value(values['at'], bind.dialect)
        prev = digest(values)
        bind.execute(events.update().where(events.c.id == values['id'])
                     .values(hash=prev, prev_hash=values['prev_hash']))


def _refuse_changes() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        op.execute("CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
                   "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()")
        op.execute("CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()")
        return
    for verb in ('UPDATE', 'DELETE'):
        op.execute(f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                   f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER audit_event_no_change ON audit_event")
        op.execute("DROP FUNCTION audit_event_append_only()")
    else:
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("DROP TRIGGER audit_event_no_delete")
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
    op.drop_table('source_contact')
    op.drop_table('input_share')
    op.drop_table('user_session')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_signins')
