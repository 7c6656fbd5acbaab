"""Create ledger, customers, purchases, outbox and outbound messages

Revision ID: 19b9d6f8b7f1
Revises: 
Create Date: 2026-12-04 19:59:14.472114

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '19b9d6f8b7f1'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.Enum('customer_wallet', 'agent_float', 'provider_clearing', 'funding_clearing', 'commission_expense', 'revenue', 'manual_adjustments', name='accountkind', native_enum=False, length=32), nullable=False),
    sa.Column('ledger', sa.String(length=3), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('debits_must_not_exceed_credits', sa.Boolean(), nullable=False),
    sa.Column('debits_pending', sa.BigInteger(), nullable=False),
    sa.Column('debits_posted', sa.BigInteger(), nullable=False),
    sa.Column('credits_pending', sa.BigInteger(), nullable=False),
    sa.Column('credits_posted', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('NOT debits_must_not_exceed_credits OR debits_pending + debits_posted <= credits_posted', name=op.f('ck_account_debits_within_credits')),
    sa.CheckConstraint('debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0 AND credits_posted >= 0', name=op.f('ck_account_balances_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
    sa.UniqueConstraint('kind', 'ledger', 'owner', name='uq_account_kind_ledger_owner')
    )
    op.create_table('customer',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('phone_number', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('pin_salt', sa.LargeBinary(length=16), nullable=True),
    sa.Column('pin_hash', sa.LargeBinary(length=32), nullable=True),
    sa.Column('failed_pin_attempts', sa.Integer(), nullable=False),
    sa.Column('pin_locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer')),
    sa.UniqueConstraint('phone_number', name=op.f('uq_customer_phone_number'))
    )
    op.create_table('outbox_entry',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('job', sa.String(length=64), nullable=False),
    sa.Column('subject_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('enqueued_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_entry'))
    )
    with op.batch_alter_table('outbox_entry', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_entry_unsent', ['enqueued_at', 'id'], unique=False)

    op.create_table('transfer',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.Enum('single_phase', 'pending', 'post_pending', 'void_pending', name='transferkind', native_enum=False, length=32), nullable=False),
    sa.Column('debit_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('credit_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('ledger', sa.String(length=3), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('pending_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reference', sa.String(length=64), nullable=True),
    sa.Column('memo', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_minor >= 0', name=op.f('ck_transfer_amount_not_negative')),
    sa.CheckConstraint('debit_account_id <> credit_account_id', name=op.f('ck_transfer_accounts_differ')),
    sa.ForeignKeyConstraint(['credit_account_id'], ['account.id'], name=op.f('fk_transfer_credit_account_id_account')),
    sa.ForeignKeyConstraint(['debit_account_id'], ['account.id'], name=op.f('fk_transfer_debit_account_id_account')),
    sa.ForeignKeyConstraint(['pending_id'], ['transfer.id'], name=op.f('fk_transfer_pending_id_transfer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_transfer_idempotency_key')),
    sa.UniqueConstraint('pending_id', name=op.f('uq_transfer_pending_id'))
    )
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.create_index('ix_transfer_credit_account_id', ['credit_account_id', 'id'], unique=False)
        batch_op.create_index('ix_transfer_debit_account_id', ['debit_account_id', 'id'], unique=False)

    op.create_table('purchase',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('product_kind', sa.Enum('airtime', 'data', name='productkind', native_enum=False, length=32), nullable=False),
    sa.Column('network', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.String(length=16), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('ledger', sa.String(length=3), nullable=False),
    sa.Column('status', sa.Enum('placed', 'submitting', 'succeeded', 'failed', 'unknown', 'needs_review', name='purchasestatus', native_enum=False, length=32), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=True),
    sa.Column('hold_transfer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_purchase_customer_id_customer')),
    sa.ForeignKeyConstraint(['hold_transfer_id'], ['transfer.id'], name=op.f('fk_purchase_hold_transfer_id_transfer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase')),
    sa.UniqueConstraint('reference', name=op.f('uq_purchase_reference'))
    )
    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_purchase_status_updated_at', ['status', 'updated_at'], unique=False)

    op.create_table('outbound_message',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('phone_number', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'delivered', 'failed', name='messagestatus', native_enum=False, length=32), nullable=False),
    sa.Column('backend', sa.String(length=32), nullable=True),
    sa.Column('external_id', sa.String(length=64), nullable=True),
    sa.Column('error', sa.String(length=255), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('purchase_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['purchase_id'], ['purchase.id'], name=op.f('fk_outbound_message_purchase_id_purchase')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_message'))
    )
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbound_message_phone_number', ['phone_number', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_message_purchase_id'), ['purchase_id'], unique=False)



def downgrade():
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbound_message_purchase_id'))
        batch_op.drop_index('ix_outbound_message_phone_number')

    op.drop_table('outbound_message')
    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.drop_index('ix_purchase_status_updated_at')
        batch_op.drop_index(batch_op.f('ix_purchase_customer_id'))

    op.drop_table('purchase')
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.drop_index('ix_transfer_debit_account_id')
        batch_op.drop_index('ix_transfer_credit_account_id')

    op.drop_table('transfer')
    with op.batch_alter_table('outbox_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_entry_unsent')

    op.drop_table('outbox_entry')
    op.drop_table('customer')
    op.drop_table('account')
