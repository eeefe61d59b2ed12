"""`plan_sync` for a file read column by column: the same rules, worked out over columns.

A first import of a large ledger is a million documents the ledger does not have; a daily
full export is a million it has, a few of them changed. Both are planned here without a Python
object per document: the file's documents are joined to the stored ones on (kind, number) and
every rule of `ledger_sync` is written as a column expression — the due date (the file's, or
the date plus the debtor's terms for an invoice), the amount (the file's, or the larger of the
stored amount and the open amount where the layout shows only what is outstanding), the
status, the reference and PO number kept from the ledger when the file has none, a written-off
document left alone, a settled-in-source one reopened, the fields that differ. Python objects
are made only for what changes (the updates, the settled documents, the assumed due dates),
in the order the row-by-row planning gives them. `tests/unit/intake/test_ledger_sync_frames.py`
plans many files and ledgers both ways and compares the plans.
"""

import heapq
from collections.abc import Collection, Mapping

import polars as pl

from arrears.intake.ledger_sync import _COMPARED, OPEN_STATUSES, DocumentUpdate, SettledDocument, SyncPlan
from arrears.store.repositories.documents import DocumentRow, StoredDocument
from arrears.store.repositories.imports_bulk import STORED_SCHEMA, DocumentFrame, StoredDocumentFrame

_KEY = ["kind", "number"]
_STORED = [name for name in STORED_SCHEMA if name not in _KEY]  # StoredDocument's fields
_ROW = list(DocumentRow._fields)


def debtor_currencies(frame: pl.DataFrame) -> dict[str, str]:
    """Each debtor's currency: that of its first document (`ledger_sync._debtor_currencies`)."""
    first = frame.group_by("debtor", maintain_order=True).agg(pl.col("currency").first())
    return dict(zip(first["debtor"].to_list(), first["currency"].to_list(), strict=True))


def listed_invoices(frame: pl.DataFrame, numbers: Collection[str]) -> set[str]:
    """Those of the invoice `numbers` the file's documents list."""
    found = frame.filter((pl.col("kind") == "invoice") & pl.col("number").is_in(sorted(numbers)))
    return set(found["number"].to_list())


def plan_frame(
    plan: SyncPlan,
    frame: pl.DataFrame,
    stored_documents: Mapping[tuple[str, str], StoredDocument],
    terms: Mapping[str, int],
    assumed_due: set[int],
    full: bool,
) -> None:
    """Plan the documents of `frame` (the accepted ones of a `ParsedLedger`) into `plan`:
    additions, updates, the written-off left alone, assumed and given due dates, and (for a
    full import) the open documents the file no longer lists, settled in the source."""
    stored = _stored_frame(stored_documents)
    listed = frame
    frame = frame.with_columns(
        pl.col("debtor").replace_strict(dict(terms), default=30, return_dtype=pl.Int64).alias("terms")
    )
    assumed: list[tuple[int, tuple[str, str, int]]] = []
    if stored.height:
        joined = frame.join(stored, on=_KEY, how="left", suffix="_stored", maintain_order="left")
        known = joined.filter(pl.col("id").is_not_null())
        assumed = _plan_known(plan, known, assumed_due) if known.height else []
        frame = joined.filter(pl.col("id").is_null())
    new = _rows(frame)
    plan.documents_to_add = DocumentFrame(new)
    no_due = new.filter(pl.col("assumed_days").is_not_null()).select("row", "kind", "number", "assumed_days")
    added = [(row, (kind, number, days)) for row, kind, number, days in no_due.iter_rows()]
    plan.due_assumed.extend(entry for _, entry in heapq.merge(assumed, added))
    plan.open_documents_before = stored.filter(pl.col("status").is_in(OPEN_STATUSES)).height
    if full and stored.height:
        vanished = stored.join(listed.select(_KEY), on=_KEY, how="anti", maintain_order="left")
        for values in vanished.filter(pl.col("status").is_in(OPEN_STATUSES)).iter_rows():
            kind, number, *rest = values
            plan.documents_to_settle.append(SettledDocument(rest[0], kind, number, StoredDocument(*rest)))


def _stored_frame(stored_documents: Mapping[tuple[str, str], StoredDocument]) -> pl.DataFrame:
    if isinstance(stored_documents, StoredDocumentFrame):
        return stored_documents.frame
    rows = [(kind, number, *stored) for (kind, number), stored in stored_documents.items()]
    return pl.DataFrame(rows, schema=STORED_SCHEMA, orient="row")


