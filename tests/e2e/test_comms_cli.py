"""The comms commands end to end: a brand, a preview, the cycle's actions sent to the
workspace maildir (no SMTP configured), the outbox listed and retried, mistakes as one line."""

import json
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from cli_support import AS_OF, SIM, failed_with_one_line, run_in_process, succeeded


@pytest.fixture(scope="module")
def sent_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("comms") / "workspace"
    succeeded(run_in_process(home, "init"))
    succeeded(run_in_process(home, *SIM))
    succeeded(run_in_process(home, "brand", "set", "--creditor", "C001", "--sample"))
    succeeded(run_in_process(home, "cycle", "--creditor", "C001", "--as-of", AS_OF))
    succeeded(run_in_process(home, "send", "--creditor", "C001"))
    return home


def test_send_writes_real_eml_files_to_the_workspace_maildir(sent_home: Path) -> None:
    listed = succeeded(
        run_in_process(sent_home, "outbox", "list", "--creditor", "C001", "--format", "json")
    ).json()
    assert listed and {m["status"] for m in listed} == {"sent"}
    files = sorted((sent_home / "outbox" / "maildir" / "new").glob("*.eml"))
    # the file name is the creditor and the key (keys are unique per creditor only)
    assert sorted(f.stem for f in files) == sorted(
        f"C001.{m['key']}" for m in listed if m["channel"] == "email"
    )
    message = message_from_bytes(files[0].read_bytes(), policy=default)
    assert message["From"].addresses[0].addr_spec == "credit@c001.example"
    assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None


def test_the_cycles_actions_are_marked_sent(sent_home: Path) -> None:
    from arrears.store.database import make_engine, session_factory
    from arrears.store.repositories import ActionState
    from arrears.store.unit_of_work import SqlUnitOfWork

    engine = make_engine(f"sqlite:///{sent_home / 'arrears.db'}")
    try:
        with SqlUnitOfWork(session_factory(engine)) as uow:
            actions = uow.actions.list_all("C001")
            sent = {m.key for m in uow.outbox.list_messages("C001")}
    finally:
        engine.dispose()
    emailed = [a for a in actions if a.channel.value == "email"]
    assert emailed and {a.status for a in emailed} == {ActionState.SENT}
    assert {a.idempotency_key for a in emailed} <= sent


def test_send_again_sends_nothing_new(sent_home: Path) -> None:
    before = sorted((sent_home / "outbox" / "maildir" / "new").iterdir())
    outcome = succeeded(run_in_process(sent_home, "send", "--creditor", "C001"))
    assert "delivered: 0 sent" in outcome.stdout
    assert sorted((sent_home / "outbox" / "maildir" / "new").iterdir()) == before


def test_preview_prints_the_message_and_keeps_its_files(sent_home: Path, tmp_path: Path) -> None:
    debtor = succeeded(
        run_in_process(sent_home, "outbox", "list", "--creditor", "C001", "--format", "json")
    ).json()[0]["debtor"]
    outcome = succeeded(
        run_in_process(
            sent_home,
            "preview",
            "formal demand",
            "--debtor",
            debtor,
            "--creditor",
            "C001",
            "--as-of",
            AS_OF,
            "--out",
            str(tmp_path),
        )
    )
    assert "Formal demand for payment" in outcome.stdout
    pdfs = list(tmp_path.glob("formal_demand-*.pdf"))
    assert len(pdfs) == 1 and pdfs[0].read_bytes().startswith(b"%PDF")
    assert list(tmp_path.glob("letter_copy-email-*.eml"))


def test_brand_show_prints_the_brand_file(sent_home: Path) -> None:
    shown = json.loads(succeeded(run_in_process(sent_home, "brand", "show", "--creditor", "C001")).stdout)
    assert shown["payment"]["iban"] == "GB33BUKB20201555555555" and shown["mode"] == "white_label"


