"""Read-side queries over a creditor's whole ledger: snapshots, balances and ageing in SQL."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, SQLColumnExpression, case, cast, func, literal, select
from sqlalchemy.orm import aliased

from arrears.core.ageing import DEFAULT_BUCKETS, AgeingBasis, AgeingReport, Buckets
from arrears.core.ledger import Creditor, Debtor, Document, Payment
from arrears.core.money import Money
from arrears.store.repositories._common import Repository
from arrears.store.repositories.creditors import CreditorRepository
from arrears.store.repositories.debtors import load_debtors
from arrears.store.repositories.documents import select_documents, to_document
from arrears.store.repositories.payments import select_payments, to_payment
from arrears.store.tables import OPEN_STATUSES, AllocationRecord, DebtorRecord, DocumentRecord, PaymentRecord
from arrears.store.tables_deals import WriteOffRecord

# Documents that left the ledger without being paid: they count toward no balance.
OFF_LEDGER_STATUSES = ("written_off", "settled_in_source")

AgeingTotalRow = tuple[str, str, int, int, int]
"""(debtor account code, currency, bucket index, signed open amount in minor units, document count)"""


@dataclass(frozen=True, slots=True)
class LedgerSnapshot:
    """A creditor's ledger as plain values, as a cycle or a report reads it.

    `documents` are the open documents (open or part-paid, something still open) issued on or
    before `as_of`, with their open amounts as they stand now; `payments` are the payments
    received on or before `as_of` that still have cash unallocated.
    """

    creditor: Creditor
    as_of: date
    debtors: tuple[Debtor, ...]
    documents: tuple[Document, ...]
    payments: tuple[Payment, ...]

    def documents_of(self, debtor: str) -> tuple[Document, ...]:
        return tuple(document for document in self.documents if document.debtor == debtor)


def signed_open_minor() -> ColumnElement[int]:
    """A document's open amount as it counts toward the balance: credit notes negative."""
    return case(
        (DocumentRecord.kind == "invoice", DocumentRecord.open_minor),
        else_=-DocumentRecord.open_minor,
    )


def bucket_index(reference: SQLColumnExpression[date], thresholds: Sequence[date]) -> ColumnElement[int]:
    """`Buckets.index_for(days)` in SQL: the first i with reference date >= thresholds[i],
    else the last bucket (see `Buckets.date_thresholds`)."""
    return case(
        *((reference >= threshold, literal(index)) for index, threshold in enumerate(thresholds)),
        else_=literal(len(thresholds)),
    )


@dataclass(frozen=True, slots=True)
class OpenAt:
    """A document's open amount at the end of a past day, as SQL pieces to add to a query:
    `amount` (minor units, unsigned) and the outer `joins` it needs."""

    amount: ColumnElement[int]
    joins: tuple[tuple[Any, ColumnElement[bool]], ...]


