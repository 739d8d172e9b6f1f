"""sign-in throttles per account and source replace the per-user lockout

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_throttles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_key', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(), nullable=False),
    sa.Column('blocked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_throttles')),
    sa.UniqueConstraint('account_key', 'source', name='uq_sign_in_throttles_key_source')
    )
    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_throttles_last_failure_at'), ['last_failure_at'], unique=False)

    # A plain DROP COLUMN (SQLite 3.35+): recreating `users` would trip the foreign keys of every
    # table that refers to it once the database holds data.
    with op.batch_alter_table('users', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))

    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_throttles_last_failure_at'))

    op.drop_table('sign_in_throttles')
