"""The ledger's tables as typed SQLAlchemy 2 models.

Rules the schema keeps, whatever writes to it:
- every row belongs to one creditor (`creditor_id`); rows that point at a debtor or a
  document do so through a composite foreign key *(creditor_id, id)*, so a row of creditor A
  can never point at a debtor or document of creditor B, even by a bug in the code;
- natural keys are unique per creditor: debtor `account_code`, document `(kind, number)`,
  payment `reference`;
- money is an integer number of minor units (`BigInteger`) next to a three-letter currency
  code (a debtor's credit limit is in the debtor's own currency); never a float;
- dates are `Date`; kinds and statuses are short strings checked by CHECK constraints (no
  database enum types, so adding a value is a one-line migration on both engines);
- debtor flags are one boolean column each (`flag_do_not_contact`, ...): they are few, they
  are filtered on by the planner, and a column per flag needs no JSON support.

The first migration (`migrations/versions/0001_ledger.py`) creates exactly this schema; a
store test compares the two so they cannot drift apart.
"""

from datetime import date

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DOCUMENT_KINDS = ("invoice", "credit_note")
DOCUMENT_STATUSES = ("open", "part_paid", "paid", "written_off", "settled_in_source")
OPEN_STATUSES = ("open", "part_paid")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CreditorRecord(Base):
    """The SME whose ledger is managed: the tenant."""

    __tablename__ = "creditors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    country: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(35))


class CreditorLockRecord(Base):
    """One row per creditor, written to serialise work on that creditor where the engine has
    no advisory locks (SQLite). PostgreSQL uses `pg_advisory_xact_lock` instead."""

    __tablename__ = "creditor_locks"

    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"), primary_key=True)
    taken: Mapped[int] = mapped_column(BigInteger, default=0)


class DebtorRecord(Base):
    """A creditor's customer account."""

    __tablename__ = "debtors"
    __table_args__ = (
        UniqueConstraint("creditor_id", "account_code"),
        # the target of the composite foreign keys that keep child rows within one creditor
        UniqueConstraint("creditor_id", "id"),
        CheckConstraint("payment_terms_days >= 0", name="payment_terms_not_negative"),
        CheckConstraint(
            "credit_limit_minor IS NULL OR credit_limit_minor >= 0",
            name="credit_limit_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    account_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    credit_limit_minor: Mapped[int | None] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(35))
    timezone: Mapped[str] = mapped_column(String(64))
    flag_do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_key_account: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_insolvent: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_credit_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_individual: Mapped[bool] = mapped_column(Boolean, default=False)
    # added by migration 0003 (deals); the server default fills the rows that existed before it
    flag_broken_promise: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ContactRecord(Base):
    """A person or mailbox at a debtor. `position` keeps the order the contacts were given in.

    A contact without a postal address has `address_lines` NULL; with one, `address_lines` holds
    its lines joined by newlines (an empty string for an address with only a postcode)."""

    __tablename__ = "contacts"
    __table_args__ = (
        ForeignKeyConstraint(
            ["creditor_id", "debtor_id"], ["debtors.creditor_id", "debtors.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("debtor_id", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    debtor_id: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(64))
    address_lines: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(2))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=True)


class DocumentRecord(Base):
    """An invoice or a credit note. `amount_minor` is positive for both kinds; `open_minor` is
    what is still unpaid (invoice) or unapplied (credit note)."""

    __tablename__ = "documents"
    __table_args__ = (
        ForeignKeyConstraint(["creditor_id", "debtor_id"], ["debtors.creditor_id", "debtors.id"]),
        UniqueConstraint("creditor_id", "kind", "number"),
        UniqueConstraint("creditor_id", "id"),
        Index("ix_documents_creditor_id_status_due_date", "creditor_id", "status", "due_date"),
        Index("ix_documents_creditor_id_debtor_id", "creditor_id", "debtor_id"),
        CheckConstraint(_one_of("kind", DOCUMENT_KINDS), name="kind"),
        CheckConstraint(_one_of("status", DOCUMENT_STATUSES), name="status"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("open_minor >= 0 AND open_minor <= amount_minor", name="open_within_amount"),
        CheckConstraint("due_date >= issue_date", name="due_not_before_issue"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    debtor_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[str] = mapped_column(String(64))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    open_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))
    external_reference: Mapped[str | None] = mapped_column(String(128))
    po_number: Mapped[str | None] = mapped_column(String(64))


class PaymentRecord(Base):
    """Cash received. `debtor_id` is NULL while the payment is not matched to a debtor."""

    __tablename__ = "payments"
    __table_args__ = (
        ForeignKeyConstraint(["creditor_id", "debtor_id"], ["debtors.creditor_id", "debtors.id"]),
        UniqueConstraint("creditor_id", "reference"),
        UniqueConstraint("creditor_id", "id"),
        Index("ix_payments_creditor_id_debtor_id", "creditor_id", "debtor_id"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "unallocated_minor >= 0 AND unallocated_minor <= amount_minor", name="unallocated_within_amount"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    debtor_id: Mapped[int | None] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(128))
    received_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    unallocated_minor: Mapped[int] = mapped_column(BigInteger)


class AllocationRecord(Base):
    """Part of a payment, or of a credit note, settling part of an invoice on a date."""

    __tablename__ = "allocations"
    __table_args__ = (
        ForeignKeyConstraint(["creditor_id", "document_id"], ["documents.creditor_id", "documents.id"]),
        ForeignKeyConstraint(["creditor_id", "payment_id"], ["payments.creditor_id", "payments.id"]),
        ForeignKeyConstraint(["creditor_id", "credit_note_id"], ["documents.creditor_id", "documents.id"]),
        Index("ix_allocations_creditor_id_document_id", "creditor_id", "document_id"),
        Index("ix_allocations_creditor_id_payment_id", "creditor_id", "payment_id"),
        Index("ix_allocations_creditor_id_credit_note_id", "creditor_id", "credit_note_id"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "(payment_id IS NULL) <> (credit_note_id IS NULL)", name="from_one_payment_or_credit_note"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    document_id: Mapped[int] = mapped_column(Integer)
    payment_id: Mapped[int | None] = mapped_column(Integer)
    credit_note_id: Mapped[int | None] = mapped_column(Integer)
    allocated_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)


metadata = Base.metadata


# The other areas' tables register on the same metadata; imported last because they use Base
# and the ledger's records. Migrations and the schema test see every table through `metadata`.
from arrears.store import (  # noqa: E402, F401
    tables_agent,
    tables_collections,
    tables_comms,
    tables_connections,
    tables_deals,
    tables_intake,
    tables_mailbox,
)
