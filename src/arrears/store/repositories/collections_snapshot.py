"""What a cycle reads: the planner's ledger snapshot, built fast enough for a million invoices.

`CollectionQueries.snapshot(creditor, as_of)` gives `arrears.core.snapshot.LedgerSnapshot`: the
creditor, its debtors (without their contacts: the planner does not read them), its open
documents issued by `as_of`, and each debtor's last payment received by `as_of`.

Speed: documents are read with one statement on the driver's own cursor (no ORM, no
SQLAlchemy result processing) and built with `trusted_document`, which skips the checks of
`Document.__post_init__`. That is safe only because these rows were checked on the way in
(`DocumentRepository.add_rows`, `Document` itself) and the schema's CHECK constraints hold
them (positive amount, open amount within it, due date not before the issue date, known kind
and status); the fast path is for rows read back from this store and nothing else. Measured
on the benchmark ledger (bench/cycle.py), it builds documents about twice as fast as
`Document(...)`.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select

from arrears.core.ledger import Debtor, DebtorFlag, Document, DocumentKind, DocumentStatus
from arrears.core.money import Money, minor_units
from arrears.core.snapshot import LedgerSnapshot
from arrears.store.repositories._common import Repository
from arrears.store.repositories.creditors import CreditorRepository
from arrears.store.repositories.debtors import FLAG_COLUMNS
from arrears.store.tables import DebtorRecord, DocumentRecord, PaymentRecord

_DOCUMENT_FIELDS = (
    "creditor",
    "debtor",
    "kind",
    "number",
    "issue_date",
    "due_date",
    "amount",
    "open_amount",
    "status",
    "external_reference",
    "po_number",
)
_DEBTOR_FIELDS = (
    "creditor",
    "account_code",
    "name",
    "currency",
    "payment_terms_days",
    "credit_limit",
    "language",
    "timezone",
    "contacts",
    "flags",
)
# The trusted path sets every field by hand: a field added to the core values must be added
# here too, or it would be missing from every value read this way. Fail at import instead.
if (
    tuple(f.name for f in fields(Document)) != _DOCUMENT_FIELDS
    or tuple(  # pragma: no cover
        f.name for f in fields(Debtor)
    )
    != _DEBTOR_FIELDS
):
    raise RuntimeError("arrears.core.ledger changed: update the trusted constructors of collections_snapshot")

_new = object.__new__
_set = object.__setattr__
_KINDS = {kind.value: kind for kind in DocumentKind}
_STATUSES = {status.value: status for status in DocumentStatus}

_OPEN_DOCUMENTS = """
SELECT d.debtor_id, d.kind, d.number, d.issue_date, d.due_date, d.currency, d.amount_minor,
       d.open_minor, d.status
FROM documents d
WHERE d.creditor_id = {creditor} AND d.status IN ('open', 'part_paid') AND d.open_minor > 0
  AND d.issue_date <= {as_of}{debtor}
