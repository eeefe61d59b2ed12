"""Ageing: open amounts by days past due, per debtor and per creditor, in each currency."""

import random
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.core.ageing import (
    DEFAULT_BUCKETS,
    AgeingBasis,
    AgeingReport,
    Buckets,
    InvalidAgeingInputError,
    InvalidBucketsError,
    ageing,
)
from arrears.core.errors import ArrearsError, UnknownCurrencyError
from arrears.core.ledger import Allocation, Document, DocumentKind, DocumentStatus
from arrears.core.money import Money

AS_OF = date(2026, 3, 31)


def document(
    kind: DocumentKind,
    number: str,
    *,
    debtor: str = "D1",
    due: date = AS_OF,
    issued: date | None = None,
    amount: str = "100.00",
    open_amount: str | None = None,
    currency: str = "GBP",
    status: DocumentStatus = DocumentStatus.OPEN,
    creditor: str = "ACME",
) -> Document:
    return Document(
        creditor=creditor,
        debtor=debtor,
        kind=kind,
        number=number,
        issue_date=issued if issued is not None else min(due, AS_OF) - timedelta(days=30),
        due_date=due,
        amount=Money.of(amount, currency),
        open_amount=Money.of(open_amount if open_amount is not None else amount, currency),
        status=status,
    )


def invoice(number: str = "INV-1", **fields: Any) -> Document:
    return document(DocumentKind.INVOICE, number, **fields)


def credit_note(number: str = "CN-1", **fields: Any) -> Document:
    return document(DocumentKind.CREDIT_NOTE, number, **fields)


def days_late(days: int) -> date:
    """The due date that makes a document `days` past due on AS_OF."""
    return AS_OF - timedelta(days=days)


def gbp(amount: str) -> Money:
    return Money.of(amount, "GBP")


def bucket_of(report: AgeingReport, label: str, currency: str = "GBP") -> Money:
    return dict(zip(report.labels, report.totals(currency), strict=True))[label]


# --- buckets ----------------------------------------------------------------------------------


def test_default_buckets_are_current_then_thirty_day_bands_to_120_plus() -> None:
    assert DEFAULT_BUCKETS.labels == ("current", "1-30", "31-60", "61-90", "91-120", "120+")
    assert len(DEFAULT_BUCKETS) == 6


@pytest.mark.parametrize(
    ("days", "label"),
    [
        (-10, "current"),
        (0, "current"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "91-120"),
        (120, "91-120"),
        (121, "120+"),
        (4000, "120+"),
    ],
)
def test_each_edge_day_falls_in_the_lower_bucket(days: int, label: str) -> None:
    assert DEFAULT_BUCKETS.labels[DEFAULT_BUCKETS.index_for(days)] == label


def test_buckets_refuse_edges_that_do_not_increase() -> None:
    with pytest.raises(InvalidBucketsError, match="must increase"):
        Buckets((0, 60, 30))
    with pytest.raises(InvalidBucketsError, match="at least one"):
        Buckets(())


def test_bucket_errors_are_arrears_errors_and_value_errors() -> None:
    assert issubclass(InvalidBucketsError, ArrearsError)
    assert issubclass(InvalidBucketsError, ValueError)


def test_buckets_parse_edges_written_by_a_person() -> None:
    assert Buckets.parse(" 0, 14,28 ") == Buckets((0, 14, 28))
    with pytest.raises(InvalidBucketsError, match="'0,thirty'"):
        Buckets.parse("0,thirty")


def test_buckets_with_a_first_edge_other_than_zero_say_so_in_the_label() -> None:
    assert Buckets((7, 30)).labels == ("<=7", "8-30", "30+")


def reference_index(edges: tuple[int, ...], days: int) -> int:
    """The bucket rule as documented: the first bucket whose edge is >= days, else the last."""
    for index, edge in enumerate(edges):
        if days <= edge:
            return index
    return len(edges)


edges_strategy = st.lists(st.integers(-60, 400), min_size=1, max_size=8, unique=True).map(
    lambda edges: Buckets(tuple(sorted(edges)))
)


@given(edges_strategy, st.integers(-1000, 1000))
def test_index_for_follows_the_documented_rule(buckets: Buckets, days: int) -> None:
    assert buckets.index_for(days) == reference_index(buckets.edges, days)


@given(edges_strategy, st.integers(-1000, 1000), st.integers(0, 500))
def test_more_days_never_means_an_earlier_bucket(buckets: Buckets, days: int, more: int) -> None:
    assert buckets.index_for(days) <= buckets.index_for(days + more)


