"""A simulated month of deals and cash for the demo: debtors promise (some keep, some break),
enter payment plans, and pay by bank; the bank's statements are real camt.053 files written into
the workspace and imported through the bank import, as a creditor would.

`simulate_deals_and_bank(unit_of_work_factory, creditor, start, end, seed=7, folder=...)` runs
day by day from `start` to `end` (both included):

1. **Promises.** On business days a few debtors with overdue invoices promise to pay them
   (taken on a call) within one to two weeks. About two in three keep their promise (paying on or
   before the date, quoting the invoice numbers); the others pay nothing.
2. **Plans.** A few debtors owing more agree a plan of three weekly instalments, inside the
   creditor's rules; most pay the instalments quoting the plan's reference, some miss one.
3. **Other payments.** Some debtors pay an overdue invoice without any deal; one in five of them
   does not quote the invoice number, so the payment waits in the unmatched queue.
4. **The bank.** Each business day's credits go into one camt.053 statement
   (`bank/camt053-YYYY-MM-DD.xml` in `folder`), imported with `import_bank_statement`; the
   import matches the payments and reviews the deals (kept, broken, defaulted).
5. **Report.** Cash collected through the bank (matched, and waiting in the queue), promises
   made, kept and broken, plans agreed, completed and defaulted, and DSO (standard) before and
   after, from `arrears.services.ledger_metrics` as of `start - 1 day` and `end` (a month-end
   measure: with `end` on a month end the "after" figure is that month's).

Deterministic: the same seed and ledger give the same month. Nothing here reads a clock: the
"now" recorded on rows is the simulated day at noon UTC.
"""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from arrears.core.errors import ArrearsError
from arrears.core.instalments import Frequency
from arrears.core.ledger import Document
from arrears.core.metrics import dso_standard
from arrears.core.money import Money
from arrears.core.promises import PromiseChannel
from arrears.services.bank_import import import_bank_statement
from arrears.services.deal_review import review_deals
from arrears.services.ledger_metrics import CurrencyMetrics, ledger_metrics
from arrears.services.matching import match_line, unmatched_queue
from arrears.services.payment_plans import list_payment_plans, propose_payment_plan
from arrears.services.promises import list_promises, record_promise
from arrears.sim import LaterPayment
from arrears.store.unit_of_work import UnitOfWork

DEMO_CONTROLLER = "demo controller"
KEEP_SHARE = Decimal("0.65")
MATCH_BY_HAND_FROM = 60
NATURAL_CITING_SHARE = 0.85  # unprompted payments that quote their invoice numbers


@dataclass(frozen=True, slots=True)
class CamtLine:
    """A credit (positive) or debit (negative) for `write_camt053`."""

    booked_on: date
    amount: Money
    payer: str
    payer_account: str | None = None
    remittance: str = ""
    bank_reference: str = ""


def write_camt053(
    path: Path,
    *,
    account: str,
    currency: str,
    statement_id: str,
    opening: Money,
    lines: Sequence[CamtLine],
    created: datetime,
) -> Path:
    """Write a camt.053.001.02 statement as banks send it: booked entries with the payer's name,
    account and unstructured remittance text, opening (OPBD) and closing (CLBD) balances."""
    closing = opening + Money.total((line.amount for line in lines), currency)
    days = sorted(line.booked_on for line in lines) or [created.date()]

    def balance(code: str, amount: Money, day: date) -> str:
        indicator = "CRDT" if not amount.is_negative else "DBIT"
        return (
            f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
            f'<Amt Ccy="{currency}">{abs(amount).amount:.2f}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
            f"<Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>"
        )

    entries = []
    for number, line in enumerate(lines, 1):
        credit = line.amount.is_positive
        party = "Dbtr" if credit else "Cdtr"
        account_xml = (
            f"<{party}Acct><Id><IBAN>{escape(line.payer_account)}</IBAN></Id></{party}Acct>"
            if line.payer_account
            else ""
        )
        entries.append(
            f'<Ntry><Amt Ccy="{currency}">{abs(line.amount).amount:.2f}</Amt>'
            f"<CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd><Sts>BOOK</Sts>"
            f"<BookgDt><Dt>{line.booked_on.isoformat()}</Dt></BookgDt><ValDt><Dt>{line.booked_on.isoformat()}</Dt></ValDt>"
            f"<AcctSvcrRef>{escape(line.bank_reference or f'{statement_id}-{number}')}</AcctSvcrRef>"
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
            "<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>"
            f"<RltdPties><{party}><Nm>{escape(line.payer)}</Nm></{party}>{account_xml}</RltdPties>"
            f"<RmtInf><Ustrd>{escape(line.remittance)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        )
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{escape(statement_id)}</MsgId><CreDtTm>{created.isoformat()}</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{escape(statement_id)}</Id><CreDtTm>{created.isoformat()}</CreDtTm>"
        f"<Acct><Id><IBAN>{escape(account)}</IBAN></Id><Ccy>{currency}</Ccy></Acct>"
        + balance("OPBD", opening, days[0] - timedelta(days=1))
        + balance("CLBD", closing, days[-1])
        + "".join(entries)
        + "</Stmt></BkToCstmrStmt></Document>\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")
    return path


