"""What the deal repositories share: the error, references, look-ups of a deal's invoices, and
the filters every listing of deals takes."""

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, TypedDict, TypeVar, Unpack

from sqlalchemy import ColumnElement, Select, select, update

from arrears.core.errors import ArrearsError, NotFoundError
from arrears.store.errors import DuplicateError, WrongCreditorError
from arrears.store.repositories._common import IN_CHUNK, Repository, chunks
from arrears.store.tables import DebtorRecord, DocumentRecord


class DealStoreError(ArrearsError, ValueError):
    """A deal that cannot be stored as asked (documents of another debtor, a reference in use)."""


REFERENCE_PREFIXES = {"promise": "P", "plan": "PP", "settlement": "S", "dispute": "D", "fee": "F"}

DealT = TypeVar("DealT")


class NewDeal(Protocol):
    """What recording any deal needs to know of it (promises, plans, settlements, fees)."""

    @property
    def creditor(self) -> str: ...
    @property
    def debtor(self) -> str: ...
    @property
    def reference(self) -> str: ...
    @property
    def documents(self) -> Collection[str]: ...


@dataclass(frozen=True, slots=True)
class DealListing:
    """How one kind of deal is listed: its table, the column of the day each one starts (the
    order within a debtor), and what "in force on a day" means for it as conditions on the table
    (a promise holds from the day made to its deadline; a dispute from the day raised until
    decided; ...)."""

    table: Any
    started: Any
    in_force: Callable[[date], list[ColumnElement[bool]]]


class DealFilters(TypedDict, total=False):
    """What a listing of deals may be narrowed to (each left out: no filter): one debtor's,
    those in force on a day, those with the given references."""

    debtor: str | None
    in_force_on: date | None
    references: Sequence[str] | None


class StatedDealFilters(DealFilters, total=False):
    """For deals whose last review recorded a state: also those in `states`."""

    states: Collection[str] | None


