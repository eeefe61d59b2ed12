"""What an import changes: a file's checked rows against the ledger as it stands (pure).

`plan_sync()` compares a `ParsedLedger` with the creditor's stored documents, debtors and cash
on account, and says what to add, update, settle and leave alone, and why; the service writes
it. Nothing here touches the store.

The rules:
- documents are matched by kind and number; a document the file has and the ledger does not
  is added; one whose details differ is updated to the file's (the source is the ledger of
  record), and the change is recorded with the old and new open amount; one that is the same
  is left alone, so importing the same file twice changes nothing;
- a document written off in Arrears is left as it is (the write-off is Arrears' decision);
- a settled-in-source document the file lists again is reopened;
- in a full-ledger import, an open or part-paid document the file no longer lists is settled in
  the source, never deleted, with the reason recorded; a part-ledger import settles nothing;
- a layout that shows only what is outstanding (no original amount) keeps the larger of the
  stored amount and the open amount, so a part payment lowers the open amount, not the amount;
- a document without a due date in the file is due after the debtor's payment terms (the
  file's, else the ledger's, else the profile's default), and that is recorded, so the cleanup
  report can list it; a credit note without one is "due" on its date;
- cash on account (an unallocated payment) is matched by reference and brought to the file's
  unallocated amount; in a full import, cash an earlier import brought that the file no longer
  lists is no longer unallocated (allocated in the source);
- debtors are matched by account code; new ones are added; for known ones the file's name,
  payment terms, credit limit and primary contact's details (when it gives them) replace the
  stored ones; other contacts and flags set in Arrears are kept;
- an invoice the bank has paid (a `BANK-...` payment's cash Arrears allocated) keeps the file's
  open amount less the bank cash the source has not recorded yet, so an export made before the
  bookkeeper entered the payment does not reopen it (`arrears.intake.ledger_bank_cash`).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import NamedTuple

from arrears.core.ledger import Contact, Debtor, Payment, PostalAddress
from arrears.core.money import Money
from arrears.intake.ledger_bank_cash import BankCashPlan, InvoiceBankCash, plan_bank_cash
from arrears.intake.validation import ParsedLedger, SourceDebtor, SourceDocument, currency_exponent
from arrears.store.repositories.documents import DocumentRow, StoredDocument
from arrears.store.repositories.imports import StoredPayment

OPEN_STATUSES = ("open", "part_paid")


class DocumentUpdate(NamedTuple):
    id: int
    kind: str
    row: DocumentRow
    old: StoredDocument
    change: str  # "updated" or "reopened"
    fields: tuple[str, ...]


class SettledDocument(NamedTuple):
    id: int
    kind: str
    number: str
    old: StoredDocument


class PaymentUpdate(NamedTuple):
    reference: str
    old: StoredPayment
    amount_minor: int
    unallocated_minor: int


class DebtorUpdate(NamedTuple):
    old: Debtor
    new: Debtor
    fields: tuple[str, ...]


@dataclass(slots=True)
class SyncPlan:
    """What an import will do. Lists hold what changes; counts what does not."""

    debtors_to_add: list[Debtor] = field(default_factory=list)
    debtors_to_update: list[DebtorUpdate] = field(default_factory=list)
    documents_to_add: Sequence[DocumentRow] = field(default_factory=list)  # a DocumentFrame, or a list
    documents_to_update: list[DocumentUpdate] = field(default_factory=list)
    documents_to_settle: list[SettledDocument] = field(default_factory=list)
    unchanged: int = 0
    kept_written_off: list[tuple[str, str]] = field(default_factory=list)
    due_assumed: list[tuple[str, str, int]] = field(default_factory=list)  # kind, number, terms days
    due_given: list[tuple[str, str]] = field(default_factory=list)
    payments_to_add: list[Payment] = field(default_factory=list)
    payments_to_update: list[PaymentUpdate] = field(default_factory=list)
    payments_to_clear: list[PaymentUpdate] = field(default_factory=list)
    open_documents_before: int = 0
    bank_cash: BankCashPlan = field(default_factory=BankCashPlan)

    @property
    def reopened(self) -> int:
        return sum(1 for update in self.documents_to_update if update.change == "reopened")

    @property
    def updated(self) -> int:
        return len(self.documents_to_update) - self.reopened


def plan_sync(
    parsed: ParsedLedger,
    *,
    creditor: str,
    creditor_currency: str,
    stored_documents: Mapping[tuple[str, str], StoredDocument],
    stored_debtors: Mapping[str, Debtor],
    stored_payments: Mapping[str, StoredPayment],
    assumed_due: set[int],
    imported_payments: set[int],
    full: bool,
    bank_cash: Sequence[InvoiceBankCash] = (),
) -> SyncPlan:
    """The plan for bringing the ledger to what `parsed` says (see the module docstring).

    `assumed_due` holds the ids of stored documents whose due date an earlier import assumed;
    `imported_payments` the ids of payments earlier imports added (the only cash a full import
    may clear: a payment recorded from a bank statement is not in the package's export yet);
    `bank_cash` the invoices with cash of the bank's payments on them
    (`ledger_bank_cash.bank_cash_on_invoices`), whose open amounts the file's figures do not
    give alone.

    A file read column by column (`parsed.frame`) is planned by the same rules written over
    columns (`ledger_sync_frames`), with the stored documents best given as the store's
    `StoredDocumentFrame`: the plan is the same, list for list and in the same order.
    """
    plan = SyncPlan()
    debtors = parsed.accepted_debtors()
    columnar = parsed.frame is not None and parsed.profile.contents == "documents"
    documents = parsed.accepted_documents() if parsed.profile.contents == "documents" and not columnar else []
    if columnar:
        from arrears.intake.ledger_sync_frames import debtor_currencies

        currencies = debtor_currencies(parsed.accepted_frame())
    else:
        currencies = _debtor_currencies(documents, creditor_currency)
    _plan_debtors(plan, creditor, debtors, stored_debtors, currencies, creditor_currency, parsed)
    terms = {
        code: _terms(code, debtors, stored_debtors, parsed.profile.default_terms_days) for code in currencies
    }
    if parsed.profile.contents == "debtors":
        return plan
    if columnar:
        from arrears.intake.ledger_sync_frames import plan_frame

        plan_frame(plan, parsed.accepted_frame(), stored_documents, terms, assumed_due, full)
    else:
        _plan_documents(plan, documents, stored_documents, terms, assumed_due, full)
    if bank_cash:
        numbers = {invoice.number for invoice in bank_cash}
        if columnar:
            from arrears.intake.ledger_sync_frames import listed_invoices

            listed = listed_invoices(parsed.accepted_frame(), numbers)
        else:
            listed = {d.number for d in documents if d.kind == "invoice" and d.number in numbers}
        plan_bank_cash(plan, bank_cash, listed, full, stored_documents)
    _plan_payments(plan, creditor, parsed, stored_payments, imported_payments, full)
    return plan


def _plan_documents(
    plan: SyncPlan,
    documents: Iterable[SourceDocument],
    stored_documents: Mapping[tuple[str, str], StoredDocument],
    terms: Mapping[str, int],
    assumed_due: set[int],
    full: bool,
) -> None:
    seen: set[tuple[str, str]] = set()
    added: list[DocumentRow] = []
    for document in documents:
        seen.add((document.kind, document.number))
        row = _plan_document(plan, document, stored_documents, terms, assumed_due)
        if row is not None:
            added.append(row)
    plan.documents_to_add = added
    plan.open_documents_before = sum(1 for d in stored_documents.values() if d.status in OPEN_STATUSES)
    if full:
        for (kind, number), stored in stored_documents.items():
            if (kind, number) not in seen and stored.status in OPEN_STATUSES:
                plan.documents_to_settle.append(SettledDocument(stored.id, kind, number, stored))


def _plan_document(
    plan: SyncPlan,
    document: SourceDocument,
    stored_documents: Mapping[tuple[str, str], StoredDocument],
    terms: Mapping[str, int],
    assumed_due: set[int],
) -> DocumentRow | None:
    """Plan one document of the file: the row to add when the ledger does not have it (for the
    caller to add), None when it is compared and planned here (updated, reopened, left alone)."""
    key = (document.kind, document.number)
    stored = stored_documents.get(key)
    due, assumed_days = _due_date(document, terms)
    if stored is None:
        if assumed_days is not None:
            plan.due_assumed.append((document.kind, document.number, assumed_days))
        return _row(document, due, document.amount_minor or document.open_minor, None)
    if stored.status == "written_off":
        plan.kept_written_off.append(key)
        plan.unchanged += 1
        return None
    amount = document.amount_minor
    if amount is None:
        amount = max(stored.amount_minor, document.open_minor)
    row = _row(document, due, amount, stored)
    fields = _changed(row, stored)
    if assumed_days is not None and stored.id not in assumed_due:
        plan.due_assumed.append((document.kind, document.number, assumed_days))
    elif assumed_days is None and stored.id in assumed_due:
        plan.due_given.append(key)
    if not fields:
        plan.unchanged += 1
        return None
    change = "reopened" if stored.status == "settled_in_source" else "updated"
    plan.documents_to_update.append(DocumentUpdate(stored.id, document.kind, row, stored, change, fields))
    return None


def _debtor_currencies(documents: Iterable[SourceDocument], default: str) -> dict[str, str]:
    """Each debtor's currency: that of its first document."""
    currencies: dict[str, str] = {}
    for document in documents:
        currencies.setdefault(document.debtor, document.currency)
    return currencies


def _terms(code: str, debtors: Mapping[str, SourceDebtor], stored: Mapping[str, Debtor], default: int) -> int:
    source = debtors.get(code)
    if source is not None and source.terms_days is not None:
        return source.terms_days
    known = stored.get(code)
    if known is not None:
        return known.payment_terms_days
    return default


def _due_date(document: SourceDocument, terms: Mapping[str, int]) -> tuple[date, int | None]:
    """The due date, and the terms it was assumed from (None when the file gave it)."""
    if document.due_date is not None:
        return document.due_date, None
    if document.kind != "invoice":
        return document.issue_date, None
    days = terms.get(document.debtor, 30)
    return document.issue_date + timedelta(days=days), days


def _status(amount: int, open_minor: int) -> str:
    if open_minor == 0:
        return "paid"
    return "part_paid" if open_minor < amount else "open"


def _row(document: SourceDocument, due: date, amount: int, stored: StoredDocument | None) -> DocumentRow:
    reference = document.reference
    po_number = document.po_number
    if stored is not None:  # a layout without the column does not wipe what another source gave
        reference = reference or stored.external_reference
        po_number = po_number or stored.po_number
    return DocumentRow(
        document.debtor,
        document.kind,
        document.number,
        document.issue_date,
        due,
        document.currency,
        amount,
        document.open_minor,
        _status(amount, document.open_minor),
        reference,
        po_number,
    )


_COMPARED = (
    ("debtor", "debtor"),
    ("issue_date", "issue date"),
    ("due_date", "due date"),
    ("currency", "currency"),
    ("amount_minor", "amount"),
    ("open_minor", "open amount"),
    ("status", "status"),
    ("external_reference", "reference"),
    ("po_number", "PO number"),
)


def _changed(row: DocumentRow, stored: StoredDocument) -> tuple[str, ...]:
    return tuple(label for name, label in _COMPARED if getattr(row, name) != getattr(stored, name))


def describe_update(update: DocumentUpdate) -> str:
    """One sentence: what changed on a document, old and new."""
    exponent = currency_exponent(update.row.currency) or 0
    parts = []
    for name, label in _COMPARED:
        old, new = getattr(update.old, name), getattr(update.row, name)
        if old == new:
            continue
        if name in ("amount_minor", "open_minor"):
            parts.append(f"{label} {show_minor(old, exponent)} -> {show_minor(new, exponent)}")
        else:
            parts.append(f"{label} {old or '-'} -> {new or '-'}")
    return "; ".join(parts)


def show_minor(minor: int, exponent: int) -> str:
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**exponent)
    return f"{sign}{whole:,}" + (f".{fraction:0{exponent}d}" if exponent else "")


