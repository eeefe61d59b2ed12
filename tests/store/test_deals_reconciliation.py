"""Money reconciles in the store after every operation through the services (hypothesis), on
SQLite and PostgreSQL.

For every debtor, after each operation of a random sequence (invoices, fees, credit notes applied
or not, bank payments matched automatically or by a person, over-payments, write-offs approved by
the rules or a person, settlements paid and written off by the review, disputes upheld in part):

    opening balance + invoices - credit notes - cash allocations - write-offs = open balance

read back from the stored ledger (documents, allocations, applied write-offs), with the opening
balance zero (each example is a new creditor). A credit note counts once, when issued; applying
it moves value between documents. The law with all cash received holds against the store's own
`ledger.open_balance` (which counts cash left on account).
"""

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from deals_builders import csv_statement, named_debtor, now
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from store_builders import credit_note, creditor, document, money

from arrears.core.deal_rules import DealRules, DisputeMode, FeeKind, FeeRule
from arrears.core.disputes import DisputeOutcome, DisputeReason, Resolver
from arrears.core.ledger import Allocation, DocumentKind
from arrears.core.money import Money
from arrears.core.writeoffs import WriteOffReason
from arrears.services.bank_import import import_bank_statement
from arrears.services.deal_review import review_deals
from arrears.services.deal_rules import set_deal_rules
from arrears.services.disputes import raise_invoice_dispute, resolve_invoice_dispute
from arrears.services.fees import charge_debtor_fee
from arrears.services.matching import match_line
from arrears.services.settlements import agree_settlement
from arrears.services.write_offs import write_off_invoice
from arrears.store.unit_of_work import SqlUnitOfWork

START = date(2026, 3, 2)
DEBTORS = {"D1": "Harrington Joinery Ltd", "D2": "Kestrel Print Ltd"}
_codes = itertools.count(1)

Op = tuple[str, str, int, bool]  # (kind, debtor, amount in pence or a share, flag)

OPS = st.tuples(
    st.sampled_from(["invoice", "fee", "credit_note", "pay", "match", "write_off", "settle", "dispute"]),
    st.sampled_from(sorted(DEBTORS)),
    st.integers(min_value=1, max_value=150_000),
    st.booleans(),
)


@dataclass
class Run:
    uow: SqlUnitOfWork
    code: str
    folder: Path
    day: date = START
    count: int = 0

    def next_day(self) -> date:
        self.day += timedelta(days=1)
        return self.day

    def number(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}-{self.count:05d}"

    def open_invoices(self, debtor: str) -> list[str]:
        with self.uow:
            return [
                d.number
                for d in sorted(
                    self.uow.documents.list_open(self.code, debtor=debtor),
                    key=lambda d: (d.due_date, d.number),
                )
                if d.is_invoice and d.currency == "GBP"
            ]


def _apply(run: Run, op: Op) -> None:
    kind, debtor, amount, flag = op
    uow, code = run.uow, run.code
    day = run.next_day()
    cash = Money.from_minor_units(amount, "GBP")
    if kind == "invoice":
        with uow:
            uow.documents.add(
                code,
                [document(code, debtor, run.number("INV"), day, day + timedelta(days=30), str(cash.amount))],
            )
            uow.commit()
    elif kind == "fee":
        charge_debtor_fee(uow, code, debtor, FeeKind.RETURNED_PAYMENT, on=day, by="prop")
    elif kind == "credit_note":
        number = run.number("CN")
        with uow:
            uow.documents.add(code, [credit_note(code, debtor, number, day, str(cash.amount))])
            open_numbers = [d for d in uow.documents.list_open(code, debtor=debtor) if d.is_invoice]
            if flag and open_numbers:
                target = open_numbers[0]
                applied = cash.min(target.open_amount)
                uow.payments.allocate(
                    code, [Allocation(code, target.number, applied, day, credit_note=number)]
                )
            uow.commit()
    elif kind == "pay":
        invoices = run.open_invoices(debtor)
        cited = invoices[0] if flag and invoices else ""
        path = csv_statement(
            run.folder / f"{code}-{run.count}-{day}.csv",
            [(day, str(cash.amount), f"PAYMENT {cited}", "", DEBTORS[debtor])],
        )
        run.count += 1
        report = import_bank_statement(uow, code, path, by="prop", now=now)
        event("payment matched" if report.matched else "payment queued")
    elif kind == "match":
        with uow:
            queue = uow.bank.queue(code)
        if queue:
            line = queue[0].line
            owner = next(code_ for code_, name in DEBTORS.items() if name == line.counterparty_name)
            match_line(uow, code, line.id, owner, by="prop", now=now)
            event("matched by a person")
    elif kind == "write_off":
        invoices = run.open_invoices(debtor)
        if invoices:
            with uow:
                open_amount = uow.documents.get(code, invoices[-1]).open_amount
            part = (open_amount * (Decimal(amount % 100 + 1) / Decimal(100))).rounded()
            if part.is_positive:
                write_off_invoice(
                    uow,
                    code,
                    invoices[-1],
                    part,
                    reason=WriteOffReason.GOODWILL,
                    on=day,
                    by="prop",
                    approved_by="Jo" if flag else None,
                )
    elif kind == "settle":
        invoices = run.open_invoices(debtor)
        with uow:
            live = uow.deals.settlements(code, debtor=debtor, states=("pending",))
        if invoices and not live:
            with uow:
                balance = uow.documents.get(code, invoices[0]).open_amount
            offer = (balance * Decimal("0.9")).rounded()
            if offer.is_positive and offer < balance:
                agreed = agree_settlement(
                    uow,
                    code,
                    debtor,
                    offer,
                    pay_by=day + timedelta(days=7),
                    agreed_on=day,
                    by="prop",
                    documents=[invoices[0]],
                    now=now,
                )
                if flag:
                    path = csv_statement(
                        run.folder / f"{code}-{run.count}-s.csv",
                        [
                            (
                                day,
                                str(offer.amount),
                                f"{agreed.settlement.reference} {invoices[0]}",
                                "",
                                DEBTORS[debtor],
                            )
                        ],
                    )
                    run.count += 1
                    import_bank_statement(uow, code, path, by="prop", now=now)
                review_deals(uow, code, day, now=now)
                with uow:
                    event(f"settlement {uow.deals.settlement(code, agreed.settlement.reference).state}")
    elif kind == "dispute":
        invoices = run.open_invoices(debtor)
        if invoices:
            with uow:
                target = uow.documents.get(code, invoices[0])
                open_disputes = uow.disputes.list(code, document=target.number, open_only=True)
            if not open_disputes and target.open_amount > Money.from_minor_units(1, "GBP"):
                raised = raise_invoice_dispute(
                    uow,
                    code,
                    target.number,
                    DisputeReason.WRONG_PRICE,
                    raised_on=day,
                    raised_by="prop",
                    now=now,
                )
                credit = (raised.dispute.disputed * Decimal("0.5")).rounded()
                if flag and credit.is_positive and credit < raised.dispute.disputed:
                    resolve_invoice_dispute(
                        uow,
                        code,
                        raised.dispute.reference,
                        DisputeOutcome.PARTIALLY_UPHELD,
                        on=day,
                        by="Jo",
                        resolver=Resolver.CREDITOR,
                        credit=credit,
                    )


