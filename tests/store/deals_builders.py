"""Builders for the deals and bank store tests: a small ledger, statement files, a fixed clock."""

import csv
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from store_builders import creditor, document

from arrears.core.ledger import Debtor
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
