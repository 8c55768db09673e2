"""The web review page without a browser (Starlette's TestClient drives its plain forms, as a
browser without JavaScript would): what a personal link opens and what it refuses — expired,
reissued, revoked, tampered and foreign links —, CSRF, another reviewer's item, the same rules
and audit log as the workbook, security headers, hostile names, rate limiting, the refusal to
serve in clear beyond loopback, and a sync holding the store's write lock."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from access_review import audit
from access_review.cli import app as cli_app
from access_review.errors import ConfigError, SecretError
from campaigns import lifecycle
from campaigns.links import build_token, link_key, reissue_link
from campaigns.model import Decision
from campaigns.store import CampaignStore
from review_web.app import build_app
from review_web.session import SESSION_HOURS
from review_web.settings import serve_settings
from web_env import AS_OF, BIDI, BRACKETS, SCRIPT_NAME, open_campaign
from loopback import free_port, write_self_signed_certificate

runner = CliRunner()
EVERYWHERE = "0.0.0.0"  # noqa: S104 (the address the server must refuse without TLS; the tests bind nothing to it)
TODAY = date.fromisoformat(AS_OF)


class Clock:
    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def district(demo):
    return open_campaign(demo, free_port())


def client_for(d, *, https: bool = False, clock=None, link_attempts=(20, 600.0)) -> TestClient:
    cfg = d.config
    web = build_app(
        cfg,
        link_key(cfg),
        clock=clock or time.time,
        today=lambda: TODAY,
        link_attempts=link_attempts,
    )
    return TestClient(
        web, base_url="https://testserver" if https else "http://testserver", follow_redirects=False
    )


def path_of(url: str) -> str:
    return urlsplit(url).path


def signed_in(d, reviewer: str, **kwargs) -> TestClient:
    client = client_for(d, **kwargs)
    response = client.get(path_of(d.links[reviewer]))
    assert response.status_code == 200, response.text
    return client


class Form(HTMLParser):
    """Every form on a page: its action and hidden fields; and every tag's attributes."""

    def __init__(self, text: str):
        super().__init__()
        self.forms, self.tags = [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "fields": {}})
        elif tag == "input" and attrs.get("type") == "hidden" and self.forms:
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value", "")


def csrf_of(client: TestClient) -> str:
    page = client.get("/review")
    assert page.status_code == 200, page.text
    return Form(page.text).forms[0]["fields"]["csrf"]


def audit_actions(d, action: str) -> list:
    with d.store() as store:
        return [e for e in audit.entries(store) if e.action == action]


# ---------------------------------------------------------------- opening a link


def test_a_link_sets_a_strict_httponly_session_and_leaves_the_address_bar(district):
    reviewer = district.reviewer_with(lambda i: i.flagged)
    client = client_for(district)
    token = path_of(district.links[reviewer])
    response = client.get(token)
    assert response.status_code == 200
    # The page moves on to /review by itself (a same-site navigation, which carries a Strict cookie).
    assert '<meta http-equiv="refresh" content="0; url=/review">' in response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("review_session=")
    assert (
        "HttpOnly" in cookie
        and "SameSite=strict" in cookie
        and "Path=/" in cookie
        and "Secure" not in cookie
    )
    page = client.get("/review")
    assert page.status_code == 200
    mine = district.items(reviewer)
    assert f"{len(mine)} items to review" in page.text and "0 of" in page.text
    assert token.split("/")[-1] not in page.text  # the token is nowhere on the page
    opened = audit_actions(district, "campaign.link.open")
    assert [(e.details["reviewer"], e.details["client"], e.actor) for e in opened] == [
        (reviewer, "testclient", f"web:{reviewer}")
    ]


def test_over_tls_the_cookie_is_secure_and_host_only(district):
    reviewer = next(iter(district.links))
    client = client_for(district, https=True)
    response = client.get(path_of(district.links[reviewer]))
    cookie = response.headers["set-cookie"]
    assert (
        cookie.startswith("__Host-review_session=")
        and "Secure" in cookie
        and "Domain" not in cookie
    )
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert client.get("/review").status_code == 200


