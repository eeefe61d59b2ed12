"""Record a promise to pay, taken on a call, by email or in the portal, and list promises with
where they stand.

A promise is for an amount by a date, on some open invoices of the debtor or on its whole
account. It takes the creditor's grace (`DealRules.promise_grace_days`), holds the ladder for
what it covers until the promised date plus grace (`arrears.services.deal_book.deal_holds`),
and is kept when enough cash arrives by then, broken otherwise. The review
(`arrears.services.deal_review`) records kept and broken promises and flags a debtor that broke
one. A confirmation goes to the debtor through the outbox (`promise_confirmation`).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from arrears.comms.message import PromiseDetails
from arrears.core.errors import ArrearsError
from arrears.core.money import Money
from arrears.core.promises import Promise, PromiseChannel, PromiseStatus, promise_status, take_promise
from arrears.services.deal_book import check_no_live_deal, load_deal_book
from arrears.services.deal_confirmations import Confirmation, send_confirmation
from arrears.services.deal_rules import rules_in_force
from arrears.store.unit_of_work import UnitOfWork


class PromiseRefused(ArrearsError, ValueError):
    """A promise that cannot be taken as asked (a paid invoice, another currency)."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PromiseRecorded:
    promise: Promise
    confirmation: Confirmation


@dataclass(frozen=True, slots=True)
class PromiseView:
    """A promise, the state the review recorded and where it stands as of the day asked."""

    promise: Promise
    recorded_state: str
    status: PromiseStatus


def record_promise(
    uow: UnitOfWork,
    creditor: str,
    debtor: str,
    amount: Money,
    promised_on: date,
    *,
    made_on: date,
    channel: PromiseChannel = PromiseChannel.CALL,
    documents: Iterable[str] = (),
    taken_by: str,
    note: str = "",
    reference: str | None = None,
    confirm: bool = True,
    now: Callable[[], datetime] = _now,
) -> PromiseRecorded:
    """Record the debtor's promise to pay `amount` by `promised_on` (see the module docstring).

    Refused: unknown debtor or invoices, invoices of another account or not open, an amount in
    another currency than the invoices (or, on the whole account, the debtor's), and invoices a
    live deal already covers.
    """
    numbers = tuple(dict.fromkeys(documents))
    with uow:
        uow.creditors.lock(creditor)
        account = uow.debtors.get(creditor, debtor)
        currency = account.currency
        for number in numbers:
            document = uow.documents.get(creditor, number)
            if document.debtor != debtor:
                raise PromiseRefused(f"invoice {number} is on account {document.debtor}, not {debtor}")
            if not document.is_open:
                raise PromiseRefused(
                    f"invoice {number} has nothing open ({document.status.value.replace('_', ' ')})"
                )
            currency = document.currency
        if amount.currency != currency:
            raise PromiseRefused(f"the promise is in {amount.currency}; the debt it is for is in {currency}")
        check_no_live_deal(uow, creditor, debtor, numbers, made_on, what="promise")
        rules = rules_in_force(uow, creditor)
        promise = take_promise(
            reference or uow.deals.next_reference(creditor, "promise"),
            creditor,
            debtor,
            amount,
            promised_on,
            made_on=made_on,
            channel=channel,
            rules=rules,
            documents=numbers,
            taken_by=taken_by,
            note=note,
        )
        uow.deals.add_promise(creditor, promise, at=now())
        uow.commit()
    confirmation = Confirmation(
        f"promise-confirmation:{promise.reference}", "promise_confirmation", False, reason="not asked"
    )
    if confirm:
        confirmation = send_confirmation(
            uow,
            creditor,
            debtor=debtor,
            template="promise_confirmation",
            key=f"promise-confirmation:{promise.reference}",
            documents=tuple(sorted(promise.documents)),
            details=PromiseDetails(promise.amount, promise.promised_on, tuple(sorted(promise.documents))),
            on=made_on,
            reason=f"promise {promise.reference} taken by {channel.value} on {made_on.isoformat()}",
            now=now,
        )
    return PromiseRecorded(promise, confirmation)


def list_promises(
    uow: UnitOfWork,
    creditor: str,
    as_of: date,
    *,
    debtor: str | None = None,
    states: Iterable[str] | None = None,
) -> list[PromiseView]:
    """The creditor's promises (one debtor's with `debtor`), each judged as of `as_of`."""
    with uow:
        stored = uow.deals.promises(creditor, debtor=debtor, states=None if states is None else list(states))
        book = load_deal_book(uow, creditor, as_of, debtor=debtor)
        judged = {s.promise.reference: status for s, status in book.promises}
        views = []
        for item in stored:
            status = judged.get(item.promise.reference)
            if status is None:
                allocations = uow.deals.allocations_for(
                    creditor,
                    documents=item.promise.documents,
                    debtors=() if item.promise.documents else (item.promise.debtor,),
                    since=item.promise.made_on,
                )
                payments = (
                    ()
                    if item.promise.documents
                    else uow.payments.list_all(creditor, debtor=item.promise.debtor)
                )
                status = promise_status(item.promise, allocations, as_of, payments=payments)
            views.append(PromiseView(item.promise, item.state, status))
    return views
