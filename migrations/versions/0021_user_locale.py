"""a user's own language (riskreg.i18n)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))


def downgrade():
    # Natively (SQLite 3.35+): a rebuilt users table would rewrite the CHECK constraint that
    # 0013's downgrade relies on.
    with op.batch_alter_table('users', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('locale')
