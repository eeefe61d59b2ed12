"""Write-offs: a value with a reason and an approver, applied to a document."""

from datetime import date

import pytest

from arrears.core.deal_rules import APPROVED_BY_RULES, DealRules
from arrears.core.errors import ArrearsError, InvalidAllocationError
from arrears.core.ledger import Document, DocumentKind, DocumentStatus, Payment, allocate_payment
from arrears.core.money import Money
from arrears.core.writeoffs import (
    WriteOff,
    WriteOffError,
    WriteOffReason,
    apply_write_off,
    decide_write_off,
    write_off,
)

MARCH_1 = date(2026, 3, 1)


def gbp(amount: str) -> Money:
    return Money.of(amount, "GBP")


def invoice(number: str = "INV-1", amount: str = "500.00", open_amount: str | None = None) -> Document:
    return Document(
        "acme",
        "C001",
        DocumentKind.INVOICE,
        number,
        date(2026, 1, 1),
        date(2026, 1, 31),
        gbp(amount),
        gbp(open_amount or amount),
    )


def test_partial_write_off_lowers_the_open_amount_and_leaves_the_rest_to_chase() -> None:
    document = invoice(open_amount="300.00")

    after = apply_write_off(
        document,
        write_off(document, gbp("50.00"), reason=WriteOffReason.GOODWILL, approved_by="Jo", on=MARCH_1),
    )

    assert after.open_amount == gbp("250.00")
    assert after.status is DocumentStatus.PART_PAID
    assert after.is_open


def test_full_write_off_marks_the_document_written_off() -> None:
    document = invoice()

    after = apply_write_off(
        document, write_off(document, reason=WriteOffReason.BAD_DEBT, approved_by="Jo", on=MARCH_1)
    )

    assert after.open_amount.is_zero
    assert after.status is DocumentStatus.WRITTEN_OFF
    assert not after.is_open


def test_write_off_refuses_more_than_is_open_and_names_the_figures() -> None:
    document = invoice(open_amount="40.00")

    with pytest.raises(WriteOffError, match=r"INV-1: only 40.00 GBP is open"):
        write_off(document, gbp("40.01"), reason=WriteOffReason.SMALL_BALANCE, approved_by="Jo", on=MARCH_1)


def test_applying_a_write_off_twice_is_refused_once_it_no_longer_fits() -> None:
    document = invoice(open_amount="40.00")
    value = write_off(
        document, gbp("30.00"), reason=WriteOffReason.SMALL_BALANCE, approved_by="Jo", on=MARCH_1
    )
    once = apply_write_off(document, value)

    with pytest.raises(WriteOffError, match=r"only 10\.00 GBP is open"):
        apply_write_off(once, value)


def test_a_written_off_document_takes_no_more_cash() -> None:
    document = invoice()
    gone = apply_write_off(
        document, write_off(document, reason=WriteOffReason.BAD_DEBT, approved_by="Jo", on=MARCH_1)
    )

    with pytest.raises(InvalidAllocationError, match="written off; reopen it first"):
        allocate_payment(Payment("acme", "P1", MARCH_1, gbp("10.00"), debtor="C001"), [gone])
    with pytest.raises(WriteOffError, match="already written off"):
        apply_write_off(
            gone, WriteOff("acme", "C001", "INV-1", gbp("1.00"), WriteOffReason.BAD_DEBT, "Jo", MARCH_1)
        )


def test_write_off_needs_an_approver_and_a_note_for_other() -> None:
    document = invoice()

    with pytest.raises(WriteOffError, match="say who approved it"):
        write_off(document, reason=WriteOffReason.BAD_DEBT, approved_by=" ", on=MARCH_1)
    with pytest.raises(WriteOffError, match="the reason is 'other'; say why in the note"):
        write_off(document, reason=WriteOffReason.OTHER, approved_by="Jo", on=MARCH_1)
    stored_reason = "other"  # as the store hands it back
    value = write_off(document, reason=stored_reason, approved_by="Jo", on=MARCH_1, note="duplicate billing")  # type: ignore[arg-type]
    assert value.reason is WriteOffReason.OTHER


def test_credit_notes_and_other_documents_are_refused() -> None:
    note = Document(
        "acme", "C001", DocumentKind.CREDIT_NOTE, "CN-1", MARCH_1, MARCH_1, gbp("20.00"), gbp("20.00")
    )
    with pytest.raises(WriteOffError, match="CN-1 is a credit note; apply it to an invoice or refund it"):
        write_off(note, reason=WriteOffReason.SMALL_BALANCE, approved_by="Jo", on=MARCH_1)

    value = write_off(
        invoice("INV-1"), gbp("5.00"), reason=WriteOffReason.SMALL_BALANCE, approved_by="Jo", on=MARCH_1
    )
    with pytest.raises(WriteOffError, match="it is for acme/C001/INV-1, not acme/C001/INV-2"):
        apply_write_off(invoice("INV-2"), value)


def test_write_off_cannot_predate_the_document() -> None:
    with pytest.raises(WriteOffError, match="dated 2025-12-31, before the document was issued on 2026-01-01"):
        write_off(invoice(), reason=WriteOffReason.BAD_DEBT, approved_by="Jo", on=date(2025, 12, 31))


def test_every_write_off_error_is_an_arrears_error() -> None:
    assert issubclass(WriteOffError, ArrearsError)


def test_small_write_offs_go_through_under_the_creditors_limit_and_larger_ones_need_approval() -> None:
    rules = DealRules(write_off_without_approval_up_to=gbp("25.00"))

    assert decide_write_off(gbp("25.00"), rules).accepted
    larger = decide_write_off(gbp("25.01"), rules)
    assert larger.needs_approval
    assert larger.breaches[0].rule == "write_off_without_approval_up_to"
    assert larger.describe() == (
        "needs the creditor's approval: a write-off of 25.01 GBP is more than the 25.00 GBP "
        "the creditor lets through without approval"
    )


def test_without_a_limit_every_write_off_needs_approval() -> None:
    decision = decide_write_off(gbp("0.01"), DealRules())

    assert decision.needs_approval
    assert "the creditor approves every write-off" in decision.reasons[0]


def test_write_off_in_another_currency_than_the_rules_needs_approval() -> None:
    decision = decide_write_off(
        Money.of("1.00", "EUR"), DealRules(write_off_without_approval_up_to=gbp("25.00"))
    )

    assert decision.breaches[0].rule == "currency"


def test_describe_says_what_who_and_why() -> None:
    value = write_off(
        invoice(), gbp("150.00"), reason=WriteOffReason.SETTLEMENT, approved_by=APPROVED_BY_RULES, on=MARCH_1
    )

    assert value.describe() == (
        "INV-1: £150.00 written off on 2026-03-01 (settlement; approved by creditor's pre-agreed rules)"
    )
