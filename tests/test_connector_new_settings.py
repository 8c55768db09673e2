"""Settings issue 19 asked for: Entra's token scope can be set (behind a proxy or an API
gateway Graph's own host is not the audience), with the scope derived from graph_url as its
default; Google actions act as their own admin (action_subject), so the sync's subject can stay
read-only."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import responses

from access_review.connector import Action
from access_review.errors import AuthError
from entra_fake import build_fake_connector, small_tenant
from google_fake import FakeGoogle, make_connector, small_domain


def token_scopes(mock) -> list[str]:
    return [
        parse_qs(call.request.body)["scope"][0]
        for call in mock.calls
        if call.request.url.endswith("/oauth2/v2.0/token")
    ]


def test_entra_token_scope_is_derived_from_graph_url_by_default():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        t = small_tenant()
        t.install(mock)
        build_fake_connector(t).fetch_snapshot(None)
        assert set(token_scopes(mock)) == {"https://graph.microsoft.com/.default"}


def test_entra_token_scope_can_be_set():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        t = small_tenant()
        t.install(mock)
        build_fake_connector(
            t,
            token_scope="https://gateway.district.example.org/.default",  # noqa: S106 (a scope, not a password)
        ).fetch_snapshot(None)
        assert set(token_scopes(mock)) == {"https://gateway.district.example.org/.default"}
    # A value that is not an https resource with /.default is a config error, not a failed token.
    from access_review.errors import ConfigError
    from connectors.entra.client import build_settings

    with pytest.raises(
        ConfigError, match="token_scope must be an https:// resource ending in /.default"
    ):
        build_settings("entra", {"tenant_id": "t", "client_id": "c", "token_scope": "graph"})


@pytest.fixture
def fake():
    server = small_domain(FakeGoogle(admin="reader@district.org")).start()
    yield server
    server.stop()


def test_google_sync_acts_as_the_subject_and_actions_as_the_action_subject(fake, tmp_path):
    connector = make_connector(
        fake, tmp_path, subject="reader@district.org", action_subject="actions@district.org"
    )
    assert connector.fetch_snapshot().complete
    assert {t["sub"] for t in fake.token_requests} == {"reader@district.org"}
    # The action admin is a different account: the reader could not suspend anyone.
    fake.admin = "actions@district.org"
    result = connector.apply(Action("disable_account", "google", "google:account:1002"))
    assert result.status == "changed" and fake.users["1002"]["suspended"] is True
    assert fake.token_requests[-1]["sub"] == "actions@district.org"


def test_google_actions_act_as_the_subject_without_an_action_subject(fake, tmp_path):
    connector = make_connector(fake, tmp_path, subject="reader@district.org")
    fake.admin = "someone-else@district.org"
    with pytest.raises(AuthError, match="reader@district.org is not an existing user"):
        connector.apply(Action("disable_account", "google", "google:account:1002"))
