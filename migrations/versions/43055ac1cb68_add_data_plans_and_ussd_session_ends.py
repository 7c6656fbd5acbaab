"""Add data plans and USSD session ends

Revision ID: 43055ac1cb68
Revises: 9eb0fb716282
Create Date: 2026-12-04 20:32:02.956513

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '43055ac1cb68'
down_revision = '9eb0fb716282'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_plan',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('network', sa.String(length=16), nullable=False),
    sa.Column('category', sa.Enum('daily', 'weekly', 'monthly', name='plancategory', native_enum=False, length=32), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('size_mb', sa.Integer(), nullable=False),
    sa.Column('validity_days', sa.Integer(), nullable=False),
    sa.Column('price_minor', sa.BigInteger(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('price_minor > 0', name=op.f('ck_data_plan_price_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_plan')),
    sa.UniqueConstraint('network', 'code', name='uq_data_plan_network_code')
    )
    with op.batch_alter_table('data_plan', schema=None) as batch_op:
        batch_op.create_index('ix_data_plan_network_category', ['network', 'category', 'price_minor'], unique=False)

    op.create_table('ussd_session_end',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('gateway', sa.String(length=32), nullable=False),
    sa.Column('session_id', sa.String(length=128), nullable=False),
    sa.Column('phone_number', sa.String(length=16), nullable=True),
    sa.Column('network_code', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('hops_count', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.BigInteger(), nullable=True),
    sa.Column('cost', sa.String(length=32), nullable=True),
    sa.Column('error_message', sa.String(length=255), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ussd_session_end')),
    sa.UniqueConstraint('gateway', 'session_id', name='uq_ussd_session_end_gateway_session_id')
    )
    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.add_column(sa.Column('product_code', sa.String(length=32), nullable=True))



def downgrade():
    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.drop_column('product_code')

    op.drop_table('ussd_session_end')
    with op.batch_alter_table('data_plan', schema=None) as batch_op:
        batch_op.drop_index('ix_data_plan_network_category')

    op.drop_table('data_plan')
