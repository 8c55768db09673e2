"""A throw-away Samba AD DC for real-server tests.

    template = samba_template()                 # provisioned once per machine, cached
    dc = SambaDC.create(tmp_path, ldif=text)    # copy of the template, bulk LDIF, started
    dc.url, dc.ca_file, dc.base_dn, dc.admin_dn, dc.admin_password, dc.tls_server_name
    dc.samba_tool("user", "show", "jdoe"); dc.ldbsearch("(objectClass=user)", ["cn"])
    dc.stop()

What works on Debian's samba packages (issue 3): provision with an empty config file (keeps
/etc/samba/smb.conf out) and ``interfaces = <address>/8`` (without the /8 Samba finds no
interface); ``ldap server require strong auth = no`` added afterwards so that simple binds
work on plain 389 (TLS on 636 and StartTLS work anyway); ``samba -s CONF -F`` under setsid;
ready when an anonymous rootDSE read answers. Bulk objects go in with ``ldbadd`` straight
into private/sam.ldb before the server starts (~17 ms each, against ~280 ms through
samba-tool). The LDAP port cannot be changed: a second DC needs another loopback address.

If Samba is missing or does not start, every call raises SambaError with the reason: the
real-server tests must fail loudly, never skip.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REALM = "DISTRICT.TEST"
DOMAIN = "DISTRICT"
BASE_DN = "DC=district,DC=test"
HOST = "DC1"
ADMIN_PASSWORD = "Adm1n-Passw0rd!"  # noqa: S105 (the throw-away admin password of the DC the tests start)
# Bump TEMPLATE_VERSION when the provisioning recipe changes, so a stale cache is not reused.
TEMPLATE_VERSION = 2
TEMPLATE_DIR = (
    Path(tempfile.gettempdir()) / f"access-review-samba-template-v{TEMPLATE_VERSION}-{os.getuid()}"
)
REQUIRED_TOOLS = ("samba", "samba-tool", "ldbadd", "ldbsearch", "ldbmodify")


class SambaError(RuntimeError):
    pass


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if not path:
        raise SambaError(
            f"{name} not found: install the Debian packages samba-ad-dc "
            f"samba-ad-provision ldb-tools samba (the test command does this)"
        )
    return path


def _run(
    args: list[str],
    *,
    what: str,
    timeout: float = 600,
    env: dict | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess:
    proc = subprocess.run(  # noqa: S603 (samba-tool and friends with arguments the test builds)
        args, capture_output=True, text=True, timeout=timeout, env=env, input=input
    )
    if proc.returncode != 0:
        raise SambaError(
            f"{what} failed (exit {proc.returncode}): {' '.join(args[:4])} ...\n"
            f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    return proc


def _port_open(address: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((address, port)) == 0


def samba_template() -> Path:
    """A provisioned, once-started (so its TLS certificates exist) and stopped DC folder.

    Cached under the temp dir; built in a sibling folder and renamed into place so a
    crashed build never leaves a half-made template behind.
    """
    if (TEMPLATE_DIR / "READY").exists():
        return TEMPLATE_DIR
    for name in REQUIRED_TOOLS:
        _tool(name)
    building = Path(tempfile.mkdtemp(prefix="samba-template-build-"))
    target = building / "dc"
    empty_conf = building / "empty.conf"
    empty_conf.write_text("")
    _run(
        [
            _tool("samba-tool"),
            "domain",
            "provision",
            f"--targetdir={target}",
            f"--configfile={empty_conf}",
            f"--realm={REALM}",
            f"--domain={DOMAIN}",
            f"--host-name={HOST}",
            "--server-role=dc",
            "--dns-backend=NONE",
            f"--adminpass={ADMIN_PASSWORD}",
            "--use-rfc2307",
            "--option=interfaces = 127.0.0.1/8",
            "--option=bind interfaces only = yes",
            "--option=server services = ldap",
        ],
        what="samba-tool domain provision",
    )
    conf = target / "etc" / "smb.conf"
    # Provision drops this when given as --option; without it simple binds on 389 fail.
    # Samba's default pid file (/run/samba/samba.pid) is shared by every DC on the machine:
    # each DC keeps its own so that several (other test modules, a bench) can run at once.
    (target / "run").mkdir()
    text = conf.read_text().replace(
        "[global]\n",
        f"[global]\n\tldap server require strong auth = no\n\tpid directory = {target / 'run'}\n",
        1,
    )
    conf.write_text(text)
    # Start once so Samba generates private/tls/{ca,cert,key}.pem, then stop it.
    dc = SambaDC(directory=target, address="127.0.0.1")
    dc.start()
    dc.stop()
    if not (target / "private" / "tls" / "ca.pem").exists():
        raise SambaError(f"Samba did not create its TLS certificates in {target}/private/tls")
    (target / "READY").write_text("ok\n")
    if not (TEMPLATE_DIR / "READY").exists():
        shutil.rmtree(TEMPLATE_DIR, ignore_errors=True)
        os.rename(target, TEMPLATE_DIR)
        SambaDC(directory=TEMPLATE_DIR).relocate()
    shutil.rmtree(building, ignore_errors=True)
    return TEMPLATE_DIR


def free_loopback_address() -> str:
    """A 127.0.0.x address with nothing on the LDAP ports, starting at a random x (100-249)."""
    import random

    candidates = list(range(100, 250))  # below 100 stays free for modules that pin an address
    start = random.randrange(len(candidates))  # noqa: S311 (picks a free loopback address, not a secret)
    for x in candidates[start:] + candidates[:start]:
        address = f"127.0.0.{x}"
        if not _port_open(address, 389) and not _port_open(address, 636):
            return address
    raise SambaError("no free loopback address for another DC")


def _sockets_and_pids(folder: str, names: list[str]) -> set[str]:
    """Unix sockets and pid files of the template's one start are not copied."""
    skip = set()
    for name in names:
        path = os.path.join(folder, name)
        if name.endswith(".pid") or stat.S_ISSOCK(os.lstat(path).st_mode):
            skip.add(name)
    return skip


