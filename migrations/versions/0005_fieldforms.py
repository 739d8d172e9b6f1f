"""field data: the submission an observation was imported from

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('asm_observations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_id', sa.String(length=120), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_asm_observations_submission_id'), ['submission_id'])


def downgrade():
    with op.batch_alter_table('asm_observations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_asm_observations_submission_id'), type_='unique')
        batch_op.drop_column('submission_id')
