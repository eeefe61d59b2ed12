"""Tables of the collections area: policies, service windows, settings, holds, cycle runs,
actions and skips (see docs/collections.md, "The store"). They register on the ledger's metadata.

The same rules as the ledger's tables: every row has `creditor_id`; a row pointing at a debtor,
a document, a hold or a cycle run does so through a composite foreign key `(creditor_id, x_id)`,
so that a row of creditor A can never point at a row of creditor B; money is integer minor units;
kinds and statuses are short strings checked by CHECK constraints.

- `collection_policies`: one row per version of a creditor's ladder (the policy as JSON, as
  `policy_to_dict` writes it); the current policy is the highest version.
- `service_windows`: when the service is on for a creditor; no row at all means "on".
- `collection_settings`: the worklist's time budget and the amount that flags an account.
- `collection_holds` and `collection_hold_documents`: holds recorded by people (dispute,
  promise, plan, do not contact, insolvency) on a whole debtor or on some of its documents.
- `cycle_runs`: one row per cycle that was not a dry run (who, when, as of, counts, summary).
- `collection_actions`: one row per planned action, unique per creditor by idempotency key;
  document numbers and amounts are JSON text (an action can chase hundreds of documents, and
  writing them as child rows would multiply a cycle's writes for no query that needs them).
- `collection_skips`: what a cycle skipped and why, compacted to one row per (debtor, step,
  kind) with the first and last day it was seen and how many cycle days (see the docs).
"""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from arrears.store.tables import Base

