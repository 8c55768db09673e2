"""Suspension and restore against a real Samba AD DC (tests/samba_dc.py): the account is
disabled and re-enabled through the AD connector, and every state is read back with Samba's own
`samba-tool user show`, never through the connector. Drift made with Samba's tools is reported,
not overwritten. Fails (never skips) when Samba cannot run."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from access_review.analysis import Analysis
from access_review.config import load_config
from access_review.inventory import Inventory
from access_review.records import Person
from access_review.retry import RetryPolicy
from access_review.store import Store
from access_review.suspension.apply import apply_case
from access_review.suspension.plan import Protection, build_plan, directory_kinds
from access_review.suspension.restore import apply_restore, plan_restore
from access_review.suspension.store import SuspensionStore
from connectors.ad.connector import build_connector
from samba_dc import SambaDC, build_district

# A loopback address of its own, so this DC never collides with another test module's.
ADDRESS = "127.0.0.7"


@pytest.fixture(scope="module")
def district():
    return build_district(30)


@pytest.fixture(scope="module")
def dc(tmp_path_factory, district):
    dc = SambaDC.create(
        tmp_path_factory.mktemp("samba-suspend"), ldif=district.ldif, address=ADDRESS, start=False
    )
    dc.ldbmodify(district.modify_ldif)
    # Samba's default pid file is /run/samba/samba.pid, shared by every DC on the machine: give
    # this one its own, so it starts while another test run's DC is up.
    (dc.directory / "run").mkdir(exist_ok=True)
    dc.conf.write_text(
        dc.conf.read_text().replace(
            "[global]\n", f"[global]\n\tpid directory = {dc.directory / 'run'}\n", 1
        )
    )
    dc.start()
    yield dc
    dc.stop()


@pytest.fixture(scope="module")
def connector(dc):
    return build_connector(
        "ad", dc.settings(), base_dir=".", retry_policy=RetryPolicy(tries=2, base=0.01, cap=0.05)
    )


@pytest.fixture
def sstore(tmp_path):
    with Store(tmp_path / "store.db") as store:
        yield SuspensionStore(store)


def uac(dc, sam: str) -> int:
    shown = dc.samba_tool("user", "show", sam)
    return int(
        next(
            line.split(":", 1)[1]
            for line in shown.splitlines()
            if line.startswith("userAccountControl:")
        )
    )


def analysis(tmp_path, snapshot, persons) -> Analysis:
    (tmp_path / "access-review.toml").write_text('[sources.ad]\ntype = "ad"\n')
    return Analysis(
        config=load_config(tmp_path / "access-review.toml"),
        snapshots={"ad": snapshot},
        persons={p.key: p for p in persons},
        inventory=Inventory(resources=()),
        today=date(2026, 11, 28),
    )


def staff(district, n: int, enabled: bool = True):
    return [p for p in district.people if not p["student"] and p["enabled"] == enabled][n]


def employee(person) -> Person:
    return Person(
        f"E{int(person['sam'][1:]):05d}", person["cn"], email=f"{person['sam']}@district.test"
    )


def test_suspend_and_restore_read_back_with_samba_tool(dc, district, connector, sstore, tmp_path):
    person, already = staff(district, 1), staff(district, 0, enabled=False)
    before = uac(dc, person["sam"])
    a = analysis(tmp_path, connector.fetch_snapshot(None), [employee(person)])
    plan = build_plan(
        a,
        [employee(person).employee_id, already["sam"]],
        kinds=directory_kinds(a.config),
        protection=Protection.from_config(a.config),
    )
    assert {p.login: p.disposition for p in plan.accounts} == {
        person["sam"]: "suspend",
        already["sam"]: "already disabled",
    }
    sstore.record_plan("AD-1", "investigation", None, plan, "iso")

    assert apply_case(sstore, "AD-1", lambda s: connector).complete
    assert uac(dc, person["sam"]) == before | 0x2
    assert apply_case(sstore, "AD-1", lambda s: connector).outcomes == []

    restore = plan_restore(sstore, "AD-1", {}, {})
    assert {i.login: i.action for i in restore.items} == {
        person["sam"]: "re-enable",
        already["sam"]: "leave disabled",
    }
    assert apply_restore(sstore, restore, lambda s: connector).restored_case
    assert uac(dc, person["sam"]) == before  # only bit 0x2 moved, and back
    assert uac(dc, already["sam"]) & 0x2  # disabled before the case: still disabled


def test_drift_made_with_samba_tool_is_reported_not_overwritten(
    dc, district, connector, sstore, tmp_path
):
    enabled_again, reconfigured = staff(district, 2), staff(district, 3)
    persons = [employee(enabled_again), employee(reconfigured)]
    a = analysis(tmp_path, connector.fetch_snapshot(None), persons)
    plan = build_plan(
        a,
        [p.employee_id for p in persons],
        kinds=directory_kinds(a.config),
        protection=Protection.from_config(a.config),
    )
    sstore.record_plan("AD-2", "investigation", None, plan, "iso")
    assert apply_case(sstore, "AD-2", lambda s: connector).complete

    # Someone else, with Samba's own tools: re-enables one account, and on the other (still
    # disabled) sets "password never expires".
    dc.samba_tool("user", "enable", enabled_again["sam"])
    dc.samba_tool("user", "setexpiry", reconfigured["sam"], "--noexpiry")
    reconfigured_uac = uac(dc, reconfigured["sam"])
    assert reconfigured_uac & 0x2 and reconfigured_uac & 0x10000

    later = connector.fetch_snapshot(None)
    restore = plan_restore(sstore, "AD-2", {"ad": later}, {"ad": datetime.now(timezone.utc)})
    reasons = {i.login: (i.action, i.reason) for i in restore.items}
    assert (
        reasons[enabled_again["sam"]][0] == "drift"
        and "enabled again" in reasons[enabled_again["sam"]][1]
    )
    assert (
        reasons[reconfigured["sam"]][0] == "drift"
        and "userAccountControl changed" in reasons[reconfigured["sam"]][1]
    )

    apply_restore(sstore, restore, lambda s: connector)
    assert (
        uac(dc, reconfigured["sam"]) == reconfigured_uac
    )  # not overwritten: still as they left it
    assert {s.restore_status for s in sstore.steps("AD-2")} == {"drift"}
