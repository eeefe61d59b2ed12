"""Upload tokens and agent uploads in the store (SQLite and PostgreSQL): tokens kept as hashes,
one creditor per token, revocation, and an upload imported once however often it comes."""

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from arrears.core.errors import NotFoundError
from arrears.core.ledger import Creditor
from arrears.services.receive_upload import ReceivedFile, UploadAnswer, receive_upload
from arrears.services.upload_tokens import (
    InvalidTokenError,
    TokenIdentity,
    authenticate,
    issue_token,
    list_tokens,
    revoke_token,
)
from arrears.store.repositories.agent_uploads import NewUpload
from arrears.store.tables_agent import UploadTokenRecord
from arrears.store.unit_of_work import SqlUnitOfWork

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
HEADER = "DebtorCode,DebtorName,Type,Number,IssueDate,DueDate,Amount,OpenAmount\n"
LEDGER = (
    "A1,Abbey Builders Ltd,Invoice,INV-1,2026-07-01,2026-07-31,1000.00,1000.00\n"
    "B2,Crown Glazing Ltd,Invoice,INV-2,2026-09-01,2026-10-01,250.00,250.00\n"
)


@pytest.fixture
def two_creditors(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    with uow:
        uow.creditors.add(Creditor(code="ACME", name="Acme Ltd"))
        uow.creditors.add(Creditor(code="BETA", name="Beta Ltd"))
        uow.commit()
    return uow


def received(tmp_path: Path, body: str, key: str, name: str = "ledger.csv") -> ReceivedFile:
    folder = tmp_path / key
    folder.mkdir()
    path = folder / name
    path.write_text(body, encoding="utf-8")
    data = path.read_bytes()
    return ReceivedFile(path, name, hashlib.sha256(data).hexdigest(), len(data), key, "full")


def identity_for(uow: SqlUnitOfWork, creditor: str) -> TokenIdentity:
    issued = issue_token(uow, creditor, name=f"{creditor} server", who="jane", now=NOW)
    return authenticate(uow, issued.token, now=NOW)


def test_a_token_is_stored_as_its_hash_and_authenticates_its_creditor(two_creditors: SqlUnitOfWork) -> None:
    uow = two_creditors
    issued = issue_token(uow, "ACME", name="office server", who="jane", now=NOW)
    assert issued.token.startswith(f"arr_{issued.stored.key_id}_")
    with uow:
        rows = uow.session.execute(select(UploadTokenRecord)).scalars().all()
        stored = [(row.key_id, row.secret_hash, row.name, row.created_by) for row in rows]
    assert len(stored) == 1
    key_id, secret_hash, name, created_by = stored[0]
    secret = issued.token.split("_", 2)[2]
    assert secret not in repr(stored) and issued.token not in repr(stored)
    assert secret_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert (name, created_by) == ("office server", "jane")

    identity = authenticate(uow, issued.token, now=NOW)
    assert identity == TokenIdentity("ACME", issued.stored.id, key_id, "office server")
    [listed] = list_tokens(uow, "ACME")
    assert listed.last_used_at == NOW and listed.active
    assert list_tokens(uow, "BETA") == []


@pytest.mark.parametrize(
    "presented",
    [None, "", "Bearer", "arr_", "not-a-token", "arr_000000000000_x", "x" * 500],
)
def test_missing_and_malformed_tokens_are_refused(
    two_creditors: SqlUnitOfWork, presented: str | None
) -> None:
    issue_token(two_creditors, "ACME", name="s", who="jane")
    with pytest.raises(InvalidTokenError):
        authenticate(two_creditors, presented)


def test_a_token_with_the_right_key_and_a_wrong_secret_is_refused(two_creditors: SqlUnitOfWork) -> None:
    issued = issue_token(two_creditors, "ACME", name="s", who="jane")
    forged = issued.token[:-4] + ("AAAA" if not issued.token.endswith("AAAA") else "BBBB")
    with pytest.raises(InvalidTokenError, match="not valid"):
        authenticate(two_creditors, forged)


def test_a_revoked_token_is_refused_and_only_its_creditor_can_revoke_it(two_creditors: SqlUnitOfWork) -> None:
    uow = two_creditors
    issued = issue_token(uow, "ACME", name="old server", who="jane")
    with pytest.raises(NotFoundError):
        revoke_token(uow, "BETA", issued.stored.id)
    authenticate(uow, issued.token)  # still good: BETA could not touch it
    revoked = revoke_token(uow, "ACME", issued.stored.id, now=NOW)
    assert revoked.revoked_at == NOW and not revoked.active
    with pytest.raises(InvalidTokenError, match="revoked"):
        authenticate(uow, issued.token)
    assert revoke_token(uow, "ACME", issued.stored.id).revoked_at == NOW  # revoking again keeps the time


def test_an_upload_is_imported_once_however_often_it_is_sent(
    two_creditors: SqlUnitOfWork, tmp_path: Path
) -> None:
    uow = two_creditors
    acme = identity_for(uow, "ACME")
    first = receive_upload(uow, acme, received(tmp_path, HEADER + LEDGER, "key-1"), now=NOW)
    assert first.http_status == 200 and not first.replayed
    assert first.body["status"] == "applied" and first.body["counts"]["added"] == 2
    assert first.body["totals"][0]["invoices_open"] == "1250.00"
    assert ledger_state(uow, "ACME") == (1, 2)

    again = receive_upload(uow, acme, received(tmp_path, HEADER + LEDGER, "key-2"), now=NOW)
    retried = receive_upload(uow, acme, received(tmp_path, HEADER + LEDGER, "key-1-again"), now=NOW)
    same_key = receive_upload(uow, acme, received(tmp_path, HEADER + LEDGER, "key-3"), now=NOW)
    for answer in (again, retried, same_key):
        assert answer.replayed and answer.http_status == 200
        assert answer.body["import"] == first.body["import"] and answer.body["upload"] == first.body["upload"]
    assert ledger_state(uow, "ACME") == (1, 2)  # nothing imported again, not even as "unchanged"

    changed = HEADER + LEDGER + "B2,,Invoice,INV-3,2026-10-01,2026-10-31,80.00,80.00\n"
    newer = receive_upload(uow, acme, received(tmp_path, changed, "key-4"), now=NOW)
    assert (
        newer.http_status == 200 and newer.body["status"] == "applied" and newer.body["counts"]["added"] == 1
    )
    assert ledger_state(uow, "ACME") == (2, 3)


def test_the_same_idempotency_key_answers_the_same_even_after_a_newer_file(
    two_creditors: SqlUnitOfWork, tmp_path: Path
) -> None:
    uow = two_creditors
    acme = identity_for(uow, "ACME")
    first = receive_upload(uow, acme, received(tmp_path, HEADER + LEDGER, "k1"), now=NOW)
    receive_upload(uow, acme, received(tmp_path, HEADER + LEDGER.replace("250.00", "260.00"), "k2"), now=NOW)
    replay = receive_upload(uow, acme, received(tmp_path, HEADER + LEDGER, "k1-retry"), now=NOW)
    assert replay.replayed and replay.body["import"] == first.body["import"]
    reused = receive_upload(uow, acme, received(tmp_path, HEADER + "other\n", "k1-other"), now=NOW)
    assert reused.http_status == 422  # a new key: imported (and rejected)
    conflict = receive_upload(uow, acme, _with_key(received(tmp_path, HEADER + "x\n", "k1-x"), "k1"), now=NOW)
    assert conflict.http_status == 409 and "another file" in conflict.body["error"]


def _with_key(file: ReceivedFile, key: str) -> ReceivedFile:
    return ReceivedFile(file.path, file.file_name, file.content_hash, file.size_bytes, key, file.mode)


def test_a_bad_file_is_rejected_with_row_and_column_and_recorded(
    two_creditors: SqlUnitOfWork, tmp_path: Path
) -> None:
    uow = two_creditors
    acme = identity_for(uow, "ACME")
    bad = HEADER + LEDGER.replace("2026-07-31", "2026-02-31")
    answer = receive_upload(uow, acme, received(tmp_path, bad, "bad-1"), now=NOW)
    assert answer.http_status == 422 and answer.body["status"] == "rejected"
    [error] = answer.body["errors"]
    assert (error["file"], error["row"], error["column"], error["value"]) == (
        "ledger.csv",
        2,
        "DueDate",
        "2026-02-31",
    )
    assert ledger_state(uow, "ACME") == (1, 0)  # recorded as rejected, nothing written
    # A rejected file may pass later (debtors defined meanwhile): the same content is imported
    # again under a new key, but the same key gets the same answer.
    assert receive_upload(uow, acme, received(tmp_path, bad, "bad-2"), now=NOW).replayed is False
    assert receive_upload(uow, acme, _with_key(received(tmp_path, bad, "bad-3"), "bad-1"), now=NOW).replayed

    empty = receive_upload(uow, acme, received(tmp_path, "", "empty"), now=NOW)
    assert empty.http_status == 422 and empty.body["status"] == "failed" and "empty" in empty.body["error"]


def test_a_token_of_one_creditor_never_writes_another(two_creditors: SqlUnitOfWork, tmp_path: Path) -> None:
    uow = two_creditors
    acme, beta = identity_for(uow, "ACME"), identity_for(uow, "BETA")
    beta_answer = receive_upload(uow, beta, received(tmp_path, HEADER + LEDGER, "shared-key"), now=NOW)
    assert beta_answer.http_status == 200 and not beta_answer.replayed
    # The same key and the same content from ACME's token: ACME's own import, not BETA's answer.
    acme_answer = receive_upload(uow, acme, received(tmp_path, HEADER + LEDGER, "shared-key-2"), now=NOW)
    acme_same_key = receive_upload(
        uow,
        acme,
        _with_key(received(tmp_path, HEADER + "A1,x,Invoice,I9,2026-01-01,,1,1\n", "s3"), "shared-key"),
    )
    assert not acme_answer.replayed and acme_answer.body["import"] != beta_answer.body["import"]
    assert not acme_same_key.replayed
    assert ledger_state(uow, "BETA") == (1, 2)
    with uow:
        assert uow.agent_uploads.by_idempotency_key("BETA", "shared-key") is not None
        assert [u.file_name for u in uow.agent_uploads.list_recent("BETA")] == ["ledger.csv"]
        assert len(uow.agent_uploads.list_recent("ACME")) == 2
        assert uow.agent_uploads.by_idempotency_key("ACME", "shared-key-2").token_id == acme.token_id  # type: ignore[union-attr]


def test_a_second_record_with_the_same_key_returns_the_first(two_creditors: SqlUnitOfWork) -> None:
    uow = two_creditors
    acme = identity_for(uow, "ACME")
    upload = NewUpload(
        acme.token_id, "race", NOW, "f.csv", "0" * 64, 10, "full", "failed", None, 422, '{"a": 1}'
    )
    with uow:
        first = uow.agent_uploads.record("ACME", upload)
        second = uow.agent_uploads.record("ACME", NewUpload(**{**_fields(upload), "response": '{"a": 2}'}))
        uow.commit()
    assert second.id == first.id and second.response == '{"a": 1}'


def _fields(upload: NewUpload) -> dict[str, object]:
    return {name: getattr(upload, name) for name in upload.__dataclass_fields__}


def ledger_state(uow: SqlUnitOfWork, creditor: str) -> tuple[int, int]:
    """(imports recorded, documents) of the creditor."""
    with uow:
        return len(uow.imports.list_recent(creditor, 100)), len(uow.documents.import_index(creditor))


def test_answers_carry_the_upload_id(two_creditors: SqlUnitOfWork, tmp_path: Path) -> None:
    answer: UploadAnswer = receive_upload(
        two_creditors, identity_for(two_creditors, "ACME"), received(tmp_path, HEADER + LEDGER, "id")
    )
    with two_creditors as uow:
        [upload] = uow.agent_uploads.list_recent("ACME")
    assert (
        answer.body["upload"] == upload.id
        and upload.status == "applied"
        and upload.import_id == answer.body["import"]
    )