@given(edges_strategy, st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(-1000, 1000))
def test_date_thresholds_give_the_same_bucket_as_days(buckets: Buckets, as_of: date, days: int) -> None:
    """The store's SQL rule: the first i with reference date >= thresholds[i], else the last."""
    reference_date = as_of - timedelta(days=days)
    thresholds = buckets.date_thresholds(as_of)
    by_sql_rule = next((i for i, t in enumerate(thresholds) if reference_date >= t), len(thresholds))
    assert by_sql_rule == buckets.index_for(days)


# --- what counts and where ----------------------------------------------------------------------


def test_invoice_due_today_is_current_and_one_day_later_is_1_30() -> None:
    report = ageing(
        [invoice("I1", due=AS_OF, amount="10.00"), invoice("I2", due=days_late(1), amount="20.00")], AS_OF
    )

    assert bucket_of(report, "current") == gbp("10.00")
    assert bucket_of(report, "1-30") == gbp("20.00")


def test_part_paid_invoice_counts_its_open_amount_only() -> None:
    report = ageing(
        [invoice(due=days_late(45), amount="100.00", open_amount="35.50", status=DocumentStatus.PART_PAID)],
        AS_OF,
    )

    assert bucket_of(report, "31-60") == gbp("35.50")
    assert report.total("GBP") == gbp("35.50")


def test_credit_note_reduces_its_own_bucket() -> None:
    report = ageing(
        [
            invoice("I1", due=days_late(10), amount="100.00"),
            credit_note("C1", due=days_late(10), amount="30.00"),
        ],
        AS_OF,
    )

    assert bucket_of(report, "1-30") == gbp("70.00")
    assert report.total("GBP") == gbp("70.00")


def test_credit_note_counts_in_the_bucket_of_its_own_date_not_the_invoices() -> None:
    report = ageing(
        [
            invoice("I1", due=days_late(95), amount="100.00"),
            credit_note("C1", due=days_late(5), amount="30.00"),
        ],
        AS_OF,
    )

    assert bucket_of(report, "91-120") == gbp("100.00")
    assert bucket_of(report, "1-30") == gbp("-30.00")
    assert report.lines[0].document_count == 2


@pytest.mark.parametrize(
    "closed",
    [
        {"status": DocumentStatus.PAID, "open_amount": "0.00"},
        {"status": DocumentStatus.WRITTEN_OFF},
        {"status": DocumentStatus.SETTLED_IN_SOURCE},
        {"status": DocumentStatus.OPEN, "open_amount": "0.00"},
    ],
)
def test_documents_that_are_not_open_are_left_out(closed: dict[str, object]) -> None:
    report = ageing([invoice("I1", amount="50.00"), invoice("I2", amount="70.00", **closed)], AS_OF)

    assert report.total("GBP") == gbp("50.00")
    assert report.lines[0].document_count == 1


def test_invoice_date_basis_counts_days_from_the_issue_date() -> None:
    # Issued 40 days ago on 30-day terms: 10 days past due, 40 days since the invoice.
    document = invoice(issued=days_late(40), due=days_late(10), amount="80.00")

    assert bucket_of(ageing([document], AS_OF), "1-30") == gbp("80.00")
    assert bucket_of(ageing([document], AS_OF, basis=AgeingBasis.INVOICE_DATE), "31-60") == gbp("80.00")


def test_ageing_as_of_an_earlier_date_moves_documents_to_earlier_buckets() -> None:
    document = invoice(due=days_late(45))

    assert bucket_of(ageing([document], AS_OF), "31-60") == gbp("100.00")
    assert bucket_of(ageing([document], AS_OF - timedelta(days=20)), "1-30") == gbp("100.00")


def test_custom_buckets_are_used_for_lines_totals_and_labels() -> None:
    weekly = Buckets((0, 7, 14))
    report = ageing(
        [invoice("I1", due=days_late(8)), invoice("I2", due=days_late(20))], AS_OF, buckets=weekly
    )

    assert report.labels == ("current", "1-7", "8-14", "14+")
    assert report.lines[0].open_minor == (0, 0, 10000, 10000)


def test_ageing_refuses_documents_of_two_creditors() -> None:
    with pytest.raises(InvalidAgeingInputError, match=r"per creditor.*ACME and BETA"):
        ageing([invoice("I1"), invoice("I2", creditor="BETA")], AS_OF)


# --- lines and totals ---------------------------------------------------------------------------


