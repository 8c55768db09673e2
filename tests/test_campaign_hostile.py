"""The campaign part of the hostile review (issue 15), each finding performed as an attack:
full-width formula starters in a workbook, a data manager's employee id that walks out of the
output folder (send --out and remind), file modes, SMTP login in clear, and names that carry
terminal markup or escape codes through every campaign command that prints them."""

from __future__ import annotations

import csv
import stat
import zipfile
from datetime import date
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from openpyxl import load_workbook
from typer.testing import CliRunner

from access_review.cli import app
from access_review.config import load_config
from access_review.imports import import_roster
from access_review.store import Store
from campaigns import lifecycle
from campaigns.items import Item
from campaigns.store import CampaignStore
from campaigns.workbook import HEADERS, write_review_workbook
from smtp_server import Inbox, running_smtp_server

runner = CliRunner()
TRAVERSAL = "../../../../../elsewhere/PWNED"
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


class LoginRecordingInbox(Inbox):
    """Also keeps every login attempt: the test checks none was made in clear."""

    def __init__(self):
        super().__init__()
        self.logins = []

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        with self.lock:
            self.logins.append(auth_data)
        return AuthResult(success=isinstance(auth_data, LoginPassword), handled=False)


@pytest.fixture()
def smtp():
    inbox = LoginRecordingInbox()
    with running_smtp_server(
        inbox, authenticator=inbox.authenticate, auth_require_tls=False
    ) as controller:
        inbox.port = controller.port
        yield inbox


def item(
    n: int,
    *,
    reviewer: str,
    reviewer_name: str,
    name: str = "Ann Lee",
    resource: str = "Payroll",
    flags=(),
) -> Item:
    return Item(
        item_id=f"I{n:04d}",
        subject=f"person:P{n}",
        name=name,
        employee_id=f"P{n}",
        title="Clerk",
        building="Central",
        accounts=(f"ad:account:{n}",),
        account_labels=(f"ad:user{n}",),
        resource=resource,
        classification="critical",
        level="read",
        paths=(),
        path_text="x",
        flags=tuple(flags),
        recommendation="revoke" if flags else "keep",
        reason="Not flagged by any check.",
        reviewer=reviewer,
        reviewer_name=reviewer_name,
        reviewer_email="dm@d.org",
        access_text=f"Member of the AD group '{resource}'",
    )


