"""The values every bank statement reader returns, whatever the file format.

A `BankStatement` is one account's statement for a period: its opening and closing balance
where the format carries them, and its `BankTransaction` lines. Amounts are `Money`, signed
from the account holder's side: a credit (cash received) is positive, a debit negative.

Each transaction carries a `fingerprint`, its identity (`arrears.intake.bank.fingerprint`):
the bank's own id for the line when it has one, else the line's facts, plus its occurrence
number among identical lines of its statement. The same transaction printed again (the file
read twice, a page repeated, an overlapping download) gets the same fingerprint, so an import
skips it; two identical payments on one day in one statement get two.

Readers build drafts (`StatementDraft`, `TransactionDraft`) from the file and hand them to
`finish_statements`, which checks currencies and amounts and computes the fingerprints, so
every format follows the same rules.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, Self

from arrears.core.errors import ArrearsError
from arrears.core.money import Money, check_currency
from arrears.intake.bank.fingerprint import LineFacts, normalise_text, statement_fingerprints

StatementFormat = Literal["camt.053", "camt.054", "mt940", "ofx", "csv"]

__all__ = [
    "BalanceDraft",
    "BankStatement",
    "BankTransaction",
    "StatementDraft",
    "StatementError",
    "StatementFormat",
    "TransactionDraft",
    "finish_statements",
    "normalise_text",
]


class StatementError(ArrearsError, ValueError):
    """A bank statement file that cannot be read.

    The message names the file and, where it can, the line or entry and the field:
    "sepa_snippet_broken.sta line 6: a second :25: account identification ...".
    A reader that raises it returns nothing: there are no partial results.
    """

    @classmethod
    def at(cls, source: str, where: str | None, problem: str) -> Self:
        """An error for `source` ("statement.sta"), at `where` ("line 7", "entry 3"), if known."""
        location = f"{source} {where}" if where else source
        return cls(f"{location}: {problem}")


@dataclass(frozen=True, slots=True)
class BankTransaction:
    """One line of a bank statement.

    `reference` is the reference the payer gave, the best clue for matching a payment to
    invoices (a structured creditor reference, else the end-to-end id or customer reference);
    `bank_reference` is the bank's own id for the line (camt AcctSvcrRef, MT940 `//` reference,
    OFX FITID, a bank CSV column the profile maps), which the fingerprint goes by when given.
    """

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
    fingerprint: str

    @property
    def is_credit(self) -> bool:
        """Cash came in (the amount is positive)."""
        return self.amount.is_positive


@dataclass(frozen=True, slots=True)
class BankStatement:
    """One account's statement from one file; a file may hold several."""

    source: str
    format: StatementFormat
    account: str
    currency: str
    statement_id: str | None
    opening_balance: Money | None
    closing_balance: Money | None
    from_date: date | None
    to_date: date | None
    transactions: tuple[BankTransaction, ...]
    bank: str | None = None

    @property
    def balance_difference(self) -> Money | None:
        """Opening balance plus the lines minus the closing balance; zero when they agree.

        None when the statement lacks either balance (OFX has no opening balance, bank CSV
        neither). A non-zero difference means lines are missing or the file was edited.
        """
        if self.opening_balance is None or self.closing_balance is None:
            return None
        lines = Money.total((t.amount for t in self.transactions), self.currency)
        return self.opening_balance + lines - self.closing_balance

    @property
    def reconciles(self) -> bool | None:
        """Whether the balances agree with the lines; None when a balance is missing."""
        difference = self.balance_difference
        return None if difference is None else difference.is_zero


@dataclass(frozen=True, slots=True)
class TransactionDraft:
    """A transaction as a reader found it, before checks and fingerprinting.

    `where` locates it in the file for error messages ("line 12", "entry 3").
    """

    where: str
    booking_date: date
    value_date: date | None
    amount: Decimal
    currency: str
    narration: str = ""
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    reference: str | None = None
    end_to_end_id: str | None = None
    bank_reference: str | None = None
    transaction_code: str | None = None


