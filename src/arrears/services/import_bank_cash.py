"""The bank's cash in a ledger import (used by `arrears.services.import_ledger`): one payment, one
record, whichever road brings it first.

A ledger file (uploaded, mailed or pushed by the sync agent) is the accounting package's view;
a bank statement is the bank's. The import applies the rule the accounting sync applies
(`arrears.services.payment_pairing`, docs/bank-statements.md "One payment, one record"):

- **cash on account the file brings that the bank brought first** (a new payment of the file, of
  the same debtor, currency and amount as a `BANK-...` payment not linked yet, dated within ten
  days) is that bank payment: it takes the file's reference and its own allocations are undone,
  so that the file's figures stand (`link_file_cash`, through `link_synced_payments`), before the
  file is compared with the ledger;
- **an invoice the bank has paid** keeps the file's open amount less the bank cash the file does
  not show yet; once the file shows it paid or reduced by that cash, the cash is recorded as in
  the source and not taken off again (`arrears.intake.ledger_bank_cash`, planned with the rest).

Here: gathering what the planning needs, writing what it decided, and saying it.
"""

from arrears.core.money import Money
from arrears.core.payment_pairing import RecordedPayment
from arrears.intake.ledger_bank_cash import BankCashPlan, InvoiceBankCash, bank_cash_on_invoices
from arrears.intake.ledger_sync import SyncPlan, show_minor
from arrears.intake.validation import ParsedLedger, currency_exponent
from arrears.store.repositories.imports import ChangeRow
from arrears.store.repositories.imports_bank_cash import BANK_CASH_RECORDED
from arrears.store.unit_of_work import UnitOfWork


def link_file_cash(uow: UnitOfWork, creditor: str, parsed: ParsedLedger) -> dict[str, str]:
    """Link the file's new cash on account with the bank payments it is (see the module
    docstring); file reference -> the bank payment's old reference. Writes in the caller's unit
    of work (a dry run's is rolled back)."""
    payments = parsed.accepted_payments()
    if not payments:
        return {}
    # the pairing service brings the accounting connectors' modules: only for files with cash
    from arrears.services.payment_pairing import link_synced_payments

    known = uow.payments.existing(creditor, [payment.reference for payment in payments])
    arriving = [
        RecordedPayment(
            payment.reference,
            payment.debtor,
            payment.received_on,
            Money.from_minor_units(payment.amount_minor, payment.currency),
        )
        for payment in payments
        if payment.reference not in known
    ]
    return link_synced_payments(uow, creditor, arriving)


def bank_cash_waiting(uow: UnitOfWork, creditor: str) -> list[InvoiceBankCash]:
    """The invoices with cash of the bank's payments on them (what `plan_sync` needs)."""
    allocations = uow.imports.bank_allocations(creditor)
    if not allocations:
        return []
    return bank_cash_on_invoices(allocations, uow.imports.bank_cash_recorded(creditor))


def apply_bank_cash(uow: UnitOfWork, creditor: str, cash: BankCashPlan) -> None:
    """The bank allocations the file leaves no room for give way (their cash back on account)."""
    if cash.released:
        uow.imports.release_bank_cash(creditor, [(part.allocation_id, part.minor) for part in cash.released])


def _shown(minor: int, currency: str) -> str:
    return f"{show_minor(minor, currency_exponent(currency) or 0)} {currency}"


def describe_bank_cash(cash: BankCashPlan) -> list[str]:
    """A line for each thing the bank's cash did in the import (the report's changes)."""
    lines = [
        f"cash on account {reference} in the file is the bank's payment {bank}: linked, counted once"
        for reference, bank in sorted(cash.linked.items())
    ]
    lines += [
        f"invoice {found.number}: bank payment {found.payment} ({_shown(found.minor, found.currency)}) is in "
        "the file's figures now: counted once"
        if found.minor > 0
        else f"invoice {found.number}: the file no longer shows bank payment {found.payment} "
        f"({_shown(-found.minor, found.currency)}): taken off its open amount again"
        for found in cash.recorded
    ]
    lines += [
        f"invoice {part.number}: {_shown(part.minor, part.currency)} of bank payment {part.payment} goes back on "
        f"{part.debtor}'s account: the file has only {_shown(part.source_open, part.currency)} open on it"
        for part in cash.released
    ]
    return lines


def bank_cash_not_in_file(cash: BankCashPlan) -> tuple[tuple[Money, ...], tuple[str, ...]]:
    """Per currency, the bank cash the file does not show yet (what the ledger's open invoices
    are below the file's totals), and lines saying so: one per currency, one per invoice."""
    totals = cash.pending_by_currency()
    lines = [
        f"bank cash not yet in the file: {_shown(minor, currency)} on "
        f"{sum(1 for p in cash.pending if p.currency == currency)} invoice(s); the ledger keeps the "
        "file's open invoices less this (the bank's payments the source has not recorded)"
        for currency, minor in totals.items()
    ]
    lines += [
        f"invoice {p.number} ({p.debtor}): {_shown(p.source_open, p.currency)} open in the file, "
        f"{_shown(p.open_minor, p.currency)} kept: {', '.join(p.payments)} not in the file yet"
        for p in cash.pending
    ]
    return tuple(Money.from_minor_units(minor, currency) for currency, minor in totals.items()), tuple(lines)


def bank_cash_change_rows(
    uow: UnitOfWork, creditor: str, plan: SyncPlan, parsed: ParsedLedger
) -> list[ChangeRow]:
    """The changes to record: bank cash found in the source's figures (so that it is not taken off
    them again), allocations that gave way, and the file's cash that is a bank payment (recorded
    as cash the file brought, so a later full export that no longer lists it clears it)."""
    cash = plan.bank_cash
    lines = iter(describe_bank_cash(cash))
    rows: list[ChangeRow] = []
    if cash.linked:
        ids = uow.imports.payment_ids(creditor, cash.linked)
        unallocated = {p.reference: p.unallocated_minor for p in parsed.accepted_payments()}
        for reference in sorted(cash.linked):
            rows.append(
                ChangeRow(
                    "cash_added",
                    next(lines),
                    payment_id=ids[reference],
                    new_open_minor=unallocated[reference],
                )
            )
    for found in cash.recorded:
        rows.append(
            ChangeRow(
                BANK_CASH_RECORDED,
                next(lines),
                document_id=found.document_id,
                payment_id=found.payment_id,
                old_open_minor=max(found.minor, 0),
                new_open_minor=max(-found.minor, 0),
            )
        )
    for part in cash.released:
        rows.append(
            ChangeRow("cash_updated", next(lines), document_id=part.document_id, payment_id=part.payment_id)
        )
    return rows
