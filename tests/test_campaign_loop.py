"""The whole campaign loop on the demo district, through the CLI, with a real SMTP server:
create → send (e-mail, and --out) → reviewers fill their workbooks (one stays silent) →
import, including every rejection → remind and escalate → status → close → remediate
--apply against the demo directories → sync → verify."""

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from access_review import audit
from access_review.analysis import analyse
from access_review.cli import app
from access_review.imports import import_inventory, import_roster
from access_review.config import load_config
from access_review.demo import generate_district, write_demo
from access_review.errors import SourceError
from access_review.store import Store
from access_review.cli.connectors import connector_factory
from access_review.sync import run_sync
from campaigns import lifecycle
from campaigns.store import CampaignStore
from campaigns.workbook import HEADERS
from connectors.registry import build_connector
from libreoffice import run_libreoffice
from loopback import free_port
from review_answers import answer
from smtp_server import InboxWithRecipients, login_checker, running_smtp_server

AS_OF = "2026-11-28"
SMTP_USER, SMTP_PASSWORD = "mailer", "s3cret-for-tests"
runner = CliRunner()
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The small demo district, imported and synced once; each test works on a copy."""
    folder = tmp_path_factory.mktemp("demo-template")
    district = generate_district("small")
    assert str(district.as_of) == AS_OF
    cfg = load_config(write_demo(folder, district))
    with Store(cfg.store_path) as store:
        import_roster(cfg, store, cfg.roster_path)
        import_inventory(cfg, store, cfg.inventory_path, cfg.apps_path, cfg.holds_path)
        assert all(r.ok for r in run_sync(cfg, store, connector_factory(cfg)))
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return folder


class LoggedInInbox(InboxWithRecipients):
    def keep(self, session, envelope):
        assert session.authenticated, "the client must log in"
        return super().keep(session, envelope)


@pytest.fixture()
def smtp():
    inbox = LoggedInInbox()
    with running_smtp_server(
        inbox,
        authenticator=login_checker(SMTP_USER, SMTP_PASSWORD),
        auth_require_tls=False,
        auth_required=True,
    ) as controller:
        inbox.port = controller.port
        yield inbox


@pytest.fixture()
def district(demo_template, smtp, tmp_path, monkeypatch):
    folder = tmp_path / "district"
    shutil.copytree(demo_template, folder)
    config = folder / "access-review.toml"
    config.write_text(
        config.read_text()
        + f"""
[smtp]
host = "127.0.0.1"
port = {smtp.port}
security = "none"
allow_plaintext = true
username = "{SMTP_USER}"
password_env = "CAMPAIGN_TEST_SMTP_PASSWORD"
from = "access-review@district.example.org"