@dataclass(frozen=True, slots=True)
class _Credit:
    booked_on: date
    debtor: str
    amount: Money
    remittance: str
    invoices: tuple[str, ...] = ()  # set on what the debtor would have paid unprompted (`later_payments`)

    @property
    def natural(self) -> bool:
        return bool(self.invoices)


@dataclass(slots=True)
class DealsDemoReport:
    """What the simulated month did and what it changed."""

    creditor: str
    start: date
    end: date
    currency: str
    promises_made: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    promises_pending: int = 0
    plans_agreed: int = 0
    plans_completed: int = 0
    plans_defaulted: int = 0
    statements: list[Path] = field(default_factory=list)
    payments_matched: int = 0
    payments_queued: int = 0
    matched_by_hand: int = 0
    cash_matched: Money | None = None
    cash_unmatched: Money | None = None
    dso_before: Decimal | None = None
    dso_after: Decimal | None = None
    dso_after_same_sales: Decimal | None = None
    receivables_before: Money | None = None
    receivables_after: Money | None = None

    def summary_lines(self) -> list[str]:
        zero = Money.zero(self.currency)
        matched = self.cash_matched or zero
        unmatched = self.cash_unmatched or zero

        def days(value: Decimal | None) -> str:
            return "n/a" if value is None else f"{value:.1f} days"

        def change(after: Decimal | None) -> str:
            if self.dso_before is None or after is None:
                return ""
            return f" ({after - self.dso_before:+.1f})"

        receivables = ""
        if self.receivables_before is not None and self.receivables_after is not None:
            receivables = f"  receivables: {self.receivables_before.format()} before, {self.receivables_after.format()} after"
        return [
            f"{self.creditor}, {self.start.isoformat()} to {self.end.isoformat()}:",
            f"  cash collected through the bank: {matched.format()} matched to debtors"
            f" ({self.payments_matched} automatically, {self.matched_by_hand} from the unmatched queue on Fridays),"
            f" {unmatched.format()} still waiting for a person",
            f"  promises: {self.promises_made} made, {self.promises_kept} kept, {self.promises_broken} broken,"
            f" {self.promises_pending} pending",
            f"  payment plans: {self.plans_agreed} agreed, {self.plans_completed} completed,"
            f" {self.plans_defaulted} defaulted",
            f"  bank statements imported: {len(self.statements)} camt.053 files",
            f"  DSO (standard, three months): {days(self.dso_before)} before, {days(self.dso_after)} after"
            f"{change(self.dso_after)}",
            *([receivables] if receivables else []),
        ]


def _business_day(day: date) -> bool:
    return day.weekday() < 5


def _payer_account(rng_seed: str, debtor: str) -> str:
    """A made-up, stable UK-shaped IBAN for a simulated payer (GBkk DEMO 6 digits 8 digits)."""
    digits = random.Random(f"{rng_seed}-{debtor}").randrange(10**16)
    return f"GB{digits % 97:02d}DEMO{digits:016d}"[:22]