def test_a_brand_file_with_a_bad_iban_is_one_clear_line(sent_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "brand.yaml"
    path.write_text("trading_name: Acme\npayment:\n  iban: GB00BUKB20201555555555\n", encoding="utf-8")
    failed_with_one_line(
        run_in_process(sent_home, "brand", "set", "--creditor", "C001", "--file", str(path)),
        "brand.yaml",
        "payment.iban",
        "not a valid IBAN",
    )


def test_a_brand_missing_what_the_templates_need_is_refused_when_set(sent_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "brand.yaml"
    path.write_text("trading_name: Acme\nsender:\n  email: credit@acme.example\n", encoding="utf-8")
    line = failed_with_one_line(
        run_in_process(sent_home, "brand", "set", "--creditor", "C001", "--file", str(path))
    )
    assert "template 'formal_demand' (letter) needs" in line and "letterhead.address" in line


def test_outbox_retry_with_an_unknown_key_is_one_clear_line(sent_home: Path) -> None:
    failed_with_one_line(
        run_in_process(sent_home, "outbox", "retry", "--creditor", "C001", "nope"), "no message 'nope'"
    )


def test_preview_without_a_brand_says_how_to_set_one(sent_home: Path) -> None:
    failed_with_one_line(
        run_in_process(sent_home, "preview", "due today", "--debtor", "X", "--creditor", "C002"),
        "C002 has no brand yet",
        "arrears brand set",
    )


@pytest.fixture
def unchecked_home(tmp_path: Path) -> tuple[Path, str]:
    """A workspace with one SMS whose hand-over was interrupted and that no gateway can account
    for (none is configured): it needs checking. Returns the workspace and the message's key."""
    from datetime import UTC, date, datetime, timedelta

    from arrears.comms.dispatcher import Channels, dispatch
    from arrears.comms.message import OutboundAction
    from arrears.comms.outbox import enqueue_actions
    from arrears.core.policy import Channel
    from arrears.store.database import make_engine, session_factory
    from arrears.store.unit_of_work import SqlUnitOfWork

    home = tmp_path / "workspace"
    succeeded(run_in_process(home, "init"))
    succeeded(run_in_process(home, *SIM))
    succeeded(run_in_process(home, "brand", "set", "--creditor", "C001", "--sample"))
    engine = make_engine(f"sqlite:///{home / 'arrears.db'}")
    try:
        uow = SqlUnitOfWork(session_factory(engine))
        with uow:
            debtor = next(
                d
                for d in uow.debtors.list_all("C001")
                if d.contacts
                and d.contacts[0].phone
                and uow.documents.list_open("C001", debtor=d.account_code)
            )
            number = uow.documents.list_open("C001", debtor=debtor.account_code)[0].number
        at = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
        action = OutboundAction(
            "C001",
            debtor.account_code,
            "text",
            Channel.SMS,
            "overdue_7_days",
            (number,),
            "sms-1",
            "r",
            date(2026, 4, 1),
        )
        assert enqueue_actions(uow, "C001", [action], now=at).queued == ("sms-1",)
        with uow:  # a dispatcher marks the hand-over, then dies
            (claimed,) = uow.outbox.claim_due("C001", at, limit=5, lease=timedelta(minutes=10))
            uow.outbox.mark_handing_over("C001", claimed.id, at)
            uow.commit()
        dispatch(uow, Channels(), clock=lambda: at + timedelta(minutes=11))
    finally:
        engine.dispose()
    return home, "sms-1"


def test_a_message_that_needs_checking_is_listed_left_alone_and_resolved_by_a_person(
    unchecked_home: tuple[Path, str],
) -> None:
    home, key = unchecked_home
    listed = succeeded(
        run_in_process(home, "outbox", "list", "--creditor", "C001", "--needs-checking", "--format", "json")
    ).json()
    assert [(m["key"], m["status"], m["needs_checking"]) for m in listed] == [(key, "dead", True)]
    table = succeeded(run_in_process(home, "outbox", "list", "--creditor", "C001")).stdout
    assert "needs checking" in table and "--confirm-not-sent" in table

    blanket = succeeded(run_in_process(home, "outbox", "retry", "--creditor", "C001"))
    assert "0 messages queued again" in blanket.stdout and "1 message(s) that need checking" in blanket.stdout
    failed_with_one_line(
        run_in_process(home, "outbox", "retry", "--creditor", "C001", key),
        f"message {key} needs checking",
        f"arrears outbox retry --creditor C001 {key} --confirm-not-sent",
    )
    confirmed = succeeded(
        run_in_process(home, "outbox", "confirm-sent", key, "--creditor", "C001", "--sid", "SM42")
    )
    assert f"message {key} recorded sent (SM42)" in confirmed.stdout
    after = succeeded(run_in_process(home, "outbox", "list", "--creditor", "C001", "--format", "json")).json()
    assert [(m["key"], m["status"]) for m in after] == [(key, "sent")]
    failed_with_one_line(
        run_in_process(home, "outbox", "retry", "--creditor", "C001", "--confirm-not-sent"),
        "name the messages checked as not sent",
    )
