"""The ledger core: creditors, debtors, documents, payments, allocations and open balances."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.core.errors import (
    CurrencyMismatchError,
    InvalidAllocationError,
    InvalidDocumentError,
    UnknownCurrencyError,
)
from arrears.core.ledger import (
    Allocation,
    Contact,
    Creditor,
    Debtor,
    DebtorFlag,
    Document,
    DocumentKind,
    DocumentStatus,
    Payment,
    PostalAddress,
    allocate_payment,
    apply_credit_note,
    open_balance,
    open_balances,
    status_for,
)
from arrears.core.money import Money

CREDITOR = "acme"
DEBTOR = "C001"
ISSUED = date(2026, 1, 1)


def gbp(amount: str) -> Money:
    return Money.of(amount, "GBP")


def invoice(
    number: str,
    amount: str,
    *,
    open_amount: str | None = None,
    currency: str = "GBP",
    due: date = date(2026, 1, 31),
    debtor: str = DEBTOR,
    creditor: str = CREDITOR,
    status: DocumentStatus | None = None,
    kind: DocumentKind = DocumentKind.INVOICE,
) -> Document:
    total = Money.of(amount, currency)
    still_open = total if open_amount is None else Money.of(open_amount, currency)
    return Document(
        creditor=creditor,
        debtor=debtor,
        kind=kind,
        number=number,
        issue_date=min(ISSUED, due),
        due_date=due,
        amount=total,
        open_amount=still_open,
        status=status or status_for(total, still_open),
    )


def credit_note(
    number: str, amount: str, *, open_amount: str | None = None, debtor: str = DEBTOR
) -> Document:
    return invoice(number, amount, open_amount=open_amount, debtor=debtor, kind=DocumentKind.CREDIT_NOTE)


def payment(
    amount: str,
    *,
    reference: str = "BACS-1",
    currency: str = "GBP",
    unallocated: str | None = None,
    debtor: str | None = DEBTOR,
    creditor: str = CREDITOR,
) -> Payment:
    return Payment(
        creditor=creditor,
        reference=reference,
        received_on=date(2026, 2, 10),
        amount=Money.of(amount, currency),
        debtor=debtor,
        unallocated=None if unallocated is None else Money.of(unallocated, currency),
    )


# --- creditor and debtor --------------------------------------------------------------------


def test_a_creditor_has_a_code_and_a_known_home_currency() -> None:
    creditor = Creditor(code=CREDITOR, name="Acme Widgets Ltd")
    assert (creditor.currency, creditor.locale, creditor.timezone) == ("GBP", "en_GB", "Europe/London")
    with pytest.raises(InvalidDocumentError, match="code"):
        Creditor(code="  ", name="Nameless")
    with pytest.raises(UnknownCurrencyError, match="XYZ"):
        Creditor(code=CREDITOR, name="Acme", currency="XYZ")


def test_a_debtor_carries_contacts_terms_limit_language_timezone_and_flags() -> None:
    office = PostalAddress(lines=("1 High Street", "Leeds"), postcode="LS1 1AA")
    accounts = Contact(
        name="Accounts payable", email="ap@example.test", phone="+44 113 496 0000", address=office
    )
    debtor = Debtor(
        creditor=CREDITOR,
        account_code=DEBTOR,
        name="Bloggs & Co",
        currency="EUR",
        payment_terms_days=14,
        credit_limit=Money.of("5000", "EUR"),
        language="de",
        timezone="Europe/Berlin",
        contacts=(accounts,),
        flags=frozenset({DebtorFlag.KEY_ACCOUNT}),
    )
    assert debtor.primary_contact == accounts
    assert office.as_lines() == ("1 High Street", "Leeds", "LS1 1AA")
    assert not debtor.do_not_contact
    assert replace(debtor, flags=frozenset({DebtorFlag.DO_NOT_CONTACT})).do_not_contact


def test_the_first_contact_stands_in_when_none_is_primary() -> None:
    first = Contact(name="A", primary=False)
    second = Contact(name="B", primary=False)
    assert Debtor(CREDITOR, DEBTOR, "Bloggs", contacts=(first, second)).primary_contact == first
    assert Debtor(CREDITOR, DEBTOR, "Bloggs").primary_contact is None


def test_debtor_contacts_and_flags_given_as_list_and_set_are_frozen() -> None:
    debtor = Debtor(
        CREDITOR,
        DEBTOR,
        "Bloggs",
        contacts=[Contact(name="A")],  # type: ignore[arg-type]
        flags={"do_not_contact"},  # type: ignore[arg-type]
    )
    assert isinstance(debtor.contacts, tuple)
    assert debtor.flags == frozenset({DebtorFlag.DO_NOT_CONTACT})
    assert debtor.do_not_contact
    hash(debtor)


def test_an_unknown_debtor_flag_is_refused() -> None:
    with pytest.raises(InvalidDocumentError, match="not a flag"):
        Debtor(CREDITOR, DEBTOR, "Bloggs", flags=frozenset({"vip"}))  # type: ignore[arg-type]


def test_a_debtor_needs_an_account_code() -> None:
    with pytest.raises(InvalidDocumentError, match="account code"):
        Debtor(CREDITOR, " ", "Bloggs")


def test_a_debtor_in_an_unknown_currency_is_refused() -> None:
    with pytest.raises(UnknownCurrencyError, match="XYZ"):
        Debtor(CREDITOR, DEBTOR, "Bloggs", currency="XYZ")


def test_negative_payment_terms_are_refused() -> None:
    with pytest.raises(InvalidDocumentError, match="payment terms of -1 days"):
        Debtor(CREDITOR, DEBTOR, "Bloggs", payment_terms_days=-1)


def test_a_negative_credit_limit_is_refused() -> None:
    with pytest.raises(InvalidDocumentError, match="credit limit is negative"):
        Debtor(CREDITOR, DEBTOR, "Bloggs", credit_limit=gbp("-1"))


def test_a_credit_limit_in_another_currency_than_the_account_is_refused() -> None:
    with pytest.raises(CurrencyMismatchError, match="credit limit is in EUR but the account is in GBP"):
        Debtor(CREDITOR, DEBTOR, "Bloggs", credit_limit=Money.of("100", "EUR"))


# --- documents ------------------------------------------------------------------------------


def test_an_invoice_records_dates_amounts_status_and_references() -> None:
    document = Document(
        creditor=CREDITOR,
        debtor=DEBTOR,
        kind=DocumentKind.INVOICE,
        number="INV-1",
        issue_date=date(2026, 1, 1),
        due_date=date(2026, 1, 31),
        amount=gbp("120.00"),
        open_amount=gbp("20.00"),
        status=DocumentStatus.PART_PAID,
        external_reference="xero:abc-123",
        po_number="PO-77",
    )
    assert document.currency == "GBP"
    assert document.is_invoice and document.is_open
    assert document.signed_open_amount == gbp("20.00")
    assert (document.external_reference, document.po_number) == ("xero:abc-123", "PO-77")


def test_a_credit_note_counts_against_the_balance() -> None:
    note = credit_note("CN-1", "30.00")
    assert not note.is_invoice
    assert note.signed_open_amount == gbp("-30.00")


def test_a_due_date_before_the_issue_date_is_refused() -> None:
    with pytest.raises(InvalidDocumentError, match="due date 2026-01-01 is before the issue date 2026-01-02"):
        replace(invoice("INV-1", "10"), issue_date=date(2026, 1, 2), due_date=date(2026, 1, 1))


def test_due_on_the_issue_date_is_allowed() -> None:
    assert invoice("INV-1", "10", due=ISSUED).due_date == ISSUED


def test_a_negative_invoice_is_refused_and_pointed_to_credit_notes() -> None:
    with pytest.raises(InvalidDocumentError, match=r"must be positive.*credit note is its own kind"):
        invoice("INV-1", "-10.00")


def test_a_zero_invoice_is_refused() -> None:
    with pytest.raises(InvalidDocumentError, match=r"INV-0: amount 0.00 must be positive"):
        invoice("INV-0", "0.00")


def test_a_negative_credit_note_is_refused_without_the_invoice_hint() -> None:
    with pytest.raises(InvalidDocumentError, match=r"credit note CN-1: amount -5 must be positive$"):
        credit_note("CN-1", "-5")


@pytest.mark.parametrize("still_open", ["-0.01", "100.01"])
def test_the_open_amount_stays_between_zero_and_the_amount(still_open: str) -> None:
    with pytest.raises(InvalidDocumentError, match=r"open amount .* must be between 0 and the amount 100.00"):
        invoice("INV-1", "100.00", open_amount=still_open)


def test_amount_and_open_amount_in_different_currencies_are_refused() -> None:
    with pytest.raises(InvalidDocumentError, match="amount is in GBP but open amount in EUR"):
        replace(invoice("INV-1", "10"), open_amount=Money.of("10", "EUR"))


def test_document_amounts_are_in_whole_minor_units() -> None:
    with pytest.raises(InvalidDocumentError, match="whole minor units of GBP"):
        invoice("INV-1", "10.001")
    with pytest.raises(InvalidDocumentError, match="whole minor units of JPY"):
        invoice("INV-1", "10.5", currency="JPY")


def test_an_unknown_document_currency_is_refused() -> None:
    with pytest.raises(UnknownCurrencyError, match="XYZ"):
        invoice("INV-1", "10", currency="XYZ")


def test_a_document_needs_a_number() -> None:
    with pytest.raises(InvalidDocumentError, match="needs a number"):
        invoice(" ", "10")


def test_kind_and_status_given_as_store_strings_become_enum_members() -> None:
    document = replace(invoice("INV-1", "10"), kind="invoice", status="part_paid")  # type: ignore[arg-type]
    assert document.kind is DocumentKind.INVOICE
    assert document.status is DocumentStatus.PART_PAID
    assert document.is_invoice


def test_an_unknown_kind_is_refused_with_the_allowed_values() -> None:
    with pytest.raises(InvalidDocumentError, match="'debit_note' is not a document kind; use one of invoice"):
        replace(invoice("INV-1", "10"), kind="debit_note")  # type: ignore[arg-type]


def test_written_off_and_settled_in_source_documents_are_not_open() -> None:
    assert not invoice("INV-1", "10", status=DocumentStatus.WRITTEN_OFF).is_open
    assert not invoice("INV-2", "10", status=DocumentStatus.SETTLED_IN_SOURCE).is_open
    assert not invoice("INV-3", "10", open_amount="0").is_open


@pytest.mark.parametrize(
    ("still_open", "expected"),
    [("100.00", DocumentStatus.OPEN), ("0.01", DocumentStatus.PART_PAID), ("0.00", DocumentStatus.PAID)],
)
def test_status_follows_from_the_open_amount(still_open: str, expected: DocumentStatus) -> None:
    assert status_for(gbp("100.00"), gbp(still_open)) is expected


def test_status_for_refuses_mixed_currencies() -> None:
    with pytest.raises(CurrencyMismatchError):
        status_for(gbp("100"), Money.of("50", "EUR"))


def test_with_open_amount_updates_the_status_and_keeps_the_rest() -> None:
    original = invoice("INV-1", "100.00")
    part_paid = original.with_open_amount(gbp("40.00"))
    assert part_paid.status is DocumentStatus.PART_PAID
    assert part_paid.amount == original.amount and part_paid.number == original.number
    assert part_paid.with_open_amount(gbp("0")).status is DocumentStatus.PAID
    with pytest.raises(InvalidDocumentError):
        original.with_open_amount(gbp("100.01"))


@pytest.mark.parametrize(
    ("as_of", "days"),
    [(date(2026, 1, 30), -1), (date(2026, 1, 31), 0), (date(2026, 2, 1), 1), (date(2026, 3, 2), 30)],
)
def test_days_past_due_counts_whole_days_from_the_due_date(as_of: date, days: int) -> None:
    assert invoice("INV-1", "10", due=date(2026, 1, 31)).days_past_due(as_of) == days


def test_days_past_due_crosses_a_leap_day() -> None:
    assert invoice("INV-1", "10", due=date(2028, 2, 28)).days_past_due(date(2028, 3, 1)) == 2


# --- payments and allocations -------------------------------------------------------------


def test_a_payment_is_wholly_unallocated_until_told_otherwise() -> None:
    assert payment("50.00").unallocated_amount == gbp("50.00")
    assert payment("50.00", unallocated="10.00").unallocated_amount == gbp("10.00")


@pytest.mark.parametrize("amount", ["0", "-5.00"])
def test_a_payment_must_be_positive(amount: str) -> None:
    with pytest.raises(InvalidAllocationError, match="amount must be positive"):
        payment(amount)


def test_a_payment_is_in_whole_minor_units() -> None:
    with pytest.raises(InvalidAllocationError, match=r"10\.005 is not in whole minor units of GBP"):
        payment("10.005")


@pytest.mark.parametrize("unallocated", ["-1.00", "50.01"])
def test_unallocated_cash_stays_within_the_payment(unallocated: str) -> None:
    with pytest.raises(InvalidAllocationError, match=r"outside 0..50.00"):
        payment("50.00", unallocated=unallocated)


def test_unallocated_cash_in_another_currency_is_refused() -> None:
    with pytest.raises(InvalidAllocationError, match="another currency"):
        Payment(CREDITOR, "P1", date(2026, 2, 1), gbp("10"), unallocated=Money.of("10", "EUR"))


def test_an_allocation_comes_from_exactly_one_payment_or_credit_note() -> None:
    day = date(2026, 2, 1)
    with pytest.raises(InvalidAllocationError, match="exactly one"):
        Allocation(CREDITOR, "INV-1", gbp("1"), day)
    with pytest.raises(InvalidAllocationError, match="exactly one"):
        Allocation(CREDITOR, "INV-1", gbp("1"), day, payment="P1", credit_note="CN-1")
    with pytest.raises(InvalidAllocationError, match="must be positive"):
        Allocation(CREDITOR, "INV-1", gbp("0"), day, payment="P1")


def test_a_part_payment_leaves_the_invoice_part_paid() -> None:
    result = allocate_payment(payment("40.00"), [invoice("INV-1", "100.00")])
    (allocation,) = result.allocations
    assert (allocation.document, allocation.amount, allocation.payment) == ("INV-1", gbp("40.00"), "BACS-1")
    assert allocation.allocated_on == date(2026, 2, 10)
    (updated,) = result.documents
    assert updated.open_amount == gbp("60.00")
    assert updated.status is DocumentStatus.PART_PAID
    assert result.left_over == gbp("0.00")


def test_an_exact_payment_marks_the_invoice_paid() -> None:
    result = allocate_payment(payment("100.00"), [invoice("INV-1", "100.00")])
    assert result.documents[0].status is DocumentStatus.PAID
    assert result.documents[0].open_amount.is_zero
    assert result.left_over.is_zero


def test_an_over_payment_stays_as_unallocated_cash() -> None:
    result = allocate_payment(payment("150.00"), [invoice("INV-1", "100.00")])
    assert result.allocations[0].amount == gbp("100.00")
    assert result.left_over == gbp("50.00")


def test_cash_settles_invoices_in_the_order_given_oldest_first() -> None:
    newest = invoice("INV-3", "30.00", due=date(2026, 3, 31))
    oldest = invoice("INV-1", "50.00", due=date(2026, 1, 31))
    middle = invoice("INV-2", "40.00", due=date(2026, 2, 28))
    oldest_first = sorted([newest, oldest, middle], key=lambda d: d.due_date)
    result = allocate_payment(payment("70.00"), oldest_first, on=date(2026, 4, 1))
    assert [(a.document, a.amount) for a in result.allocations] == [
        ("INV-1", gbp("50.00")),
        ("INV-2", gbp("20.00")),
    ]
    assert [(d.number, d.open_amount, d.status) for d in result.documents] == [
        ("INV-1", gbp("0.00"), DocumentStatus.PAID),
        ("INV-2", gbp("20.00"), DocumentStatus.PART_PAID),
    ]
    assert all(a.allocated_on == date(2026, 4, 1) for a in result.allocations)
    assert result.left_over.is_zero


def test_only_the_payments_unallocated_cash_is_spent() -> None:
    result = allocate_payment(payment("100.00", unallocated="25.00"), [invoice("INV-1", "100.00")])
    assert result.allocations[0].amount == gbp("25.00")
    assert result.documents[0].open_amount == gbp("75.00")


def test_a_fully_allocated_payment_settles_nothing() -> None:
    result = allocate_payment(payment("100.00", unallocated="0"), [invoice("INV-1", "100.00")])
    assert result.allocations == () and result.documents == ()
    assert result.left_over.is_zero


def test_settled_invoices_are_passed_over() -> None:
    paid = invoice("INV-1", "100.00", open_amount="0")
    result = allocate_payment(payment("10.00"), [paid, invoice("INV-2", "20.00")])
    assert [a.document for a in result.allocations] == ["INV-2"]


def test_unmatched_cash_can_be_allocated_to_any_debtors_invoice() -> None:
    result = allocate_payment(payment("10.00", debtor=None), [invoice("INV-1", "20.00", debtor="C999")])
    assert result.allocations[0].amount == gbp("10.00")


def test_cash_cannot_settle_a_credit_note() -> None:
    with pytest.raises(
        InvalidAllocationError, match="CN-1 is a credit note; payment BACS-1 can settle only invoices"
    ):
        allocate_payment(payment("10.00"), [credit_note("CN-1", "10.00")])


def test_cash_cannot_settle_an_invoice_in_another_currency() -> None:
    with pytest.raises(InvalidAllocationError, match="invoice INV-1 is in EUR, payment BACS-1 is in GBP"):
        allocate_payment(payment("10.00"), [invoice("INV-1", "10.00", currency="EUR")])


def test_a_bad_document_is_refused_even_after_the_cash_has_run_out() -> None:
    """Whether a list is acceptable must not depend on how far the money reaches."""
    used_up = [invoice("INV-1", "10.00"), invoice("INV-2", "5.00")]
    with pytest.raises(InvalidAllocationError, match="credit note"):
        allocate_payment(payment("10.00"), [*used_up, credit_note("CN-1", "5.00")])
    with pytest.raises(InvalidAllocationError, match="EUR"):
        allocate_payment(payment("10.00"), [*used_up, invoice("INV-3", "5", currency="EUR")])


def test_the_same_invoice_twice_is_refused_rather_than_over_settled() -> None:
    twice = invoice("INV-1", "100.00")
    with pytest.raises(InvalidAllocationError, match="INV-1 is listed twice"):
        allocate_payment(payment("150.00"), [twice, twice])


def test_cash_cannot_cross_to_another_creditors_ledger() -> None:
    with pytest.raises(InvalidAllocationError, match="belongs to creditor other, payment BACS-1 to acme"):
        allocate_payment(payment("10.00"), [invoice("INV-1", "10.00", creditor="other")])


def test_a_matched_payment_settles_only_its_own_debtors_invoices() -> None:
    with pytest.raises(InvalidAllocationError, match="on account C002, payment BACS-1 on account C001"):
        allocate_payment(payment("10.00"), [invoice("INV-1", "10.00", debtor="C002")])


@pytest.mark.parametrize(
    ("status", "words"),
    [(DocumentStatus.WRITTEN_OFF, "written off"), (DocumentStatus.SETTLED_IN_SOURCE, "settled")],
)
def test_cash_cannot_revive_a_written_off_or_settled_in_source_invoice(
    status: DocumentStatus, words: str
) -> None:
    with pytest.raises(InvalidAllocationError, match=f"INV-1 is {words}.*reopen it first"):
        allocate_payment(payment("10.00"), [invoice("INV-1", "10.00", status=status)])


def test_a_credit_note_settles_invoices_and_keeps_what_it_cannot_apply() -> None:
    note = credit_note("CN-1", "50.00")
    result = apply_credit_note(note, [invoice("INV-1", "30.00")], on=date(2026, 2, 1))
    (allocation,) = result.allocations
    assert (allocation.credit_note, allocation.payment, allocation.amount) == ("CN-1", None, gbp("30.00"))
    settled, updated_note = result.documents
    assert settled.status is DocumentStatus.PAID
    assert updated_note.number == "CN-1"
    assert updated_note.open_amount == gbp("20.00")
    assert updated_note.status is DocumentStatus.PART_PAID
    assert result.left_over == gbp("20.00")


def test_a_credit_note_used_in_full_is_paid() -> None:
    result = apply_credit_note(
        credit_note("CN-1", "30.00"), [invoice("INV-1", "100.00")], on=date(2026, 2, 1)
    )
    assert result.documents[0].open_amount == gbp("70.00")
    assert result.documents[-1].status is DocumentStatus.PAID
    assert result.left_over.is_zero


def test_an_invoice_cannot_be_applied_as_a_credit_note() -> None:
    with pytest.raises(InvalidAllocationError, match="INV-9 is an invoice, not a credit note"):
        apply_credit_note(invoice("INV-9", "10"), [invoice("INV-1", "10")], on=date(2026, 2, 1))


def test_a_credit_note_cannot_be_applied_to_another_credit_note() -> None:
    with pytest.raises(
        InvalidAllocationError, match="CN-2 is a credit note; credit note CN-1 can settle only invoices"
    ):
        apply_credit_note(credit_note("CN-1", "10"), [credit_note("CN-2", "10")], on=date(2026, 2, 1))


def test_a_credit_note_settles_only_its_own_debtors_invoices() -> None:
    with pytest.raises(InvalidAllocationError, match="on account C002, credit note CN-1 on account C001"):
        apply_credit_note(
            credit_note("CN-1", "10"), [invoice("INV-1", "10", debtor="C002")], on=date(2026, 2, 1)
        )


def test_a_credit_note_cannot_settle_an_invoice_in_another_currency() -> None:
    with pytest.raises(InvalidAllocationError, match="is in EUR, credit note CN-1 is in GBP"):
        apply_credit_note(
            credit_note("CN-1", "10"), [invoice("INV-1", "10", currency="EUR")], on=date(2026, 2, 1)
        )


# --- open balance ---------------------------------------------------------------------------


def test_open_balance_is_open_invoices_less_credit_notes_less_unallocated_cash() -> None:
    documents = [
        invoice("INV-1", "100.00"),
        invoice("INV-2", "80.00", open_amount="30.00"),
        invoice("INV-3", "50.00", open_amount="0"),
        credit_note("CN-1", "20.00"),
    ]
    payments = [payment("100.00", unallocated="15.00"), payment("40.00", reference="P2", unallocated="0")]
    assert open_balance(documents, payments, "GBP") == gbp("95.00")


def test_written_off_and_settled_in_source_documents_leave_the_balance() -> None:
    documents = [
        invoice("INV-1", "100.00"),
        invoice("INV-2", "70.00", status=DocumentStatus.WRITTEN_OFF),
        invoice("INV-3", "60.00", status=DocumentStatus.SETTLED_IN_SOURCE),
    ]
    assert open_balance(documents, [], "GBP") == gbp("100.00")


def test_an_over_payment_makes_the_balance_negative() -> None:
    assert open_balance([invoice("INV-1", "10.00")], [payment("25.00")], "GBP") == gbp("-15.00")


def test_open_balance_counts_only_the_currency_asked_for() -> None:
    documents = [invoice("INV-1", "100.00"), invoice("INV-2", "300", currency="EUR")]
    assert open_balance(documents, [payment("5", currency="EUR")], "EUR") == Money.of("295", "EUR")
    assert open_balance([], [], "JPY") == Money.zero("JPY")


def test_open_balance_in_an_unknown_currency_is_refused() -> None:
    with pytest.raises(UnknownCurrencyError):
        open_balance([invoice("INV-1", "1")], [], "XYZ")


def test_open_balances_keep_each_currency_apart() -> None:
    documents = [
        invoice("INV-1", "100.00"),
        invoice("INV-2", "300", currency="EUR"),
        credit_note("CN-1", "40"),
    ]
    balances = open_balances(documents, [payment("1000", currency="JPY")])
    assert balances == {"EUR": Money.of("300", "EUR"), "GBP": gbp("60.00"), "JPY": Money.of("-1000", "JPY")}
    assert list(balances) == ["EUR", "GBP", "JPY"]
    assert open_balances([], []) == {}


def test_open_balances_accept_one_pass_iterators() -> None:
    documents = iter([invoice("INV-1", "10.00")])
    assert open_balances(documents, iter([])) == {"GBP": gbp("10.00")}


def test_summing_amounts_in_mixed_currencies_is_an_error() -> None:
    with pytest.raises(CurrencyMismatchError):
        Money.total([invoice("INV-1", "1").amount, invoice("INV-2", "1", currency="EUR").amount], "GBP")


# --- allocation laws ------------------------------------------------------------------------

minor_amounts = st.integers(min_value=1, max_value=10_000_000)


@st.composite
def open_invoices(draw: st.DrawFn) -> list[Document]:
    currency = draw(st.sampled_from(["GBP", "JPY", "BHD"]))
    count = draw(st.integers(min_value=0, max_value=12))
    documents = []
    for index in range(count):
        total = draw(minor_amounts)
        still_open = draw(st.integers(min_value=0, max_value=total))
        due = ISSUED + timedelta(days=draw(st.integers(0, 365)))
        amount = Money.from_minor_units(total, currency)
        documents.append(
            invoice(
                f"INV-{index}",
                str(amount.amount),
                open_amount=str(Money.from_minor_units(still_open, currency).amount),
                currency=currency,
                due=due,
            )
        )
    return sorted(documents, key=lambda d: d.due_date)


@given(open_invoices(), minor_amounts, st.sampled_from(["GBP", "JPY", "BHD"]))
def test_allocation_conserves_cash_and_never_over_settles(
    documents: list[Document], cash: int, fallback_currency: str
) -> None:
    currency = documents[0].currency if documents else fallback_currency
    received = Payment(
        CREDITOR, "P1", date(2026, 6, 1), Money.from_minor_units(cash, currency), debtor=DEBTOR
    )
    result = allocate_payment(received, documents)

    allocated = Money.total((a.amount for a in result.allocations), currency)
    assert allocated + result.left_over == received.amount
    assert not result.left_over.is_negative

    before = {d.number: d for d in documents}
    after = {d.number: d for d in result.documents}
    assert set(after) <= set(before)
    for number, document in before.items():
        settled = Money.total((a.amount for a in result.allocations if a.document == number), currency)
        now = after.get(number, document)
        assert now.open_amount == document.open_amount - settled
        assert not now.open_amount.is_negative
    for document in result.documents:
        assert document.status is status_for(document.amount, document.open_amount)

    total_open = Money.total((d.open_amount for d in documents), currency)
    assert allocated == received.amount.min(total_open)


@given(open_invoices(), minor_amounts)
def test_credit_note_application_conserves_the_note(documents: list[Document], credit: int) -> None:
    if not documents:
        return
    currency = documents[0].currency
    amount = Money.from_minor_units(credit, currency)
    note = replace(
        documents[0], kind=DocumentKind.CREDIT_NOTE, number="CN-1", amount=amount, open_amount=amount
    )
    result = apply_credit_note(note, documents, on=date(2026, 6, 1))
    applied = Money.total((a.amount for a in result.allocations), currency)
    assert applied + result.left_over == amount
    assert result.documents[-1].open_amount == result.left_over
    assert Decimal(0) <= result.left_over.amount
