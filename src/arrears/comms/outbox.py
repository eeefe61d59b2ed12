"""The outbox: every message rendered once and stored with its idempotency key before any
delivery is tried.

`enqueue_actions` reads what rendering needs (creditor, brand, debtors, open documents) in one
short unit of work, renders outside any transaction (PDFs take time), and stores the messages
in a second unit of work under the creditor lock. A key already in the outbox is not rendered
again; two processes queueing the same key at once still store it once (the insert does nothing
on conflict). An action that cannot be rendered (no email address, documents paid since) is
refused with its reason; the others are queued.

Delivery is the dispatcher's (`arrears.comms.dispatcher`): at least once, with a Message-ID
derived from the key, retried with exponential back-off (`RetryPolicy`), dead after the last
attempt, and queued again by hand with `retry_messages` (`arrears outbox retry`).
"""

from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from multiprocessing import get_context
from typing import Protocol

from arrears.comms.brand import Brand, BrandError
from arrears.comms.message import MessageStatus, OutboundAction, RenderedMessage
from arrears.comms.render import InvoiceFiles, RenderError, render_action
from arrears.comms.templates import TemplateLibrary, TemplateProblem
from arrears.core.errors import ArrearsError, NotFoundError
from arrears.core.ledger import Creditor, Debtor, DebtorFlag, Document
from arrears.core.policy import Channel, Policy
from arrears.policies import default_uk
from arrears.services.statutory_interest import (
    InterestRefused,
    InvoiceInterest,
    interest_claims_in,
    regime_for,
)
from arrears.store.repositories import MessageSummary
from arrears.store.unit_of_work import UnitOfWork

