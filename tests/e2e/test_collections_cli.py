"""The collections commands end to end on a simulated workspace: cycle, approvals, worklist,
explain, and the set-up a creditor needs (policy, service, holds, budget)."""

from datetime import date
from pathlib import Path

import pytest
from cli_support import AS_OF, SIM, failed_with_one_line, run_in_process, succeeded

from arrears.services.cycle import run_cycle
from arrears.store.database import make_engine, session_factory
from arrears.store.unit_of_work import SqlUnitOfWork

APPROVAL_POLICY = """\
name: Approve the demand
version: 7
currency: GBP
steps:
  - name: reminder
    offset_days: 0
    channel: email
    template: due_today
  - name: demand
    offset_days: 20
    channel: letter
    template: formal_demand
    needs_approval: true
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    succeeded(run_in_process(workspace, "init"))
    succeeded(run_in_process(workspace, *SIM))
    return workspace


def cycle_json(home: Path, *options: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = succeeded(
        run_in_process(home, "cycle", "--as-of", AS_OF, "--format", "json", *options)
    ).json()
    return rows


def test_cycle_prints_what_it_planned_and_a_second_run_adds_nothing(home: Path) -> None:
    first = succeeded(run_in_process(home, "cycle", "--as-of", AS_OF))

    assert f"C001 as of {AS_OF}: " in first.stdout and f"C002 as of {AS_OF}: " in first.stdout
    assert "planned" in first.stdout and "(policy 'UK standard' v1)" in first.stdout
    again = cycle_json(home)
    assert [(row["creditor"], row["planned"], row["awaiting_approval"]) for row in again] == [
        ("C001", 0, 0),
        ("C002", 0, 0),
    ]


def test_dry_run_records_nothing_and_the_real_run_plans_the_same(home: Path) -> None:
    dry = cycle_json(home, "--creditor", "C001", "--dry-run")
    real = cycle_json(home, "--creditor", "C001")

    assert dry[0]["run_id"] is None and dry[0]["dry_run"] is True
    assert real[0]["run_id"] is not None
    assert (dry[0]["planned"], dry[0]["by_step_and_channel"]) == (
        real[0]["planned"],
        real[0]["by_step_and_channel"],
    )
    assert isinstance(real[0]["planned"], int) and real[0]["planned"] > 0


def test_a_policy_file_drives_the_cycle_and_approvals_are_decided_with_a_reason(
    home: Path, tmp_path: Path
) -> None:
    policy = tmp_path / "approve.yaml"
    policy.write_text(APPROVAL_POLICY, encoding="utf-8")
    stored = succeeded(run_in_process(home, "policy", "set", str(policy), "--creditor", "C001"))
    assert "stored as version 1 (2 steps, from approve.yaml)" in stored.stdout
    shown = succeeded(run_in_process(home, "policy", "show", "--creditor", "C001")).stdout
    assert "name: Approve the demand" in shown and "needs_approval: true" in shown

    (report,) = cycle_json(home, "--creditor", "C001")
    assert report["policy"] == "Approve the demand"
    assert isinstance(report["awaiting_approval"], int) and report["awaiting_approval"] >= 2
    waiting = succeeded(
        run_in_process(home, "approvals", "list", "--creditor", "C001", "--format", "json")
    ).json()
    assert len(waiting) == report["awaiting_approval"]
    first, second = waiting[0], waiting[1]
    assert first["step"] == "demand" and first["documents"] and first["open_amounts"]

    approved = succeeded(
        run_in_process(home, "approvals", "approve", str(first["id"]), "--creditor", "C001", "--on", AS_OF)
    )
    assert f"action {first['id']} ('demand' for {first['debtor']}) approved" in approved.stdout
    failed_with_one_line(
        run_in_process(home, "approvals", "reject", str(second["id"]), "--creditor", "C001"), "give a reason"
    )
    succeeded(
        run_in_process(
            home, "approvals", "reject", str(second["id"]), "--creditor", "C001", "--reason", "good customer"
        )
    )
    failed_with_one_line(
        run_in_process(home, "approvals", "approve", str(second["id"]), "--creditor", "C001"),
        f"action {second['id']}",
        "is rejected",
    )
    left = succeeded(
        run_in_process(home, "approvals", "list", "--creditor", "C001", "--format", "json")
    ).json()
    assert {row["id"] for row in left} == {row["id"] for row in waiting} - {first["id"], second["id"]}


def test_a_broken_policy_file_is_refused_on_one_line_naming_the_field(home: Path, tmp_path: Path) -> None:
    policy = tmp_path / "broken.yaml"
    policy.write_text(APPROVAL_POLICY.replace("channel: letter", "channel: fax"), encoding="utf-8")

    failed_with_one_line(
        run_in_process(home, "policy", "set", str(policy), "--creditor", "C001"),
        "broken.yaml",
        "step 2 'demand'",
        "'fax' is not one of email, sms, letter, call",
    )
    versions = succeeded(run_in_process(home, "policy", "versions", "--creditor", "C001"))
    assert "has set no policy" in versions.stdout


def test_service_off_plans_nothing_and_on_again_catches_up(home: Path) -> None:
    off = succeeded(run_in_process(home, "service", "off", "--creditor", "C001", "--from", "2026-03-01"))
    assert "the service is off on 2026-03-01" in off.stdout

    (report,) = cycle_json(home, "--creditor", "C001")
    assert report["service_on"] is False and report["planned"] == 0
    failed_with_one_line(
        run_in_process(home, "service", "off", "--creditor", "C001", "--from", "2026-03-05"), "already off"
    )
    succeeded(run_in_process(home, "service", "on", "--creditor", "C001", "--from", AS_OF))
    (back,) = cycle_json(home, "--creditor", "C001")
    assert back["service_on"] is True and isinstance(back["planned"], int) and back["planned"] > 0


def test_holds_are_added_listed_and_lifted(home: Path) -> None:
    debtor = first_debtor_with_an_action(home)
    dispute = ("--reason", "dispute", "--from", "2026-03-30", "--note", "wrong goods")
    added = succeeded(run_in_process(home, "hold", "add", debtor, "--creditor", "C001", *dispute))
    assert f"hold 1 on {debtor}: dispute since 2026-03-30 (wrong goods)" in added.stdout
    holds = succeeded(run_in_process(home, "hold", "list", "--creditor", "C001", "--format", "json")).json()
    assert [(h["id"], h["debtor"], h["reason"]) for h in holds] == [(1, debtor, "dispute")]

    (report,) = cycle_json(home, "--creditor", "C001")
    assert report["skipped_by_reason"].get("held: dispute") == 1  # type: ignore[union-attr]
    lifted = succeeded(run_in_process(home, "hold", "lift", "1", "--creditor", "C001", "--on", "2026-04-01"))
    assert "lifted from 2026-04-01" in lifted.stdout
    failed_with_one_line(
        run_in_process(home, "hold", "add", debtor, "--creditor", "C001", "--reason", "holiday"),
        "hold reason 'holiday' is not one of dispute, promise_to_pay",
    )


def first_debtor_with_an_action(home: Path) -> str:
    """The debtor of the first action C001's cycle would plan on AS_OF (a dry run on the store)."""
    engine = make_engine(f"sqlite:///{home / 'arrears.db'}")
    try:
        report = run_cycle(
            SqlUnitOfWork(session_factory(engine)), "C001", date.fromisoformat(AS_OF), dry_run=True
        )
    finally:
        engine.dispose()
    return report.actions[0].debtor


