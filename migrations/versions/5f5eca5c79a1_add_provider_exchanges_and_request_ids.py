"""Add provider exchanges and request ids

Revision ID: 5f5eca5c79a1
Revises: e2208bd22df2
Create Date: 2026-12-04 21:06:16.320361

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5f5eca5c79a1'
down_revision = 'e2208bd22df2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('provider_exchange',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('purchase_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('operation', sa.String(length=16), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.String(length=255), nullable=False),
    sa.Column('exchange', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['purchase_id'], ['purchase.id'], name=op.f('fk_provider_exchange_purchase_id_purchase')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_exchange'))
    )
    with op.batch_alter_table('provider_exchange', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_exchange_purchase_id'), ['purchase_id'], unique=False)

    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_request_id', sa.String(length=64), nullable=True))



def downgrade():
    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.drop_column('provider_request_id')

    with op.batch_alter_table('provider_exchange', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_exchange_purchase_id'))

    op.drop_table('provider_exchange')