@pytest.mark.parametrize(
    "mangle, what",
    [
        (lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), "tampered signature"),
        (lambda t: t.replace(t.split(".")[1], "aXNv", 1), "another reviewer named in the token"),
        (lambda t: t[:40], "cut short"),
        (lambda t: "not-a-token", "not a token at all"),
    ],
)
def test_a_tampered_link_is_a_clear_page_and_opens_nothing(district, mangle, what):
    reviewer = next(iter(district.links))
    client = client_for(district)
    token = path_of(district.links[reviewer]).split("/")[-1]
    response = client.get(f"/r/{mangle(token)}")
    assert response.status_code == 404, what
    assert "This link does not work" in response.text and "Traceback" not in response.text
    assert "set-cookie" not in response.headers
    assert client.get("/review").status_code == 401


def test_a_foreign_link_opens_nothing(district):
    """Signed by another installation's key, or naming a campaign or link this store does not have."""
    reviewer = next(iter(district.links))
    client = client_for(district)
    key = link_key(district.config)
    link_id = path_of(district.links[reviewer]).split(".")[2]
    for token in (
        build_token(b"k" * 32, district.campaign_id, reviewer, link_id),  # another key
        build_token(key, 99, reviewer, link_id),  # no such campaign
        build_token(key, district.campaign_id, reviewer, "made-up-link-id"),
    ):
        response = client.get(f"/r/{token}")
        assert response.status_code == 404 and "This link does not work" in response.text


def test_a_reissued_link_says_it_was_replaced_and_its_session_ends(district):
    reviewer = next(iter(district.links))
    old = signed_in(district, reviewer)
    with district.store() as store:
        cstore = CampaignStore(store)
        record = reissue_link(cstore, cstore.get(district.campaign_id), reviewer, "iso")
    replaced = client_for(district).get(path_of(district.links[reviewer]))
    assert replaced.status_code == 410 and "This link has been replaced" in replaced.text
    assert "most recent e-mail" in replaced.text
    page = old.get("/review")  # the session the old link opened ends too
    assert page.status_code == 410 and "replaced" in page.text
    fresh = build_token(link_key(district.config), district.campaign_id, reviewer, record.link_id)
    assert client_for(district).get(f"/r/{fresh}").status_code == 200


def test_campaign_links_reissues_and_revokes_from_the_cli(district):
    reviewer = next(iter(district.links))
    config = ["--config", str(district.config_path)]
    listing = runner.invoke(cli_app, ["campaign", "links", *config])
    assert listing.exit_code == 0, listing.output
    assert listing.output.count("working link issued") == len(district.links)
    result = runner.invoke(
        cli_app, ["campaign", "links", "--reissue", reviewer, "--no-email", *config]
    )
    assert result.exit_code == 0, result.output
    new_url = re.search(r"http://127\.0\.0\.1:\d+/r/\S+", result.output)[0]
    assert new_url != district.links[reviewer]
    assert client_for(district).get(path_of(new_url)).status_code == 200
    assert client_for(district).get(path_of(district.links[reviewer])).status_code == 410
    result = runner.invoke(cli_app, ["campaign", "links", "--revoke", reviewer, *config])
    assert result.exit_code == 0, result.output
    revoked = client_for(district).get(path_of(new_url))
    assert revoked.status_code == 410 and "turned this link off" in revoked.text
    assert [e.details["reviewer"] for e in audit_actions(district, "campaign.link.reissue")] == [
        reviewer
    ]
    assert [e.details["reviewer"] for e in audit_actions(district, "campaign.link.revoke")] == [
        reviewer
    ]


