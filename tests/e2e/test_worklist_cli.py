"""`arrears worklist` end to end: one row per debtor with all its open tasks, worked with one
call; a debtor that paid since drops off, its task closed with the reason; a debtor on hold is
listed apart and not counted; the time budget counts debtors."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from cli_support import failed_with_one_line, run_in_process, succeeded

C = ("--creditor", "ACME")
FIRST = date(2026, 3, 10)  # a Tuesday
DAY = FIRST + timedelta(days=7)  # ALPHA's second invoice has reached the phone call
HEADER = (
    "DebtorCode,DebtorName,ContactName,Email,Phone,Type,Number,IssueDate,DueDate,Currency,Amount,OpenAmount"
)


def ledger_row(debtor: str, number: str, days_past_due: int, amount: str) -> str:
    """An invoice `days_past_due` days past due on FIRST."""
    due = FIRST - timedelta(days=days_past_due)
    issued = due - timedelta(days=30)
    return (
        f"{debtor},{debtor.title()} Ltd,Pat {debtor.title()},,01632 960{len(debtor):03d},Invoice,{number},"
        f"{issued.isoformat()},{due.isoformat()},GBP,{amount},{amount}"
    )


ROWS = {
    "A-1": ledger_row("ALPHA", "A-1", 31, "9000.00"),
    "A-2": ledger_row("ALPHA", "A-2", 27, "4000.00"),
    "B-1": ledger_row("BRAVO", "B-1", 31, "8000.00"),
    "C-1": ledger_row("CHARLIE", "C-1", 31, "7000.00"),
    "D-1": ledger_row("DELTA", "D-1", 31, "600.00"),
}


def write_ledger(path: Path, numbers: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *(ROWS[number] for number in numbers)]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """ALPHA with two phone calls (A-1, then A-2 a week later), BRAVO, CHARLIE and DELTA with one
    each, after a week of daily cycles."""
    workspace = tmp_path / "workspace"
    succeeded(run_in_process(workspace, "init"))
    ledger = write_ledger(tmp_path / "ledger.csv", list(ROWS))
    succeeded(run_in_process(workspace, "import", str(ledger), *C, "--new-creditor", "Acme Ltd"))
    for offset in range(8):
        day = (FIRST + timedelta(days=offset)).isoformat()
        succeeded(run_in_process(workspace, "cycle", *C, "--as-of", day))
    return workspace


def listed(home: Path) -> dict[str, object]:
    found: dict[str, object] = succeeded(
        run_in_process(home, "worklist", *C, "--as-of", DAY.isoformat(), "--format", "json")
    ).json()
    return found


def test_one_row_per_debtor_and_working_it_closes_all_its_tasks(home: Path) -> None:
    found = listed(home)
    items = found["items"]
    assert isinstance(items, list)
    assert [item["debtor"] for item in items] == ["ALPHA", "BRAVO", "CHARLIE", "DELTA"]
    alpha = items[0]
    assert [(t["step"], t["documents"]) for t in alpha["tasks"]] == [
        ("phone call", ["A-1"]),
        ("phone call", ["A-2"]),
    ]
    table = succeeded(run_in_process(home, "worklist", *C, "--as-of", DAY.isoformat())).stdout
    assert table.count("ALPHA") == 1 and "2 calls" in table

    second = str(alpha["tasks"][1]["action"])
    done = succeeded(
        run_in_process(
            home, "worklist", "done", second, *C, "--outcome", "promise", "--amount", "13000.00",
            "--on", "2026-03-20", "--note", "pays Friday",
        )
    )  # fmt: skip
    assert done.stdout.count("worked: sent") == 2 and "ALPHA: one call logged for 2 task(s)" in done.stdout
    after = listed(home)
    assert [item["debtor"] for item in after["items"]] == ["BRAVO", "CHARLIE", "DELTA"]  # type: ignore[index]
    assert after["used_minutes"] == 10  # one call, not two
    failed_with_one_line(
        run_in_process(home, "worklist", "done", second, *C), f"action {second} was already worked"
    )
    timeline = succeeded(run_in_process(home, "outbox", "timeline", *C, "--debtor", "ALPHA")).stdout
    assert timeline.count("call_logged") == 1 and "one call for actions" in timeline


def test_a_paid_debtor_drops_off_with_the_reason_and_a_held_one_is_not_counted(
    home: Path, tmp_path: Path
) -> None:
    succeeded(run_in_process(home, "budget", *C, "--hours", "0.5", "--minutes-per-call", "15"))
    # BRAVO paid: the full ledger no longer has B-1; CHARLIE promised to pay on the phone
    paid = write_ledger(tmp_path / "paid.csv", ["A-1", "A-2", "C-1", "D-1"])
    succeeded(run_in_process(home, "import", str(paid), *C))
    until = (DAY + timedelta(days=5)).isoformat()
    succeeded(
        run_in_process(home, "hold", "add", "CHARLIE", *C, "--reason", "promise_to_pay", "--until", until)
    )

    table = succeeded(run_in_process(home, "worklist", *C, "--as-of", DAY.isoformat())).stdout
    assert "closed: BRAVO action" in table and "B-1 paid, credited or written off since" in table
    assert "CHARLIE (action" in table and "not counted: on hold: promise to pay" in table
    found = listed(home)
    # two 15-minute calls fit in 30: ALPHA (both its tasks) and DELTA; CHARLIE is held, not cut
    assert [item["debtor"] for item in found["items"]] == ["ALPHA", "DELTA"]  # type: ignore[index]
    assert found["over_budget"] == [] and found["closed"] == []  # closed once, by the first build
    assert [item["debtor"] for item in found["on_hold"]] == ["CHARLIE"]  # type: ignore[index]
    timeline = succeeded(run_in_process(home, "outbox", "timeline", *C, "--debtor", "BRAVO")).stdout
    assert "suppressed" in timeline and "closed without a call" in timeline
    shown = succeeded(
        run_in_process(home, "worklist", "show", *C, "--debtor", "CHARLIE", "--as-of", DAY.isoformat())
    ).stdout
    assert "on hold: promise to pay" in shown