def _check(run: Run) -> None:
    uow, code = run.uow, run.code
    with uow:
        documents = {d.number: d for debtor in DEBTORS for d in uow.documents.list_for_debtor(code, debtor)}
        allocations = uow.payments.allocations(code)
        write_offs = uow.write_offs.list(code, states=("applied",))
        balances = {debtor: uow.ledger.open_balance(code, debtor) for debtor in DEBTORS}
        payments = uow.payments.list_all(code)
    zero = Money.zero("GBP")
    for debtor in DEBTORS:
        mine = [d for d in documents.values() if d.debtor == debtor]
        invoices = Money.total((d.amount for d in mine if d.kind is DocumentKind.INVOICE), "GBP")
        notes = Money.total((d.amount for d in mine if d.kind is DocumentKind.CREDIT_NOTE), "GBP")
        cash = Money.total(
            (
                a.amount
                for a in allocations
                if a.payment is not None and documents[a.document].debtor == debtor
            ),
            "GBP",
        )
        written_off = Money.total((w.amount for w in write_offs if w.debtor == debtor), "GBP")
        open_balance = Money.total((d.signed_open_amount for d in mine), "GBP")
        assert zero + invoices - notes - cash - written_off == open_balance, (debtor, run.count)
        received = Money.total((p.amount for p in payments if p.debtor == debtor), "GBP")
        assert zero + invoices - notes - received - written_off == balances[debtor].get("GBP", zero), debtor
        for d in mine:
            settled = Money.total((a.amount for a in allocations if a.document == d.number), "GBP")
            taken = Money.total((w.amount for w in write_offs if w.document == d.number), "GBP")
            if d.kind is DocumentKind.INVOICE:
                assert d.amount == d.open_amount + settled + taken, d.number
            else:
                applied = Money.total((a.amount for a in allocations if a.credit_note == d.number), "GBP")
                assert d.amount == d.open_amount + applied, d.number


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(OPS, min_size=4, max_size=12))
def test_random_operations_through_the_services_keep_the_stored_ledger_reconciled(
    uow: SqlUnitOfWork, tmp_path_factory: object, ops: list[Op]
) -> None:
    code = f"R{next(_codes):04d}"
    folder = Path(str(tmp_path_factory.mktemp(code)))  # type: ignore[attr-defined]
    with uow:
        uow.creditors.add(creditor(code))
        uow.debtors.add(code, [named_debtor(code, account, name) for account, name in DEBTORS.items()])
        uow.documents.add(code, [document(code, "D1", "INV-00000", START, START, "300.00")])
        uow.commit()
    set_deal_rules(
        uow,
        code,
        DealRules(
            max_settlement_discount_percent=Decimal(15),
            fees=(FeeRule(FeeKind.RETURNED_PAYMENT, money("25.00"), "returned payment"),),
            dispute_mode=DisputeMode.NO_MEDIATION,
            write_off_without_approval_up_to=money("20.00"),
        ),
        by="prop",
        now=now,
    )
    run = Run(uow, code, folder)
    _check(run)
    for op in ops:
        _apply(run, op)
        _check(run)
