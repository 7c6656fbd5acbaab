"""Add purchase requery schedule

Revision ID: e2208bd22df2
Revises: 43055ac1cb68
Create Date: 2026-12-04 20:53:00.612679

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e2208bd22df2'
down_revision = '43055ac1cb68'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requery_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_purchase_status_next_check_at', ['status', 'next_check_at'], unique=False)



def downgrade():
    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.drop_index('ix_purchase_status_next_check_at')
        batch_op.drop_column('next_check_at')
        batch_op.drop_column('requery_count')

