"""Debtors (a creditor's customer accounts) and their contacts."""

from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from arrears.core.errors import ArrearsError, NotFoundError
from arrears.core.ledger import Contact, Debtor, DebtorFlag, PostalAddress
from arrears.core.money import Money
from arrears.store.errors import ConstraintError, DuplicateError, WrongCreditorError
from arrears.store.repositories._common import CONTACTS, DEBTORS, IN_CHUNK, INSERT_CHUNK, Repository, chunks
from arrears.store.tables import ContactRecord, DebtorRecord

# One boolean column per flag. A flag added to `DebtorFlag` needs a column and a migration;
# the check below makes forgetting that fail at import rather than lose the flag silently.
FLAG_COLUMNS: dict[DebtorFlag, str] = {
    DebtorFlag.DO_NOT_CONTACT: "flag_do_not_contact",
    DebtorFlag.KEY_ACCOUNT: "flag_key_account",
    DebtorFlag.INSOLVENT: "flag_insolvent",
    DebtorFlag.CREDIT_HOLD: "flag_credit_hold",
    DebtorFlag.INDIVIDUAL: "flag_individual",
    DebtorFlag.BROKEN_PROMISE: "flag_broken_promise",  # migration 0003
}
if set(FLAG_COLUMNS) != set(DebtorFlag):  # pragma: no cover - a guard for developers
    missing = ", ".join(sorted(set(DebtorFlag) - set(FLAG_COLUMNS)))
    raise RuntimeError(f"debtor flags without a column in the store: {missing}")

ADDRESS_LINE_SEPARATOR = "\n"


def debtor_row(creditor_id: int, debtor: Debtor) -> dict[str, Any]:
    """The `debtors` row for a debtor (without its id)."""
    row: dict[str, Any] = {
        "creditor_id": creditor_id,
        "account_code": debtor.account_code,
        "name": debtor.name,
        "currency": debtor.currency,
        "payment_terms_days": debtor.payment_terms_days,
        # the credit limit is in the debtor's currency (the domain value insists on it)
        "credit_limit_minor": None if debtor.credit_limit is None else debtor.credit_limit.to_minor_units(),
        "language": debtor.language,
        "timezone": debtor.timezone,
    }
    for flag, column in FLAG_COLUMNS.items():
        row[column] = flag in debtor.flags
    return row


def contact_rows(creditor_id: int, debtor_id: int, contacts: Sequence[Contact]) -> list[dict[str, Any]]:
    rows = []
    for position, contact in enumerate(contacts):
        address = contact.address
        if address is not None and any(ADDRESS_LINE_SEPARATOR in line for line in address.lines):
            raise ConstraintError(
                f"contact {contact.name}: an address line contains a line break; give each line separately"
            )
        rows.append(
            {
                "creditor_id": creditor_id,
                "debtor_id": debtor_id,
                "position": position,
                "name": contact.name,
                "role": contact.role,
                "email": contact.email,
                "phone": contact.phone,
                "address_lines": None if address is None else ADDRESS_LINE_SEPARATOR.join(address.lines),
                "postcode": None if address is None else address.postcode,
                "country": None if address is None else address.country,
                "is_primary": contact.primary,
            }
        )
    return rows


def to_contact(record: ContactRecord) -> Contact:
    address = None
    if record.address_lines is not None:
        lines = tuple(record.address_lines.split(ADDRESS_LINE_SEPARATOR)) if record.address_lines else ()
        address = PostalAddress(lines=lines, postcode=record.postcode or "", country=record.country or "")
    return Contact(
        name=record.name,
        email=record.email,
        phone=record.phone,
        address=address,
        role=record.role,
        primary=record.is_primary,
    )


def to_debtor(creditor: str, record: DebtorRecord, contacts: Iterable[ContactRecord]) -> Debtor:
    return Debtor(
        creditor=creditor,
        account_code=record.account_code,
        name=record.name,
        currency=record.currency,
        payment_terms_days=record.payment_terms_days,
        credit_limit=(
            None
            if record.credit_limit_minor is None
            else Money.from_minor_units(record.credit_limit_minor, record.currency)
        ),
        language=record.language,
        timezone=record.timezone,
        contacts=tuple(to_contact(contact) for contact in contacts),
        flags=frozenset(flag for flag, column in FLAG_COLUMNS.items() if getattr(record, column)),
    )


