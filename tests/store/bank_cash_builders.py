"""Builders for the tests of ledger files meeting the bank's cash: ledger exports in the generic
layout, bank statements of one credit, and the ledger's own books read back to check that money
reconciles."""

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from deals_builders import csv_statement

from arrears.core.money import Money
from arrears.services.bank_import import BankImportReport, import_bank_statement
from arrears.store.unit_of_work import SqlUnitOfWork

NAMES = {"D1": "Harrington Joinery Ltd", "D2": "Kestrel Print Ltd"}
ISSUED = date(2026, 1, 5)
DUE = date(2026, 2, 4)
NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
HEADER = "DebtorCode,DebtorName,Type,Number,IssueDate,DueDate,Amount,OpenAmount\n"
_files = itertools.count(1)


def now() -> datetime:
    return NOW


def export(
    folder: Path,
    invoices: Iterable[tuple[str, str, str, str]],
    cash: Iterable[tuple[str, str, date, str]] = (),
) -> Path:
    """A ledger export as the package writes it: invoices (debtor, number, amount, open) and
    cash on account (debtor, reference, received on, amount), under a name of its own."""
    lines = [
        f"{debtor},{NAMES[debtor]},Invoice,{number},{ISSUED},{DUE},{amount},{open_amount}\n"
        for debtor, number, amount, open_amount in invoices
    ]
    lines += [
        f"{debtor},{NAMES[debtor]},Payment,{reference},{received},,{amount},{amount}\n"
        for debtor, reference, received, amount in cash
    ]
    path = folder / f"export-{next(_files):04d}.csv"
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def bank_pays(
    uow: SqlUnitOfWork, folder: Path, code: str, day: date, amount: str, text: str, debtor: str
) -> BankImportReport:
    """A statement with one credit line from the debtor citing `text`, imported and matched."""
    path = csv_statement(folder / f"bank-{next(_files):04d}.csv", [(day, amount, text, "", NAMES[debtor])])
    return import_bank_statement(uow, code, path, by="test", now=now)


@dataclass(frozen=True)
class Books:
    """A creditor's ledger as stored, in minor units: per invoice (debtor, amount, open, status,
    cash allocated), per debtor the cash left on account and the store's open balance."""

    invoices: dict[str, tuple[str, int, int, str, int]]
    on_account: dict[str, int]
    balances: dict[str, int]

    def open_of(self, number: str) -> int:
        return self.invoices[number][2]

    def check(self) -> None:
        """The laws every state must keep: no open amount below zero, no invoice settled beyond
        its amount (open + cash allocated <= amount), and for every debtor the open balance is
        its open invoices less its cash on account."""
        for number, (_, amount, open_minor, _, allocated) in self.invoices.items():
            assert open_minor >= 0, number
            assert open_minor + allocated <= amount, (number, open_minor, allocated, amount)
        for debtor, balance in self.balances.items():
            opened = sum(
                i[2] for i in self.invoices.values() if i[0] == debtor and i[3] != "settled_in_source"
            )
            assert balance == opened - self.on_account.get(debtor, 0), debtor


def books(uow: SqlUnitOfWork, code: str) -> Books:
    with uow:
        documents = [d for debtor in NAMES for d in uow.documents.list_for_debtor(code, debtor)]
        allocations = uow.payments.allocations(code)
        payments = uow.payments.list_all(code)
        balances = {debtor: uow.ledger.open_balance(code, debtor) for debtor in NAMES}
    allocated: dict[str, int] = {}
    for allocation in allocations:
        allocated[allocation.document] = (
            allocated.get(allocation.document, 0) + allocation.amount.to_minor_units()
        )
    on_account: dict[str, int] = {}
    for payment in payments:
        if payment.debtor is not None:
            on_account[payment.debtor] = (
                on_account.get(payment.debtor, 0) + payment.unallocated_amount.to_minor_units()
            )
    zero = Money.zero("GBP")
    return Books(
        {
            d.number: (
                d.debtor,
                d.amount.to_minor_units(),
                d.open_amount.to_minor_units(),
                d.status.value,
                allocated.get(d.number, 0),
            )
            for d in documents
        },
        on_account,
        {debtor: balance.get("GBP", zero).to_minor_units() for debtor, balance in balances.items()},
    )