def _with_rules(frame: pl.DataFrame, amount: pl.Expr, reference: pl.Expr, po_number: pl.Expr) -> pl.DataFrame:
    """`ledger_sync._due_date` and `_row` over columns: due date, assumed terms, status."""
    invoice = pl.col("kind") == "invoice"
    open_minor = pl.col("open_minor")
    return frame.with_columns(
        pl.when(pl.col("due_date").is_not_null())
        .then(pl.col("due_date"))
        .when(invoice)
        .then(pl.col("issue_date") + pl.duration(days=pl.col("terms")))
        .otherwise(pl.col("issue_date"))
        .cast(pl.Date)
        .alias("due"),
        pl.when(pl.col("due_date").is_null() & invoice).then(pl.col("terms")).alias("assumed_days"),
        amount.alias("amount"),
        reference.alias("ref"),
        po_number.alias("po"),
    ).with_columns(
        pl.when(open_minor == 0)
        .then(pl.lit("paid"))
        .when(open_minor < pl.col("amount"))
        .then(pl.lit("part_paid"))
        .otherwise(pl.lit("open"))
        .alias("status_new"),
    )


def _rows(new: pl.DataFrame) -> pl.DataFrame:
    """The documents to add, as `DocumentRow` columns (with their row and assumed terms)."""
    ruled = _with_rules(
        new, pl.coalesce("amount_minor", "open_minor"), pl.col("reference"), pl.col("po_number")
    )
    return ruled.select(
        "row",
        "debtor",
        "kind",
        "number",
        "issue_date",
        pl.col("due").alias("due_date"),
        "currency",
        pl.col("amount").alias("amount_minor"),
        "open_minor",
        pl.col("status_new").alias("status"),
        pl.col("ref").alias("external_reference"),
        pl.col("po").alias("po_number"),
        "assumed_days",
    )


def _plan_known(
    plan: SyncPlan, known: pl.DataFrame, assumed_due: set[int]
) -> list[tuple[int, tuple[str, str, int]]]:
    """`ledger_sync._plan_document` for the documents the ledger has; returns the assumed due
    dates with their rows (to merge with the new documents' in file order)."""
    written_off = pl.col("status") == "written_off"
    kept = known.filter(written_off)
    plan.kept_written_off.extend(kept.select(_KEY).iter_rows())
    plan.unchanged += kept.height
    ruled = _with_rules(
        known.filter(~written_off),
        pl.coalesce("amount_minor", pl.max_horizontal("amount_minor_stored", "open_minor")),
        pl.coalesce("reference", "external_reference"),
        pl.coalesce("po_number", "po_number_stored"),
    )
    new_of = {
        "debtor": "debtor",
        "issue_date": "issue_date",
        "due_date": "due",
        "currency": "currency",
        "amount_minor": "amount",
        "open_minor": "open_minor",
        "status": "status_new",
        "external_reference": "ref",
        "po_number": "po",
    }
    stored_of = {name: f"{name}_stored" for name in new_of}
    stored_of.update(status="status", external_reference="external_reference")  # no clash: kept
    assumed_ids = sorted(assumed_due)
    ruled = ruled.with_columns(
        *(
            pl.col(new_of[name]).ne_missing(pl.col(stored_of[name])).alias(f"changed_{name}")
            for name, _ in _COMPARED
        ),
        pl.col("id").is_in(assumed_ids).alias("was_assumed"),
    )
    assumed = ruled.filter(pl.col("assumed_days").is_not_null() & ~pl.col("was_assumed"))
    entries = [
        (row, (kind, number, days))
        for row, kind, number, days in assumed.select("row", *_KEY, "assumed_days").iter_rows()
    ]
    plan.due_given.extend(
        ruled.filter(pl.col("assumed_days").is_null() & pl.col("was_assumed")).select(_KEY).iter_rows()
    )
    changed = pl.any_horizontal(f"changed_{name}" for name, _ in _COMPARED)
    plan.unchanged += ruled.filter(~changed).height
    updates = ruled.filter(changed).select(
        "id",
        *(pl.col(new_of[name]).alias(name) if name in new_of else pl.col(name) for name in _ROW),
        *(pl.col(stored_of.get(name, name)).alias(f"old_{name}") for name in _STORED[1:]),
        *(f"changed_{name}" for name, _ in _COMPARED),
    )
    width = len(_ROW)
    for values in updates.iter_rows():
        document_id = values[0]
        row = DocumentRow._make(values[1 : 1 + width])
        old = StoredDocument(document_id, *values[1 + width : width + len(_STORED)])
        flags = values[width + len(_STORED) :]
        fields = tuple(label for (_, label), flag in zip(_COMPARED, flags, strict=True) if flag)
        change = "reopened" if old.status == "settled_in_source" else "updated"
        plan.documents_to_update.append(DocumentUpdate(document_id, row.kind, row, old, change, fields))
    return entries
