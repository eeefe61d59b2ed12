"""Tables of the deals area (deals with debtors, write-offs, fees, bank statements and matching).
They register on the ledger's metadata; migration 0003 creates them (see docs/deals.md, "The
store", and docs/bank-statements.md, "Importing and matching").

The same rules as the ledger's tables: every row has `creditor_id`; a row pointing at a debtor,
a document, a payment or another deal row does so through a composite foreign key
`(creditor_id, x_id)`, so a row of creditor A can never point at a row of creditor B; money is
integer minor units next to a currency; kinds and states are short strings checked by CHECK
constraints.

- `deal_rules`: one row per version of a creditor's pre-agreed deal rules (JSON); the current
  rules are the highest version, the older ones are the history.
- `promises` (+ `promise_documents`), `payment_plans` (+ `plan_documents`, `plan_instalments`),
  `settlements` (+ `settlement_documents`), `disputes`: the deals as agreed. `state` is what the
  last review found (the core recomputes it from the allocations whenever it is asked, so the
  column is for lists and reports, never the only truth).
- `write_offs`: amounts taken off documents, with reason and approver, or awaiting approval.
- `fees`: fees charged, each with the ledger invoice it became.
- `bank_statements`, `bank_transactions`: statements imported; a line's `fingerprint` is unique
  per creditor, and a statement's `statement_key` too, so re-importing a file adds nothing.
- `bank_matches`: which payment a bank line became, how sure the matcher was, how and by whom.
- `bank_unmatched`: the queue of credits no rule matched with certainty, with the matcher's
  suggestions, until a person matches or ignores them.
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

PROMISE_CHANNELS = ("call", "email", "portal")
PROMISE_STATES = ("pending", "kept", "broken", "cancelled")
FREQUENCIES = ("weekly", "fortnightly", "monthly")
PLAN_STATES = (
    "awaiting_approval",
    "good_standing",
    "instalment_due",
    "missed",
    "defaulted",
    "completed",
    "rejected",
)
SETTLEMENT_STATES = ("awaiting_approval", "pending", "paid", "lapsed", "rejected")
DISPUTE_REASONS = ("goods_not_received", "wrong_price", "quality", "already_paid", "not_ordered", "other")
DISPUTE_OUTCOMES = ("credit_note", "rejected", "partially_upheld")
RESOLVERS = ("creditor", "controller")
WRITE_OFF_REASONS = (
    "settlement",
    "early_payment_discount",
    "small_balance",
    "bad_debt",
    "insolvency",
    "goodwill",
    "other",
)
WRITE_OFF_STATES = ("awaiting_approval", "applied", "refused")
FEE_KINDS = ("returned_payment", "administration", "other")
STATEMENT_FORMATS = ("camt.053", "camt.054", "mt940", "ofx", "csv")
LINE_STATES = ("matched", "unmatched", "ignored", "debit")
QUEUE_RESOLUTIONS = ("matched", "ignored")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _debtor_key() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["creditor_id", "debtor_id"], ["debtors.creditor_id", "debtors.id"])


def _document_key(column: str = "document_id") -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["creditor_id", column], ["documents.creditor_id", "documents.id"])


class DealRulesRecord(Base):
    """One version of a creditor's deal rules (`arrears.core.deal_rules.DealRules` as JSON)."""

    __tablename__ = "deal_rules"
    __table_args__ = (
        UniqueConstraint("creditor_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(100))


class PromiseRecord(Base):
    """A promise to pay; its documents are in `promise_documents` (none: the whole account).
    `deadline` is the promised date plus the grace; `state_on` the day it was kept or broken."""

    __tablename__ = "promises"
    __table_args__ = (
        _debtor_key(),
        UniqueConstraint("creditor_id", "reference"),
        UniqueConstraint("creditor_id", "id"),
        Index("ix_promises_creditor_id_debtor_id", "creditor_id", "debtor_id"),
        Index("ix_promises_creditor_id_deadline", "creditor_id", "deadline"),
        CheckConstraint(_one_of("channel", PROMISE_CHANNELS), name="channel"),
        CheckConstraint(_one_of("state", PROMISE_STATES), name="state"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("grace_days >= 0", name="grace_not_negative"),
        CheckConstraint("promised_on >= made_on", name="promised_not_before_made"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    debtor_id: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    made_on: Mapped[date] = mapped_column(Date)
    promised_on: Mapped[date] = mapped_column(Date)
    grace_days: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(10))
    taken_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))
    state_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PromiseDocumentRecord(Base):
    __tablename__ = "promise_documents"
    __table_args__ = (
        PrimaryKeyConstraint("promise_id", "document_id"),
        ForeignKeyConstraint(
            ["creditor_id", "promise_id"], ["promises.creditor_id", "promises.id"], ondelete="CASCADE"
        ),
        _document_key(),
        Index("ix_promise_documents_creditor_id_document_id", "creditor_id", "document_id"),
    )

    promise_id: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int] = mapped_column(Integer)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))


