"""dashboard: covering indexes for the heatmap and review aggregations

Revision ID: 0002_dashboard
Revises: 0001
Create Date: 2026-11-27 04:40:46.410678

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_dashboard'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # The dashboard's GROUP BYs read these instead of the table (riskreg/dashboard/models.py).
    with op.batch_alter_table('risks', schema=None) as batch_op:
        batch_op.create_index('ix_risks_inherent_grid', ['inherent_likelihood', 'inherent_impact', 'direction', 'status', 'site_id'], unique=False)
        batch_op.create_index('ix_risks_residual_grid', ['residual_likelihood', 'residual_impact', 'direction', 'status', 'site_id'], unique=False)
        batch_op.create_index('ix_risks_status_review', ['status', 'next_review_date', 'site_id', 'direction'], unique=False)


def downgrade():
    with op.batch_alter_table('risks', schema=None) as batch_op:
        batch_op.drop_index('ix_risks_status_review')
        batch_op.drop_index('ix_risks_residual_grid')
        batch_op.drop_index('ix_risks_inherent_grid')
