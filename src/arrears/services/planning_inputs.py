"""What the planner is told holds a creditor's debtors on a day, in one place.

The cycle, `arrears explain` and the approvals queue must agree on what holds a debtor: if
they did not, explain could promise a formal demand to a debtor with a live promise, and an
approval could send a letter before action on an invoice the debtor has since disputed. So
all three read their holds here:

- `planning_holds(uow, creditor, as_of)`: the holds people recorded that are in force
  (`uow.holds.in_force`) and the holds of the creditor's deals (pending promises and
  settlements, plans that hold, open disputes; `arrears.services.deal_book`), each judged as
  of `as_of`. This is exactly the list the cycle gives the planner;
- `deal_holds_on(uow, creditor, as_of)`: the deals' holds alone, each with the deal it comes
  from (`DealHold`), so that a person is told "promise P-00001 on INV-1 until 2026-03-16"
  rather than "promise to pay";
- `holds_covering(holds, debtor, documents)`: those of a list that hold a debtor's documents
  (a hold on the whole account holds all of them).

Everything here reads inside a unit of work the caller has opened, and writes nothing.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from arrears.core.holds import Hold, HoldReason
from arrears.services.deal_book import DealBook, load_deal_book
from arrears.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class DealHold:
    """A hold a deal puts on the ladder, with the deal it comes from ('promise P-00001')."""

    deal: str
    hold: Hold

    @property
    def debtor(self) -> str:
        return self.hold.debtor

    def covers(self, debtor: str, documents: Collection[str]) -> bool:
        """Whether it holds any of `documents` of `debtor` (a whole-account hold holds all)."""
        return covers(self.hold, debtor, documents)

    def describe(self) -> str:
        """'promise P-00001 on INV-1 until 2026-03-16', 'dispute D-00001 on INV-7 until it is
        decided', 'payment plan PP-00001 on INV-1, INV-2 until 2026-04-04 (awaiting approval)'."""
        hold = self.hold
        scope = f"on {', '.join(sorted(hold.documents))}" if hold.documents else "on the whole account"
        until = f"until {hold.ends_on.isoformat()}" if hold.ends_on is not None else "until it is decided"
        waiting = " (awaiting the creditor's approval)" if hold.reason is HoldReason.AWAITING_APPROVAL else ""
        return f"{self.deal} {scope} {until}{waiting}"


def covers(hold: Hold, debtor: str, documents: Collection[str]) -> bool:
    """Whether `hold` holds any of `documents` of `debtor` (a whole-account hold holds all)."""
    if hold.debtor != debtor:
        return False
    return hold.covers_whole_debtor or not documents or bool(hold.documents & set(documents))


def holds_covering(holds: Iterable[Hold], debtor: str, documents: Collection[str]) -> list[Hold]:
    """The holds of `holds` that hold any of `documents` of `debtor`."""
    return [hold for hold in holds if covers(hold, debtor, documents)]


def labelled_holds(book: DealBook) -> list[DealHold]:
    """The holds of `book` active on its day, each with its deal: the same holds, in the same
    order, as `DealBook.holds()` (see docs/deals.md, "Holds at a glance")."""
    found: list[DealHold] = []
    for stored_promise, promise in book.promises:
        if promise.hold is not None:
            found.append(DealHold(f"promise {stored_promise.promise.reference}", promise.hold))
    for stored_plan, plan in book.plans:
        if plan.hold is not None:
            found.append(DealHold(f"payment plan {stored_plan.plan.reference}", plan.hold))
    for agreed, settlement in book.settlements:
        if settlement.hold is not None:
            found.append(DealHold(f"settlement {agreed.settlement.reference}", settlement.hold))
    for stored_dispute in book.disputes:
        hold = stored_dispute.dispute.hold()
        if hold is not None:
            found.append(DealHold(f"dispute {stored_dispute.dispute.reference}", hold))
    return [labelled for labelled in found if labelled.hold.is_active(book.as_of)]


def deal_holds_on(
    uow: UnitOfWork, creditor: str, as_of: date, *, debtor: str | None = None
) -> list[DealHold]:
    """The holds the creditor's deals (one debtor's with `debtor`) put on the ladder on `as_of`,
    each judged from the cash as of that day. Call inside an open unit of work."""
    return labelled_holds(load_deal_book(uow, creditor, as_of, debtor=debtor))


def planning_holds(uow: UnitOfWork, creditor: str, as_of: date, *, debtor: str | None = None) -> list[Hold]:
    """Every hold the planner takes on `as_of`: those people recorded that are in force, then
    those of deals (for one debtor with `debtor`). The cycle's list; call inside an open unit
    of work."""
    return [
        *uow.holds.in_force(creditor, as_of, debtor=debtor),
        *(labelled.hold for labelled in deal_holds_on(uow, creditor, as_of, debtor=debtor)),
    ]
