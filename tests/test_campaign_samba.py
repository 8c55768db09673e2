"""A campaign revoke carried out against a real Samba AD DC, read back with Samba's own tools,
then confirmed gone by the next sync."""

import csv
from datetime import date

import pytest

from access_review.analysis import analyse
from access_review.imports import import_inventory, import_roster
from access_review.config import load_config
from access_review.store import Store
from access_review.cli.connectors import connector_factory
from access_review.sync import run_sync
from campaigns import lifecycle
from campaigns.store import CampaignStore
from campaigns.workbook import HEADERS
from connectors.registry import build_connector
from openpyxl import load_workbook
from samba_dc import SambaDC, build_district

pytestmark = pytest.mark.samba
ADDRESS = "127.0.0.31"  # its own loopback address, so it never meets the AD tests' DC
TODAY = date(2026, 11, 28)
DECISION = HEADERS.index("Decision") + 1


@pytest.fixture(scope="module")
def samba(tmp_path_factory):
    district = build_district(30)
    dc = SambaDC.create(
        tmp_path_factory.mktemp("samba-campaign"), ldif=district.ldif, address=ADDRESS
    )
    yield dc, district
    dc.stop()


def write_district_files(folder, dc, district):
    staff = [p for p in district.people if not p["student"]]
    with open(folder / "roster.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["employee_id", "name", "email", "title", "department", "building", "training_date"]
        )
        for p in staff:
            i = int(p["sam"][1:])
            w.writerow(
                [
                    f"E{i:05d}",
                    p["cn"],
                    f"{p['sam']}@district.test",
                    "Teacher",
                    p["building"],
                    p["building"],
                    "2026-09-01",
                ]
            )
        w.writerow(
            [
                "E90000",
                "Dana Director",
                "dana@district.test",
                "Director of Special Education",
                "Special Education",
                "District Office",
                "2026-09-01",
            ]
        )
    with open(folder / "inventory.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["resource", "classification", "data_manager", "entitlements", "authorized"])
        w.writerow(
            [
                "Special Education Records",
                "confidential",
                "E90000",
                "ad:group:SpEd Staff",
                "building=Lincoln Elementary",
            ]
        )
    settings = dc.settings()
    lines = [
        "[store]",
        'path = "store.db"',
        "[roster]",
        'path = "roster.csv"',
        "[inventory]",
        'path = "inventory.csv"',
        "[iso]",
        'name = "Iso"',
        'email = "iso@district.test"',
        "[classify]",
        'student_org_units = ["OU=Students"]',
        "[sources.ad]",
    ]
    lines += [
        f"{k} = {v!r}".replace("'", '"') if isinstance(v, str) else f"{k} = {v}"
        for k, v in settings.items()
    ]
    (folder / "access-review.toml").write_text("\n".join(lines) + "\n")
    return load_config(folder / "access-review.toml")


def members(dc, district, cn):
    entry = dc.ldbsearch(f"(cn={cn})", ["member"], base=f"OU=Groups,{dc.base_dn}")[0]
    return {m.lower() for m in entry.get("member", [])}


def test_a_revoked_membership_is_removed_in_samba_and_verified_by_the_next_sync(samba, tmp_path):
    dc, district = samba
    cfg = write_district_files(tmp_path, dc, district)
    # person 4 is staff in Adams Middle and a member of SpEd Staff: not authorized (Lincoln only)
    adams = district.people[4]
    assert not adams["student"] and adams["building"] != "Lincoln Elementary"
    assert adams["dn"].lower() in members(dc, district, "SpEd Staff")

    with Store(cfg.store_path) as store:
        import_roster(cfg, store, cfg.roster_path)
        import_inventory(cfg, store, cfg.inventory_path, None, None)
        assert all(r.ok for r in run_sync(cfg, store, connector_factory(cfg)))
        a = analyse(cfg, store, today=TODAY)
        campaign, items = lifecycle.create_campaign(store, a, quarter="2026Q4", today=TODAY)
        target = next(i for i in items if i.employee_id == "E00004")
        assert target.recommendation == "revoke" and target.reviewer == "E90000"
        delivered = {
            d.reviewer: d.where
            for d in lifecycle.send_campaign(store, cfg, campaign.id, out=tmp_path / "out")
        }

        wb = load_workbook(delivered["E90000"])
        ws = wb["Review"]
        for r in range(2, ws.max_row + 1):
            flagged = bool(ws.cell(r, HEADERS.index("Flags") + 1).value)
            revoke = ws.cell(r, 2).value == target.item_id
            ws.cell(r, DECISION).value = "Revoke" if revoke else "Keep"
            ws.cell(r, DECISION + 1).value = (
                "student aide in the SpEd program" if flagged and not revoke else ""
            )
        wb.save(delivered["E90000"])
        outcome = lifecycle.import_workbooks(store, [delivered["E90000"]], campaign.id)
        assert not outcome.rejected, outcome.rejected

        plan = lifecycle.close_campaign(store, a, campaign.id).plan
        (step,) = [s for s in plan if s.item_id == target.item_id]
        assert (step.source, step.kind, step.status) == ("ad", "remove_membership", "planned")

        connector = build_connector("ad", cfg.sources["ad"], base_dir=str(cfg.base_dir))
        report = lifecycle.remediate(store, campaign.id, lambda name: connector)
        assert not report.failed and report.changed >= 1
        applied = next(
            s for s in CampaignStore(store).plan(campaign.id) if s.item_id == target.item_id
        )
        assert applied.status == "changed" and applied.prior.get("was_member") is True

        # read back with Samba's own tools: gone from the group, the account itself untouched
        assert adams["dn"].lower() not in members(dc, district, "SpEd Staff")
        assert dc.count(f"(sAMAccountName={adams['sam']})") == 1

        assert all(r.ok for r in run_sync(cfg, store, connector_factory(cfg)))
        results = lifecycle.verify_campaign(store, analyse(cfg, store, today=TODAY), campaign.id)
        assert {v.item.item_id: v.status for v in results}[target.item_id] == "gone"
