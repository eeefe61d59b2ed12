"""Nothing is counted twice (hypothesis, on SQLite and PostgreSQL): the same payments arrive from
the bank (statement lines matched to invoices) and from the accounting package (the bookkeeper
enters them; a sync brings them with the invoices' new balances), in random orders, with
re-syncs of unchanged balances in between.

After every step, for every debtor:

    invoices - cash allocations = open balance        (no credit notes or write-offs here)
    invoices - cash received = the ledger's open balance (cash on account counted)
    cash received = the payments that have arrived by at least one road, each once (never
                    more; less only while one of two payments of the same debtor and amount has
                    arrived by one road, see `_check`)

and every invoice accounts for itself (amount = open + allocated, open never below zero). At
the end every bank line is matched, each real payment is one payment of the package's, and each
invoice's open amount is the package's balance.

Some payments are entered in the package a month after the bank received them: too late to be
recognised as one. Those may be counted on both roads (each road's cash is real as far as the
ledger can tell; the bank's goes on the debtor's account when the package's settles the
invoice), but the laws above still hold and no open amount goes below zero.
"""

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pairing_builders import NAMES, FakePackage, bank_credit, new_creditor, sync_package

from arrears.core.money import Money
from arrears.store.unit_of_work import SqlUnitOfWork

START = date(2026, 3, 2)
INVOICES = (("D1", "INV-1"), ("D1", "INV-2"), ("D2", "INV-3"))
_codes = itertools.count(1)


@dataclass(frozen=True)
class RealPayment:
    index: int
    invoice: int  # into INVOICES
    amount: int  # pence
    bank_day: int  # days from START
    booked_delay: int  # days from the bank's day to the package's

    @property
    def late(self) -> bool:
        return self.booked_delay > 10


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[int], list[RealPayment], list[tuple[str, int]]]:
    amounts = [draw(st.integers(10_000, 300_000)) for _ in INVOICES]
    payments: list[RealPayment] = []
    for invoice, amount in enumerate(amounts):
        split = draw(st.sampled_from(["none", "full", "two parts"]))
        parts = {"none": [], "full": [amount], "two parts": []}[split]
        if split == "two parts":
            first = draw(st.sampled_from([amount // 2, draw(st.integers(1, amount - 1))]))
            parts = [first, amount - first]
        for part in parts:
            payments.append(
                RealPayment(
                    len(payments),
                    invoice,
                    part,
                    draw(st.integers(0, 6)),
                    draw(st.one_of(st.integers(-2, 3), st.just(30))),
                )
            )
    steps = [(road, payment.index) for payment in payments for road in ("bank", "book")]
    steps += [("resync", 0)] * draw(st.integers(0, 2))
    return amounts, payments, draw(st.permutations(steps))


def _check(
    uow: SqlUnitOfWork, code: str, payments: list[RealPayment], arrived: set[int], twice: set[int]
) -> None:
    with uow:
        documents = {d.number: d for debtor in NAMES for d in uow.documents.list_for_debtor(code, debtor)}
        allocations = uow.payments.allocations(code)
        stored = uow.payments.list_all(code)
        balances = {debtor: uow.ledger.open_balance(code, debtor) for debtor in NAMES}
    zero = Money.zero("GBP")
    for number, document in documents.items():
        settled = Money.total((a.amount for a in allocations if a.document == number), "GBP")
        assert not document.open_amount.is_negative, number
        assert document.amount == document.open_amount + settled, (number, document, settled)
    for debtor in NAMES:
        mine = [d for d in documents.values() if d.debtor == debtor]
        invoiced = Money.total((d.amount for d in mine), "GBP")
        open_balance = Money.total((d.open_amount for d in mine), "GBP")
        cash = Money.total((a.amount for a in allocations if documents[a.document].debtor == debtor), "GBP")
        received = Money.total((p.amount for p in stored if p.debtor == debtor), "GBP")
        assert invoiced - cash == open_balance, debtor
        assert zero + invoiced - received == balances[debtor].get("GBP", zero), debtor
        mine_paid = [p for p in payments if INVOICES[p.invoice][0] == debtor]
        expected = sum(p.amount for p in mine_paid if p.index in arrived)
        late = sum(p.amount for p in mine_paid if p.index in twice and p.late)
        # a bank line and a package payment of the same debtor and amount, both near the same
        # days, are taken for one payment even when they are two: then cash that has arrived by
        # one road only waits for its other road before it counts
        twins = sum(
            p.amount
            for p in mine_paid
            if p.index in arrived - twice
            and any(q.amount == p.amount and q.index != p.index for q in mine_paid)
        )
        lowest, highest = expected - twins, expected + late
        assert lowest <= received.to_minor_units() <= highest, (debtor, received, lowest, highest, stored)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_payments_arriving_by_both_roads_in_any_order_are_counted_once(
    uow: SqlUnitOfWork,
    tmp_path_factory: object,
    scenario: tuple[list[int], list[RealPayment], list[tuple[str, int]]],
) -> None:
    amounts, payments, steps = scenario
    code = f"Q{next(_codes):04d}"
    folder = Path(str(tmp_path_factory.mktemp(code)))  # type: ignore[attr-defined]
    package = FakePackage(code)
    references = [
        package.invoice(debtor, number, str(Money.from_minor_units(amount, "GBP").amount))
        for (debtor, number), amount in zip(INVOICES, amounts, strict=True)
    ]
    new_creditor(uow, package)
    arrived: set[int] = set()
    twice: set[int] = set()
    for road, index in steps:
        if road == "resync":
            package.send(invoices=references)
            sync_package(uow, package)
            _check(uow, code, payments, arrived, twice)
            continue
        payment = payments[index]
        debtor, number = INVOICES[payment.invoice]
        cash = Money.from_minor_units(payment.amount, "GBP")
        bank_day = START + timedelta(days=payment.bank_day)
        if road == "bank":
            report = bank_credit(
                uow, folder, code, bank_day, cash, f"{number} payment {index}", NAMES[debtor]
            )
            event("bank line linked" if report.matched and report.matched[0].linked else "bank line matched")
        else:
            reference = f"quickbooks:{900 + index}"
            package.record_payment(
                reference, references[payment.invoice], cash, bank_day + timedelta(days=payment.booked_delay)
            )
            package.send(invoices=[references[payment.invoice]], payments=[reference])
            result = sync_package(uow, package)
            event("sync linked" if any("linked" in w for w in result.warnings) else "sync added")
        (twice if index in arrived else arrived).add(index)
        _check(uow, code, payments, arrived, twice)

    with uow:
        unmatched = uow.bank.lines(code, states=["unmatched"])
        stored = uow.payments.list_all(code)
        matches = uow.bank.matches(code)
        documents = {d.number: d for debtor in NAMES for d in uow.documents.list_for_debtor(code, debtor)}
    for reference, invoice in package.invoices.items():
        assert documents[invoice.number].open_amount == invoice.open_amount, reference
    if any(payment.late for payment in payments):
        event("a payment entered too late to pair")
        return
    assert unmatched == []
    assert sorted(p.reference for p in stored) == sorted(f"quickbooks:{900 + p.index}" for p in payments)
    assert len(matches) == len(payments) and {m.payment for m in matches} == {p.reference for p in stored}
