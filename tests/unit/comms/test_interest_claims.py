"""Letters and emails claim statutory interest and compensation exactly where the policy says:
from its `claim_interest_from` step onward, from business debtors only, at the contractual rate
when the policy sets one. The figures are worked out here by hand from the Act's rule."""

import subprocess
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from comms_builders import NOW, brand, creditor, customer, invoice

from arrears.comms.message import OutboundAction, RenderedMessage
from arrears.comms.render import render_action
from arrears.core.ledger import Debtor, DebtorFlag
from arrears.core.policy import Channel, Policy
from arrears.policies import default_uk

AS_OF = date(2026, 5, 4)
DOCUMENTS = [
    invoice("INV-1", date(2026, 3, 2), "1234.50"),  # 63 days late on 4 May 2026
    invoice("INV-2", date(2026, 4, 1), "99.99", "50.05"),  # 33 days late, 50.05 still open
]
CENT = Decimal("0.01")
# Bank Rate in force on 31 December 2025 (3.75%) + 8 points: the rate for interest starting to
# run between 1 January and 30 June 2026 (SI 2002/1675 art. 4).
UK_RATE = Decimal("11.75")


def _interest(principal: str, rate: Decimal, days: int) -> Decimal:
    """Simple interest for `days` at `rate` % a year, a year's interest divided by 365, rounded
    half up to the penny once."""
    return (Decimal(principal) * rate / 100 * days / 365).quantize(CENT, ROUND_HALF_UP)


def _pounds(amount: Decimal) -> str:
    return f"£{amount:,.2f}"


# The worked example: INV-1 £1,234.50 x 11.75% x 63/365 = £25.0367 -> £25.04, compensation £70
# (a debt of £1,000 or more, less than £10,000); INV-2 £50.05 x 11.75% x 33/365 = £0.5317 -> £0.53,
# compensation £40 (less than £1,000).
INTEREST_1 = _interest("1234.50", UK_RATE, 63)
INTEREST_2 = _interest("50.05", UK_RATE, 33)
INTEREST = INTEREST_1 + INTEREST_2
COMPENSATION = Decimal("70.00") + Decimal("40.00")
TOTAL = Decimal("1234.50") + Decimal("50.05") + INTEREST + COMPENSATION


def _render(
    template: str,
    channel: Channel,
    *,
    step: str | None = None,
    policy: Policy | None = None,
    debtor: Debtor | None = None,
) -> tuple[RenderedMessage, ...]:
    action = OutboundAction(
        "ACME",
        "C100",
        step or template.replace("_", " "),
        channel,
        template,
        ("INV-1", "INV-2"),
        f"key-{template}",
        "test",
        AS_OF,
    )
    return render_action(
        action,
        creditor=creditor(),
        debtor=debtor or customer(),
        documents=DOCUMENTS,
        brand=brand(),
        now=NOW,
        policy=policy,
    )


