"""The personal link in the campaign's messages, through a real SMTP server (aiosmtpd): `send`
puts each reviewer's link in their message (text and HTML), a reminder carries the same link,
and `campaign links --reissue` e-mails a new one while the old one stops working."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from access_review.cli import app as cli_app
from campaigns.links import link_key, unb64
from campaigns.store import CampaignStore
from review_web.app import build_app
from loopback import free_port
from smtp_server import Inbox, running_smtp_server
from web_env import open_campaign

pytestmark = pytest.mark.smtp
runner = CliRunner()
LINK = re.compile(r"Open your review:\r?\n(http://127\.0\.0\.1:\d+/r/\S+)")


@pytest.fixture()
def smtp():
    inbox = Inbox()
    with running_smtp_server(inbox) as controller:
        inbox.port = controller.port
        yield inbox


def reviewer_of(link: str) -> str:
    """The reviewer a link names (two reviewers may share an address: the ISO who is also a
    data manager gets two messages)."""
    return unb64(urlsplit(link).path.split("/")[-1].split(".")[1]).decode()


def links_in(messages) -> dict[str, str]:
    out = {}
    for m in messages:
        text = m.get_body(("plain",)).get_content()
        html = m.get_body(("html",)).get_content()
        found = LINK.search(text)
        assert found, text
        assert f'href="{found[1]}"' in html and "Open your review" in html
        assert "please do not forward it" in text
        reviewer = reviewer_of(found[1])
        assert reviewer not in out
        out[reviewer] = found[1]
    return out


def opens(d, link: str) -> int:
    cfg = d.config
    client = TestClient(build_app(cfg, link_key(cfg)), follow_redirects=False)
    return client.get(urlsplit(link).path).status_code


def test_send_remind_and_reissue_carry_each_reviewers_own_link(demo, smtp):
    d = open_campaign(demo, free_port(), smtp_port=smtp.port)
    config = ["--config", str(d.config_path)]
    sent = runner.invoke(cli_app, ["campaign", "send", "--today", "2026-11-28", *config])
    assert sent.exit_code == 0, sent.output
    first = links_in(smtp.take())
    reviewers = {i.reviewer: i.reviewer_email for i in d.items()}
    assert len(first) == len(reviewers) and len(set(first.values())) == len(first)
    assert all(opens(d, link) == 200 for link in first.values())

    # A reminder carries the same link: links are not multiplied by messages.
    reminded = runner.invoke(cli_app, ["campaign", "remind", "--today", "2026-12-01", *config])
    assert reminded.exit_code == 0, reminded.output
    assert links_in(m for m in smtp.take() if "Reminder" in m["Subject"]) == first

    # Reissue: a new link is e-mailed; the old one now says it was replaced.
    reviewer = sorted(reviewers)[0]
    result = runner.invoke(cli_app, ["campaign", "links", "--reissue", reviewer, *config])
    assert result.exit_code == 0, result.output
    assert f"E-mailed the new link to {reviewers[reviewer]}" in result.output
    (message,) = smtp.take()
    assert reviewers[reviewer] in message["To"]
    assert links_in([message]).keys() == {reviewer}
    new = links_in([message])[reviewer]
    assert new != first[reviewer] and opens(d, new) == 200
    assert opens(d, first[reviewer]) == 410
    with d.store() as store:
        kinds = [(r, kind) for r, kind, *_ in CampaignStore(store).deliveries(d.campaign_id)]
    assert (reviewer, "resend") in kinds