def test_worklist_shows_call_tasks_within_the_budget_and_done_takes_one_off(home: Path) -> None:
    for day in ("2026-03-31", "2026-04-01", "2026-04-02", "2026-04-07", "2026-04-08"):
        succeeded(run_in_process(home, "cycle", "--creditor", "C001", "--as-of", day))
    budget = succeeded(
        run_in_process(home, "budget", "--creditor", "C001", "--hours", "0.5", "--flag-above", "1000")
    )
    assert "time budget 0.5 hours a month, 10 minutes a call, flag above 1,000.00 GBP" in budget.stdout

    listed = succeeded(
        run_in_process(home, "worklist", "--creditor", "C001", "--as-of", "2026-04-08", "--format", "json")
    ).json()
    assert listed["remaining_minutes"] == 30 and 0 < len(listed["items"]) <= 3
    first = listed["items"][0]
    done = succeeded(
        run_in_process(
            home, "worklist", "done", str(first["action"]), "--creditor", "C001", "--note", "will pay"
        )
    )
    assert "worked: sent" in done.stdout
    table = succeeded(run_in_process(home, "worklist", "--creditor", "C001", "--as-of", "2026-04-08"))
    assert "worklist as of 2026-04-08" in table.stdout
    failed_with_one_line(run_in_process(home, "worklist"), "name the creditor")


