"""Incremental sync: replaying deltaLinks onto the previous snapshot."""

from __future__ import annotations

import json
import pathlib
import re

import pytest
import responses

from access_review.errors import IncompleteRead
from entra_fake import GROUP_TYPE, Fault, build_fake_connector, small_tenant

FX = pathlib.Path(__file__).parent / "fixtures" / "entra"
GOLF = "45b7d2e7-b882-4a80-ba97-10b7a63b8fa4"
ADAMS = "6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0"
ADMIN = "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


def facts(snap):
    return (
        {(a.key, a.login, a.enabled, a.title) for a in snap.accounts},
        {(g.key, g.name, g.kind) for g in snap.groups},
        set(snap.memberships),
        {(g.key, g.principal_key) for g in snap.grants},
    )


def test_incremental_replays_changes_and_equals_a_fresh_full_sync(rsps):
    t = small_tenant()
    t.install(rsps)
    conn = build_fake_connector(t)
    full = conn.fetch_snapshot(None)
    assert full.cursor["users_delta"].startswith(t.graph_url + "/users/delta?$deltatoken=")
    t.change_user(ADAMS, jobTitle="Librarian", accountEnabled=False)
    newcomer = t.new_user(userPrincipalName="new@contoso.com", accountEnabled=True)
    t.change_membership(GOLF, ADAMS, added=False)
    t.change_membership(GOLF, newcomer["id"], added=True)
    t.delete_user(ADMIN)
    before = t.graph_requests
    inc = conn.fetch_snapshot(full)
    assert inc.mode == "incremental" and inc.complete
    # One $batch: users/delta + groups/delta replays, the sign-in refresh delta does not carry
    # (issue 12) and the four grant listings (no delta for those in v1.0); a second for the
    # app-role assignments of the apps the first one listed (issue 13: 8 separate requests before).
    assert t.graph_requests - before == 2
    assert (
        t.reads("GET", "users/delta") == t.reads("GET", "groups/delta") == 2
    )  # full's "latest" + replay
    assert facts(inc) == facts(conn.fetch_snapshot(None))
    adams = next(a for a in inc.accounts if a.id == ADAMS)
    assert (adams.title, adams.enabled) == ("Librarian", False)
    assert adams.last_sign_in is not None  # kept from the full sync (not tracked by delta)
    golf = {m.member_key for m in inc.memberships if m.group_key.endswith(GOLF)}
    assert f"entra:account:{ADAMS}" not in golf and f"entra:account:{newcomer['id']}" in golf
    assert all(ADMIN not in m.member_key for m in inc.memberships)


def test_no_changes_costs_two_batches(rsps):
    """Two delta replays, the sign-in refresh (issue 12: delta does not carry signInActivity) and
    the grant listings share one $batch; the app-role listings they call for, a second
    (issue 13: eight requests before)."""
    t = small_tenant()
    t.install(rsps)
    conn = build_fake_connector(t)
    full = conn.fetch_snapshot(None)
    inc = conn.fetch_snapshot(full)
    assert inc.stats["requests"] == 2 and facts(inc) == facts(full)


def test_expired_delta_token_falls_back_to_full_sync_with_a_warning(rsps):
    t = small_tenant()
    t.install(rsps)
    conn = build_fake_connector(t)
    full = conn.fetch_snapshot(None)
    t.expired_delta = True
    snap = conn.fetch_snapshot(full)
    assert snap.mode == "full" and snap.complete
    assert len(snap.warnings) == 1 and "delta token expired" in snap.warnings[0]
    assert "syncStateNotFound" in snap.warnings[0]
    assert facts(snap) == facts(full)


def test_incomplete_previous_snapshot_is_not_used_for_incremental(rsps):
    t = small_tenant()
    t.install(rsps)
    conn = build_fake_connector(t)
    full = conn.fetch_snapshot(None)
    full.complete = False
    assert conn.fetch_snapshot(full).mode == "full"


def test_delta_round_that_breaks_midway_is_incomplete_and_merges_nothing(rsps):
    t = small_tenant()
    for i in range(300):  # > 200 per delta page -> a nextLink
        t.add_user(userPrincipalName=f"x{i}@c.com")
    t.install(rsps)
    conn = build_fake_connector(t)
    full = conn.fetch_snapshot(None)
    for uid in list(t.users):
        t.change_user(uid, jobTitle="changed")
    t.faults.append(Fault("GET", r"^users/delta\?\$skiptoken=", 500, times=99))
    accounts_before = list(full.accounts)
    with pytest.raises(IncompleteRead):
        conn.fetch_snapshot(full)
    assert full.accounts == accounts_before


def test_groups_delta_doc_pages_followed_to_delta_link(rsps):
    """The docs' three-page groups/delta sequence served verbatim, as the members_via=delta
    full sync reads it: every page followed, members@delta accumulated, deltaLink kept."""
    t = small_tenant()
    t.install(rsps)
    pages = {
        None: "groups_delta_page1_nextlink.json",
        "pqwSUjGYvb3jQpbwVAwEL7yuI3dU1LecfkkfLPtnIjvB7XnF_yllFsCrZJ": "groups_delta_page2_nextlink.json",
        "pqwSUjGYvb3jQpbwVAwEL7yuI3dU1LecfkkfLPtnIjtQ5LOhVoS7qQG_wdVCHHlbQpga7": "groups_delta_page3_deltalink.json",
    }

    def serve(target):
        m = re.search(r"\$skiptoken=([^&]+)", target)
        return 200, {}, json.loads((FX / pages[m.group(1) if m else None]).read_text())

    t.overrides.append(("GET", r"^groups/delta", serve))
    snap = build_fake_connector(t, members_via="delta").fetch_snapshot(None)
    assert {g.name for g in snap.groups} == {
        "All Company",
        "sg-HR",
        "Mark 8 Project Team",
        "Sales and Marketing",
        "All Employees",
        "Remote living",
    }
    assert len(snap.memberships) == 5
    assert snap.cursor["groups_delta"].endswith(
        "$deltatoken=sZwAFZibx-LQOdZIo1hHhmmDhHzCY0Hs6snoIHJCSIfCHdqKdWNZ2VX3kErpyna9GygROwBk-rqWWMFxJC3pw"
    )


def test_members_via_delta_equals_batch(rsps):
    t = small_tenant()
    t.add_member("d7797254-3084-44d0-99c9-a3b5ab149538", GOLF, GROUP_TYPE)
    t.install(rsps)
    a = build_fake_connector(t).fetch_snapshot(None)
    b = build_fake_connector(t, members_via="delta").fetch_snapshot(None)
    assert facts(a)[1:] == facts(b)[1:]
