"""control indexes for the dashboard's tally (with the owner), awaiting verification, my overdue controls and the critical ones

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('controls', schema=None, recreate='never') as batch_op:
        batch_op.drop_index('ix_controls_department_status_due')
        batch_op.create_index('ix_controls_department_status_due', ['department_id', 'status', 'due_date', 'owner_id'], unique=False)
        batch_op.create_index('ix_controls_status_closed', ['status', 'closed_at'], unique=False)
        batch_op.create_index('ix_controls_owner_status_due', ['owner_id', 'status', 'due_date'], unique=False)
        batch_op.create_index('ix_controls_critical_ref', ['critical', 'ref'], unique=False)


def downgrade():
    with op.batch_alter_table('controls', schema=None, recreate='never') as batch_op:
        batch_op.drop_index('ix_controls_critical_ref')
        batch_op.drop_index('ix_controls_owner_status_due')
        batch_op.drop_index('ix_controls_status_closed')
        batch_op.drop_index('ix_controls_department_status_due')
        batch_op.create_index('ix_controls_department_status_due', ['department_id', 'status', 'due_date'], unique=False)
