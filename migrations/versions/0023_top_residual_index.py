"""ix_risks_residual_top: the dashboard's top ten read each chosen cell in id order

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 07:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_risks_residual_top',
        'risks',
        ['residual_likelihood', 'residual_impact', 'id', 'direction', 'status', 'site_id'],
        unique=False,
    )


def downgrade():
    op.drop_index('ix_risks_residual_top', table_name='risks')