def test_a_closed_campaign_shows_a_clear_page_and_takes_no_answer(district, demo):
    reviewer = district.reviewer_with(lambda i: not i.flagged)
    client = signed_in(district, reviewer)
    csrf = csrf_of(client)
    item = next(i for i in district.items(reviewer) if not i.flagged)
    with district.store() as store:
        lifecycle.close_campaign(store, demo.analysis(), district.campaign_id, confirmed=True)
    before = district.decisions()
    for response in (
        client.get("/review"),
        client_for(district).get(path_of(district.links[reviewer])),
        client.post(
            "/review/answer", data={"csrf": csrf, "item": item.item_id, "decision": "revoke"}
        ),
    ):
        assert response.status_code == 410, response.text
        assert (
            "This review has closed" in response.text
            and "Answers can no longer be given" in response.text
        )
    assert district.decisions() == before


def test_a_session_expires_but_the_link_still_works(district):
    clock = Clock()
    reviewer = next(iter(district.links))
    client = signed_in(district, reviewer, clock=clock)
    clock.now += SESSION_HOURS * 3600 + 1
    expired = client.get("/review")
    assert expired.status_code == 401 and "Open your review from the e-mail" in expired.text
    assert client.get(path_of(district.links[reviewer])).status_code == 200
    assert client.get("/review").status_code == 200


def test_link_attempts_are_rate_limited_per_client(district):
    client = client_for(district, link_attempts=(3, 60.0))
    for _ in range(3):
        assert client.get("/r/guess").status_code == 404
    limited = client.get(path_of(next(iter(district.links.values()))))
    assert limited.status_code == 429 and "Too many attempts" in limited.text
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert "set-cookie" not in limited.headers


# ---------------------------------------------------------------- answering


def test_answers_follow_the_workbook_rules_and_are_audit_logged_via_web(district):
    reviewer = district.reviewer_with(lambda i: i.flagged)
    flagged = next(i for i in district.items(reviewer) if i.flagged)
    client = signed_in(district, reviewer)
    csrf = csrf_of(client)
    # Keep on a flagged item without a reason: the rule's own message, nothing recorded.
    refused = client.post(
        "/review/answer",
        data={"csrf": csrf, "item": flagged.item_id, "decision": "keep"},
        headers={"accept": "application/json"},
    )
    assert refused.status_code == 422
    assert refused.json() == {
        "ok": False,
        "item": flagged.item_id,
        "field": "justification",
        "message": f"Keep on a flagged item ({flagged.flag_text}) needs a justification",
    }
    assert flagged.item_id not in district.decisions()
    # Without JavaScript: the page comes back with the error at the item and the choice kept.
    page = client.post(
        "/review/answer", data={"csrf": csrf, "item": flagged.item_id, "decision": "keep"}
    )
    assert page.status_code == 422 and "Your answer was not saved" in page.text
    assert f'href="#just-{flagged.item_id}"' in page.text
    assert re.search(
        rf'id="keep-{flagged.item_id}" name="decision" value="keep" checked', page.text
    )
    # With a reason it is recorded, via web, and audit-logged with the reviewer and the client.
    saved = client.post(
        "/review/answer",
        data={
            "csrf": csrf,
            "item": flagged.item_id,
            "decision": "Keep",
            "justification": "covers for the nurse",
        },
    )
    assert (
        saved.status_code == 303
        and saved.headers["location"] == f"/review?saved={flagged.item_id}#item-{flagged.item_id}"
    )
    d = district.decisions()[flagged.item_id]
    assert (d.decision, d.source, d.justification, d.via, d.channel) == (
        "keep",
        "reviewer",
        "covers for the nurse",
        "web",
        "web",
    )
    entries = audit_actions(district, "campaign.answer")
    assert len(entries) == 1 and entries[0].actor == f"web:{reviewer}"
    assert {
        k: entries[0].details[k] for k in ("campaign", "reviewer", "via", "client", "decisions")
    } == {
        "campaign": district.campaign_id,
        "reviewer": reviewer,
        "via": "web",
        "client": "testclient",
        "decisions": {flagged.item_id: "keep"},
    }
    # Reloading shows the answer; answering the same again records nothing new; changing it does.
    page = client.get("/review")
    assert re.search(
        rf'id="keep-{flagged.item_id}" name="decision" value="keep" checked', page.text
    )
    assert "covers for the nurse" in page.text and "1 of" in page.text
    client.post(
        "/review/answer",
        data={
            "csrf": csrf,
            "item": flagged.item_id,
            "decision": "keep",
            "justification": "covers for the nurse",
        },
    )
    assert len(audit_actions(district, "campaign.answer")) == 1
    changed = client.post(
        "/review/answer",
        data={"csrf": csrf, "item": flagged.item_id, "decision": "revoke"},
        headers={"accept": "application/json"},
    )
    assert changed.json()["ok"] and changed.json()["status"].startswith(
        "Saved: Revoke (on this page"
    )
    assert district.decisions()[flagged.item_id].decision == "revoke"