def simulate_deals_and_bank(
    unit_of_work_factory: Callable[[], UnitOfWork],
    creditor: str,
    start: date,
    end: date,
    *,
    folder: Path,
    seed: int = 7,
    account: str = "GB33BUKB20201555555555",
    on_day: Callable[[date], None] | None = None,
    later_payments: Sequence[LaterPayment] = (),
) -> DealsDemoReport:
    """Simulate deals and bank payments for `creditor` day by day from `start` to `end` (see the
    module docstring); `on_day(day)` runs at the end of each day (the demo runs its cycle there).

    `later_payments` are what the ledger's simulator says debtors would pay unprompted in the
    period (`SimulationParams.settled_until`): they arrive through the bank on their day, one
    credit per debtor and day quoting the invoice numbers (most of the time), for what is still
    open of those invoices that day (a deal may have paid them first). A debtor who would pay
    within two weeks anyway is not picked for a deal."""
    if end < start:
        raise ArrearsError(
            f"the simulation ends on {end.isoformat()}, before it starts on {start.isoformat()}"
        )
    rng = random.Random(f"deals-{seed}-{creditor}")
    with unit_of_work_factory() as uow:
        currency = uow.creditors.get(creditor).currency
        debtors = uow.debtors.list_all(creditor)
    names = {d.account_code: d.name for d in debtors if not d.do_not_contact}
    payers = {d.account_code: d.name for d in debtors}
    report = DealsDemoReport(creditor, start, end, currency)
    before = _metrics(unit_of_work_factory, creditor, start - timedelta(days=1), currency)
    if before is not None:
        report.dso_before, report.receivables_before = before.dso, before.receivables
    scheduled: dict[date, list[_Credit]] = {}
    _schedule_natural(scheduled, later_payments, creditor, currency, start, end, seed)
    busy: set[str] = set()
    balance = Money.zero(currency)
    day = start
    while day <= end:
        at = datetime.combine(day, time(12), tzinfo=UTC)

        def clock(moment: datetime = at) -> datetime:
            return moment

        if _business_day(day):
            overdue = _overdue(unit_of_work_factory, creditor, currency, day, names)
            soon = {
                credit.debtor
                for when, credits in scheduled.items()
                if when <= day + timedelta(days=14)
                for credit in credits
                if credit.natural
            }
            free = [code for code in sorted(overdue) if code not in busy and code not in soon]
            rng.shuffle(free)
            for debtor in free[: rng.randint(1, 3)]:
                _promise(
                    unit_of_work_factory,
                    creditor,
                    debtor,
                    overdue[debtor],
                    day,
                    rng,
                    scheduled,
                    clock,
                    report,
                )
                busy.add(debtor)
            free = [code for code in free if code not in busy]
            if free and rng.random() < Decimal("0.35"):
                debtor = max(
                    free, key=lambda code: Money.total((d.open_amount for d in overdue[code]), currency)
                )
                _plan(unit_of_work_factory, creditor, debtor, day, rng, scheduled, clock, report)
                busy.add(debtor)
            for debtor in [code for code in free if code not in busy][: rng.randint(2, 6)]:
                invoice = overdue[debtor][0]
                cite = rng.random() < Decimal("0.8")
                paid_on = day + timedelta(days=rng.randint(0, 3))
                scheduled.setdefault(paid_on, []).append(
                    _Credit(
                        paid_on,
                        debtor,
                        invoice.open_amount,
                        f"PAYMENT {invoice.number}" if cite else "PAYMENT",
                    )
                )
                busy.add(debtor)
            credits = [c for d in sorted(scheduled) if d <= day for c in scheduled.pop(d)]
            credits = _still_owed(unit_of_work_factory, creditor, credits)
            if credits:
                path = folder / "bank" / f"camt053-{creditor}-{day.isoformat()}.xml"
                lines = [
                    CamtLine(
                        day,
                        credit.amount,
                        payers[credit.debtor],
                        _payer_account(f"{seed}-{creditor}", credit.debtor),
                        credit.remittance,
                        f"{creditor}-{day.isoformat()}-{n}",
                    )
                    for n, credit in enumerate(credits, 1)
                ]
                write_camt053(
                    path,
                    account=account,
                    currency=currency,
                    statement_id=f"{creditor}-{day.isoformat()}",
                    opening=balance,
                    lines=lines,
                    created=at,
                )
                balance = balance + Money.total((line.amount for line in lines), currency)
                imported = import_bank_statement(
                    unit_of_work_factory(), creditor, path, by="demo bank", as_of=day, now=clock
                )
                report.statements.append(path)
                report.payments_matched += len(imported.matched)
                report.payments_queued += len(imported.queued)
            if day.weekday() == 4:
                report.matched_by_hand += _work_the_queue(unit_of_work_factory, creditor, clock)
        review_deals(unit_of_work_factory(), creditor, day, by="demo review", now=clock)
        if on_day is not None:
            on_day(day)
        day += timedelta(days=1)
    _finish(unit_of_work_factory, creditor, end, report)
    after = _metrics(unit_of_work_factory, creditor, end, currency)
    if after is not None:
        report.dso_after, report.receivables_after = after.dso, after.receivables
        if before is not None:
            # the receivables left after the month, over the sales before it: what collections alone did
            report.dso_after_same_sales = dso_standard(after.receivables, before.credit_sales, before.days)
    return report


