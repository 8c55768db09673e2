"""Campaign pieces on small hand-made inputs: the state machine, the review workbook (formula
safety, protection, signatures), the importer's rejections, messages, and the remediation plan
(nested groups, grants, groups synced from AD, protected accounts)."""

from datetime import date
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from access_review.analysis import Analysis
from access_review.config import load_config
from access_review.errors import AccessReviewError, InputError
from access_review.inventory import Inventory, InventoryResource, Selector, parse_rules
from access_review.records import Account, Grant, Group, Membership, Person, Resource, Snapshot
from access_review.store import Store
from campaigns.importer import import_workbook
from campaigns.lifecycle import parse_due
from campaigns.mail import build_escalation_message, build_review_message
from campaigns.model import (
    CampaignStateError,
    Decision,
    effective_decision,
    next_state,
    parse_quarter,
)
from campaigns.remediation import default_decisions, plan_revocations
from campaigns.store import CampaignStore
from campaigns.workbook import HEADERS, write_review_workbook
from campaign_items import make_item
from libreoffice import run_libreoffice


# ---------------------------------------------------------------- state machine and decisions


def test_lifecycle_moves_only_along_the_table():
    assert next_state(1, "draft", "send") == "open"
    assert next_state(1, "open", "import") == "open"
    assert next_state(1, "open", "close") == "closed"
    assert next_state(1, "closed", "remediate") == "remediated"
    assert next_state(1, "remediated", "verify") == "verified"
    with pytest.raises(
        CampaignStateError, match="campaign 1 is draft; `import` is possible only when it is open"
    ):
        next_state(1, "draft", "import")
    with pytest.raises(CampaignStateError) as exc:
        next_state(1, "open", "remediate")
    assert "campaign close" in exc.value.hint
    with pytest.raises(CampaignStateError):
        next_state(1, "closed", "import")


def test_reviewer_answer_beats_default_and_later_answer_replaces_earlier():
    keep = Decision("I1", "keep", "reviewer", "needed")
    revoke = Decision("I1", "revoke", "reviewer")
    default = Decision("I1", "revoke", "default")
    assert effective_decision([keep, default]) is keep
    assert effective_decision([default, keep]) is keep
    assert effective_decision([keep, revoke]) is revoke
    assert effective_decision([]) is None


def test_due_dates_and_quarters():
    assert parse_due("21d", date(2026, 11, 28)) == date(2026, 12, 19)
    assert parse_due("2w", date(2026, 11, 28)) == date(2026, 12, 12)
    assert parse_due("2027-01-08", date(2026, 11, 28)) == date(2027, 1, 8)
    assert parse_quarter("2026q4") == (2026, 4)
    for bad in ("2026Q5", "Q4", "2026-4"):
        with pytest.raises(AccessReviewError):
            parse_quarter(bad)
    with pytest.raises(AccessReviewError):
        parse_due("soon", date(2026, 11, 28))


# ---------------------------------------------------------------- workbook and importer


HOSTILE = ['=HYPERLINK("http://evil","x")', "+1+2", "-3+4", "@SUM(A1)", "\t=1", "\r=2"]


@pytest.fixture()
def campaign(tmp_path):
    store = Store(tmp_path / "s.db")
    cstore = CampaignStore(store)
    items = [
        make_item(1),
        make_item(2, flags=(("unauthorized", "no rule matches"),)),
        make_item(3, name=HOSTILE[0], title=HOSTILE[1], building=HOSTILE[2]),
        make_item(4, reviewer="E2", name="Bo Ng"),
    ]
    c = cstore.create("2026Q4", "all", date(2026, 12, 19), {"ad": 1}, items)
    cstore.set_state(c.id, "open")
    yield store, cstore, cstore.get(c.id)
    store.close()


def write_for(cstore, c, reviewer, path):
    return write_review_workbook(
        path,
        campaign_id=c.id,
        quarter=c.quarter,
        secret=c.secret,
        reviewer=reviewer,
        reviewer_name="Dana Boss",
        due=c.due,
        items=cstore.items(c.id, reviewer),
    )


def row_of(ws, item_id):
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value == item_id)


DECISION = HEADERS.index("Decision") + 1


