"""Every row belongs to one creditor: natural keys are unique per creditor, and nothing of
creditor B can be read or changed through creditor A."""

from datetime import date

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from store_builders import credit_note, creditor, debtor, document, money, payment

from arrears.core.errors import NotFoundError
from arrears.core.ledger import Allocation, DebtorFlag, DocumentKind
from arrears.store import DuplicateError, SqlUnitOfWork, WrongCreditorError
from arrears.store.tables import DebtorRecord, DocumentRecord

JAN = date(2026, 1, 15)
FEB = date(2026, 2, 14)


@pytest.fixture
def two_creditors(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    """ACME and BETA, each with a debtor C001 (the same code), an invoice INV-1, a credit note
    CN-1 and a payment P-1; BETA also has a debtor B-ONLY."""
    with uow:
        for code in ("ACME", "BETA"):
            uow.creditors.add(creditor(code))
            uow.debtors.add(code, [debtor(code, "C001")])
            uow.documents.add(
                code,
                [
                    document(code, "C001", "INV-1", JAN, FEB, "100.00"),
                    credit_note(code, "C001", "CN-1", JAN, "5.00"),
                ],
            )
            uow.payments.add(code, [payment(code, "P-1", FEB, "40.00", "C001")])
        uow.debtors.add("BETA", [debtor("BETA", "B-ONLY")])
        uow.documents.add("BETA", [document("BETA", "B-ONLY", "B-INV", JAN, FEB, "70.00")])
        uow.payments.add("BETA", [payment("BETA", "B-PAY", FEB, "70.00", "B-ONLY")])
        uow.commit()
    return uow


# --- uniqueness per creditor ---------------------------------------------------------------


def test_the_same_natural_keys_live_side_by_side_under_two_creditors(two_creditors: SqlUnitOfWork) -> None:
    with two_creditors as uow:
        assert uow.debtors.get("ACME", "C001").creditor == "ACME"
        assert uow.debtors.get("BETA", "C001").creditor == "BETA"
        assert uow.documents.get("ACME", "INV-1").creditor == "ACME"
        assert uow.payments.get("BETA", "P-1").creditor == "BETA"


def test_a_creditor_code_is_unique(two_creditors: SqlUnitOfWork) -> None:
    with two_creditors as uow, pytest.raises(DuplicateError, match="already a creditor 'ACME'"):
        uow.creditors.add(creditor("ACME"))


def test_a_debtor_account_code_is_unique_per_creditor(two_creditors: SqlUnitOfWork) -> None:
    with two_creditors as uow:
        with pytest.raises(DuplicateError, match="already has debtor"):
            uow.debtors.add("ACME", [debtor("ACME", "NEW"), debtor("ACME", "C001")])
        with pytest.raises(DuplicateError, match="given twice"):
            uow.debtors.add("ACME", [debtor("ACME", "TWIN"), debtor("ACME", "TWIN")])
        # the refused batches left nothing behind and the unit of work is still usable
        assert [d.account_code for d in uow.debtors.list_all("ACME")] == ["C001"]
        uow.debtors.add("ACME", [debtor("ACME", "NEW")])
        uow.commit()
    with two_creditors as uow:
        assert [d.account_code for d in uow.debtors.list_all("ACME")] == ["C001", "NEW"]


def test_a_document_number_is_unique_per_creditor_and_kind(two_creditors: SqlUnitOfWork) -> None:
    with two_creditors as uow:
        with pytest.raises(DuplicateError, match="already has invoice INV-1"):
            uow.documents.add("ACME", [document("ACME", "C001", "INV-1", JAN, FEB, "1.00")])
        with pytest.raises(DuplicateError, match="already has credit note CN-1"):
            uow.documents.add("ACME", [credit_note("ACME", "C001", "CN-1", JAN, "1.00")])
        with pytest.raises(DuplicateError, match="invoice INV-9 is given twice"):
            uow.documents.add(
                "ACME",
                [
                    document("ACME", "C001", "INV-9", JAN, FEB, "1.00"),
                    document("ACME", "C001", "INV-9", JAN, FEB, "2.00"),
                ],
            )
        assert len(uow.documents.list_for_debtor("ACME", "C001")) == 2


def test_a_payment_reference_is_unique_per_creditor(two_creditors: SqlUnitOfWork) -> None:
    with two_creditors as uow, pytest.raises(DuplicateError, match="already has payment P-1"):
        uow.payments.add("ACME", [payment("ACME", "P-1", FEB, "1.00")])


# --- isolation -----------------------------------------------------------------------------


def test_another_creditors_debtor_is_never_returned(two_creditors: SqlUnitOfWork) -> None:
    with two_creditors as uow:
        with pytest.raises(NotFoundError, match="ACME has no debtor 'B-ONLY'"):
            uow.debtors.get("ACME", "B-ONLY")
        assert [d.account_code for d in uow.debtors.list_all("ACME")] == ["C001"]
        with pytest.raises(NotFoundError):
            uow.documents.list_for_debtor("ACME", "B-ONLY")
        with pytest.raises(NotFoundError):
            uow.payments.list_all("ACME", debtor="B-ONLY")
        assert uow.ledger.open_balance("ACME", "B-ONLY") == {}


def test_another_creditors_document_and_payment_are_never_returned(two_creditors: SqlUnitOfWork) -> None:
    with two_creditors as uow:
        with pytest.raises(NotFoundError, match="ACME has no invoice 'B-INV'"):
            uow.documents.get("ACME", "B-INV")
        with pytest.raises(NotFoundError, match="ACME has no payment 'B-PAY'"):
            uow.payments.get("ACME", "B-PAY")
        assert {d.creditor for d in uow.documents.list_open("ACME")} == {"ACME"}
        assert [d.number for d in uow.documents.list_open("ACME")] == ["CN-1", "INV-1"]
        assert [p.reference for p in uow.payments.list_all("ACME")] == ["P-1"]
        assert [line.debtor for line in uow.ledger.ageing_report("ACME", FEB).lines] == ["C001"]
        snapshot = uow.ledger.snapshot("ACME", FEB)
        assert {d.creditor for d in (*snapshot.debtors, *snapshot.documents, *snapshot.payments)} == {"ACME"}


def test_another_creditors_debtor_cannot_be_changed(two_creditors: SqlUnitOfWork) -> None:
    with two_creditors as uow:
        with pytest.raises(NotFoundError):
            uow.debtors.update("ACME", debtor("ACME", "B-ONLY", payment_terms_days=1))
        with pytest.raises(NotFoundError):
            uow.debtors.set_flags("ACME", "B-ONLY", [DebtorFlag.DO_NOT_CONTACT])
        with pytest.raises(WrongCreditorError, match="belongs to creditor BETA, not ACME"):
            uow.debtors.update("ACME", debtor("BETA", "C001", payment_terms_days=1))
        # changing ACME's C001 leaves BETA's C001 alone
        uow.debtors.update("ACME", debtor("ACME", "C001", payment_terms_days=1))
        uow.commit()
    with two_creditors as uow:
        assert uow.debtors.get("ACME", "C001").payment_terms_days == 1
        assert uow.debtors.get("BETA", "C001").payment_terms_days == 30
        assert uow.debtors.get("BETA", "B-ONLY").flags == frozenset()


def test_another_creditors_documents_cannot_be_allocated(two_creditors: SqlUnitOfWork) -> None:
    with two_creditors as uow:
        with pytest.raises(NotFoundError, match="no invoice B-INV"):
            uow.payments.allocate("ACME", [Allocation("ACME", "B-INV", money("1.00"), FEB, payment="P-1")])
        with pytest.raises(NotFoundError, match="no payment B-PAY"):
            uow.payments.allocate("ACME", [Allocation("ACME", "INV-1", money("1.00"), FEB, payment="B-PAY")])
        with pytest.raises(WrongCreditorError):
            uow.payments.allocate("ACME", [Allocation("BETA", "INV-1", money("1.00"), FEB, payment="P-1")])
        # allocating ACME's INV-1 touches ACME's rows only, though BETA has an INV-1 and a P-1 too
        uow.payments.allocate("ACME", [Allocation("ACME", "INV-1", money("40.00"), FEB, payment="P-1")])
        uow.commit()
    with two_creditors as uow:
        assert uow.documents.get("ACME", "INV-1").open_amount == money("60.00")
        assert uow.documents.get("BETA", "INV-1").open_amount == money("100.00")
        assert uow.payments.get("BETA", "P-1").unallocated_amount == money("40.00")
        assert uow.payments.allocations("BETA") == []


def test_values_of_another_creditor_are_refused_when_adding(two_creditors: SqlUnitOfWork) -> None:
    with two_creditors as uow:
        with pytest.raises(WrongCreditorError):
            uow.debtors.add("ACME", [debtor("BETA", "X")])
        with pytest.raises(WrongCreditorError):
            uow.documents.add("ACME", [document("BETA", "C001", "X", JAN, FEB, "1.00")])
        with pytest.raises(WrongCreditorError):
            uow.payments.add("ACME", [payment("BETA", "X", FEB, "1.00")])
        with pytest.raises(NotFoundError, match="ACME has no debtor"):
            uow.documents.add("ACME", [document("ACME", "B-ONLY", "X", JAN, FEB, "1.00")])
        with pytest.raises(NotFoundError, match="ACME has no debtor"):
            uow.payments.add("ACME", [payment("ACME", "X", FEB, "1.00", "B-ONLY")])
        with pytest.raises(NotFoundError, match="no creditor 'NOPE'"):
            uow.documents.list_open("NOPE")


def test_the_schema_itself_refuses_a_row_pointing_at_another_creditors_debtor(
    two_creditors: SqlUnitOfWork,
) -> None:
    # even a bug that bypassed the repositories could not file ACME's invoice under BETA's debtor
    with two_creditors as uow:
        session = uow.session
        acme_id = session.scalar(
            select(DocumentRecord.creditor_id).where(DocumentRecord.number == "INV-1").limit(1)
        )
        beta_debtor = session.scalar(
            select(DebtorRecord.id).where(
                DebtorRecord.account_code == "B-ONLY", DebtorRecord.creditor_id != acme_id
            )
        )
        with pytest.raises(IntegrityError):
            session.execute(
                insert(DocumentRecord).values(
                    creditor_id=acme_id,
                    debtor_id=beta_debtor,
                    kind=DocumentKind.INVOICE.value,
                    number="SNEAKY",
                    issue_date=JAN,
                    due_date=FEB,
                    currency="GBP",
                    amount_minor=100,
                    open_minor=100,
                    status="open",
                )
            )