# --- debtors ----------------------------------------------------------------------------------


def _plan_debtors(
    plan: SyncPlan,
    creditor: str,
    debtors: Mapping[str, SourceDebtor],
    stored: Mapping[str, Debtor],
    currencies: Mapping[str, str],
    creditor_currency: str,
    parsed: ParsedLedger,
) -> None:
    for code, source in debtors.items():
        known = stored.get(code)
        if known is None:
            assert source.name is not None
            currency = source.currency or currencies.get(code) or creditor_currency
            limit = None
            if source.credit_limit_minor is not None:
                limit = Money.from_minor_units(source.credit_limit_minor, currency)
            contact = _contact(source, None, source.name)
            plan.debtors_to_add.append(
                Debtor(
                    creditor=creditor,
                    account_code=code,
                    name=source.name,
                    currency=currency,
                    payment_terms_days=(
                        source.terms_days
                        if source.terms_days is not None
                        else parsed.profile.default_terms_days
                    ),
                    credit_limit=limit,
                    contacts=() if contact is None else (contact,),
                )
            )
            continue
        updated = _merged(known, source)
        if updated != known:
            changed = tuple(
                label
                for attribute, label in (
                    ("name", "name"),
                    ("payment_terms_days", "payment terms"),
                    ("credit_limit", "credit limit"),
                    ("contacts", "primary contact"),
                )
                if getattr(updated, attribute) != getattr(known, attribute)
            )
            plan.debtors_to_update.append(DebtorUpdate(known, updated, changed))


