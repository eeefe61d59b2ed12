"""The outbox prints the interest claim the store knows: part payments reduce the principal from
the day after they arrive, and the creditor's own stored policy decides from which step interest
is claimed. Figures worked out here by hand."""

import subprocess
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from comms_builders import NOW, brand, creditor, customer, invoice, seed

from arrears.comms.message import OutboundAction
from arrears.comms.outbox import enqueue_actions
from arrears.core.ledger import Allocation, Payment
from arrears.core.money import Money
from arrears.core.policy import Channel
from arrears.policies import default_uk
from arrears.store.unit_of_work import SqlUnitOfWork

DUE = date(2026, 1, 15)
PAID_ON = date(2026, 2, 14)
AS_OF = date(2026, 3, 16)  # 60 days after the due date: the formal demand
CENT = Decimal("0.01")


@pytest.fixture
def acme(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    seed(
        uow, creditor(), brand(), [customer()], [invoice("INV-1", DUE, "3000.00", issued=date(2025, 12, 16))]
    )
    with uow:
        uow.payments.add(
            "ACME", [Payment("ACME", "BACS-1", PAID_ON, Money.of("1000.00", "GBP"), debtor="C100")]
        )
        uow.payments.allocate(
            "ACME", [Allocation("ACME", "INV-1", Money.of("1000.00", "GBP"), PAID_ON, payment="BACS-1")]
        )
        uow.commit()
    return uow


def _demand(key: str = "demand-1", step: str = "formal demand") -> OutboundAction:
    return OutboundAction(
        "ACME", "C100", step, Channel.LETTER, "formal_demand", ("INV-1",), key, "test", AS_OF
    )


def test_a_part_payment_reduces_the_principal_from_the_day_after_it_arrived(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    report = enqueue_actions(acme, "ACME", [_demand()], now=NOW)

    assert report.refused == () and "demand-1" in report.queued
    # 11.75% a year (Bank Rate 3.75% on 31 December 2025 + 8): £3,000 from 16 January to
    # 14 February (30 days), then £2,000 from 15 February to 16 March (30 days)
    exact = (Decimal(3000) * 30 + Decimal(2000) * 30) * Decimal("0.1175") / 365
    interest = exact.quantize(CENT, ROUND_HALF_UP)
    assert interest == Decimal("48.29")
    compensation = Decimal("70.00")  # banded on the £3,000 unpaid when interest started
    total = Decimal("2000.00") + interest + compensation
    with acme:
        letter = acme.outbox.get("ACME", "demand-1").message
    pdf = tmp_path / "demand.pdf"
    pdf.write_bytes(letter.attachments[0].data)
    text = " ".join(
        subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert (
        f"to 16 March 2026, £{interest} in interest and £{compensation} in compensation, £{total:,} in all"
        in text
    )
    assert "INV-1 60 £3,000.00 £48.29 £70.00" in text  # days late, the late amount, interest, compensation
    assert "£38.63" not in text  # what interest on the open £2,000 alone for 60 days would be


def test_the_creditors_stored_policy_decides_which_step_claims(acme: SqlUnitOfWork) -> None:
    later = replace(default_uk(), claim_interest_from="final notice")
    with acme:
        acme.policies.add("ACME", later, source="ladder.yaml", by="Jo", at=NOW)
        acme.commit()

    enqueue_actions(acme, "ACME", [_demand()], now=NOW)

    with acme:
        letter = acme.outbox.get("ACME", "demand-1").message
    assert "in interest" not in letter.text and "compensation" not in letter.text
