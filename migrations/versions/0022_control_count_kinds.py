"""control_counts by kind of key (all, owner, year, month, day)

The departments table then reads a few index ranges instead of a row per department, status, due
date and owner. The table only holds counts: it is dropped and rebuilt from the controls.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def _replace(old, new, columns, key):
    """Drop the old triggers and table, make the new table, then its triggers and its first count."""
    bind = op.get_bind()
    for statement in old.drop_ddl(bind.dialect.name):
        bind.exec_driver_sql(statement)
    op.drop_table('control_counts')
    op.create_table(
        'control_counts',
        *columns,
        sa.Column('control_count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*key, name=op.f('pk_control_counts')),
    )
    new.install(bind)


def upgrade():
    from riskreg.dashboard import counts

    _replace(
        counts.CONTROLS_0019,
        counts.CONTROLS,
        [
            sa.Column('kind', sa.String(length=8), nullable=False),
            sa.Column('due_key', sa.String(length=10), nullable=False),
            sa.Column('owner_key', sa.Integer(), nullable=False),
            sa.Column('department_id', sa.Integer(), nullable=False),
            sa.Column('status', sa.String(length=24), nullable=False),
        ],
        ('kind', 'due_key', 'owner_key', 'department_id', 'status'),
    )


def downgrade():
    from riskreg.dashboard import counts

    _replace(
        counts.CONTROLS,
        counts.CONTROLS_0019,
        [
            sa.Column('department_id', sa.Integer(), nullable=False),
            sa.Column('status', sa.String(length=24), nullable=False),
            sa.Column('due_key', sa.String(length=10), nullable=False),
            sa.Column('owner_key', sa.Integer(), nullable=False),
        ],
        ('department_id', 'status', 'due_key', 'owner_key'),
    )