@dataclass(frozen=True, slots=True)
class BalanceDraft:
    """A balance as a reader found it: a signed amount, its currency and where it was."""

    where: str
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class StatementDraft:
    """A statement as a reader found it, before checks and fingerprinting."""

    where: str
    account: str
    currency: str
    statement_id: str | None = None
    opening_balance: BalanceDraft | None = None
    closing_balance: BalanceDraft | None = None
    from_date: date | None = None
    to_date: date | None = None
    bank: str | None = None
    transactions: Sequence[TransactionDraft] = field(default_factory=tuple)


def finish_statements(
    source: str, statement_format: StatementFormat, drafts: Sequence[StatementDraft]
) -> list[BankStatement]:
    """Checked statements with fingerprinted transactions, in file order.

    Rules: the currency is an ISO 4217 code; every balance and line is in the statement's
    currency and in whole minor units (a bank never books a fraction of a penny); the account
    is not blank. Each statement's lines are fingerprinted together (`statement_fingerprints`):
    identical lines of one statement get occurrence numbers 0, 1, 2..., counted afresh in each
    statement, so a line printed in two statements of a file is one transaction.
    """
    statements = []
    for draft in drafts:
        account = draft.account.strip()
        if not account:
            raise StatementError.at(source, draft.where, "the statement names no account")
        currency = _currency(source, draft.where, draft.currency)
        amounts = [
            _money(source, line.where, line.amount, line.currency, currency) for line in draft.transactions
        ]
        fingerprints = statement_fingerprints(
            account, (_facts(line, amount) for line, amount in zip(draft.transactions, amounts, strict=True))
        )
        transactions = []
        for line, amount, fingerprint in zip(draft.transactions, amounts, fingerprints, strict=True):
            transactions.append(
                BankTransaction(
                    booking_date=line.booking_date,
                    value_date=line.value_date,
                    amount=amount,
                    narration=line.narration,
                    counterparty_name=line.counterparty_name or None,
                    counterparty_account=line.counterparty_account or None,
                    reference=line.reference or None,
                    end_to_end_id=line.end_to_end_id or None,
                    bank_reference=line.bank_reference or None,
                    transaction_code=line.transaction_code or None,
                    fingerprint=fingerprint,
                )
            )
        statements.append(
            BankStatement(
                source=source,
                format=statement_format,
                account=account,
                currency=currency,
                statement_id=draft.statement_id or None,
                opening_balance=_balance(source, draft.opening_balance, currency),
                closing_balance=_balance(source, draft.closing_balance, currency),
                from_date=draft.from_date,
                to_date=draft.to_date,
                transactions=tuple(transactions),
                bank=draft.bank or None,
            )
        )
    return statements


def _currency(source: str, where: str, code: str) -> str:
    code = code.strip().upper()
    if not code:
        raise StatementError.at(source, where, "the statement gives no currency")
    try:
        return check_currency(code)
    except ArrearsError:
        raise StatementError.at(source, where, f"{code!r} is not an ISO 4217 currency code") from None


def _money(source: str, where: str, amount: Decimal, currency: str, statement_currency: str) -> Money:
    currency = currency.strip().upper()
    if currency != statement_currency:
        raise StatementError.at(
            source,
            where,
            f"amount in {currency or 'no currency'}, but the statement is in {statement_currency}",
        )
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise StatementError.at(source, where, f"{amount!r} is not an exact amount")
    money = Money(amount, currency)
    if not money.is_whole_minor_units():
        raise StatementError.at(
            source, where, f"amount {amount} has more decimal places than {currency} allows"
        )
    return money


def _balance(source: str, balance: BalanceDraft | None, statement_currency: str) -> Money | None:
    if balance is None:
        return None
    return _money(source, balance.where, balance.amount, balance.currency, statement_currency)


def _facts(line: TransactionDraft, amount: Money) -> LineFacts:
    return LineFacts(
        booking_date=line.booking_date,
        amount=amount,
        bank_reference=line.bank_reference,
        counterparty_name=line.counterparty_name,
        counterparty_account=line.counterparty_account,
        reference=line.reference,
        end_to_end_id=line.end_to_end_id,
        narration=line.narration,
    )
