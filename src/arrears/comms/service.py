"""Use cases of the comms area, for the CLI and the API: set and show a brand, preview a step's
message for a debtor, send (queue the actions ready for delivery, call actions included, then
drain the outbox), and resolve the messages that need checking after an interrupted SMS
hand-over (ask the gateway again, confirm sent, or queue again once checked not sent)."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml

from arrears.comms.brand import Brand, BrandError, brand_from_dict, check_brand
from arrears.comms.channels import DeliveryError
from arrears.comms.config import CommsSettings
from arrears.comms.delivery_results import tell_action
from arrears.comms.dispatcher import Clock, DispatchReport, dispatch, system_clock
from arrears.comms.message import OutboundAction, RenderedMessage, StoredMessage
from arrears.comms.outbox import EnqueueReport, enqueue_ready_actions
from arrears.comms.render import render_action
from arrears.comms.templates import TemplateLibrary, TemplateProblem, check_policy_templates, default_library
from arrears.core.errors import ArrearsError, NotFoundError
from arrears.core.policy import Channel, Policy, segments_of
from arrears.core.snapshot import net_balances
from arrears.policies import default_uk
from arrears.store.repositories.comms_delivery import hand_over_started
from arrears.store.unit_of_work import UnitOfWork

QUEUED_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.LETTER, Channel.CALL)
"""What `send` queues: every channel; a call's message becomes its call task with the card."""


def read_brand_file(path: Path, creditor: str) -> Brand:
    """A brand from a YAML or JSON file; logo paths are relative to the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BrandError(f"brand file {path}: cannot be read ({error.strerror})") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise BrandError(
            f"brand file {path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {error}"
        ) from None
    if not isinstance(data, dict):
        raise BrandError(f"brand file {path}: expected a mapping of brand fields at the top")
    try:
        return brand_from_dict(data, creditor, base_dir=path.parent)
    except BrandError as error:
        raise BrandError(f"brand file {path}: {error}") from None


def creditor_policy(uow: UnitOfWork, creditor: str) -> Policy:
    stored = uow.policies.current(creditor)
    return stored.policy if stored is not None else default_uk()


def check_brand_for_policy(brand: Brand, policy: Policy, library: TemplateLibrary | None = None) -> None:
    """Refuse a brand (or a policy) whose templates are missing or need brand fields it lacks."""
    checked = check_policy_templates(policy, library or default_library())
    if checked.missing:
        raise TemplateProblem(
            f"policy {policy.name!r} v{policy.version} uses templates that do not exist: {'; '.join(checked.missing)}"
        )
    check_brand(brand, checked.needs)


def set_brand(uow: UnitOfWork, brand: Brand, *, at: datetime, library: TemplateLibrary | None = None) -> None:
    """Check the brand against every template the creditor's policy can use, then store it."""
    with uow:
        uow.creditors.lock(brand.creditor)
        check_brand_for_policy(brand, creditor_policy(uow, brand.creditor), library)
        uow.brands.put(brand.creditor, brand, at=at)
        uow.commit()


def show_brand(uow: UnitOfWork, creditor: str) -> Brand:
    with uow:
        return uow.brands.get(creditor)


def preview(
    uow: UnitOfWork,
    creditor: str,
    debtor: str,
    step: str,
    *,
    as_of: date,
    now: datetime,
    channel: Channel | None = None,
    library: TemplateLibrary | None = None,
) -> tuple[RenderedMessage, ...]:
    """The message(s) `step` would send `debtor` on `as_of`: the debtor's ladder picks the
    channel and template (key accounts and individuals get their own), about its open
    invoices that are at least the step's offset past due (all its open invoices if none are)."""
    with uow:
        creditor_value = uow.creditors.get(creditor)
        brand = uow.brands.get(creditor)
        policy = creditor_policy(uow, creditor)
        debtor_value = uow.debtors.get(creditor, debtor)
        documents = uow.documents.list_open(creditor, debtor=debtor)
    invoices = [d for d in documents if d.is_invoice]
    credit_notes = [d for d in documents if not d.is_invoice]
    segments = segments_of(debtor_value, net_balances(invoices, credit_notes), policy)
    ladder = {s.name: s for s in policy.ladder_for(segments)}
    if step not in ladder:
        known = ", ".join(repr(name) for name in ladder)
        raise NotFoundError(f"debtor {debtor}'s ladder has no step {step!r}; its steps are {known}")
    chosen = ladder[step]
    due = [d for d in invoices if d.days_past_due(as_of) >= chosen.offset_days]
    if not due:
        due = invoices
    if not due:
        raise ArrearsError(f"debtor {debtor} has no open invoices to write about")
    if not chosen.group:
        due = due[:1]
    action = OutboundAction(
        creditor=creditor,
        debtor=debtor,
        step=step,
        channel=channel or chosen.channel,
        template=chosen.template,
        documents=tuple(sorted(d.number for d in due)),
        idempotency_key=f"preview-{debtor}-{step}".replace(" ", "-"),
        reason="preview",
        planned_on=as_of,
    )
    return render_action(
        action,
        creditor=creditor_value,
        debtor=debtor_value,
        documents=documents,
        brand=brand,
        now=now,
        library=library,
        policy=policy,
    )


