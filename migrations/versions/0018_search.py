"""full-text search index (FTS5 on SQLite, GIN on PostgreSQL), saved views and default views

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 18:00:00

"""
from alembic import op
import sqlalchemy as sa

from riskreg.search import index as search_index


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('saved_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('page', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('query', sa.String(length=2000), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_saved_views_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_views')),
    sa.UniqueConstraint('owner_id', 'page', 'name', name='uq_saved_views_owner_page_name')
    )
    with op.batch_alter_table('saved_views', schema=None) as batch_op:
        batch_op.create_index('ix_saved_views_page_shared', ['page', 'shared'], unique=False)

    op.create_table('default_views',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('page', sa.String(length=16), nullable=False),
    sa.Column('view_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_default_views_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['view_id'], ['saved_views.id'], name=op.f('fk_default_views_view_id_saved_views'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'page', name=op.f('pk_default_views'))
    )
    with op.batch_alter_table('default_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_default_views_view_id'), ['view_id'], unique=False)

    # The search index (riskreg/search/index.py), filled from the rows already there.
    dialect = op.get_bind().dialect.name
    for statement in search_index.create_statements(dialect, backfill=True):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in search_index.drop_statements(dialect):
        op.execute(statement)
    with op.batch_alter_table('default_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_default_views_view_id'))
    op.drop_table('default_views')
    with op.batch_alter_table('saved_views', schema=None) as batch_op:
        batch_op.drop_index('ix_saved_views_page_shared')
    op.drop_table('saved_views')
