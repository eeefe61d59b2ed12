"""Writing what an accounting package reports: upserts by account code, external reference and
payment reference, withdrawn documents, allocations as the package reports them."""

from dataclasses import replace
from datetime import date

import pytest
from store_builders import credit_note, creditor, debtor, document, money, payment

from arrears.core.errors import InvalidAllocationError, InvalidDocumentError
from arrears.core.ledger import Allocation, Contact, DebtorFlag, Document, DocumentKind, DocumentStatus
from arrears.store.unit_of_work import SqlUnitOfWork

JAN = date(2026, 1, 5)
DUE = date(2026, 2, 4)


@pytest.fixture
def ledger(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    with uow:
        uow.creditors.add(creditor("ACME"))
        uow.creditors.add(creditor("BETA"))
        uow.debtors.add("ACME", [debtor("ACME", "58"), debtor("ACME", "59", currency="USD")])
        uow.debtors.add("BETA", [debtor("BETA", "58")])
        uow.commit()
    return uow


def sourced(
    number: str,
    reference: str,
    amount: str = "1200",
    open_amount: str | None = None,
    *,
    status: DocumentStatus | None = None,
) -> Document:
    """An invoice of ACME's debtor 58 as an accounting package reports it (with its id)."""
    return replace(
        document("ACME", "58", number, JAN, DUE, amount, open_amount, status=status),
        external_reference=reference,
    )


def test_a_debtor_update_takes_name_and_contacts_and_keeps_what_arrears_decided(
    ledger: SqlUnitOfWork,
) -> None:
    uow = ledger
    with uow:
        uow.debtors.set_flags("ACME", "58", [DebtorFlag.DO_NOT_CONTACT])
        uow.debtors.update("ACME", replace(uow.debtors.get("ACME", "58"), payment_terms_days=45))
        uow.commit()
    renamed = debtor("ACME", "58", contacts=(Contact("Pat Miller", email="pat@coolcars.example"),))
    renamed = replace(renamed, name="Cool Cars")

    with uow:
        counts = uow.debtors.upsert_from_source("ACME", [renamed, debtor("ACME", "60")])
        stored = uow.debtors.get("ACME", "58")
        uow.commit()

    assert counts == (1, 1)
    assert stored.name == "Cool Cars"
    assert [c.email for c in stored.contacts] == ["pat@coolcars.example"]
    assert stored.do_not_contact and stored.payment_terms_days == 45


def test_a_debtor_unchanged_or_without_contacts_counts_as_not_updated(ledger: SqlUnitOfWork) -> None:
    uow = ledger
    with uow:
        uow.debtors.upsert_from_source(
            "ACME", [debtor("ACME", "58", contacts=(Contact("Pat", email="p@x.example"),))]
        )
        again = uow.debtors.upsert_from_source(
            "ACME", [debtor("ACME", "58", contacts=(Contact("Pat", email="p@x.example"),))]
        )
        bare = uow.debtors.upsert_from_source("ACME", [debtor("ACME", "58")])
        kept = uow.debtors.get("ACME", "58").contacts

    assert (again, bare) == ((0, 0), (0, 0))
    assert [c.email for c in kept] == ["p@x.example"]


def test_referenced_accounts_are_only_added_and_updates_only_update(ledger: SqlUnitOfWork) -> None:
    uow = ledger
    with uow:
        added = uow.debtors.upsert_from_source(
            "ACME", [replace(debtor("ACME", "58"), name="Stale"), debtor("ACME", "61")], update_existing=False
        )
        updated = uow.debtors.upsert_from_source(
            "ACME",
            [replace(debtor("ACME", "59", currency="USD"), name="Dukes"), debtor("ACME", "62")],
            add_new=False,
        )
        codes = [d.account_code for d in uow.debtors.list_all("ACME")]
        names = (uow.debtors.get("ACME", "58").name, uow.debtors.get("ACME", "59").name)

    assert (added, updated) == ((1, 0), (0, 1))
    assert codes == ["58", "59", "61"]
    assert names == ("Customer 58", "Dukes")


def test_documents_are_added_then_updated_by_their_external_reference(ledger: SqlUnitOfWork) -> None:
    uow = ledger
    with uow:
        first = uow.documents.upsert_by_reference("ACME", [sourced("1038", "quickbooks:131")])
        same = uow.documents.upsert_by_reference("ACME", [sourced("1038", "quickbooks:131")])
        paid_part = uow.documents.upsert_by_reference(
            "ACME", [sourced("1038", "quickbooks:131", open_amount="450")]
        )
        stored = uow.documents.get("ACME", "1038")
        beta = uow.documents.upsert_by_reference(
            "BETA", [replace(sourced("1038", "quickbooks:131"), creditor="BETA")]
        )
        uow.commit()

    assert (first, same, paid_part, beta) == ((1, 0), (0, 0), (0, 1), (1, 0))
    assert (stored.open_amount, stored.status) == (money("450"), DocumentStatus.PART_PAID)


def test_a_document_imported_without_a_reference_is_adopted_by_its_number(ledger: SqlUnitOfWork) -> None:
    uow = ledger
    with uow:
        uow.documents.add("ACME", [document("ACME", "58", "1037", JAN, DUE, "362.07")])
        counts = uow.documents.upsert_by_reference("ACME", [sourced("1037", "quickbooks:130", "362.07", "0")])
        stored = uow.documents.list_for_debtor("ACME", "58")

    assert counts == (0, 1)
    assert [(d.number, d.external_reference, d.status) for d in stored] == [
        ("1037", "quickbooks:130", DocumentStatus.PAID)
    ]


def test_a_written_off_document_stays_written_off(ledger: SqlUnitOfWork) -> None:
    uow = ledger
    with uow:
        uow.documents.upsert_by_reference(
            "ACME", [sourced("1041", "xero:1", "99.99", status=DocumentStatus.WRITTEN_OFF)]
        )
        uow.documents.upsert_by_reference("ACME", [sourced("1041", "xero:1", "99.99", "50")])
        stored = uow.documents.get("ACME", "1041")

    assert (stored.status, stored.open_amount) == (DocumentStatus.WRITTEN_OFF, money("50"))


def test_a_document_without_an_external_reference_cannot_be_upserted(ledger: SqlUnitOfWork) -> None:
    with ledger, pytest.raises(InvalidDocumentError, match="no external reference"):
        ledger.documents.upsert_by_reference("ACME", [document("ACME", "58", "9", JAN, DUE, "1")])


def test_withdrawn_documents_are_settled_in_source_with_nothing_open(ledger: SqlUnitOfWork) -> None:
    uow = ledger
    with uow:
        uow.documents.upsert_by_reference("ACME", [sourced("1041", "quickbooks:134", "99.99")])
        first = uow.documents.withdraw("ACME", DocumentKind.INVOICE, ["quickbooks:134", "quickbooks:999"])
        again = uow.documents.withdraw("ACME", DocumentKind.INVOICE, ["quickbooks:134"])
        stored = uow.documents.get("ACME", "1041")

    assert (first, again) == (1, 0)
    assert (stored.status, stored.open_amount, stored.amount) == (
        DocumentStatus.SETTLED_IN_SOURCE,
        money("0"),
        money("99.99"),
    )


def test_numbers_and_references_look_each_other_up_per_kind(ledger: SqlUnitOfWork) -> None:
    uow = ledger
    with uow:
        uow.documents.upsert_by_reference(
            "ACME",
            [
                sourced("1038", "quickbooks:131"),
                replace(credit_note("ACME", "58", "1038", JAN, "50"), external_reference="quickbooks:131"),
            ],
        )
        uow.documents.add("ACME", [document("ACME", "58", "7", JAN, DUE, "1")])
        numbers = uow.documents.numbers_by_reference(
            "ACME", DocumentKind.CREDIT_NOTE, ["quickbooks:131", "quickbooks:5"]
        )
        owners = uow.documents.references_by_number("ACME", DocumentKind.INVOICE, ["1038", "7", "8"])

    assert numbers == {"quickbooks:131": "1038"}
    assert owners == {"1038": "quickbooks:131", "7": None}


def test_payments_are_added_then_updated_by_reference(ledger: SqlUnitOfWork) -> None:
    uow = ledger
    cash = payment("ACME", "xero:p1", date(2026, 1, 21), "46", "58")
    with uow:
        first = uow.payments.upsert("ACME", [cash])
        same = uow.payments.upsert("ACME", [cash])
        changed = uow.payments.upsert(
            "ACME", [replace(cash, amount=money("50"), unallocated=money("4"), debtor=None)]
        )
        stored = uow.payments.get("ACME", "xero:p1")

    assert (first, same, changed) == ((1, 0), (0, 0), (0, 1))
    assert (stored.amount, stored.unallocated, stored.debtor) == (money("50"), money("4"), "58")


def test_allocations_are_replaced_as_reported_and_move_no_open_amount(ledger: SqlUnitOfWork) -> None:
    uow = ledger
    with uow:
        uow.documents.upsert_by_reference(
            "ACME", [sourced("1038", "q:131", "1200", "450"), sourced("1037", "q:130", "100")]
        )
        uow.payments.upsert(
            "ACME",
            [replace(payment("ACME", "q:201", date(2026, 1, 25), "750", "58"), unallocated=money("0"))],
        )
        uow.payments.replace_allocations(
            "ACME",
            [Allocation("ACME", "1037", money("750"), date(2026, 1, 25), payment="q:201")],
            payment="q:201",
        )
        count = uow.payments.replace_allocations(
            "ACME",
            [Allocation("ACME", "1038", money("750"), date(2026, 1, 25), payment="q:201")],
            payment="q:201",
        )
        allocations = uow.payments.allocations("ACME", payment="q:201")
        invoice = uow.documents.get("ACME", "1038")

    assert count == 1
    assert [(a.document, a.amount) for a in allocations] == [("1038", money("750"))]
    assert invoice.open_amount == money("450")  # as the package said, not 1200 - 750 again


def test_a_credit_note_allocation_must_match_the_currencies(ledger: SqlUnitOfWork) -> None:
    uow = ledger
    with uow:
        uow.documents.upsert_by_reference(
            "ACME",
            [
                sourced("1038", "q:131"),
                replace(
                    credit_note("ACME", "59", "CN-1", JAN, "20", currency="USD"), external_reference="q:c1"
                ),
            ],
        )
        with pytest.raises(InvalidAllocationError, match="is in USD"):
            uow.payments.replace_allocations(
                "ACME",
                [Allocation("ACME", "1038", money("20", "USD"), JAN, credit_note="CN-1")],
                credit_note="CN-1",
            )


def test_removing_a_payment_removes_its_allocations(ledger: SqlUnitOfWork) -> None:
    uow = ledger
    with uow:
        uow.documents.upsert_by_reference("ACME", [sourced("1038", "q:131")])
        uow.payments.upsert(
            "ACME", [replace(payment("ACME", "q:201", JAN, "100", "58"), unallocated=money("0"))]
        )
        uow.payments.replace_allocations(
            "ACME", [Allocation("ACME", "1038", money("100"), JAN, payment="q:201")], payment="q:201"
        )
        removed = uow.payments.remove("ACME", ["q:201", "q:404"])
        left = (uow.payments.list_all("ACME"), uow.payments.allocations("ACME"))

    assert removed == 1
    assert left == ([], [])
