"""Money reconciles after every operation on a debtor's ledger (hypothesis).

The law, for one debtor in one currency, checked after each operation of a random sequence:

    opening balance + invoices - credit notes - cash allocations - write-offs == open balance

where
- **opening balance** is what the debtor owed before the sequence: the open amounts of its
  opening invoices less the unapplied amounts of its opening credit notes;
- **invoices** is the gross amount of every invoice raised since (fees included);
- **credit notes** is the gross amount of every credit note issued since. A credit note counts
  **once**, when it is issued: applying it to an invoice moves value from the note's open amount
  to the invoice's, which changes neither side, so credit-note allocations are not subtracted;
- **cash allocations** is the cash from payments allocated to invoices (not credit notes);
- **write-offs** is every amount written off (settlements, early-payment discounts, small
  balances);
- **open balance** is open invoices less unapplied credit notes.

With the cash still unallocated on the debtor's account, the same law holds for all cash
received against `ledger.open_balance` (which counts that cash):
`opening + invoices - credit notes - cash received - write-offs == open_balance(documents, payments)`.
And each document accounts for itself: an invoice's amount (an opening invoice's opening open
amount) is its open amount plus what was allocated to it plus what was written off; a credit
note's amount is its open amount plus what it settled.

Operations: invoices, fees, credit notes (applied or left on account), payments (oldest invoice
first, over-payments left on account), cash on account allocated later, write-offs, settlements
offered and paid (the rest written off), payment plans proposed and instalments paid, invoices
paid early under "2/10 net 30" (the discount written off), disputes partly upheld by a credit note.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from arrears.core.deal_rules import DealRules, DisputeMode, FeeKind, FeeRule, PlanRules
from arrears.core.disputes import (
    DisputeOutcome,
    DisputeReason,
    Resolver,
    credit_note_for,
    raise_dispute,
    resolve_dispute,
)
from arrears.core.instalments import Frequency
from arrears.core.ledger import (
    Allocation,
    Document,
    DocumentKind,
    Payment,
    allocate_payment,
    apply_credit_note,
    open_balance,
)
from arrears.core.money import Money
from arrears.core.plans import PlanState, approve_plan, plan_status, propose_plan
from arrears.core.settlements import SettlementState, approve_settlement, offer_settlement, settlement_status
from arrears.core.terms import PaymentTerms, charge_fee, discount_if_paid_on, discount_write_off, fee_invoice
from arrears.core.writeoffs import WriteOff, WriteOffReason, apply_write_off, write_off

CREDITOR = "acme"
DEBTOR = "C001"
START = date(2026, 1, 5)
RULES = DealRules(
    plans=PlanRules(max_instalments=4, min_first_payment_percent=Decimal(10)),
    max_settlement_discount_percent=Decimal(20),
    fees=(FeeRule(FeeKind.RETURNED_PAYMENT, Money.of("25.00", "GBP")),),
    dispute_mode=DisputeMode.RESOLVE,
)
TERMS = PaymentTerms(30, Decimal(2), 10)


def gbp_minor(minor: int) -> Money:
    return Money.from_minor_units(minor, "GBP")


ZERO = gbp_minor(0)


@dataclass
class Book:
    """A debtor's ledger and the running totals of the law."""

    documents: dict[str, Document] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    allocations: list[Allocation] = field(default_factory=list)
    write_offs: list[WriteOff] = field(default_factory=list)
    starting_open: dict[str, Money] = field(default_factory=dict)  # what each document had open at first
    opening: Money = ZERO
    invoiced: Money = ZERO
    credited: Money = ZERO
    cash: Money = ZERO
    written_off: Money = ZERO
    today: date = START
    counter: int = 0

    def number(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"

    def add(self, document: Document, *, opening: bool = False) -> None:
        self.documents[document.number] = document
        self.starting_open[document.number] = document.open_amount if opening else document.amount
        if opening:
            self.opening = self.opening + document.signed_open_amount
        elif document.is_invoice:
            self.invoiced = self.invoiced + document.amount
        else:
            self.credited = self.credited + document.amount

    def store(self, documents: tuple[Document, ...]) -> None:
        for document in documents:
            self.documents[document.number] = document

    def open_invoices(self) -> list[Document]:
        found = [d for d in self.documents.values() if d.is_invoice and d.is_open]
        return sorted(found, key=lambda d: (d.due_date, d.number))

    def invoice(self, minor: int, *, terms: PaymentTerms | None = None) -> Document:
        amount = gbp_minor(minor)
        due = terms.due_date(self.today) if terms else self.today + timedelta(days=30)
        document = Document(
            CREDITOR, DEBTOR, DocumentKind.INVOICE, self.number("INV"), self.today, due, amount, amount
        )
        self.add(document)
        return document

    def pay(self, minor: int, invoices: list[Document], on: date | None = None) -> Payment:
        day = on or self.today
        payment = Payment(CREDITOR, self.number("PAY"), day, gbp_minor(minor), debtor=DEBTOR)
        result = allocate_payment(payment, invoices, on=day)
        self.store(result.documents)
        self.allocations.extend(result.allocations)
        payment = Payment(
            CREDITOR, payment.reference, day, payment.amount, debtor=DEBTOR, unallocated=result.left_over
        )
        self.payments[payment.reference] = payment
        self.cash = self.cash + payment.amount
        return payment

    def write_off(self, value: WriteOff) -> None:
        self.documents[value.document] = apply_write_off(self.documents[value.document], value)
        self.write_offs.append(value)
        self.written_off = self.written_off + value.amount

    def apply_credit(self, note: Document) -> None:
        result = apply_credit_note(note, self.open_invoices(), on=self.today)
        self.store(result.documents)
        self.allocations.extend(result.allocations)


# --- operations -------------------------------------------------------------------------------


def op_invoice(book: Book, minor: int) -> None:
    book.invoice(minor)


def op_fee(book: Book) -> None:
    fee = charge_fee(
        RULES, CREDITOR, DEBTOR, FeeKind.RETURNED_PAYMENT, on=book.today, reference=book.number("FEE")
    )
    book.add(fee_invoice(fee, number=fee.reference, due_days=14))


def op_credit_note(book: Book, minor: int, apply: bool) -> None:
    amount = gbp_minor(minor)
    note = Document(
        CREDITOR, DEBTOR, DocumentKind.CREDIT_NOTE, book.number("CN"), book.today, book.today, amount, amount
    )
    book.add(note)
    if apply:
        book.apply_credit(note)


def op_payment(book: Book, minor: int) -> None:
    book.pay(minor, book.open_invoices())


def op_cash_on_account(book: Book) -> None:
    for reference, payment in list(book.payments.items()):
        if payment.unallocated_amount.is_positive:
            result = allocate_payment(payment, book.open_invoices(), on=book.today)
            book.store(result.documents)
            book.allocations.extend(result.allocations)
            book.payments[reference] = Payment(
                CREDITOR,
                reference,
                payment.received_on,
                payment.amount,
                debtor=DEBTOR,
                unallocated=result.left_over,
            )


def op_write_off(book: Book, pick: int, per_cent: int) -> None:
    invoices = book.open_invoices()
    if not invoices:
        return
    document = invoices[pick % len(invoices)]
    amount = (document.open_amount * Decimal(per_cent) * Decimal("0.01")).rounded()
    if not amount.is_positive:
        return
    book.write_off(
        write_off(document, amount, reason=WriteOffReason.SMALL_BALANCE, approved_by="Jo", on=book.today)
    )


def op_settlement(book: Book, discount_per_cent: int) -> None:
    invoices = book.open_invoices()
    if not invoices:
        return
    balance = Money.total((d.open_amount for d in invoices), "GBP")
    amount = (balance * Decimal(100 - discount_per_cent) * Decimal("0.01")).rounded()
    if not amount.is_positive:
        return
    proposal = offer_settlement(
        book.number("SET"),
        invoices,
        amount,
        agreed_on=book.today,
        pay_by=book.today + timedelta(days=14),
        rules=RULES,
    )
    settlement = proposal.settlement
    assert proposal.decision.accepted == ((balance - amount).amount * 100 <= 20 * balance.amount)
    if settlement.approved_by is None:
        settlement = approve_settlement(settlement, "Jo at Acme")
    book.pay(amount.to_minor_units(), invoices)
    current = [book.documents[n] for n in settlement.documents]
    status = settlement_status(settlement, current, book.allocations, book.today)
    assert status.state is SettlementState.PAID
    assert Money.total((w.amount for w in status.write_offs), "GBP") == balance - amount
    for value in status.write_offs:
        book.write_off(value)
    assert all(not book.documents[n].is_open for n in settlement.documents)


def op_plan(book: Book, count: int, paid: int) -> None:
    invoices = book.open_invoices()
    if not invoices:
        return
    count = min(count, Money.total((d.open_amount for d in invoices), "GBP").to_minor_units())
    proposal = propose_plan(
        book.number("PLAN"),
        invoices,
        frequency=Frequency.WEEKLY,
        instalments=count,
        first_due_on=book.today + timedelta(days=7),
        agreed_on=book.today,
        rules=RULES,
    )
    plan = proposal.plan if proposal.decision.accepted else approve_plan(proposal.plan, "Jo at Acme")
    for instalment in plan.instalments[: min(paid, count)]:
        book.today = instalment.due_on
        book.pay(instalment.amount.to_minor_units(), [book.documents[n] for n in plan.documents])
    status = plan_status(plan, book.allocations, book.today)
    assert status.paid == Money.total((i.amount for i in plan.instalments[: min(paid, count)]), "GBP")
    if paid >= count:
        assert status.state is PlanState.COMPLETED
    else:
        assert status.state in (PlanState.GOOD_STANDING, PlanState.INSTALMENT_DUE)


def op_early_payment(book: Book, minor: int, days: int) -> None:
    document = book.invoice(minor, terms=TERMS)
    paid_on = book.today + timedelta(days=days)
    discount = discount_if_paid_on(document, paid_on, TERMS)
    net = document.amount - discount
    book.today = paid_on
    book.pay(net.to_minor_units(), [document])
    if discount.is_positive:
        book.write_off(discount_write_off(book.documents[document.number], TERMS, paid_on))
    if days > 10:
        assert discount.is_zero


def op_dispute(book: Book, pick: int, per_cent: int) -> None:
    invoices = book.open_invoices()
    if not invoices:
        return
    document = invoices[pick % len(invoices)]
    disputed = (document.open_amount * Decimal(per_cent) * Decimal("0.01")).rounded()
    if disputed < gbp_minor(2):
        return
    dispute = raise_dispute(
        book.number("D"),
        document,
        DisputeReason.WRONG_PRICE,
        raised_on=book.today,
        raised_by="portal",
        amount=disputed,
    )
    decided = resolve_dispute(
        dispute,
        DisputeOutcome.PARTIALLY_UPHELD,
        on=book.today,
        by="Sam",
        resolver=Resolver.CONTROLLER,
        mode=RULES.dispute_mode,
        credit=gbp_minor(disputed.to_minor_units() // 2),
    )
    note = credit_note_for(decided, number=book.number("CN"), issued_on=book.today)
    book.add(note)
    result = apply_credit_note(note, [document], on=book.today)
    book.store(result.documents)
    book.allocations.extend(result.allocations)


amounts = st.integers(min_value=1, max_value=500_000)
operations = st.one_of(
    st.tuples(st.just(op_invoice), amounts),
    st.tuples(st.just(op_fee)),
    st.tuples(st.just(op_credit_note), amounts, st.booleans()),
    st.tuples(st.just(op_payment), amounts),
    st.tuples(st.just(op_cash_on_account)),
    st.tuples(st.just(op_write_off), st.integers(0, 20), st.integers(1, 100)),
    st.tuples(st.just(op_settlement), st.integers(0, 60)),
    st.tuples(st.just(op_plan), st.integers(1, 6), st.integers(0, 6)),
    st.tuples(st.just(op_early_payment), amounts, st.integers(0, 20)),
    st.tuples(st.just(op_dispute), st.integers(0, 20), st.integers(1, 100)),
)


def opening_book(invoices: list[tuple[int, int]], credit_minor: int) -> Book:
    book = Book()
    for amount, paid_share in invoices:
        total = gbp_minor(amount)
        still_open = gbp_minor(max(1, amount - amount * paid_share // 100))
        number = book.number("OPEN")
        day = START - timedelta(days=60)
        book.add(
            Document(
                CREDITOR,
                DEBTOR,
                DocumentKind.INVOICE,
                number,
                day,
                day + timedelta(days=30),
                total,
                still_open,
            ).with_open_amount(still_open),
            opening=True,
        )
    if credit_minor:
        note = gbp_minor(credit_minor)
        book.add(
            Document(
                CREDITOR, DEBTOR, DocumentKind.CREDIT_NOTE, book.number("OPENCN"), START, START, note, note
            ),
            opening=True,
        )
    return book


def check_the_law(book: Book) -> None:
    documents = list(book.documents.values())
    cash_allocated = Money.total((a.amount for a in book.allocations if a.payment is not None), "GBP")
    document_balance = Money.total((d.signed_open_amount for d in documents), "GBP")

    assert (
        book.opening + book.invoiced - book.credited - cash_allocated - book.written_off == document_balance
    )
    assert book.opening + book.invoiced - book.credited - book.cash - book.written_off == open_balance(
        documents, book.payments.values(), "GBP"
    )
    on_account = Money.total((p.unallocated_amount for p in book.payments.values()), "GBP")
    assert cash_allocated + on_account == book.cash
    for document in documents:
        settled = Money.total(
            (
                a.amount
                for a in book.allocations
                if (
                    a.document == document.number if document.is_invoice else a.credit_note == document.number
                )
            ),
            "GBP",
        )
        written = Money.total((w.amount for w in book.write_offs if w.document == document.number), "GBP")
        assert book.starting_open[document.number] == document.open_amount + settled + written, (
            document.number
        )
        assert not document.open_amount.is_negative


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 300_000), st.integers(0, 99)), max_size=3),
    st.integers(0, 20_000),
    st.lists(st.tuples(operations, st.integers(1, 5)), min_size=3, max_size=30),
)
@example(  # an over-payment left on account, then allocated to a later invoice
    [],
    0,
    [
        ((op_invoice, 1_000), 1),
        ((op_payment, 5_000), 1),
        ((op_invoice, 2_500), 1),
        ((op_cash_on_account,), 1),
    ],
)
def test_money_reconciles_after_every_operation(
    opening: list[tuple[int, int]],
    opening_credit: int,
    steps: list[tuple[tuple[object, ...], int]],
) -> None:
    book = opening_book(opening, opening_credit)
    check_the_law(book)
    for (operation, *arguments), days in steps:
        book.today = book.today + timedelta(days=days)
        operation(book, *arguments)  # type: ignore[operator]
        check_the_law(book)


def test_the_law_fails_when_a_write_off_is_not_counted() -> None:
    """The check is not vacuous: forgetting a write-off breaks it."""
    book = opening_book([], 0)
    book.invoice(10_000)
    document = book.open_invoices()[0]
    book.documents[document.number] = apply_write_off(
        document,
        write_off(document, gbp_minor(100), reason=WriteOffReason.GOODWILL, approved_by="Jo", on=book.today),
    )

    try:
        check_the_law(book)
    except AssertionError:
        return
    raise AssertionError("a write-off that was not counted went unnoticed")