class PaymentPlanRecord(Base):
    """A payment plan; documents in `plan_documents`, instalments in `plan_instalments`.
    `approved_by` is NULL while it awaits the creditor; `decision` says why it needed approval."""

    __tablename__ = "payment_plans"
    __table_args__ = (
        _debtor_key(),
        UniqueConstraint("creditor_id", "reference"),
        UniqueConstraint("creditor_id", "id"),
        Index("ix_payment_plans_creditor_id_debtor_id", "creditor_id", "debtor_id"),
        CheckConstraint(_one_of("frequency", FREQUENCIES), name="frequency"),
        CheckConstraint(_one_of("state", PLAN_STATES), name="state"),
        CheckConstraint("total_minor > 0", name="total_positive"),
        CheckConstraint("grace_days >= 0 AND reminder_days_before >= 0", name="days_not_negative"),
        CheckConstraint("first_due_on >= agreed_on AND last_due_on >= first_due_on", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    debtor_id: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(64))
    frequency: Mapped[str] = mapped_column(String(12))
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    agreed_on: Mapped[date] = mapped_column(Date)
    first_due_on: Mapped[date] = mapped_column(Date)
    last_due_on: Mapped[date] = mapped_column(Date)
    grace_days: Mapped[int] = mapped_column(Integer)
    reminder_days_before: Mapped[int] = mapped_column(Integer)
    interest_frozen: Mapped[bool] = mapped_column(Boolean)
    approved_by: Mapped[str | None] = mapped_column(String(100))
    decision: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    state_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlanDocumentRecord(Base):
    __tablename__ = "plan_documents"
    __table_args__ = (
        PrimaryKeyConstraint("plan_id", "document_id"),
        ForeignKeyConstraint(
            ["creditor_id", "plan_id"], ["payment_plans.creditor_id", "payment_plans.id"], ondelete="CASCADE"
        ),
        _document_key(),
        Index("ix_plan_documents_creditor_id_document_id", "creditor_id", "document_id"),
    )

    plan_id: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int] = mapped_column(Integer)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    position: Mapped[int] = mapped_column(Integer)