def _merged(known: Debtor, source: SourceDebtor) -> Debtor:
    """The stored debtor with what the file says of it laid over."""
    changes: dict[str, object] = {}
    if source.name and source.name != known.name:
        changes["name"] = source.name
    if source.terms_days is not None and source.terms_days != known.payment_terms_days:
        changes["payment_terms_days"] = source.terms_days
    if source.credit_limit_minor is not None:
        limit = Money.from_minor_units(source.credit_limit_minor, known.currency)
        if limit != known.credit_limit:
            changes["credit_limit"] = limit
    primary = known.primary_contact
    contact = _contact(source, primary, source.name or known.name)
    if contact is not None and contact != primary:
        others = tuple(c for c in known.contacts if c is not primary)
        changes["contacts"] = (contact, *others)
    return replace(known, **changes) if changes else known  # type: ignore[arg-type]


def _contact(source: SourceDebtor, current: Contact | None, debtor_name: str) -> Contact | None:
    """The primary contact as the file describes it (over the current one), or None if the file
    says nothing about contacts."""
    if not (source.contact_name or source.email or source.phone or source.address or source.postcode):
        return current
    address = current.address if current is not None else None
    if source.address or source.postcode:
        address = PostalAddress(
            lines=source.address,
            postcode=source.postcode or "",
            country=source.country or (address.country if address is not None else "GB"),
        )
    if current is None:
        return Contact(
            name=source.contact_name or debtor_name,
            email=source.email,
            phone=source.phone,
            address=address,
        )
    return replace(
        current,
        name=source.contact_name or current.name,
        email=source.email or current.email,
        phone=source.phone or current.phone,
        address=address,
        primary=True,
    )


