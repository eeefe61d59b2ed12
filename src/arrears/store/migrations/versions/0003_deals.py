"""The deals area: deal rules, promises, payment plans, settlements, disputes, write-offs, fees,
bank statements and their lines, bank matches and the unmatched queue; the `broken_promise` flag.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Written out in full, every constraint and index named (see 0001). A store test checks that the
migrations and the models describe the same schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = (
    "bank_statements",
    "deal_rules",
    "bank_transactions",
    "payment_plans",
    "promises",
    "settlements",
    "bank_matches",
    "bank_unmatched",
    "disputes",
    "fees",
    "plan_documents",
    "plan_instalments",
    "promise_documents",
    "settlement_documents",
    "write_offs",
)
"""Created in this order (parents first); dropped in the reverse order."""


def upgrade() -> None:
    op.create_table(
        "bank_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("statement_key", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("statement_ref", sa.Text(), nullable=True),
        sa.Column("opening_minor", sa.BigInteger(), nullable=True),
        sa.Column("closing_minor", sa.BigInteger(), nullable=True),
        sa.Column("from_date", sa.Date(), nullable=True),
        sa.Column("to_date", sa.Date(), nullable=True),
        sa.Column("bank", sa.Text(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "format IN ('camt.053', 'camt.054', 'mt940', 'ofx', 'csv')",
            name=op.f("ck_bank_statements_format"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_bank_statements_creditor_id_creditors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_statements")),
        sa.UniqueConstraint("creditor_id", "id", name=op.f("uq_bank_statements_creditor_id_id")),
        sa.UniqueConstraint(
            "creditor_id", "statement_key", name=op.f("uq_bank_statements_creditor_id_statement_key")
        ),
    )
    op.create_table(
        "deal_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_deal_rules_version_positive")),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_deal_rules_creditor_id_creditors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_rules")),
        sa.UniqueConstraint("creditor_id", "version", name=op.f("uq_deal_rules_creditor_id_version")),
    )
    op.create_table(
        "bank_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("booking_date", sa.Date(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("narration", sa.Text(), nullable=False),
        sa.Column("counterparty_name", sa.Text(), nullable=True),
        sa.Column("counterparty_account", sa.Text(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("end_to_end_id", sa.Text(), nullable=True),
        sa.Column("bank_reference", sa.Text(), nullable=True),
        sa.Column("transaction_code", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.CheckConstraint(
            "state IN ('matched', 'unmatched', 'ignored', 'debit')", name=op.f("ck_bank_transactions_state")
        ),
        sa.CheckConstraint("amount_minor <> 0", name=op.f("ck_bank_transactions_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["creditor_id", "statement_id"],
            ["bank_statements.creditor_id", "bank_statements.id"],
            name=op.f("fk_bank_transactions_creditor_id_statement_id_bank_statements"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_bank_transactions_creditor_id_creditors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_transactions")),
        sa.UniqueConstraint(
            "creditor_id", "fingerprint", name=op.f("uq_bank_transactions_creditor_id_fingerprint")
        ),
        sa.UniqueConstraint("creditor_id", "id", name=op.f("uq_bank_transactions_creditor_id_id")),
    )
    op.create_index(
        op.f("ix_bank_transactions_creditor_id_counterparty_account"),
        "bank_transactions",
        ["creditor_id", "counterparty_account"],
    )
    op.create_index(
        op.f("ix_bank_transactions_creditor_id_state"), "bank_transactions", ["creditor_id", "state"]
    )
    op.create_table(
        "payment_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("frequency", sa.String(length=12), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("first_due_on", sa.Date(), nullable=False),
        sa.Column("last_due_on", sa.Date(), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("reminder_days_before", sa.Integer(), nullable=False),
        sa.Column("interest_frozen", sa.Boolean(), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("state_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "frequency IN ('weekly', 'fortnightly', 'monthly')", name=op.f("ck_payment_plans_frequency")
        ),
        sa.CheckConstraint(
            "state IN ('awaiting_approval', 'good_standing', 'instalment_due', 'missed', 'defaulted', 'completed', 'rejected')",
            name=op.f("ck_payment_plans_state"),
        ),
        sa.CheckConstraint(
            "first_due_on >= agreed_on AND last_due_on >= first_due_on",
            name=op.f("ck_payment_plans_dates_in_order"),
        ),
        sa.CheckConstraint(
            "grace_days >= 0 AND reminder_days_before >= 0", name=op.f("ck_payment_plans_days_not_negative")
        ),
        sa.CheckConstraint("total_minor > 0", name=op.f("ck_payment_plans_total_positive")),
        sa.ForeignKeyConstraint(
            ["creditor_id", "debtor_id"],
            ["debtors.creditor_id", "debtors.id"],
            name=op.f("fk_payment_plans_creditor_id_debtor_id_debtors"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_payment_plans_creditor_id_creditors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_plans")),
        sa.UniqueConstraint("creditor_id", "id", name=op.f("uq_payment_plans_creditor_id_id")),
        sa.UniqueConstraint("creditor_id", "reference", name=op.f("uq_payment_plans_creditor_id_reference")),
    )
    op.create_index(
        op.f("ix_payment_plans_creditor_id_debtor_id"), "payment_plans", ["creditor_id", "debtor_id"]
    )
    op.create_table(
        "promises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("promised_on", sa.Date(), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("taken_by", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("state_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("channel IN ('call', 'email', 'portal')", name=op.f("ck_promises_channel")),
        sa.CheckConstraint(
            "state IN ('pending', 'kept', 'broken', 'cancelled')", name=op.f("ck_promises_state")
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_promises_amount_positive")),
        sa.CheckConstraint("grace_days >= 0", name=op.f("ck_promises_grace_not_negative")),
        sa.CheckConstraint("promised_on >= made_on", name=op.f("ck_promises_promised_not_before_made")),
        sa.ForeignKeyConstraint(
            ["creditor_id", "debtor_id"],
            ["debtors.creditor_id", "debtors.id"],
            name=op.f("fk_promises_creditor_id_debtor_id_debtors"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_promises_creditor_id_creditors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promises")),
        sa.UniqueConstraint("creditor_id", "id", name=op.f("uq_promises_creditor_id_id")),
        sa.UniqueConstraint("creditor_id", "reference", name=op.f("uq_promises_creditor_id_reference")),
    )
    op.create_index(op.f("ix_promises_creditor_id_deadline"), "promises", ["creditor_id", "deadline"])
    op.create_index(op.f("ix_promises_creditor_id_debtor_id"), "promises", ["creditor_id", "debtor_id"])
    op.create_table(
        "settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("pay_by", sa.Date(), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("state_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('awaiting_approval', 'pending', 'paid', 'lapsed', 'rejected')",
            name=op.f("ck_settlements_state"),
        ),
        sa.CheckConstraint(
            "amount_minor > 0 AND amount_minor <= balance_minor",
            name=op.f("ck_settlements_amount_within_balance"),
        ),
        sa.CheckConstraint("grace_days >= 0", name=op.f("ck_settlements_grace_not_negative")),
        sa.CheckConstraint("pay_by >= agreed_on", name=op.f("ck_settlements_pay_by_not_before_agreed")),
        sa.ForeignKeyConstraint(
            ["creditor_id", "debtor_id"],
            ["debtors.creditor_id", "debtors.id"],
            name=op.f("fk_settlements_creditor_id_debtor_id_debtors"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_settlements_creditor_id_creditors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
        sa.UniqueConstraint("creditor_id", "id", name=op.f("uq_settlements_creditor_id_id")),
        sa.UniqueConstraint("creditor_id", "reference", name=op.f("uq_settlements_creditor_id_reference")),
    )
    op.create_index(op.f("ix_settlements_creditor_id_debtor_id"), "settlements", ["creditor_id", "debtor_id"])
    op.create_table(
        "bank_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("matched_by", sa.String(length=100), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "confidence >= 0 AND confidence <= 100", name=op.f("ck_bank_matches_confidence_range")
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id", "debtor_id"],
            ["debtors.creditor_id", "debtors.id"],
            name=op.f("fk_bank_matches_creditor_id_debtor_id_debtors"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id", "payment_id"],
            ["payments.creditor_id", "payments.id"],
            name=op.f("fk_bank_matches_creditor_id_payment_id_payments"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id", "transaction_id"],
            ["bank_transactions.creditor_id", "bank_transactions.id"],
            name=op.f("fk_bank_matches_creditor_id_transaction_id_bank_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_bank_matches_creditor_id_creditors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_matches")),
        sa.UniqueConstraint(
            "creditor_id", "transaction_id", name=op.f("uq_bank_matches_creditor_id_transaction_id")
        ),
    )
    op.create_index(
        op.f("ix_bank_matches_creditor_id_debtor_id"), "bank_matches", ["creditor_id", "debtor_id"]
    )
    op.create_table(
        "bank_unmatched",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("best_debtor_id", sa.Integer(), nullable=True),
        sa.Column("best_confidence", sa.Integer(), nullable=False),
        sa.Column("suggestions", sa.Text(), nullable=False),
        sa.Column("resolution", sa.String(length=10), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "resolution IS NULL OR resolution IN ('matched', 'ignored')",
            name=op.f("ck_bank_unmatched_resolution"),
        ),
        sa.CheckConstraint(
            "best_confidence >= 0 AND best_confidence <= 100", name=op.f("ck_bank_unmatched_confidence_range")
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id", "best_debtor_id"],
            ["debtors.creditor_id", "debtors.id"],
            name=op.f("fk_bank_unmatched_creditor_id_best_debtor_id_debtors"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id", "transaction_id"],
            ["bank_transactions.creditor_id", "bank_transactions.id"],
            name=op.f("fk_bank_unmatched_creditor_id_transaction_id_bank_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_bank_unmatched_creditor_id_creditors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_unmatched")),
        sa.UniqueConstraint(
            "creditor_id", "transaction_id", name=op.f("uq_bank_unmatched_creditor_id_transaction_id")
        ),
    )
    op.create_index(
        op.f("ix_bank_unmatched_creditor_id_resolution"), "bank_unmatched", ["creditor_id", "resolution"]
    )
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("disputed_minor", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("raised_by", sa.String(length=100), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("resolver", sa.String(length=12), nullable=True),
        sa.Column("credit_minor", sa.BigInteger(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("credit_note_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('credit_note', 'rejected', 'partially_upheld')",
            name=op.f("ck_disputes_outcome"),
        ),
        sa.CheckConstraint(
            "reason IN ('goods_not_received', 'wrong_price', 'quality', 'already_paid', 'not_ordered', 'other')",
            name=op.f("ck_disputes_reason"),
        ),
        sa.CheckConstraint(
            "resolver IS NULL OR resolver IN ('creditor', 'controller')", name=op.f("ck_disputes_resolver")
        ),
        sa.CheckConstraint(
            "(outcome IS NULL) = (decided_on IS NULL)", name=op.f("ck_disputes_decided_with_outcome")
        ),
        sa.CheckConstraint("disputed_minor > 0", name=op.f("ck_disputes_disputed_positive")),
        sa.ForeignKeyConstraint(
            ["creditor_id", "credit_note_id"],
            ["documents.creditor_id", "documents.id"],
            name=op.f("fk_disputes_creditor_id_credit_note_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id", "debtor_id"],
            ["debtors.creditor_id", "debtors.id"],
            name=op.f("fk_disputes_creditor_id_debtor_id_debtors"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id", "document_id"],
            ["documents.creditor_id", "documents.id"],
            name=op.f("fk_disputes_creditor_id_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_disputes_creditor_id_creditors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
        sa.UniqueConstraint("creditor_id", "id", name=op.f("uq_disputes_creditor_id_id")),
        sa.UniqueConstraint("creditor_id", "reference", name=op.f("uq_disputes_creditor_id_reference")),
    )
    op.create_index(op.f("ix_disputes_creditor_id_debtor_id"), "disputes", ["creditor_id", "debtor_id"])
    op.create_index(op.f("ix_disputes_creditor_id_document_id"), "disputes", ["creditor_id", "document_id"])
    op.create_table(
        "fees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("charged_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "kind IN ('returned_payment', 'administration', 'other')", name=op.f("ck_fees_kind")
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_fees_amount_positive")),
        sa.ForeignKeyConstraint(
            ["creditor_id", "debtor_id"],
            ["debtors.creditor_id", "debtors.id"],
            name=op.f("fk_fees_creditor_id_debtor_id_debtors"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id", "document_id"],
            ["documents.creditor_id", "documents.id"],
            name=op.f("fk_fees_creditor_id_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_fees_creditor_id_creditors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fees")),
        sa.UniqueConstraint("creditor_id", "reference", name=op.f("uq_fees_creditor_id_reference")),
    )
    op.create_table(
        "plan_documents",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creditor_id", "document_id"],
            ["documents.creditor_id", "documents.id"],
            name=op.f("fk_plan_documents_creditor_id_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id", "plan_id"],
            ["payment_plans.creditor_id", "payment_plans.id"],
            name=op.f("fk_plan_documents_creditor_id_plan_id_payment_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_plan_documents_creditor_id_creditors")
        ),
        sa.PrimaryKeyConstraint("plan_id", "document_id", name=op.f("pk_plan_documents")),
    )
    op.create_index(
        op.f("ix_plan_documents_creditor_id_document_id"), "plan_documents", ["creditor_id", "document_id"]
    )
    op.create_table(
        "plan_instalments",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_plan_instalments_amount_positive")),
        sa.CheckConstraint("number >= 1", name=op.f("ck_plan_instalments_number_positive")),
        sa.ForeignKeyConstraint(
            ["creditor_id", "plan_id"],
            ["payment_plans.creditor_id", "payment_plans.id"],
            name=op.f("fk_plan_instalments_creditor_id_plan_id_payment_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_plan_instalments_creditor_id_creditors")
        ),
        sa.PrimaryKeyConstraint("plan_id", "number", name=op.f("pk_plan_instalments")),
    )
    op.create_table(
        "promise_documents",
        sa.Column("promise_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creditor_id", "document_id"],
            ["documents.creditor_id", "documents.id"],
            name=op.f("fk_promise_documents_creditor_id_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id", "promise_id"],
            ["promises.creditor_id", "promises.id"],
            name=op.f("fk_promise_documents_creditor_id_promise_id_promises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_promise_documents_creditor_id_creditors")
        ),
        sa.PrimaryKeyConstraint("promise_id", "document_id", name=op.f("pk_promise_documents")),
    )
    op.create_index(
        op.f("ix_promise_documents_creditor_id_document_id"),
        "promise_documents",
        ["creditor_id", "document_id"],
    )
    op.create_table(
        "settlement_documents",
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creditor_id", "document_id"],
            ["documents.creditor_id", "documents.id"],
            name=op.f("fk_settlement_documents_creditor_id_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id", "settlement_id"],
            ["settlements.creditor_id", "settlements.id"],
            name=op.f("fk_settlement_documents_creditor_id_settlement_id_settlements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_settlement_documents_creditor_id_creditors")
        ),
        sa.PrimaryKeyConstraint("settlement_id", "document_id", name=op.f("pk_settlement_documents")),
    )
    op.create_index(
        op.f("ix_settlement_documents_creditor_id_document_id"),
        "settlement_documents",
        ["creditor_id", "document_id"],
    )
    op.create_table(
        "write_offs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("written_off_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "reason IN ('settlement', 'early_payment_discount', 'small_balance', 'bad_debt', 'insolvency', 'goodwill', 'other')",
            name=op.f("ck_write_offs_reason"),
        ),
        sa.CheckConstraint(
            "state = 'awaiting_approval' OR decided_by IS NOT NULL",
            name=op.f("ck_write_offs_decided_by_given"),
        ),
        sa.CheckConstraint(
            "state IN ('awaiting_approval', 'applied', 'refused')", name=op.f("ck_write_offs_state")
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_write_offs_amount_positive")),
        sa.ForeignKeyConstraint(
            ["creditor_id", "debtor_id"],
            ["debtors.creditor_id", "debtors.id"],
            name=op.f("fk_write_offs_creditor_id_debtor_id_debtors"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id", "document_id"],
            ["documents.creditor_id", "documents.id"],
            name=op.f("fk_write_offs_creditor_id_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id", "settlement_id"],
            ["settlements.creditor_id", "settlements.id"],
            name=op.f("fk_write_offs_creditor_id_settlement_id_settlements"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_write_offs_creditor_id_creditors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_write_offs")),
        sa.UniqueConstraint("creditor_id", "id", name=op.f("uq_write_offs_creditor_id_id")),
    )
    op.create_index(op.f("ix_write_offs_creditor_id_debtor_id"), "write_offs", ["creditor_id", "debtor_id"])
    op.create_index(
        op.f("ix_write_offs_creditor_id_document_id"), "write_offs", ["creditor_id", "document_id"]
    )
    op.add_column(
        "debtors", sa.Column("flag_broken_promise", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade() -> None:
    for table in reversed(_TABLES):
        op.drop_table(table)
    with op.batch_alter_table("debtors") as batch:
        batch.drop_column("flag_broken_promise")