def open_minor_at(creditor_id: int, at: date) -> OpenAt:
    """The open amount at the end of `at`, counting back from today's as the core does
    (`arrears.core.metrics.receivables_as_of`, `arrears.core.ageing.ageing`): what is open now
    (nothing unless open or part-paid) plus the allocations dated after `at` to the invoice,
    or from the credit note, plus the write-offs of the invoice applied after `at` (an invoice
    written off on day W was still owed at the end of W-1)."""
    later = aliased(AllocationRecord)
    settled_later = (
        select(later.document_id.label("document_id"), func.sum(later.amount_minor).label("amount"))
        .where(later.creditor_id == creditor_id, later.allocated_on > at)
        .group_by(later.document_id)
        .subquery()
    )
    applied_later = (
        select(later.credit_note_id.label("document_id"), func.sum(later.amount_minor).label("amount"))
        .where(later.creditor_id == creditor_id, later.credit_note_id.is_not(None), later.allocated_on > at)
        .group_by(later.credit_note_id)
        .subquery()
    )
    written_off_later = (
        select(
            WriteOffRecord.document_id.label("document_id"),
            func.sum(WriteOffRecord.amount_minor).label("amount"),
        )
        .where(
            WriteOffRecord.creditor_id == creditor_id,
            WriteOffRecord.state == "applied",
            WriteOffRecord.written_off_on > at,
        )
        .group_by(WriteOffRecord.document_id)
        .subquery()
    )
    open_now = case((DocumentRecord.status.in_(OPEN_STATUSES), DocumentRecord.open_minor), else_=0)
    amount = open_now + case(
        (
            DocumentRecord.kind == "invoice",
            func.coalesce(settled_later.c.amount, 0) + func.coalesce(written_off_later.c.amount, 0),
        ),
        else_=func.coalesce(applied_later.c.amount, 0),
    )
    return OpenAt(
        amount=amount,
        joins=(
            (settled_later, settled_later.c.document_id == DocumentRecord.id),
            (applied_later, applied_later.c.document_id == DocumentRecord.id),
            (written_off_later, written_off_later.c.document_id == DocumentRecord.id),
        ),
    )


def summed(expression: ColumnElement[Any]) -> ColumnElement[int]:
    """SUM as a Python int on both engines (PostgreSQL sums bigints into numeric), 0 for none."""
    return cast(func.coalesce(func.sum(expression), 0), BigInteger)


