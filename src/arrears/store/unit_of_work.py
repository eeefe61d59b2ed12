"""The unit of work: one transaction, the repositories that work inside it, an explicit commit.

    uow = SqlUnitOfWork(session_factory(engine))
    with uow:
        uow.documents.add("ACME", documents)
        uow.commit()

Leaving the `with` block without `commit()` (or by an exception) rolls everything back, so a
service either finishes its use case or leaves no trace. A unit of work can be entered again
after it has exited; each `with` block is a new transaction.
"""

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.orm import Session

from arrears.store.repositories import (
    ActionRepository,
    AgentUploadRepository,
    BankRepository,
    BrandRepository,
    CallRepository,
    CollectionQueries,
    CollectionSettingsRepository,
    ConnectionRepository,
    CreditorIds,
    CreditorRepository,
    CycleRunRepository,
    DealRepository,
    DebtorRepository,
    DisputeRepository,
    DocumentRepository,
    HoldRepository,
    ImportRepository,
    LedgerQueries,
    MailboxRepository,
    MetricsQueries,
    OptOutRepository,
    OutboxRepository,
    PaymentRepository,
    PolicyRepository,
    ServiceWindowRepository,
    UploadTokenRepository,
    WriteOffRepository,
)


class UnitOfWork(Protocol):
    """What services depend on; `SqlUnitOfWork` is the implementation."""

    creditors: CreditorRepository
    debtors: DebtorRepository
    documents: DocumentRepository
    payments: PaymentRepository
    ledger: LedgerQueries
    metrics: MetricsQueries
    # the collections area
    policies: PolicyRepository
    service_windows: ServiceWindowRepository
    collection_settings: CollectionSettingsRepository
    holds: HoldRepository
    actions: ActionRepository
    cycle_runs: CycleRunRepository
    collections: CollectionQueries
    # the accounting-connections area
    connections: ConnectionRepository
    # the intake area
    imports: ImportRepository
    # the comms area
    brands: BrandRepository
    outbox: OutboxRepository
    opt_outs: OptOutRepository
    calls: CallRepository
    # the deals area
    deals: DealRepository
    disputes: DisputeRepository
    write_offs: WriteOffRepository
    bank: BankRepository
    # the mailbox area
    mailbox: MailboxRepository
    # the sync-agent area
    upload_tokens: UploadTokenRepository
    agent_uploads: AgentUploadRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class SqlUnitOfWork:
    creditors: CreditorRepository
    debtors: DebtorRepository
    documents: DocumentRepository
    payments: PaymentRepository
    ledger: LedgerQueries
    metrics: MetricsQueries
    # the collections area
    policies: PolicyRepository
    service_windows: ServiceWindowRepository
    collection_settings: CollectionSettingsRepository
    holds: HoldRepository
    actions: ActionRepository
    cycle_runs: CycleRunRepository
    collections: CollectionQueries
    # the accounting-connections area
    connections: ConnectionRepository
    # the intake area
    imports: ImportRepository
    # the comms area
    brands: BrandRepository
    outbox: OutboxRepository
    opt_outs: OptOutRepository
    calls: CallRepository
    # the deals area
    deals: DealRepository
    disputes: DisputeRepository
    write_offs: WriteOffRepository
    bank: BankRepository
    # the mailbox area
    mailbox: MailboxRepository
    # the sync-agent area
    upload_tokens: UploadTokenRepository
    agent_uploads: AgentUploadRepository

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self._creditor_ids: CreditorIds | None = None

    @property
    def session(self) -> Session:
        """The session of the open unit of work, for a repository that is not here yet."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("the unit of work is already open; it cannot be nested")
        session = self._session_factory()
        creditor_ids = CreditorIds(session)
        self._session, self._creditor_ids = session, creditor_ids
        self.creditors = CreditorRepository(session, creditor_ids)
        self.debtors = DebtorRepository(session, creditor_ids)
        self.documents = DocumentRepository(session, creditor_ids)
        self.payments = PaymentRepository(session, creditor_ids)
        self.ledger = LedgerQueries(session, creditor_ids)
        self.metrics = MetricsQueries(session, creditor_ids)
        self.connections = ConnectionRepository(session, creditor_ids)
        self.imports = ImportRepository(session, creditor_ids)
        self.policies = PolicyRepository(session, creditor_ids)
        self.service_windows = ServiceWindowRepository(session, creditor_ids)
        self.collection_settings = CollectionSettingsRepository(session, creditor_ids)
        self.holds = HoldRepository(session, creditor_ids)
        self.actions = ActionRepository(session, creditor_ids)
        self.cycle_runs = CycleRunRepository(session, creditor_ids)
        self.collections = CollectionQueries(session, creditor_ids)
        self.brands = BrandRepository(session, creditor_ids)
        self.outbox = OutboxRepository(session, creditor_ids)
        self.opt_outs = OptOutRepository(session, creditor_ids)
        self.calls = CallRepository(session, creditor_ids)
        self.deals = DealRepository(session, creditor_ids)
        self.disputes = DisputeRepository(session, creditor_ids)
        self.write_offs = WriteOffRepository(session, creditor_ids)
        self.bank = BankRepository(session, creditor_ids)
        self.mailbox = MailboxRepository(session, creditor_ids)
        self.upload_tokens = UploadTokenRepository(session, creditor_ids)
        self.agent_uploads = AgentUploadRepository(session, creditor_ids)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            self.rollback()  # after a commit there is nothing left to roll back
        finally:
            session.close()
            self._session = self._creditor_ids = None

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
        if self._creditor_ids is not None:
            self._creditor_ids.forget()
