"""The sync agent's own rules, without a server: which addresses it will send to, the backoff,
which files it takes and when (stable, not temporary), and its spool and journal on disk.
(Sending, with the real server, is in tests/e2e/test_sync_agent.py.)"""

import os
import random
from pathlib import Path

import pytest

from arrears.intake.agent import Agent, AgentConfig, AgentError, Backoff, check_server_url
from arrears.intake.agent_spool import Spool, SpoolError

NEVER_CONTACTED = "http://127.0.0.1:9"  # these tests only look at the folder


@pytest.mark.parametrize(
    "url",
    [
        "https://arrears.example.com",
        "https://arrears.example.com/",
        "http://127.0.0.1:8000",
        "http://localhost:8000/",
        "http://[::1]:8000",
        "http://127.8.9.10",
    ],
)
def test_https_anywhere_and_plain_http_to_this_machine_are_accepted(url: str) -> None:
    assert check_server_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url", ["http://arrears.example.com", "http://192.0.2.10:8000", "http://[2001:db8::1]"]
)
def test_plain_http_to_another_machine_needs_insecure(url: str) -> None:
    with pytest.raises(AgentError, match="--insecure"):
        check_server_url(url)
    assert check_server_url(url, insecure=True) == url


@pytest.mark.parametrize("url", ["ftp://example.com", "arrears.example.com", "https://", ""])
def test_what_is_not_an_http_url_is_refused(url: str) -> None:
    with pytest.raises(AgentError, match="not an http"):
        check_server_url(url, insecure=True)