class LedgerQueries(Repository):
    def snapshot(self, creditor: str, as_of: date) -> LedgerSnapshot:
        """The creditor, all its debtors, its open documents and its unallocated payments."""
        creditor_value = CreditorRepository(self._session, self._creditor_id).get(creditor)
        creditor_id = self._creditor_id(creditor)
        documents = self._session.execute(
            select_documents(creditor_id)
            .where(
                DocumentRecord.status.in_(OPEN_STATUSES),
                DocumentRecord.open_minor > 0,
                DocumentRecord.issue_date <= as_of,
            )
            .order_by(DebtorRecord.account_code, DocumentRecord.due_date, DocumentRecord.number)
        )
        payments = self._session.execute(
            select_payments(creditor_id)
            .where(PaymentRecord.unallocated_minor > 0, PaymentRecord.received_on <= as_of)
            .order_by(PaymentRecord.received_on, PaymentRecord.reference)
        )
        return LedgerSnapshot(
            creditor=creditor_value,
            as_of=as_of,
            debtors=tuple(load_debtors(self._session, creditor, creditor_id)),
            documents=tuple(to_document(creditor, row) for row in documents),
            payments=tuple(to_payment(creditor, row) for row in payments),
        )

    def open_balances(self, creditor: str) -> dict[str, dict[str, Money]]:
        """Each debtor's open balance per currency, as `arrears.core.ledger.open_balances` gives
        it: open invoices less unapplied credit notes less unallocated cash, written-off and
        settled-in-source documents left out. Debtors with no documents or payments are absent;
        unmatched payments (no debtor) are not in any debtor's balance."""
        return self._open_balances(creditor, None)

    def open_balance(self, creditor: str, debtor: str) -> dict[str, Money]:
        """One debtor's open balance per currency (empty if it has no documents or payments)."""
        return self._open_balances(creditor, debtor).get(debtor, {})

    def _open_balances(self, creditor: str, debtor: str | None) -> dict[str, dict[str, Money]]:
        creditor_id = self._creditor_id(creditor)
        documents = (
            select(DebtorRecord.account_code, DocumentRecord.currency, summed(signed_open_minor()))
            .join(DebtorRecord, DebtorRecord.id == DocumentRecord.debtor_id)
            .where(
                DocumentRecord.creditor_id == creditor_id, DocumentRecord.status.not_in(OFF_LEDGER_STATUSES)
            )
            .group_by(DebtorRecord.account_code, DocumentRecord.currency)
        )
        payments = (
            select(
                DebtorRecord.account_code, PaymentRecord.currency, summed(-PaymentRecord.unallocated_minor)
            )
            .join(DebtorRecord, DebtorRecord.id == PaymentRecord.debtor_id)
            .where(PaymentRecord.creditor_id == creditor_id)
            .group_by(DebtorRecord.account_code, PaymentRecord.currency)
        )
        if debtor is not None:
            documents = documents.where(DebtorRecord.account_code == debtor)
            payments = payments.where(DebtorRecord.account_code == debtor)
        minor: dict[str, dict[str, int]] = {}
        for query in (documents, payments):
            for account_code, currency, amount in self._session.execute(query):
                per_currency = minor.setdefault(account_code, {})
                per_currency[currency] = per_currency.get(currency, 0) + amount
        return {
            account_code: {
                currency: Money.from_minor_units(amount, currency)
                for currency, amount in sorted(amounts.items())
            }
            for account_code, amounts in sorted(minor.items())
        }

    def ageing_totals(
        self,
        creditor: str,
        as_of: date,
        buckets: Buckets = DEFAULT_BUCKETS,
        basis: AgeingBasis = AgeingBasis.DUE_DATE,
    ) -> list[AgeingTotalRow]:
        """Open amounts per (debtor, currency, bucket) in one SQL `GROUP BY`, for
        `AgeingReport.from_bucket_totals`.

        The same rules as `arrears.core.ageing.ageing()`: documents issued by `as_of` with
        something open at its end (counting back from today's open amounts, see
        `open_minor_at`), credit notes negative, days counted from the due date or the issue
        date. The bucket is a CASE over `buckets.date_thresholds(as_of)`, so the
        database compares dates and never computes day differences (which SQLite and
        PostgreSQL do differently). Rows are ordered by account code, currency and bucket.
        """
        creditor_id = self._creditor_id(creditor)
        reference = (
            DocumentRecord.due_date
            if AgeingBasis(basis) is AgeingBasis.DUE_DATE
            else DocumentRecord.issue_date
        )
        open_then = open_minor_at(creditor_id, as_of)
        open_documents = (
            select(
                DebtorRecord.account_code.label("account_code"),
                DocumentRecord.currency.label("currency"),
                bucket_index(reference, buckets.date_thresholds(as_of)).label("bucket"),
                case((DocumentRecord.kind == "invoice", open_then.amount), else_=-open_then.amount).label(
                    "signed_open"
                ),
            )
            .join(DebtorRecord, DebtorRecord.id == DocumentRecord.debtor_id)
            .where(
                DocumentRecord.creditor_id == creditor_id,
                DocumentRecord.issue_date <= as_of,
                open_then.amount > 0,
            )
        )
        for join in open_then.joins:
            open_documents = open_documents.outerjoin(*join)
        open_documents_query = open_documents.subquery()
        # Grouping on the subquery's column, not on the CASE itself: PostgreSQL would not match
        # a GROUP BY CASE whose dates are bound parameters to the same CASE in the SELECT list.
        rows = open_documents_query.c
        totals = (
            select(rows.account_code, rows.currency, rows.bucket, summed(rows.signed_open), func.count())
            .group_by(rows.account_code, rows.currency, rows.bucket)
            .order_by(rows.account_code, rows.currency, rows.bucket)
        )
        return [
            (account_code, currency, int(bucket), int(amount), int(count))
            for account_code, currency, bucket, amount, count in self._session.execute(totals)
        ]

    def ageing_report(
        self,
        creditor: str,
        as_of: date,
        buckets: Buckets = DEFAULT_BUCKETS,
        basis: AgeingBasis = AgeingBasis.DUE_DATE,
    ) -> AgeingReport:
        """The creditor's ageing report as of a date, aggregated in the database."""
        rows = self.ageing_totals(creditor, as_of, buckets, basis)
        return AgeingReport.from_bucket_totals(as_of, AgeingBasis(basis), buckets, rows)
