"""Communications: brands, the outbox (messages, attachments, events), SMS opt-outs, call tasks
and call logs.

Revision ID: 0004
Revises: 0003

Written out in full, as 0001 is; every constraint and index is named. Times are stored as
`DateTime(timezone=True)` (UTC; the models read them back aware).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def _id_and_creditor(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f(f"fk_{table}_creditor_id_creditors")
        ),
    ]


def _within_creditor(
    table: str, column: str, parent: str, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["creditor_id", column],
        [f"{parent}.creditor_id", f"{parent}.id"],
        name=op.f(f"fk_{table}_creditor_id_{column}_{parent}"),
        ondelete=ondelete,
    )


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "brands",
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("logo_media_type", sa.String(32), nullable=True),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("agency_logo_media_type", sa.String(32), nullable=True),
        sa.Column("agency_logo", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("creditor_id", name=op.f("pk_brands")),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_brands_creditor_id_creditors")
        ),
    )
    op.create_table(
        "messages",
        *_id_and_creditor("messages"),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(80), nullable=False),
        sa.Column("action_key", sa.String(80), nullable=False),
        sa.Column("step", sa.String(200), nullable=False),
        sa.Column("template", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("sender", sa.String(200), nullable=False),
        sa.Column("sender_address", sa.String(320), nullable=True),
        sa.Column("reply_to", sa.String(320), nullable=True),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("transactional", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TIME, nullable=False),
        sa.Column("claimed_at", _TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("provider_ref", sa.String(500), nullable=True),
        sa.Column("delivery", sa.String(12), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("sent_at", _TIME, nullable=True),
        _within_creditor("messages", "debtor_id", "debtors"),
        sa.UniqueConstraint(
            "creditor_id", "idempotency_key", name=op.f("uq_messages_creditor_id_idempotency_key")
        ),
        sa.UniqueConstraint("creditor_id", "id", name=op.f("uq_messages_creditor_id_id")),
        sa.CheckConstraint(
            _one_of("status", ("queued", "sending", "sent", "failed", "dead", "suppressed")),
            name=op.f("ck_messages_status"),
        ),
        sa.CheckConstraint(
            _one_of("channel", ("email", "sms", "letter", "call")), name=op.f("ck_messages_channel")
        ),
        sa.CheckConstraint(
            f"delivery IS NULL OR {_one_of('delivery', ('delivered', 'bounced', 'undelivered'))}",
            name=op.f("ck_messages_delivery"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_messages_attempts_not_negative")),
    )
    op.create_index(
        op.f("ix_messages_creditor_id_status_next_attempt_at"),
        "messages",
        ["creditor_id", "status", "next_attempt_at"],
    )
    op.create_index(op.f("ix_messages_creditor_id_debtor_id"), "messages", ["creditor_id", "debtor_id"])
    op.create_index(op.f("ix_messages_creditor_id_provider_ref"), "messages", ["creditor_id", "provider_ref"])
    op.create_index(op.f("ix_messages_creditor_id_message_id"), "messages", ["creditor_id", "message_id"])
    op.create_table(
        "message_attachments",
        *_id_and_creditor("message_attachments"),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("content_id", sa.String(255), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        _within_creditor("message_attachments", "message_id", "messages", ondelete="CASCADE"),
        sa.UniqueConstraint(
            "message_id", "position", name=op.f("uq_message_attachments_message_id_position")
        ),
    )
    op.create_table(
        "message_events",
        *_id_and_creditor("message_events"),
        sa.Column("debtor_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", _TIME, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        _within_creditor("message_events", "debtor_id", "debtors"),
        _within_creditor("message_events", "message_id", "messages", ondelete="CASCADE"),
        sa.CheckConstraint(
            _one_of(
                "kind",
                (
                    "queued",
                    "sent",
                    "attempt_failed",
                    "dead",
                    "retried",
                    "suppressed",
                    "bounced",
                    "delivered",
                    "undelivered",
                    "opted_out",
                    "opted_in",
                    "call_logged",
                ),
            ),
            name=op.f("ck_message_events_kind"),
        ),
    )
    op.create_index(
        op.f("ix_message_events_creditor_id_debtor_id_occurred_at"),
        "message_events",
        ["creditor_id", "debtor_id", "occurred_at"],
    )
    op.create_index(
        op.f("ix_message_events_creditor_id_message_id"), "message_events", ["creditor_id", "message_id"]
    )
    op.create_table(
        "sms_opt_outs",
        *_id_and_creditor("sms_opt_outs"),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("keyword", sa.String(32), nullable=False),
        sa.Column("opted_out_at", _TIME, nullable=False),
        sa.UniqueConstraint("creditor_id", "phone", name=op.f("uq_sms_opt_outs_creditor_id_phone")),
    )
    op.create_table(
        "call_tasks",
        *_id_and_creditor("call_tasks"),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(64), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("due_at", _TIME, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        _within_creditor("call_tasks", "debtor_id", "debtors"),
        _within_creditor("call_tasks", "message_id", "messages"),
        sa.UniqueConstraint("creditor_id", "message_id", name=op.f("uq_call_tasks_creditor_id_message_id")),
        sa.UniqueConstraint("creditor_id", "id", name=op.f("uq_call_tasks_creditor_id_id")),
        sa.CheckConstraint(_one_of("status", ("open", "done")), name=op.f("ck_call_tasks_status")),
    )
    op.create_index(
        op.f("ix_call_tasks_creditor_id_status_due_at"), "call_tasks", ["creditor_id", "status", "due_at"]
    )
    op.create_table(
        "call_logs",
        *_id_and_creditor("call_logs"),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("controller", sa.String(200), nullable=True),
        sa.Column("logged_at", _TIME, nullable=False),
        sa.Column("promised_on", sa.Date(), nullable=True),
        sa.Column("promised_minor", sa.BigInteger(), nullable=True),
        sa.Column("promised_currency", sa.String(3), nullable=True),
        _within_creditor("call_logs", "debtor_id", "debtors"),
        _within_creditor("call_logs", "task_id", "call_tasks"),
        sa.CheckConstraint(
            _one_of("direction", ("outbound", "inbound")), name=op.f("ck_call_logs_direction")
        ),
        sa.CheckConstraint(
            _one_of("outcome", ("no_answer", "promise", "dispute", "wrong_number", "paid", "other")),
            name=op.f("ck_call_logs_outcome"),
        ),
        sa.CheckConstraint(
            "(promised_minor IS NULL) = (promised_currency IS NULL)",
            name=op.f("ck_call_logs_promised_amount_with_currency"),
        ),
    )
    op.create_index(op.f("ix_call_logs_creditor_id_debtor_id"), "call_logs", ["creditor_id", "debtor_id"])


def downgrade() -> None:
    for table in (
        "call_logs",
        "call_tasks",
        "sms_opt_outs",
        "message_events",
        "message_attachments",
        "messages",
        "brands",
    ):
        op.drop_table(table)
