"""`arrears mailbox ingest --imap-host ...` against a real IMAP4rev1 server on 127.0.0.1 (pymap,
in this process; see imap_server.py), over IMAPS and STARTTLS, through Arrears' imaplib client."""

from pathlib import Path

import pytest
from cli_support import failed_with_one_line, run_in_process, succeeded
from imap_server import ImapServer, imap_server

from arrears.intake.mailbox_imap import ImapSource, _utf7

MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mailbox"
FILES = Path(__file__).resolve().parents[1] / "intake" / "files"
FIXTURES = (
    "gmail_xero_workbook.eml",
    "outlook_ledger_and_invoice.eml",
    "thunderbird_rfc2231.eml",
    "truncated.eml",
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "workspace"
    succeeded(run_in_process(home, "init"))
    ledger = str(FILES / "generic_ledger.csv")
    succeeded(run_in_process(home, "import", ledger, "-c", "ACME", "--new-creditor", "Acme Ltd"))
    return home


def ingest(home: Path, server: ImapServer, *extra: str) -> str:
    return succeeded(run_in_process(home, *_ingest_args(server), *extra)).stdout


def _ingest_args(server: ImapServer) -> tuple[str, ...]:
    return (
        "mailbox",
        "ingest",
        "-c",
        "ACME",
        "--imap-host",
        "127.0.0.1",
        "--imap-port",
        str(server.port),
        "--imap-user",
        server.user,
        "--imap-security",
        server.security,
        "--imap-cafile",
        str(server.cafile),
    )


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_an_imap_folder_is_taken_flagged_seen_and_never_emptied(
    home: Path, tmp_path: Path, security: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with imap_server(tmp_path, security=security) as server:
        monkeypatch.setenv("ARREARS_IMAP_PASSWORD", server.password)
        server.append("INBOX", *((MAIL / name).read_bytes() for name in FIXTURES))

        out = ingest(home, server)

        assert f"imap://{server.user}@127.0.0.1:{server.port}/INBOX for ACME: 4 message(s) taken" in out
        assert (
            "attachments: 2 imported, 0 rejected, 3 to key in, 2 ignored; messages: 0 ignored, 1 malformed"
            in out
        )
        assert "Rechnung Nr. 2026-114 – Müller GmbH.pdf: to key in" in out
        flags = server.flags()
        assert len(flags) == 4 and all("\\Seen" in found for found in flags.values())
        assert "0 message(s) taken, 0 taken before" in ingest(home, server)


def test_new_is_by_uid_so_a_person_reading_or_unreading_mail_changes_nothing(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with imap_server(tmp_path) as server:
        monkeypatch.setenv("ARREARS_IMAP_PASSWORD", server.password)
        server.append("INBOX", (MAIL / "outlook_ledger_and_invoice.eml").read_bytes())
        ingest(home, server)
        with server.client() as client:  # someone marks it unread, and a new message arrives read
            client.select("INBOX")
            client.uid("STORE", "1:*", "-FLAGS", r"(\Seen)")
        server.append("INBOX", (MAIL / "thunderbird_rfc2231.eml").read_bytes())
        with server.client() as client:
            client.select("INBOX")
            client.uid("STORE", "1:*", "+FLAGS", r"(\Seen)")

        out = ingest(home, server)

        assert "1 message(s) taken, 0 taken before" in out and "Facture n° 2026-114" in out
        waiting = succeeded(run_in_process(home, "mailbox", "list", "-c", "ACME", "--to-key")).stdout
        assert "(2)" in waiting


def test_a_renumbered_folder_is_read_again_and_what_was_taken_is_known_by_message_id(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = "Rechnungseingänge"  # sent to the server in modified UTF-7
    with imap_server(tmp_path) as server:
        monkeypatch.setenv("ARREARS_IMAP_PASSWORD", server.password)
        with server.client() as client:
            assert client.create(_utf7(folder))[0] == "OK"
        server.append(_utf7(folder), *((MAIL / name).read_bytes() for name in FIXTURES[:2]))
        assert "2 message(s) taken" in ingest(home, server, "--imap-folder", folder)
        with server.client() as client:  # the folder is rebuilt: a new UIDVALIDITY
            assert client.delete(_utf7(folder))[0] == "OK"
            assert client.create(_utf7(folder))[0] == "OK"
        server.append(_utf7(folder), *((MAIL / name).read_bytes() for name in FIXTURES[:3]))

        out = ingest(home, server, "--imap-folder", folder)

        assert "1 message(s) taken, 2 taken before" in out


def test_the_server_is_trusted_only_with_its_certificate_and_the_right_password(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with imap_server(tmp_path) as server:
        server.append("INBOX", (MAIL / "truncated.eml").read_bytes())
        args = _ingest_args(server)
        without_ca = args[: args.index("--imap-cafile")]
        monkeypatch.setenv("ARREARS_IMAP_PASSWORD", server.password)
        failed_with_one_line(
            run_in_process(home, *without_ca),
            f"TLS with the IMAP server 127.0.0.1:{server.port} failed:",
            "certificate",
        )
        failed_with_one_line(
            run_in_process(home, *args, "--imap-folder", "Nowhere"), "cannot open the folder 'Nowhere'"
        )
        monkeypatch.setenv("ARREARS_IMAP_PASSWORD", "wrong")
        failed_with_one_line(
            run_in_process(home, *args),
            f"the IMAP server 127.0.0.1:{server.port} refused the login of {server.user}",
        )
        assert all("\\Seen" not in found for found in server.flags().values())


def test_reading_peeks_so_a_message_is_not_seen_until_it_is_marked(tmp_path: Path) -> None:
    with imap_server(tmp_path, security="ssl") as server:
        server.append("INBOX", (MAIL / "gmail_xero_workbook.eml").read_bytes())
        with ImapSource(server.settings()) as source:
            (item,) = source.incoming(None)
            assert server.flags() == {int(item.ref): set()}
            source.mark_taken(item.ref)
        assert item.raw.replace(b"\r\n", b"\n") == (MAIL / "gmail_xero_workbook.eml").read_bytes()
        assert item.position is not None and item.position.endswith(f":{item.ref}")
        assert server.flags() == {int(item.ref): {"\\Seen"}}


def test_a_folder_name_in_modified_utf7() -> None:
    assert _utf7("Rechnungseingänge") == "Rechnungseing&AOQ-nge"
    assert _utf7("A&B Invoices") == "A&-B Invoices"
    assert _utf7("請求書") == "&istsQmb4-"  # U+8ACB U+6C42 U+66F8 as UTF-16BE, base64
