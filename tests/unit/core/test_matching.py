"""The bank matcher: which debtor a credit is from, what it settles, and when it is sure enough
to apply without a person."""

from dataclasses import replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.core.ledger import Document, DocumentKind
from arrears.core.matching import (
    AUTO_MATCH_SCORE,
    BankCredit,
    ExpectedPayment,
    MatchBook,
    match_credit,
    name_words,
    normalised_account,
)
from arrears.core.money import Money

DUE = date(2026, 2, 4)
DAY = date(2026, 3, 2)


def gbp(amount: str) -> Money:
    return Money.of(amount, "GBP")


def invoice(
    debtor: str, number: str, amount: str, open_amount: str | None = None, currency: str = "GBP"
) -> Document:
    total = Money.of(amount, currency)
    still = total if open_amount is None else Money.of(open_amount, currency)
    return Document("ACME", debtor, DocumentKind.INVOICE, number, date(2026, 1, 5), DUE, total, still)


def book(
    *documents: Document,
    accounts: dict[str, frozenset[str]] | None = None,
    expected: tuple[ExpectedPayment, ...] = (),
) -> MatchBook:
    return MatchBook(
        debtor_names={"D1": "Harrington Joinery Ltd", "D2": "Kestrel Print Ltd", "D3": "Harrington Builders"},
        open_invoices=list(documents),
        known_accounts=accounts or {},
        expected=expected,
    )


def credit(
    amount: str,
    narration: str = "",
    payer: str | None = None,
    account: str | None = None,
    currency: str = "GBP",
) -> BankCredit:
    return BankCredit("1", DAY, Money.of(amount, currency), narration, None, payer, account)


LEDGER = (
    invoice("D1", "INV-000101", "500.00"),
    invoice("D1", "INV-004567", "250.00"),
    invoice("D2", "INV-000201", "90.00"),
)


def test_an_invoice_cited_with_the_exact_amount_is_applied_without_a_person() -> None:
    result = match_credit(credit("500.00", "payment inv 000101 thanks"), book(*LEDGER))

    assert result.automatic is not None
    assert (result.automatic.debtor, result.automatic.documents, result.automatic.confidence) == (
        "D1",
        ("INV-000101",),
        95,
    )
    assert result.automatic.method == "invoice number + amount"


def test_several_invoices_cited_are_settled_oldest_due_first() -> None:
    older = replace(invoice("D1", "INV-000100", "100.00"), due_date=date(2026, 1, 20))
    result = match_credit(credit("600.00", "INV000101 INV-000100"), book(older, *LEDGER))

    assert result.automatic is not None and result.automatic.documents == ("INV-000100", "INV-000101")


def test_a_part_payment_needs_the_payers_name_or_account_to_be_applied() -> None:
    anonymous = match_credit(credit("200.00", "INV-000101"), book(*LEDGER))
    named = match_credit(credit("200.00", "INV-000101", payer="HARRINGTON JOINERY"), book(*LEDGER))

    assert anonymous.automatic is None and anonymous.best is not None and anonymous.best.confidence == 70
    assert named.automatic is not None and named.automatic.confidence == 95
    assert "a part payment" in " ".join(named.automatic.reasons)


def test_digits_alone_cite_an_invoice_with_fewer_points() -> None:
    result = match_credit(credit("250.00", "ref 4567"), book(*LEDGER))

    assert result.best is not None and result.best.documents == ("INV-004567",)
    assert result.best.confidence == 45 + 35 and result.automatic is None


def test_a_known_account_an_exact_amount_and_the_name_are_enough_without_an_invoice_number() -> None:
    accounts = {normalised_account("GB29 NWBK 6016 1331 9268 19"): frozenset({"D1"})}
    without_name = match_credit(
        credit("250.00", "april", account="GB29NWBK60161331926819"), book(*LEDGER, accounts=accounts)
    )
    with_name = match_credit(
        credit("250.00", "april", payer="Harrington Joinery Ltd", account="GB29NWBK60161331926819"),
        book(*LEDGER, accounts=accounts),
    )

    assert (
        without_name.automatic is None
        and without_name.best is not None
        and without_name.best.confidence == 75
    )
    assert with_name.automatic is not None and with_name.automatic.documents == ("INV-004567",)