[campaigns]
default = "keep"
"""
    )
    monkeypatch.setenv("CAMPAIGN_TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.delenv("ACCESS_REVIEW_CONFIG", raising=False)
    return folder


def cli(folder: Path, *args, code: int = 0):
    result = runner.invoke(app, [*args, "--config", str(folder / "access-review.toml")])
    assert result.exit_code == code, result.output
    return result.output


# ---------------------------------------------------------------- helpers a reviewer's hands


def attachments(messages):
    """reviewer key -> (recipient, message, workbook bytes); the workbook is named
    ``access-review-<quarter>-<name>-<reviewer key>.xlsx``."""
    out = {}
    for rcpts, msg in messages:
        (attachment,) = [a for a in msg.iter_attachments()]
        reviewer = attachment.get_filename().rsplit("-", 1)[1].removesuffix(".xlsx")
        out[reviewer] = (rcpts[0], msg, attachment.get_content())
    return out


def save(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def rows(ws):
    return {ws.cell(r, 2).value: r for r in range(2, ws.max_row + 1)}


def reviewer_style(values):
    """Revoke what is recommended; keep the rest, justifying flagged keeps."""
    if values["Recommendation"].startswith("Revoke"):
        return ("Revoke", "")
    return ("Keep", "needed for their job; training booked" if values["Flags"] else "")


def decisions(folder):
    with Store(folder / "access-review.db") as store:
        return store.db.execute("SELECT count(*) FROM campaign_decisions").fetchone()[0]


def convert_with_libreoffice(files: list[Path], out: Path) -> None:
    proc = run_libreoffice(files, "pdf", out)
    for f in files:
        pdf = out / (f.stem + ".pdf")
        assert pdf.exists() and pdf.stat().st_size > 1000, (proc.stdout, proc.stderr)


# ---------------------------------------------------------------- the loop


def test_the_whole_campaign_loop_on_the_demo_district(district, smtp, tmp_path):
    out = cli(
        district, "campaign", "create", "--quarter", "2026Q4", "--due", "21d", "--today", AS_OF
    )
    assert "Created campaign 1 (2026Q4, all)" in out and "due 2026-12-19" in out
    out = cli(district, "campaign", "create", "--quarter", "2026Q4", "--today", AS_OF, code=1)
    assert "campaign 1 already covers 2026Q4 for all" in out

    # -- send: one message per reviewer, each with its workbook ---------------------------------
    out = cli(district, "campaign", "send")
    sent = attachments(smtp.take())
    with Store(district / "access-review.db") as store:
        cstore = CampaignStore(store)
        items = cstore.items(1)
        assert cstore.get(1).state == "open"
    by_reviewer = {}
    for i in items:
        by_reviewer.setdefault(i.reviewer, []).append(i)
    assert set(sent) == set(by_reviewer) and len(sent) >= 5
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    files = {}
    for reviewer, (email, msg, data) in sent.items():
        mine = by_reviewer[reviewer]
        assert email == mine[0].reviewer_email
        text = msg.get_body(("plain",)).get_content()
        assert f"{len(mine)} item(s) for 2026Q4" in text
        flagged = sum(
            i.flagged for i in mine
        )  # issue 16: the flagged sentence only when something is
        assert (
            (f"{flagged} of them are flagged" in text)
            if flagged
            else ("flagged" not in text.lower())
        )
        assert "December 19, 2026" in text and "Keep or Revoke" in text
        assert msg.get_body(("html",)) is not None
        files[reviewer] = save(inbox, f"{reviewer}.xlsx", data)
        frame = pd.read_excel(files[reviewer], sheet_name="Review", dtype=str)
        assert sorted(frame["Item"]) == sorted(i.item_id for i in mine)
        assert frame["Decision"].isna().all()

    sped = next(
        i for i in items if i.resource == "Special Education Records" and i.name == "Zoë O'Brien"
    )
    assert sped.recommendation == "revoke" and "Summer School Aides" in sped.path_text
    sped_file = files[sped.reviewer]
    silent = max(
        by_reviewer, key=lambda e: len(by_reviewer[e])
    )  # the busiest reviewer never answers
    assert silent != sped.reviewer

    # -- a second, narrower campaign delivered by hand (--out) -------------------------------------
    cli(
        district,
        "campaign",
        "create",
        "--quarter",
        "2026Q4",
        "--resource",
        "special education records",
        "--today",
        AS_OF,
    )
    cli(district, "campaign", "send", "--campaign", "2", "--out", str(tmp_path / "by-hand"))
    assert not smtp.take()
    (other_campaign_file,) = (tmp_path / "by-hand").glob(f"*-{sped.reviewer}.xlsx")

    # -- every rejection, each on its own copy; none records anything -----------------------------
    bad = tmp_path / "bad"
    bad.mkdir()
    flagged_keep_row = next(
        i for i in by_reviewer[sped.reviewer] if i.flagged and i.recommendation == "keep"
    )
    other_reviewer_file = next(f for e, f in files.items() if e != sped.reviewer)
    other_ws = load_workbook(other_reviewer_file)["Review"]

    def set_cell(item_id, column, value):
        return lambda ws: setattr(
            ws.cell(rows(ws)[item_id], HEADERS.index(column) + 1), "value", value
        )

    def paste_other_row(ws):
        for col in range(1, len(HEADERS) + 1):
            ws.cell(2, col).value = other_ws.cell(2, col).value

    cases = {
        "bad-value.xlsx": (
            set_cell(sped.item_id, "Decision", "Maybe"),
            "decision 'Maybe' is not Keep or Revoke",
        ),
        "no-justification.xlsx": (
            set_cell(flagged_keep_row.item_id, "Justification", None),
            "needs a justification",
        ),
        "edited.xlsx": (set_cell(sped.item_id, "Access", "admin"), "the Access cell was edited"),
        "key.xlsx": (
            set_cell(sped.item_id, "Key", f"1/{sped.item_id}/{'0' * 64}"),
            "the item key was altered",
        ),
        "pasted.xlsx": (paste_other_row, "belongs to another reviewer's workbook"),
    }
    for name, (edit, _) in cases.items():
        answer(sped_file, reviewer_style, out=bad / name, edit=edit)
    bad_files = [bad / n for n in cases] + [answer(other_campaign_file, reviewer_style)]
    out = cli(district, "campaign", "import", "--campaign", "1", *map(str, bad_files), code=3)
    for name, (_, reason) in cases.items():
        line = next(ln for ln in out.splitlines() if str(bad / name) in ln)
        assert reason in line and ", row " in line, line
    assert "belongs to campaign 2, not to campaign 1" in out
    assert out.count("nothing from this workbook was recorded") == len(bad_files)
    assert decisions(district) == 0
    # issue 16: the reviewer is e-mailed what to fix, with the workbook attached again (the
    # other campaign's workbook cannot be trusted to name its reviewer: no message for it)
    notices = smtp.take()
    assert [r[0] for r, _ in notices] == [sped.reviewer_email] * len(cases)
    for (_, msg), (name, (_, reason)) in zip(notices, cases.items()):
        assert "please fix 1 thing in" in msg["Subject"]
        assert reason in msg.get_body(("plain",)).get_content()
        (attached,) = msg.iter_attachments()
        assert (
            attached.get_filename() == name and attached.get_content() == (bad / name).read_bytes()
        )

    # -- the real returns: sorted, partial, one reviewer silent --------------------------------------
    def sort_by_person(ws):
        body = sorted(
            ([c.value for c in row] for row in ws.iter_rows(min_row=2)), key=lambda v: v[2]
        )
        for r, values in enumerate(body, 2):
            for col, v in enumerate(values, 1):
                ws.cell(r, col).value = v

    returned = [answer(sped_file, reviewer_style, edit=sort_by_person)]
    partial_email = next(e for e in files if e not in (silent, sped.reviewer))
    partial_items = {i.item_id for i in by_reviewer[partial_email][:1]}
    returned.append(
        answer(
            files[partial_email],
            lambda v: reviewer_style(v) if v["Item"] in partial_items else None,
        )
    )
    rubber_stamper = next(
        k
        for k in files
        if k not in (silent, sped.reviewer, partial_email)
        and any(i.flagged for i in by_reviewer[k])
    )
    for email, path in files.items():
        if email == rubber_stamper:  # keeps everything, flagged or not, with a token justification
            returned.append(answer(path, lambda v: ("Keep", "ok")))
        elif email not in (silent, sped.reviewer, partial_email):
            returned.append(answer(path, reviewer_style))
    out = cli(district, "campaign", "import", "--campaign", "1", *map(str, returned))
    answered = decisions(district)
    assert (
        answered == sum(len(by_reviewer[e]) for e in files if e not in (silent, partial_email)) + 1
    )
    out = cli(district, "campaign", "import", "--campaign", "1", *map(str, returned))
    assert "(0 new or changed)" in out and decisions(district) == answered

    # -- LibreOffice opens what we send and what comes back; pandas reads the answers --------------
    convert_with_libreoffice([files[silent], returned[0]], tmp_path)
    frame = pd.read_excel(returned[0], sheet_name="Review", dtype=str)
    assert set(frame["Decision"]) == {"Keep", "Revoke"}

    # -- remind before the due date: reminders only; after it: escalation to both ISOs -------------
    out = cli(district, "campaign", "remind", "--campaign", "1", "--today", "2026-12-01")
    reminders = smtp.take()
    assert sorted(r[0] for r, _ in reminders) == sorted(
        by_reviewer[k][0].reviewer_email for k in (silent, partial_email)
    )
    assert all(m["Subject"].startswith("Reminder:") for _, m in reminders)
    partial_msg = next(
        m
        for r, m in reminders
        if r[0] == by_reviewer[partial_email][0].reviewer_email
        and "still has" in m.get_body(("plain",)).get_content()
    )
    assert (
        f"still has {len(by_reviewer[partial_email]) - 1} undecided item(s)"
        in partial_msg.get_body(("plain",)).get_content()
    )
    cli(district, "campaign", "remind", "--campaign", "1", "--today", "2026-12-22")
    late = smtp.take()
    (escalation,) = [m for _, m in late if m["Subject"].startswith("Overdue")]
    cfg = load_config(district / "access-review.toml")
    assert {cfg.iso.email, cfg.iso.alternate_email} <= {
        a.addr_spec for a in escalation["To"].addresses
    }
    body = escalation.get_body(("plain",)).get_content()
    silent_name = by_reviewer[silent][0].reviewer_name
    silent_email = by_reviewer[silent][0].reviewer_email
    assert f"{silent_name} <{silent_email}>: {len(by_reviewer[silent])} undecided item(s)" in body

    out = cli(district, "campaign", "status", "--campaign", "1", "--today", "2026-12-22")
    assert "OVERDUE" in out and silent_name in out
    stamper = by_reviewer[rubber_stamper]
    stamper_line = next(ln for ln in out.splitlines() if stamper[0].reviewer_name in ln)
    flagged_count = sum(i.flagged for i in stamper)
    assert f"{flagged_count}/{flagged_count} all kept" in stamper_line  # rubber-stamping surfaced
    sped_line = next(ln for ln in out.splitlines() if sped.reviewer_name in ln)
    assert "all kept" not in sped_line

    # -- close: the default is recorded as a default, and the plan is shown but not applied --------
    out = cli(district, "campaign", "close", "--campaign", "1", "--today", AS_OF, "--yes")
    with Store(district / "access-review.db") as store:
        final = CampaignStore(store).effective_decisions(1)
    assert all(
        final[i.item_id].source == "default" and final[i.item_id].decision == "keep"
        for i in by_reviewer[silent]
    )
    assert final[sped.item_id].source == "reviewer" and final[sped.item_id].decision == "revoke"
    out = cli(district, "campaign", "remediate", "--campaign", "1")
    assert "This is the plan only" in out and "zoe.obrien" in out
    with Store(district / "access-review.db") as store:
        plan = CampaignStore(store).plan(1)
    assert plan and all(s.status == "planned" for s in plan)
    zoe = next(s for s in plan if s.item_id == sped.item_id)
    assert (zoe.kind, zoe.source) == (
        "remove_membership",
        "ad",
    ) and "Summer School Aides" in zoe.note

    cli(district, "campaign", "verify", "--campaign", "1", code=6)  # not remediated yet
    out = cli(district, "campaign", "remediate", "--campaign", "1", "--apply")
    assert "failed" in out and " 0 failed" in out
    with Store(district / "access-review.db") as store:
        entries = audit.entries(store, action_prefix="campaign.remediate")
        assert len(entries) == len(plan)
        zoe_entry = next(e for e in entries if e.details["item"] == sped.item_id)
        assert zoe_entry.details["status"] == "changed" and zoe_entry.details["prior"]

    # -- verify needs a complete sync after the remediation --------------------------------------
    out = cli(district, "campaign", "verify", "--campaign", "1", "--today", AS_OF, code=1)
    assert "no complete sync of" in out and "since the remediation" in out
    cli(district, "sync")
    out = cli(district, "campaign", "verify", "--campaign", "1", "--today", AS_OF)
    revoked = sum(1 for d in final.values() if d.decision == "revoke")
    assert f"{revoked} revoked item(s) confirmed gone, 0 still present" in out
    out = cli(district, "why", "zoe.obrien", "Special Education Records")
    assert "has no access" in out
    assert "audit log intact" in cli(district, "audit", "verify")

    # -- next quarter, last quarter's answers are shown as context ---------------------------------
    cli(district, "campaign", "create", "--quarter", "2027Q1", "--today", AS_OF)
    with Store(district / "access-review.db") as store:
        cstore = CampaignStore(store)
        latest = cstore.all()[-1]
        context = {(i.subject, i.resource): i.previous for i in cstore.items(latest.id)}
    kept = flagged_keep_row
    assert context[(kept.subject, kept.resource)] == (
        f"kept in 2026Q4 by {kept.reviewer_name}: needed for their job; training booked"
    )
    silent_item = by_reviewer[silent][0]
    assert context[
        (silent_item.subject, silent_item.resource)
    ] == (  # issue 16: non-response, said so
        "not answered in 2026Q4; kept by default"
    )
    assert (sped.subject, sped.resource) not in context  # revoked and gone: no longer an item


def test_remediation_failure_is_reported_and_only_failed_changes_are_retried(district, tmp_path):
    cfg = load_config(district / "access-review.toml")
    today = date.fromisoformat(AS_OF)
    with Store(cfg.store_path) as store:
        a = analyse(cfg, store, today=today)
        campaign, items = lifecycle.create_campaign(store, a, quarter="2026Q4", today=today)
        lifecycle.send_campaign(store, cfg, campaign.id, out=tmp_path / "wb")
        cstore = CampaignStore(store)
        from campaigns.model import Decision

        cstore.record_decisions(
            campaign.id,
            [
                Decision(i.item_id, "revoke", "reviewer")
                for i in items
                if i.recommendation == "revoke"
            ],
        )
        lifecycle.close_campaign(store, a, campaign.id, confirmed=True)
        real = {
            name: build_connector(name, s, base_dir=str(cfg.base_dir))
            for name, s in cfg.sources.items()
        }

        class Unreachable:
            def apply(self, action):
                raise SourceError("google", "POST directory/v1/groups", "connection refused")

        broken = lambda name: Unreachable() if name == "google" else real[name]  # noqa: E731 (a one-line stand-in for the connector factory)
        report = lifecycle.remediate(store, campaign.id, broken)
        assert report.failed and all(s.source == "google" for s in report.failed)
        assert "connection refused" in report.failed[0].message
        assert cstore.get(campaign.id).state == "closed"
        done = {s.id for s in cstore.plan(campaign.id) if s.status == "changed"}
        assert done

        applied = []

        class Recording:
            def __init__(self, inner):
                self.inner = inner

            def apply(self, action):
                applied.append(action)
                return self.inner.apply(action)

        report = lifecycle.remediate(store, campaign.id, lambda name: Recording(real[name]))
        assert not report.failed and {a.source for a in applied} == {"google"}
        assert cstore.get(campaign.id).state == "remediated"


def test_send_fails_cleanly_when_the_smtp_server_is_down(district, smtp):
    config = district / "access-review.toml"
    dead = free_port()
    config.write_text(config.read_text().replace(f"port = {smtp.port}", f"port = {dead}"))
    cli(district, "campaign", "create", "--quarter", "2026Q4", "--today", AS_OF)
    out = cli(district, "campaign", "send", code=5)
    assert f"SMTP 127.0.0.1:{dead}" in out and "0 of" in out
    with Store(district / "access-review.db") as store:
        assert CampaignStore(store).get(1).state == "draft"
        assert CampaignStore(store).deliveries(1) == []


def test_a_revoke_that_could_not_be_made_is_reported_still_present(district, tmp_path):
    """Zoë's account is protected, so her revoke is refused at planning; the next sync shows
    her access still there: verify reports it, and status lists it for the ISO."""
    cfg = load_config(district / "access-review.toml")
    today = date.fromisoformat(AS_OF)
    with Store(cfg.store_path) as store:
        a = analyse(cfg, store, today=today)
        campaign, items = lifecycle.create_campaign(store, a, quarter="2026Q4", today=today)
        zoe = next(
            i
            for i in items
            if i.name == "Zoë O'Brien" and i.resource == "Special Education Records"
        )
        luis = next(
            i for i in items if i.name == "Luis Núñez" and i.resource == "Special Education Records"
        )
    config = district / "access-review.toml"
    config.write_text(
        config.read_text().replace(
            "[protected]\naccounts = [", f'[protected]\naccounts = ["{zoe.accounts[0]}", ', 1
        )
    )
    cfg = load_config(config)
    assert zoe.accounts[0] in cfg.protected_accounts
    with Store(cfg.store_path) as store:
        lifecycle.send_campaign(store, cfg, campaign.id, out=tmp_path / "wb")
        from campaigns.model import Decision

        CampaignStore(store).record_decisions(
            campaign.id,
            [
                Decision(zoe.item_id, "revoke", "reviewer"),
                Decision(luis.item_id, "revoke", "reviewer"),
            ],
        )
    cli(district, "campaign", "close", "--today", AS_OF, "--yes")
    out = cli(district, "campaign", "remediate", "--apply")
    assert "1 refused" in out and "is a protected account — make this change by hand" in out
    cli(district, "sync")
    out = cli(district, "campaign", "verify", "--today", AS_OF, code=1)
    assert "1 revoked item(s) confirmed gone, 1 still present" in out
    assert f"still present {zoe.item_id} Zoë O'Brien → Special Education Records" in out
    assert "Summer School Aides" in out
    out = cli(district, "campaign", "status", "--campaign", str(campaign.id))
    assert "verification: 1 confirmed gone, 1 still present" in out
    assert f"still present {zoe.item_id}" in out
