"""The simulated month of deals and cash the demo runs: real camt.053 files imported, promises
kept and broken, plans agreed, money reconciled, and the report adds up."""

from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from arrears.core.money import Money
from arrears.intake.bank import read_statement
from arrears.services.simulate_deals import simulate_deals_and_bank
from arrears.services.simulate_ledger import simulate_ledger
from arrears.sim import SimulationParams
from arrears.store.database import session_factory
from arrears.store.unit_of_work import SqlUnitOfWork

AS_OF = date(2026, 2, 28)


def test_a_simulated_half_month_imports_its_bank_files_and_reports_what_it_did(
    engine: Engine, tmp_path: Path
) -> None:
    factory = session_factory(engine)

    def new_uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(factory)

    simulate_ledger(new_uow, SimulationParams(creditors=1, debtors=80, invoices=1200, seed=11, as_of=AS_OF))
    days: list[date] = []

    report = simulate_deals_and_bank(
        new_uow, "C001", date(2026, 3, 16), date(2026, 3, 31), folder=tmp_path, seed=3, on_day=days.append
    )

    assert days[0] == date(2026, 3, 16) and days[-1] == date(2026, 3, 31) and len(days) == 16
    assert report.promises_made > 0 and report.plans_agreed > 0
    assert report.promises_made == report.promises_kept + report.promises_broken + report.promises_pending
    assert report.promises_kept > 0 and report.payments_matched > 0
    # one camt.053 file per business day with credits (12 business days)
    assert 8 <= len(report.statements) <= 12
    assert all(date.fromisoformat(path.stem[-10:]).weekday() < 5 for path in report.statements)
    lines = [line for path in report.statements for s in read_statement(path) for line in s.transactions]
    received = Money.total((line.amount for line in lines), "GBP")
    assert report.cash_matched is not None and report.cash_unmatched is not None
    assert report.cash_matched + report.cash_unmatched == received
    assert report.receivables_before is not None and report.receivables_after is not None
    assert report.receivables_after < report.receivables_before
    assert report.dso_before is not None and report.dso_after_same_sales is not None
    assert report.dso_after_same_sales < report.dso_before
    with new_uow() as uow:
        assert len(uow.bank.lines("C001")) == len(lines)
    assert "cash collected through the bank" in "\n".join(report.summary_lines())
