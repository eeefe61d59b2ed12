"""The simulator: deterministic, honours its parameters, and every ledger it makes reconciles."""

import math
import random
import statistics
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, timedelta

import pytest

from arrears.core.ledger import DebtorFlag, DocumentKind, DocumentStatus, status_for
from arrears.core.money import Money
from arrears.sim import (
    DOCUMENT_COLUMNS,
    PROFILES,
    BehaviourType,
    SimulatedLedger,
    SimulationError,
    SimulationParams,
    iter_document_rows,
    iter_ledger,
    iter_row_chunks,
    sample_days_late,
    simulate,
)

SMALL = SimulationParams(creditors=3, debtors=120, invoices=3000, seed=7)


@pytest.fixture(scope="module")
def small_ledger() -> SimulatedLedger:
    return simulate(SMALL)


# --- determinism ---------------------------------------------------------------------------


def test_same_seed_gives_the_same_ledger(small_ledger: SimulatedLedger) -> None:
    assert simulate(SMALL) == small_ledger


def test_a_different_seed_gives_a_different_ledger(small_ledger: SimulatedLedger) -> None:
    other = simulate(replace(SMALL, seed=8))
    assert other.documents != small_ledger.documents
    assert [d.name for d in other.debtors] != [d.name for d in small_ledger.debtors]


def test_resizing_one_creditor_leaves_the_others_unchanged() -> None:
    before = simulate(SimulationParams(creditor_sizes=[(30, 500), (20, 300), (10, 100)], seed=3))
    after = simulate(SimulationParams(creditor_sizes=[(30, 500), (45, 900), (10, 100)], seed=3))
    for code in ("C001", "C003"):
        assert [d for d in before.documents if d.creditor == code] == [
            d for d in after.documents if d.creditor == code
        ]
        assert [d for d in before.debtors if d.creditor == code] == [
            d for d in after.debtors if d.creditor == code
        ]
    assert [d for d in before.documents if d.creditor == "C002"] != [
        d for d in after.documents if d.creditor == "C002"
    ]


# --- parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("creditors", "debtors", "invoices"),
    [(1, 1, 0), (1, 10, 7), (3, 200, 2000), (7, 50, 1234)],
)
def test_counts_are_exactly_as_asked(creditors: int, debtors: int, invoices: int) -> None:
    ledger = simulate(SimulationParams(creditors=creditors, debtors=debtors, invoices=invoices, seed=1))
    assert len(ledger.creditors) == creditors
    assert len(ledger.debtors) == debtors
    assert len(ledger.invoices) == invoices
    assert [c.code for c in ledger.creditors] == [f"C{i:03d}" for i in range(1, creditors + 1)]
    assert len({c.name for c in ledger.creditors}) == creditors
    assert all(any(d.creditor == c.code for d in ledger.debtors) for c in ledger.creditors)


def test_debtors_are_split_unevenly_across_creditors() -> None:
    ledger = simulate(SimulationParams(creditors=5, debtors=1000, invoices=5000, seed=4))
    sizes = Counter(d.creditor for d in ledger.debtors)
    assert max(sizes.values()) > 1.5 * min(sizes.values())


def test_explicit_creditor_sizes_are_honoured() -> None:
    ledger = simulate(SimulationParams(creditor_sizes=[(5, 50), (8, 0)], seed=2))
    assert Counter(d.creditor for d in ledger.debtors) == {"C001": 5, "C002": 8}
    assert Counter(d.creditor for d in ledger.invoices) == {"C001": 50}


def test_codes_and_numbers_are_unique_per_creditor(small_ledger: SimulatedLedger) -> None:
    accounts = [(d.creditor, d.account_code) for d in small_ledger.debtors]
    numbers = [(d.creditor, d.number) for d in small_ledger.documents]
    references = [(p.creditor, p.reference) for p in small_ledger.payments]
    assert len(set(accounts)) == len(accounts)
    assert len(set(numbers)) == len(numbers)
    assert len(set(references)) == len(references)
    assert all(len(code) >= 6 and code.isupper() and code[-3:].isdigit() for _, code in accounts)


