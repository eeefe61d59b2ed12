"""Money reconciles when ledger files and bank statements interleave (hypothesis, on SQLite and
PostgreSQL).

A creditor's debtors pay their invoices (in full, or in two equal halves); each payment reaches
the bank (a statement line, imported and matched) and the bookkeeper (who enters it in the
package), in any order; now and then the package's ledger is exported and imported: the whole
ledger with every invoice, an aged-debtors report that leaves out what is paid, or a part ledger
of some invoices. After every step, for every debtor:

    opening + invoices - credit notes - cash allocations - write-offs = open balance

where the opening is what the files show settled that no bank allocation carries (payments the
bookkeeper entered whose bank line had not been matched when they came), there are no credit
notes or write-offs, and the open balance is the store's own (open invoices less cash on
account); that is, each payment that has arrived by either road is counted exactly once. No open
amount goes below zero and no invoice is settled beyond its amount (open + cash allocated <=
amount).

Two halves of one invoice are the same amount: a file shows only open amounts, so while one
half has come by the bank and the other by the file, the ledger cannot tell which is which, and
may count one half early or late (never beyond it); the law then holds within that half. At the
end, once every payment has come both ways and the whole ledger is imported, it holds exactly.
"""

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from bank_cash_builders import NOW, bank_pays, books, export
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from arrears.core.ledger import Creditor
from arrears.core.money import Money
from arrears.services.import_ledger import import_ledger
from arrears.store.unit_of_work import SqlUnitOfWork

START = date(2026, 3, 2)
INVOICES = (("D1", "INV-1"), ("D1", "INV-2"), ("D2", "INV-3"))
_codes = itertools.count(1)

Step = tuple[str, int, tuple[int, ...]]  # ("bank" | "book", payment, ()) or ("export", kind, invoices)
EXPORTS = ("full", "aged", "part")


@dataclass(frozen=True)
class RealPayment:
    index: int
    invoice: int  # into INVOICES
    amount: int  # pence
    half: bool  # one of two equal halves of its invoice


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[int], list[RealPayment], list[Step]]:
    amounts = [2 * draw(st.integers(5_000, 150_000)) for _ in INVOICES]
    payments: list[RealPayment] = []
    for invoice, amount in enumerate(amounts):
        split = draw(st.sampled_from(["none", "full", "halves"]))
        parts = {"none": [], "full": [amount], "halves": [amount // 2, amount // 2]}[split]
        for part in parts:
            payments.append(RealPayment(len(payments), invoice, part, split == "halves"))
    steps: list[Step] = [(road, p.index, ()) for p in payments for road in ("bank", "book")]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.integers(0, len(EXPORTS) - 1))
        listed = (
            draw(st.sets(st.integers(0, len(INVOICES) - 1), min_size=1)) if EXPORTS[kind] == "part" else set()
        )
        steps.append(("export", kind, tuple(sorted(listed))))
    return amounts, payments, draw(st.permutations(steps))


@dataclass
class World:
    """What really happened: the package's balances, which payments the bank and the files have
    brought, and which bank lines were matched."""

    amounts: list[int]
    payments: list[RealPayment]
    booked: set[int] = field(default_factory=set)
    filed: set[int] = field(default_factory=set)  # booked, and in a file imported since
    matched: set[int] = field(default_factory=set)

    def source_open(self, invoice: int) -> int:
        return self.amounts[invoice] - sum(
            p.amount for p in self.payments if p.invoice == invoice and p.index in self.booked
        )

    def rows(self, invoices: list[int]) -> list[tuple[str, str, str, str]]:
        def shown(minor: int) -> str:
            return str(Money.from_minor_units(minor, "GBP").amount)

        return [(*INVOICES[i], shown(self.amounts[i]), shown(self.source_open(i))) for i in invoices]

    def imported(self, invoices: list[int]) -> None:
        """A file with the package's figures for `invoices` went in."""
        self.filed |= {p.index for p in self.payments if p.index in self.booked and p.invoice in invoices}


def _check(uow: SqlUnitOfWork, code: str, world: World, *, exact: bool = False) -> None:
    ledger = books(uow, code)
    ledger.check()
    for debtor in ("D1", "D2"):
        mine = [i for i, (owner, _) in enumerate(INVOICES) if owner == debtor]
        paid = [p for p in world.payments if p.invoice in mine]
        invoices = sum(world.amounts[i] for i in mine)
        opening = -sum(p.amount for p in paid if p.index in world.filed and p.index not in world.matched)
        allocations = sum(ledger.invoices[INVOICES[i][1]][4] for i in mine)
        on_account = ledger.on_account.get(debtor, 0)
        balance = ledger.balances.get(debtor, 0)
        law = opening + invoices - allocations - on_account  # no credit notes, no write-offs
        arrived = sum(p.amount for p in paid if p.index in world.filed | world.matched)
        # one half of an invoice by one road, the other by the other: either may be taken for the
        # other, so each invoice paid in halves may count one half early or late
        ambiguous = 0 if exact else sum(p.amount for p in paid if p.half) // 2
        assert abs(balance - law) <= ambiguous, (debtor, balance, law, ledger)
        assert abs(balance - (invoices - arrived)) <= ambiguous, (debtor, balance, invoices - arrived, ledger)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_bank_statements_and_ledger_files_in_any_order_count_each_payment_once(
    uow: SqlUnitOfWork, tmp_path_factory: object, scenario: tuple[list[int], list[RealPayment], list[Step]]
) -> None:
    amounts, payments, steps = scenario
    code = f"F{next(_codes):04d}"
    folder = Path(str(tmp_path_factory.mktemp(code)))  # type: ignore[attr-defined]
    world = World(amounts, payments)
    with uow:
        uow.creditors.add(Creditor(code=code, name="Interleaved Ltd"))
        uow.commit()
    everything = list(range(len(INVOICES)))

    def import_export(invoices: list[int], mode: str = "full") -> None:
        report = import_ledger(uow, code, export(folder, world.rows(invoices)), who="sam", now=NOW, mode=mode)  # type: ignore[arg-type]
        assert report.status in ("applied", "unchanged"), report.errors
        world.imported(everything if mode == "full" else invoices)

    import_export(everything)
    for road, index, listed in steps:
        if road == "export":
            kind = EXPORTS[index]
            invoices = {
                "full": everything,
                "aged": [i for i in everything if world.source_open(i) > 0],
                "part": list(listed),
            }[kind]
            if not invoices:
                continue  # an aged-debtors report of nothing: no file to import
            event(f"{kind} export")
            import_export(invoices, "part" if kind == "part" else "full")
        elif road == "bank":
            payment = payments[index]
            number = INVOICES[payment.invoice][1]
            report = bank_pays(
                uow,
                folder,
                code,
                START + timedelta(days=index),
                str(Money.from_minor_units(payment.amount, "GBP").amount),
                f"{number} payment {index}",
                INVOICES[payment.invoice][0],
            )
            if report.matched:
                world.matched.add(index)
            event("bank line matched" if report.matched else "bank line queued (the file brought it first)")
        else:
            world.booked.add(index)  # the package's balance goes down; no file yet
        _check(uow, code, world)

    import_export(everything)  # every payment has come both ways: the whole ledger again
    _check(uow, code, world, exact=True)
    ledger = books(uow, code)
    for invoice, (_, number) in enumerate(INVOICES):
        assert ledger.open_of(number) == world.source_open(invoice), number