SNAPSHOT_ABOVE = 200  # debtors in one batch above which the whole open ledger is read at once
PARALLEL_FROM = 50  # actions to render below which worker processes are not worth starting


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential back-off: attempt n failed -> wait `first_delay * factor**(n-1)` (at most
    `longest_delay`); after `max_attempts` failed attempts the message is dead.

    >>> policy = RetryPolicy(max_attempts=4, first_delay=timedelta(minutes=2), factor=3)
    >>> [policy.delay_after(n) for n in (1, 2, 3)]
    [datetime.timedelta(seconds=120), datetime.timedelta(seconds=360), datetime.timedelta(seconds=1080)]
    >>> policy.delay_after(4) is None
    True
    """

    max_attempts: int = 6
    first_delay: timedelta = timedelta(minutes=2)
    factor: int = 3
    longest_delay: timedelta = timedelta(hours=6)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.factor < 1 or self.first_delay <= timedelta(0):
            raise ArrearsError(
                "a retry policy needs at least one attempt, a factor of 1 or more and a positive delay"
            )

    def delay_after(self, attempts: int) -> timedelta | None:
        """How long to wait after `attempts` failed attempts; None when none are left."""
        if attempts >= self.max_attempts:
            return None
        delay: timedelta = self.first_delay * int(self.factor ** max(attempts - 1, 0))
        return min(delay, self.longest_delay)


@dataclass(frozen=True, slots=True)
class Refused:
    key: str
    debtor: str
    reason: str


@dataclass(frozen=True, slots=True)
class EnqueueReport:
    """What `enqueue_actions` did: keys queued now (a letter's email copy has its own key),
    keys that were already in the outbox, and actions refused with the reason."""

    queued: tuple[str, ...] = ()
    already_queued: tuple[str, ...] = ()
    refused: tuple[Refused, ...] = ()


@dataclass(frozen=True, slots=True)
class _Inputs:
    creditor: Creditor
    brand: Brand
    debtors: dict[str, Debtor]
    documents: dict[str, list[Document]]
    policy: Policy | None = None
    interest: dict[str, tuple[InvoiceInterest, ...]] = field(default_factory=dict)  # by action key


def _interest_claims(
    uow: UnitOfWork,
    creditor: Creditor,
    policy: Policy,
    actions: Sequence[OutboundAction],
    debtors: dict[str, Debtor],
) -> dict[str, tuple[InvoiceInterest, ...]]:
    """The interest claims of the actions whose step claims interest under the policy, from the
    store (part payments, write-offs, days a plan froze interest); business debtors only."""
    found: dict[str, tuple[InvoiceInterest, ...]] = {}
    for action in actions:
        debtor = debtors.get(action.debtor)
        if debtor is None or DebtorFlag.INDIVIDUAL in debtor.flags or not policy.claims_interest(action.step):
            continue
        try:
            regime = regime_for(creditor.country)
        except InterestRefused:
            found[action.idempotency_key] = ()
            continue
        claims = interest_claims_in(
            uow,
            creditor.code,
            debtor,
            action.planned_on,
            regime=regime,
            contractual_rate=policy.contractual_interest_rate,
            documents=set(action.documents) or None,
        )
        found[action.idempotency_key] = claims.invoices
    return found


def _read_inputs(
    uow: UnitOfWork, creditor: str, actions: Sequence[OutboundAction], brand: Brand | None
) -> _Inputs:
    creditor_value = uow.creditors.get(creditor)
    brand = brand if brand is not None else uow.brands.get(creditor)
    wanted = {action.debtor for action in actions}
    debtors: dict[str, Debtor] = {}
    documents: dict[str, list[Document]] = {code: [] for code in wanted}
    if len(wanted) > SNAPSHOT_ABOVE:
        snapshot = uow.ledger.snapshot(creditor, min(action.planned_on for action in actions))
        debtors = {
            debtor.account_code: debtor for debtor in snapshot.debtors if debtor.account_code in wanted
        }
        for document in snapshot.documents:
            if document.debtor in wanted:
                documents[document.debtor].append(document)
    else:
        for code in sorted(wanted):
            try:
                debtors[code] = uow.debtors.get(creditor, code)
            except NotFoundError:
                continue
            documents[code] = list(uow.documents.list_open(creditor, debtor=code))
    stored_policy = uow.policies.current(creditor)
    policy = stored_policy.policy if stored_policy is not None else default_uk()
    interest = _interest_claims(uow, creditor_value, policy, actions, debtors)
    return _Inputs(creditor_value, brand, debtors, documents, policy, interest)


def render_actions(
    actions: Sequence[OutboundAction],
    inputs: _Inputs,
    *,
    now: datetime,
    library: TemplateLibrary | None = None,
    invoice_files: InvoiceFiles | None = None,
) -> tuple[list[RenderedMessage], list[Refused]]:
    rendered: list[RenderedMessage] = []
    refused: list[Refused] = []
    for action in actions:
        debtor = inputs.debtors.get(action.debtor)
        if debtor is None:
            refused.append(
                Refused(
                    action.idempotency_key,
                    action.debtor,
                    f"creditor {action.creditor} has no debtor {action.debtor!r}",
                )
            )
            continue
        try:
            rendered.extend(
                render_action(
                    action,
                    creditor=inputs.creditor,
                    debtor=debtor,
                    documents=inputs.documents.get(action.debtor, []),
                    brand=inputs.brand,
                    now=now,
                    library=library,
                    invoice_files=invoice_files,
                    policy=inputs.policy,
                    interest=inputs.interest.get(action.idempotency_key),
                )
            )
        except (RenderError, BrandError, TemplateProblem) as error:
            refused.append(Refused(action.idempotency_key, action.debtor, str(error)))
    return rendered, refused


def _render_chunk(
    job: tuple[list[OutboundAction], _Inputs, datetime, InvoiceFiles | None],
) -> tuple[list[RenderedMessage], list[Refused]]:
    actions, inputs, now, invoice_files = job
    return render_actions(actions, inputs, now=now, invoice_files=invoice_files)


def _render_in_parallel(
    actions: Sequence[OutboundAction],
    inputs: _Inputs,
    now: datetime,
    invoice_files: InvoiceFiles | None,
    workers: int,
) -> tuple[list[RenderedMessage], list[Refused]]:
    """Render in worker processes (PDFs are CPU-bound): each gets a slice of the actions and
    only the debtors and documents those need. Results come back in the actions' order."""
    size = max(1, -(-len(actions) // (workers * 4)))
    jobs = []
    for start in range(0, len(actions), size):
        chunk = list(actions[start : start + size])
        codes = {action.debtor for action in chunk}
        subset = _Inputs(
            inputs.creditor,
            inputs.brand,
            {code: debtor for code, debtor in inputs.debtors.items() if code in codes},
            {code: documents for code, documents in inputs.documents.items() if code in codes},
            inputs.policy,
            {
                action.idempotency_key: inputs.interest[action.idempotency_key]
                for action in chunk
                if action.idempotency_key in inputs.interest
            },
        )
        jobs.append((chunk, subset, now, invoice_files))
    rendered: list[RenderedMessage] = []
    refused: list[Refused] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        for messages, refusals in pool.map(_render_chunk, jobs):
            rendered.extend(messages)
            refused.extend(refusals)
    return rendered, refused


def enqueue_actions(
    uow: UnitOfWork,
    creditor: str,
    actions: Iterable[OutboundAction],
    *,
    now: datetime,
    brand: Brand | None = None,
    library: TemplateLibrary | None = None,
    invoice_files: InvoiceFiles | None = None,
    workers: int = 1,
) -> EnqueueReport:
    """Render and store the messages of `actions` (all of one creditor), each key once.

    `workers` above 1 renders in that many processes when there is enough to render (letters
    and statements are PDFs: tens of milliseconds a page); only with the shipped templates."""
    actions = list(actions)
    for action in actions:
        if action.creditor != creditor:
            raise ArrearsError(
                f"action {action.idempotency_key} is for creditor {action.creditor}, not {creditor}"
            )
    if not actions:
        return EnqueueReport()
    with uow:
        existing = uow.outbox.existing_keys(creditor, [action.idempotency_key for action in actions])
        todo = [action for action in actions if action.idempotency_key not in existing]
        inputs = _read_inputs(uow, creditor, todo, brand) if todo else None
    already = tuple(action.idempotency_key for action in actions if action.idempotency_key in existing)
    if inputs is None:
        return EnqueueReport(already_queued=already)
    if workers > 1 and library is None and len(todo) >= PARALLEL_FROM:
        rendered, refused = _render_in_parallel(todo, inputs, now, invoice_files, workers)
    else:
        rendered, refused = render_actions(
            todo, inputs, now=now, library=library, invoice_files=invoice_files
        )
    with uow:
        uow.creditors.lock(creditor)
        added = uow.outbox.add(creditor, rendered, at=now)
        uow.commit()
    raced = tuple(
        message.idempotency_key for message in rendered if message.idempotency_key not in set(added)
    )
    return EnqueueReport(tuple(added), already + raced, tuple(refused))


class ActionForDelivery(Protocol):
    """What the collections store hands over for delivery (`StoredAction`)."""

    @property
    def creditor(self) -> str: ...
    @property
    def debtor(self) -> str: ...
    @property
    def step(self) -> str: ...
    @property
    def channel(self) -> Channel: ...
    @property
    def template(self) -> str: ...
    @property
    def documents(self) -> tuple[str, ...]: ...
    @property
    def idempotency_key(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def effective_on(self) -> date: ...


def outbound_action(action: ActionForDelivery) -> OutboundAction:
    """The outbox's view of a stored action; it speaks as of the day it takes effect (an
    approved letter goes out as of its approval, not the day it was planned)."""
    return OutboundAction(
        creditor=action.creditor,
        debtor=action.debtor,
        step=action.step,
        channel=action.channel,
        template=action.template,
        documents=tuple(action.documents),
        idempotency_key=action.idempotency_key,
        reason=action.reason,
        planned_on=action.effective_on,
    )


def enqueue_ready_actions(
    uow: UnitOfWork,
    creditor: str,
    *,
    now: datetime,
    library: TemplateLibrary | None = None,
    invoice_files: InvoiceFiles | None = None,
    channels: Iterable[Channel] = (Channel.EMAIL, Channel.SMS, Channel.LETTER),
) -> EnqueueReport:
    """Queue the creditor's actions ready for delivery (planned or approved, not handed over)
    and mark them handed over; refused actions are marked failed with the reason."""
    with uow:
        ready = uow.actions.ready_for_delivery(creditor, channels=tuple(channels))
    report = enqueue_actions(
        uow,
        creditor,
        [outbound_action(action) for action in ready],
        now=now,
        library=library,
        invoice_files=invoice_files,
    )
    if ready:
        with uow:
            uow.creditors.lock(creditor)
            refused = {item.key: item.reason for item in report.refused}
            uow.actions.mark_handed_over(
                creditor, [a.idempotency_key for a in ready if a.idempotency_key not in refused], now
            )
            for key, reason in refused.items():
                uow.actions.mark_failed(creditor, key, now, reason)
            uow.commit()
    return report


def retry_messages(
    uow: UnitOfWork, creditor: str, *, now: datetime, keys: Sequence[str] | None = None
) -> int:
    """Queue dead messages again (all of the creditor's, or those named); returns how many."""
    with uow:
        uow.creditors.lock(creditor)
        count = uow.outbox.retry(creditor, at=now, keys=keys)
        uow.commit()
    return count


def list_messages(
    uow: UnitOfWork,
    creditor: str,
    *,
    status: MessageStatus | None = None,
    debtor: str | None = None,
    limit: int = 200,
) -> list[MessageSummary]:
    with uow:
        return uow.outbox.list_messages(creditor, status=status, debtor=debtor, limit=limit)
