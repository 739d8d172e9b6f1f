"""risk_cover and appetite_counts: the dashboard's "Above appetite" from kept counts

risk_cover holds the risks with a treatment plan or an active acceptance, kept by triggers on the
control links, the controls' status and the acceptances; appetite_counts counts the risks per
category, status, direction, residual band rank and coverage, kept by triggers on risks and
risk_cover. Both only hold what is derived from other tables: they are built from them here.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    from riskreg.dashboard import counts

    op.create_table(
        'risk_cover',
        sa.Column('risk_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint('risk_id', name=op.f('pk_risk_cover')),
    )
    op.create_table(
        'appetite_counts',
        sa.Column('category', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=24), nullable=False),
        sa.Column('direction', sa.String(length=40), nullable=False),
        sa.Column('band_rank', sa.SmallInteger(), nullable=False),
        sa.Column('covered', sa.SmallInteger(), nullable=False),
        sa.Column('risk_count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            'category', 'status', 'direction', 'band_rank', 'covered', name=op.f('pk_appetite_counts')
        ),
    )
    counts.install(op.get_bind(), [counts.APPETITE])


def downgrade():
    from riskreg.appetite import cover
    from riskreg.dashboard import counts

    bind = op.get_bind()
    for statement in counts.APPETITE.drop_ddl(bind.dialect.name) + cover.drop_ddl(bind.dialect):
        bind.exec_driver_sql(statement)
    op.drop_table('appetite_counts')
    op.drop_table('risk_cover')
