"""Receive a ledger file a sync agent uploaded: import it once, answer every retry the same.

    answer = receive_upload(uow, identity, ReceivedFile(path, "ledger.csv", sha, size, key, "full"))

The steps:
1. an upload with the same idempotency key (for this creditor) was answered before: that answer
   again, whatever it was (a key sent with different content is refused: 409); failing that,
   the same content in the same mode was imported before (applied, partly applied or found
   unchanged): that answer again. Nothing is imported twice;
2. otherwise the file goes through the same importer as `arrears import`
   (`arrears.services.import_ledger.import_ledger`, profile detected, source `agent`,
   all-or-nothing): 200 with the import report, or 422 when it was rejected (with every error,
   naming file, row and column) or could not be read at all;
3. the upload and its answer are recorded, with the token that sent it.

The import and the record of the upload are two transactions (the importer commits its own).
If the server stops between them, the agent's retry finds no record, imports again, and the
importer finds the same file as the creditor's last import: recorded as unchanged, nothing
written twice.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from arrears.core.errors import ArrearsError
from arrears.services.import_ledger import ImportReport, import_ledger
from arrears.services.upload_tokens import TokenIdentity
from arrears.store.repositories.agent_uploads import NewUpload, StoredUpload
from arrears.store.unit_of_work import UnitOfWork

MAX_ERRORS_SHOWN = 1000
MAX_CHANGES_SHOWN = 1000


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    """A file as the server received it: the bytes on disk at `path` (named `file_name`, the
    name the importer reports rows against), their SHA-256 and size as the server computed
    them, the agent's idempotency key and the mode it asked for."""

    path: Path
    file_name: str
    content_hash: str
    size_bytes: int
    idempotency_key: str
    mode: Literal["full", "part"] = "full"


@dataclass(frozen=True, slots=True)
class UploadAnswer:
    """The HTTP status and JSON body to send back; `replayed` when it is an earlier answer."""

    http_status: int
    body: dict[str, Any]
    replayed: bool = False


def receive_upload(
    uow: UnitOfWork,
    identity: TokenIdentity,
    received: ReceivedFile,
    *,
    profile_folders: tuple[Path, ...] = (),
    now: datetime | None = None,
) -> UploadAnswer:
    """Import an uploaded file for the token's creditor (see the module docstring)."""
    creditor = identity.creditor
    with uow:
        earlier = uow.agent_uploads.by_idempotency_key(creditor, received.idempotency_key)
        if earlier is not None and earlier.content_hash != received.content_hash:
            return UploadAnswer(
                409,
                {
                    "error": f"idempotency key {received.idempotency_key} was used for another file "
                    f"(upload #{earlier.id}, {earlier.file_name}): send each file version with a key of its own"
                },
            )
        if earlier is None:
            earlier = uow.agent_uploads.accepted_with_content(creditor, received.content_hash, received.mode)
    if earlier is not None:
        return _replay(earlier)
    status, import_id, http_status, body = _import(uow, identity, received, profile_folders, now)
    upload = NewUpload(
        token_id=identity.token_id,
        idempotency_key=received.idempotency_key,
        received_at=now or datetime.now(UTC),
        file_name=received.file_name[:500],
        content_hash=received.content_hash,
        size_bytes=received.size_bytes,
        mode=received.mode,
        status=status,
        import_id=import_id,
        http_status=http_status,
        response=json.dumps(body, ensure_ascii=False),
    )
    with uow:
        recorded = uow.agent_uploads.record(creditor, upload)
        uow.commit()
    if recorded.response != upload.response:
        return _replay(recorded)  # another delivery of the same upload was recorded first
    return UploadAnswer(http_status, {"upload": recorded.id, "replayed": False, **body})


def _replay(earlier: StoredUpload) -> UploadAnswer:
    body = json.loads(earlier.response)
    return UploadAnswer(earlier.http_status, {"upload": earlier.id, "replayed": True, **body}, replayed=True)


def _import(
    uow: UnitOfWork,
    identity: TokenIdentity,
    received: ReceivedFile,
    profile_folders: tuple[Path, ...],
    now: datetime | None,
) -> tuple[str, int | None, int, dict[str, Any]]:
    """(upload status, import id, HTTP status, body) of importing the file."""
    try:
        report = import_ledger(
            uow,
            identity.creditor,
            received.path,
            who=f"sync agent {identity.name} (token #{identity.token_id})"[:200],
            mode=received.mode,
            source="agent",
            profile_folders=profile_folders,
            now=now,
        )
    except ArrearsError as error:
        body = {
            "import": None,
            "status": "failed",
            "file_name": received.file_name,
            "sha256": received.content_hash,
            "mode": received.mode,
            "error": str(error),
        }
        return "failed", None, 422, body
    body = report_body(report)
    return report.status, report.summary.id, 422 if report.rejected else 200, body


def report_body(report: ImportReport) -> dict[str, Any]:
    """An import report as JSON: outcome, counts, totals per currency (amounts as decimal
    strings), warnings, changes and every error with its file, row, column and value."""
    summary = report.summary
    counts = {
        name: getattr(summary, name)
        for name in (
            "rows_read",
            "documents",
            "debtors",
            "payments",
            "added",
            "updated",
            "unchanged",
            "settled",
            "reopened",
            "debtors_added",
            "debtors_updated",
            "rejected_rows",
        )
    }
    counts["left_out_rows"] = report.left_out_rows
    counts["furniture_rows"] = report.furniture_rows
    return {
        "import": summary.id,
        "status": summary.status,
        "file_name": summary.file_name,
        "sha256": summary.content_hash,
        "size_bytes": summary.size_bytes,
        "mode": summary.mode,
        "profile": summary.profile,
        "profile_title": report.profile_title,
        "profile_reason": report.profile_reason,
        "counts": counts,
        "totals": [
            {
                "currency": total.currency,
                "documents": total.documents,
                "invoices_open": str(total.invoices_open.amount),
                "credit_notes_open": str(total.credit_notes_open.amount),
                "cash_unallocated": str(total.cash_unallocated.amount),
                "net_open": str(total.net_open.amount),
            }
            for total in summary.totals
        ],
        "note": summary.note,
        "warnings": list(report.warnings),
        "changes": list(report.changes[:MAX_CHANGES_SHOWN]),
        "changes_total": len(report.changes),
        "errors": [
            {
                "file": error.source,
                "row": error.row,
                "column": error.column,
                "value": error.value,
                "message": error.message,
                "text": str(error),
            }
            for error in report.errors[:MAX_ERRORS_SHOWN]
        ],
        "errors_total": len(report.errors),
    }