# --- cash on account --------------------------------------------------------------------------


def _plan_payments(
    plan: SyncPlan,
    creditor: str,
    parsed: ParsedLedger,
    stored: Mapping[str, StoredPayment],
    imported: set[int],
    full: bool,
) -> None:
    seen: set[str] = set()
    for payment in parsed.accepted_payments():
        seen.add(payment.reference)
        known = stored.get(payment.reference)
        if known is None:
            plan.payments_to_add.append(
                Payment(
                    creditor=creditor,
                    reference=payment.reference,
                    received_on=payment.received_on,
                    amount=Money.from_minor_units(payment.amount_minor, payment.currency),
                    debtor=payment.debtor,
                    unallocated=Money.from_minor_units(payment.unallocated_minor, payment.currency),
                )
            )
            continue
        amount = max(known.amount_minor, payment.unallocated_minor)
        if (amount, payment.unallocated_minor) != (known.amount_minor, known.unallocated_minor):
            plan.payments_to_update.append(
                PaymentUpdate(payment.reference, known, amount, payment.unallocated_minor)
            )
        else:
            plan.unchanged += 1
    if full:
        for reference, known in stored.items():
            if reference not in seen and known.unallocated_minor > 0 and known.id in imported:
                plan.payments_to_clear.append(PaymentUpdate(reference, known, known.amount_minor, 0))