class DealTables(Repository):
    """Helpers of the deals repositories (every method takes the creditor first)."""

    def document_ids(self, creditor: str, debtor: str, numbers: Iterable[str]) -> dict[str, int]:
        """Invoice number -> id for invoices of `debtor`; an unknown number, or one on another
        account, is an error naming it."""
        wanted = sorted(set(numbers))
        if not wanted:
            return {}
        creditor_id = self._creditor_id(creditor)
        debtor_id = self._debtor_id(creditor, creditor_id, debtor)
        found: dict[str, tuple[int, int]] = {}
        for chunk in chunks(wanted, IN_CHUNK):
            for number, document_id, owner in self._session.execute(
                select(DocumentRecord.number, DocumentRecord.id, DocumentRecord.debtor_id).where(
                    DocumentRecord.creditor_id == creditor_id,
                    DocumentRecord.kind == "invoice",
                    DocumentRecord.number.in_(chunk),
                )
            ):
                found[number] = (document_id, owner)
        ids: dict[str, int] = {}
        for number in wanted:
            if number not in found:
                raise NotFoundError(f"creditor {creditor} has no invoice {number!r}")
            document_id, owner = found[number]
            if owner != debtor_id:
                raise DealStoreError(f"invoice {number} is not on account {debtor}")
            ids[number] = document_id
        return ids

    def _deal_filters(
        self,
        table: Any,
        creditor: str,
        creditor_id: int,
        *,
        in_force: Callable[[date], list[ColumnElement[bool]]] | None = None,
        **filters: Unpack[StatedDealFilters],
    ) -> list[ColumnElement[bool]]:
        """The conditions of a listing of `table`'s deals: always the creditor's own (a debtor
        code is looked up within the creditor, so another tenant's code is not found), then each
        filter given. One place, so every kind of deal reads "debtor", "states", "references" and
        "in force on" the same way; `in_force` says what in force means for the kind."""
        debtor, states = filters.get("debtor"), filters.get("states")
        references, in_force_on = filters.get("references"), filters.get("in_force_on")
        conditions: list[ColumnElement[bool]] = [table.creditor_id == creditor_id]
        if debtor is not None:
            conditions.append(table.debtor_id == self._debtor_id(creditor, creditor_id, debtor))
        if states is not None:
            conditions.append(table.state.in_(list(states)))
        if references is not None:
            conditions.append(table.reference.in_(list(references)))
        if in_force_on is not None:
            if in_force is None:
                raise TypeError(f"{table.__name__} has no rule for in force on a day")
            conditions += in_force(in_force_on)
        return conditions

    def _deal_query(
        self,
        kind: DealListing,
        creditor: str,
        creditor_id: int,
        *,
        columns: Sequence[Any] = (),
        **filters: Unpack[StatedDealFilters],
    ) -> Select[Any]:
        """A listing of deals of `kind` (`_deal_filters`) with each one's debtor code and
        `columns`, by debtor, then the day each started, then as recorded."""
        table = kind.table
        conditions = self._deal_filters(table, creditor, creditor_id, in_force=kind.in_force, **filters)
        return (
            select(table, DebtorRecord.account_code, *columns)
            .join(DebtorRecord, DebtorRecord.id == table.debtor_id)
            .where(*conditions)
            .order_by(DebtorRecord.account_code, kind.started, table.id)
        )

    def _add_with_documents(
        self, record: Any, link: Any, parent: str, document_ids: Sequence[int], *, ordered: bool
    ) -> None:
        """Add a deal's row, then a `link` row for each invoice it covers (with its position, for
        the kinds that keep their invoices in order)."""
        self._session.add(record)
        self._session.flush()
        self._session.add_all(
            link(
                **{parent: record.id},
                document_id=document_id,
                creditor_id=record.creditor_id,
                **({"position": n} if ordered else {}),
            )
            for n, document_id in enumerate(document_ids)
        )
        self._session.flush()

    @staticmethod
    def _only(found: Sequence[DealT], creditor: str, what: str, reference: str) -> DealT:
        """The one deal a look-up by reference found; none is the person's mistake, said so."""
        if not found:
            raise NotFoundError(f"creditor {creditor} has no {what} {reference!r}")
        return found[0]

    def _new_deal(
        self, creditor: str, table: Any, deal: NewDeal, what: str
    ) -> tuple[int, int, dict[str, int]]:
        """Check a deal about to be recorded and give the ids it is stored with (creditor, debtor,
        invoice number -> id): it must be this creditor's, on invoices of its own debtor, under
        a reference not in use yet."""
        creditor_id = self._creditor_id(creditor)
        self._check_creditor(creditor, deal.creditor, f"{what} {deal.reference}")
        debtor_id = self._debtor_id(creditor, creditor_id, deal.debtor)
        document_ids = self.document_ids(creditor, deal.debtor, deal.documents)
        self._unique(table, creditor_id, deal.reference, what)
        return creditor_id, debtor_id, document_ids

    def _child_numbers(
        self, table: Any, parent: Any, creditor_id: int, ids: list[int], *, ordered: bool = False
    ) -> dict[int, list[str]]:
        numbers: dict[int, list[tuple[int, str]]] = {}
        for chunk in chunks(ids, IN_CHUNK):
            query = (
                select(parent, DocumentRecord.number, table.position if ordered else DocumentRecord.number)
                .join(DocumentRecord, DocumentRecord.id == table.document_id)
                .where(table.creditor_id == creditor_id, parent.in_(chunk))
            )
            for parent_id, number, position in self._session.execute(query):
                numbers.setdefault(parent_id, []).append((position, number))
        return {key: [number for _, number in sorted(values)] for key, values in numbers.items()}

    @staticmethod
    def _check_creditor(creditor: str, owner: str, what: str) -> None:
        if owner != creditor:
            raise WrongCreditorError(f"{what} belongs to creditor {owner}, not {creditor}")

    def _unique(self, table: Any, creditor_id: int, reference: str, what: str) -> None:
        if self._session.scalar(
            select(table.id).where(table.creditor_id == creditor_id, table.reference == reference)
        ):
            raise DuplicateError(f"{what} {reference} exists already; choose another reference")

    def _id_of(self, table: Any, creditor_id: int, reference: str, what: str, creditor: str) -> int:
        found = self._session.scalar(
            select(table.id).where(table.creditor_id == creditor_id, table.reference == reference)
        )
        if found is None:
            raise NotFoundError(f"creditor {creditor} has no {what} {reference!r}")
        return int(found)

    def _set(self, table: Any, creditor: str, reference: str, what: str, **values: Any) -> None:
        creditor_id = self._creditor_id(creditor)
        record_id = self._id_of(table, creditor_id, reference, what, creditor)
        self._session.execute(
            update(table).where(table.creditor_id == creditor_id, table.id == record_id).values(**values)
        )
