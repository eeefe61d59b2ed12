"""Bank statements and their lines, the matches made from them and the unmatched queue.

A statement line is recorded once per creditor: its `fingerprint` (the same every time the
same file is read, see `arrears.intake.bank`) is unique per creditor, and so is a statement's
key, so re-importing a file adds nothing. A credit line is `matched` (it became a payment of a
debtor: `bank_matches`), `unmatched` (waiting in `bank_unmatched` for a person) or `ignored`
(a person said it is not a customer's payment); a debit line is `debit`.
"""

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update

from arrears.core.errors import NotFoundError
from arrears.core.matching import normalised_account
from arrears.core.money import Money
from arrears.intake.bank.statement import BankStatement
from arrears.store.errors import ConstraintError
from arrears.store.repositories._common import IN_CHUNK, Repository, chunks
from arrears.store.repositories.collections_policies import aware
from arrears.store.tables import DebtorRecord, PaymentRecord
from arrears.store.tables_deals import (
    BankMatchRecord,
    BankStatementRecord,
    BankTransactionRecord,
    BankUnmatchedRecord,
)


@dataclass(frozen=True, slots=True)
class StoredLine:
    """A statement line as recorded; `amount` is signed (credits positive)."""

    id: int
    statement_id: int
    fingerprint: str
    account: str
    booking_date: date
    value_date: date | None
    amount: Money
    narration: str
    counterparty_name: str | None
    counterparty_account: str | None
    reference: str | None
    end_to_end_id: str | None
    bank_reference: str | None
    transaction_code: str | None
    state: str


@dataclass(frozen=True, slots=True)
class StoredMatch:
    line: int
    payment: str
    debtor: str
    confidence: int
    method: str
    reasons: tuple[str, ...]
    matched_by: str
    matched_at: datetime


@dataclass(frozen=True, slots=True)
class QueuedLine:
    """A credit waiting for a person, with the matcher's suggestions (dicts: debtor, documents,
    confidence, method, reasons) best first."""

    line: StoredLine
    queued_at: datetime
    best_debtor: str | None
    best_confidence: int
    suggestions: tuple[dict[str, Any], ...]
    resolution: str | None = None
    resolved_by: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class StatementAdded:
    """What recording a statement did: its row (None when the same statement was recorded
    before), the new lines, and how many of its lines were known already."""

    statement_id: int | None
    new_lines: tuple[StoredLine, ...]
    known_lines: int


_LINE_COLUMNS = (
    BankTransactionRecord.id,
    BankTransactionRecord.statement_id,
    BankTransactionRecord.fingerprint,
    BankTransactionRecord.account,
    BankTransactionRecord.booking_date,
    BankTransactionRecord.value_date,
    BankTransactionRecord.currency,
    BankTransactionRecord.amount_minor,
    BankTransactionRecord.narration,
    BankTransactionRecord.counterparty_name,
    BankTransactionRecord.counterparty_account,
    BankTransactionRecord.reference,
    BankTransactionRecord.end_to_end_id,
    BankTransactionRecord.bank_reference,
    BankTransactionRecord.transaction_code,
    BankTransactionRecord.state,
)


def _line(row: Any) -> StoredLine:
    (
        id_,
        statement_id,
        fingerprint,
        account,
        booked,
        value,
        currency,
        amount,
        narration,
        name,
        iban,
        ref,
        e2e,
        bank,
        code,
        state,
    ) = row
    return StoredLine(
        id_,
        statement_id,
        fingerprint,
        account,
        booked,
        value,
        Money.from_minor_units(amount, currency),
        narration,
        name,
        iban,
        ref,
        e2e,
        bank,
        code,
        state,
    )