def load_debtors(session: Session, creditor: str, creditor_id: int) -> list[Debtor]:
    """All of a creditor's debtors with their contacts, by account code (two queries)."""
    contacts: dict[int, list[ContactRecord]] = {}
    for contact in session.scalars(
        select(ContactRecord)
        .where(ContactRecord.creditor_id == creditor_id)
        .order_by(ContactRecord.debtor_id, ContactRecord.position)
    ):
        contacts.setdefault(contact.debtor_id, []).append(contact)
    records = session.scalars(
        select(DebtorRecord)
        .where(DebtorRecord.creditor_id == creditor_id)
        .order_by(DebtorRecord.account_code)
    )
    return [to_debtor(creditor, record, contacts.get(record.id, ())) for record in records]


class DebtorRepository(Repository):
    def add(self, creditor: str, debtors: Iterable[Debtor]) -> int:
        """Add new debtors with their contacts, in bulk; returns how many were added.

        Account codes must be new for the creditor (`DuplicateError` otherwise, and nothing of
        the batch is kept).
        """
        creditor_id = self._creditor_id(creditor)
        added = 0
        for chunk in chunks(debtors, INSERT_CHUNK):
            for debtor in chunk:
                self._check_creditor(creditor, debtor)
            codes = [debtor.account_code for debtor in chunk]
            ids = self._insert(
                DEBTORS,
                [debtor_row(creditor_id, debtor) for debtor in chunk],
                partial(self._explain_duplicates, creditor, creditor_id, codes),
                return_ids=True,
            )
            contacts = [
                row
                for debtor, debtor_id in zip(chunk, ids, strict=True)
                for row in contact_rows(creditor_id, debtor_id, debtor.contacts)
            ]
            self._insert(CONTACTS, contacts, lambda: None)
            added += len(chunk)
        return added

    def update(self, creditor: str, debtor: Debtor) -> None:
        """Replace a debtor's details, flags and contacts (found by its account code)."""
        self._check_creditor(creditor, debtor)
        creditor_id = self._creditor_id(creditor)
        debtor_id = self._debtor_id(creditor, creditor_id, debtor.account_code)
        self._session.execute(
            update(DEBTORS)
            .where(DEBTORS.c.creditor_id == creditor_id, DEBTORS.c.id == debtor_id)
            .values(debtor_row(creditor_id, debtor))
        )
        self._session.execute(
            delete(CONTACTS).where(CONTACTS.c.creditor_id == creditor_id, CONTACTS.c.debtor_id == debtor_id)
        )
        self._insert(CONTACTS, contact_rows(creditor_id, debtor_id, debtor.contacts), lambda: None)

    def set_flags(self, creditor: str, account_code: str, flags: Iterable[DebtorFlag]) -> None:
        """Set a debtor's flags to exactly `flags` (e.g. the SME nominates it not to contact)."""
        creditor_id = self._creditor_id(creditor)
        debtor_id = self._debtor_id(creditor, creditor_id, account_code)
        wanted = set(flags)
        self._session.execute(
            update(DEBTORS)
            .where(DEBTORS.c.creditor_id == creditor_id, DEBTORS.c.id == debtor_id)
            .values({column: flag in wanted for flag, column in FLAG_COLUMNS.items()})
        )

    def get(self, creditor: str, account_code: str) -> Debtor:
        creditor_id = self._creditor_id(creditor)
        record = self._session.scalar(
            select(DebtorRecord).where(
                DebtorRecord.creditor_id == creditor_id, DebtorRecord.account_code == account_code
            )
        )
        if record is None:
            raise NotFoundError(f"creditor {creditor} has no debtor {account_code!r}")
        contacts = self._session.scalars(
            select(ContactRecord)
            .where(ContactRecord.creditor_id == creditor_id, ContactRecord.debtor_id == record.id)
            .order_by(ContactRecord.position)
        )
        return to_debtor(creditor, record, contacts)

    def list_all(self, creditor: str) -> list[Debtor]:
        """All the creditor's debtors with their contacts, by account code."""
        return load_debtors(self._session, creditor, self._creditor_id(creditor))

    @staticmethod
    def _check_creditor(creditor: str, debtor: Debtor) -> None:
        if debtor.creditor != creditor:
            raise WrongCreditorError(
                f"debtor {debtor.account_code} belongs to creditor {debtor.creditor}, not {creditor}"
            )

    def _explain_duplicates(self, creditor: str, creditor_id: int, codes: list[str]) -> ArrearsError | None:
        seen: set[str] = set()
        for code in codes:
            if code in seen:
                return DuplicateError(f"debtor {code!r} is given twice for creditor {creditor}")
            seen.add(code)
        existing = sorted(self._debtor_ids(creditor_id, codes))
        if existing:
            shown = ", ".join(existing[:5]) + (" ..." if len(existing) > 5 else "")
            return DuplicateError(f"creditor {creditor} already has debtor(s) {shown}")
        return None

    # --- added for accounting connections (arrears.services.sync_accounting) ------------------

    def upsert_from_source(
        self, creditor: str, debtors: Iterable[Debtor], *, add_new: bool = True, update_existing: bool = True
    ) -> tuple[int, int]:
        """Bring accounts from an accounting package into the ledger, matched by account code;
        returns (added, updated), `updated` counting only accounts whose stored values changed.

        New accounts are added whole (with `add_new`). For accounts already in the ledger (with
        `update_existing`) the package owns the name, the currency (unless a credit limit is set
        in the old one) and, when it gives any, the contacts; payment terms, credit limit,
        language, timezone and flags stay as they were set in Arrears. An account given twice
        counts once, the last one given.
        """
        by_code: dict[str, Debtor] = {}
        for debtor in debtors:
            self._check_creditor(creditor, debtor)
            by_code[debtor.account_code] = debtor
        creditor_id = self._creditor_id(creditor)
        existing = self._debtor_ids(creditor_id, by_code)
        new = [debtor for code, debtor in by_code.items() if code not in existing]
        added = self.add(creditor, new) if add_new and new else 0
        if not update_existing or not existing:
            return added, 0
        ids = list(existing.values())
        stored: dict[int, tuple[str, str, int | None]] = {}
        stored_contacts: dict[int, list[dict[str, Any]]] = {}
        columns = [c for c in CONTACTS.c if c.name not in ("id",)]
        for chunk in chunks(ids, IN_CHUNK):
            for debtor_id, name, currency, limit in self._session.execute(
                select(DEBTORS.c.id, DEBTORS.c.name, DEBTORS.c.currency, DEBTORS.c.credit_limit_minor).where(
                    DEBTORS.c.creditor_id == creditor_id, DEBTORS.c.id.in_(chunk)
                )
            ):
                stored[debtor_id] = (name, currency, limit)
            for row in self._session.execute(
                select(*columns)
                .where(CONTACTS.c.creditor_id == creditor_id, CONTACTS.c.debtor_id.in_(chunk))
                .order_by(CONTACTS.c.debtor_id, CONTACTS.c.position)
            ):
                stored_contacts.setdefault(row.debtor_id, []).append(dict(row._mapping))
        updated = 0
        for code, debtor_id in existing.items():
            source = by_code[code]
            name, currency, limit = stored[debtor_id]
            wanted_currency = source.currency if limit is None else currency
            changed = False
            if (name, currency) != (source.name, wanted_currency):
                self._session.execute(
                    update(DEBTORS)
                    .where(DEBTORS.c.creditor_id == creditor_id, DEBTORS.c.id == debtor_id)
                    .values(name=source.name, currency=wanted_currency)
                )
                changed = True
            rows = contact_rows(creditor_id, debtor_id, source.contacts)
            if rows and rows != stored_contacts.get(debtor_id, []):
                self._session.execute(
                    delete(CONTACTS).where(
                        CONTACTS.c.creditor_id == creditor_id, CONTACTS.c.debtor_id == debtor_id
                    )
                )
                self._insert(CONTACTS, rows, lambda: None)
                changed = True
            updated += changed
        return added, updated