ORDER BY d.id
"""


def trusted_money(minor: int, currency: str) -> Money:
    """`Money.from_minor_units` for amounts read back from the store (see the module docstring)."""
    money = _new(Money)
    _set(money, "amount", Decimal(minor).scaleb(-minor_units(currency)))
    _set(money, "currency", currency)
    return money


def trusted_document(
    creditor: str,
    debtor: str,
    kind: DocumentKind,
    number: str,
    issue_date: date,
    due_date: date,
    amount: Money,
    open_amount: Money,
    status: DocumentStatus,
) -> Document:
    """A `Document` from values this store validated when they were written, without checking
    them again (see the module docstring). Never use it for data from outside the store."""
    document = _new(Document)
    _set(document, "creditor", creditor)
    _set(document, "debtor", debtor)
    _set(document, "kind", kind)
    _set(document, "number", number)
    _set(document, "issue_date", issue_date)
    _set(document, "due_date", due_date)
    _set(document, "amount", amount)
    _set(document, "open_amount", open_amount)
    _set(document, "status", status)
    _set(document, "external_reference", None)
    _set(document, "po_number", None)
    return document


@dataclass(frozen=True, slots=True)
class DebtorExposure:
    """What a debtor owes a creditor in one currency as of a day (for the worklist).

    `balance`: open invoices less unapplied credit notes; `overdue`: open invoices past their
    due date; `oldest_due`: the due date of its oldest open invoice past due (None: none)."""

    debtor: str
    currency: str
    balance: Money
    overdue: Money
    oldest_due: date | None


class CollectionQueries(Repository):
    def snapshot(self, creditor: str, as_of: date, *, debtor: str | None = None) -> LedgerSnapshot:
        """The planner's snapshot of the creditor as of `as_of` (only one debtor's with `debtor`)."""
        creditor_value = CreditorRepository(self._session, self._creditor_id).get(creditor)
        creditor_id = self._creditor_id(creditor)
        debtor_id = None if debtor is None else self._debtor_id(creditor, creditor_id, debtor)
        debtors, codes = self._debtors(creditor, creditor_id, debtor_id)
        documents = tuple(self._open_documents(creditor, creditor_id, as_of, codes, debtor_id))
        return LedgerSnapshot(
            creditor=creditor_value,
            debtors=tuple(debtors),
            documents=documents,
            last_payments=self.last_payments(creditor, as_of, debtor_id=debtor_id),
        )

    def last_payments(self, creditor: str, as_of: date, *, debtor_id: int | None = None) -> dict[str, date]:
        """Each debtor's last payment received on or before `as_of` (matched payments only)."""
        creditor_id = self._creditor_id(creditor)
        query = (
            select(DebtorRecord.account_code, func.max(PaymentRecord.received_on))
            .join(DebtorRecord, DebtorRecord.id == PaymentRecord.debtor_id)
            .where(PaymentRecord.creditor_id == creditor_id, PaymentRecord.received_on <= as_of)
            .group_by(DebtorRecord.account_code)
        )
        if debtor_id is not None:
            query = query.where(PaymentRecord.debtor_id == debtor_id)
        return {code: _as_date(day) for code, day in self._session.execute(query)}

    def exposures(self, creditor: str, as_of: date) -> list[DebtorExposure]:
        """Each debtor's balance, overdue amount and oldest overdue due date per currency, from
        one GROUP BY over open documents (written-off and settled documents left out)."""
        creditor_id = self._creditor_id(creditor)
        invoice = DocumentRecord.kind == "invoice"
        overdue = invoice & (DocumentRecord.due_date < as_of)
        rows = self._session.execute(
            select(
                DebtorRecord.account_code,
                DocumentRecord.currency,
                func.sum(case((invoice, DocumentRecord.open_minor), else_=-DocumentRecord.open_minor)),
                func.sum(case((overdue, DocumentRecord.open_minor), else_=0)),
                func.min(case((overdue, DocumentRecord.due_date), else_=None)),
            )
            .join(DebtorRecord, DebtorRecord.id == DocumentRecord.debtor_id)
            .where(
                DocumentRecord.creditor_id == creditor_id,
                DocumentRecord.status.in_(("open", "part_paid")),
                DocumentRecord.open_minor > 0,
                DocumentRecord.issue_date <= as_of,
            )
            .group_by(DebtorRecord.account_code, DocumentRecord.currency)
            .order_by(DebtorRecord.account_code, DocumentRecord.currency)
        )
        return [
            DebtorExposure(
                code,
                currency,
                Money.from_minor_units(int(balance), currency),
                Money.from_minor_units(int(late), currency),
                None if oldest is None else _as_date(oldest),
            )
            for code, currency, balance, late, oldest in rows
        ]

    def _debtors(
        self, creditor: str, creditor_id: int, debtor_id: int | None
    ) -> tuple[list[Debtor], dict[int, str]]:
        """The creditor's debtors without their contacts (the planner does not read them), built
        by the trusted path like the documents; and account code by debtor id."""
        connection = self._session.connection()
        marker = "?" if connection.dialect.name == "sqlite" else "%s"
        sql = (
            "SELECT id, account_code, name, currency, payment_terms_days, credit_limit_minor, language, "
            f"timezone, {', '.join(FLAG_COLUMNS.values())} FROM debtors WHERE creditor_id = {marker}"
        )
        parameters: list[Any] = [creditor_id]
        if debtor_id is not None:
            sql += f" AND id = {marker}"
            parameters.append(debtor_id)
        driver = connection.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        try:
            cursor.execute(sql + " ORDER BY account_code", parameters)
            rows = cursor.fetchall()
        finally:
            cursor.close()
        flags = list(FLAG_COLUMNS)
        no_flags: frozenset[DebtorFlag] = frozenset()
        debtors = []
        codes: dict[int, str] = {}
        for row in rows:
            record_id, code, name, currency, terms, limit, language, timezone, *set_flags = row
            codes[record_id] = code
            debtor = _new(Debtor)
            for field_name, value in (
                ("creditor", creditor),
                ("account_code", code),
                ("name", name),
                ("currency", currency),
                ("payment_terms_days", terms),
                ("credit_limit", None if limit is None else trusted_money(limit, currency)),
                ("language", language),
                ("timezone", timezone),
                ("contacts", ()),
                (
                    "flags",
                    frozenset(flag for flag, on in zip(flags, set_flags, strict=True) if on)
                    if any(set_flags)
                    else no_flags,
                ),
            ):
                _set(debtor, field_name, value)
            debtors.append(debtor)
        return debtors, codes

    def _open_documents(
        self, creditor: str, creditor_id: int, as_of: date, codes: dict[int, str], debtor_id: int | None
    ) -> Iterator[Document]:
        connection = self._session.connection()
        sqlite = connection.dialect.name == "sqlite"
        marker = "?" if sqlite else "%s"
        parameters: list[Any] = [creditor_id, as_of.isoformat() if sqlite else as_of]
        debtor_filter = ""
        if debtor_id is not None:
            debtor_filter = f" AND d.debtor_id = {marker}"
            parameters.append(debtor_id)
        sql = _OPEN_DOCUMENTS.format(creditor=marker, as_of=marker, debtor=debtor_filter)
        dates: dict[Any, date] = {}
        parse: Callable[[Any], date] = date.fromisoformat if sqlite else _as_date
        driver = connection.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        try:
            cursor.execute(sql, parameters)
            while rows := cursor.fetchmany(10_000):
                yield from _documents(creditor, rows, codes, dates, parse)
        finally:
            cursor.close()


