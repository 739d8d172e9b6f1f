"""stakeholders and engagement plans carry a version (edits merge); plans can be retired

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 17:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stakeholders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('engagement_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('engagement_plans', schema=None) as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('active')
    with op.batch_alter_table('stakeholders', schema=None) as batch_op:
        batch_op.drop_column('version')
