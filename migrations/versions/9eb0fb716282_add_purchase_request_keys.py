"""Add purchase request keys

Revision ID: 9eb0fb716282
Revises: 9ca0cad84154
Create Date: 2026-12-04 20:15:09.423947

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9eb0fb716282'
down_revision = '9ca0cad84154'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_key', sa.String(length=160), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_purchase_request_key'), ['request_key'])



def downgrade():
    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_purchase_request_key'), type_='unique')
        batch_op.drop_column('request_key')

