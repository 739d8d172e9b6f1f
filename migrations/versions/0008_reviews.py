"""reviews of every risk: the scores at the time of a review; review reminders per owner per day

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 13:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('risk_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inherent_score', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('residual_score', sa.Integer(), nullable=True))

    op.create_table('review_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('risk_count', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_reminders_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_reminders')),
    sa.UniqueConstraint('user_id', 'sent_on', name='uq_review_reminders_user_day')
    )


def downgrade():
    op.drop_table('review_reminders')
    with op.batch_alter_table('risk_reviews', schema=None) as batch_op:
        batch_op.drop_column('residual_score')
        batch_op.drop_column('inherent_score')