def test_invoice_numbers_follow_issue_dates(small_ledger: SimulatedLedger) -> None:
    for creditor in small_ledger.creditors:
        invoices = sorted(
            (d for d in small_ledger.invoices if d.creditor == creditor.code), key=lambda d: d.number
        )
        issued = [d.issue_date for d in invoices]
        assert issued == sorted(issued)


@pytest.mark.parametrize(
    "bad",
    [
        {"creditors": 0},
        {"creditors": 4, "debtors": 3},
        {"invoices": -1},
        {"history_days": 10},
        {"foreign_currency_share": 1.5},
        {"behaviour_shares": {BehaviourType.PROMPT: 0.0}},
        {"creditor_sizes": [(0, 10)]},
    ],
)
def test_impossible_parameters_are_refused_with_a_reason(bad: dict[str, object]) -> None:
    with pytest.raises(SimulationError):
        SimulationParams(**bad)  # type: ignore[arg-type]


# --- the ledger reconciles -----------------------------------------------------------------


def assert_reconciles(ledger: SimulatedLedger) -> None:
    """Each document's open amount and status follow from its amount and its allocations
    dated on or before as_of; each payment's unallocated cash from its allocations."""
    as_of = ledger.as_of
    documents = {(d.creditor, d.number): d for d in ledger.documents}
    payments = {(p.creditor, p.reference): p for p in ledger.payments}
    settled: dict[tuple[str, str], int] = defaultdict(int)
    applied: dict[tuple[str, str], int] = defaultdict(int)
    spent: dict[tuple[str, str], int] = defaultdict(int)
    for allocation in ledger.allocations:
        assert allocation.allocated_on <= as_of
        invoice = documents[(allocation.creditor, allocation.document)]
        assert invoice.kind is DocumentKind.INVOICE
        assert allocation.amount.currency == invoice.currency
        assert allocation.allocated_on >= invoice.issue_date
        minor = allocation.amount.to_minor_units()
        settled[(allocation.creditor, allocation.document)] += minor
        if allocation.payment is not None:
            payment = payments[(allocation.creditor, allocation.payment)]
            assert payment.debtor == invoice.debtor
            assert payment.received_on == allocation.allocated_on
            spent[(allocation.creditor, allocation.payment)] += minor
        else:
            assert allocation.credit_note is not None
            note = documents[(allocation.creditor, allocation.credit_note)]
            assert note.kind is DocumentKind.CREDIT_NOTE and note.debtor == invoice.debtor
            assert note.issue_date <= allocation.allocated_on
            applied[(allocation.creditor, allocation.credit_note)] += minor
    for key, document in documents.items():
        used = settled[key] if document.kind is DocumentKind.INVOICE else applied[key]
        expected_open = Money.from_minor_units(document.amount.to_minor_units() - used, document.currency)
        assert document.open_amount == expected_open, document.number
        assert document.status == status_for(document.amount, expected_open), document.number
        assert document.issue_date <= as_of
    for key, payment in payments.items():
        assert payment.received_on <= as_of
        assert payment.unallocated_amount.to_minor_units() == payment.amount.to_minor_units() - spent[key]


@pytest.mark.parametrize("seed", [1, 2, 3, 5, 8, 13, 21, 34])
def test_every_ledger_reconciles(seed: int) -> None:
    rng = random.Random(seed)
    params = SimulationParams(
        creditors=rng.randint(1, 4),
        debtors=rng.randint(40, 150),
        invoices=rng.randint(300, 2500),
        seed=seed,
        as_of=date(2024, 1, 1) + (date(2026, 1, 1) - date(2024, 1, 1)) * rng.random(),
        history_days=rng.choice((90, 365, 540)),
        foreign_currency_share=0.1,
    )
    assert_reconciles(simulate(params))


