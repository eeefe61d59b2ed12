"""`POST /v1/ledger/uploads`: a sync agent sends a ledger file; the same importer as `arrears
import` runs on it and the import report comes back as JSON.

The request: the file's bytes as the body (`Content-Type: application/octet-stream`), and

| where | name | meaning |
|---|---|---|
| header | `Authorization: Bearer <token>` | the creditor's upload token (it alone says which creditor) |
| header | `Idempotency-Key` | one per file version, the same on every retry (1-128 printable characters) |
| header | `X-Content-SHA256` | optional: the SHA-256 the agent computed; a mismatch is refused (400) |
| query | `filename` | the file's name, as the report names it |
| query | `mode` | `full` (default: the whole ledger) or `part` |
| query | `creditor` | optional: refused (403) unless it is the token's creditor |

Answers: 200 with the report (applied, partly applied, or unchanged), again 200 with the earlier
answer (`"replayed": true`, header `Idempotent-Replayed: true`) for a key or content seen before;
401 no/bad/revoked token; 403 another creditor; 409 a key reused for other content; 413 larger
than the limit; 422 the importer's errors, or a file it cannot read; 400 a bad request.

Every refusal is sent only after the body has been read (up to twice the size limit): a server
that answers before reading makes the connection close under a client still sending, and the
client sees a broken connection, not the answer, and would retry a refusal for ever.
"""

import hashlib
import re
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from arrears.services.receive_upload import ReceivedFile, receive_upload
from arrears.services.upload_tokens import InvalidTokenError, TokenIdentity, authenticate

router = APIRouter(prefix="/v1", tags=["ledger uploads"])

_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_CHUNK = 1 << 20


def safe_file_name(name: str) -> str:
    """The last part of the name, printable, at most 200 characters: the importer names rows
    by it, and it is never used as a path on the server."""
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(character for character in base if character.isprintable()).strip()
    if base in ("", ".", ".."):
        return "upload"
    if len(base) > 200:
        stem, dot, suffix = base.rpartition(".")
        base = (stem[: 200 - len(suffix) - 1] + dot + suffix) if dot and len(suffix) <= 10 else base[:200]
    return base


def _refuse(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


async def _drain(request: Request, limit: int) -> None:
    read = 0
    async for chunk in request.stream():
        read += len(chunk)
        if read > limit:
            break


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


@router.post("/ledger/uploads")
async def upload_ledger(
    request: Request,
    filename: Annotated[str, Query(min_length=1, max_length=500, description="The file's name.")],
    mode: Annotated[Literal["full", "part"], Query(description="full or part ledger.")] = "full",
    creditor: Annotated[str | None, Query(description="The creditor the agent expects.")] = None,
    authorization: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    content_sha256: Annotated[str | None, Header(alias="X-Content-SHA256")] = None,
    content_length: Annotated[int | None, Header()] = None,
) -> JSONResponse:
    """Import a ledger file for the token's creditor (see the module docstring)."""
    config = request.app.state.config
    limit = config.max_upload_bytes
    try:
        identity: TokenIdentity = await run_in_threadpool(
            authenticate, config.store.unit_of_work(), _bearer(authorization)
        )
    except InvalidTokenError as error:
        await _drain(request, 2 * limit)
        return _refuse(401, str(error), **{"WWW-Authenticate": 'Bearer realm="arrears"'})
    problem: tuple[int, str] | None = None
    if creditor is not None and creditor != identity.creditor:
        problem = (403, f"this token uploads for another creditor, not {creditor}")
    elif idempotency_key is None or not _KEY.match(idempotency_key):
        problem = (400, "send an Idempotency-Key header: 1-128 printable characters, one per file version")
    elif content_sha256 is not None and not _SHA256.match(content_sha256):
        problem = (400, "X-Content-SHA256 must be 64 hexadecimal digits")
    elif content_length is not None and content_length > limit:
        problem = (413, f"the file is {content_length:,} bytes; the largest accepted is {limit:,}")
    if problem is not None:
        await _drain(request, 2 * limit)
        return _refuse(*problem)
    assert idempotency_key is not None
    name = safe_file_name(filename)
    with tempfile.TemporaryDirectory(prefix="arrears-upload-", dir=config.temp_dir) as folder:
        path = Path(folder) / name
        digest = hashlib.sha256()
        size = 0
        with path.open("wb") as handle:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    break
                digest.update(chunk)
                handle.write(chunk)
        if size > limit:
            await _drain(request, limit)
            return _refuse(413, f"the file is larger than the {limit:,} bytes accepted")
        content_hash = digest.hexdigest()
        if content_sha256 is not None and content_sha256.lower() != content_hash:
            return _refuse(
                400,
                f"the body's SHA-256 is {content_hash}, not {content_sha256}: the file was changed in transit",
            )
        received = ReceivedFile(path, name, content_hash, size, idempotency_key, mode)
        answer = await run_in_threadpool(
            receive_upload,
            config.store.unit_of_work(),
            identity,
            received,
            profile_folders=config.profile_folders,
        )
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.http_status, headers=headers)
