"""One whole quarter on the demo district with a reviewer who never answers, through the CLI
and a real SMTP server (aiosmtpd), every command naming the campaign by its label: the
outputs say what happened — non-response is counted per reviewer, close asks before recording
it, and nothing is ever shown as simply "verified".

Also: who reviews the ISO's, the alternate ISO's and a data manager's own access; sending is
idempotent (--resend, recorded); messages carry Date, Message-ID and the ISO's name, and an
accessible HTML layout; a workbook with three problems is answered once, listing all three;
an overdue reminder says so; the default decision does what it says for each choice."""

from __future__ import annotations

import re
from datetime import date
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

from access_review import audit
from access_review.cli import app
from access_review.store import Store
from campaigns import lifecycle
from campaigns.results import read_campaign_by_name
from campaigns.store import CampaignStore
from campaigns.workbook import HEADERS
from review_answers import answer
from smtp_server import InboxWithRecipients, running_smtp_server

runner = CliRunner()
DECISION = HEADERS.index("Decision") + 1
AS_OF, DUE, LATE = "2026-11-28", "2026-12-19", "2026-12-22"
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture()
def smtp():
    inbox = InboxWithRecipients()
    with running_smtp_server(inbox) as controller:
        inbox.port = controller.port
        yield inbox


@pytest.fixture()
def quarter(demo, smtp):
    """The demo district with a local relay (no login, so no plaintext password to allow)."""
    demo.config_path.write_text(
        demo.config_path.read_text()
        + f"""
[smtp]
host = "127.0.0.1"
port = {smtp.port}
security = "none"
from = "access-review@district.example.org"
"""
    )
    return demo


def cli(demo, *args, code: int = 0) -> str:
    result = runner.invoke(app, [*args, "--config", str(demo.config_path)])
    assert result.exit_code == code, result.output
    return result.output


def flat(text: str) -> str:
    return " ".join(text.split())


def items_of(demo):
    with Store(demo.config.store_path) as store:
        return CampaignStore(store).items(1)