def test_one_line_per_debtor_and_currency_with_its_total_and_document_count() -> None:
    report = ageing(
        [
            invoice("I1", debtor="D1", amount="10.00"),
            invoice("I2", debtor="D1", due=days_late(40), amount="5.00"),
            invoice("I3", debtor="D1", amount="7.00", currency="EUR"),
            invoice("I4", debtor="D2", amount="1.00"),
        ],
        AS_OF,
    )

    assert [(line.debtor, line.currency, line.total, line.document_count) for line in report.lines] == [
        ("D1", "EUR", Money.of("7.00", "EUR"), 1),
        ("D1", "GBP", gbp("15.00"), 2),
        ("D2", "GBP", gbp("1.00"), 1),
    ]
    assert report.lines[1].amounts == (gbp("10.00"), gbp("0"), gbp("5.00"), gbp("0"), gbp("0"), gbp("0"))


def test_currencies_are_never_added_together() -> None:
    report = ageing([invoice("I1", amount="10.00"), invoice("I2", amount="1000", currency="JPY")], AS_OF)

    assert report.currencies == ("GBP", "JPY")
    assert report.total("GBP") == gbp("10.00")
    assert report.total("JPY") == Money.of("1000", "JPY")
    assert report.currency_total("JPY").open_minor[0] == 1000  # yen have no minor unit


def test_totals_in_a_currency_without_open_documents_are_zero() -> None:
    report = ageing([invoice()], AS_OF)

    assert report.totals("EUR") == (Money.zero("EUR"),) * 6
    assert report.total("EUR") == Money.zero("EUR")


def test_totals_refuse_a_code_that_is_not_a_currency() -> None:
    with pytest.raises(UnknownCurrencyError):
        ageing([invoice()], AS_OF).totals("XYZ")


def test_creditor_totals_count_documents_and_debtors() -> None:
    report = ageing(
        [invoice("I1", debtor="D1"), invoice("I2", debtor="D2"), credit_note("C1", debtor="D2")], AS_OF
    )

    total = report.currency_total("GBP")
    assert (total.document_count, total.debtor_count) == (3, 2)


def test_for_debtor_gives_one_line_per_currency_and_none_for_a_debtor_with_nothing_open() -> None:
    report = ageing(
        [invoice("I1", debtor="A"), invoice("I2", debtor="B"), invoice("I3", debtor="B", currency="EUR")],
        AS_OF,
    )

    assert [line.currency for line in report.for_debtor("B")] == ["EUR", "GBP"]
    assert report.for_debtor("A")[0].total == gbp("100.00")
    assert report.for_debtor("ZZZ") == ()


def test_empty_ledger_gives_an_empty_report() -> None:
    report = ageing([], AS_OF)

    assert report.lines == ()
    assert report.currencies == ()
    assert list(report.rows()) == []


# --- summary ------------------------------------------------------------------------------------


def test_summary_gives_each_buckets_share_of_the_total_to_one_decimal_place() -> None:
    report = ageing(
        [invoice("I1", amount="200.00"), invoice("I2", due=days_late(10)), invoice("I3", due=days_late(200))],
        AS_OF,
    )

    summary = report.summary("GBP")
    assert summary.total == gbp("400.00")
    assert summary.shares == tuple(Decimal(s) for s in ("50.0", "25.0", "0.0", "0.0", "0.0", "25.0"))
    assert summary.labels == DEFAULT_BUCKETS.labels


def test_summary_shares_round_half_up_and_may_not_add_to_exactly_100() -> None:
    report = ageing(
        [
            invoice("I1", amount="1.00"),
            invoice("I2", due=days_late(10), amount="1.00"),
            invoice("I3", due=days_late(40), amount="1.00"),
        ],
        AS_OF,
    )

    assert report.summary("GBP").shares[:3] == (Decimal("33.3"),) * 3


def test_summary_shows_a_credit_as_a_negative_share() -> None:
    report = ageing(
        [invoice("I1", amount="100.00"), credit_note("C1", due=days_late(5), amount="20.00")], AS_OF
    )

    assert report.summary("GBP").shares[:2] == (Decimal("125.0"), Decimal("-25.0"))


def test_summary_of_a_zero_total_has_zero_shares() -> None:
    report = ageing(
        [invoice("I1", amount="20.00"), credit_note("C1", due=days_late(5), amount="20.00")], AS_OF
    )

    assert report.summary("GBP").shares == (Decimal("0.0"),) * 6


def test_summaries_cover_each_currency() -> None:
    report = ageing([invoice("I1"), invoice("I2", currency="EUR")], AS_OF)

    assert [summary.currency for summary in report.summaries()] == ["EUR", "GBP"]


# --- rendering ----------------------------------------------------------------------------------


