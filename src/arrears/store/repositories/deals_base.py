"""What the deal repositories share: the error, references, and look-ups of a deal's invoices."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update

from arrears.core.errors import ArrearsError, NotFoundError
from arrears.store.errors import DuplicateError, WrongCreditorError
from arrears.store.repositories._common import IN_CHUNK, Repository, chunks
from arrears.store.tables import DocumentRecord


class DealStoreError(ArrearsError, ValueError):
    """A deal that cannot be stored as asked (documents of another debtor, a reference in use)."""


REFERENCE_PREFIXES = {"promise": "P", "plan": "PP", "settlement": "S", "dispute": "D", "fee": "F"}


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
