"""How long the lockout takes: `suspend --apply` for one person with an account in AD, Entra ID
and Google Workspace, against the slowest of those directories alone (issue 7: target <= 1.3x).

    python bench/bench_suspend.py [--runs 7] [--latency 0.1]

Each directory is a real server or fake with ``--latency`` seconds added to every round trip:
  AD      a real Samba AD DC (tests/samba_dc.py) behind a TCP proxy that holds every
          server-to-client segment for the latency (so each LDAP/TLS round trip pays it once);
  Entra   tests/entra_fake.py (`responses`): every Graph and token request waits the latency;
  Google  tests/google_fake.py (local HTTP server): every request waits the latency.
The real connectors are built from the config as the CLI builds them, fresh for every run (so
tokens and TLS sessions are fetched again, as a new `access-review` process would).

What is timed is what `suspend --apply` does after it has shown the plan: the case's steps
carried out and recorded (access_review.suspension.apply.apply_case). The plan itself (the
analysis of the last sync) is the same work whether one directory or three are involved.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pathlib
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import deque
from datetime import date

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import responses  # noqa: E402

from access_review.analysis import Analysis  # noqa: E402
from access_review.config import load_config  # noqa: E402
from access_review.inventory import Inventory  # noqa: E402
from access_review.records import Person  # noqa: E402
from access_review.store import Store  # noqa: E402
from access_review.suspension.apply import apply_case  # noqa: E402
from access_review.suspension.plan import Protection, build_plan, directory_kinds  # noqa: E402
from access_review.suspension.restore import apply_restore, plan_restore  # noqa: E402
from access_review.suspension.store import SuspensionStore  # noqa: E402
from connectors.registry import build_connector  # noqa: E402
from entra_fake import SECRET_ENV, small_tenant  # noqa: E402
from google_fake import FakeGoogle, small_domain  # noqa: E402
from samba_dc import SambaDC, build_district  # noqa: E402

DC_ADDRESS = "127.0.0.9"
EMPLOYEE = "E00001"  # build_district's u00001: staff, enabled
LOGIN = "u00001"


class Latency:
    """The added latency, switched off while the bench sets itself up."""

    def __init__(self, seconds: float):
        self.seconds, self.on = seconds, False

    def wait(self) -> None:
        if self.on:
            time.sleep(self.seconds)


class LatencyProxy:
    """TCP proxy: client <-> upstream, each upstream-to-client segment released ``latency``
    after it arrived (in order), so a request/answer round trip pays it once."""

    def __init__(self, upstream: tuple[str, int], latency: Latency):
        self.upstream, self.latency = upstream, latency
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            server = socket.create_connection(self.upstream)
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            self._delayed_pump(server, client)

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _delayed_pump(self, source: socket.socket, sink: socket.socket) -> None:
        queue: deque = deque()
        ready = threading.Condition()

        def reader() -> None:
            try:
                while data := source.recv(65536):
                    with ready:
                        queue.append(
                            (
                                time.monotonic()
                                + (self.latency.seconds if self.latency.on else 0.0),
                                data,
                            )
                        )
                        ready.notify()
            except OSError:
                pass
            with ready:
                queue.append((0.0, b""))
                ready.notify()

        def writer() -> None:
            while True:
                with ready:
                    while not queue:
                        ready.wait()
                    due, data = queue.popleft()
                if not data:
                    break
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                try:
                    sink.sendall(data)
                except OSError:
                    break
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(target=reader, daemon=True).start()
        threading.Thread(target=writer, daemon=True).start()


def delayed(func, latency: Latency):
    def call(*args, **kwargs):
        latency.wait()
        return func(*args, **kwargs)

    return call


def start_samba(folder: pathlib.Path) -> SambaDC:
    district = build_district(30)
    dc = SambaDC.create(folder, ldif=district.ldif, address=DC_ADDRESS, start=False)
    dc.ldbmodify(district.modify_ldif)
    (dc.directory / "run").mkdir(
        exist_ok=True
    )  # a pid file of its own (see tests/test_suspension_ad.py)
    dc.conf.write_text(
        dc.conf.read_text().replace(
            "[global]\n", f"[global]\n\tpid directory = {dc.directory / 'run'}\n", 1
        )
    )
    dc.start()
    return dc


def write_config(
    folder: pathlib.Path, dc: SambaDC, proxy: LatencyProxy, tenant, google: FakeGoogle
) -> pathlib.Path:
    ad = dc.settings(url=f"ldaps://127.0.0.1:{proxy.port}")
    os.environ[SECRET_ENV] = "fake-secret-value"
    key = google.write_key_file(folder / "google-key.json")
    lines = ["[sources.ad]"] + [f"{k} = {v!r}".replace("'", '"') for k, v in ad.items()]
    lines += [
        "",
        "[sources.entra]",
        'type = "entra"',
        f'tenant_id = "{tenant.tenant_id}"',
        'client_id = "cid-0001"',
        f'client_secret_env = "{SECRET_ENV}"',
        f'graph_url = "{tenant.graph_url}"',
        f'authority_host = "{tenant.authority_host}"',
    ]
    lines += [
        "",
        "[sources.google]",
        'type = "google"',
        f'key_file = "{key}"',
        f'subject = "{google.admin}"',
        f'api_endpoint = "{google.url}"',
        "vault = false",
    ]
    path = folder / "access-review.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def connector_for(cfg):
    from connectors.entra.client import clear_token_cache

    clear_token_cache()  # a new process has no cached token
    return lambda source: build_connector(source, cfg.sources[source], base_dir=str(cfg.base_dir))


def timed_run(sstore: SuspensionStore, cfg, plan, case_id: str) -> float:
    sstore.record_plan(case_id, "bench", None, plan, "bench")
    started = time.perf_counter()
    report = apply_case(sstore, case_id, connector_for(cfg))
    seconds = time.perf_counter() - started
    if not report.complete:
        raise SystemExit(f"{case_id}: not complete: {report.failed_sources}")
    restored = apply_restore(sstore, plan_restore(sstore, case_id, {}, {}), connector_for(cfg))
    if not restored.restored_case:
        raise SystemExit(f"{case_id}: restore incomplete")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--latency", type=float, default=0.1, help="seconds added to every round trip")
    args = ap.parse_args()
    latency = Latency(args.latency)
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-suspend-"))
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
            proxy = LatencyProxy((DC_ADDRESS, 636), latency)
            cfg = load_config(write_config(work, dc, proxy, tenant, google))
            snapshots = {
                s: build_connector(s, cfg.sources[s], base_dir=str(cfg.base_dir)).fetch_snapshot(
                    None
                )
                for s in cfg.sources
            }
            a = Analysis(
                config=cfg,
                snapshots=snapshots,
                persons={
                    f"person:{EMPLOYEE}": Person(
                        EMPLOYEE, "User 00001", email=f"{LOGIN}@district.test"
                    )
                },
                inventory=Inventory(resources=()),
                today=date.today(),
            )
            plan = build_plan(
                a, [EMPLOYEE], kinds=directory_kinds(cfg), protection=Protection.from_config(cfg)
            )
            assert sorted(p.source for p in plan.accounts) == ["ad", "entra", "google"], (  # noqa: S101 (a benchmark checks its own premise)
                plan.accounts
            )
            print("plan:", ", ".join(f"{s.source} {s.kind}" for s in plan.steps))
            latency.on = True
            with Store(work / "bench.db") as store:
                sstore = SuspensionStore(store)
                times: dict[str, list[float]] = {"all three": []}
                for run in range(args.runs):
                    times["all three"].append(timed_run(sstore, cfg, plan, f"all-{run}"))
                    for source in ("ad", "entra", "google"):
                        alone = dataclasses.replace(
                            plan, accounts=tuple(p for p in plan.accounts if p.source == source)
                        )
                        times.setdefault(source, []).append(
                            timed_run(sstore, cfg, alone, f"{source}-{run}")
                        )
    finally:
        google.stop()
        dc.stop()
    medians = {k: statistics.median(v) for k, v in times.items()}
    slowest = max(("ad", "entra", "google"), key=medians.__getitem__)
    print(f"latency {args.latency * 1000:.0f} ms per round trip, {args.runs} runs; medians:")
    for k, v in times.items():
        print(f"  {k:<10} {medians[k]:.3f} s   (runs: {', '.join(f'{x:.3f}' for x in v)})")
    ratio = medians["all three"] / medians[slowest]
    print(f"all three / slowest alone ({slowest}) = {ratio:.2f}  (target <= 1.30)")


if __name__ == "__main__":
    main()