def test_another_reviewers_item_cannot_be_answered(district):
    reviewer = district.reviewer_with(lambda i: True)
    other = next(i for i in district.items() if i.reviewer != reviewer)
    client = signed_in(district, reviewer)
    csrf = csrf_of(client)
    for item_id in (other.item_id, "I9999", "../I0001"):
        response = client.post(
            "/review/answer",
            data={"csrf": csrf, "item": item_id, "decision": "revoke"},
            headers={"accept": "application/json"},
        )
        assert (
            response.status_code == 422
            and response.json()["message"] == "this item is not in your review"
        )
    assert district.decisions() == {} and audit_actions(district, "campaign.answer") == []


def test_forms_without_the_sessions_csrf_token_or_from_another_site_are_refused(district):
    reviewer = district.reviewer_with(lambda i: not i.flagged)
    item = next(i for i in district.items(reviewer) if not i.flagged)
    client = signed_in(district, reviewer)
    csrf = csrf_of(client)
    other = signed_in(district, next(r for r in district.links if r != reviewer))
    attempts = [
        ({"item": item.item_id, "decision": "revoke"}, {}),  # no token
        ({"csrf": "forged", "item": item.item_id, "decision": "revoke"}, {}),  # made up
        (
            {"csrf": csrf_of(other), "item": item.item_id, "decision": "revoke"},
            {},
        ),  # another session's
        (
            {"csrf": csrf, "item": item.item_id, "decision": "revoke"},
            {"origin": "https://evil.example"},
        ),
    ]
    for data, headers in attempts:
        for path in ("/review/answer", "/review/accept-all", "/review/finish"):
            response = client.post(path, data=data, headers=headers)
            assert response.status_code == 403, (path, data, headers)
            assert "Please reload your review" in response.text
    # No session at all: a clear page, nothing recorded.
    response = client_for(district).post(
        "/review/answer", data={"csrf": csrf, "item": item.item_id, "decision": "revoke"}
    )
    assert response.status_code == 401
    assert district.decisions() == {}


def test_a_file_posted_as_the_csrf_token_is_refused_like_any_wrong_token(district):
    """A multipart form may carry a file where the token goes: the refusal page, not a server
    error (found by the type check: the form's value may be an upload)."""
    reviewer = district.reviewer_with(lambda i: not i.flagged)
    item = next(i for i in district.items(reviewer) if not i.flagged)
    client = signed_in(district, reviewer)
    for path in ("/review/answer", "/review/accept-all", "/review/finish"):
        response = client.post(
            path,
            data={"item": item.item_id, "decision": "revoke"},
            files={"csrf": ("token.txt", csrf_of(client).encode(), "text/plain")},
        )
        assert response.status_code == 403, path
        assert "Please reload your review" in response.text
    assert district.decisions() == {}