def test_workbook_is_protected_with_only_decision_and_justification_editable(campaign, tmp_path):
    store, cstore, c = campaign
    path = write_for(cstore, c, "E1", tmp_path / "e1.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Instructions", "Review", "Check"]
    assert wb["Check"].sheet_state == "hidden"
    ws = wb["Review"]
    assert [c.value for c in ws[1]] == list(HEADERS)
    assert ws.protection.sheet and not ws.protection.autoFilter
    assert ws.column_dimensions["A"].hidden
    # issue 16: the Person column (C) stays in view with the header, as on every printed page
    assert ws.freeze_panes == "D2" and ws.auto_filter.ref.startswith("A1:")
    unlocked = {
        ws.cell(1, col).value
        for row in ws.iter_rows(min_row=2)
        for col, cell in enumerate(row, 1)
        if not cell.protection.locked
    }
    assert unlocked == {"Decision", "Justification"}
    validation = ws.data_validations.dataValidation[0]
    assert validation.formula1 == '"Keep,Revoke"' and str(validation.sqref) == "O2:O4"
    flagged_row = row_of(ws, "I0002")
    assert ws.cell(flagged_row, 2).fill.fgColor.rgb.endswith("FCE4D6")
    # issue 16: flags in plain words
    assert ws.cell(flagged_row, HEADERS.index("Flags") + 1).value == (
        "Not authorized by the data inventory (no inventory rule covers this person)"
    )
    assert (
        ws.cell(row_of(ws, "I0001"), 2).fill.fgColor.rgb != ws.cell(flagged_row, 2).fill.fgColor.rgb
    )
    assert "1 is flagged" in " ".join(str(c.value) for c in wb["Instructions"]["A"])


def test_directory_text_is_never_a_formula(campaign, tmp_path):
    store, cstore, c = campaign
    path = write_for(cstore, c, "E1", tmp_path / "e1.xlsx")
    ws = load_workbook(path)["Review"]
    r = row_of(ws, "I0003")
    for col, text in ((3, HOSTILE[0]), (5, HOSTILE[1]), (6, HOSTILE[2])):
        cell = ws.cell(r, col)
        assert (cell.value, cell.data_type) == (text, "s")
        assert cell.quotePrefix
    frame = pd.read_excel(path, sheet_name="Review", dtype=str)
    assert frame.loc[frame["Item"] == "I0003", "Person"].item() == HOSTILE[0]
    import zipfile

    sheet_xml = zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml").decode()
    assert "<f>" not in sheet_xml


def fill(path, answers: dict[str, tuple[str, str]], out: Path | None = None, edit=None) -> Path:
    wb = load_workbook(path)
    ws = wb["Review"]
    for item_id, (decision, justification) in answers.items():
        r = row_of(ws, item_id)
        ws.cell(r, DECISION).value = decision
        ws.cell(r, DECISION + 1).value = justification
    if edit:
        edit(ws)
    out = out or path
    wb.save(out)
    return out


def decisions_count(store):
    return store.db.execute("SELECT count(*) FROM campaign_decisions").fetchone()[0]


def test_import_records_answers_idempotently_and_accepts_partial_reordered_returns(
    campaign, tmp_path
):
    store, cstore, c = campaign
    path = write_for(cstore, c, "E1", tmp_path / "e1.xlsx")

    def reverse_rows(ws):
        rows = [[cell.value for cell in row] for row in ws.iter_rows(min_row=2)]
        for i, values in enumerate(reversed(rows), 2):
            for col, v in enumerate(values, 1):
                ws.cell(i, col).value = v

    fill(path, {"I0002": ("Revoke", ""), "I0003": (" keep ", "")}, edit=reverse_rows)
    result = import_workbook(path, c, cstore)
    assert (result.reviewer, result.answered, result.recorded, result.undecided) == ("E1", 2, 2, 1)
    again = import_workbook(path, c, cstore)
    assert again.recorded == 0 and decisions_count(store) == 2
    fill(path, {"I0002": ("Keep", "covers for the nurse until June")})
    assert import_workbook(path, c, cstore).recorded == 1
    decided = cstore.effective_decisions(c.id)
    assert (decided["I0002"].decision, decided["I0002"].justification) == (
        "keep",
        "covers for the nurse until June",
    )
    assert decided["I0003"].decision == "keep" and "I0001" not in decided


@pytest.mark.parametrize(
    "case, reason, column",
    [
        ("bad value", "decision 'Maybe' is not Keep or Revoke", "Decision"),
        (
            "keep flagged",
            "Keep on a flagged item (not authorized by the inventory: no rule matches) needs a justification",
            "Justification",
        ),
        ("edited cell", "the Resource cell was edited", "Resource"),
        ("altered key", "the item key was altered", "Key"),
        ("other reviewer", "item I0004 belongs to another reviewer's workbook", "Key"),
    ],
)
def test_import_rejects_a_bad_workbook_whole(campaign, tmp_path, case, reason, column):
    store, cstore, c = campaign
    path = write_for(cstore, c, "E1", tmp_path / "e1.xlsx")
    other = load_workbook(write_for(cstore, c, "E2", tmp_path / "e2.xlsx"))["Review"]
    answers = {"I0001": ("Keep", "")}
    target = "I0003"

    def edit(ws):
        r = row_of(ws, target)
        if case == "bad value":
            ws.cell(r, DECISION).value = "Maybe"
        elif case == "keep flagged":
            ws.cell(row_of(ws, "I0002"), DECISION).value = "Keep"
        elif case == "edited cell":
            ws.cell(r, HEADERS.index("Resource") + 1).value = "Payroll"
        elif case == "altered key":
            ws.cell(r, 1).value = ws.cell(r, 1).value[:-1] + (
                "0" if ws.cell(r, 1).value[-1] != "0" else "1"
            )
        elif case == "other reviewer":
            for col in range(1, len(HEADERS) + 1):  # a row pasted from a colleague's workbook
                ws.cell(r, col).value = other.cell(2, col).value

    fill(path, answers, edit=edit)
    with pytest.raises(InputError) as exc:
        import_workbook(path, c, cstore)
    err = exc.value
    assert err.path == str(path) and reason in err.reason and err.column == column
    assert err.row == (
        row_of(load_workbook(path)["Review"], "I0002")
        if case == "keep flagged"
        else row_of(load_workbook(path)["Review"], "I0004" if case == "other reviewer" else target)
    )
    assert decisions_count(store) == 0, "none of a rejected workbook's answers may be recorded"


