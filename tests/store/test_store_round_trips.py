"""Every ledger value comes back from the store exactly as it went in."""

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select
from store_builders import credit_note, creditor, debtor, document, money, payment

from arrears.core.errors import InvalidDocumentError, NotFoundError
from arrears.core.ledger import (
    Allocation,
    Contact,
    DebtorFlag,
    DocumentKind,
    DocumentStatus,
    PostalAddress,
)
from arrears.core.money import Money
from arrears.store import DocumentRow, SqlUnitOfWork
from arrears.store.tables import DocumentRecord

JAN = date(2026, 1, 15)
FEB = date(2026, 2, 14)


def test_creditor_round_trip(uow: SqlUnitOfWork) -> None:
    acme = creditor("ACME")
    yen = creditor("NIPPON", "JPY")
    with uow:
        uow.creditors.add(yen)
        uow.creditors.add(acme)
        uow.commit()
    with uow:
        assert uow.creditors.get("ACME") == acme
        assert uow.creditors.list_all() == [acme, yen]
        with pytest.raises(NotFoundError, match="no creditor 'NOPE'"):
            uow.creditors.get("NOPE")


def test_debtor_round_trip_with_contacts_flags_and_credit_limit(uow: SqlUnitOfWork) -> None:
    contacts = (
        Contact(
            name="Jo Bloggs",
            email="jo@example.com",
            phone="+44 20 7946 0000",
            address=PostalAddress(
                lines=("1 High Street", "Little Snoring"), postcode="NR21 0AA", country="GB"
            ),
        ),
        Contact(name="Accounts mailbox", email="ap@example.com", role="ledger", primary=False),
        Contact(
            name="Postcode only",
            address=PostalAddress(lines=(), postcode="EC1A 1BB", country="GB"),
            primary=False,
        ),
    )
    full = debtor(
        "ACME",
        "C001",
        payment_terms_days=45,
        credit_limit=money("5000.00"),
        language="cy",
        timezone="Europe/London",
        contacts=contacts,
        flags=frozenset({DebtorFlag.DO_NOT_CONTACT, DebtorFlag.INDIVIDUAL}),
    )
    bare = debtor("ACME", "C002")
    with uow:
        uow.creditors.add(creditor("ACME"))
        assert uow.debtors.add("ACME", [full, bare]) == 2
        uow.commit()
    with uow:
        assert uow.debtors.get("ACME", "C001") == full
        assert uow.debtors.get("ACME", "C002") == bare
        assert uow.debtors.list_all("ACME") == [full, bare]
        with pytest.raises(NotFoundError, match="no debtor 'C999'"):
            uow.debtors.get("ACME", "C999")


def test_debtor_update_replaces_details_and_contacts(uow: SqlUnitOfWork) -> None:
    original = debtor("ACME", "C001", contacts=(Contact(name="Old"), Contact(name="Older", primary=False)))
    changed = debtor("ACME", "C001", payment_terms_days=14, contacts=(Contact(name="New"),))
    with uow:
        uow.creditors.add(creditor("ACME"))
        uow.debtors.add("ACME", [original])
        uow.debtors.update("ACME", changed)
        uow.debtors.set_flags("ACME", "C001", [DebtorFlag.CREDIT_HOLD])
        uow.commit()
    with uow:
        stored = uow.debtors.get("ACME", "C001")
    assert stored.payment_terms_days == 14
    assert stored.contacts == (Contact(name="New"),)
    assert stored.flags == {DebtorFlag.CREDIT_HOLD}


