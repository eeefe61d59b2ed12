"""Small builders for store tests: ledger values with readable defaults."""

from datetime import date
from typing import Any

from arrears.core.ledger import Creditor, Debtor, Document, DocumentKind, DocumentStatus, Payment, status_for
from arrears.core.money import Money


def creditor(code: str = "ACME", currency: str = "GBP") -> Creditor:
    return Creditor(code=code, name=f"{code} Ltd", currency=currency)


def debtor(creditor_code: str, account_code: str, currency: str = "GBP", **fields: Any) -> Debtor:
    return Debtor(
        creditor=creditor_code,
        account_code=account_code,
        name=f"Customer {account_code}",
        currency=currency,
        **fields,
    )


def document(
    creditor_code: str,
    debtor_code: str,
    number: str,
    issued: date,
    due: date,
    amount: str,
    open_amount: str | None = None,
    *,
    currency: str = "GBP",
    kind: DocumentKind = DocumentKind.INVOICE,
    status: DocumentStatus | None = None,
) -> Document:
    total = Money.of(amount, currency)
    still_open = total if open_amount is None else Money.of(open_amount, currency)
    return Document(
        creditor=creditor_code,
        debtor=debtor_code,
        kind=kind,
        number=number,
        issue_date=issued,
        due_date=due,
        amount=total,
        open_amount=still_open,
        status=status or status_for(total, still_open),
    )


def credit_note(
    creditor_code: str, debtor_code: str, number: str, issued: date, amount: str, **fields: Any
) -> Document:
    return document(
        creditor_code, debtor_code, number, issued, issued, amount, kind=DocumentKind.CREDIT_NOTE, **fields
    )


def payment(
    creditor_code: str,
    reference: str,
    received: date,
    amount: str,
    debtor_code: str | None = None,
    currency: str = "GBP",
) -> Payment:
    return Payment(
        creditor=creditor_code,
        reference=reference,
        received_on=received,
        amount=Money.of(amount, currency),
        debtor=debtor_code,
    )


def money(amount: str, currency: str = "GBP") -> Money:
    return Money.of(amount, currency)