def test_explain_prints_the_timeline_and_what_comes_next(home: Path) -> None:
    debtor = first_debtor_with_an_action(home)
    succeeded(run_in_process(home, "cycle", "--creditor", "C001", "--as-of", AS_OF))

    outcome = succeeded(run_in_process(home, "explain", debtor, "--as-of", AS_OF))

    lines = outcome.stdout.splitlines()
    assert f"({debtor}) at " in lines[0] and "(C001)" in lines[0]
    assert any("document  invoice" in line for line in lines)
    assert any("action    action" in line and "planned" in line for line in lines)
    assert any(line.startswith("next: ") for line in lines)


def test_unknown_creditor_or_debtor_is_one_line(home: Path) -> None:
    failed_with_one_line(
        run_in_process(home, "cycle", "--creditor", "NOPE", "--as-of", AS_OF), "no creditor 'NOPE'"
    )
    failed_with_one_line(run_in_process(home, "explain", "NOPE"), "no creditor has a debtor 'NOPE'")
    failed_with_one_line(run_in_process(home, "cycle", "--as-of", "31/03/2026"), "is not a date")


def test_cycle_send_delivers_the_days_messages_and_puts_calls_in_the_worklist_with_their_card(
    home: Path,
) -> None:
    succeeded(run_in_process(home, "brand", "set", "--creditor", "C001", "--sample"))
    for day in ("2026-03-31", "2026-04-01", "2026-04-02", "2026-04-07", "2026-04-08"):
        outcome = succeeded(run_in_process(home, "cycle", "--creditor", "C001", "--as-of", day, "--send"))
        assert f"C001 as of {day}: " in outcome.stdout and "delivered: " in outcome.stdout
    assert list((home / "outbox" / "maildir" / "new").glob("*.eml"))
    again = succeeded(
        run_in_process(
            home, "cycle", "--creditor", "C001", "--as-of", "2026-04-08", "--send", "--format", "json"
        )
    ).json()
    assert again[0]["planned"] == 0 and again[0]["send"]["queued"] == 0
    assert set(again[0]["send"]["delivered"]) >= {"sent", "deferred", "needs checking"}

    listed = succeeded(
        run_in_process(home, "worklist", "--creditor", "C001", "--as-of", "2026-04-08", "--format", "json")
    ).json()
    calls = [item for item in listed["items"] if item["kind"] == "call"]
    assert calls and all(item["call_task"] is not None and item["card"] for item in calls)
    assert len({item["action"] for item in listed["items"]}) == len(listed["items"])  # each task once
    shown = succeeded(
        run_in_process(
            home, "worklist", "show", str(calls[0]["action"]), "--creditor", "C001", "--as-of", "2026-04-08"
        )
    )
    assert f"call task {calls[0]['call_task']}" in shown.stdout and "calling from" in shown.stdout
    done = succeeded(
        run_in_process(
            home, "worklist", "done", str(calls[0]["action"]), "--creditor", "C001",
            "--outcome", "promise", "--amount", "250.00", "--on", "2026-04-10", "--note", "pays Friday",
        )
    )  # fmt: skip
    assert "worked: sent" in done.stdout
    timeline = succeeded(
        run_in_process(home, "outbox", "timeline", "--creditor", "C001", "--debtor", calls[0]["debtor"])
    )
    assert "promise of" in timeline.stdout


def test_cycle_dry_run_with_send_is_refused_in_one_line(home: Path) -> None:
    failed_with_one_line(
        run_in_process(home, "cycle", "--creditor", "C001", "--as-of", AS_OF, "--dry-run", "--send"),
        "a dry run records nothing, so there is nothing to send",
    )