def test_an_amount_that_only_one_invoice_has_is_a_weak_suggestion() -> None:
    result = match_credit(credit("90.00", "BACS"), book(*LEDGER))

    assert result.automatic is None
    assert result.best is not None and (result.best.debtor, result.best.confidence) == ("D2", 35)


def test_a_clear_winner_is_applied_but_close_candidates_are_left_to_a_person() -> None:
    clear = match_credit(credit("500.00", "INV-000101", payer="Harrington"), book(*LEDGER))
    close = match_credit(
        credit("500.00", "INV-000101 INV-000201", payer="Harrington Joinery and Kestrel Print"), book(*LEDGER)
    )

    # 'Harrington' is half of D3's name: 15 points, far behind D1's 95
    assert clear.automatic is not None and clear.automatic.debtor == "D1"
    assert [(c.debtor, c.confidence) for c in close.candidates] == [("D1", 100), ("D2", 95), ("D3", 15)]
    assert close.automatic is None


def test_a_deal_reference_quoted_pays_what_the_deal_covers() -> None:
    expected = (
        ExpectedPayment(
            "D1", gbp("250.00"), ("INV-000101",), "payment plan PP-00001, instalment 1", "PP-00001"
        ),
    )
    result = match_credit(credit("250.00", "PP00001"), book(*LEDGER, expected=expected))

    assert result.automatic is not None
    assert (result.automatic.documents, result.automatic.method) == (
        ("INV-000101",),
        "deal reference + amount",
    )


def test_debits_other_currencies_and_paid_invoices_are_never_matched() -> None:
    matcher = book(*LEDGER)

    assert match_credit(credit("-500.00", "INV-000101"), matcher).candidates == ()
    assert match_credit(credit("500.00", "INV-000101", currency="EUR"), matcher).candidates == ()
    matcher.replace(invoice("D1", "INV-000101", "500.00", "0.00"))
    assert match_credit(credit("500.00", "INV-000101"), matcher).automatic is None


def test_a_part_paid_invoice_is_found_by_what_it_still_has_open() -> None:
    matcher = book(*LEDGER)
    matcher.replace(invoice("D1", "INV-000101", "500.00", "300.00"))

    result = match_credit(credit("300.00", "INV-000101"), matcher)

    assert (
        result.automatic is not None
        and "exactly what they have open (300.00 GBP)" in result.automatic.reasons[-1]
    )


def test_company_words_do_not_make_names_alike() -> None:
    assert name_words("The Kestrel Print Co. Ltd") == frozenset({"kestrel", "print"})


AMOUNTS = st.sampled_from(["90.00", "250.00", "500.00", "750.00", "12.34", "1000.00"])
TEXTS = st.lists(
    st.sampled_from(
        ["INV-000101", "inv 004567", "000201", "4567", "PP-00001", "Harrington", "Kestrel", "thanks", "BACS"]
    ),
    max_size=4,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(amount=AMOUNTS, text=TEXTS, payer=st.sampled_from([None, "Harrington Joinery Ltd", "Kestrel Print"]))
def test_candidates_are_ordered_bounded_and_an_automatic_match_settles_only_its_debtors_invoices(
    amount: str, text: str, payer: str | None
) -> None:
    result = match_credit(credit(amount, text, payer=payer), book(*LEDGER))

    scores = [c.confidence for c in result.candidates]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 100 for s in scores)
    if result.automatic is not None:
        owners = {d.number: d.debtor for d in LEDGER}
        assert result.automatic.confidence >= AUTO_MATCH_SCORE
        assert result.automatic.documents and all(
            owners[n] == result.automatic.debtor for n in result.automatic.documents
        )