def test_import_rejects_another_campaigns_workbook_and_a_tampered_stamp(campaign, tmp_path):
    store, cstore, c = campaign
    other = cstore.create("2026Q3", "all", date(2026, 9, 30), {"ad": 1}, [make_item(1)])
    path = write_for(cstore, other, "E1", tmp_path / "q3.xlsx")
    with pytest.raises(InputError, match="belongs to campaign 2, not to campaign 1"):
        import_workbook(path, c, cstore)
    mine = write_for(cstore, c, "E1", tmp_path / "e1.xlsx")
    wb = load_workbook(mine)
    wb["Check"]["D1"].value = "E2"
    wb.save(mine)
    with pytest.raises(InputError, match="stamp was altered"):
        import_workbook(mine, c, cstore)
    not_xlsx = tmp_path / "notes.xlsx"
    not_xlsx.write_text("hello")
    with pytest.raises(InputError, match="not a review workbook"):
        import_workbook(not_xlsx, c, cstore)


def test_review_message_has_text_html_and_the_workbook(campaign, tmp_path):
    store, cstore, c = campaign
    items = cstore.items(c.id, "E1")
    path = write_for(cstore, c, "E1", tmp_path / "e1.xlsx")
    msg = build_review_message(
        sender="iso@d.org",
        reviewer_name="Dana Boss",
        reviewer_email="dana@d.org",
        quarter="2026Q4",
        due=c.due,
        items=items,
        workbook=path,
    )
    parsed = message_from_bytes(msg.as_bytes(), policy=default_policy)
    assert parsed["To"] == "Dana Boss <dana@d.org>"
    text = parsed.get_body(("plain",)).get_content()
    assert (
        "3 item(s)" in text
        and "1 of them are flagged" in text
        and "Saturday, December 19, 2026" in text
    )
    assert "Keep or Revoke" in parsed.get_body(("html",)).get_content()
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_filename() == "e1.xlsx"
    assert attachment.get_content() == path.read_bytes()
    escalation = build_escalation_message(
        sender="a@d.org",
        iso_names=[("Iso", "iso@d.org"), ("Alt", "alt@d.org")],
        quarter="2026Q4",
        due=c.due,
        overdue=[("Dana Boss", "dana@d.org", 3, 1)],
    )
    assert escalation["To"] == "Iso <iso@d.org>, Alt <alt@d.org>"
    assert (
        "Dana Boss <dana@d.org>: 3 undecided item(s), 1 flagged"
        in escalation.get_body(("plain",)).get_content()
    )


def test_default_at_close_is_recorded_as_default_only_for_undecided():
    items = [make_item(1), make_item(2)]
    decided = {"I0001": Decision("I0001", "keep", "reviewer")}
    assert default_decisions(items, decided, "none") == []
    (d,) = default_decisions(items, decided, "revoke")
    assert (d.item_id, d.decision, d.source) == ("I0002", "revoke", "default")


# ---------------------------------------------------------------- remediation plan