def test_rows_are_text_in_header_order_with_plain_amounts() -> None:
    report = ageing(
        [invoice("I1", amount="1234.50"), credit_note("C1", due=days_late(3), amount="10.00")], AS_OF
    )

    assert report.header == ("debtor", "currency", *DEFAULT_BUCKETS.labels, "total", "documents")
    assert list(report.rows()) == [
        ("D1", "GBP", "1234.50", "-10.00", "0.00", "0.00", "0.00", "0.00", "1224.50", "2")
    ]
    assert list(report.total_rows()) == [
        ("total", "GBP", "1234.50", "-10.00", "0.00", "0.00", "0.00", "0.00", "1224.50", "2")
    ]


def test_rows_in_a_locale_format_amounts_for_a_person() -> None:
    report = ageing([invoice("I1", amount="1234.50", currency="EUR")], AS_OF)

    row = next(report.rows(locale="de_DE"))
    assert row[2] == "1.234,50\xa0€"


# --- from the store's aggregates ------------------------------------------------------------------


def test_from_bucket_totals_builds_lines_and_totals_from_integer_rows() -> None:
    report = AgeingReport.from_bucket_totals(
        AS_OF,
        AgeingBasis.DUE_DATE,
        DEFAULT_BUCKETS,
        [("D2", "GBP", 0, 500, 1), ("D1", "GBP", 5, 12345, 3), ("D1", "GBP", 1, -100, 1)],
    )

    assert [line.debtor for line in report.lines] == ["D1", "D2"]
    assert report.lines[0].open_minor == (0, -100, 0, 0, 0, 12345)
    assert report.lines[0].document_count == 4
    assert report.totals("GBP")[5] == gbp("123.45")
    assert report.total("GBP") == gbp("127.45")


def test_from_bucket_totals_adds_rows_for_the_same_bucket() -> None:
    report = AgeingReport.from_bucket_totals(
        AS_OF, AgeingBasis.DUE_DATE, DEFAULT_BUCKETS, [("D1", "GBP", 2, 100, 1), ("D1", "GBP", 2, 250, 2)]
    )

    assert report.lines[0].open_minor[2] == 350
    assert report.lines[0].document_count == 3


@pytest.mark.parametrize("index", [-1, 6, 99])
def test_from_bucket_totals_refuses_a_bucket_index_outside_the_buckets(index: int) -> None:
    with pytest.raises(InvalidAgeingInputError, match=re.escape(f"bucket index {index} is outside 0..5")):
        AgeingReport.from_bucket_totals(
            AS_OF, AgeingBasis.DUE_DATE, DEFAULT_BUCKETS, [("D1", "GBP", index, 1, 1)]
        )


def test_from_bucket_totals_refuses_amounts_that_are_not_integer_minor_units() -> None:
    rows = [("D1", "GBP", 0, 100, 1), ("D2", "GBP", 1, Decimal("12.5"), 1)]
    with pytest.raises(InvalidAgeingInputError, match=r"GBP.*must be integers"):
        AgeingReport.from_bucket_totals(AS_OF, AgeingBasis.DUE_DATE, DEFAULT_BUCKETS, rows)  # type: ignore[arg-type]


def test_from_bucket_totals_refuses_an_unknown_currency() -> None:
    with pytest.raises(UnknownCurrencyError):
        AgeingReport.from_bucket_totals(
            AS_OF, AgeingBasis.DUE_DATE, DEFAULT_BUCKETS, [("D1", "XXY", 0, 1, 1)]
        )


def test_report_accepts_the_basis_as_the_text_the_store_keeps() -> None:
    report = AgeingReport.from_bucket_totals(AS_OF, "invoice-date", DEFAULT_BUCKETS, [])  # type: ignore[arg-type]

    assert report.basis is AgeingBasis.INVOICE_DATE


# --- properties ---------------------------------------------------------------------------------

CURRENCIES = ("GBP", "EUR", "JPY")


@st.composite
def ledgers(draw: st.DrawFn) -> list[Document]:
    """Open, part-paid and closed invoices and credit notes of a few debtors in a few currencies."""
    documents = []
    for number in range(draw(st.integers(0, 25))):
        kind = draw(st.sampled_from(DocumentKind))
        currency = draw(st.sampled_from(CURRENCIES))
        amount_minor = draw(st.integers(1, 10**9))
        open_minor = draw(st.integers(0, amount_minor))
        status = draw(st.sampled_from(DocumentStatus))
        issued = AS_OF + timedelta(days=draw(st.integers(-400, 20)))
        due = issued + timedelta(days=draw(st.integers(0, 90)))
        documents.append(
            Document(
                creditor="ACME",
                debtor=draw(st.sampled_from(("A", "B", "C", "D"))),
                kind=kind,
                number=f"DOC-{number}",
                issue_date=issued,
                due_date=due,
                amount=Money.from_minor_units(amount_minor, currency),
                open_amount=Money.from_minor_units(open_minor, currency),
                status=status,
            )
        )
    return documents