def test_nothing_happens_after_as_of(small_ledger: SimulatedLedger) -> None:
    as_of = small_ledger.as_of
    assert max(d.issue_date for d in small_ledger.documents) <= as_of
    assert max(p.received_on for p in small_ledger.payments) <= as_of
    assert max(a.allocated_on for a in small_ledger.allocations) <= as_of
    earliest = min(d.issue_date for d in small_ledger.invoices)
    assert (as_of - earliest).days < SMALL.history_days
    # invoices falling due after as_of exist, and most of them are still open
    not_yet_due = [d for d in small_ledger.invoices if d.due_date > as_of]
    assert not_yet_due and sum(d.is_open for d in not_yet_due) > len(not_yet_due) / 2


def test_settled_until_stops_payments_there_and_hands_back_the_later_ones(
    small_ledger: SimulatedLedger,
) -> None:
    """The demo's ledger: sales up to as_of, nothing paid after settled_until; what would have
    been paid after it comes back as later payments, exactly what a full run allocated."""
    cut = SMALL.as_of - timedelta(days=30)
    chunks = list(iter_ledger(replace(SMALL, settled_until=cut)))
    documents = [d for chunk in chunks for d in chunk.documents]
    later = [p for chunk in chunks for p in chunk.later_payments]

    assert [d.number for d in documents if d.is_invoice] == [d.number for d in small_ledger.invoices]
    assert max(p.received_on for chunk in chunks for p in chunk.payments) <= cut
    assert later and all(cut < p.paid_on <= SMALL.as_of for p in later)
    # every later payment is one the full simulation made, to the penny (credit notes aside)
    # (invoice numbers are per creditor)
    paid_late: Counter[tuple[str, str]] = Counter()
    for allocation in small_ledger.allocations:
        if allocation.allocated_on > cut and allocation.payment is not None:
            paid_late[(allocation.creditor, allocation.document)] += allocation.amount.to_minor_units()
    by_invoice: Counter[tuple[str, str]] = Counter()
    for payment in later:
        by_invoice[(payment.creditor, payment.invoice)] += payment.amount.to_minor_units()
    assert by_invoice == paid_late
    # the ledger itself stops at the cut: what is paid later is still open in it
    open_now = {(d.creditor, d.number): d.open_amount.to_minor_units() for d in documents if d.is_invoice}
    assert all(open_now[key] >= minor for key, minor in by_invoice.items())
    # and up to the cut it is the same ledger as a full run's
    full_payments = [p for p in small_ledger.payments if p.received_on <= cut]
    assert [p for chunk in chunks for p in chunk.payments] == full_payments


def test_settled_until_after_as_of_is_refused() -> None:
    with pytest.raises(SimulationError, match="settled_until"):
        replace(SMALL, settled_until=SMALL.as_of + timedelta(days=1))


def test_amounts_are_whole_minor_units(small_ledger: SimulatedLedger) -> None:
    amounts = [m for d in small_ledger.documents for m in (d.amount, d.open_amount)]
    amounts += [m for p in small_ledger.payments for m in (p.amount, p.unallocated_amount)]
    amounts += [a.amount for a in small_ledger.allocations]
    for amount in amounts:
        assert amount.is_whole_minor_units()
        assert Money.from_minor_units(amount.to_minor_units(), amount.currency) == amount


def test_documents_are_valid_values(small_ledger: SimulatedLedger) -> None:
    for document in small_ledger.documents:
        assert replace(document) == document  # the constructor's checks pass again
        assert document.amount.is_positive and document.due_date >= document.issue_date
        if document.kind is DocumentKind.INVOICE:
            terms = next(
                d
                for d in small_ledger.debtors
                if (d.creditor, d.account_code) == (document.creditor, document.debtor)
            ).payment_terms_days
            assert (document.due_date - document.issue_date).days == terms


# --- realism -------------------------------------------------------------------------------