def test_accept_all_answers_only_the_unflagged_unanswered_items(district):
    reviewer = district.reviewer_with(lambda i: i.flagged)
    mine = district.items(reviewer)
    unflagged = [i for i in mine if not i.flagged]
    client = signed_in(district, reviewer)
    csrf = csrf_of(client)
    first = unflagged[0]
    opposite = "keep" if first.recommendation == "revoke" else "revoke"
    client.post("/review/answer", data={"csrf": csrf, "item": first.item_id, "decision": opposite})
    response = client.post("/review/accept-all", data={"csrf": csrf})
    assert (
        response.status_code == 303
        and response.headers["location"] == f"/review?accepted={len(unflagged) - 1}#summary"
    )
    decided = district.decisions()
    assert decided[first.item_id].decision == opposite  # an answer given stays
    assert {i.item_id: decided[i.item_id].decision for i in unflagged[1:]} == {
        i.item_id: i.recommendation for i in unflagged[1:]
    }
    assert not any(
        i.item_id in decided for i in mine if i.flagged
    )  # flagged ones need the reviewer
    (entry,) = audit_actions(district, "campaign.answer.accept_recommendations")
    assert entry.details["via"] == "web" and len(entry.details["decisions"]) == len(unflagged) - 1
    page = client.get(response.headers["location"])
    assert f"Our recommendation was accepted for {len(unflagged) - 1} items" in page.text
    assert "Accept our recommendation" not in page.text  # nothing left to accept


def test_finishing_shows_a_clear_done_state(district):
    reviewer = district.reviewer_with(lambda i: not i.flagged)
    client = signed_in(district, reviewer)
    csrf = csrf_of(client)
    mine = district.items(reviewer)
    for i in mine:
        client.post(
            "/review/answer",
            data={
                "csrf": csrf,
                "item": i.item_id,
                "decision": "revoke",
                "justification": "left the team",
            },
        )
    page = client.get("/review")
    assert f"{len(mine)} of {len(mine)} decided" in page.text and "all done, thank you" in page.text
    done = client.post("/review/finish", data={"csrf": csrf}, follow_redirects=True)
    assert done.status_code == 200 and f"You decided all {len(mine)} items" in done.text
    assert f"0 kept, {len(mine)} revoked" in done.text
    (entry,) = audit_actions(district, "campaign.web.finish")
    assert (entry.details["decided"], entry.details["items"]) == (len(mine), len(mine))


