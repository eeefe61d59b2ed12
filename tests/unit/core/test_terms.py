"""Early-payment terms ("2/10 net 30") and the fees a creditor allows."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from arrears.core.deal_rules import DealRules, DealRulesError, FeeKind, FeeRule
from arrears.core.errors import ArrearsError
from arrears.core.ledger import Document, DocumentKind, DocumentStatus, Payment, allocate_payment
from arrears.core.money import Money
from arrears.core.terms import (
    FeeError,
    PaymentTerms,
    TermsError,
    charge_fee,
    discount_if_paid_on,
    discount_write_off,
    early_payment_offer,
    fee_invoice,
    parse_terms,
)
from arrears.core.writeoffs import WriteOffReason, apply_write_off

ISSUED = date(2026, 3, 1)
TWO_TEN_NET_30 = PaymentTerms(30, Decimal(2), 10)


def gbp(amount: str) -> Money:
    return Money.of(amount, "GBP")


def invoice(amount: str = "1000.00", open_amount: str | None = None) -> Document:
    return Document(
        "acme",
        "C001",
        DocumentKind.INVOICE,
        "INV-1",
        ISSUED,
        ISSUED + timedelta(days=30),
        gbp(amount),
        gbp(open_amount or amount),
    )


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("2/10 net 30", PaymentTerms(30, Decimal(2), 10)),
        ("net 30", PaymentTerms(30)),
        ("2.5/15 net 45", PaymentTerms(45, Decimal("2.5"), 15)),
        ("  2/10 N/30 ", PaymentTerms(30, Decimal(2), 10)),
        ("2% 10 days, net 30 days", PaymentTerms(30, Decimal(2), 10)),
        ("Net 0", PaymentTerms(0)),
    ],
)
def test_terms_are_read_from_the_usual_notation(text: str, terms: PaymentTerms) -> None:
    assert parse_terms(text) == terms


def test_terms_print_in_the_canonical_notation() -> None:
    assert [parse_terms(t).text for t in ("2/10 n/30", "2.50/15 net 45", "net 60")] == [
        "2/10 net 30",
        "2.5/15 net 45",
        "net 60",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2/10", r"payment terms '2/10' cannot be read; write them as 'net 30' or '2/10 net 30'"),
        ("210 net 30", r"payment terms '210 net 30' cannot be read"),
        ("net thirty", r"payment terms 'net thirty' cannot be read"),
        ("", r"payment terms '' cannot be read"),
        (
            "2/40 net 30",
            r"payment terms '2/40 net 30': the discount period \(40 days\) ends after the payment is due",
        ),
        (
            "100/10 net 30",
            r"payment terms '100/10 net 30': a discount of 100% must be more than 0 and less than 100",
        ),
        ("0/10 net 30", r"payment terms '0/10 net 30': a discount of 0%"),
    ],
)
def test_bad_terms_are_refused_naming_the_text(text: str, message: str) -> None:
    with pytest.raises(TermsError, match=message):
        parse_terms(text)
    assert issubclass(TermsError, ArrearsError)


def test_terms_values_refuse_floats_and_half_a_discount() -> None:
    with pytest.raises(TermsError, match="must be an exact Decimal"):
        PaymentTerms(30, 2.0, 10)  # type: ignore[arg-type]
    with pytest.raises(TermsError, match="needs both its per cent and its days"):
        PaymentTerms(30, Decimal(2))


def test_discount_if_paid_within_the_period_inclusive_else_zero() -> None:
    document = invoice("1000.00")

    assert discount_if_paid_on(document, ISSUED, TWO_TEN_NET_30) == gbp("20.00")
    assert discount_if_paid_on(document, date(2026, 3, 11), TWO_TEN_NET_30) == gbp("20.00")
    assert discount_if_paid_on(document, date(2026, 3, 12), TWO_TEN_NET_30).is_zero
    assert discount_if_paid_on(document, date(2026, 2, 28), TWO_TEN_NET_30).is_zero
    assert discount_if_paid_on(document, ISSUED, PaymentTerms(30)).is_zero


def test_discount_is_on_the_gross_amount_rounded_half_up() -> None:
    assert discount_if_paid_on(invoice("123.45"), ISSUED, parse_terms("2.5/15 net 45")) == gbp(
        "3.09"
    )  # 3.08625


def test_no_discount_on_a_closed_invoice_and_never_more_than_is_open() -> None:
    paid = replace(invoice(), open_amount=gbp("0"), status=DocumentStatus.PAID)

    assert discount_if_paid_on(paid, ISSUED, TWO_TEN_NET_30).is_zero
    assert discount_if_paid_on(invoice(open_amount="5.00"), ISSUED, TWO_TEN_NET_30) == gbp("5.00")


def test_pre_due_reminder_shows_the_offer() -> None:
    offer = early_payment_offer(invoice(), TWO_TEN_NET_30, date(2026, 3, 4))

    assert offer is not None
    assert (offer.discount, offer.pay, offer.pay_by) == (gbp("20.00"), gbp("980.00"), date(2026, 3, 11))
    assert offer.text() == (
        "Pay £980.00 by 11 March 2026 instead of £1,000.00 and save £20.00 (2% early-payment discount)."
    )
    assert early_payment_offer(invoice(), TWO_TEN_NET_30, date(2026, 3, 12)) is None


def test_a_discount_taken_is_written_off_with_its_reason() -> None:
    payment = Payment("acme", "PAY-1", date(2026, 3, 9), gbp("980.00"), debtor="C001")
    paid = allocate_payment(payment, [invoice()]).documents[0]

    taken = discount_write_off(paid, TWO_TEN_NET_30, payment.received_on)

    assert (taken.amount, taken.reason, taken.approved_by) == (
        gbp("20.00"),
        WriteOffReason.EARLY_PAYMENT_DISCOUNT,
        "payment terms 2/10 net 30",
    )
    assert apply_write_off(paid, taken).status is DocumentStatus.WRITTEN_OFF


def test_a_discount_is_not_written_off_for_a_late_or_short_payment() -> None:
    with pytest.raises(
        TermsError, match="no early-payment discount under '2/10 net 30' for a payment on 2026-03-20"
    ):
        discount_write_off(invoice(open_amount="20.00"), TWO_TEN_NET_30, date(2026, 3, 20))
    with pytest.raises(TermsError, match=r"70\.00 GBP is open, not the 20\.00 GBP discount"):
        discount_write_off(invoice(open_amount="70.00"), TWO_TEN_NET_30, date(2026, 3, 5))


def test_terms_give_the_due_date_and_the_discount_deadline() -> None:
    assert TWO_TEN_NET_30.due_date(ISSUED) == date(2026, 3, 31)
    assert TWO_TEN_NET_30.discount_deadline(ISSUED) == date(2026, 3, 11)
    assert PaymentTerms(30).discount_deadline(ISSUED) is None


# --- fees -----------------------------------------------------------------------------------

RULES = DealRules(fees=(FeeRule(FeeKind.RETURNED_PAYMENT, gbp("25.00"), "returned direct debit"),))


def test_an_allowed_fee_is_charged_at_the_creditors_amount_and_becomes_an_invoice() -> None:
    fee = charge_fee(RULES, "acme", "C001", FeeKind.RETURNED_PAYMENT, on=ISSUED, reference="FEE-1")

    assert (fee.amount, fee.note) == (gbp("25.00"), "returned direct debit")
    document = fee_invoice(fee, number="FEE-1", due_days=7)
    assert (document.kind, document.amount, document.open_amount, document.due_date) == (
        DocumentKind.INVOICE,
        gbp("25.00"),
        gbp("25.00"),
        date(2026, 3, 8),
    )


def test_a_lower_fee_is_allowed_a_higher_one_is_not() -> None:
    assert charge_fee(
        RULES, "acme", "C001", FeeKind.RETURNED_PAYMENT, on=ISSUED, reference="F", amount=gbp("10.00")
    ).amount == gbp("10.00")
    with pytest.raises(
        FeeError, match=r"25\.01 GBP is more than the 25\.00 GBP returned payment fee the creditor allows"
    ):
        charge_fee(
            RULES, "acme", "C001", FeeKind.RETURNED_PAYMENT, on=ISSUED, reference="F", amount=gbp("25.01")
        )


def test_a_fee_the_creditor_does_not_allow_is_refused() -> None:
    with pytest.raises(FeeError, match=r"does not allow administration fees \(allowed: returned payment\)"):
        charge_fee(RULES, "acme", "C001", FeeKind.ADMINISTRATION, on=ISSUED, reference="F")
    with pytest.raises(FeeError, match=r"\(allowed: none\)"):
        charge_fee(DealRules(), "acme", "C001", FeeKind.RETURNED_PAYMENT, on=ISSUED, reference="F")


def test_fee_rules_are_unique_per_kind_and_in_the_rules_currency() -> None:
    with pytest.raises(DealRulesError, match="two fee rules for returned_payment"):
        DealRules(
            fees=(
                FeeRule(FeeKind.RETURNED_PAYMENT, gbp("1.00")),
                FeeRule(FeeKind.RETURNED_PAYMENT, gbp("2.00")),
            )
        )
    with pytest.raises(DealRulesError, match="the returned payment fee is in EUR, the rules in GBP"):
        DealRules(fees=(FeeRule(FeeKind.RETURNED_PAYMENT, Money.of(1, "EUR")),))
