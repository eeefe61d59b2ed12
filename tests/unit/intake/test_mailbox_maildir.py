"""A Maildir as an intake mailbox (arrears.intake.mailbox_maildir.MaildirSource): which messages are
new, and how taking one marks it (a rename into cur/ with the S flag; bytes never rewritten)."""

import mailbox
import os
from pathlib import Path

import pytest

from arrears.intake import mailbox as intake_mailbox
from arrears.intake.mailbox import MailboxError
from arrears.intake.mailbox_maildir import MaildirSource

MAIL = Path(__file__).resolve().parents[2] / "fixtures" / "mailbox"


def raw(number: int) -> bytes:
    return f"From: sam@acme.example\nSubject: {number}\nMessage-ID: <{number}@acme.example>\n\nhi\n".encode()


def maildir(tmp_path: Path) -> tuple[Path, mailbox.Maildir]:
    path = tmp_path / "Maildir"
    return path, mailbox.Maildir(path, create=True)


def test_new_messages_and_unseen_ones_in_cur_are_incoming_oldest_first(tmp_path: Path) -> None:
    path, box = maildir(tmp_path)
    first = box.add(raw(1))
    unread = mailbox.MaildirMessage(raw(2))
    unread.set_subdir("cur")
    unread.set_flags("F")  # flagged, read by nobody
    second = box.add(unread)
    read = mailbox.MaildirMessage(raw(3))
    read.set_subdir("cur")
    read.set_flags("S")
    box.add(read)
    os.utime(path / "new" / first, (1_700_000_000, 1_700_000_000))

    with MaildirSource(path) as source:
        incoming = list(source.incoming(None))

    assert [item.ref for item in incoming] == [first, second]
    assert incoming[0].raw == raw(1) and incoming[0].size == len(raw(1))
    assert incoming[0].received_at is not None and incoming[0].received_at.timestamp() == 1_700_000_000
    assert incoming[0].position is None


def test_taking_a_message_renames_it_into_cur_with_the_seen_flag_and_keeps_its_bytes(
    tmp_path: Path,
) -> None:
    path, box = maildir(tmp_path)
    outlook = (MAIL / "outlook_ledger_and_invoice.eml").read_bytes()  # CRLF line ends
    key = box.add(outlook)
    flagged = mailbox.MaildirMessage(raw(2))
    flagged.set_subdir("cur")
    flagged.set_flags("F")
    other = box.add(flagged)

    with MaildirSource(path) as source:
        for item in source.incoming(None):
            source.mark_taken(item.ref)

    assert os.listdir(path / "new") == []
    assert sorted(os.listdir(path / "cur")) == sorted([f"{key}:2,S", f"{other}:2,FS"])
    assert (path / "cur" / f"{key}:2,S").read_bytes() == outlook
    with MaildirSource(path) as source:
        assert list(source.incoming(None)) == []
    assert mailbox.Maildir(path).get_message(key).get_flags() == "S"  # what a mail program sees


def test_a_message_moved_away_before_it_is_marked_is_left_alone(tmp_path: Path) -> None:
    path, box = maildir(tmp_path)
    key = box.add(raw(1))

    with MaildirSource(path) as source:
        (item,) = source.incoming(None)
        box.remove(key)
        source.mark_taken(item.ref)

    assert os.listdir(path / "cur") == []


def test_a_folder_that_is_not_a_maildir_is_refused_with_what_it_lacks(tmp_path: Path) -> None:
    (tmp_path / "new").mkdir()

    with pytest.raises(MailboxError, match="is not a Maildir: it has no cur, tmp folder"):
        MaildirSource(tmp_path)


def test_a_message_larger_than_the_limit_comes_as_its_header_with_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, box = maildir(tmp_path)
    body = raw(1) + b"x" * 5000
    box.add(body)
    monkeypatch.setattr(intake_mailbox, "MAX_MESSAGE_BYTES", 1000)

    with MaildirSource(path) as source:
        (item,) = source.incoming(None)

    assert item.too_large and item.size == len(body)
    assert item.raw.startswith(b"From: sam@acme.example") and b"xxxx" not in item.raw