class PlanInstalmentRecord(Base):
    """One instalment of a plan; `reminded_on` is the day its reminder was recorded."""

    __tablename__ = "plan_instalments"
    __table_args__ = (
        PrimaryKeyConstraint("plan_id", "number"),
        ForeignKeyConstraint(
            ["creditor_id", "plan_id"], ["payment_plans.creditor_id", "payment_plans.id"], ondelete="CASCADE"
        ),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    plan_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    due_on: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reminded_on: Mapped[date | None] = mapped_column(Date)


class SettlementRecord(Base):
    """A full and final settlement; documents in `settlement_documents`. `closed_on` is the day
    its write-offs were recorded (paid and approved)."""

    __tablename__ = "settlements"
    __table_args__ = (
        _debtor_key(),
        UniqueConstraint("creditor_id", "reference"),
        UniqueConstraint("creditor_id", "id"),
        Index("ix_settlements_creditor_id_debtor_id", "creditor_id", "debtor_id"),
        CheckConstraint(_one_of("state", SETTLEMENT_STATES), name="state"),
        CheckConstraint("amount_minor > 0 AND amount_minor <= balance_minor", name="amount_within_balance"),
        CheckConstraint("grace_days >= 0", name="grace_not_negative"),
        CheckConstraint("pay_by >= agreed_on", name="pay_by_not_before_agreed"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    debtor_id: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    balance_minor: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    agreed_on: Mapped[date] = mapped_column(Date)
    pay_by: Mapped[date] = mapped_column(Date)
    grace_days: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[date] = mapped_column(Date)
    approved_by: Mapped[str | None] = mapped_column(String(100))
    decision: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    state_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SettlementDocumentRecord(Base):
    __tablename__ = "settlement_documents"
    __table_args__ = (
        PrimaryKeyConstraint("settlement_id", "document_id"),
        ForeignKeyConstraint(
            ["creditor_id", "settlement_id"],
            ["settlements.creditor_id", "settlements.id"],
            ondelete="CASCADE",
        ),
        _document_key(),
        Index("ix_settlement_documents_creditor_id_document_id", "creditor_id", "document_id"),
    )

    settlement_id: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int] = mapped_column(Integer)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    position: Mapped[int] = mapped_column(Integer)


class DisputeRecord(Base):
    """A dispute on (part of) one invoice; the outcome columns are NULL while it is open.
    `credit_note_id` is the credit note that gave the credit an outcome granted."""

    __tablename__ = "disputes"
    __table_args__ = (
        _debtor_key(),
        _document_key(),
        _document_key("credit_note_id"),
        UniqueConstraint("creditor_id", "reference"),
        UniqueConstraint("creditor_id", "id"),
        Index("ix_disputes_creditor_id_debtor_id", "creditor_id", "debtor_id"),
        Index("ix_disputes_creditor_id_document_id", "creditor_id", "document_id"),
        CheckConstraint(_one_of("reason", DISPUTE_REASONS), name="reason"),
        CheckConstraint(f"outcome IS NULL OR {_one_of('outcome', DISPUTE_OUTCOMES)}", name="outcome"),
        CheckConstraint(f"resolver IS NULL OR {_one_of('resolver', RESOLVERS)}", name="resolver"),
        CheckConstraint("disputed_minor > 0", name="disputed_positive"),
        CheckConstraint("(outcome IS NULL) = (decided_on IS NULL)", name="decided_with_outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    debtor_id: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    disputed_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(24))
    raised_on: Mapped[date] = mapped_column(Date)
    raised_by: Mapped[str] = mapped_column(String(100))
    notes: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(20))
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    resolver: Mapped[str | None] = mapped_column(String(12))
    credit_minor: Mapped[int | None] = mapped_column(BigInteger)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    credit_note_id: Mapped[int | None] = mapped_column(Integer)


class WriteOffRecord(Base):
    """An amount taken off a document (`applied`), or asked for (`awaiting_approval`, `refused`).
    `decided_by` is who approved (or refused) it: a person, or the creditor's rules."""

    __tablename__ = "write_offs"
    __table_args__ = (
        _debtor_key(),
        _document_key(),
        ForeignKeyConstraint(["creditor_id", "settlement_id"], ["settlements.creditor_id", "settlements.id"]),
        UniqueConstraint("creditor_id", "id"),
        Index("ix_write_offs_creditor_id_document_id", "creditor_id", "document_id"),
        Index("ix_write_offs_creditor_id_debtor_id", "creditor_id", "debtor_id"),
        CheckConstraint(_one_of("reason", WRITE_OFF_REASONS), name="reason"),
        CheckConstraint(_one_of("state", WRITE_OFF_STATES), name="state"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("state = 'awaiting_approval' OR decided_by IS NOT NULL", name="decided_by_given"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    debtor_id: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int] = mapped_column(Integer)
    settlement_id: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(20))
    written_off_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(100))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_on: Mapped[date | None] = mapped_column(Date)


class FeeRecord(Base):
    """A fee charged to a debtor; `document_id` is the ledger invoice it became."""

    __tablename__ = "fees"
    __table_args__ = (
        _debtor_key(),
        _document_key(),
        UniqueConstraint("creditor_id", "reference"),
        CheckConstraint(_one_of("kind", FEE_KINDS), name="kind"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    debtor_id: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    charged_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))


class BankStatementRecord(Base):
    """A statement imported from a bank file. `statement_key` (a SHA-256 of the statement's
    account, period, balances and line fingerprints) is unique per creditor: importing the same
    statement again adds no row. Texts from files are `Text`: a bank decides their length."""

    __tablename__ = "bank_statements"
    __table_args__ = (
        UniqueConstraint("creditor_id", "statement_key"),
        UniqueConstraint("creditor_id", "id"),
        CheckConstraint(_one_of("format", STATEMENT_FORMATS), name="format"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    statement_key: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(10))
    account: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    statement_ref: Mapped[str | None] = mapped_column(Text)
    opening_minor: Mapped[int | None] = mapped_column(BigInteger)
    closing_minor: Mapped[int | None] = mapped_column(BigInteger)
    from_date: Mapped[date | None] = mapped_column(Date)
    to_date: Mapped[date | None] = mapped_column(Date)
    bank: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    imported_by: Mapped[str] = mapped_column(String(100))


class BankTransactionRecord(Base):
    """One line of an imported statement; `fingerprint` is unique per creditor. `amount_minor`
    is signed (credits positive). `state`: matched, unmatched (in the queue), ignored, debit."""

    __tablename__ = "bank_transactions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["creditor_id", "statement_id"], ["bank_statements.creditor_id", "bank_statements.id"]
        ),
        UniqueConstraint("creditor_id", "fingerprint"),
        UniqueConstraint("creditor_id", "id"),
        Index("ix_bank_transactions_creditor_id_state", "creditor_id", "state"),
        Index("ix_bank_transactions_creditor_id_counterparty_account", "creditor_id", "counterparty_account"),
        CheckConstraint(_one_of("state", LINE_STATES), name="state"),
        CheckConstraint("amount_minor <> 0", name="amount_not_zero"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    statement_id: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    account: Mapped[str] = mapped_column(Text)
    booking_date: Mapped[date] = mapped_column(Date)
    value_date: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    narration: Mapped[str] = mapped_column(Text)
    counterparty_name: Mapped[str | None] = mapped_column(Text)
    counterparty_account: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(Text)
    end_to_end_id: Mapped[str | None] = mapped_column(Text)
    bank_reference: Mapped[str | None] = mapped_column(Text)
    transaction_code: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10))


class BankMatchRecord(Base):
    """A bank line matched to a debtor: the payment it became, the matcher's confidence (0-100),
    how it matched (`method`, `reasons`) and who matched it (`auto` or a person)."""

    __tablename__ = "bank_matches"
    __table_args__ = (
        ForeignKeyConstraint(
            ["creditor_id", "transaction_id"], ["bank_transactions.creditor_id", "bank_transactions.id"]
        ),
        ForeignKeyConstraint(["creditor_id", "payment_id"], ["payments.creditor_id", "payments.id"]),
        _debtor_key(),
        UniqueConstraint("creditor_id", "transaction_id"),
        Index("ix_bank_matches_creditor_id_debtor_id", "creditor_id", "debtor_id"),
        CheckConstraint("confidence >= 0 AND confidence <= 100", name="confidence_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    transaction_id: Mapped[int] = mapped_column(Integer)
    payment_id: Mapped[int] = mapped_column(Integer)
    debtor_id: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(40))
    reasons: Mapped[str] = mapped_column(Text)
    matched_by: Mapped[str] = mapped_column(String(100))
    matched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BankUnmatchedRecord(Base):
    """A credit waiting for a person: the matcher's best guess and its suggestions (JSON), until
    it is resolved (matched by hand, or ignored as not a customer's payment)."""

    __tablename__ = "bank_unmatched"
    __table_args__ = (
        ForeignKeyConstraint(
            ["creditor_id", "transaction_id"], ["bank_transactions.creditor_id", "bank_transactions.id"]
        ),
        ForeignKeyConstraint(["creditor_id", "best_debtor_id"], ["debtors.creditor_id", "debtors.id"]),
        UniqueConstraint("creditor_id", "transaction_id"),
        Index("ix_bank_unmatched_creditor_id_resolution", "creditor_id", "resolution"),
        CheckConstraint(
            f"resolution IS NULL OR {_one_of('resolution', QUEUE_RESOLUTIONS)}", name="resolution"
        ),
        CheckConstraint("best_confidence >= 0 AND best_confidence <= 100", name="confidence_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    transaction_id: Mapped[int] = mapped_column(Integer)
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    best_debtor_id: Mapped[int | None] = mapped_column(Integer)
    best_confidence: Mapped[int] = mapped_column(Integer)
    suggestions: Mapped[str] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(String(10))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
