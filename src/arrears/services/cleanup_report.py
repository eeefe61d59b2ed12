"""The clean-up report: what an SME's ledger needs on the day it is taken over.

    report = cleanup_report(uow, "ACME", date(2026, 11, 23))

Six lists, each finding with the debtor, the document (where there is one), the amount and a
sentence saying why it is there:

- `over_90_days`: open invoices 90 or more days past due, at risk of becoming bad debt;
- `apply_credits_first`: unallocated cash and open credit notes, which should be applied to the
  debtor's invoices before anyone chases them (the sentence says whether the debtor has open
  invoices to apply them to);
- `suspected_duplicates`: open invoices that look like one invoice entered twice: the same
  debtor, date and amount under different numbers, or numbers that differ only in punctuation,
  case or leading zeros (INV-001, inv001, INV 1);
- `no_contact`: debtors with an open balance and no usable email address or telephone number
  (an email needs something@domain.tld; a telephone at least seven digits);
- `no_due_date`: open documents whose due date the source did not give (an import assumed it
  from the debtor's payment terms);
- `small_balances`: debtors whose whole open balance in a currency is above zero but below the
  threshold (default 10.00), not worth chasing.
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from arrears.core.ledger import Debtor, Document, Payment
from arrears.core.money import Money
from arrears.store.unit_of_work import UnitOfWork

SECTIONS = (
    "over_90_days",
    "apply_credits_first",
    "suspected_duplicates",
    "no_contact",
    "no_due_date",
    "small_balances",
)
SECTION_TITLES = {
    "over_90_days": "90+ days past due (at risk of becoming bad debt)",
    "apply_credits_first": "Unallocated cash and credit notes to apply before chasing",
    "suspected_duplicates": "Suspected duplicates",
    "no_contact": "Debtors with no usable email or phone",
    "no_due_date": "Documents with no due date in the source",
    "small_balances": "Balances too small to chase",
}
OVER_DAYS = 90
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
_NOT_ALNUM = re.compile(r"[\W_]+")
_LEADING_ZEROS = re.compile(r"(?<!\d)0+(?=\d)")


@dataclass(frozen=True, slots=True)
class Finding:
    section: str
    debtor: str
    debtor_name: str
    document: str | None  # "invoice INV-1", "credit note CN-1", "cash PAY-1"
    amount: Money | None
    days_past_due: int | None
    detail: str


@dataclass(frozen=True, slots=True)
class CleanupReport:
    creditor: str
    as_of: date
    small_balance: Decimal
    findings: tuple[Finding, ...]

    def section(self, name: str) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.section == name)

    def counts(self) -> dict[str, int]:
        return {name: len(self.section(name)) for name in SECTIONS}


def usable_email(email: str | None) -> bool:
    return email is not None and bool(_EMAIL.match(email.strip()))


def usable_phone(phone: str | None) -> bool:
    digits = "".join(character for character in phone or "" if character.isdigit())
    return len(digits) >= 7 and digits.strip("0") != ""


def number_key(number: str) -> str:
    """A document number reduced for spotting the same number written two ways."""
    return _LEADING_ZEROS.sub("", _NOT_ALNUM.sub("", number.casefold()))


def cleanup_report(
    uow: UnitOfWork, creditor: str, as_of: date, *, small_balance: Decimal = Decimal("10")
) -> CleanupReport:
    """The clean-up report for `creditor` as of `as_of` (see the module docstring)."""
    with uow:
        snapshot = uow.ledger.snapshot(creditor, as_of)
        no_due = uow.imports.documents_without_due_date(creditor)
        no_due_keys = set()
        if no_due:
            index = uow.documents.import_index(creditor)
            no_due_keys = {key for key, stored in index.items() if stored.id in no_due}
    debtors = {debtor.account_code: debtor for debtor in snapshot.debtors}
    findings = [
        *_over_days(snapshot.documents, debtors, as_of),
        *_credits_first(snapshot.documents, snapshot.payments, debtors),
        *_duplicates(snapshot.documents, debtors),
        *_no_contact(snapshot.documents, snapshot.payments, debtors),
        *_no_due_date(snapshot.documents, debtors, no_due_keys, as_of),
        *_small_balances(snapshot.documents, snapshot.payments, debtors, small_balance),
    ]
    return CleanupReport(creditor, as_of, small_balance, tuple(findings))


def _name(debtors: dict[str, Debtor], code: str) -> str:
    debtor = debtors.get(code)
    return debtor.name if debtor is not None else code


def _label(document: Document) -> str:
    return f"{document.kind.value.replace('_', ' ')} {document.number}"


def _over_days(documents: tuple[Document, ...], debtors: dict[str, Debtor], as_of: date) -> list[Finding]:
    found = []
    for document in sorted(documents, key=lambda d: (d.due_date, d.number)):
        days = document.days_past_due(as_of)
        if document.is_invoice and days >= OVER_DAYS:
            found.append(
                Finding(
                    "over_90_days",
                    document.debtor,
                    _name(debtors, document.debtor),
                    _label(document),
                    document.open_amount,
                    days,
                    f"{days} days past due (due {document.due_date.isoformat()})",
                )
            )
    return found


def _credits_first(
    documents: tuple[Document, ...], payments: tuple[Payment, ...], debtors: dict[str, Debtor]
) -> list[Finding]:
    invoices: dict[tuple[str, str], int] = defaultdict(int)
    for document in documents:
        if document.is_invoice:
            invoices[(document.debtor, document.currency)] += 1
    found = []

    def detail(debtor: str, currency: str, what: str) -> str:
        count = invoices.get((debtor, currency), 0)
        if count:
            return f"{what}: apply it to the debtor's {count} open invoice{'s' if count != 1 else ''} before chasing"
        return f"{what}: the debtor has no open invoice in {currency} to apply it to (refund or hold?)"

    for document in documents:
        if not document.is_invoice:
            found.append(
                Finding(
                    "apply_credits_first",
                    document.debtor,
                    _name(debtors, document.debtor),
                    _label(document),
                    document.open_amount,
                    None,
                    detail(document.debtor, document.currency, "unapplied credit note"),
                )
            )
    for payment in payments:
        code = payment.debtor or ""
        found.append(
            Finding(
                "apply_credits_first",
                code,
                _name(debtors, code) if code else "(not matched to a debtor)",
                f"cash {payment.reference}",
                payment.unallocated_amount,
                None,
                detail(code, payment.amount.currency, "unallocated cash"),
            )
        )
    return found


def _duplicates(documents: tuple[Document, ...], debtors: dict[str, Debtor]) -> list[Finding]:
    found = []
    flagged: set[tuple[str, str]] = set()
    by_content: dict[tuple[str, str, date, Money], list[Document]] = defaultdict(list)
    by_number: dict[tuple[str, str], list[Document]] = defaultdict(list)
    for document in documents:
        by_content[(document.debtor, document.kind.value, document.issue_date, document.amount)].append(
            document
        )
        by_number[(document.kind.value, number_key(document.number))].append(document)
    groups = [
        (group, "the same debtor, date and amount as") for group in by_content.values() if len(group) > 1
    ] + [
        (group, "the same number, written differently, as") for group in by_number.values() if len(group) > 1
    ]
    for group, reason in groups:
        for document in group:
            key = (document.kind.value, document.number)
            others = ", ".join(other.number for other in group if other is not document)
            if key in flagged:
                continue
            flagged.add(key)
            found.append(
                Finding(
                    "suspected_duplicates",
                    document.debtor,
                    _name(debtors, document.debtor),
                    _label(document),
                    document.open_amount,
                    None,
                    f"{reason} {others}",
                )
            )
    return found


def _balances(documents: tuple[Document, ...], payments: tuple[Payment, ...]) -> dict[tuple[str, str], Money]:
    balances: dict[tuple[str, str], Money] = {}
    for document in documents:
        key = (document.debtor, document.currency)
        balances[key] = balances.get(key, Money.zero(document.currency)) + document.signed_open_amount
    for payment in payments:
        if payment.debtor is None:
            continue
        key = (payment.debtor, payment.amount.currency)
        balances[key] = balances.get(key, Money.zero(payment.amount.currency)) - payment.unallocated_amount
    return balances


def _no_contact(
    documents: tuple[Document, ...], payments: tuple[Payment, ...], debtors: dict[str, Debtor]
) -> list[Finding]:
    owing: dict[str, list[Money]] = defaultdict(list)
    for (code, _currency), balance in sorted(_balances(documents, payments).items()):
        if balance.is_positive:
            owing[code].append(balance)
    found = []
    for code, balances in sorted(owing.items()):
        debtor = debtors.get(code)
        contacts = debtor.contacts if debtor is not None else ()
        if any(usable_email(c.email) or usable_phone(c.phone) for c in contacts):
            continue
        what = (
            "no contact at all" if not contacts else "no contact with a usable email address or phone number"
        )
        found.append(
            Finding(
                "no_contact",
                code,
                _name(debtors, code),
                None,
                balances[0],
                None,
                f"{what}: find one before the first reminder is due",
            )
        )
    return found


def _no_due_date(
    documents: tuple[Document, ...], debtors: dict[str, Debtor], keys: set[tuple[str, str]], as_of: date
) -> list[Finding]:
    return [
        Finding(
            "no_due_date",
            document.debtor,
            _name(debtors, document.debtor),
            _label(document),
            document.open_amount,
            document.days_past_due(as_of),
            f"the source gives no due date; taken as {document.due_date.isoformat()} from the payment terms",
        )
        for document in documents
        if (document.kind.value, document.number) in keys
    ]


def _small_balances(
    documents: tuple[Document, ...],
    payments: tuple[Payment, ...],
    debtors: dict[str, Debtor],
    threshold: Decimal,
) -> list[Finding]:
    found = []
    for (code, currency), balance in sorted(_balances(documents, payments).items()):
        if balance.is_positive and balance.amount < threshold:
            found.append(
                Finding(
                    "small_balances",
                    code,
                    _name(debtors, code),
                    None,
                    balance,
                    None,
                    f"owes {balance.amount} {currency} in all, below {threshold} {currency}: not worth chasing",
                )
            )
    return found


CSV_HEADER = ("section", "debtor", "debtor_name", "document", "currency", "amount", "days_past_due", "detail")


def csv_rows(report: CleanupReport) -> list[tuple[object, ...]]:
    """The findings as CSV rows (write them with `arrears.intake.safe_csv`, which neutralises
    formulas in the debtors' names and the rest)."""
    return [
        (
            finding.section,
            finding.debtor,
            finding.debtor_name,
            finding.document or "",
            finding.amount.currency if finding.amount is not None else "",
            finding.amount.rounded().amount if finding.amount is not None else "",
            "" if finding.days_past_due is None else finding.days_past_due,
            finding.detail,
        )
        for finding in report.findings
    ]
