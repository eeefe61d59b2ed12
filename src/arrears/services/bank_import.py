"""Import a bank statement file (camt.053/054, MT940, OFX or bank CSV) and match its credits.

1. The file is read in full first (`arrears.intake.bank.read_statement`): a malformed file is a
   `StatementError` naming the file, line or field, and nothing is written.
2. In one unit of work, under the creditor lock: each statement is recorded unless the same
   statement was imported before (its key: a SHA-256 of account, period, balances and line
   fingerprints), and each line whose fingerprint is new for the creditor; so re-importing a
   file, or a statement that overlaps one already imported, adds nothing twice.
3. The new credits are matched (`arrears.services.matching`): exact matches become payments
   allocated to their invoices; the rest go to the unmatched queue.
4. The deals are reviewed as of the statement's last booking day (or `as_of`): a promise the
   cash kept is recorded as kept, a plan instalment as paid, a settlement as paid (and the rest
   written off).
5. Commit. A statement whose balances do not add up is imported but reported
   (`balance_warnings`).
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from arrears.core.money import Money
from arrears.intake.bank import BankStatement, CsvProfile, read_statement
from arrears.services.deal_review import DealReview, review_deals_in
from arrears.services.matching import LineMatched, LineQueued, match_lines_in
from arrears.store.repositories import StoredLine
from arrears.store.unit_of_work import UnitOfWork

STATEMENT_KEY_VERSION = "bank-statement-v1"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class BankImportReport:
    source: str
    statements: int = 0
    statements_known: int = 0
    lines_new: int = 0
    lines_known: int = 0
    debits: int = 0
    matched: list[LineMatched] = field(default_factory=list)
    queued: list[LineQueued] = field(default_factory=list)
    balance_warnings: list[str] = field(default_factory=list)
    review: DealReview | None = None

    def cash_matched(self) -> dict[str, Money]:
        """The credits matched to debtors, per currency."""
        found: dict[str, Money] = {}
        for done in self.matched:
            amount = done.line.amount
            found[amount.currency] = found.get(amount.currency, Money.zero(amount.currency)) + amount
        return dict(sorted(found.items()))

    def cash_queued(self) -> dict[str, Money]:
        found: dict[str, Money] = {}
        for waiting in self.queued:
            amount = waiting.line.amount
            found[amount.currency] = found.get(amount.currency, Money.zero(amount.currency)) + amount
        return dict(sorted(found.items()))


def statement_key(statement: BankStatement) -> str:
    """The same for the same statement however often it is imported, under any file name."""
    parts = [
        STATEMENT_KEY_VERSION,
        statement.format,
        statement.account,
        statement.currency,
        statement.statement_id or "",
        "" if statement.from_date is None else statement.from_date.isoformat(),
        "" if statement.to_date is None else statement.to_date.isoformat(),
        "" if statement.opening_balance is None else str(statement.opening_balance.to_minor_units()),
        "" if statement.closing_balance is None else str(statement.closing_balance.to_minor_units()),
        *(line.fingerprint for line in statement.transactions),
    ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def import_bank_statement(
    uow: UnitOfWork,
    creditor: str,
    path: Path,
    *,
    by: str,
    format: str | None = None,
    csv_profile: CsvProfile | str | None = None,
    account: str | None = None,
    currency: str | None = None,
    as_of: date | None = None,
    now: Callable[[], datetime] = _now,
) -> BankImportReport:
    """Import the statement file at `path` for `creditor` (see the module docstring)."""
    statements = read_statement(path, format, csv_profile=csv_profile, account=account, currency=currency)
    report = BankImportReport(path.name)
    at = now()
    with uow:
        uow.creditors.lock(creditor)
        uow.creditors.get(creditor)
        new_lines: list[StoredLine] = []
        for statement in statements:
            difference = statement.balance_difference
            if difference is not None and not difference.is_zero:
                report.balance_warnings.append(
                    f"{statement.source}, account {statement.account}: opening balance plus the lines differs from "
                    f"the closing balance by {difference}; lines may be missing from the file"
                )
            added = uow.bank.add_statement(creditor, statement, key=statement_key(statement), at=at, by=by)
            if added.statement_id is None:
                report.statements_known += 1
            else:
                report.statements += 1
            report.lines_new += len(added.new_lines)
            report.lines_known += added.known_lines
            new_lines.extend(added.new_lines)
        report.debits = len([line for line in new_lines if line.state == "debit"])
        if new_lines:
            day = as_of or max(line.booking_date for line in new_lines)
            report.matched, report.queued = match_lines_in(uow, creditor, new_lines, as_of=day, at=at)
            report.review = review_deals_in(uow, creditor, day, by=by)
        uow.commit()
    return report