@dataclass(slots=True)
class SendReport:
    """What `send` did: per creditor, what it queued and what could not be queued, then the
    dispatcher's report."""

    queued: dict[str, EnqueueReport] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    dispatched: DispatchReport = field(default_factory=DispatchReport)


def send(
    uow_factory: Callable[[], UnitOfWork],
    settings: CommsSettings,
    home: Path,
    *,
    creditor: str | None = None,
    clock: Clock = system_clock,
    queue_ready_actions: bool = True,
) -> SendReport:
    """Queue the actions ready for delivery (unless told not to), then drain the outbox.

    Call actions are queued too: delivering one puts its call task, with the call card, in the
    worklist. `clock` is the moment the dispatcher checks contact hours and caps against (a
    replay passes a simulated time)."""
    report = SendReport()
    uow = uow_factory()
    with uow:
        codes = [creditor] if creditor is not None else [c.code for c in uow.creditors.list_all()]
        for code in codes:
            uow.creditors.get(code)
    if queue_ready_actions:
        for code in codes:
            try:
                report.queued[code] = enqueue_ready_actions(
                    uow_factory(),
                    code,
                    now=clock(),
                    invoice_files=settings.invoice_files(home),
                    channels=QUEUED_CHANNELS,
                )
            except (NotFoundError, BrandError, TemplateProblem) as error:
                report.problems[code] = str(error)
    report.dispatched = dispatch(
        uow_factory(),
        settings.channels(home),
        clock=clock,
        creditor=creditor,
        settings=settings.dispatch_settings(),
    )
    return report


# --- messages that need checking --------------------------------------------------------------


def confirm_sent(
    uow: UnitOfWork, creditor: str, key: str, *, at: datetime, by: str, sid: str | None = None
) -> StoredMessage:
    """A person checked the gateway's log: the message that needs checking did go out. It is
    recorded sent (with the gateway's sid, when given) and its action too."""
    with uow:
        uow.creditors.lock(creditor)
        found = f" as {sid}" if sid else ""
        stored = uow.outbox.confirm_sent(
            creditor, key, at=at, provider_ref=sid, detail=f"confirmed sent{found} by {by} after checking"
        )
        tell_action(uow, creditor, key, stored.message.action_key, sent=True, at=at, detail="")
        uow.commit()
    return stored


def retry_unsent(uow: UnitOfWork, creditor: str, keys: list[str], *, now: datetime) -> int:
    """A person checked the gateway's log: these messages (named one by one) never went out.
    They are queued again, needing checking or not; returns how many."""
    if not keys:
        raise ArrearsError(
            "name the messages checked as not sent: arrears outbox retry KEY --confirm-not-sent"
        )
    with uow:
        uow.creditors.lock(creditor)
        count = uow.outbox.retry(creditor, at=now, keys=keys, confirmed_not_sent=True)
        uow.commit()
    return count


@dataclass(frozen=True, slots=True)
class Checked:
    """What asking the gateway again found for one message that needs checking."""

    key: str
    sid: str | None
    detail: str


def check_again(
    uow_factory: Callable[[], UnitOfWork],
    settings: CommsSettings,
    home: Path,
    creditor: str,
    *,
    clock: Clock = system_clock,
    by: str = "arrears outbox check",
) -> list[Checked]:
    """Ask the SMS gateway again for each of the creditor's messages that need checking (it may
    have been down, or not listed the SMS yet); those found are recorded sent, the others stay
    for a person."""
    channels = settings.channels(home)
    channels.close()  # only the gateway is used, and it holds no connection
    gateway = channels.sms
    with uow_factory() as uow:
        waiting = [
            uow.outbox.get(creditor, summary.key)
            for summary in uow.outbox.list_messages(creditor, needs_checking=True, limit=None)
        ]
    results: list[Checked] = []
    for stored in waiting:
        since = hand_over_started(stored.provider_ref)
        to = stored.message.recipients[0] if stored.message.recipients else ""
        if gateway is None or since is None or stored.message.channel is not Channel.SMS:
            results.append(Checked(stored.key, None, "no SMS gateway is configured to ask"))
            continue
        try:
            sid = gateway.find_sent(to, stored.message.text, since=since)
        except DeliveryError as error:
            results.append(Checked(stored.key, None, f"the gateway could not say: {error.detail}"))
            continue
        if sid is None:
            results.append(Checked(stored.key, None, f"the gateway lists no such SMS to {to}"))
            continue
        confirm_sent(uow_factory(), creditor, stored.key, at=clock(), by=by, sid=sid)
        results.append(Checked(stored.key, sid, f"found at the gateway as {sid}: recorded sent"))
    return results
