"""Import a ledger file into a creditor's ledger: read, check, compare, write, record.

    report = import_ledger(uow, "ACME", Path("aged-debtors.csv"), who="jane")

The writing is one unit of work under the creditor's lock, so two imports of the same creditor
run one after the other. The steps:

1. read the file through its profile (detected unless named) and check every row
   (`arrears.intake.ledger_import.read_ledger`), before taking the lock; a file that cannot be
   read at all is an `ArrearsError` and nothing is recorded;
2. check that every debtor the documents name is defined, in the file or already;
3. all-or-nothing by default: if any row has an error, nothing is written; the import is
   recorded as rejected and the report lists every error. With `accept_valid`, the rows that
   stand are written and the rejected ones are saved, with their errors, to a quarantine CSV;
4. the same file as the last import (by SHA-256, profile and mode) is recorded as unchanged and
   writes nothing;
5. otherwise the file is compared with the ledger (`arrears.intake.ledger_sync.plan_sync`)
   and the plan is written: debtors, documents added and updated, vanished documents settled
   in the source (full-ledger imports only), cash on account; then the import is recorded with
   its counts, its totals per currency and every change beyond an addition.

The bank's cash is counted once (`arrears.services.import_bank_cash`): the file's new cash on
account that a bank payment brought first is linked to it before the comparison, and an invoice
the bank has paid keeps the file's open amount less the bank cash the file does not show yet
(the report's totals stay the file's; `ImportReport.bank_cash_not_in_file` is the difference).

A large clean CSV file is read, compared and written column by column (Polars; see
`arrears.intake.clean_csv` and `arrears.intake.ledger_sync_frames`), with the same outcome to
the last line of the report; any other file row by row.

`dry_run` does steps 1-5 and writes nothing at all (not even the record). A full import that
would settle more than half of the creditor's open documents (and more than 20) is refused
unless `allow_mass_settle`: it is more likely the wrong file, or a part ledger, than a week's
payments.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from arrears.core.errors import ArrearsError, NotFoundError
from arrears.core.ledger import Creditor
from arrears.core.money import Money
from arrears.intake.ledger_import import read_ledger
from arrears.intake.ledger_sync import PaymentUpdate, SyncPlan, describe_update, plan_sync, show_minor
from arrears.intake.safe_csv import write_file
from arrears.intake.validation import (
    CurrencyTotals,
    DeclaredTotal,
    ParsedLedger,
    RowError,
    currency_exponent,
    undefined_debtors,
)
from arrears.services.import_bank_cash import (
    apply_bank_cash,
    bank_cash_change_rows,
    bank_cash_not_in_file,
    bank_cash_waiting,
    describe_bank_cash,
    link_file_cash,
)
from arrears.store.repositories.imports import ChangeRow, ImportSummary, ImportTotals
from arrears.store.tables_intake import IMPORT_SOURCES
from arrears.store.unit_of_work import UnitOfWork

Mode = Literal["full", "part"]
MASS_SETTLE_FRACTION = 0.5
MASS_SETTLE_MINIMUM = 20


class MassSettleError(ArrearsError):
    """A full import that would settle most of the ledger: probably the wrong file."""


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did (or, in a dry run, would do), for a person to read."""

    summary: ImportSummary
    profile_title: str
    profile_reason: str
    dry_run: bool
    errors: tuple[RowError, ...]
    declared_total: DeclaredTotal | None
    total_checked: bool
    left_out_rows: int
    furniture_rows: int
    changes: tuple[str, ...] = ()  # one line per change (all of them)
    warnings: tuple[str, ...] = ()
    quarantine_rows: int = 0
    plan: SyncPlan | None = field(default=None, compare=False, repr=False)
    # per currency, the bank cash the file does not show yet: the ledger's open invoices are the
    # file's (`summary.totals`) less this; and lines saying so, per currency and per invoice
    bank_cash_not_in_file: tuple[Money, ...] = ()
    bank_cash_lines: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        return self.summary.status

    @property
    def rejected(self) -> bool:
        return self.summary.status == "rejected"


