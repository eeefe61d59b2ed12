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
    CreditorIds,
    CreditorRepository,
    DebtorRepository,
    DocumentRepository,
    LedgerQueries,
    MetricsQueries,
    PaymentRepository,
)


class UnitOfWork(Protocol):
    """What services depend on; `SqlUnitOfWork` is the implementation."""

    creditors: CreditorRepository
    debtors: DebtorRepository
    documents: DocumentRepository
    payments: PaymentRepository
    ledger: LedgerQueries
    metrics: MetricsQueries

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
