"""the dashboard's kept counts (risk_cell_counts, control_counts) and the triggers that keep them

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 17:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('risk_cell_counts',
    sa.Column('basis', sa.String(length=16), nullable=False),
    sa.Column('site_key', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('direction', sa.String(length=40), nullable=False),
    sa.Column('likelihood', sa.Integer(), nullable=False),
    sa.Column('impact', sa.Integer(), nullable=False),
    sa.Column('risk_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('basis', 'site_key', 'category', 'status', 'direction', 'likelihood', 'impact', name=op.f('pk_risk_cell_counts'))
    )
    op.create_table('control_counts',
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('due_key', sa.String(length=10), nullable=False),
    sa.Column('owner_key', sa.Integer(), nullable=False),
    sa.Column('control_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('department_id', 'status', 'due_key', 'owner_key', name=op.f('pk_control_counts'))
    )
    # The triggers and the first count, from the one home of their SQL (control_counts as it was
    # here: 0022 gives it its kinds of keys).
    from riskreg.dashboard import counts

    counts.install(op.get_bind(), (counts.RISK_CELLS, counts.CONTROLS_0019))


def downgrade():
    from riskreg.dashboard import counts

    bind = op.get_bind()
    for kept in (counts.RISK_CELLS, counts.CONTROLS_0019):
        for statement in kept.drop_ddl(bind.dialect.name):
            bind.exec_driver_sql(statement)
    op.drop_table('control_counts')
    op.drop_table('risk_cell_counts')
