"""where each account signs in (local, OpenID Connect, LDAP), its two-factor secret, recovery codes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # ADD COLUMN in place (recreate='never'): recreating `users` would trip the foreign keys of every
    # table that refers to it once the database holds data (as in 0004).
    # SQLite's ALTER cannot add a CHECK on its own, but ADD COLUMN may carry one.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("ALTER TABLE users ADD COLUMN source VARCHAR(13) DEFAULT 'local' NOT NULL "
                   "CONSTRAINT ck_users_signinsource CHECK (source IN ('local', 'oidc', 'ldap'))")
    else:
        op.add_column('users', sa.Column('source', sa.String(length=13), server_default='local', nullable=False))
        op.create_check_constraint(op.f('ck_users_signinsource'), 'users', "source IN ('local', 'oidc', 'ldap')")
    with op.batch_alter_table('users', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch_op.create_index('ix_users_source_external_id', ['source', 'external_id'], unique=True)

    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes'))
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))
    op.drop_table('recovery_codes')

    with op.batch_alter_table('users', schema=None, recreate='never') as batch_op:
        batch_op.drop_index('ix_users_source_external_id')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('external_id')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('ck_users_signinsource'), 'users', type_='check')
    op.drop_column('users', 'source')
