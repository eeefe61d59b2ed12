"""What a cycle reads: the planner's ledger snapshot, built fast enough for a million invoices.

`CollectionQueries.snapshot(creditor, as_of)` gives `arrears.core.snapshot.LedgerSnapshot`: the
creditor, its debtors (without their contacts: the planner does not read them), its open
documents issued by `as_of`, and each debtor's last payment received by `as_of`.

Speed: the open documents are read with one statement on the driver's own cursor (no ORM, no
SQLAlchemy result processing), only the four values the planner reads of each (number, due
date, currency, open amount in minor units, plus its debtor and kind to group it), and kept as
plain tuples grouped by debtor (`OpenItems`): no `Document` or `Money` is built per row. The
store validated these rows on the way in (`DocumentRepository.add_rows`, `Document` itself) and
the schema's CHECK constraints hold them, so nothing is checked again here.

Debtors are built without `Debtor.__post_init__`'s checks, for the same reason (`_debtors`):
a field added to `Debtor` must be added there too, or the import fails.
"""

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select

from arrears.core.ledger import Debtor, DebtorFlag
from arrears.core.money import Money, minor_units
from arrears.core.snapshot import LedgerSnapshot, OpenItem, OpenItems
from arrears.store.repositories._common import Repository
from arrears.store.repositories.creditors import CreditorRepository
from arrears.store.repositories.debtors import FLAG_COLUMNS
from arrears.store.tables import DebtorRecord, DocumentRecord, PaymentRecord

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
# The trusted path sets every field by hand: a field added to the core value must be added
# here too, or it would be missing from every debtor read this way. Fail at import instead.
if tuple(f.name for f in fields(Debtor)) != _DEBTOR_FIELDS:  # pragma: no cover
    raise RuntimeError("arrears.core.ledger changed: update the trusted debtors of collections_snapshot")

_new = object.__new__
_set = object.__setattr__

_OPEN_DOCUMENTS = """
SELECT d.debtor_id, d.number, d.due_date, d.currency,
       CASE d.kind WHEN 'invoice' THEN d.open_minor ELSE -d.open_minor END
FROM documents d
WHERE d.creditor_id = {creditor} AND d.status IN ('open', 'part_paid') AND d.open_minor > 0
  AND d.issue_date <= {as_of}{debtor}
ORDER BY d.id
"""
_FETCH = 10_000  # rows per fetch: the driver's tuples for a whole creditor are not all alive at once
_SORT_MEMORY_KB = 64 * 1024  # PostgreSQL's work_mem while the open documents are sorted