@dataclass
class SambaDC:
    directory: Path
    address: str = "127.0.0.1"
    pid: int | None = None
    log_path: Path | None = None
    _log: object = field(default=None, repr=False)

    base_dn = BASE_DN
    realm = REALM
    admin_password = ADMIN_PASSWORD
    admin_dn = f"CN=Administrator,CN=Users,{BASE_DN}"
    admin_upn = f"administrator@{REALM.lower()}"
    tls_server_name = f"{HOST}.{REALM.lower()}"

    # ---- life cycle ----
    @classmethod
    def create(
        cls,
        workdir: str | Path,
        *,
        ldif: str | None = None,
        address: str | None = None,
        start: bool = True,
    ) -> "SambaDC":
        """Copy the template into ``workdir/dc``, load ``ldif`` with ldbadd, start.

        Without ``address`` a free loopback address is picked, so that test runs sharing a
        machine (and several DCs in one run) do not collide on the fixed LDAP port."""
        template = samba_template()
        address = address or free_loopback_address()
        target = Path(workdir) / "dc"
        shutil.copytree(template, target, symlinks=True, ignore=_sockets_and_pids)
        dc = cls(directory=target, address=address)
        dc.relocate()
        conf = dc.conf
        text = conf.read_text()
        text = text.replace("interfaces = 127.0.0.1/8", f"interfaces = {address}/8")
        conf.write_text(text)
        (target / "run").mkdir(exist_ok=True)
        if ldif:
            dc.ldbadd(ldif)
        if start:
            dc.start()
        return dc

    def relocate(self) -> None:
        """Point smb.conf's absolute paths at this folder (it was provisioned elsewhere)."""
        text = self.conf.read_text()
        old = next(
            line.split("=", 1)[1].strip()
            for line in text.splitlines()
            if line.strip().startswith("lock directory")
        )
        self.conf.write_text(text.replace(old, str(self.directory)))

    @property
    def conf(self) -> Path:
        return self.directory / "etc" / "smb.conf"

    @property
    def sam_ldb(self) -> Path:
        return self.directory / "private" / "sam.ldb"

    @property
    def ca_file(self) -> str:
        return str(self.directory / "private" / "tls" / "ca.pem")

    @property
    def url(self) -> str:
        return f"ldaps://{self.address}"

    @property
    def ldap_url(self) -> str:
        return f"ldap://{self.address}"

    def start(self, timeout: float = 60) -> None:
        if _port_open(self.address, 389):
            raise SambaError(
                f"something already listens on {self.address}:389 "
                f"(a DC left over from an earlier run?); stop it first"
            )
        self.log_path = self.directory / "samba.log"
        self._log = open(self.log_path, "ab")
        proc = subprocess.Popen(  # noqa: S603 (the samba binary with arguments the test builds)
            [_tool("samba"), "-s", str(self.conf), "-F", "--debuglevel=1"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = proc.pid
        self._proc = proc
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SambaError(
                    f"samba exited with {proc.returncode} while starting:\n{self.log_tail()}"
                )
            if self._root_dse_answers():
                return
            time.sleep(0.2)
        self.stop()
        raise SambaError(
            f"samba did not answer a rootDSE read within {timeout}s:\n{self.log_tail()}"
        )

    def _root_dse_answers(self) -> bool:
        import ldap3

        try:
            conn = ldap3.Connection(
                ldap3.Server(self.ldap_url, connect_timeout=1, get_info=ldap3.NONE),
                auto_bind=True,
                receive_timeout=2,
            )
            ok = conn.search("", "(objectClass=*)", ldap3.BASE, attributes=["highestCommittedUSN"])
            conn.unbind()
            return bool(ok)
        except Exception:
            return False

    def stop(self, timeout: float = 15) -> None:
        """Stop by the PID we started (its whole session: samba forks workers)."""
        if self.pid is None:
            return
        try:
            os.killpg(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self._proc.wait(5)
        deadline = time.monotonic() + timeout
        while _port_open(self.address, 389) and time.monotonic() < deadline:
            time.sleep(0.1)  # children may linger a moment after the parent
        self.pid = None
        if self._log:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path or not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # ---- Samba's own tools (for checking what the connector reports) ----
    def samba_tool(self, *args: str) -> str:
        return _run(
            [_tool("samba-tool"), *args, "-s", str(self.conf)],
            what=f"samba-tool {' '.join(args[:2])}",
        ).stdout

    def ldbadd(self, ldif: str) -> None:
        path = self.directory / "load.ldif"
        path.write_text(ldif, encoding="utf-8")
        # --nosync: a throw-away database needs no fsync per transaction.
        _run(
            [
                _tool("ldbadd"),
                "-H",
                str(self.sam_ldb),
                "--nosync",
                f"--configfile={self.conf}",
                str(path),
            ],
            what="ldbadd",
        )

    def ldbmodify(self, ldif: str) -> None:
        path = self.directory / "modify.ldif"
        path.write_text(ldif, encoding="utf-8")
        _run(
            [
                _tool("ldbmodify"),
                "-H",
                str(self.sam_ldb),
                "--nosync",
                f"--configfile={self.conf}",
                str(path),
            ],
            what="ldbmodify",
        )

    def ldbsearch(
        self,
        expression: str,
        attributes: list[str] = (),
        *,
        base: str | None = None,
        scope: str = "sub",
        controls: list[str] = (),
    ) -> list[dict[str, list[str]]]:
        """Entries as {attribute: [values]} (``dn`` included), parsed from ldbsearch's LDIF."""
        args = [
            _tool("ldbsearch"),
            "-H",
            str(self.sam_ldb),
            f"--configfile={self.conf}",
            "-b",
            base or self.base_dn,
            "-s",
            scope,
            *[f"--controls={c}" for c in controls],
            expression,
            *attributes,
        ]
        return parse_ldif(_run(args, what="ldbsearch").stdout)

    def count(self, expression: str, **kwargs) -> int:
        return len(self.ldbsearch(expression, ["dn"], **kwargs))

    def admin_connection(self):
        """An ldap3 connection bound as Administrator over TLS, for making changes the way a
        directory admin would (over LDAP, so USNs and backlinks move as in real life)."""
        import ldap3
        import ssl

        tls = ldap3.Tls(
            validate=ssl.CERT_REQUIRED,
            ca_certs_file=self.ca_file,
            valid_names=[self.tls_server_name],
        )
        return ldap3.Connection(
            ldap3.Server(self.url, tls=tls),
            self.admin_dn,
            self.admin_password,
            auto_bind=True,
            raise_exceptions=True,
        )

    # ---- connector settings for this DC ----
    def settings(self, password_env: str = "AR_TEST_AD_PASSWORD", **overrides) -> dict:  # noqa: S107 (the name of an environment variable, not a password)
        os.environ.setdefault(password_env, self.admin_password)
        return {
            "type": "ad",
            "url": self.url,
            "ca_file": self.ca_file,
            "tls_server_name": self.tls_server_name,
            "bind_user": self.admin_upn,
            "password_env": password_env,
            "base_dn": self.base_dn,
            "timeout": 10,
            **overrides,
        }


def parse_ldif(text: str) -> list[dict[str, list[str]]]:
    """ldbsearch output -> entries. Folded lines (RFC 2849: a leading space continues the
    previous line) are joined before base64 values are decoded."""
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith(" ") and lines and lines[-1]:
            lines[-1] += line[1:]
        else:
            lines.append(line)
    entries, current = [], {}
    for line in lines + [""]:
        if not line.strip():
            if "dn" in current:
                entries.append(current)
            current = {}
            continue
        if line.startswith("#") or line.startswith("ref:"):
            continue
        name, _, value = line.partition(":")
        if value.startswith(":"):
            value = base64.b64decode(value[1:].strip()).decode("utf-8", "replace")
        else:
            value = value.strip()
        current.setdefault(name, []).append(value)
    return entries


# ---- LDIF for bulk loading ----


def ldif_value(name: str, value: str) -> str:
    """``name: value``, base64 when LDIF (RFC 2849) requires it (non-ASCII, leading space...)."""
    if (
        value
        and value.isascii()
        and value[0] not in " :<"
        and value[-1] != " "
        and "\n" not in value
    ):
        return f"{name}: {value}"
    return f"{name}:: {base64.b64encode(value.encode('utf-8')).decode()}"


def ldif_entry(dn: str, attributes: dict[str, str | list[str]]) -> str:
    lines = [ldif_value("dn", dn)]
    for name, values in attributes.items():
        for value in [values] if isinstance(values, str) else values:
            lines.append(ldif_value(name, str(value)))
    return "\n".join(lines) + "\n\n"


# ---- a test district ----

BUILDINGS = (
    "Lincoln Elementary",
    "Washington Middle",
    "Jefferson High",
    "Roosevelt Elementary",
    "Adams Middle",
    "District Office",
)
# Names a directory really holds: a comma in the CN, accents, apostrophes.
AWKWARD_NAMES = ("Smith, John", "Zoë O'Brien", "José Núñez", "O'Neil, Mary-Kate", "Björk Ågren")


@dataclass
class District:
    """What was loaded, for comparing with what the connector reads."""

    base_dn: str
    ldif: str
    modify_ldif: str
    people: list[dict] = field(default_factory=list)  # sam, dn, cn, enabled, ou
    service_accounts: list[str] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)  # group cn -> member dns
    domain_admins: list[str] = field(default_factory=list)  # dns added to Domain Admins

    def group_dn(self, cn: str) -> str:
        return f"CN={escape_rdn(cn)},OU=Groups,{self.base_dn}"


def escape_rdn(value: str) -> str:
    from ldap3.utils.dn import escape_rdn as _escape

    return _escape(value)


def build_district(
    users: int = 3000,
    *,
    base_dn: str = BASE_DN,
    big_group: str = "All Staff",
    disabled_every: int = 10,
    per_room: int = 50,
) -> District:
    """Users in OU=Room nnn,OU=Staff|Students,OU=<building>; service accounts; groups per
    building, a group holding every user, nested groups with a cycle, a distribution list,
    Domain Admins.

    At most ``per_room`` users share a container: ldb rewrites a container's one-level index
    on every add, so loading thousands into one OU grows quadratically (measured: 21 ms a
    user for the first 1,000 in one OU, 52 ms for users 2,000-4,000).
    """
    out: list[str] = []
    mods: list[str] = []
    district = District(base_dn=base_dn, ldif="", modify_ldif="")
    out.append(ldif_entry(f"OU=Groups,{base_dn}", {"objectClass": "organizationalUnit"}))
    out.append(ldif_entry(f"OU=Service Accounts,{base_dn}", {"objectClass": "organizationalUnit"}))
    for b in BUILDINGS:
        out.append(
            ldif_entry(f"OU={escape_rdn(b)},{base_dn}", {"objectClass": "organizationalUnit"})
        )
        for sub in ("Staff", "Students"):
            out.append(
                ldif_entry(
                    f"OU={sub},OU={escape_rdn(b)},{base_dn}", {"objectClass": "organizationalUnit"}
                )
            )
    by_building: dict[str, list[str]] = {b: [] for b in BUILDINGS}
    rooms: set[str] = set()
    for i in range(users):
        building = BUILDINGS[i % len(BUILDINGS)]
        student = (i // len(BUILDINGS)) % 3 == 2  # a third of each building's users
        cn = AWKWARD_NAMES[i] if i < len(AWKWARD_NAMES) else f"User {i:05d}"
        sam = f"u{i:05d}"
        room = i // (len(BUILDINGS) * per_room) if per_room else 0
        ou = (
            f"OU=Room {room:03d},OU={'Students' if student else 'Staff'},"
            f"OU={escape_rdn(building)},{base_dn}"
        )
        if ou not in rooms:
            rooms.add(ou)
            out.append(ldif_entry(ou, {"objectClass": "organizationalUnit"}))
        dn = f"CN={escape_rdn(cn)},{ou}"
        enabled = i % disabled_every != 3
        attrs = {
            "objectClass": "user",
            "sAMAccountName": sam,
            "displayName": cn,
            "userPrincipalName": f"{sam}@district.test",
            "mail": f"{sam}@district.test",
            "userAccountControl": "512" if enabled else "514",
            "title": "Student" if student else "Teacher",
            "department": building,
        }
        if not student:
            attrs["employeeID"] = f"E{i:05d}"
        out.append(ldif_entry(dn, attrs))
        district.people.append(
            {
                "sam": sam,
                "dn": dn,
                "cn": cn,
                "enabled": enabled,
                "ou": ou,
                "student": student,
                "building": building,
            }
        )
        by_building[building].append(dn)
    for name in ("svc-backup", "svc-sis-sync", "svc-printing"):
        dn = f"CN={name},OU=Service Accounts,{base_dn}"
        out.append(
            ldif_entry(
                dn,
                {
                    "objectClass": "user",
                    "sAMAccountName": name,
                    "userAccountControl": str(0x200 | 0x10000),
                },
            )
        )
        district.service_accounts.append(name)

    def group(cn: str, members: list[str], group_type: int = -2147483646) -> None:
        attrs = {"objectClass": "group", "sAMAccountName": cn, "groupType": str(group_type)}
        if members:
            attrs["member"] = members
        out.append(ldif_entry(district.group_dn(cn), attrs))
        district.groups[cn] = members

    everyone = [p["dn"] for p in district.people]
    group(big_group, everyone)
    for b in BUILDINGS:
        group(f"{b} Staff", [dn for dn in by_building[b] if "OU=Staff," in dn])
    group("SpEd Staff", everyone[:40:4])
    group("Newsletter", everyone[:25], group_type=8)  # universal distribution list
    # Nested: Building Leaders contains SpEd Staff; Cycle A <-> Cycle B contain each other.
    group("Building Leaders", [district.group_dn("SpEd Staff")] + everyone[:3])
    group("Cycle A", everyone[3:5])
    group("Cycle B", [district.group_dn("Cycle A")] + everyone[5:6])
    mods.append(
        ldif_modify_add(district.group_dn("Cycle A"), "member", [district.group_dn("Cycle B")])
    )
    district.groups["Cycle A"] = district.groups["Cycle A"] + [district.group_dn("Cycle B")]
    district.domain_admins = [everyone[0], district.group_dn("Building Leaders")]
    mods.append(
        ldif_modify_add(f"CN=Domain Admins,CN=Users,{base_dn}", "member", district.domain_admins)
    )
    district.ldif = "".join(out)
    district.modify_ldif = "".join(mods)
    return district


def ldif_modify_add(dn: str, attribute: str, values: list[str]) -> str:
    lines = [ldif_value("dn", dn), "changetype: modify", f"add: {attribute}"]
    lines += [ldif_value(attribute, v) for v in values]
    return "\n".join(lines) + "\n-\n\n"