def import_ledger(
    uow: UnitOfWork,
    creditor: str,
    path: Path,
    *,
    who: str,
    profile: str = "auto",
    mode: Mode = "full",
    dry_run: bool = False,
    accept_valid: bool = False,
    quarantine_dir: Path | None = None,
    source: str = "file",
    profile_folders: Sequence[Path] = (),
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    allow_mass_settle: bool = False,
    new_creditor: Creditor | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Import the ledger file at `path` for `creditor` (see the module docstring).

    `new_creditor` is added first when the store has no creditor of that code (onboarding an
    SME with its first ledger); otherwise an unknown creditor is an error.
    """
    if mode not in ("full", "part"):
        raise ArrearsError(f"mode {mode!r} is not full or part")
    if source not in IMPORT_SOURCES:
        raise ArrearsError(f"source {source!r} is not one of {', '.join(IMPORT_SOURCES)}")
    started = now or datetime.now(UTC)
    if new_creditor is not None and new_creditor.code != creditor:
        raise ArrearsError(f"the new creditor's code {new_creditor.code} is not {creditor}")
    with uow:
        try:
            currency = uow.creditors.get(creditor).currency
        except NotFoundError:
            if new_creditor is None:
                raise
            currency = new_creditor.currency
    # Read and check the file before taking the creditor's lock: a large file takes seconds,
    # and on SQLite the lock holds the database's one write lock.
    parsed = read_ledger(
        path,
        profile=profile,
        default_currency=currency,
        profile_folders=profile_folders,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
    )
    with uow:
        try:
            uow.creditors.lock(creditor)
        except NotFoundError:
            if new_creditor is None:
                raise
            uow.creditors.add(new_creditor)
            uow.creditors.lock(creditor)
        creditor_value = uow.creditors.get(creditor)
        full = mode == "full" and parsed.profile.contents == "documents"
        stored_debtors = uow.imports.debtor_index(creditor)
        undefined_debtors(parsed, stored_debtors)
        base = _summary(parsed, creditor, started, who, source, mode)
        accepted = parsed.document_count() + len(parsed.accepted_payments())
        if parsed.profile.contents == "debtors":
            accepted = len(parsed.accepted_debtors())
        if parsed.errors and (not accept_valid or accepted == 0):
            summary = _finish(base, "rejected", _now(now))
            if not dry_run:
                summary = _record(uow, creditor, summary)
                uow.commit()
            return _report(parsed, summary, dry_run)
        latest = uow.imports.latest(creditor)
        if (
            not parsed.errors
            and latest is not None
            and (latest.content_hash, latest.profile, latest.mode)
            == (parsed.table.sha256, parsed.profile.name, mode)
        ):
            note = f"the same file as import #{latest.id} of {latest.started_at:%Y-%m-%d %H:%M} UTC: nothing to change"
            summary = _finish(
                base, "unchanged", _now(now), unchanged=base.documents + base.payments, note=note
            )
            if not dry_run:
                summary = _record(uow, creditor, summary)
                uow.commit()
            return _report(parsed, summary, dry_run)
        # the bank's cash first: the file's cash that a bank payment brought is that payment
        linked = link_file_cash(uow, creditor, parsed) if parsed.profile.contents == "documents" else {}
        bank_cash = bank_cash_waiting(uow, creditor) if parsed.profile.contents == "documents" else []
        columnar = parsed.frame is not None  # a large clean file: compared column by column
        documents = uow.imports.document_frame(creditor) if columnar else uow.documents.import_index(creditor)
        plan = plan_sync(
            parsed,
            creditor=creditor,
            creditor_currency=creditor_value.currency,
            stored_documents=documents,
            stored_debtors=stored_debtors,
            stored_payments=uow.imports.payment_index(creditor),
            assumed_due=uow.imports.documents_without_due_date(creditor) if documents else set(),
            imported_payments=uow.imports.imported_payment_ids(creditor),
            full=full,
            bank_cash=bank_cash,
        )
        del documents
        plan.bank_cash.linked = linked
        # a linked payment the file gives as stored is still a change: it was the bank's
        updated_cash = {payment.reference for payment in plan.payments_to_update}
        relinked = sum(1 for reference in linked if reference not in updated_cash)
        _guard_mass_settle(plan, allow_mass_settle, parsed.table.name)
        status = "partial" if parsed.errors else "applied"
        quarantine: Path | None = None
        if parsed.rejected:
            quarantine = (quarantine_dir or path.parent) / f"{path.stem}.{started:%Y%m%dT%H%M%S}.rejected.csv"
        settle_reason = f"not in the full-ledger export {parsed.table.name} imported {started:%Y-%m-%d %H:%M} UTC by {who}"
        lines = _describe(plan, settle_reason)
        summary = _finish(
            base,
            status,
            _now(now),
            added=len(plan.documents_to_add) + len(plan.payments_to_add),
            updated=plan.updated + len(plan.payments_to_update) + len(plan.payments_to_clear) + relinked,
            unchanged=plan.unchanged - relinked,
            settled=len(plan.documents_to_settle),
            reopened=plan.reopened,
            debtors_added=len(plan.debtors_to_add),
            debtors_updated=len(plan.debtors_to_update),
            quarantine_file=str(quarantine) if quarantine is not None else None,
        )
        if dry_run:
            return _report(parsed, summary, dry_run, plan=plan, changes=lines)
        _apply(uow, creditor, plan)
        summary = _record(uow, creditor, summary)
        assert summary.id is not None
        uow.imports.add_changes(creditor, summary.id, _change_rows(uow, creditor, plan, settle_reason))
        uow.imports.add_changes(creditor, summary.id, bank_cash_change_rows(uow, creditor, plan, parsed))
        quarantined = _write_quarantine(parsed, quarantine) if quarantine is not None else 0
        uow.commit()
    return _report(parsed, summary, dry_run, plan=plan, changes=lines, quarantined=quarantined)


def _now(now: datetime | None) -> datetime:
    """When the import finished: `now` when the caller fixes the clock (tests), else the time."""
    return now or datetime.now(UTC)


def _summary(
    parsed: ParsedLedger, creditor: str, started: datetime, who: str, source: str, mode: str
) -> ImportSummary:
    totals = tuple(_totals(currency, total) for currency, total in parsed.totals().items())
    documents = sum(total.documents for total in totals)
    return ImportSummary(
        creditor=creditor,
        started_at=started,
        finished_at=started,
        who=who,
        source=source,
        file_name=parsed.table.name,
        content_hash=parsed.table.sha256,
        size_bytes=parsed.table.size,
        profile=parsed.profile.name,
        mode=mode,
        status="applied",
        rows_read=parsed.data_rows,
        documents=documents,
        debtors=len(parsed.accepted_debtors())
        if parsed.profile.contents == "debtors"
        else len(parsed.referenced_debtors()),
        payments=len(parsed.accepted_payments()),
        rejected_rows=len(parsed.rejected),
        errors=len(parsed.errors),
        totals=totals,
    )


def _totals(currency: str, total: CurrencyTotals) -> ImportTotals:
    return ImportTotals(
        currency,
        total.documents,
        Money.from_minor_units(total.invoices_open, currency),
        Money.from_minor_units(total.credit_notes_open, currency),
        Money.from_minor_units(total.cash_unallocated, currency),
    )


def _finish(base: ImportSummary, status: str, finished: datetime, **counts: object) -> ImportSummary:
    return replace(base, status=status, finished_at=finished, **counts)  # type: ignore[arg-type]


def _record(uow: UnitOfWork, creditor: str, summary: ImportSummary) -> ImportSummary:
    return replace(summary, id=uow.imports.record(creditor, summary))


def _guard_mass_settle(plan: SyncPlan, allowed: bool, name: str) -> None:
    settling = len(plan.documents_to_settle)
    before = plan.open_documents_before
    if allowed or settling <= MASS_SETTLE_MINIMUM or settling <= before * MASS_SETTLE_FRACTION:
        return
    raise MassSettleError(
        f"{name}: a full-ledger import of this file would settle {settling:,} of the creditor's "
        f"{before:,} open documents; that looks like the wrong file or a part ledger. Check it with "
        "--dry-run, import it with --mode part, or pass --allow-mass-settle if the ledger really was cleared"
    )


def _apply(uow: UnitOfWork, creditor: str, plan: SyncPlan) -> None:
    apply_bank_cash(uow, creditor, plan.bank_cash)
    if plan.debtors_to_add:
        uow.imports.add_debtors(creditor, plan.debtors_to_add)
    for update in plan.debtors_to_update:
        uow.debtors.update(creditor, update.new)
    if plan.documents_to_add:
        uow.imports.add_documents(creditor, plan.documents_to_add)
    if plan.documents_to_update:
        uow.documents.update_from_import(creditor, [(u.id, u.row) for u in plan.documents_to_update])
    if plan.documents_to_settle:
        uow.documents.settle_in_source(creditor, [s.id for s in plan.documents_to_settle])
    if plan.payments_to_add:
        uow.payments.add(creditor, plan.payments_to_add)
    changed = [*plan.payments_to_update, *plan.payments_to_clear]
    if changed:
        uow.imports.set_unallocated(
            creditor, [(p.old.id, p.amount_minor, p.unallocated_minor) for p in changed]
        )


def _describe(plan: SyncPlan, settle_reason: str) -> tuple[str, ...]:
    """Every change, one line each, as the report and a dry run show them."""
    lines: list[str] = []
    for debtor in plan.debtors_to_add:
        lines.append(f"add debtor {debtor.account_code} ({debtor.name})")
    for debtor_update in plan.debtors_to_update:
        lines.append(f"update debtor {debtor_update.new.account_code}: {', '.join(debtor_update.fields)}")
    for update in plan.documents_to_update:
        verb = "reopen" if update.change == "reopened" else "update"
        lines.append(f"{verb} {update.kind.replace('_', ' ')} {update.row.number}: {describe_update(update)}")
    for settled in plan.documents_to_settle:
        exponent = _exponent(settled.old.currency)
        open_amount = show_minor(settled.old.open_minor, exponent)
        lines.append(
            f"settle {settled.kind.replace('_', ' ')} {settled.number} in the source "
            f"({open_amount} {settled.old.currency} was open): {settle_reason}"
        )
    for payment in plan.payments_to_update:
        lines.append(_cash_line("update", payment))
    for payment in plan.payments_to_clear:
        lines.append(_cash_line("clear", payment) + " (allocated in the source)")
    for kind, number, days in plan.due_assumed:
        lines.append(
            f"{kind.replace('_', ' ')} {number} has no due date in the file: due {days} days after its date"
        )
    for kind, number in plan.kept_written_off:
        lines.append(f"{kind.replace('_', ' ')} {number} is written off in Arrears: left as it is")
    lines.extend(describe_bank_cash(plan.bank_cash))
    return tuple(lines)


def _cash_line(verb: str, payment: PaymentUpdate) -> str:
    exponent = _exponent(payment.old.currency)
    return (
        f"{verb} cash on account {payment.reference}: unallocated "
        f"{show_minor(payment.old.unallocated_minor, exponent)} -> {show_minor(payment.unallocated_minor, exponent)} "
        f"{payment.old.currency}"
    )


def _exponent(currency: str) -> int:
    return currency_exponent(currency) or 0


def _change_rows(uow: UnitOfWork, creditor: str, plan: SyncPlan, settle_reason: str) -> list[ChangeRow]:
    rows: list[ChangeRow] = []
    for update in plan.documents_to_update:
        rows.append(
            ChangeRow(
                update.change,
                describe_update(update),
                document_id=update.id,
                old_open_minor=update.old.open_minor,
                new_open_minor=update.row.open_minor,
                old_status=update.old.status,
                new_status=update.row.status,
            )
        )
    for settled in plan.documents_to_settle:
        rows.append(
            ChangeRow(
                "settled_in_source",
                settle_reason,
                document_id=settled.id,
                old_open_minor=settled.old.open_minor,
                new_open_minor=0,
                old_status=settled.old.status,
                new_status="settled_in_source",
            )
        )
    notes = [(kind, number) for kind, number, _ in plan.due_assumed] + plan.due_given
    ids = uow.documents.ids_by_key(creditor, notes) if notes else {}
    for kind, number, days in plan.due_assumed:
        detail = f"the file gives no due date: taken as {days} days after the document's date"
        rows.append(ChangeRow("due_date_assumed", detail, document_id=ids[(kind, number)]))
    for key in plan.due_given:
        rows.append(ChangeRow("due_date_given", "the file now gives the due date", document_id=ids[key]))
    payments = [*plan.payments_to_update, *plan.payments_to_clear]
    for payment in payments:
        kind = "cash_cleared" if payment.unallocated_minor == 0 else "cash_updated"
        rows.append(
            ChangeRow(
                kind,
                _cash_line("clear" if kind == "cash_cleared" else "update", payment),
                payment_id=payment.old.id,
                old_open_minor=payment.old.unallocated_minor,
                new_open_minor=payment.unallocated_minor,
            )
        )
    if plan.payments_to_add:
        added = uow.imports.payment_ids(creditor, [p.reference for p in plan.payments_to_add])
        for payment_value in plan.payments_to_add:
            rows.append(
                ChangeRow(
                    "cash_added",
                    f"cash on account {payment_value.reference} read from the file",
                    payment_id=added[payment_value.reference],
                    new_open_minor=payment_value.unallocated_amount.to_minor_units(),
                )
            )
    if plan.debtors_to_update:
        debtor_ids = uow.imports.debtor_ids(creditor, [u.new.account_code for u in plan.debtors_to_update])
        for debtor_update in plan.debtors_to_update:
            code = debtor_update.new.account_code
            detail = f"{code}: {', '.join(debtor_update.fields)} from the file"
            rows.append(ChangeRow("debtor_updated", detail, debtor_id=debtor_ids[code]))
    return rows


def _write_quarantine(parsed: ParsedLedger, path: Path) -> int:
    """The rejected rows as they were in the file, with a row number and their errors."""
    errors: dict[int, list[str]] = {}
    for error in parsed.errors:
        if error.row is not None:
            errors.setdefault(error.row, []).append(
                str(error).split(": ", 1)[-1] if error.column is None else _short(error)
            )
    header = parsed.header.cells
    rejected = parsed.rejected

    def rows() -> Iterator[tuple[object, ...]]:
        for number, cells in parsed.table.rows():
            if number in rejected:
                yield (number, *cells, "; ".join(errors.get(number, ["rejected with its document"])))

    return write_file(path, ("row", *header, "errors"), rows())


def _short(error: RowError) -> str:
    value = "" if error.value is None else f" {error.value!r}"
    return f"{error.column}:{value} {error.message}"


def _report(
    parsed: ParsedLedger,
    summary: ImportSummary,
    dry_run: bool,
    *,
    plan: SyncPlan | None = None,
    changes: tuple[str, ...] = (),
    quarantined: int = 0,
) -> ImportReport:
    warnings: list[str] = []
    declared = parsed.declared_total
    if declared is not None and not parsed.total_checked:
        warnings.append(
            f"the file's total (row {declared.row}) was not checked: "
            + (
                "some rows have errors"
                if parsed.errors
                else "the file has several currencies"
                if len(parsed.file_signed_open) > 1
                else "some amounts could not be read"
            )
        )
    bank_cash, bank_lines = bank_cash_not_in_file(plan.bank_cash) if plan is not None else ((), ())
    return ImportReport(
        summary=summary,
        profile_title=parsed.profile.title,
        profile_reason=parsed.profile_reason,
        dry_run=dry_run,
        errors=tuple(parsed.errors),
        declared_total=declared,
        total_checked=parsed.total_checked,
        left_out_rows=parsed.left_out_rows,
        furniture_rows=parsed.furniture_rows,
        changes=changes,
        warnings=tuple(warnings),
        quarantine_rows=quarantined,
        plan=plan,
        bank_cash_not_in_file=bank_cash,
        bank_cash_lines=bank_lines,
    )
