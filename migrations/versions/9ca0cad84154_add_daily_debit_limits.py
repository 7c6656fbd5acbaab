"""Add daily debit limits

Revision ID: 9ca0cad84154
Revises: 19b9d6f8b7f1
Create Date: 2026-12-04 20:05:06.267065

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9ca0cad84154'
down_revision = '19b9d6f8b7f1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_daily_debit',
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_minor >= 0', name=op.f('ck_account_daily_debit_amount_not_negative')),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_account_daily_debit_account_id_account')),
    sa.PrimaryKeyConstraint('account_id', 'day', name=op.f('pk_account_daily_debit'))
    )
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('limit_day', sa.Date(), nullable=True))



def downgrade():
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.drop_column('limit_day')

    op.drop_table('account_daily_debit')