def test_web_and_workbook_answers_show_alike_in_status(district):
    reviewer = district.reviewer_with(lambda i: not i.flagged)
    item = next(i for i in district.items(reviewer) if not i.flagged)
    other = next(i for i in district.items() if i.reviewer != reviewer)
    client = signed_in(district, reviewer)
    client.post(
        "/review/answer", data={"csrf": csrf_of(client), "item": item.item_id, "decision": "revoke"}
    )
    with district.store() as store:
        CampaignStore(store).record_decisions(
            district.campaign_id,
            [
                Decision(
                    other.item_id,
                    "revoke",
                    "reviewer",
                    "",
                    other.reviewer_name,
                    file="wb.xlsx",
                    via="workbook",
                )
            ],
        )
    result = runner.invoke(
        cli_app,
        ["campaign", "status", "--config", str(district.config_path)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "answers given: 1 via web (the review page), 1 via workbook" in result.output
    assert re.search(r"all reviewers\s+\d+\s+2\s", result.output)


# ---------------------------------------------------------------- what the page may never do


def test_security_headers_and_no_inline_script_or_style(district):
    client = signed_in(district, next(iter(district.links)))
    for path in ("/review", "/r/bad", "/nowhere"):
        response = client.get(path)
        headers = response.headers
        csp = headers["content-security-policy"]
        assert (
            "script-src 'self'" in csp
            and "frame-ancestors 'none'" in csp
            and "default-src 'none'" in csp
        )
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert (
            headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        )
        assert (
            headers["referrer-policy"] == "same-origin" and headers["cache-control"] == "no-store"
        )
        assert "server" not in headers or "uvicorn" not in headers["server"]
        tags = Form(response.text).tags
        assert not [a for t, a in tags if "style" in a or any(k.startswith("on") for k in a)], path
        assert all(a.get("src") == "/static/review.js" for t, a in tags if t == "script"), path


def test_hostile_names_are_shown_as_text(demo):
    d = open_campaign(demo, free_port(), hostile=True)
    items = d.items()
    shown = {
        SCRIPT_NAME: "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt; Lee",
        BIDI: "Ann \\u202eevil\\u202c Lee",
        BRACKETS: "Temp [/] Sub",
    }
    seen = set()
    for reviewer in d.links:
        mine = [i for i in items if i.reviewer == reviewer]
        text = "\n".join([i.name for i in mine] + [i.access_plain for i in mine])
        wanted = [h for h in shown if h in text]
        if not wanted:
            continue
        page = signed_in(d, reviewer).get("/review").text
        for hostile in wanted:
            assert shown[hostile] in page, hostile
            seen.add(hostile)
        assert "<script>alert" not in page and "\u202e" not in page
    assert seen == set(shown)


def test_a_sync_holding_the_write_lock_blocks_neither_the_page_nor_loses_an_answer(district):
    """SQLite in WAL mode: readers go on while another process writes; an answer waits for the
    writer (one writer at a time) and is then saved — never dropped."""
    reviewer = district.reviewer_with(lambda i: not i.flagged)
    item = next(i for i in district.items(reviewer) if not i.flagged)
    client = signed_in(district, reviewer)
    csrf = csrf_of(client)
    with district.store() as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    sync = sqlite3.connect(
        district.config.store_path, isolation_level=None, check_same_thread=False
    )
    sync.execute("BEGIN IMMEDIATE")  # what a sync's snapshot write holds
    sync.execute(
        "INSERT INTO sync_runs (source, started_at, status) VALUES ('ad', '2026-11-28', 'running')"
    )
    release = threading.Timer(1.5, lambda: (sync.execute("COMMIT"), sync.close()))
    try:
        started = time.perf_counter()
        page = client.get("/review")
        read_time = time.perf_counter() - started
        assert page.status_code == 200 and read_time < 1.0, read_time
        release.start()
        started = time.perf_counter()
        saved = client.post(
            "/review/answer",
            data={"csrf": csrf, "item": item.item_id, "decision": "revoke"},
            headers={"accept": "application/json"},
        )
        waited = time.perf_counter() - started
    finally:
        release.join()
    assert saved.json()["ok"] and 1.0 <= waited < 10, waited
    assert district.decisions()[item.item_id].via == "web"


# ---------------------------------------------------------------- serving


def test_the_server_refuses_to_serve_in_clear_beyond_loopback(tmp_path):
    with pytest.raises(
        ConfigError, match="refusing to serve the review page on 0.0.0.0 without TLS"
    ):
        serve_settings({}, host=EVERYWHERE)
    assert serve_settings({}, host=EVERYWHERE, behind_proxy=True).behind_proxy
    assert serve_settings({"host": "127.0.0.1"}).host == "127.0.0.1"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    write_self_signed_certificate(cert, key, subject="/CN=review")
    key.chmod(0o644)
    with pytest.raises(SecretError, match="readable by others"):
        serve_settings({}, host=EVERYWHERE, tls_cert=cert, tls_key=key)
    key.chmod(0o600)
    assert serve_settings({}, host=EVERYWHERE, tls_cert=cert, tls_key=key).tls


def test_serve_says_why_it_will_not_start(district):
    result = runner.invoke(
        cli_app, ["serve", "--host", EVERYWHERE, "--config", str(district.config_path)]
    )
    assert result.exit_code != 0
    assert "refusing to serve the review page on 0.0.0.0 without TLS" in result.output
    assert "--behind-proxy" in result.output and "Traceback" not in result.output


def test_links_need_https_beyond_this_machine(district):
    from campaigns.links import base_url

    text = district.config_path.read_text(encoding="utf-8")
    district.config_path.write_text(
        text.replace('base_url = "http://127.0.0.1:', 'base_url = "http://review.example.org:'),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="plain http"):
        base_url(district.config)