def small_analysis(tmp_path, protected=()):
    cfg_path = tmp_path / "access-review.toml"
    cfg_path.write_text(
        '[iso]\nname = "Iso"\nemail = "iso@d.org"\n[protected]\naccounts = %s\n'
        '[sources.ad]\ntype = "ad"\n[sources.entra]\ntype = "entra"\n'
        % list(protected).__repr__().replace("'", '"')
    )
    ad = Snapshot("ad", complete=True)
    ad.accounts = [
        Account("ad", "ann", "ann", employee_id="E1"),
        Account("ad", "bob", "bob", employee_id="E2"),
        Account("ad", "cy", "cy", employee_id="E3"),
    ]
    ad.groups = [
        Group("ad", "sped", "SpEd Staff"),
        Group("ad", "aides", "Aides"),
        Group("ad", "pst", "PS Teachers"),
    ]
    ad.memberships = [
        Membership("ad", "ad:group:sped", "ad:group:aides", "group"),
        Membership("ad", "ad:group:aides", "ad:account:ann"),
        Membership("ad", "ad:group:aides", "ad:account:bob"),
        Membership("ad", "ad:group:pst", "ad:account:cy"),
    ]
    entra = Snapshot("entra", complete=True)
    entra.accounts = [
        Account("entra", "cy", "cy@d.org", employee_id="E3", authority="ad"),
        Account("entra", "ann", "ann@d.org", employee_id="E1"),
    ]
    entra.groups = [Group("entra", "pst", "PS Teachers", authority="ad")]
    entra.memberships = [Membership("entra", "entra:group:pst", "entra:account:cy")]
    entra.resources = [Resource("entra", "sis", "SIS", "app")]
    entra.grants = [
        Grant("entra", "g1", "entra:resource:sis", "entra:account:ann", "write", "app_role")
    ]
    persons = [
        Person("E1", "Ann"),
        Person("E2", "Bob"),
        Person("E3", "Cy"),
        Person("E9", "Boss", title="Director"),
    ]
    everyone = parse_rules("person_type=employee")
    inventory = Inventory(
        resources=(
            InventoryResource(
                "SpEd Records",
                "confidential",
                "E9",
                (Selector("ad", "group", "SpEd Staff"),),
                everyone,
            ),
            InventoryResource(
                "Student Info",
                "confidential",
                "E9",
                (Selector("entra", "group", "PS Teachers"), Selector("entra", "app", "SIS")),
                everyone,
            ),
        )
    )
    return Analysis(
        config=load_config(cfg_path),
        snapshots={"ad": ad, "entra": entra},
        persons={p.key: p for p in persons},
        inventory=inventory,
        today=date(2026, 11, 28),
    )


def test_plan_cuts_the_persons_own_membership_of_a_shared_nested_group(tmp_path):
    a = small_analysis(tmp_path)
    item = make_item(1, subject="person:E1", resource="SpEd Records")
    (step,) = plan_revocations(a, [item], ["I0001"])
    assert (step.source, step.kind, step.target, step.params) == (
        "ad",
        "remove_membership",
        "ad:group:aides",
        {"member": "ad:account:ann"},
    )
    assert "Aides' also serves 1 other member(s): only ann's own membership is removed" in step.note


def test_plan_removes_a_direct_grant_and_plans_synced_groups_in_ad(tmp_path):
    a = small_analysis(tmp_path)
    ann = make_item(1, subject="person:E1", resource="Student Info")
    cy = make_item(2, subject="person:E3", resource="Student Info")
    steps = plan_revocations(a, [ann, cy], ["I0001", "I0002"])
    by_item = {s.item_id: s for s in steps}
    assert (by_item["I0001"].kind, by_item["I0001"].target) == ("remove_grant", "entra:grant:g1")
    cy_step = by_item["I0002"]
    assert (cy_step.source, cy_step.target, cy_step.params) == (
        "ad",
        "ad:group:pst",
        {"member": "ad:account:cy"},
    )
    assert "synced from AD: the change is made in AD" in cy_step.note


def test_plan_refuses_protected_accounts_and_what_a_connector_refuses(tmp_path):
    a = small_analysis(tmp_path, protected=["ad:account:ann"])
    item = make_item(1, subject="person:E1", resource="SpEd Records")
    (step,) = plan_revocations(a, [item], ["I0001"])
    assert (step.status, step.message) == ("refused", "ann is a protected account")
    a = small_analysis(tmp_path)
    (step,) = plan_revocations(a, [item], ["I0001"], refusal=lambda *args: "group is dynamic")
    assert (step.status, step.message) == ("refused", "group is dynamic")


def test_a_workbook_saved_by_libreoffice_still_imports(campaign, tmp_path):
    """Reviewers on Chromebooks or Linux answer in LibreOffice; its re-saved xlsx must pass
    every check (signatures, untouched cells including formula-like text)."""
    store, cstore, c = campaign
    path = fill(
        write_for(cstore, c, "E1", tmp_path / "in" / "e1.xlsx"),
        {"I0001": ("Keep", ""), "I0002": ("Revoke", ""), "I0003": ("Keep", "")},
    )
    run_libreoffice([path], "xlsx:Calc MS Excel 2007 XML", tmp_path / "out")
    resaved = tmp_path / "out" / "e1.xlsx"
    assert resaved.read_bytes() != path.read_bytes()
    outcome = import_workbook(resaved, c, cstore)
    assert (outcome.answered, outcome.recorded) == (3, 3)
    assert (
        load_workbook(resaved)["Review"]
        .cell(row_of(load_workbook(resaved)["Review"], "I0003"), 3)
        .value
        == HOSTILE[0]
    )