def test_the_ledger_has_some_of_everything() -> None:
    ledger = simulate(
        SimulationParams(creditors=2, debtors=400, invoices=8000, seed=11, foreign_currency_share=0.05)
    )
    statuses = Counter(d.status for d in ledger.invoices)
    assert {DocumentStatus.OPEN, DocumentStatus.PART_PAID, DocumentStatus.PAID} <= set(statuses)
    notes = ledger.credit_notes
    assert any(n.status is DocumentStatus.PAID for n in notes)  # fully applied
    assert any(n.status is DocumentStatus.OPEN for n in notes)  # credit left on account
    allocations_per_payment = Counter(a.payment for a in ledger.allocations if a.payment)
    assert max(allocations_per_payment.values()) > 1  # a payment covering several invoices
    assert any(p.unallocated_amount.is_positive for p in ledger.payments)  # over-payments
    flags = Counter(flag for d in ledger.debtors for flag in d.flags)
    for flag in (DebtorFlag.INDIVIDUAL, DebtorFlag.KEY_ACCOUNT, DebtorFlag.DO_NOT_CONTACT):
        assert flags[flag] > 0
    assert {d.payment_terms_days for d in ledger.debtors} == {14, 30, 60}
    assert {d.currency for d in ledger.debtors} == {"GBP", "EUR", "USD"}
    primaries = [d.primary_contact for d in ledger.debtors]
    assert any(c is not None and c.email is None for c in primaries)
    assert any(c is not None and c.phone is None for c in primaries)
    assert set(ledger.behaviours.values()) == set(BehaviourType)


def test_contact_details_cannot_reach_anyone_real(small_ledger: SimulatedLedger) -> None:
    for debtor in small_ledger.debtors:
        for contact in debtor.contacts:
            assert contact.email is None or contact.email.endswith(".example")
            assert contact.phone is None or contact.phone.startswith(
                ("07700 900", "01632 960", "+1 617 555 01")
            )
            assert contact.address is not None and contact.address.lines


def test_invoice_amounts_are_log_normal_with_the_documented_spread() -> None:
    ledger = simulate(
        SimulationParams(creditors=1, debtors=2000, invoices=20000, seed=5, foreign_currency_share=0)
    )
    logs = [math.log(d.amount.amount) for d in ledger.invoices]
    # within a creditor ln(amount) has sigma sqrt(0.8^2 + 0.6^2) = 1.0 (debtor scale, invoice)
    assert 0.85 < statistics.pstdev(logs) < 1.15
    median = statistics.median(d.amount.amount for d in ledger.invoices)
    assert 100 < median < 10_000


@pytest.mark.parametrize("behaviour", list(BehaviourType))
def test_days_late_are_drawn_as_configured(behaviour: BehaviourType) -> None:
    profile = PROFILES[behaviour]
    rng = random.Random(behaviour.value)
    samples = [sample_days_late(rng, profile, 30) for _ in range(20_000)]
    # five standard errors: with a fixed seed, a false failure is a one-in-a-million draw
    tolerance = 5 * statistics.pstdev(samples) / math.sqrt(len(samples)) + 0.1  # + floor() approximation
    assert abs(statistics.fmean(samples) - profile.expected_days_late(30)) < tolerance
    on_time = sum(s <= 0 for s in samples) / len(samples)
    share_tolerance = (
        5 * math.sqrt(profile.on_time_share * (1 - profile.on_time_share) / len(samples)) + 0.001
    )
    assert abs(on_time - profile.on_time_share) < share_tolerance
    assert min(samples) >= -min(profile.early_days_max, 30)