class Html(HTMLParser):
    def __init__(self, text):
        super().__init__()
        self.tags, self.text = [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def follow_recommendation(values):
    if values["Recommendation"].startswith("Revoke"):
        return ("Revoke", "")
    return ("Keep", "needed for their job" if values["Flags"] else "")


# ---------------------------------------------------------------- who reviews whose access


def test_no_one_is_sent_their_own_access_to_review(demo):
    cfg = demo.config
    a = demo.analysis()
    with Store(cfg.store_path) as store:
        _, items = lifecycle.create_campaign(store, a, quarter="2026Q4", today=demo.district.as_of)
    iso = a.persons[a.person_key_for(cfg.iso.email)]
    alternate = a.persons[a.person_key_for(cfg.iso.alternate_email)]
    own = {
        key: [i for i in items if i.subject == f"person:{key}"]
        for key in (iso.employee_id, alternate.employee_id)
    }

    # The ISO's Domain Admin, Global Administrator and Super Admin go to the alternate ISO,
    # and the recommendation does not rest on the ISO being those resources' data manager.
    isos = own[iso.employee_id]
    assert {i.resource for i in isos} >= {
        "Domain Administration",
        "Entra ID Administration",
        "Google Workspace Administration",
    }
    assert {(i.reviewer, i.reviewer_name) for i in isos} == {("alternate", cfg.iso.alternate_name)}
    assert all(
        "data manager" not in i.reason and i.reason.startswith("Authorized: Technology Coordinator")
        for i in isos
    )
    # The alternate ISO's own access (a privileged role, and Backups, which they manage) goes to the ISO.
    alternates = own[alternate.employee_id]
    assert {i.resource for i in alternates} == {"Domain Administration", "Backups"}
    assert {i.reviewer for i in alternates} == {"iso"}
    # A data manager's own access to their resource goes to the ISO; nobody reviews themselves.
    sped = next(r for r in a.inventory.resources if r.name == "Special Education Records")
    (manager_item,) = [
        i for i in items if i.subject == f"person:{sped.data_manager}" and i.resource == sped.name
    ]
    assert manager_item.reviewer == "iso" and "own access" in manager_item.reviewer_reason
    people_of = {"iso": f"person:{iso.employee_id}", "alternate": f"person:{alternate.employee_id}"}
    assert not [i for i in items if people_of.get(i.reviewer, f"person:{i.reviewer}") == i.subject]


# ---------------------------------------------------------------- the default decision


@pytest.mark.parametrize("default", ["keep", "revoke", "recommendation", "none"])
def test_the_default_decision_is_recorded_as_no_response_and_does_what_it_says(demo, default):
    cfg = demo.config
    a = demo.analysis()
    with Store(cfg.store_path) as store:
        campaign, items = lifecycle.create_campaign(
            store, a, quarter="2026Q4", today=demo.district.as_of, default=default
        )
        cstore = CampaignStore(store)
        cstore.set_state(campaign.id, "open")
        answered = items[0]
        from campaigns.model import Decision

        cstore.record_decisions(
            campaign.id, [Decision(answered.item_id, "keep", "reviewer", "ok", "Dana")]
        )
        with pytest.raises(lifecycle.UnansweredItems):
            lifecycle.close_campaign(store, a, campaign.id)
        assert cstore.nonresponse(campaign.id) == {} and cstore.get(campaign.id).state == "open"
        report = lifecycle.close_campaign(store, a, campaign.id, confirmed=True)
        records = cstore.nonresponse(campaign.id)
        decided = cstore.effective_decisions(campaign.id)
    assert set(records) == {i.item_id for i in items} - {
        answered.item_id
    } and report.no_response == len(records)
    assert {r.default_decision for r in records.values()} == {default}
    assert all(r.recorded_by == audit.current_actor() and r.recorded_at for r in records.values())
    assert decided[answered.item_id].source == "reviewer"
    expected = {
        i.item_id: {
            "keep": "keep",
            "revoke": "revoke",
            "recommendation": i.recommendation,
            "none": None,
        }[default]
        for i in items
        if i.item_id != answered.item_id
    }
    assert {k: r.outcome for k, r in records.items()} == {
        k: v or "none" for k, v in expected.items()
    }
    assert {k: d.decision for k, d in decided.items() if d.source == "default"} == {
        k: v for k, v in expected.items() if v
    }
    assert all(
        d.justification
        == f"no response → default {'follow the recommendation' if default == 'recommendation' else default}"
        for d in decided.values()
        if d.source == "default"
    )
    revoked = {i.item_id for i in items if expected.get(i.item_id) == "revoke"}
    assert {s.item_id for s in report.plan} <= revoked and bool(report.plan) == bool(revoked)
    totals = report.total
    assert (totals.decided, totals.defaulted, totals.unanswered) == (
        1,
        len(records) if default != "none" else 0,
        len(records) if default == "none" else 0,
    )


# ---------------------------------------------------------------- a whole quarter


def test_a_quarter_with_a_silent_reviewer_says_so_at_every_step(quarter, smtp, tmp_path):
    demo, cfg = quarter, quarter.config
    out = cli(
        demo, "campaign", "create", "--quarter", "2026Q4", "--default", "keep", "--today", AS_OF
    )
    assert "Items with no answer when the review closes: keep — their access is kept." in flat(out)
    items = items_of(demo)
    by_reviewer: dict[str, list] = {}
    for i in items:
        by_reviewer.setdefault(i.reviewer, []).append(i)
    silent = max(by_reviewer, key=lambda k: len(by_reviewer[k]))  # the busiest never answers
    silent_name = by_reviewer[silent][0].reviewer_name

    # -- send: From with the ISO's name, Date, Message-ID, an accessible HTML summary ------------------
    out = cli(demo, "campaign", "send", "--campaign", "2026Q4")
    sent = smtp.take()
    assert len(sent) == len(by_reviewer) and f"Sent {len(by_reviewer)} workbook(s)." in flat(out)
    ids = set()
    workbooks = {}
    for rcpts, msg in sent:
        assert (
            msg["From"].addresses[0].display_name == f"{cfg.iso.name}, Information Security Officer"
        )
        assert msg["From"].addresses[0].addr_spec == "access-review@district.example.org"
        assert parsedate_to_datetime(msg["Date"]).tzinfo is not None
        assert re.fullmatch(r"<[^<>@\s]+@district\.example\.org>", msg["Message-ID"])
        ids.add(msg["Message-ID"])
        (attachment,) = msg.iter_attachments()
        key = attachment.get_filename().rsplit("-", 1)[1].removesuffix(".xlsx")
        mine = by_reviewer[key]
        html = Html(msg.get_body(("html",)).get_content())
        assert ("html", {"lang": "en"}) in html.tags
        assert all(
            attrs.get("role") == "presentation" for tag, attrs in html.tags if tag == "table"
        )
        summary = flat(" ".join(html.text))
        assert (
            f"{len(mine)} item(s) to review" in summary
            and f"Please answer by {date(2026, 12, 19):%A, %B %d, %Y}" in summary
        )
        assert "Items with no answer when the review closes: keep" in summary
        text = msg.get_body(("plain",)).get_content()
        flagged = sum(i.flagged for i in mine)
        assert (
            (f"{flagged} of them are flagged" in text)
            if flagged
            else ("flagged" not in text.lower())
        )
        workbooks[key] = tmp_path / attachment.get_filename()
        workbooks[key].write_bytes(attachment.get_content())
    assert len(ids) == len(sent)

    # -- sending again sends nothing; --resend sends again, and is recorded ---------------------------
    out = cli(demo, "campaign", "send", "--campaign", "2026Q4")
    assert smtp.take() == [] and f"{len(by_reviewer)} reviewer(s) already had theirs" in flat(out)
    other = next(k for k in by_reviewer if k != silent)
    cli(demo, "campaign", "send", "--campaign", "1", "--resend", "--reviewer", other)
    (resent,) = smtp.take()
    assert resent[0] == [by_reviewer[other][0].reviewer_email]
    with Store(cfg.store_path) as store:
        kinds = [(r, kind) for r, kind, *_ in CampaignStore(store).deliveries(1)]
        logged = audit.entries(store, action_prefix="campaign.send")
    assert kinds.count((other, "resend")) == 1 and sum(k == "send" for _, k in kinds) == len(
        by_reviewer
    )
    assert logged[-1].details["resent"] == [other]

    # -- a workbook with three problems: one answer, listing all three ----------------------------------
    sped_key = next(
        k
        for k, mine in by_reviewer.items()
        if k != silent
        and len(mine) >= 3
        and any(i.flagged and i.recommendation == "keep" for i in mine)
    )
    rows = {}

    def three_problems(ws):
        body = list(range(2, ws.max_row + 1))
        flagged_keep = next(
            r
            for r in body
            if ws.cell(r, HEADERS.index("Flags") + 1).value
            and ws.cell(r, HEADERS.index("Recommendation") + 1).value.startswith("Keep")
        )
        plain = [r for r in body if r != flagged_keep]
        rows.update(yes=plain[0], justification=flagged_keep, edited=plain[-1])
        ws.cell(plain[0], DECISION).value = "Yes"
        ws.cell(flagged_keep, DECISION).value, ws.cell(flagged_keep, DECISION + 1).value = (
            "Keep",
            None,
        )
        ws.cell(plain[-1], HEADERS.index("Access") + 1).value = "Manage"

    bad = answer(
        workbooks[sped_key], follow_recommendation, tmp_path / "returned.xlsx", edit=three_problems
    )
    out = cli(demo, "campaign", "import", "--campaign", "2026Q4", str(bad), code=3)
    assert flat(out).count(str(bad)) == 3 and "(3 problems in this workbook)" in out
    for row in rows.values():
        assert f"{bad}, row {row}" in flat(out)
    (notice,) = smtp.take()
    assert notice[0] == [by_reviewer[sped_key][0].reviewer_email]
    body = notice[1].get_body(("plain",)).get_content()
    assert "please fix 3 things" in notice[1][
        "Subject"
    ] and "none of its answers have been recorded" in flat(body)
    assert f"Row {rows['yes']} (" in body and "decision 'Yes' is not Keep or Revoke" in body
    assert f"Row {rows['justification']} (" in body and "Justification column" in body
    assert f"Row {rows['edited']} (" in body and "the Access cell was edited" in body
    (attached,) = notice[1].iter_attachments()
    assert attached.get_content() == bad.read_bytes()
    with Store(cfg.store_path) as store:
        assert CampaignStore(store).effective_decisions(1) == {}

    # -- everyone else answers; the silent reviewer does not ---------------------------------------------
    returned = [
        answer(path, follow_recommendation, tmp_path / f"ok-{key}.xlsx")
        for key, path in workbooks.items()
        if key != silent
    ]
    cli(demo, "campaign", "import", "--campaign", "2026Q4", *map(str, returned))

    # -- overdue: the reminder says so; status counts the silence --------------------------------------
    cli(demo, "campaign", "remind", "--campaign", "2026Q4", "--today", LATE)
    late = smtp.take()
    (reminder,) = [m for r, m in late if m["Subject"].startswith("Reminder")]
    text = flat(reminder.get_body(("plain",)).get_content())
    assert reminder["Subject"].startswith("Reminder, overdue: ")
    assert (
        "Overdue by 3 days: it was due on Saturday, December 19, 2026." in text
        and "Please answer by" not in text
    )
    out = cli(demo, "campaign", "status", "--campaign", "2026Q4", "--today", LATE)
    line = next(text for text in out.splitlines() if text.startswith(silent_name))
    n = len(by_reviewer[silent])
    assert re.search(rf"\b{n}\s+0\s+0\s+{n}\s+0\b", line), (
        line
    )  # items, decided, defaulted, unanswered, revoked
    assert re.search(rf"^all reviewers\s+{len(items)}\s+{len(items) - n}\s+0\s+{n}\b", out, re.M)

    # -- close asks before recording non-response, per reviewer ------------------------------------------
    out = cli(demo, "campaign", "close", "--campaign", "2026Q4", "--today", AS_OF, code=8)
    assert f"{n} of {len(items)} item(s) have no answer" in flat(out)
    assert re.search(rf"^{re.escape(silent_name)}.*\b{n}\s+0\s+0\s+{n}\b", out, re.M)
    assert (
        "If you close now: Items with no answer when the review closes: keep — their access is kept."
        in flat(out)
    )
    assert "campaign close --yes" in flat(out)
    with Store(cfg.store_path) as store:
        cstore = CampaignStore(store)
        assert cstore.get(1).state == "open" and cstore.nonresponse(1) == {}
    out = cli(demo, "campaign", "close", "--campaign", "2026Q4", "--today", AS_OF, "--yes")
    assert f"with non-response: {n} of {len(items)} item(s) had no answer → default keep" in flat(
        out
    )
    assert f"{silent_name} ({silent}): {n} of {n} not answered" in flat(out)

    # -- the plan names people and groups; the key is not what the ISO reads ------------------------------
    out = cli(demo, "campaign", "remediate", "--campaign", "2026Q4")
    assert "Remove Zoë O'Brien's ad account zoe.obrien from ad group 'Summer School Aides'" in flat(
        out
    )
    assert not re.search(r"\b(ad|entra|google):(group|account|grant):", out)

    # -- remediate, sync, verify: the campaign is done, and says how -------------------------------------
    cli(demo, "campaign", "remediate", "--campaign", "2026Q4", "--apply")
    cli(demo, "sync")
    out = cli(demo, "campaign", "verify", "--campaign", "2026Q4", "--today", AS_OF)
    said = f"verified with non-response: {n} of {len(items)} item(s) had no answer (default: keep; {n} defaulted, 0 left unanswered)"
    assert said in flat(out)
    out = cli(
        demo, "campaign", "status"
    )  # no campaign in progress: the last one, with its final figures
    assert said in flat(out) and re.search(
        rf"^all reviewers\s+{len(items)}\s+{len(items) - n}\s+{n}\s+0\b", out, re.M
    )
    out = cli(demo, "campaign", "list")
    assert flat(out) == (
        f"1 2026Q4 verified with non-response — due {DUE}, default keep: {len(items)} items, "
        f"{len(items) - n} decided, {n} defaulted, 0 unanswered"
    )

    # -- what the exports read: the same figures, per reviewer ------------------------------------------
    with Store(cfg.store_path) as store:
        view = read_campaign_by_name(store, "2026Q4")
        records = CampaignStore(store).nonresponse(1)
    assert (
        view.state_text
        == f"verified with non-response: {n} of {len(items)} items had no answer (default keep)"
    )
    assert view.default_decision == "keep" and view.closed_with_nonresponse
    (mine,) = [r for r in view.responses if r.reviewer.startswith(silent_name) and r.items == n]
    assert (mine.decided, mine.defaulted, mine.unanswered) == (0, n, 0)
    assert (view.totals.decided, view.totals.defaulted, view.totals.unanswered) == (
        len(items) - n,
        n,
        0,
    )
    silent_views = [i for i in view.items if i.item_id in records]
    assert len(silent_views) == n and all(
        i.response == "defaulted" and i.decision == "keep" for i in silent_views
    )
    # Issue 19: who recorded it is the OS user and the ISO the config names.
    assert silent_views[0].response_text.startswith(
        f"no response → default keep (recorded by {audit.current_actor()} (ISO: {demo.config.iso.name}), "
    )
    out = cli(demo, "export", "evidence", "--campaign", "2026Q4", "--out", str(tmp_path / "pack"))
    statement = (tmp_path / "pack" / "VERIFICATION.txt").read_text(encoding="utf-8")
    assert view.state_text in statement
