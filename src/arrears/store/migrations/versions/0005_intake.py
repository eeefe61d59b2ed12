"""The intake area's tables: imports, their totals per currency, and what each one changed.

Revision ID: 0005
Revises: 0004

Written out in full, as 0001 is, with every constraint and index named.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id_and_creditor(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f(f"fk_{table}_creditor_id_creditors")
        ),
    ]


def _within_creditor(table: str, column: str, parent: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["creditor_id", column],
        [f"{parent}.creditor_id", f"{parent}.id"],
        name=op.f(f"fk_{table}_creditor_id_{column}_{parent}"),
    )


def upgrade() -> None:
    op.create_table(
        "imports",
        *_id_and_creditor("imports"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("profile", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("debtors", sa.Integer(), nullable=False),
        sa.Column("payments", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("settled", sa.Integer(), nullable=False),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("debtors_added", sa.Integer(), nullable=False),
        sa.Column("debtors_updated", sa.Integer(), nullable=False),
        sa.Column("rejected_rows", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("quarantine_file", sa.String(500), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.UniqueConstraint("creditor_id", "id", name=op.f("uq_imports_creditor_id_id")),
        sa.CheckConstraint(
            "status IN ('applied', 'partial', 'rejected', 'unchanged')", name=op.f("ck_imports_status")
        ),
        sa.CheckConstraint("mode IN ('full', 'part')", name=op.f("ck_imports_mode")),
        sa.CheckConstraint("source IN ('file', 'mailbox', 'agent', 'api')", name=op.f("ck_imports_source")),
    )
    op.create_index(op.f("ix_imports_creditor_id_started_at"), "imports", ["creditor_id", "started_at"])
    op.create_table(
        "import_totals",
        *_id_and_creditor("import_totals"),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("invoices_open_minor", sa.BigInteger(), nullable=False),
        sa.Column("credit_notes_open_minor", sa.BigInteger(), nullable=False),
        sa.Column("cash_unallocated_minor", sa.BigInteger(), nullable=False),
        _within_creditor("import_totals", "import_id", "imports"),
        sa.UniqueConstraint("import_id", "currency", name=op.f("uq_import_totals_import_id_currency")),
    )
    op.create_table(
        "import_changes",
        *_id_and_creditor("import_changes"),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(24), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("debtor_id", sa.Integer(), nullable=True),
        sa.Column("old_open_minor", sa.BigInteger(), nullable=True),
        sa.Column("new_open_minor", sa.BigInteger(), nullable=True),
        sa.Column("old_status", sa.String(20), nullable=True),
        sa.Column("new_status", sa.String(20), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        _within_creditor("import_changes", "import_id", "imports"),
        _within_creditor("import_changes", "document_id", "documents"),
        _within_creditor("import_changes", "payment_id", "payments"),
        _within_creditor("import_changes", "debtor_id", "debtors"),
        sa.CheckConstraint(
            "change IN ('updated', 'settled_in_source', 'reopened', 'due_date_assumed', "
            "'due_date_given', 'cash_added', 'cash_updated', 'cash_cleared', 'debtor_updated')",
            name=op.f("ck_import_changes_change"),
        ),
        sa.CheckConstraint(
            "(document_id IS NOT NULL) OR (payment_id IS NOT NULL) OR (debtor_id IS NOT NULL)",
            name=op.f("ck_import_changes_about_something"),
        ),
    )
    op.create_index(
        op.f("ix_import_changes_creditor_id_import_id"), "import_changes", ["creditor_id", "import_id"]
    )
    op.create_index(
        op.f("ix_import_changes_creditor_id_document_id"), "import_changes", ["creditor_id", "document_id"]
    )


def downgrade() -> None:
    for table in ("import_changes", "import_totals", "imports"):
        op.drop_table(table)