def _schedule_natural(
    scheduled: dict[date, list[_Credit]],
    later_payments: Sequence[LaterPayment],
    creditor: str,
    currency: str,
    start: date,
    end: date,
    seed: int,
) -> None:
    rng = random.Random(f"natural-{seed}-{creditor}")
    grouped: dict[tuple[date, str], list[LaterPayment]] = {}
    for payment in later_payments:
        if (
            payment.creditor == creditor
            and payment.amount.currency == currency
            and start <= payment.paid_on <= end
        ):
            grouped.setdefault((payment.paid_on, payment.debtor), []).append(payment)
    for (paid_on, debtor), paid in sorted(grouped.items()):
        numbers = " ".join(sorted(payment.invoice for payment in paid))
        text = f"PAYMENT {numbers}" if rng.random() < NATURAL_CITING_SHARE else "PAYMENT"
        amount = Money.total((payment.amount for payment in paid), currency)
        invoices = tuple(sorted(payment.invoice for payment in paid))
        scheduled.setdefault(paid_on, []).append(_Credit(paid_on, debtor, amount, text, invoices))


def _still_owed(
    unit_of_work_factory: Callable[[], UnitOfWork], creditor: str, credits: list[_Credit]
) -> list[_Credit]:
    """The day's credits, an unprompted one cut to what is still open of its invoices (a deal
    or a chased payment may have paid them since the simulator planned it), or dropped."""
    kept = []
    with unit_of_work_factory() as uow:
        for credit in credits:
            if not credit.natural:
                kept.append(credit)
                continue
            still_open = Money.total(
                (uow.documents.get(creditor, number).open_amount for number in credit.invoices),
                credit.amount.currency,
            )
            amount = min(credit.amount, still_open)
            if amount.is_positive:
                kept.append(replace(credit, amount=amount))
    return kept


def _overdue(
    unit_of_work_factory: Callable[[], UnitOfWork],
    creditor: str,
    currency: str,
    day: date,
    names: dict[str, str],
) -> dict[str, list[Document]]:
    """Each contactable debtor's overdue open invoices in the creditor's currency, oldest first."""
    found: dict[str, list[Document]] = {}
    with unit_of_work_factory() as uow:
        for document in uow.documents.list_open(creditor, due_on_or_before=day - timedelta(days=1)):
            if document.is_invoice and document.currency == currency and document.debtor in names:
                found.setdefault(document.debtor, []).append(document)
    for documents in found.values():
        documents.sort(key=lambda d: (d.due_date, d.number))
    return found


def _promise(
    unit_of_work_factory: Callable[[], UnitOfWork],
    creditor: str,
    debtor: str,
    invoices: Sequence[Document],
    day: date,
    rng: random.Random,
    scheduled: dict[date, list[_Credit]],
    clock: Callable[[], datetime],
    report: DealsDemoReport,
) -> None:
    covered = list(invoices[: rng.randint(1, 2)])
    amount = Money.total((d.open_amount for d in covered), covered[0].currency)
    promised_on = day + timedelta(days=rng.randint(5, 12))
    try:
        recorded = record_promise(
            unit_of_work_factory(),
            creditor,
            debtor,
            amount,
            promised_on,
            made_on=day,
            channel=PromiseChannel.CALL,
            documents=[d.number for d in covered],
            taken_by=DEMO_CONTROLLER,
            now=clock,
        )
    except ArrearsError:
        return  # e.g. another deal covers these invoices
    report.promises_made += 1
    if rng.random() < KEEP_SHARE:
        paid_on = max(day + timedelta(days=1), promised_on - timedelta(days=rng.randint(0, 4)))
        text = (
            " ".join(d.number for d in covered)
            if rng.random() < Decimal("0.9")
            else recorded.promise.reference
        )
        scheduled.setdefault(paid_on, []).append(_Credit(paid_on, debtor, amount, text))