def test_document_round_trip_of_every_kind_and_status(uow: SqlUnitOfWork) -> None:
    documents = [
        document("ACME", "C001", "INV-1", JAN, FEB, "120.00"),
        document("ACME", "C001", "INV-2", JAN, FEB, "120.00", "20.01"),
        document("ACME", "C001", "INV-3", JAN, FEB, "99.99", "0"),
        document("ACME", "C001", "INV-4", JAN, FEB, "10.00", status=DocumentStatus.WRITTEN_OFF),
        document("ACME", "C001", "INV-5", JAN, FEB, "10.00", status=DocumentStatus.SETTLED_IN_SOURCE),
        credit_note("ACME", "C001", "CN-1", JAN, "15.50"),
    ]
    documents[0] = replace(documents[0], po_number="PO-7", external_reference="x-1")
    with uow:
        uow.creditors.add(creditor("ACME"))
        uow.debtors.add("ACME", [debtor("ACME", "C001")])
        assert uow.documents.add("ACME", documents) == len(documents)
        uow.commit()
    with uow:
        for stored in documents:
            assert uow.documents.get("ACME", stored.number, stored.kind) == stored
        assert [d.number for d in uow.documents.list_for_debtor("ACME", "C001")] == [
            "CN-1",
            "INV-1",
            "INV-2",
            "INV-3",
            "INV-4",
            "INV-5",
        ]
        assert [d.number for d in uow.documents.list_open("ACME")] == ["CN-1", "INV-1", "INV-2"]
        with pytest.raises(NotFoundError, match="no credit note 'INV-1'"):
            uow.documents.get("ACME", "INV-1", DocumentKind.CREDIT_NOTE)


