"""Suspension plan benchmark (issue 13 goal 5): planning reads only the named person's accounts,
fresh from each directory, instead of a sync of every source — target <= 2 s at district scale.

Part 1, district scale (the demo district, its directories served by the demo connector):
  plan     `access-review suspend <person> --case ... --reason ...` (a dry run) as a whole
           process, process start included: resolve the person against the stored analysis,
           read their accounts from the three directories, plan;
  restore  `access-review restore --case ...` (a dry run) of a case suspended beforehand: the
           case's accounts read fresh for the drift check;
  before   what they did before issue 13: a sync of every source (restore ran one first) and the
           analysis rebuilt from it (suspend planned from it), in one child.
Part 2, real protocols, one person with an account in each directory, --latency added to every
round trip (the servers of bench/bench_suspend.py: a real Samba AD DC behind a latency proxy,
tests/entra_fake.py, tests/google_fake.py): the plan's reads timed, and the requests each
directory received counted, against a sync of the three directories under the same latency.

Run:  python bench/bench_suspend_plan.py [--runs 5] [--latency 0.1] [--skip-protocols]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]
TARGET_S = 2.0


# -- part 1: the district -------------------------------------------------------------------------
def prepare(folder: Path) -> dict:
    from access_review.cli.connectors import connector_factory
    from access_review.config import load_config
    from access_review.demo import generate_district, write_demo
    from access_review.imports import import_inventory, import_roster
    from access_review.store import Store
    from access_review.stored_analysis import refresh_analysis
    from access_review.sync import run_sync

    district = generate_district("district")
    cfg = load_config(write_demo(folder, district))
    with Store(cfg.store_path) as store:
        import_roster(cfg, store, cfg.roster_path)
        import_inventory(cfg, store, cfg.inventory_path, cfg.apps_path, cfg.holds_path)
        assert all(r.ok for r in run_sync(cfg, store, connector_factory(cfg, cache=False)))  # noqa: S101 (the bench checks its own premise)
        refresh_analysis(cfg, store)
        # Two people with an account in each of the three directories, nobody protected.
        rows = store.db.execute(
            "SELECT person FROM analysis_links WHERE to_run IS NULL GROUP BY person"
            " HAVING COUNT(DISTINCT substr(account, 1, instr(account, ':') - 1)) = 3 ORDER BY person LIMIT 40"
        ).fetchall()
    protected = {v.lower() for v in cfg.protected_accounts} | {v.lower() for v in cfg.iso.accounts}
    people = [r[0].split(":", 1)[1] for r in rows]
    return {"config": str(cfg.path), "people": people[5:7], "protected": sorted(protected)}


def before_child(config: str) -> None:
    """A sync of every source, then the analysis built from it (the old suspend and restore)."""
    from access_review.analysis import analyse
    from access_review.cli.connectors import connector_factory
    from access_review.config import load_config
    from access_review.store import Store
    from access_review.sync import run_sync

    cfg = load_config(config)
    with Store(cfg.store_path) as store:
        run_sync(cfg, store, connector_factory(cfg, cache=False))
        analyse(cfg, store)


def run_child(argv: list[str], env: dict) -> tuple[float, float, int]:
    started = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 (this Python with fixed arguments)
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT
    )
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def district(runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-suspend-plan-") as tmp:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "COLUMNS": "120",
            "XDG_CONFIG_HOME": str(Path(tmp) / "xdg"),
            "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache"),
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        out = subprocess.run(  # noqa: S603 (this same script with fixed arguments)
            [sys.executable, __file__, "--child", "prepare", tmp],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        info = json.loads(out.stdout.strip().splitlines()[-1])
        config, (planned, restored) = info["config"], info["people"]
        cli = [sys.executable, "-m", "access_review"]
        # The restore's case: suspended once beforehand (not timed).
        subprocess.run(  # noqa: S603 (this Python with fixed arguments)
            [
                *cli,
                "suspend",
                restored,
                "--case",
                "BENCH-R",
                "--reason",
                "bench",
                "--apply",
                "--config",
                config,
            ],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        plan_cmd = [
            *cli,
            "suspend",
            planned,
            "--case",
            "BENCH-P",
            "--reason",
            "bench",
            "--config",
            config,
        ]
        restore_cmd = [*cli, "restore", "--case", "BENCH-R", "--config", config]
        run_child(plan_cmd, env)  # warm-up: bytecode cache
        figures: dict[str, list[tuple[float, float, int]]] = {
            "plan": [],
            "restore": [],
            "before": [],
        }
        for _ in range(runs):
            figures["plan"].append(run_child(plan_cmd, env))
            figures["restore"].append(run_child(restore_cmd, env))
        for _ in range(max(1, runs // 2)):
            figures["before"].append(
                run_child([sys.executable, __file__, "--child", "before", config], env)
            )
    med = {
        k: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v), v[-1][2])
        for k, v in figures.items()
    }
    print(
        f"district (86,471 accounts, 412,953 memberships), medians of {runs} runs, each a whole process:"
    )
    print(
        f"  plan     `suspend {planned} --case ... --reason ...`  {med['plan'][0]:.2f} s, {med['plan'][1]:.0f} MB"
        f" (exit {med['plan'][2]})"
    )
    print(
        f"  restore  `restore --case ...` (drift read fresh)      {med['restore'][0]:.2f} s, {med['restore'][1]:.0f} MB"
        f" (exit {med['restore'][2]})"
    )
    print(
        f"  before   a sync of every source + the analysis        {med['before'][0]:.2f} s, {med['before'][1]:.0f} MB"
    )
    print(
        f"  plan / before = {med['plan'][0] / med['before'][0]:.2f}x; plan {med['plan'][0]:.2f} s "
        f"(target <= {TARGET_S} s: {'met' if med['plan'][0] <= TARGET_S else 'MISSED'})"
    )


# -- part 2: real protocols ----------------------------------------------------------------------
def protocols(runs: int, latency_s: float) -> None:
    import responses

    from access_review.config import load_config
    from access_review.records import Person
    from access_review.store import Store
    from access_review.stored_analysis import refresh_analysis
    from access_review.suspension.current import read_current_facts
    from access_review.suspension.plan import Protection, build_plan, directory_kinds
    from access_review.sync import run_sync
    from bench_suspend import (
        EMPLOYEE,
        LOGIN,
        Latency,
        LatencyProxy,
        delayed,
        start_samba,
        write_config,
    )
    from connectors.ad.client import LdapSession
    from connectors.registry import build_connector
    from entra_fake import small_tenant
    from google_fake import FakeGoogle, small_domain

    ldap_ops = {"n": 0}
    search = LdapSession.search

    def counted(self, *args, **kwargs):
        ldap_ops["n"] += 1
        return search(self, *args, **kwargs)

    LdapSession.search = counted
    latency = Latency(latency_s)
    work = Path(tempfile.mkdtemp(prefix="bench-suspend-plan-protocols-"))
    dc = start_samba(work)
    google = small_domain(FakeGoogle())
    google.add_user("2001", f"{LOGIN}@district.test", employee_id=EMPLOYEE)
    google.handle_http = delayed(google.handle_http, latency)
    google.start()
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            tenant = small_tenant()
            tenant.add_user(
                id="0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                userPrincipalName=f"{LOGIN}@district.test",
                mail=f"{LOGIN}@district.test",
                employeeId=EMPLOYEE,
                displayName="User 00001",
            )
            tenant._graph = delayed(tenant._graph, latency)
            tenant._token = delayed(tenant._token, latency)
            tenant.install(mock)
            proxy = LatencyProxy(("127.0.0.9", 636), latency)
            cfg = load_config(write_config(work, dc, proxy, tenant, google))
            kinds = directory_kinds(cfg)

            def connector_for(source):
                from connectors.entra.client import clear_token_cache

                clear_token_cache()  # a new process has no cached token
                return build_connector(source, cfg.sources[source], base_dir=str(cfg.base_dir))

            with Store(work / "access-review.db") as store:
                store.save_roster(
                    [Person(EMPLOYEE, "User 00001", email=f"{LOGIN}@district.test")], "bench"
                )
                assert all(r.ok for r in run_sync(cfg, store, connector_for))  # noqa: S101 (the bench checks its own premise)
                analysis = refresh_analysis(cfg, store)
                latency.on = True
                plan_s, syncs_s, counts = [], [], []
                for _ in range(runs):
                    before = (
                        tenant.graph_requests + tenant.token_requests,
                        sum(google.calls.values()),
                        ldap_ops["n"],
                    )
                    t = time.perf_counter()
                    facts = read_current_facts(
                        store,
                        analysis,
                        [EMPLOYEE],
                        kinds=kinds,
                        connector_for=connector_for,
                        today=analysis.today,
                    )
                    plan = build_plan(
                        facts,
                        [EMPLOYEE],
                        kinds=kinds,
                        protection=Protection(frozenset(), frozenset()),
                    )
                    plan_s.append(time.perf_counter() - t)
                    counts.append(
                        (
                            tenant.graph_requests + tenant.token_requests - before[0],
                            sum(google.calls.values()) - before[1],
                            ldap_ops["n"] - before[2],
                        )
                    )
                    assert sorted(p.source for p in plan.accounts) == ["ad", "entra", "google"], (  # noqa: S101
                        plan.accounts
                    )
                    t = time.perf_counter()
                    assert all(r.ok for r in run_sync(cfg, store, connector_for))  # noqa: S101
                    syncs_s.append(time.perf_counter() - t)
    finally:
        google.stop()
        dc.stop()
        LdapSession.search = search
        shutil.rmtree(work, ignore_errors=True)
    p, s = statistics.median(plan_s), statistics.median(syncs_s)
    entra, goog, ldap = counts[-1]
    print(f"\nreal protocols, {latency_s * 1000:.0f} ms per round trip, {runs} runs (medians):")
    print(
        f"  plan reads of one person's 3 accounts: {p:.2f} s; requests: entra {entra} (token + GET /users/{{id}}), "
        f"google {goog} (users.get), ad {ldap} LDAP search(es) (+ bind)"
    )
    print(f"  a sync of the three directories instead: {s:.2f} s; plan / sync = {p / s:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--skip-protocols", action="store_true")
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        if mode == "prepare":
            print(json.dumps(prepare(Path(rest[0]))))
        else:
            before_child(rest[0])
        return
    district(args.runs)
    if not args.skip_protocols:
        protocols(args.runs, args.latency)


if __name__ == "__main__":
    main()