def _plan(
    unit_of_work_factory: Callable[[], UnitOfWork],
    creditor: str,
    debtor: str,
    day: date,
    rng: random.Random,
    scheduled: dict[date, list[_Credit]],
    clock: Callable[[], datetime],
    report: DealsDemoReport,
) -> None:
    try:
        agreed = propose_payment_plan(
            unit_of_work_factory(),
            creditor,
            debtor,
            instalments=3,
            frequency=Frequency.WEEKLY,
            first_due_on=day + timedelta(days=3),
            agreed_on=day,
            by=DEMO_CONTROLLER,
            now=clock,
        )
    except ArrearsError:
        return
    report.plans_agreed += 1
    for instalment in agreed.plan.instalments:
        if rng.random() < Decimal("0.15"):
            break  # this instalment and the rest are never paid: the plan defaults
        paid_on = max(day + timedelta(days=1), instalment.due_on - timedelta(days=rng.randint(0, 2)))
        scheduled.setdefault(paid_on, []).append(
            _Credit(
                paid_on, debtor, instalment.amount, f"{agreed.plan.reference} instalment {instalment.number}"
            )
        )


def _work_the_queue(
    unit_of_work_factory: Callable[[], UnitOfWork], creditor: str, clock: Callable[[], datetime]
) -> int:
    """A controller's weekly pass over the unmatched queue: a credit whose best suggestion has the
    payer's name and the exact amount (60 or more) is matched to it; the rest wait."""
    matched = 0
    for queued in unmatched_queue(unit_of_work_factory(), creditor):
        best = queued.suggestions[0] if queued.suggestions else None
        if best is None or int(best["confidence"]) < MATCH_BY_HAND_FROM:
            continue
        match_line(
            unit_of_work_factory(),
            creditor,
            queued.line.id,
            str(best["debtor"]),
            by=DEMO_CONTROLLER,
            documents=[str(number) for number in best["documents"]],
            now=clock,
        )
        matched += 1
    return matched


def _finish(
    unit_of_work_factory: Callable[[], UnitOfWork], creditor: str, end: date, report: DealsDemoReport
) -> None:
    for view in list_promises(unit_of_work_factory(), creditor, end):
        if view.promise.made_on < report.start:
            continue
        state = view.status.state.value
        report.promises_kept += state == "kept"
        report.promises_broken += state == "broken"
        report.promises_pending += state == "pending"
    for plan in list_payment_plans(unit_of_work_factory(), creditor, end):
        if plan.plan.agreed_on < report.start or plan.status is None:
            continue
        report.plans_completed += plan.status.state.value == "completed"
        report.plans_defaulted += plan.status.state.value == "defaulted"
    zero = Money.zero(report.currency)
    with unit_of_work_factory() as uow:
        matched = uow.bank.matches(creditor, booked_from=report.start, booked_to=end)
        lines = {line.id: line for line in uow.bank.lines(creditor)}
        queued = [q.line for q in uow.bank.queue(creditor) if report.start <= q.line.booking_date <= end]
    report.cash_matched = Money.total(
        (lines[m.line].amount for m in matched if lines[m.line].amount.currency == report.currency),
        report.currency,
    )
    report.cash_unmatched = (
        Money.total(
            (line.amount for line in queued if line.amount.currency == report.currency), report.currency
        )
        or zero
    )


def _metrics(
    unit_of_work_factory: Callable[[], UnitOfWork], creditor: str, as_of: date, currency: str
) -> CurrencyMetrics | None:
    """The creditor's standard metrics (three months to the last month end) in `currency`."""
    for figures in ledger_metrics(unit_of_work_factory(), creditor, as_of).currencies:
        if figures.currency == currency:
            return figures
    return None
