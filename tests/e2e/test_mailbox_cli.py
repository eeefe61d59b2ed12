"""`arrears mailbox ingest --maildir`, `list`, `save` and `keyed`, end to end: real messages
(tests/fixtures/mailbox) delivered into a real Maildir, the installed command in a subprocess."""

import mailbox
import os
from pathlib import Path

from cli_support import failed_with_one_line, run_console_script, run_in_process, succeeded

MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mailbox"
FILES = Path(__file__).resolve().parents[1] / "intake" / "files"
FIXTURES = (
    "gmail_xero_workbook.eml",
    "outlook_ledger_and_invoice.eml",
    "thunderbird_rfc2231.eml",
    "truncated.eml",
)


def workspace(tmp_path: Path) -> Path:
    home = tmp_path / "workspace"
    succeeded(run_in_process(home, "init"))
    ledger = str(FILES / "generic_ledger.csv")
    succeeded(run_in_process(home, "import", ledger, "-c", "ACME", "--new-creditor", "Acme Ltd"))
    return home


def deliver(path: Path, *names: str) -> Path:
    box = mailbox.Maildir(path, create=True)
    for number, name in enumerate(names):
        key = box.add((MAIL / name).read_bytes())
        os.utime(path / "new" / key, (1_795_000_000 + number,) * 2)
    return path


def test_a_maildir_is_taken_listed_and_its_pdfs_keyed_in(tmp_path: Path) -> None:
    home = workspace(tmp_path)
    maildir = deliver(tmp_path / "Maildir", *FIXTURES)

    taken = succeeded(run_console_script(home, "mailbox", "ingest", "-c", "ACME", "--maildir", str(maildir)))

    out = taken.stdout
    assert f"{maildir.resolve()} for ACME: 4 message(s) taken, 0 taken before" in out
    assert "Aged_Receivables_Detail.xlsx: imported - import #2 applied as Xero" in out
    assert "Offene Posten März.csv: imported - import #3 applied as Arrears generic ledger" in out
    assert "image001.png: ignored - an image (image/png), not a ledger or an invoice" in out
    assert "releve-2025.xls: ignored - an old Excel workbook (.xls)" in out
    assert "'ledger' - malformed: it ends before its closing MIME boundary" in out
    assert (
        "attachments: 2 imported, 0 rejected, 3 to key in, 2 ignored; messages: 0 ignored, 1 malformed" in out
    )
    assert os.listdir(maildir / "new") == [] and all(n.endswith(":2,S") for n in os.listdir(maildir / "cur"))

    again = succeeded(run_in_process(home, "mailbox", "ingest", "-c", "ACME", "--maildir", str(maildir)))
    assert "0 message(s) taken, 0 taken before" in again.stdout

    waiting = succeeded(run_in_process(home, "mailbox", "list", "-c", "ACME", "--to-key")).stdout
    assert "PDF invoices to key in, oldest first (3)" in waiting
    assert "Priya Shah" in waiting and "INV-1042.pdf" in waiting and "Facture n° 2026-114" in waiting
    everything = succeeded(run_in_process(home, "mailbox", "list", "-c", "ACME")).stdout
    assert "ACME: 4 message(s) from the mailbox, newest first" in everything
    assert "'ledger' - malformed" in everything
    assert "attachment #4 Offene Posten März.csv: imported - import #3" in everything

    saved = tmp_path / "invoice.pdf"
    succeeded(run_in_process(home, "mailbox", "save", "5", "-c", "ACME", "--to", str(saved)))
    assert saved.read_bytes() == (MAIL / "invoice-1042.pdf").read_bytes()
    keyed = succeeded(run_in_process(home, "mailbox", "keyed", "5", "-c", "ACME", "--who", "sam"))
    assert (
        "attachment #5 (INV-1042.pdf) keyed in by sam" in keyed.stdout and "2 left to key in" in keyed.stdout
    )
    assert (
        "INV-1042.pdf"
        not in succeeded(run_in_process(home, "mailbox", "list", "-c", "ACME", "--to-key")).stdout
    )
    failed_with_one_line(
        run_in_process(home, "mailbox", "keyed", "5", "-c", "ACME"),
        "attachment #5 (INV-1042.pdf) was keyed already",
    )


def test_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    home = workspace(tmp_path)
    maildir = deliver(tmp_path / "Maildir", "outlook_ledger_and_invoice.eml")
    ingest = ("mailbox", "ingest", "-c")

    failed_with_one_line(run_in_process(home, *ingest, "ACME"), "name one mailbox: --maildir DIR")
    failed_with_one_line(
        run_in_process(home, *ingest, "ACME", "--maildir", str(maildir), "--imap-host", "imap.example"),
        "name one mailbox",
    )
    failed_with_one_line(
        run_in_process(home, *ingest, "ACME", "--maildir", str(tmp_path)),
        "is not a Maildir: it has no cur, new, tmp",
    )
    failed_with_one_line(
        run_in_process(home, *ingest, "NOPE", "--maildir", str(maildir)), "there is no creditor 'NOPE'"
    )
    failed_with_one_line(
        run_in_process(home, *ingest, "ACME", "--imap-host", "imap.example", "--imap-user", "u"),
        "set ARREARS_IMAP_PASSWORD to the password of u on imap.example",
    )
    failed_with_one_line(
        run_in_process(home, "mailbox", "keyed", "1", "-c", "ACME"), "no mailbox attachment #1"
    )
    succeeded(run_in_process(home, *ingest, "ACME", "--maildir", str(maildir)))
    failed_with_one_line(
        run_in_process(home, "mailbox", "keyed", "2", "-c", "ACME"),
        "attachment #2 (Offene Posten März.csv) is not a PDF waiting to be keyed in: it was imported",
    )
    failed_with_one_line(
        run_in_process(home, "mailbox", "save", "2", "-c", "ACME"), "only PDFs to key in are kept"
    )
    target = tmp_path / "taken.pdf"
    target.write_bytes(b"mine")
    failed_with_one_line(
        run_in_process(home, "mailbox", "save", "3", "-c", "ACME", "--to", str(target)), "exists already"
    )
    assert target.read_bytes() == b"mine"