ACTION_STATUSES = ("planned", "awaiting_approval", "approved", "rejected", "sent", "failed", "skipped")
CHANNELS = ("email", "sms", "letter", "call")
# Holds a person records. `service_off` comes from service windows and `awaiting_approval` from
# the actions table; neither is stored as a hold.
RECORDED_HOLD_REASONS = ("dispute", "promise_to_pay", "payment_plan", "do_not_contact", "insolvency")
SKIP_KINDS = ("held", "contact_cap", "not_a_business_day", "paused_after_payment", "covered_by_credit")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PolicyVersionRecord(Base):
    """One version of a creditor's escalation ladder."""

    __tablename__ = "collection_policies"
    __table_args__ = (
        UniqueConstraint("creditor_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # JSON, as arrears.core.policy_format.policy_to_dict writes it
    source: Mapped[str] = mapped_column(String(300))  # the file it came from, or "shipped default_uk"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(100))


class ServiceWindowRecord(Base):
    """A period when the service is on: from `starts_on` (NULL: since the creditor was added) to
    `ends_on` inclusive (NULL: still on)."""

    __tablename__ = "service_windows"
    __table_args__ = (
        Index("ix_service_windows_creditor_id", "creditor_id"),
        CheckConstraint(
            "starts_on IS NULL OR ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)


class CollectionSettingsRecord(Base):
    """A creditor's worklist settings; a creditor without a row has the defaults."""

    __tablename__ = "collection_settings"
    __table_args__ = (
        CheckConstraint(
            "monthly_budget_minutes IS NULL OR monthly_budget_minutes >= 0", name="budget_not_negative"
        ),
        CheckConstraint("minutes_per_call > 0", name="minutes_per_call_positive"),
        CheckConstraint("flag_above_minor IS NULL OR flag_above_minor >= 0", name="flag_not_negative"),
    )

    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"), primary_key=True)
    monthly_budget_minutes: Mapped[int | None] = mapped_column(Integer)  # NULL: no budget
    minutes_per_call: Mapped[int] = mapped_column(Integer)
    flag_above_minor: Mapped[int | None] = mapped_column(BigInteger)  # in the creditor's currency


class HoldRecord(Base):
    """A hold a person recorded: on the whole debtor, or on the documents listed for it in
    `collection_hold_documents`. `lifted_on` is the first day it no longer applies."""

    __tablename__ = "collection_holds"
    __table_args__ = (
        ForeignKeyConstraint(["creditor_id", "debtor_id"], ["debtors.creditor_id", "debtors.id"]),
        UniqueConstraint("creditor_id", "id"),
        Index("ix_collection_holds_creditor_id_debtor_id", "creditor_id", "debtor_id"),
        CheckConstraint(_one_of("reason", RECORDED_HOLD_REASONS), name="reason"),
        CheckConstraint(
            "starts_on IS NULL OR ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    debtor_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(100))
    lifted_on: Mapped[date | None] = mapped_column(Date)
    lift_note: Mapped[str | None] = mapped_column(Text)


class HoldDocumentRecord(Base):
    """A document a hold covers (a hold with none covers the whole debtor)."""

    __tablename__ = "collection_hold_documents"
    __table_args__ = (
        PrimaryKeyConstraint("hold_id", "document_id"),
        ForeignKeyConstraint(
            ["creditor_id", "hold_id"],
            ["collection_holds.creditor_id", "collection_holds.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(["creditor_id", "document_id"], ["documents.creditor_id", "documents.id"]),
    )

    hold_id: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int] = mapped_column(Integer)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))


class CycleRunRecord(Base):
    """One cycle over a creditor's ledger as of a day (dry runs are not recorded)."""

    __tablename__ = "cycle_runs"
    __table_args__ = (
        UniqueConstraint("creditor_id", "id"),
        Index("ix_cycle_runs_creditor_id_as_of", "creditor_id", "as_of"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    as_of: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    run_by: Mapped[str] = mapped_column(String(100))
    policy_name: Mapped[str] = mapped_column(String(200))
    policy_version: Mapped[int] = mapped_column(Integer)
    service_on: Mapped[bool] = mapped_column(Boolean)
    planned: Mapped[int] = mapped_column(Integer)  # new actions that go to the outbox
    awaiting_approval: Mapped[int] = mapped_column(Integer)  # new actions that wait for the creditor
    already_recorded: Mapped[int] = mapped_column(Integer)  # planned again, kept once by their key
    skipped: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)  # JSON: counts by step and channel, skips by reason


class ActionRecord(Base):
    """One planned contact. `effective_on` is the day it counts from in the history: the day
    it was planned, or the day the creditor approved or rejected it."""

    __tablename__ = "collection_actions"
    __table_args__ = (
        ForeignKeyConstraint(["creditor_id", "debtor_id"], ["debtors.creditor_id", "debtors.id"]),
        ForeignKeyConstraint(["creditor_id", "cycle_run_id"], ["cycle_runs.creditor_id", "cycle_runs.id"]),
        UniqueConstraint("creditor_id", "idempotency_key"),
        UniqueConstraint("creditor_id", "id"),
        Index(
            "ix_collection_actions_creditor_id_debtor_id_effective_on",
            "creditor_id",
            "debtor_id",
            "effective_on",
        ),
        Index("ix_collection_actions_creditor_id_status", "creditor_id", "status"),
        CheckConstraint(_one_of("status", ACTION_STATUSES), name="status"),
        CheckConstraint(_one_of("channel", CHANNELS), name="channel"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    debtor_id: Mapped[int] = mapped_column(Integer)
    cycle_run_id: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(10))
    template: Mapped[str] = mapped_column(String(200))
    documents: Mapped[str] = mapped_column(Text)  # JSON list of document numbers, sorted
    amounts: Mapped[str] = mapped_column(Text)  # JSON {currency: open minor units}
    status: Mapped[str] = mapped_column(String(20))
    episode: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    planned_on: Mapped[date] = mapped_column(Date)
    effective_on: Mapped[date] = mapped_column(Date)
    policy_version: Mapped[int] = mapped_column(Integer)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decision_note: Mapped[str | None] = mapped_column(Text)
    handed_over_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failure: Mapped[str | None] = mapped_column(Text)
    worked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    worked_by: Mapped[str | None] = mapped_column(String(100))
    work_note: Mapped[str | None] = mapped_column(Text)


class SkipRecord(Base):
    """What the cycles skipped for a (debtor, step, kind), compacted: the latest reason and
    documents, the first and last day it was seen and on how many cycle days. `step` is ''
    when no step is in question (invoices covered by credit notes)."""

    __tablename__ = "collection_skips"
    __table_args__ = (
        ForeignKeyConstraint(["creditor_id", "debtor_id"], ["debtors.creditor_id", "debtors.id"]),
        ForeignKeyConstraint(["creditor_id", "cycle_run_id"], ["cycle_runs.creditor_id", "cycle_runs.id"]),
        UniqueConstraint("creditor_id", "debtor_id", "step", "kind"),
        CheckConstraint(_one_of("kind", SKIP_KINDS), name="kind"),
        CheckConstraint("last_on >= first_on", name="last_after_first"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    debtor_id: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(24))
    holds: Mapped[str] = mapped_column(String(200))  # hold reasons, comma-separated
    documents: Mapped[str] = mapped_column(Text)  # JSON list of document numbers
    reason: Mapped[str] = mapped_column(Text)
    first_on: Mapped[date] = mapped_column(Date)
    last_on: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    cycle_run_id: Mapped[int] = mapped_column(Integer)  # the latest run that saw it


__all__ = [
    "ACTION_STATUSES",
    "CHANNELS",
    "RECORDED_HOLD_REASONS",
    "SKIP_KINDS",
    "ActionRecord",
    "Base",
    "CollectionSettingsRecord",
    "CycleRunRecord",
    "HoldDocumentRecord",
    "HoldRecord",
    "PolicyVersionRecord",
    "ServiceWindowRecord",
    "SkipRecord",
]