def test_the_ledger_pays_as_each_behaviour_is_configured() -> None:
    params = SimulationParams(creditors=1, debtors=600, invoices=20_000, seed=1, history_days=730)
    ledger = simulate(params)
    allocations = defaultdict(list)
    for allocation in ledger.allocations:
        allocations[allocation.document].append(allocation)
    late: dict[BehaviourType, list[int]] = defaultdict(list)
    expected: dict[BehaviourType, list[float]] = defaultdict(list)
    for invoice in ledger.invoices:
        settled = allocations[invoice.number]
        # paid in full by one payment, and due long enough ago that slow payers had time to pay
        if (params.as_of - invoice.due_date).days < 240 or len(settled) != 1 or settled[0].payment is None:
            continue
        behaviour = ledger.behaviours[(invoice.creditor, invoice.debtor)]
        late[behaviour].append((settled[0].allocated_on - invoice.due_date).days)
        expected[behaviour].append(
            PROFILES[behaviour].expected_days_late((invoice.due_date - invoice.issue_date).days)
        )
    for behaviour in (BehaviourType.PROMPT, BehaviourType.SLOW, BehaviourType.CHRONIC_LATE):
        days = late[behaviour]
        # disputed invoices that end up paid in full look like late ordinary payments: 1.5 days' allowance
        tolerance = 4 * statistics.pstdev(days) / math.sqrt(len(days)) + 1.5
        assert abs(statistics.fmean(days) - statistics.fmean(expected[behaviour])) < tolerance, behaviour
    means = {b: statistics.fmean(days) for b, days in late.items()}
    assert means[BehaviourType.PROMPT] < means[BehaviourType.SLOW] < means[BehaviourType.CHRONIC_LATE]
    assert means[BehaviourType.CHRONIC_LATE] < means[BehaviourType.NON_PAYER]


def test_month_end_payers_pay_on_the_last_weekday_of_a_month() -> None:
    ledger = simulate(
        SimulationParams(
            creditors=1, debtors=40, invoices=800, seed=9, behaviour_shares={BehaviourType.MONTH_END: 1}
        )
    )
    issued = {d.number: d.issue_date for d in ledger.invoices}
    for allocation in ledger.allocations:
        if allocation.payment is None or allocation.allocated_on == issued[allocation.document]:
            continue  # a run before the invoice existed is paid on the invoice date instead
        day = allocation.allocated_on
        next_weekday = next(
            d for d in (date.fromordinal(day.toordinal() + k) for k in range(1, 4)) if d.weekday() < 5
        )
        assert day.weekday() < 5 and next_weekday.month != day.month, day


# --- streaming and the fast path -----------------------------------------------------------


def test_streaming_gives_the_same_ledger_in_self_contained_chunks(small_ledger: SimulatedLedger) -> None:
    chunks = list(iter_ledger(replace(SMALL, chunk_debtors=7)))
    assert [c.creditor for c in chunks if c.first] == list(small_ledger.creditors)
    assert tuple(d for c in chunks for d in c.debtors) == small_ledger.debtors
    assert tuple(d for c in chunks for d in c.documents) == small_ledger.documents
    assert tuple(a for c in chunks for a in c.allocations) == small_ledger.allocations
    for chunk in chunks:
        assert len(chunk.debtors) <= 7
        accounts = {d.account_code for d in chunk.debtors}
        numbers = {d.number for d in chunk.documents}
        assert {d.debtor for d in chunk.documents} <= accounts
        assert {a.document for a in chunk.allocations} <= numbers
        assert {a.payment for a in chunk.allocations if a.payment} <= {p.reference for p in chunk.payments}


def test_fast_path_rows_are_the_same_documents(small_ledger: SimulatedLedger) -> None:
    rows = list(iter_document_rows(SMALL))
    assert len(rows) == len(small_ledger.documents)
    for row, document in zip(rows, small_ledger.documents, strict=True):
        fields = dict(zip(DOCUMENT_COLUMNS, row, strict=True))
        assert isinstance(fields["amount_minor"], int) and isinstance(fields["open_amount_minor"], int)
        assert fields["number"] == document.number and fields["debtor"] == document.debtor
        assert fields["kind"] == document.kind.value and fields["status"] == document.status.value
        assert fields["issue_date"] == document.issue_date and fields["due_date"] == document.due_date
        assert fields["amount_minor"] == document.amount.to_minor_units()
        assert fields["open_amount_minor"] == document.open_amount.to_minor_units()
        assert fields["currency"] == document.currency


def test_row_chunks_carry_payments_and_allocations_as_plain_tuples(small_ledger: SimulatedLedger) -> None:
    payment_rows = [row for chunk in iter_row_chunks(SMALL) for row in chunk.payments]
    assert [(r[1], r[5], r[6]) for r in payment_rows] == [
        (p.reference, p.amount.to_minor_units(), p.unallocated_amount.to_minor_units())
        for p in small_ledger.payments
    ]
