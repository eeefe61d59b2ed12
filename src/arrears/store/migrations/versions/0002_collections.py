"""The collections area: policies, service windows, settings, holds, cycle runs, actions, skips.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Written out in full, every constraint and index named (see 0001). A store test checks that the
migrations and the models describe the same schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTION_STATUSES = "'planned', 'awaiting_approval', 'approved', 'rejected', 'sent', 'failed', 'skipped'"
_CHANNELS = "'email', 'sms', 'letter', 'call'"
_HOLD_REASONS = "'dispute', 'promise_to_pay', 'payment_plan', 'do_not_contact', 'insolvency'"
_SKIP_KINDS = "'held', 'contact_cap', 'not_a_business_day', 'paused_after_payment', 'covered_by_credit'"


def _id_and_creditor(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        _creditor_key(table),
    ]


def _creditor_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["creditor_id"], ["creditors.id"], name=op.f(f"fk_{table}_creditor_id_creditors")
    )


def _within_creditor(
    table: str, column: str, parent: str, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    """(creditor_id, column) -> parent (creditor_id, id): a row only points at its own creditor's."""
    return sa.ForeignKeyConstraint(
        ["creditor_id", column],
        [f"{parent}.creditor_id", f"{parent}.id"],
        name=op.f(f"fk_{table}_creditor_id_{column}_{parent}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "collection_policies",
        *_id_and_creditor("collection_policies"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.UniqueConstraint(
            "creditor_id", "version", name=op.f("uq_collection_policies_creditor_id_version")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_collection_policies_version_positive")),
    )
    op.create_table(
        "service_windows",
        *_id_and_creditor("service_windows"),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "starts_on IS NULL OR ends_on IS NULL OR ends_on >= starts_on",
            name=op.f("ck_service_windows_ends_after_start"),
        ),
    )
    op.create_index(op.f("ix_service_windows_creditor_id"), "service_windows", ["creditor_id"])
    op.create_table(
        "collection_settings",
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("monthly_budget_minutes", sa.Integer(), nullable=True),
        sa.Column("minutes_per_call", sa.Integer(), nullable=False),
        sa.Column("flag_above_minor", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("creditor_id", name=op.f("pk_collection_settings")),
        _creditor_key("collection_settings"),
        sa.CheckConstraint(
            "monthly_budget_minutes IS NULL OR monthly_budget_minutes >= 0",
            name=op.f("ck_collection_settings_budget_not_negative"),
        ),
        sa.CheckConstraint(
            "minutes_per_call > 0", name=op.f("ck_collection_settings_minutes_per_call_positive")
        ),
        sa.CheckConstraint(
            "flag_above_minor IS NULL OR flag_above_minor >= 0",
            name=op.f("ck_collection_settings_flag_not_negative"),
        ),
    )
    op.create_table(
        "collection_holds",
        *_id_and_creditor("collection_holds"),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("lifted_on", sa.Date(), nullable=True),
        sa.Column("lift_note", sa.Text(), nullable=True),
        _within_creditor("collection_holds", "debtor_id", "debtors"),
        sa.UniqueConstraint("creditor_id", "id", name=op.f("uq_collection_holds_creditor_id_id")),
        sa.CheckConstraint(f"reason IN ({_HOLD_REASONS})", name=op.f("ck_collection_holds_reason")),
        sa.CheckConstraint(
            "starts_on IS NULL OR ends_on IS NULL OR ends_on >= starts_on",
            name=op.f("ck_collection_holds_ends_after_start"),
        ),
    )
    op.create_index(
        op.f("ix_collection_holds_creditor_id_debtor_id"), "collection_holds", ["creditor_id", "debtor_id"]
    )
    op.create_table(
        "collection_hold_documents",
        sa.Column("hold_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hold_id", "document_id", name=op.f("pk_collection_hold_documents")),
        _creditor_key("collection_hold_documents"),
        _within_creditor("collection_hold_documents", "hold_id", "collection_holds", ondelete="CASCADE"),
        _within_creditor("collection_hold_documents", "document_id", "documents"),
    )
    op.create_table(
        "cycle_runs",
        *_id_and_creditor("cycle_runs"),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_by", sa.String(100), nullable=False),
        sa.Column("policy_name", sa.String(200), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("service_on", sa.Boolean(), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("awaiting_approval", sa.Integer(), nullable=False),
        sa.Column("already_recorded", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.UniqueConstraint("creditor_id", "id", name=op.f("uq_cycle_runs_creditor_id_id")),
    )
    op.create_index(op.f("ix_cycle_runs_creditor_id_as_of"), "cycle_runs", ["creditor_id", "as_of"])
    op.create_table(
        "collection_actions",
        *_id_and_creditor("collection_actions"),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("cycle_run_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("step", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("template", sa.String(200), nullable=False),
        sa.Column("documents", sa.Text(), nullable=False),
        sa.Column("amounts", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("episode", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("worked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worked_by", sa.String(100), nullable=True),
        sa.Column("work_note", sa.Text(), nullable=True),
        _within_creditor("collection_actions", "debtor_id", "debtors"),
        _within_creditor("collection_actions", "cycle_run_id", "cycle_runs"),
        sa.UniqueConstraint(
            "creditor_id", "idempotency_key", name=op.f("uq_collection_actions_creditor_id_idempotency_key")
        ),
        sa.UniqueConstraint("creditor_id", "id", name=op.f("uq_collection_actions_creditor_id_id")),
        sa.CheckConstraint(f"status IN ({_ACTION_STATUSES})", name=op.f("ck_collection_actions_status")),
        sa.CheckConstraint(f"channel IN ({_CHANNELS})", name=op.f("ck_collection_actions_channel")),
    )
    op.create_index(
        op.f("ix_collection_actions_creditor_id_debtor_id_effective_on"),
        "collection_actions",
        ["creditor_id", "debtor_id", "effective_on"],
    )
    op.create_index(
        op.f("ix_collection_actions_creditor_id_status"), "collection_actions", ["creditor_id", "status"]
    )
    op.create_table(
        "collection_skips",
        *_id_and_creditor("collection_skips"),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("holds", sa.String(200), nullable=False),
        sa.Column("documents", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("first_on", sa.Date(), nullable=False),
        sa.Column("last_on", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("cycle_run_id", sa.Integer(), nullable=False),
        _within_creditor("collection_skips", "debtor_id", "debtors"),
        _within_creditor("collection_skips", "cycle_run_id", "cycle_runs"),
        sa.UniqueConstraint(
            "creditor_id",
            "debtor_id",
            "step",
            "kind",
            name=op.f("uq_collection_skips_creditor_id_debtor_id_step_kind"),
        ),
        sa.CheckConstraint(f"kind IN ({_SKIP_KINDS})", name=op.f("ck_collection_skips_kind")),
        sa.CheckConstraint("last_on >= first_on", name=op.f("ck_collection_skips_last_after_first")),
    )


def downgrade() -> None:
    for table in (
        "collection_skips",
        "collection_actions",
        "cycle_runs",
        "collection_hold_documents",
        "collection_holds",
        "collection_settings",
        "service_windows",
        "collection_policies",
    ):
        op.drop_table(table)
