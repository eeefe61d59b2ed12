"""Statutory interest per invoice from the stored ledger: the core's worked example, a plan that
freezes interest, and debts the law does not cover."""

from datetime import date
from decimal import Decimal

from deals_builders import ledger, named_debtor, now
from store_builders import money, payment

from arrears.core.deal_rules import DealRules, PlanRules
from arrears.core.instalments import Frequency
from arrears.core.interest import Regime
from arrears.core.ledger import Allocation, DebtorFlag
from arrears.services.deal_rules import set_deal_rules
from arrears.services.payment_plans import propose_payment_plan
from arrears.services.statutory_interest import interest_claims
from arrears.store.unit_of_work import SqlUnitOfWork


def _pay(
    uow: SqlUnitOfWork, reference: str, day: date, amount: str, invoice: str, debtor: str = "D1"
) -> None:
    with uow:
        uow.payments.add("ACME", [payment("ACME", reference, day, amount, debtor)])
        uow.payments.allocate("ACME", [Allocation("ACME", invoice, money(amount), day, payment=reference)])
        uow.commit()


def test_the_worked_example_with_a_part_payment(uow: SqlUnitOfWork) -> None:
    ledger(uow, invoices=[("D1", "INV-1", date(2024, 3, 1), "3000.00")])  # due 2024-03-31
    _pay(uow, "P1", date(2024, 4, 30), "1000.00", "INV-1")

    claims = interest_claims(uow, "ACME", "D1", date(2024, 5, 31))

    (invoice,) = claims.invoices
    assert claims.regime is Regime.UK_LATE_PAYMENT
    assert (invoice.principal, invoice.interest, invoice.compensation) == (
        money("3000.00"),
        money("55.18"),
        money("70.00"),
    )
    assert claims.totals() == {"GBP": money("125.18")}


def test_a_plan_that_freezes_interest_takes_its_days_out_of_the_claim(uow: SqlUnitOfWork) -> None:
    ledger(uow, invoices=[("D1", "INV-1", date(2024, 1, 1), "1000.00")], terms_days=30)  # due 2024-01-31
    set_deal_rules(uow, "ACME", DealRules(plans=PlanRules(interest_frozen=True)), by="Jo", now=now)
    propose_payment_plan(
        uow,
        "ACME",
        "D1",
        instalments=2,
        frequency=Frequency.MONTHLY,
        first_due_on=date(2024, 3, 15),
        agreed_on=date(2024, 3, 1),
        by="Sam",
        confirm=False,
        now=now,
    )
    _pay(uow, "P1", date(2024, 3, 14), "500.00", "INV-1")  # the second instalment (15 April) is never paid

    (invoice,) = interest_claims(uow, "ACME", "D1", date(2024, 5, 31)).invoices

    # 13.25% (8% over Bank Rate 5.25% on 31 December 2023): 1 Feb-29 Feb on 1,000.00 (29 days), frozen
    # 1 Mar-18 Apr, then 19 Apr (the plan defaulted) to 31 May on 500.00 (43 days)
    expected = (Decimal("1000") * Decimal("13.25") * 29 + Decimal("500") * Decimal("13.25") * 43) / 36500
    assert invoice.interest == money(str(expected.quantize(Decimal("0.01"))))
    assert invoice.frozen == ((date(2024, 3, 1), date(2024, 4, 18)),)
    assert "frozen under a payment plan 2024-03-01 to 2024-04-18" in invoice.basis


def test_a_consumer_debtor_is_listed_without_a_claim(uow: SqlUnitOfWork) -> None:
    ledger(
        uow,
        debtors=[named_debtor("ACME", "D1", "J Smith", flags=frozenset({DebtorFlag.INDIVIDUAL}))],
        invoices=[("D1", "INV-1", date(2024, 1, 1), "100.00")],
    )

    (invoice,) = interest_claims(uow, "ACME", "D1", date(2024, 5, 31)).invoices

    assert invoice.interest == money("0.00") and invoice.compensation is None
    assert "business-to-business debts only" in invoice.not_claimable
