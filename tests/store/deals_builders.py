"""Builders for the deals and bank store tests: a small ledger, statement files, a fixed clock,
and deals with the defaults the tests share (only what a test is about is written in it)."""

import csv
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from store_builders import creditor, document, money

from arrears.core.deal_rules import DealRules
from arrears.core.disputes import DisputeOutcome, DisputeReason, Resolver
from arrears.core.ledger import Debtor
from arrears.core.promises import PromiseChannel
from arrears.core.writeoffs import WriteOffReason
from arrears.services.bank_import import BankImportReport, import_bank_statement
from arrears.services.deal_rules import set_deal_rules
from arrears.services.disputes import (
    DisputeRaised,
    DisputeResolved,
    raise_invoice_dispute,
    resolve_invoice_dispute,
)
from arrears.services.promises import PromiseRecorded, record_promise
from arrears.services.settlements import SettlementAgreed, agree_settlement
from arrears.services.write_offs import WriteOffOutcome, write_off_invoice
from arrears.store.unit_of_work import SqlUnitOfWork

SHARED_BANK_DATA = (Path(__file__).parents[2] / ".." / "shared" / "data" / "bank").resolve()
BANK_FIXTURES = Path(__file__).parents[1] / "intake" / "bank" / "fixtures"

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def now() -> datetime:
    return NOW


def shared_bank_file(relative: str) -> Path:
    """A real-format statement from ../shared/data/bank (a missing file fails, never skips)."""
    path = SHARED_BANK_DATA / relative
    assert path.is_file(), f"the shared bank samples are missing: expected {path}"
    return path


def ledger(
    uow: SqlUnitOfWork,
    *,
    code: str = "ACME",
    currency: str = "GBP",
    debtors: Sequence[Debtor] = (),
    invoices: Iterable[tuple[str, str, date, str]] = (),
    terms_days: int = 30,
) -> None:
    """A creditor, its debtors (default: D1 'Harrington Joinery Ltd') and invoices given as
    (debtor, number, issue date, amount), due `terms_days` after issue."""
    accounts = list(debtors) or [
        Debtor(creditor=code, account_code="D1", name="Harrington Joinery Ltd", currency=currency)
    ]
    with uow:
        uow.creditors.add(creditor(code, currency))
        uow.debtors.add(code, accounts)
        uow.documents.add(
            code,
            [
                document(
                    code,
                    owner,
                    number,
                    issued,
                    issued + timedelta(days=terms_days),
                    amount,
                    currency=currency,
                )
                for owner, number, issued, amount in invoices
            ],
        )
        uow.commit()


def named_debtor(code: str, account: str, name: str, currency: str = "GBP", **fields: object) -> Debtor:
    return Debtor(creditor=code, account_code=account, name=name, currency=currency, **fields)  # type: ignore[arg-type]


def csv_statement(
    path: Path,
    rows: Iterable[tuple[date, str, str, str, str]],
    *,
    account: str = "GB33BUKB20201555555555",
    currency: str = "GBP",
) -> Path:
    """A bank CSV in the generic layout; rows are (date, amount, description, reference, counterparty)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Date", "Amount", "Currency", "Description", "Reference", "Counterparty", "Account"])
        for day, amount, description, reference, counterparty in rows:
            writer.writerow(
                [day.isoformat(), amount, currency, description, reference, counterparty, account]
            )
    return path


# --- deals with the usual defaults (creditor ACME, debtor D1, dated early March 2026) -----------

ISSUED = date(2026, 1, 5)  # due 2026-02-04 on 30 days' terms
AGREED = date(2026, 3, 2)  # the day the tests' deals are made


def two_invoices(
    uow: SqlUnitOfWork, first: str, second: str, *, rules: DealRules | None = None
) -> SqlUnitOfWork:
    """ACME's debtor D1 with INV-000101 for `first` and INV-000102 for `second`, both issued on
    `ISSUED`: the ledger most deal tests start from; with `rules`, ACME's deal rules (set by Jo
    at Acme)."""
    ledger(uow, invoices=[("D1", "INV-000101", ISSUED, first), ("D1", "INV-000102", ISSUED, second)])
    if rules is not None:
        set_deal_rules(uow, "ACME", rules, by="Jo at Acme", now=now)
    return uow


def promise(
    uow: SqlUnitOfWork,
    amount: str,
    pay_by: date,
    *,
    made_on: date = AGREED,
    documents: Iterable[str] = (),
    debtor: str = "D1",
    taken_by: str = "Sam",
    currency: str = "GBP",
    channel: PromiseChannel = PromiseChannel.CALL,
) -> PromiseRecorded:
    """A promise to pay `amount` by `pay_by`, taken by Sam on the day the deals are made."""
    return record_promise(
        uow,
        "ACME",
        debtor,
        money(amount, currency),
        pay_by,
        made_on=made_on,
        channel=channel,
        documents=documents,
        taken_by=taken_by,
        now=now,
    )


def dispute(
    uow: SqlUnitOfWork,
    invoice: str,
    reason: DisputeReason,
    *,
    amount: str | None = None,
    raised_on: date = AGREED,
    raised_by: str = "Sam",
    notes: str = "",
) -> DisputeRaised:
    """A dispute on `invoice` (on `amount` of it, else all that is open)."""
    return raise_invoice_dispute(
        uow,
        "ACME",
        invoice,
        reason,
        raised_on=raised_on,
        raised_by=raised_by,
        amount=None if amount is None else money(amount),
        notes=notes,
        now=now,
    )


def resolve(
    uow: SqlUnitOfWork,
    outcome: DisputeOutcome,
    on: date,
    *,
    by: str = "Jo",
    resolver: Resolver = Resolver.CREDITOR,
    credit: str | None = None,
    credit_note: str | None = None,
    reference: str = "D-00001",
) -> DisputeResolved:
    """The outcome of dispute `reference` (the first one, unless said), decided by the creditor."""
    return resolve_invoice_dispute(
        uow,
        "ACME",
        reference,
        outcome,
        on=on,
        by=by,
        resolver=resolver,
        credit=None if credit is None else money(credit),
        credit_note=credit_note,
    )


def settlement(
    uow: SqlUnitOfWork, amount: str, *, pay_by: date = date(2026, 3, 16), agreed_on: date = AGREED
) -> SettlementAgreed:
    """D1's whole balance settled for `amount`, agreed by Sam."""
    return agree_settlement(
        uow, "ACME", "D1", money(amount), pay_by=pay_by, agreed_on=agreed_on, by="Sam", now=now
    )


def write_off(
    uow: SqlUnitOfWork,
    invoice: str,
    amount: str | None = None,
    *,
    reason: WriteOffReason,
    on: date = AGREED,
    by: str = "Sam",
    note: str = "",
    approved_by: str | None = None,
) -> WriteOffOutcome:
    """A write-off of `amount` of `invoice` (else all that is open), asked for by Sam."""
    return write_off_invoice(
        uow,
        "ACME",
        invoice,
        None if amount is None else money(amount),
        reason=reason,
        on=on,
        by=by,
        note=note,
        approved_by=approved_by,
    )


def pay_by_bank(
    uow: SqlUnitOfWork,
    folder: Path,
    day: date,
    amount: str,
    text: str,
    *,
    reference: str = "",
    counterparty: str = "Harrington Joinery Ltd",
) -> BankImportReport:
    """D1 pays `amount` on `day`: a one-line bank CSV with `text` as its description, imported."""
    statement = csv_statement(folder / f"{day}-{amount}.csv", [(day, amount, text, reference, counterparty)])
    return import_bank_statement(uow, "ACME", statement, by="Sam", now=now)