class BankRepository(Repository):
    def statement_exists(self, creditor: str, key: str) -> bool:
        return (
            self._session.scalar(
                select(BankStatementRecord.id).where(
                    BankStatementRecord.creditor_id == self._creditor_id(creditor),
                    BankStatementRecord.statement_key == key,
                )
            )
            is not None
        )

    def add_statement(
        self, creditor: str, statement: BankStatement, *, key: str, at: datetime, by: str
    ) -> StatementAdded:
        """Record a statement (unless its key is known) and those of its lines whose fingerprint
        is new: credits as `unmatched` (the caller matches them next), debits as `debit`."""
        creditor_id = self._creditor_id(creditor)
        if self.statement_exists(creditor, key):
            return StatementAdded(None, (), len(statement.transactions))
        record = BankStatementRecord(
            creditor_id=creditor_id,
            statement_key=key,
            source=statement.source,
            format=statement.format,
            account=statement.account,
            currency=statement.currency,
            statement_ref=statement.statement_id,
            opening_minor=None
            if statement.opening_balance is None
            else statement.opening_balance.to_minor_units(),
            closing_minor=None
            if statement.closing_balance is None
            else statement.closing_balance.to_minor_units(),
            from_date=statement.from_date,
            to_date=statement.to_date,
            bank=statement.bank,
            imported_at=at,
            imported_by=by[:100],
        )
        self._session.add(record)
        self._session.flush()
        fingerprints = [line.fingerprint for line in statement.transactions]
        known: set[str] = set()
        for chunk in chunks(fingerprints, IN_CHUNK):
            known.update(
                self._session.scalars(
                    select(BankTransactionRecord.fingerprint).where(
                        BankTransactionRecord.creditor_id == creditor_id,
                        BankTransactionRecord.fingerprint.in_(chunk),
                    )
                )
            )
        added: list[BankTransactionRecord] = []
        seen: set[str] = set()
        for line in statement.transactions:
            if line.fingerprint in known or line.fingerprint in seen or line.amount.is_zero:
                continue
            seen.add(line.fingerprint)
            added.append(
                BankTransactionRecord(
                    creditor_id=creditor_id,
                    statement_id=record.id,
                    fingerprint=line.fingerprint,
                    account=statement.account,
                    booking_date=line.booking_date,
                    value_date=line.value_date,
                    currency=line.amount.currency,
                    amount_minor=line.amount.to_minor_units(),
                    narration=line.narration,
                    counterparty_name=line.counterparty_name,
                    counterparty_account=line.counterparty_account,
                    reference=line.reference,
                    end_to_end_id=line.end_to_end_id,
                    bank_reference=line.bank_reference,
                    transaction_code=line.transaction_code,
                    state="unmatched" if line.amount.is_positive else "debit",
                )
            )
        self._session.add_all(added)
        self._session.flush()
        new = self.lines(creditor, ids=[line.id for line in added]) if added else []
        return StatementAdded(record.id, tuple(new), len(statement.transactions) - len(added))

    def lines(
        self, creditor: str, *, ids: Collection[int] | None = None, states: Collection[str] | None = None
    ) -> list[StoredLine]:
        """Lines by booking date then id."""
        creditor_id = self._creditor_id(creditor)
        conditions: list[ColumnElement[bool]] = [BankTransactionRecord.creditor_id == creditor_id]
        if states is not None:
            conditions.append(BankTransactionRecord.state.in_(list(states)))
        query = select(*_LINE_COLUMNS).where(*conditions)
        found: list[StoredLine] = []
        if ids is None:
            found = [_line(row) for row in self._session.execute(query)]
        else:
            for chunk in chunks(sorted(set(ids)), IN_CHUNK):
                found.extend(
                    _line(row)
                    for row in self._session.execute(query.where(BankTransactionRecord.id.in_(chunk)))
                )
        return sorted(found, key=lambda line: (line.booking_date, line.id))

    def line(self, creditor: str, line_id: int) -> StoredLine:
        found = self.lines(creditor, ids=[line_id])
        if not found:
            raise NotFoundError(f"creditor {creditor} has no bank line {line_id}")
        return found[0]

    def known_accounts(self, creditor: str) -> dict[str, frozenset[str]]:
        """Normalised payer account -> the debtors whose payments came from it (matched lines)."""
        creditor_id = self._creditor_id(creditor)
        found: dict[str, set[str]] = {}
        for account, code in self._session.execute(
            select(BankTransactionRecord.counterparty_account, DebtorRecord.account_code)
            .join(BankMatchRecord, BankMatchRecord.transaction_id == BankTransactionRecord.id)
            .join(DebtorRecord, DebtorRecord.id == BankMatchRecord.debtor_id)
            .where(
                BankTransactionRecord.creditor_id == creditor_id,
                BankTransactionRecord.counterparty_account.is_not(None),
            )
        ):
            normal = normalised_account(account or "")
            if normal:
                found.setdefault(normal, set()).add(code)
        return {account: frozenset(codes) for account, codes in found.items()}

    def record_match(
        self,
        creditor: str,
        line_id: int,
        *,
        payment: str,
        debtor: str,
        confidence: int,
        method: str,
        reasons: Sequence[str],
        by: str,
        at: datetime,
    ) -> StoredMatch:
        """Record that a credit line became `payment` of `debtor`; resolves its queue entry."""
        creditor_id = self._creditor_id(creditor)
        debtor_id = self._debtor_id(creditor, creditor_id, debtor)
        payment_id = self._session.scalar(
            select(PaymentRecord.id).where(
                PaymentRecord.creditor_id == creditor_id, PaymentRecord.reference == payment
            )
        )
        if payment_id is None:
            raise NotFoundError(f"creditor {creditor} has no payment {payment!r}")
        self._set_state(creditor, creditor_id, line_id, "matched", allowed=("unmatched",))
        self._session.add(
            BankMatchRecord(
                creditor_id=creditor_id,
                transaction_id=line_id,
                payment_id=payment_id,
                debtor_id=debtor_id,
                confidence=confidence,
                method=method[:40],
                reasons=json.dumps(list(reasons)),
                matched_by=by[:100],
                matched_at=at,
            )
        )
        self._resolve(creditor_id, line_id, "matched", by, at, None)
        self._session.flush()
        return StoredMatch(line_id, payment, debtor, confidence, method, tuple(reasons), by, at)

    def enqueue(
        self,
        creditor: str,
        line_id: int,
        *,
        best_debtor: str | None,
        best_confidence: int,
        suggestions: Sequence[dict[str, Any]],
        at: datetime,
    ) -> None:
        """Put an unmatched credit in the queue, or refresh its suggestions if it is there."""
        creditor_id = self._creditor_id(creditor)
        debtor_id = None if best_debtor is None else self._debtor_id(creditor, creditor_id, best_debtor)
        existing = self._session.scalar(
            select(BankUnmatchedRecord).where(
                BankUnmatchedRecord.creditor_id == creditor_id, BankUnmatchedRecord.transaction_id == line_id
            )
        )
        body = json.dumps(list(suggestions), sort_keys=True)
        if existing is None:
            self._session.add(
                BankUnmatchedRecord(
                    creditor_id=creditor_id,
                    transaction_id=line_id,
                    queued_at=at,
                    best_debtor_id=debtor_id,
                    best_confidence=best_confidence,
                    suggestions=body,
                )
            )
        else:
            existing.best_debtor_id = debtor_id
            existing.best_confidence = best_confidence
            existing.suggestions = body
        self._session.flush()

    def queue(self, creditor: str, *, include_resolved: bool = False) -> list[QueuedLine]:
        """The unmatched queue, oldest line first (with `include_resolved`, the history too)."""
        creditor_id = self._creditor_id(creditor)
        query = (
            select(BankUnmatchedRecord, DebtorRecord.account_code)
            .outerjoin(DebtorRecord, DebtorRecord.id == BankUnmatchedRecord.best_debtor_id)
            .where(BankUnmatchedRecord.creditor_id == creditor_id)
        )
        if not include_resolved:
            query = query.where(BankUnmatchedRecord.resolution.is_(None))
        rows = self._session.execute(query).all()
        lines = {
            line.id: line for line in self.lines(creditor, ids=[record.transaction_id for record, _ in rows])
        }
        found = []
        for record, code in rows:
            queued = aware(record.queued_at)
            assert queued is not None
            found.append(
                QueuedLine(
                    lines[record.transaction_id],
                    queued,
                    code,
                    record.best_confidence,
                    tuple(json.loads(record.suggestions)),
                    record.resolution,
                    record.resolved_by,
                    record.note,
                )
            )
        return sorted(found, key=lambda queued: (queued.line.booking_date, queued.line.id))

    def ignore(self, creditor: str, line_id: int, *, by: str, at: datetime, note: str) -> None:
        """A person says an unmatched credit is not a customer's payment (a refund, interest...)."""
        creditor_id = self._creditor_id(creditor)
        self._set_state(creditor, creditor_id, line_id, "ignored", allowed=("unmatched",))
        self._resolve(creditor_id, line_id, "ignored", by, at, note)

    def matches(
        self, creditor: str, *, booked_from: date | None = None, booked_to: date | None = None
    ) -> list[StoredMatch]:
        """Matches of lines booked in the range (both ends included), by booking date."""
        creditor_id = self._creditor_id(creditor)
        query = (
            select(BankMatchRecord, PaymentRecord.reference, DebtorRecord.account_code)
            .join(BankTransactionRecord, BankTransactionRecord.id == BankMatchRecord.transaction_id)
            .join(PaymentRecord, PaymentRecord.id == BankMatchRecord.payment_id)
            .join(DebtorRecord, DebtorRecord.id == BankMatchRecord.debtor_id)
            .where(BankMatchRecord.creditor_id == creditor_id)
            .order_by(BankTransactionRecord.booking_date, BankMatchRecord.id)
        )
        if booked_from is not None:
            query = query.where(BankTransactionRecord.booking_date >= booked_from)
        if booked_to is not None:
            query = query.where(BankTransactionRecord.booking_date <= booked_to)
        found = []
        for record, reference, code in self._session.execute(query):
            at = aware(record.matched_at)
            assert at is not None
            found.append(
                StoredMatch(
                    record.transaction_id,
                    reference,
                    code,
                    record.confidence,
                    record.method,
                    tuple(json.loads(record.reasons)),
                    record.matched_by,
                    at,
                )
            )
        return found

    def _set_state(
        self, creditor: str, creditor_id: int, line_id: int, state: str, *, allowed: tuple[str, ...]
    ) -> None:
        result = self._session.execute(
            update(BankTransactionRecord)
            .where(
                BankTransactionRecord.creditor_id == creditor_id,
                BankTransactionRecord.id == line_id,
                BankTransactionRecord.state.in_(allowed),
            )
            .values(state=state)
        )
        if getattr(result, "rowcount", 0) != 1:
            line = self.line(creditor, line_id)  # NotFoundError when there is none
            raise ConstraintError(
                f"bank line {line_id} is {line.state}; only an unmatched credit can be {state}"
            )

    def _resolve(
        self, creditor_id: int, line_id: int, resolution: str, by: str, at: datetime, note: str | None
    ) -> None:
        self._session.execute(
            update(BankUnmatchedRecord)
            .where(
                BankUnmatchedRecord.creditor_id == creditor_id,
                BankUnmatchedRecord.transaction_id == line_id,
                BankUnmatchedRecord.resolution.is_(None),
            )
            .values(resolution=resolution, resolved_by=by[:100], resolved_at=at, note=note)
        )