def district(
    folder: Path, items: list[Item], smtp_port: int | None = None, smtp_extra: str = ""
) -> Path:
    """A config and a store holding one open campaign of ``items`` (no directories needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "access-review.toml"
    text = '[iso]\nname = "Tim Smith"\nemail = "iso@d.org"\n'
    if smtp_port:
        text += f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n{smtp_extra}\n'
    config.write_text(text)
    with Store(folder / "access-review.db") as store:
        cstore = CampaignStore(store)
        c = cstore.create("2026Q4", "all", date(2026, 12, 19), {"ad": 1}, items, "keep")
        cstore.set_state(c.id, "open")
    return config


def cli(config: Path, *args, code: int = 0) -> str:
    result = runner.invoke(app, [*args, "--config", str(config)])
    assert result.exit_code == code, result.output
    return result.output


# ---------------------------------------------------------------- full-width formula starters

FULL_WIDTH = ['＝HYPERLINK("http://evil.example","x")', "＋1+2", "－3+4", "＠SUM(A1)"]


def test_full_width_formula_starters_are_quote_prefixed_too(tmp_path):
    items = [
        item(n, reviewer="E1", reviewer_name="Dana", name=text)
        for n, text in enumerate(FULL_WIDTH, 1)
    ]
    path = write_review_workbook(
        tmp_path / "w.xlsx",
        campaign_id=1,
        quarter="2026Q4",
        secret="00" * 32,
        reviewer="E1",
        reviewer_name="Dana",
        due=date(2026, 12, 19),
        items=items,
    )
    ws = load_workbook(path)["Review"]
    person = HEADERS.index("Person") + 1
    cells = {ws.cell(r, person).value: ws.cell(r, person) for r in range(2, ws.max_row + 1)}
    assert set(cells) == set(FULL_WIDTH)
    for cell in cells.values():
        assert cell.data_type == "s" and cell.quotePrefix  # an edit in Excel/Calc keeps it text
    assert "<f>" not in zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml").decode()


# ---------------------------------------------------------------- a file name that walks out


def test_an_employee_id_cannot_write_outside_the_send_folder_and_files_are_owner_only(tmp_path):
    config = district(tmp_path / "d", [item(1, reviewer=TRAVERSAL, reviewer_name="Søren White")])
    out = tmp_path / "a" / "b" / "c" / "out"
    with Store(tmp_path / "d" / "access-review.db") as store:
        (delivery,) = lifecycle.send_campaign(store, load_config(config), out=out)
    written = [p for p in tmp_path.rglob("*.xlsx")]
    assert (
        written
        == [out / "access-review-2026Q4-Soren-White-elsewhere-PWNED.xlsx"]
        == [Path(delivery.where)]
    )
    assert not any(tmp_path.rglob("*PWNED*/")) and not (tmp_path / "a" / "elsewhere").exists()
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert stat.S_IMODE(written[0].stat().st_mode) == 0o600
    # the same through the CLI, as the ISO runs it
    cli(config, "campaign", "send", "--out", str(tmp_path / "again"))
    assert [p.name for p in (tmp_path / "again").iterdir()] == [written[0].name]


def test_remind_builds_its_attachments_inside_its_own_folder_owner_only(
    tmp_path, smtp, monkeypatch
):
    import tempfile

    import campaigns.delivery as lifecycle_module

    config = district(
        tmp_path / "d", [item(1, reviewer=TRAVERSAL, reviewer_name="Søren White")], smtp.port
    )
    scratch = tmp_path / "t" / "u" / "v" / "tmp"
    scratch.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    seen = []
    build = lifecycle_module.build_review_message

    def watching(**kwargs):
        wb = kwargs["workbook"]
        seen.append((wb, stat.S_IMODE(wb.stat().st_mode), stat.S_IMODE(wb.parent.stat().st_mode)))
        return build(**kwargs)

    monkeypatch.setattr(lifecycle_module, "build_review_message", watching)
    cli(config, "campaign", "remind", "--today", "2026-12-01")
    ((path, file_mode, folder_mode),) = seen
    assert (
        path.parent.parent == scratch
        and path.name == "access-review-2026Q4-Soren-White-elsewhere-PWNED.xlsx"
    )
    assert (file_mode, folder_mode) == (0o600, 0o700)
    assert not list(tmp_path.rglob("*PWNED*")) and not (tmp_path / "t" / "elsewhere").exists()
    (msg,) = smtp.messages
    (attachment,) = msg.iter_attachments()
    assert attachment.get_filename() == path.name


# ---------------------------------------------------------------- a password in clear


def test_smtp_login_without_encryption_is_refused_unless_the_config_allows_it(
    tmp_path, smtp, monkeypatch
):
    monkeypatch.setenv("HOSTILE_SMTP_PASSWORD", "s3cret")
    login = 'username = "mailer"\npassword_env = "HOSTILE_SMTP_PASSWORD"\nfrom = "ar@d.org"'
    config = district(
        tmp_path / "d", [item(1, reviewer="E1", reviewer_name="Dana")], smtp.port, login
    )
    out = cli(config, "campaign", "send", code=2)
    assert (
        'security = "none" with a username would send the password' in out
        and "allow_plaintext" in out
    )
    assert smtp.logins == [] and smtp.messages == []
    with Store(tmp_path / "d" / "access-review.db") as store:
        assert CampaignStore(store).deliveries(1) == []
    config.write_text(config.read_text() + "allow_plaintext = true\n")
    cli(config, "campaign", "send")
    assert [x.login for x in smtp.logins] == [b"mailer"] and len(smtp.messages) == 1


# ---------------------------------------------------------------- names that carry markup or escapes

HOSTILE_NAME = "[link=http://evil.example]Dana[/link] [/] \x1b[31mRED"


def test_names_with_markup_and_escapes_are_shown_never_obeyed(tmp_path):
    items = [
        item(
            1,
            reviewer="E1",
            reviewer_name=HOSTILE_NAME,
            name="[bold]Ann[/bold] \x1b]0;pwn\x07",
            resource="Pay[/]roll",
        ),
        item(2, reviewer="E1", reviewer_name=HOSTILE_NAME, flags=(("separated", "left"),)),
    ]
    config = district(tmp_path / "d", items)
    outputs = [
        cli(config, "campaign", "send", "--out", str(tmp_path / "out")),
        cli(config, "campaign", "status", "--campaign", "2026Q4"),
        cli(config, "campaign", "list"),
    ]
    (workbook,) = (tmp_path / "out").iterdir()
    wb = load_workbook(workbook)
    wb["Review"].cell(2, HEADERS.index("Decision") + 1).value = "Maybe [red]"
    bad = tmp_path / "[bold]bad\x1b[0m.xlsx"
    wb.save(bad)
    outputs.append(cli(config, "campaign", "import", str(bad), code=3))
    for out in outputs:
        assert "\x1b" not in out and "\x07" not in out and "Traceback" not in out
    joined = "".join(outputs)
    assert "[link=http://evil.example]Dana[/link] [/] \\x1b[31mRED" in joined.replace("\n", "")
    assert (
        "[bold]bad\\x1b[0m.xlsx" in outputs[-1].replace("\n", "") and "'Maybe [red]'" in outputs[-1]
    )


def test_a_hostile_roster_name_goes_through_create_close_and_remediate(demo):
    """The whole path on the demo district: a data manager's roster name with markup."""
    roster = demo.config.roster_path
    rows = list(csv.DictReader(roster.open(encoding="utf-8")))
    manager = next(r for r in rows if r["title"] == "Director of Special Education")
    manager["name"] = "[link=http://evil.example]Chloé[/link] [/]"
    with roster.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with Store(demo.config.store_path) as store:
        import_roster(demo.config, store, roster)
    config = demo.config_path
    today = str(demo.district.as_of)
    outputs = [
        cli(config, "campaign", "create", "--quarter", "2026Q4", "--today", today),
        cli(config, "campaign", "send", "--out", str(demo.folder / "out")),
        cli(config, "campaign", "close", "--today", today, code=8),
        cli(config, "campaign", "close", "--today", today, "--yes"),
        cli(config, "campaign", "status"),
        cli(config, "campaign", "remediate"),
    ]
    assert all("Traceback" not in out for out in outputs)
    assert "[link=http://evil.example]Chloé[/link] [/]" in "".join(outputs).replace("\n", "")
    assert [p.name for p in (demo.folder / "out").iterdir() if "Chlo" in p.name] == [
        f"access-review-2026Q4-link-http-evil-example-Chloe-link-{manager['employee_id']}.xlsx"
    ]