def _pdf_text(message: RenderedMessage, folder: Path) -> str:
    path = folder / "letter.pdf"
    path.write_bytes(message.attachments[0].data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return out.stdout


def _words(text: str) -> str:
    return " ".join(text.split())


def test_the_worked_example_is_what_the_act_gives() -> None:
    worked = (INTEREST_1, INTEREST_2, INTEREST, TOTAL)
    assert worked == (Decimal("25.04"), Decimal("0.53"), Decimal("25.57"), Decimal("1420.12"))


def test_a_claiming_letter_prints_the_claim_per_invoice_and_in_total(tmp_path: Path) -> None:
    letter, copy = _render("formal_demand", Channel.LETTER)  # the UK ladder claims from here
    text = _pdf_text(letter, tmp_path)
    words = _words(text)
    assert (
        f"to 4 May 2026, {_pounds(INTEREST)} in interest and {_pounds(COMPENSATION)} in compensation, "
        f"{_pounds(TOTAL)} in all" in words
    )
    assert "Late Payment of Commercial Debts (Interest) Act 1998 at 11.75% a year" in words
    assert "Interest and compensation claimed" in words
    # the statement page: invoice, days late, the late amount, interest, compensation
    assert f"INV-1 63 £1,234.50 {_pounds(INTEREST_1)} £70.00" in words
    assert f"INV-2 33 £50.05 {_pounds(INTEREST_2)} £40.00" in words
    assert f"Total {_pounds(INTEREST)} {_pounds(COMPENSATION)}" in words
    # the email copy of the letter says the same
    assert f"{_pounds(INTEREST)} in interest and {_pounds(COMPENSATION)} in compensation" in copy.text
    assert (
        f"INV-1: 63 days late on £1,234.50: interest {_pounds(INTEREST_1)}, compensation £70.00" in copy.text
    )


def test_an_email_at_a_claiming_step_prints_the_claim() -> None:
    early = Policy("Early claims", 1, default_uk().steps, claim_interest_from="first overdue reminder")
    (email,) = _render("overdue_14_days", Channel.EMAIL, step="second overdue reminder", policy=early)
    expected = f"{_pounds(INTEREST)} in interest and {_pounds(COMPENSATION)} in compensation, {_pounds(TOTAL)} in all"
    assert expected in email.text
    assert email.html is not None
    assert f"{_pounds(INTEREST)} in interest and {_pounds(COMPENSATION)} in compensation" in email.html
    assert f"{_pounds(INTEREST_2)}</td>" in email.html


def test_a_step_before_the_claiming_one_shows_no_interest(tmp_path: Path) -> None:
    late = Policy("Late claims", 1, default_uk().steps, claim_interest_from="final notice")
    demand, copy = _render("formal_demand", Channel.LETTER, policy=late)
    for text in (_words(_pdf_text(demand, tmp_path)), copy.text):
        assert "interest" not in text.lower() and "compensation" not in text.lower()
        assert _pounds(INTEREST) not in text and _pounds(TOTAL) not in text
    notice, _ = _render("final_notice", Channel.LETTER, policy=late)
    assert f"{_pounds(INTEREST)} in interest" in notice.text
    (reminder,) = _render("overdue_14_days", Channel.EMAIL, step="second overdue reminder")
    assert "interest" not in reminder.text.lower()


def test_a_policy_that_claims_nothing_prints_no_interest() -> None:
    quiet = Policy("Quiet", 1, default_uk().steps)
    notice, _ = _render("final_notice", Channel.LETTER, policy=quiet)
    action, _ = _render("letter_before_action", Channel.LETTER, policy=quiet)
    assert "in interest" not in notice.text and "compensation" not in notice.text
    assert "The sum claimed" not in action.text and "£1,284.55" in action.text


def test_a_consumer_is_never_charged_statutory_interest(tmp_path: Path) -> None:
    individual = customer(flags=frozenset({DebtorFlag.INDIVIDUAL}))
    demand, copy = _render("formal_demand", Channel.LETTER, debtor=individual)
    words = _words(_pdf_text(demand, tmp_path))
    assert "Late Payment" not in words and "compensation" not in words
    assert _pounds(INTEREST) not in words and "interest" not in copy.text.lower()


def test_a_contractual_rate_replaces_the_statutory_one_without_the_acts_fixed_sum() -> None:
    contract = Policy(
        "Contract",
        1,
        default_uk().steps,
        claim_interest_from="formal demand",
        contractual_interest_rate=Decimal(8),
    )
    letter, _ = _render("letter_before_action", Channel.LETTER, policy=contract)
    interest = _interest("1234.50", Decimal(8), 63) + _interest("50.05", Decimal(8), 33)
    assert interest == Decimal("17.41")  # 17.0458 -> 17.05, 0.3620 -> 0.36
    text = _words(letter.text)
    assert "claims interest at the rate our contract with you sets at 8.00% a year" in text
    assert f"To 4 May 2026, the interest is {_pounds(interest)}; interest continues" in text
    assert f"The sum claimed is therefore {_pounds(Decimal('1284.55') + interest)}." in text
    assert "Late Payment" not in text.split("Interest and compensation claimed")[0]