def test_the_backoff_doubles_with_jitter_up_to_its_cap() -> None:
    backoff = Backoff(base=1.0, cap=60.0)
    rng = random.Random(7)
    for failures in range(1, 30):
        ceiling = min(60.0, 2.0 ** (failures - 1))
        delays = [backoff.delay(failures, rng) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 1  # jittered: agents that failed together do not return together
    assert max(backoff.delay(100, rng) for _ in range(100)) <= 60.0


def make_agent(tmp_path: Path, **options: object) -> Agent:
    folder = tmp_path / "exports"
    folder.mkdir(exist_ok=True)
    return Agent(AgentConfig(folder, NEVER_CONTACTED, "t", tmp_path / "spool", **options))  # type: ignore[arg-type]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "exports" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def bump(path: Path, text: str) -> None:
    """Change the file and make sure its modification time moves, however coarse the clock."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


def test_a_file_is_spooled_only_once_it_is_the_same_at_two_looks(tmp_path: Path) -> None:
    with make_agent(tmp_path) as agent:
        path = write(tmp_path, "ledger.csv", "a,b\n1,2\n")
        assert agent.spool_changes() == []  # first seen
        bump(path, "a,b\n1,2\n3,4\n")  # still being written
        assert agent.spool_changes() == []
        [version] = agent.spool_changes()  # unchanged since the last look
        assert (version.path, version.size, version.state) == ("ledger.csv", 12, "pending")
        assert agent.spool.copy_of(version).read_text(encoding="utf-8") == "a,b\n1,2\n3,4\n"
        assert agent.spool_changes() == [] and agent.spool_changes() == []


def test_temporary_hidden_and_other_files_are_never_taken(tmp_path: Path) -> None:
    with make_agent(tmp_path) as agent:
        for name in (
            "~$ledger.xlsx",
            ".~lock.ledger.csv#",
            "ledger.tmp",
            "~WRL0001.tmp",
            "ledger.csv.crdownload",
            "ledger.csv.part",
            "ledger.csv.download",
            ".DS_Store",
            ".hidden.csv",
            "notes.docx",
            "sub/ledger.csv",
        ):
            write(tmp_path, name, "x\n")
        write(tmp_path, "Ledger.CSV", "x\n")
        write(tmp_path, "aged.xlsx", "x\n")
        agent.spool_changes()
        assert sorted(v.path for v in agent.spool_changes()) == ["Ledger.CSV", "aged.xlsx"]


def test_recursive_takes_sub_folders_but_not_hidden_ones(tmp_path: Path) -> None:
    with make_agent(tmp_path, recursive=True, include=("*.csv",)) as agent:
        write(tmp_path, "2026/11/ledger.csv", "x\n")
        write(tmp_path, ".dropbox.cache/ledger.csv", "x\n")
        agent.spool_changes()
        assert [v.path for v in agent.spool_changes()] == ["2026/11/ledger.csv"]


def test_the_same_content_is_never_spooled_twice_even_after_a_restart(tmp_path: Path) -> None:
    path = write(tmp_path, "ledger.csv", "v1\n")
    with make_agent(tmp_path) as agent:
        agent.spool_changes()
        assert len(agent.spool_changes()) == 1
    bump(path, "v1\n")  # re-exported, identical
    with make_agent(tmp_path) as restarted:
        restarted.spool_changes()
        assert restarted.spool_changes() == []
        bump(path, "v2\n")
        restarted.spool_changes()
        assert [v.sha256[:8] for v in restarted.spool_changes()] != []
        assert [v.state for v in restarted.spool.recent()] == ["pending", "superseded"]


def test_a_full_ledger_not_yet_sent_is_superseded_by_a_newer_one_but_part_ledgers_all_go(
    tmp_path: Path,
) -> None:
    for mode, states in (("full", ["pending", "superseded"]), ("part", ["pending", "pending"])):
        case = tmp_path / mode
        path = write(case, "ledger.csv", "v1\n")
        with make_agent(case, mode=mode) as agent:
            agent.spool_changes()
            [first] = agent.spool_changes()
            bump(path, "v2\n")
            agent.spool_changes()
            agent.spool_changes()
            assert [v.state for v in agent.spool.recent()] == states
            assert agent.spool.copy_of(first).exists() == (mode == "part")


def test_a_file_that_changed_while_being_copied_is_left_for_the_next_look(tmp_path: Path) -> None:
    path = write(tmp_path, "ledger.csv", "v1\n")
    with Spool(tmp_path / "spool", watched=tmp_path / "exports") as spool:
        status = path.stat()
        assert spool.add("ledger.csv", path, (status.st_size, status.st_mtime_ns - 1), "full") is None
        assert spool.recent() == [] and list(spool.files.iterdir()) == []
        assert spool.add("ledger.csv", path, (status.st_size, status.st_mtime_ns), "full") is not None


def test_one_agent_per_spool_and_one_folder_per_spool(tmp_path: Path) -> None:
    with make_agent(tmp_path), pytest.raises(SpoolError, match="another agent"):
        make_agent(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(SpoolError, match="belongs to the folder"):
        Agent(AgentConfig(tmp_path / "elsewhere", NEVER_CONTACTED, "t", tmp_path / "spool"))
    with pytest.raises(AgentError, match="inside the watched folder"):
        Agent(AgentConfig(tmp_path / "exports", NEVER_CONTACTED, "t", tmp_path / "exports" / ".spool"))
    with pytest.raises(AgentError, match="no such folder"):
        Agent(AgentConfig(tmp_path / "missing", NEVER_CONTACTED, "t", tmp_path / "spool2"))


def test_a_copy_left_without_a_journal_row_by_a_crash_is_removed(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    with Spool(tmp_path / "spool", watched=tmp_path / "exports") as spool:
        (spool.files / "abc-ledger.csv.partial").write_text("half", encoding="utf-8")
    with Spool(tmp_path / "spool", watched=tmp_path / "exports") as spool:
        assert list(spool.files.iterdir()) == []


def test_a_version_whose_copy_was_deleted_by_hand_is_marked_failed_not_retried(tmp_path: Path) -> None:
    write(tmp_path, "ledger.csv", "v1\n")
    with make_agent(tmp_path) as agent:
        agent.spool_changes()
        [version] = agent.spool_changes()
        agent.spool.copy_of(version).unlink()
        result = agent.send_pending()  # returns before any request: nothing listens at NEVER_CONTACTED
        [(failed, message)] = result.failed
        assert failed.state == "failed" and "missing" in message and result.waiting == 0
