"""Suspension internals with small in-process directories: the case store, concurrency across
directories, the order "record, then change", attribution after an interruption, restore
bookkeeping. (The whole flow on the demo district is in test_suspension_demo.py.)"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from access_review import audit
from access_review.errors import AccessReviewError, RetryableError
from access_review.store import Store
from access_review.suspension.apply import apply_case
from access_review.suspension.plan import AccountPlan, PlannedStep, SuspensionPlan
from access_review.suspension.restore import apply_restore, plan_restore
from access_review.suspension.store import SuspensionStore, case_state
from access_review.connector import Action, ActionResult


class Directory:
    """A directory of accounts held in a dict; actions behave like the real ones (idempotent,
    prior state returned). ``before_change`` runs inside apply, before anything changes."""

    def __init__(
        self,
        name: str,
        enabled: dict[str, bool],
        *,
        delay: float = 0.0,
        fail: bool = False,
        before_change=None,
    ):
        self.name, self.type = name, "test"
        self.enabled, self.delay, self.fail, self.before_change = (
            enabled,
            delay,
            fail,
            before_change,
        )
        self.calls: list[tuple[str, str]] = []

    def apply(self, action: Action) -> ActionResult:
        if self.before_change:
            self.before_change(action)
        time.sleep(self.delay)
        if self.fail:
            raise RetryableError(self.name, "PATCH /users", "503 Service Unavailable")
        self.calls.append((action.kind, action.target))
        if action.kind == "revoke_sessions":
            return ActionResult(action, "changed", after={"sessions_revoked": True})
        wanted = action.kind == "enable_account"
        prior = {"enabled": self.enabled[action.target]}
        if prior["enabled"] == wanted:
            return ActionResult(action, "unchanged", prior=prior, after=prior)
        self.enabled[action.target] = wanted
        return ActionResult(action, "changed", prior=prior, after={"enabled": wanted})


def account(
    source: str, n: int, *, enabled: bool = True, kinds=("disable_account",)
) -> AccountPlan:
    key = f"{source}:account:{n}"
    steps = tuple(PlannedStep(key, source, k, k.replace("_", " ")) for k in kinds)
    return AccountPlan(
        key=key,
        source=source,
        directory=source,
        login=f"user{n}@{source}",
        display_name="",
        person="person:E1",
        enabled=enabled,
        disposition="suspend" if enabled else "already disabled",
        steps=steps,
    )


def plan_of(*accounts: AccountPlan) -> SuspensionPlan:
    return SuspensionPlan(targets=("E1",), persons=("person:E1",), accounts=accounts)


@pytest.fixture
def sstore(tmp_path):
    with Store(tmp_path / "store.db") as store:
        yield SuspensionStore(store)


def test_directories_are_changed_concurrently(sstore):
    directories = {
        s: Directory(s, {f"{s}:account:1": True}, delay=1.0) for s in ("ad", "entra", "google")
    }
    sstore.record_plan("C", "r", None, plan_of(*(account(s, 1) for s in directories)), "iso")

    report = apply_case(sstore, "C", directories.__getitem__)

    assert report.complete
    assert report.seconds < 2.2, report.seconds_by_source  # one after another would take 3 s
    assert all(not d.enabled[f"{s}:account:1"] for s, d in directories.items())


def test_the_step_is_recorded_as_started_before_the_directory_is_called(sstore, tmp_path):
    seen = []

    def look(action):
        # What a second process (or a crash report) would find in the store at this moment.
        with sqlite3.connect(tmp_path / "store.db") as db:
            seen.append(
                db.execute(
                    "SELECT status, planned_prior FROM suspension_steps WHERE account_key=?",
                    (action.target,),
                ).fetchone()
            )
            seen.append(
                db.execute("SELECT action FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()[0]
            )

    d = Directory("ad", {"ad:account:1": True}, before_change=look)
    sstore.record_plan("C", "r", None, plan_of(account("ad", 1)), "iso")
    apply_case(sstore, "C", lambda s: d)

    assert seen == [("started", '{"enabled": true}'), "suspension.step.begin"]
    step = sstore.steps("C")[0]
    assert step.status == "changed" and step.ours and step.prior == {"enabled": True}


def test_a_failing_directory_stops_only_its_own_steps(sstore):
    ad = Directory("ad", {"ad:account:1": True})
    google = Directory("google", {"google:account:1": True, "google:account:2": True}, fail=True)
    sstore.record_plan(
        "C", "r", None, plan_of(account("ad", 1), account("google", 1), account("google", 2)), "iso"
    )

    report = apply_case(sstore, "C", {"ad": ad, "google": google}.__getitem__)

    assert not report.complete and "503" in report.failed_sources["google"]
    assert [(o.account_key, o.status) for o in report.outcomes if o.source == "google"] == [
        ("google:account:1", "failed"),
        ("google:account:2", "not run"),
    ]
    assert ad.enabled["ad:account:1"] is False
    assert case_state(sstore.require_case("C"), sstore.steps("C")) == "incomplete"

    google.fail = False
    second = apply_case(sstore, "C", {"ad": ad, "google": google}.__getitem__)
    assert second.complete
    assert ad.calls == [("disable_account", "ad:account:1")]  # not repeated
    assert sorted(google.calls) == [
        ("disable_account", "google:account:1"),
        ("disable_account", "google:account:2"),
    ]


def test_an_interrupted_step_found_done_is_attributed_to_the_case_only_if_it_was_enabled(sstore):
    d = Directory("ad", {"ad:account:1": True, "ad:account:2": False})
    sstore.record_plan(
        "C", "r", None, plan_of(account("ad", 1), account("ad", 2, enabled=False)), "iso"
    )
    for step in sstore.steps("C"):
        sstore.mark_started(step.id)  # the process died with both calls in flight...
    d.enabled["ad:account:1"] = False  # ...after the first had reached the directory

    apply_case(sstore, "C", lambda s: d)

    ours = {s.account_key: s.ours for s in sstore.steps("C")}
    assert ours == {"ad:account:1": True, "ad:account:2": False}
    plan = plan_restore(sstore, "C", {}, {})
    assert [(i.account_key, i.action) for i in plan.items] == [
        ("ad:account:1", "re-enable"),
        ("ad:account:2", "leave disabled"),
    ]


def test_recording_the_same_plan_twice_adds_nothing_and_a_restored_case_stays_closed(sstore):
    plan = plan_of(
        account("ad", 1, kinds=("disable_account",)),
        account("entra", 1, kinds=("revoke_sessions",)),
    )
    _, new = sstore.record_plan("C", "r", None, plan, "iso")
    assert len(new) == 2
    _, again = sstore.record_plan("C", "r", None, plan, "iso")
    assert again == []

    d = {
        "ad": Directory("ad", {"ad:account:1": True}),
        "entra": Directory("entra", {"entra:account:1": True}),
    }
    apply_case(sstore, "C", d.__getitem__)
    report = apply_restore(sstore, plan_restore(sstore, "C", {}, {}), d.__getitem__)
    assert report.restored_case and d["ad"].enabled["ad:account:1"] is True
    with pytest.raises(AccessReviewError, match="restored and is closed"):
        sstore.record_plan("C", "r", None, plan, "iso")
    assert [e.action for e in audit.entries(sstore.store, action_prefix="suspension.restore")][
        -1
    ] == "suspension.restore"


def test_restore_refuses_an_incomplete_case(sstore):
    sstore.record_plan("C", "r", None, plan_of(account("ad", 1)), "iso")
    with pytest.raises(AccessReviewError, match="not complete") as info:
        plan_restore(sstore, "C", {}, {})
    assert "suspend --resume C --apply" in info.value.hint


def test_store_writes_happen_on_the_calling_thread(sstore):
    """SQLite connections are thread-bound: workers must hand their writes to the caller."""
    threads = []
    d = Directory(
        "ad",
        {"ad:account:1": True},
        before_change=lambda a: threads.append(threading.current_thread()),
    )
    sstore.record_plan("C", "r", None, plan_of(account("ad", 1)), "iso")
    apply_case(sstore, "C", lambda s: d)  # would raise sqlite3.ProgrammingError otherwise
    assert threads and threads[0] is not threading.main_thread()
    assert sstore.steps("C")[0].status == "changed"