def _slot_setters(kind: type, names: tuple[str, ...]) -> tuple[Callable[[Any, Any], None], ...]:
    """Each field's slot descriptor `__set__`: a third faster than `object.__setattr__`, which
    looks the slot up by name on every call."""
    return tuple(kind.__dict__[name].__set__ for name in names)


def _documents(
    creditor: str,
    rows: Sequence[Sequence[Any]],
    codes: dict[int, str],
    dates: dict[Any, date],
    parse: Callable[[Any], date],
) -> Iterator[Document]:
    """`trusted_document` and `trusted_money`, inlined: this loop runs once per open document."""
    kinds, statuses, new, money_type, document_type = _KINDS, _STATUSES, _new, Money, Document
    set_value, set_currency = _slot_setters(Money, ("amount", "currency"))
    (
        set_creditor,
        set_debtor,
        set_kind,
        set_number,
        set_issue,
        set_due,
        set_amount,
        set_open,
        set_status,
        set_reference,
        set_po,
    ) = _slot_setters(Document, _DOCUMENT_FIELDS)
    exponents: dict[str, int] = {}
    for debtor_id, kind, number, issued, due, currency, amount_minor, open_minor, status in rows:
        issue_date = dates.get(issued)
        if issue_date is None:
            issue_date = dates[issued] = parse(issued)
        due_date = dates.get(due)
        if due_date is None:
            due_date = dates[due] = parse(due)
        exponent = exponents.get(currency)
        if exponent is None:
            exponent = exponents[currency] = -minor_units(currency)
        amount = new(money_type)
        set_value(amount, Decimal(amount_minor).scaleb(exponent))
        set_currency(amount, currency)
        if open_minor == amount_minor:
            open_amount = amount
        else:
            open_amount = new(money_type)
            set_value(open_amount, Decimal(open_minor).scaleb(exponent))
            set_currency(open_amount, currency)
        document = new(document_type)
        set_creditor(document, creditor)
        set_debtor(document, codes[debtor_id])
        set_kind(document, kinds[kind])
        set_number(document, number)
        set_issue(document, issue_date)
        set_due(document, due_date)
        set_amount(document, amount)
        set_open(document, open_amount)
        set_status(document, statuses[status])
        set_reference(document, None)
        set_po(document, None)
        yield document


def _as_date(value: Any) -> date:
    """A date from the driver: PostgreSQL gives dates, SQLite ISO text (through raw SQL) or dates."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