def trusted_money(minor: int, currency: str) -> Money:
    """`Money.from_minor_units` for amounts read back from the store (see the module docstring)."""
    money = _new(Money)
    _set(money, "amount", Decimal(minor).scaleb(-minor_units(currency)))
    _set(money, "currency", currency)
    return money


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
        return LedgerSnapshot(
            creditor=creditor_value,
            debtors=tuple(debtors),
            last_payments=self.last_payments(creditor, as_of, debtor_id=debtor_id),
            open_items=self._open_items(creditor_id, as_of, codes, debtor_id),
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
        setters = [Debtor.__dict__[name].__set__ for name in _DEBTOR_FIELDS]  # faster than setattr
        debtors = []
        codes: dict[int, str] = {}
        for row in rows:
            record_id, code, name, currency, terms, limit, language, timezone, *set_flags = row
            codes[record_id] = code
            debtor = _new(Debtor)
            for setter, value in zip(
                setters,
                (
                    creditor,
                    code,
                    name,
                    currency,
                    terms,
                    None if limit is None else trusted_money(limit, currency),
                    language,
                    timezone,
                    (),
                    frozenset(flag for flag, on in zip(flags, set_flags, strict=True) if on)
                    if any(set_flags)
                    else no_flags,
                ),
                strict=True,
            ):
                setter(debtor, value)
            debtors.append(debtor)
        return debtors, codes

    def _open_items(
        self, creditor_id: int, as_of: date, codes: dict[int, str], debtor_id: int | None
    ) -> OpenItems:
        """The open documents as the planner reads them: `OpenItem` tuples, grouped by debtor
        in the order they were entered (by id), invoices apart from credit notes."""
        connection = self._session.connection()
        sqlite = connection.dialect.name == "sqlite"
        marker = "?" if sqlite else "%s"
        parameters: list[Any] = [creditor_id, as_of.isoformat() if sqlite else as_of]
        debtor_filter = ""
        if debtor_id is not None:
            debtor_filter = f" AND d.debtor_id = {marker}"
            parameters.append(debtor_id)
        sql = _OPEN_DOCUMENTS.format(creditor=marker, as_of=marker, debtor=debtor_filter)
        invoices: dict[int, list[OpenItem]] = {}
        credit_notes: dict[int, list[OpenItem]] = {}
        driver = connection.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        try:
            restore = None if sqlite else _room_to_sort(cursor)
            cursor.execute(sql, parameters)
            dates: dict[str, date] = {}  # SQLite's ISO text, each distinct day parsed once
            currencies: dict[str, str] = {}  # one string per currency, not one per document
            while rows := cursor.fetchmany(_FETCH):
                if sqlite:
                    _group_sqlite_rows(rows, invoices, credit_notes, dates, currencies)
                else:
                    _group_rows(rows, invoices, credit_notes, currencies)
            if restore is not None:
                cursor.execute("SELECT set_config('work_mem', %s, true)", [restore])
        finally:
            cursor.close()
        return OpenItems(
            {codes[key]: found for key, found in invoices.items()},
            {codes[key]: found for key, found in credit_notes.items()},
        )


def _room_to_sort(cursor: Any) -> str | None:
    """PostgreSQL: sort one creditor's open documents in memory. With the default `work_mem`
    (4 MB) the ORDER BY of 50,000 documents spills to disk, which measured a third of the
    query's time. Raised for this transaction only, never lowered; returns the value to put
    back after the query (None: nothing changed)."""
    cursor.execute("SELECT current_setting('work_mem'), pg_size_bytes(current_setting('work_mem'))")
    previous, size = cursor.fetchone()
    if size >= _SORT_MEMORY_KB * 1024:
        return None
    cursor.execute("SELECT set_config('work_mem', %s, true)", [f"{_SORT_MEMORY_KB}kB"])
    return str(previous)


# The two loops below run once per open document: they keep to tuple unpacking and dictionary
# look-ups, and group by debtor id (the account codes are put in once per debtor, at the end).
# The query gives a credit note's open amount negated, so that the kind, known from the sign
# (open amounts are positive), is not one more text value per row. The driver makes a new
# string for every currency code it reads; keeping one per currency keeps the snapshot smaller
# and the planner's reads of it cheaper.


def _group_sqlite_rows(
    rows: list[Any],
    invoices: dict[int, list[OpenItem]],
    credit_notes: dict[int, list[OpenItem]],
    dates: dict[str, date],
    currencies: dict[str, str],
) -> None:
    """SQLite gives dates as ISO text: each distinct due date is parsed once."""
    for debtor_id, number, due, read_currency, signed in rows:
        due_date = dates.get(due)
        if due_date is None:
            due_date = dates[due] = date.fromisoformat(due)
        currency = currencies.setdefault(read_currency, read_currency)
        if signed > 0:
            found = invoices.get(debtor_id)
            if found is None:
                invoices[debtor_id] = [(number, due_date, currency, signed)]
            else:
                found.append((number, due_date, currency, signed))
        else:
            credit_notes.setdefault(debtor_id, []).append((number, due_date, currency, -signed))


def _group_rows(
    rows: list[Any],
    invoices: dict[int, list[OpenItem]],
    credit_notes: dict[int, list[OpenItem]],
    currencies: dict[str, str],
) -> None:
    """PostgreSQL gives dates as dates."""
    for debtor_id, number, due_date, read_currency, signed in rows:
        currency = currencies.setdefault(read_currency, read_currency)
        if signed > 0:
            found = invoices.get(debtor_id)
            if found is None:
                invoices[debtor_id] = [(number, due_date, currency, signed)]
            else:
                found.append((number, due_date, currency, signed))
        else:
            credit_notes.setdefault(debtor_id, []).append((number, due_date, currency, -signed))


def _as_date(value: Any) -> date:
    """A date from the driver: PostgreSQL gives dates, SQLite ISO text (through raw SQL) or dates."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