@given(ledgers(), edges_strategy, st.sampled_from(AgeingBasis))
def test_the_buckets_add_up_to_the_open_signed_amounts_in_each_currency(
    documents: list[Document], buckets: Buckets, basis: AgeingBasis
) -> None:
    report = ageing(documents, AS_OF, buckets, basis)

    for currency in CURRENCIES:
        expected = Money.total(
            (
                d.signed_open_amount
                for d in documents
                if d.is_open and d.currency == currency and d.issue_date <= AS_OF
            ),
            currency,
        )
        assert Money.total(report.totals(currency), currency) == expected
        assert report.total(currency) == expected
        assert (
            Money.total((line.total for line in report.lines if line.currency == currency), currency)
            == expected
        )


@given(ledgers(), edges_strategy, st.sampled_from(AgeingBasis), st.randoms(use_true_random=False))
def test_ageing_documents_equals_the_report_from_the_same_bucket_totals(
    documents: list[Document], buckets: Buckets, basis: AgeingBasis, shuffler: random.Random
) -> None:
    """What the store does in SQL, done here by hand: one row per document, in any order."""
    rows = []
    for d in documents:
        if d.is_open and d.issue_date <= AS_OF:
            reference = d.due_date if basis is AgeingBasis.DUE_DATE else d.issue_date
            index = reference_index(buckets.edges, (AS_OF - reference).days)
            rows.append((d.debtor, d.currency, index, d.signed_open_amount.to_minor_units(), 1))
    shuffler.shuffle(rows)

    assert ageing(documents, AS_OF, buckets, basis) == AgeingReport.from_bucket_totals(
        AS_OF, basis, buckets, rows
    )


@given(ledgers(), st.integers(0, 400))
def test_a_later_date_never_moves_a_document_to_an_earlier_bucket(
    documents: list[Document], later_by: int
) -> None:
    # Only invoices, so that amounts can only move right: the older buckets can only grow.
    invoices = [d for d in documents if d.is_invoice]
    earlier, later = ageing(invoices, AS_OF), ageing(invoices, AS_OF + timedelta(days=later_by))
    for currency in CURRENCIES:
        before, after = earlier.currency_total(currency).open_minor, later.currency_total(currency).open_minor
        for start in range(len(before)):
            assert sum(after[start:]) >= sum(before[start:])


def test_a_document_issued_after_the_as_of_date_is_not_aged() -> None:
    report = ageing(
        [
            invoice("INV-1", due=AS_OF, issued=AS_OF),
            invoice("INV-2", due=AS_OF + timedelta(days=40), issued=AS_OF + timedelta(days=1)),
        ],
        AS_OF,
    )
    assert report.currency_total("GBP").document_count == 1


def test_a_past_date_counts_back_the_payments_and_credits_made_since() -> None:
    """INV-1 (100.00, due 30 days before AS_OF) was paid 1.00 on AS_OF, 60.00 after it, and had
    a credit note CN-1 of 10.00 applied after it, leaving 29.00 open today. As of AS_OF, 99.00
    was open and the credit note (5 days past due) was still unapplied: 89.00 net in 1-30."""
    paid = invoice(
        "INV-1",
        due=AS_OF - timedelta(days=30),
        amount="100.00",
        open_amount="29.00",
        status=DocumentStatus.PART_PAID,
    )
    note = credit_note(
        "CN-1", due=AS_OF - timedelta(days=5), amount="10.00", open_amount="0.00", status=DocumentStatus.PAID
    )
    later = AS_OF + timedelta(days=3)
    allocations = [
        Allocation("ACME", "INV-1", Money.of("60.00", "GBP"), later, payment="P-1"),
        Allocation("ACME", "INV-1", Money.of("10.00", "GBP"), later, credit_note="CN-1"),
        Allocation(
            "ACME", "INV-1", Money.of("1.00", "GBP"), AS_OF, payment="P-0"
        ),  # on the day: already counted
    ]
    report = ageing([paid, note], AS_OF, allocations=allocations)
    totals = dict(zip(report.labels, (m.amount for m in report.totals("GBP")), strict=True))
    assert totals["1-30"] == Decimal("89.00")
    assert totals["current"] == Decimal("0.00")
    assert report.currency_total("GBP").document_count == 2
    assert report.total("GBP") == Money.of("89.00", "GBP")
    assert ageing([paid, note], later, allocations=allocations).total("GBP") == Money.of("29.00", "GBP")
