"""The ledger: creditors, debtors and their contacts, documents, payments, allocations.

Revision ID: 0001
Revises:
Create Date: 2026-01-01

Written out in full rather than built from `arrears.store.tables`: a migration records what
the schema was at one point in time and must not change when the models do. Every constraint
and index is named here explicitly (`op.f`), so the names are the same on every engine and
later migrations can refer to them. A store test checks that this migration and the models
describe the same schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id_and_creditor(table: str) -> list[sa.schema.SchemaItem]:
    """The surrogate key and the creditor (tenant) every table has."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f(f"fk_{table}_creditor_id_creditors")
        ),
    ]


def _within_creditor(table: str, column: str, parent: str) -> sa.ForeignKeyConstraint:
    """A composite foreign key (creditor_id, column) -> parent (creditor_id, id): a row can only
    point at a row of its own creditor."""
    return sa.ForeignKeyConstraint(
        ["creditor_id", column],
        [f"{parent}.creditor_id", f"{parent}.id"],
        name=op.f(f"fk_{table}_creditor_id_{column}_{parent}"),
    )


def upgrade() -> None:
    op.create_table(
        "creditors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creditors")),
        sa.UniqueConstraint("code", name=op.f("uq_creditors_code")),
    )
    op.create_table(
        "creditor_locks",
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("taken", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("creditor_id", name=op.f("pk_creditor_locks")),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_creditor_locks_creditor_id_creditors")
        ),
    )
    op.create_table(
        "debtors",
        *_id_and_creditor("debtors"),
        sa.Column("account_code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("credit_limit_minor", sa.BigInteger(), nullable=True),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("flag_do_not_contact", sa.Boolean(), nullable=False),
        sa.Column("flag_key_account", sa.Boolean(), nullable=False),
        sa.Column("flag_insolvent", sa.Boolean(), nullable=False),
        sa.Column("flag_credit_hold", sa.Boolean(), nullable=False),
        sa.Column("flag_individual", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("creditor_id", "account_code", name=op.f("uq_debtors_creditor_id_account_code")),
        sa.UniqueConstraint("creditor_id", "id", name=op.f("uq_debtors_creditor_id_id")),
        sa.CheckConstraint("payment_terms_days >= 0", name=op.f("ck_debtors_payment_terms_not_negative")),
        sa.CheckConstraint(
            "credit_limit_minor IS NULL OR credit_limit_minor >= 0",
            name=op.f("ck_debtors_credit_limit_not_negative"),
        ),
    )
    op.create_table(
        "contacts",
        *_id_and_creditor("contacts"),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(64), nullable=True),
        sa.Column("address_lines", sa.Text(), nullable=True),
        sa.Column("postcode", sa.String(32), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creditor_id", "debtor_id"],
            ["debtors.creditor_id", "debtors.id"],
            name=op.f("fk_contacts_creditor_id_debtor_id_debtors"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("debtor_id", "position", name=op.f("uq_contacts_debtor_id_position")),
    )
    op.create_table(
        "documents",
        *_id_and_creditor("documents"),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("open_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("external_reference", sa.String(128), nullable=True),
        sa.Column("po_number", sa.String(64), nullable=True),
        _within_creditor("documents", "debtor_id", "debtors"),
        sa.UniqueConstraint(
            "creditor_id", "kind", "number", name=op.f("uq_documents_creditor_id_kind_number")
        ),
        sa.UniqueConstraint("creditor_id", "id", name=op.f("uq_documents_creditor_id_id")),
        sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name=op.f("ck_documents_kind")),
        sa.CheckConstraint(
            "status IN ('open', 'part_paid', 'paid', 'written_off', 'settled_in_source')",
            name=op.f("ck_documents_status"),
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_documents_amount_positive")),
        sa.CheckConstraint(
            "open_minor >= 0 AND open_minor <= amount_minor", name=op.f("ck_documents_open_within_amount")
        ),
        sa.CheckConstraint("due_date >= issue_date", name=op.f("ck_documents_due_not_before_issue")),
    )
    # the hot queries: open documents by due date (ageing, cycles) and a debtor's documents
    op.create_index(
        op.f("ix_documents_creditor_id_status_due_date"), "documents", ["creditor_id", "status", "due_date"]
    )
    op.create_index(op.f("ix_documents_creditor_id_debtor_id"), "documents", ["creditor_id", "debtor_id"])
    op.create_table(
        "payments",
        *_id_and_creditor("payments"),
        sa.Column("debtor_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(128), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("unallocated_minor", sa.BigInteger(), nullable=False),
        _within_creditor("payments", "debtor_id", "debtors"),
        sa.UniqueConstraint("creditor_id", "reference", name=op.f("uq_payments_creditor_id_reference")),
        sa.UniqueConstraint("creditor_id", "id", name=op.f("uq_payments_creditor_id_id")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_payments_amount_positive")),
        sa.CheckConstraint(
            "unallocated_minor >= 0 AND unallocated_minor <= amount_minor",
            name=op.f("ck_payments_unallocated_within_amount"),
        ),
    )
    op.create_index(op.f("ix_payments_creditor_id_debtor_id"), "payments", ["creditor_id", "debtor_id"])
    op.create_table(
        "allocations",
        *_id_and_creditor("allocations"),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("credit_note_id", sa.Integer(), nullable=True),
        sa.Column("allocated_on", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        _within_creditor("allocations", "document_id", "documents"),
        _within_creditor("allocations", "payment_id", "payments"),
        _within_creditor("allocations", "credit_note_id", "documents"),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_allocations_amount_positive")),
        sa.CheckConstraint(
            "(payment_id IS NULL) <> (credit_note_id IS NULL)",
            name=op.f("ck_allocations_from_one_payment_or_credit_note"),
        ),
    )
    for column in ("document_id", "payment_id", "credit_note_id"):
        op.create_index(op.f(f"ix_allocations_creditor_id_{column}"), "allocations", ["creditor_id", column])


def downgrade() -> None:
    for table in (
        "allocations",
        "payments",
        "documents",
        "contacts",
        "debtors",
        "creditor_locks",
        "creditors",
    ):
        op.drop_table(table)