def test_an_invoice_and_a_credit_note_may_share_a_number(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.creditors.add(creditor("ACME"))
        uow.debtors.add("ACME", [debtor("ACME", "C001")])
        uow.documents.add(
            "ACME",
            [
                document("ACME", "C001", "1001", JAN, FEB, "10.00"),
                credit_note("ACME", "C001", "1001", JAN, "2.00"),
            ],
        )
        assert uow.documents.get("ACME", "1001").amount == money("10.00")
        assert uow.documents.get("ACME", "1001", DocumentKind.CREDIT_NOTE).amount == money("2.00")


@pytest.mark.parametrize(
    ("currency", "amount", "minor"),
    [
        ("JPY", "1234567", 1234567),
        ("GBP", "12345.67", 1234567),
        ("BHD", "1234.567", 1234567),
        ("GBP", "0.01", 1),
    ],
)
def test_money_is_stored_as_exact_minor_units(
    uow: SqlUnitOfWork, currency: str, amount: str, minor: int
) -> None:
    with uow:
        uow.creditors.add(creditor("ACME", currency))
        uow.debtors.add("ACME", [debtor("ACME", "C001", currency, credit_limit=money(amount, currency))])
        uow.documents.add("ACME", [document("ACME", "C001", "INV-1", JAN, FEB, amount, currency=currency)])
        uow.payments.add("ACME", [payment("ACME", "P-1", FEB, amount, "C001", currency)])
        uow.commit()
    with uow:
        stored = uow.documents.get("ACME", "INV-1")
        assert stored.amount == Money.of(amount, currency)
        assert stored.amount.to_minor_units() == minor
        assert uow.debtors.get("ACME", "C001").credit_limit == Money.of(amount, currency)
        assert uow.payments.get("ACME", "P-1").amount == Money.of(amount, currency)
        amount_minor = uow.session.execute(select(DocumentRecord.amount_minor)).scalar_one()
        assert amount_minor == minor and type(amount_minor) is int


def test_very_large_amounts_survive(uow: SqlUnitOfWork) -> None:
    # beyond 32 bits of minor units: BigInteger, not Integer
    with uow:
        uow.creditors.add(creditor("ACME"))
        uow.debtors.add("ACME", [debtor("ACME", "C001")])
        uow.documents.add("ACME", [document("ACME", "C001", "BIG", JAN, FEB, "98765432109876.54")])
        assert uow.documents.get("ACME", "BIG").amount == money("98765432109876.54")


def test_payment_and_allocation_round_trip(uow: SqlUnitOfWork) -> None:
    matched = payment("ACME", "P-1", FEB, "100.00", "C001")
    unmatched = payment("ACME", "P-2", FEB, "7.00")
    with uow:
        uow.creditors.add(creditor("ACME"))
        uow.debtors.add("ACME", [debtor("ACME", "C001")])
        uow.documents.add(
            "ACME",
            [
                document("ACME", "C001", "INV-1", JAN, FEB, "150.00"),
                credit_note("ACME", "C001", "CN-1", JAN, "20.00"),
            ],
        )
        uow.payments.add("ACME", [matched, unmatched])
        cash = Allocation("ACME", "INV-1", money("100.00"), FEB, payment="P-1")
        note = Allocation("ACME", "INV-1", money("20.00"), date(2026, 2, 20), credit_note="CN-1")
        assert uow.payments.allocate("ACME", [cash, note]) == 2
        uow.commit()
    with uow:
        assert uow.payments.allocations("ACME") == [cash, note]
        assert uow.payments.allocations("ACME", document="INV-1") == [cash, note]
        assert uow.payments.allocations("ACME", payment="P-1") == [cash]
        stored = uow.payments.get("ACME", "P-1")
        assert (stored.reference, stored.debtor, stored.amount) == ("P-1", "C001", matched.amount)
        assert stored.unallocated == money("0.00")
        assert uow.payments.get("ACME", "P-2").unallocated_amount == unmatched.unallocated_amount
        assert uow.payments.get("ACME", "P-2").debtor is None
        assert [p.reference for p in uow.payments.list_all("ACME", unallocated_only=True)] == ["P-2"]
        assert [p.reference for p in uow.payments.list_all("ACME", debtor="C001")] == ["P-1"]


def test_bulk_rows_as_named_tuples_plain_tuples_and_mappings(uow: SqlUnitOfWork) -> None:
    rows = [
        DocumentRow("C001", "invoice", "INV-1", JAN, FEB, "GBP", 12000, 12000),
        ("C001", "invoice", "INV-2", JAN, FEB, "GBP", 500, 250, "part_paid"),
        {
            "debtor": "C001",
            "kind": "credit_note",
            "number": "CN-1",
            "issue_date": JAN,
            "due_date": JAN,
            "currency": "GBP",
            "amount_minor": 300,
            "open_minor": 300,
            "po_number": "PO-1",
        },
    ]
    with uow:
        uow.creditors.add(creditor("ACME"))
        uow.debtors.add("ACME", [debtor("ACME", "C001")])
        assert uow.documents.add_rows("ACME", rows) == 3
        assert uow.documents.get("ACME", "INV-2") == document(
            "ACME", "C001", "INV-2", JAN, FEB, "5.00", "2.50"
        )
        assert uow.documents.get("ACME", "CN-1", DocumentKind.CREDIT_NOTE).po_number == "PO-1"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("C001", "invoice", "I", JAN, FEB, "GBP", 0, 0), "must be positive"),
        (("C001", "invoice", "I", JAN, FEB, "GBP", 100, 101), "between 0 and the amount"),
        (("C001", "invoice", "I", JAN, FEB, "GBP", 1.5, 1), "integers in minor units"),
        (("C001", "invoice", "I", FEB, JAN, "GBP", 100, 100), "before the issue date"),
        (("C001", "bill", "I", JAN, FEB, "GBP", 100, 100), "kind must be one of"),
        (("C001", "invoice", "I", JAN, FEB, "GBP", 100, 100, "closed"), "status must be one of"),
        (("C001", "invoice", " ", JAN, FEB, "GBP", 100, 100), "needs a number"),
        (("C001", "invoice", "I", JAN, FEB), "is not a document row"),
        (("C001", "invoice", "I", "2026-01-15", FEB, "GBP", 100, 100), "dates must be dates"),
    ],
)
def test_bulk_rows_are_checked_like_documents(
    uow: SqlUnitOfWork, row: tuple[object, ...], message: str
) -> None:
    with uow:
        uow.creditors.add(creditor("ACME"))
        uow.debtors.add("ACME", [debtor("ACME", "C001")])
        with pytest.raises(InvalidDocumentError, match=message):
            uow.documents.add_rows("ACME", [row])
