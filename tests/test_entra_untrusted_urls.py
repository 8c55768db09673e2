"""The Graph bearer token goes to the configured Graph host over HTTPS, and nowhere else
(issue 15, item 7). ``graph_url = "http://…"`` was accepted and the token went out in clear;
an absolute ``@odata.nextLink`` to another host was followed with the token attached."""

from __future__ import annotations

import re

import pytest
import responses

from access_review.errors import ConfigError
from access_review.records import Snapshot
from connectors.entra.client import UntrustedUrl, build_settings
from entra_fake import Fault, FakeTenant, build_fake_connector, small_tenant

EVIL = "https://evil.example/v1.0"


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


def catch_all(rsps) -> list:
    """Anything that reaches another host (or plain http) is recorded, with its headers."""
    seen: list = []

    def record(request):
        seen.append((request.url, request.headers.get("Authorization")))
        return 200, {}, '{"value": []}'

    for method in (responses.GET, responses.POST):
        rsps.add_callback(method, re.compile(r"https://evil\.example/.*"), callback=record)
        rsps.add_callback(method, re.compile(r"http://graph\.microsoft\.com/.*"), callback=record)
    return seen


@pytest.mark.parametrize(
    "key,value",
    [
        ("graph_url", "http://graph.microsoft.com/v1.0"),
        ("graph_url", "graph.microsoft.com/v1.0"),
        ("authority_host", "http://login.microsoftonline.com"),
    ],
)
def test_non_https_endpoints_are_refused_in_the_config(key, value):
    with pytest.raises(ConfigError, match=f"{key} must be an https:// URL"):
        build_settings("entra", {"tenant_id": "t", "client_id": "c", key: value})


@pytest.mark.parametrize(
    "link",
    [
        f"{EVIL}/users?$skiptoken=abc",
        "http://graph.microsoft.com/v1.0/users?$skiptoken=abc",
        "https://graph.microsoft.com.evil.example/v1.0/users?$skiptoken=abc",
    ],
)
def test_a_next_link_to_another_host_is_not_followed_with_the_token(rsps, link):
    t = small_tenant()
    first = {
        "@odata.context": f"{t.graph_url}/$metadata#users",
        "value": [],
        "@odata.nextLink": link,
    }
    t.faults.append(Fault("GET", r"^users\?", status=200, body=first, times=5))
    seen = catch_all(rsps)
    t.install(rsps)
    with pytest.raises(UntrustedUrl, match="refusing to send the access token"):
        build_fake_connector(t).fetch_snapshot(None)
    assert seen == []


def test_a_tampered_delta_cursor_in_the_store_is_not_followed(rsps):
    """The store is not trusted with the token either: a deltaLink read back from it is checked."""
    t = small_tenant()
    seen = catch_all(rsps)
    t.install(rsps)
    previous = Snapshot(
        "entra",
        complete=True,
        cursor={
            "users_delta": f"{EVIL}/users/delta?$deltatoken=x",
            "groups_delta": f"{EVIL}/groups/delta?$deltatoken=y",
        },
    )
    with pytest.raises(UntrustedUrl):
        build_fake_connector(t).fetch_snapshot(previous)
    assert seen == []


def test_a_next_link_inside_a_batch_to_another_host_is_refused(rsps):
    t = small_tenant()
    gid = next(iter(t.groups))
    page = {"value": [], "@odata.nextLink": f"{EVIL}/groups/{gid}/members?$skiptoken=z"}
    t.faults.append(
        Fault("GET", rf"^groups/{gid}/members", status=200, body=page, times=5, in_batch=True)
    )
    seen = catch_all(rsps)
    t.install(rsps)
    with pytest.raises(UntrustedUrl):
        build_fake_connector(t, members_via="batch").fetch_snapshot(None)
    assert seen == []


def test_links_on_the_configured_host_are_followed(rsps):
    """The national-cloud host is the configured one, so its own links are followed."""
    t = FakeTenant(
        graph_url="https://graph.microsoft.us/v1.0",
        authority_host="https://login.microsoftonline.us",
    )
    for i in range(3):
        t.add_user(userPrincipalName=f"u{i}@district.us", accountEnabled=True)
    t.install(rsps)
    snap = build_fake_connector(t).fetch_snapshot(None)
    assert len(snap.accounts) == 3 and snap.complete
