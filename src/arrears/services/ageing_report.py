"""Age a creditor's ledger (or every creditor's) as of a date."""

from dataclasses import dataclass
from datetime import date

from arrears.core.ageing import DEFAULT_BUCKETS, AgeingBasis, AgeingReport, Buckets
from arrears.core.ledger import Creditor
from arrears.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class CreditorAgeing:
    creditor: Creditor
    report: AgeingReport


def ageing_reports(
    uow: UnitOfWork,
    as_of: date,
    *,
    creditor: str | None = None,
    buckets: Buckets = DEFAULT_BUCKETS,
    basis: AgeingBasis = AgeingBasis.DUE_DATE,
) -> list[CreditorAgeing]:
    """The ageing of one creditor, or of every creditor when none is named, aggregated in the
    database (one GROUP BY per creditor) and assembled by `AgeingReport.from_bucket_totals`."""
    with uow:
        creditors = [uow.creditors.get(creditor)] if creditor else uow.creditors.list_all()
        return [
            CreditorAgeing(each, uow.ledger.ageing_report(each.code, as_of, buckets, basis))
            for each in creditors
        ]
