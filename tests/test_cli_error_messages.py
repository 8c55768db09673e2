"""Errors say what happened and what to do, in one line (issue 19): every case the issue lists,
driven through the CLI as an ISO meets it — a real Samba AD DC with a missing or wrong CA file,
the Graph fake and the Google fake answering with the errors their documentation publishes.

Each row: the command, its exit code, what the message must say (the source, the call, the
cause in words, the next step) and what it must never show again (nested tuples, a certificate
printed as a Python dict, "entra: entra:", "still throttled" for an outage, all six scopes)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
import responses
from typer.testing import CliRunner

from access_review.cli import app
from connectors.entra.client import clear_token_cache
from connectors.google.client import DRIVE_READ
from entra_fake import FakeTenant, Fault, graph_error, small_tenant
from google_fake import (
    ALL_SCOPES,
    USER_W,
    GROUP_W,
    DRIVE_W,
    FakeGoogle,
    Fault as GoogleFault,
    small_domain,
)
from loopback import write_self_signed_certificate
from samba_dc import SambaDC

runner = CliRunner()
ADAMS = "6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0"  # cloud-only; User Administrator through a group
ENTRA_SECRET_ENV = "AR_ERRORS_ENTRA_SECRET"  # noqa: S105 (the name of an environment variable)
NEVER = (
    "Traceback",
    "(\"('",
    "{'subject'",
    "entra: entra:",
    "google: google:",
    "ad: ad:",
    "unexpected LDAPSSLConfigurationError",
    "invalid CA public key file",
)


# ---------------------------------------------------------------------------- the directories
@pytest.fixture(scope="module")
def dc(tmp_path_factory):
    dc = SambaDC.create(tmp_path_factory.mktemp("samba-errors"))
    yield dc
    dc.stop()


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory) -> Path:
    """A CA certificate that did not sign the DC's: the wrong ca_file."""
    folder = tmp_path_factory.mktemp("other-ca")
    write_self_signed_certificate(
        folder / "ca.pem", folder / "key.pem", subject="/CN=Some Other CA"
    )
    return folder / "ca.pem"


@pytest.fixture
def tenant(monkeypatch):
    monkeypatch.setenv(ENTRA_SECRET_ENV, "a-test-client-secret")
    clear_token_cache()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        t = small_tenant()
        t.install(mock)
        t.mock = mock
        yield t


@pytest.fixture
def google(tmp_path):
    fake = FakeGoogle().start()
    small_domain(fake)
    yield fake
    fake.stop()


# ---------------------------------------------------------------------------- configs
def toml_table(name: str, settings: dict) -> str:
    lines = [f"[sources.{name}]"]
    for key, value in settings.items():
        if value is not None:
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def write_config(folder: Path, *tables: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "access-review.toml"
    (folder / "roster.csv").write_text(
        "employee_id,name,email,status\nE1,Ann Lee,ann@district.org,active\n", encoding="utf-8"
    )
    (folder / "inventory.csv").write_text(
        "resource,classification,data_manager,entitlements\n"
        "Payroll,confidential,E1,entra:group:Golf Assist\n",
        encoding="utf-8",
    )
    path.write_text(
        '[store]\npath = "access-review.db"\n\n[roster]\npath = "roster.csv"\n\n'
        '[inventory]\npath = "inventory.csv"\n\n[iso]\nname = "Test ISO"\n\n' + "\n".join(tables),
        encoding="utf-8",
    )
    return path


def entra_table(t: FakeTenant, **extra) -> str:
    return toml_table(
        "entra",
        {
            "type": "entra",
            "tenant_id": t.tenant_id,
            "client_id": "cid-0001",
            "client_secret_env": ENTRA_SECRET_ENV,
            **extra,
        },
    )


def google_table(fake: FakeGoogle, folder: Path, **extra) -> str:
    key = fake.write_key_file(folder / "google-key.json")
    return toml_table(
        "google",
        {
            "type": "google",
            "key_file": str(key),
            "subject": fake.admin,
            "api_endpoint": fake.url,
            "vault": False,
            **extra,
        },
    )


def ad_table(dc: SambaDC, **overrides) -> str:
    settings = dc.settings(**overrides)
    return toml_table("ad", settings)


def cli(config: Path, *args: str):
    result = runner.invoke(app, [*args, "--config", str(config)], env={"COLUMNS": "400"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


# ---------------------------------------------------------------------------- the table
@dataclass
class Case:
    name: str
    setup: Callable  # (request fixtures, tmp_path) -> (config, commands to run first)
    command: tuple[str, ...]
    exit_code: int
    says: tuple[str, ...]  # regexes the output must match, in order of importance
    never: tuple[str, ...] = ()
    then: Callable | None = None  # more checks: (config, result) -> None
    fixtures: tuple[str, ...] = field(default=())


def _ad_missing_ca(fx, tmp):
    return write_config(tmp / "d", ad_table(fx["dc"], ca_file=str(tmp / "missing-ca.pem"))), []


def _ad_wrong_ca(fx, tmp):
    return write_config(tmp / "d", ad_table(fx["dc"], ca_file=str(fx["other_ca"]))), []


def _ad_address_without_name(fx, tmp):
    return write_config(tmp / "d", ad_table(fx["dc"], tls_server_name=None)), []


def _entra_no_auditlog(fx, tmp):
    t = fx["tenant"]
    t.token_roles = [r for r in t.token_roles if r != "AuditLog.Read.All"]
    # What Graph answers, as documented in microsoftgraph/microsoft-graph-explorer-v4 issue 2731.
    t.faults.append(
        Fault(
            "GET",
            r"^users\?.*signInActivity",
            *graph_error(
                403,
                "Authentication_MSGraphPermissionMissing",
                "Calling principal does not have required MSGraph permissions AuditLog.Read.All",
            ),
            times=99,
        )
    )
    return write_config(tmp / "d", entra_table(t)), []


def _entra_unlicensed(fx, tmp):
    t = fx["tenant"]
    t.faults.append(
        Fault(
            "GET",
            r"^users\?.*signInActivity",
            *graph_error(
                403,
                "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                "Neither tenant is B2C or tenant doesn't have premium license",
            ),
            times=99,
        )
    )
    return write_config(tmp / "d", entra_table(t)), []


def _entra_persistent_503(fx, tmp):
    t = fx["tenant"]
    # Graph's 503 with Retry-After (https://learn.microsoft.com/graph/errors); 0 s keeps the test fast.
    status, headers, body = graph_error(503, "serviceNotAvailable", "Service Unavailable")
    t.faults.append(
        Fault(
            "GET",
            r"members",
            status,
            {**headers, "Retry-After": "0"},
            body,
            times=999,
            in_batch=True,
        )
    )
    return write_config(tmp / "d", entra_table(t)), []


def _entra_failed_incremental(fx, tmp):
    t = fx["tenant"]
    config = write_config(tmp / "d", entra_table(t))
    return config, [
        ("sync",),
        lambda: t.faults.append(
            Fault(
                "GET",
                r"^users/delta",
                *graph_error(
                    403,
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                ),
                times=9,
            )
        ),
    ]


def _entra_privileged_disable(fx, tmp):
    t = fx["tenant"]
    config = write_config(tmp / "d", entra_table(t))
    # Graph's answer to an app with User.EnableDisableAccount.All disabling a privileged user
    # (https://learn.microsoft.com/graph/api/user-update: a higher administrator role is needed).
    return config, [
        ("roster", "import"),
        ("inventory", "import"),
        ("sync",),
        lambda: t.faults.append(
            Fault(
                "PATCH",
                rf"^users/{ADAMS}",
                *graph_error(
                    403,
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                ),
                times=9,
            )
        ),
    ]


def _entra_token_refused_in_suspension(fx, tmp):
    t = fx["tenant"]
    config = write_config(tmp / "d", entra_table(t))

    def refuse_tokens():
        # What the token endpoint answers an expired or wrong client secret (AADSTS7000215).
        clear_token_cache()
        t.mock.replace(
            responses.POST,
            f"{t.authority_host}/{t.tenant_id}/oauth2/v2.0/token",
            status=401,
            json={
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret "
                "provided. Ensure the secret being sent in the request is the client secret value.",
            },
        )

    return config, [("roster", "import"), ("inventory", "import"), ("sync",), refuse_tokens]


def _google_missing_scope(fx, tmp):
    fake = fx["google"]
    fake.granted_scopes = set(ALL_SCOPES | USER_W | GROUP_W | DRIVE_W) - {DRIVE_READ}
    return write_config(tmp / "d", google_table(fake, tmp)), []


def _google_missing_privilege(fx, tmp):
    fake = fx["google"]
    # What the Directory API answers a subject without the admin privilege (the same body
    # tests/test_google_sync.py uses).
    fake.faults.append(
        GoogleFault(
            r"directory/v1/users$",
            403,
            {
                "error": {
                    "code": 403,
                    "message": "Not Authorized to access this resource/api",
                    "errors": [
                        {
                            "domain": "global",
                            "reason": "forbidden",
                            "message": "Not Authorized to access this resource/api",
                        }
                    ],
                }
            },
            times=9,
        )
    )
    return write_config(tmp / "d", google_table(fake, tmp)), []


def _google_unknown_subject(fx, tmp):
    fake = fx["google"]
    return write_config(tmp / "d", google_table(fake, tmp, subject="nobody@district.org")), []


def _status_shows_incremental(config, result):
    runs = json.loads(cli(config, "status", "--format", "json").stdout)["runs"]
    assert (runs[0]["state"], runs[0]["mode"]) == ("failed", "incremental"), runs[0]
    assert (runs[1]["state"], runs[1]["mode"]) == ("complete", "full"), runs[1]


def _complete_with_sign_in_unknown(config, result):
    runs = json.loads(cli(config, "status", "--format", "json").stdout)["runs"]
    assert (
        runs[0]["state"] == "complete"
        and len([w for w in runs[0]["warnings"] if "signInActivity" in w]) == 1
    )


def _sessions_still_revoked(config, result):
    assert re.search(r"entra\s+│ \S+\s+│ revoke sessions\s+│ changed", result.output), result.output
    assert "1 step was refused: the note says what to do by hand" in result.output


CASES = [
    Case(
        "AD: ca_file missing (sync)",
        _ad_missing_ca,
        ("sync",),
        5,
        (
            r"error: source 'ad': ca_file \S*missing-ca.pem does not exist",
            r"next: set ca_file to the PEM file of the CA that signed the DC's certificate",
        ),
        fixtures=("dc",),
    ),
    Case(
        "AD: ca_file missing (doctor)",
        _ad_missing_ca,
        ("doctor",),
        1,
        (
            r"FAIL ad — source 'ad': ca_file \S*missing-ca.pem does not exist",
            r"fix: set ca_file to the PEM file of the CA",
        ),
        fixtures=("dc",),
    ),
    Case(
        "AD: the wrong CA (sync)",
        _ad_wrong_ca,
        ("sync",),
        5,
        (
            r"error: ad: bind on ldaps://127\.\S+: the DC's certificate is not signed by the CA in ca_file \S*ca.pem "
            r"\(certificate verify failed: unable to get local issuer certificate\)",
            r"next: set ca_file to the PEM of the CA that signed the DC's certificate",
        ),
        fixtures=("dc", "other_ca"),
    ),
    Case(
        "AD: the wrong CA (doctor)",
        _ad_wrong_ca,
        ("doctor",),
        1,
        (
            r"FAIL ad: reachable over TLS — connect on ldaps://\S+: the DC's certificate is not signed by the CA "
            r"in ca_file",
            r"fix: set ca_file to the PEM of the CA",
        ),
        fixtures=("dc", "other_ca"),
    ),
    Case(
        "AD: an address without tls_server_name",
        _ad_address_without_name,
        ("sync",),
        5,
        (
            r"error: ad: bind on ldaps://127\.\S+: the DC's certificate is for DC1\.district\.test, not 127\.",
            r'next: set tls_server_name = "DC1\.district\.test"',
        ),
        fixtures=("dc",),
    ),
    Case(
        "Entra: no AuditLog.Read.All",
        _entra_no_auditlog,
        ("sync",),
        0,
        (
            r"entra\s+│ complete",
            r"warning: entra: signInActivity not read: the app registration lacks the application "
            r"permission AuditLog\.Read\.All",
        ),
        then=_complete_with_sign_in_unknown,
        fixtures=("tenant",),
    ),
    Case(
        "Entra: no P1/P2 licence",
        _entra_unlicensed,
        ("sync",),
        0,
        (
            r"entra\s+│ complete",
            r"warning: entra: signInActivity not read: the tenant has no Entra ID P1/P2 licence",
        ),
        then=_complete_with_sign_in_unknown,
        fixtures=("tenant",),
    ),
    Case(
        "Entra: a persistent 503",
        _entra_persistent_503,
        ("sync",),
        5,
        (
            r"error: entra: GET /\S+: .*still failing after \d+ tries: HTTP 503 serviceNotAvailable: Service "
            r"Unavailable \(Graph unavailable\)$",
        ),
        never=("still throttled", "throttled"),
        fixtures=("tenant",),
    ),
    Case(
        "Entra: a failed incremental run",
        _entra_failed_incremental,
        ("sync",),
        5,
        (
            r"error: entra: GET /v1\.0/users/delta: HTTP 403 Authorization_RequestDenied",
            r"\(needs User\.Read\.All\)",
            r"next: grant the application permission User\.Read\.All",
        ),
        then=_status_shows_incremental,
        fixtures=("tenant",),
    ),
    Case(
        "Entra: disabling a privileged user",
        _entra_privileged_disable,
        ("suspend", f"entra:account:{ADAMS}", "--case", "C-1", "--reason", "test", "--apply"),
        0,
        (
            r"warning: \S+ \(entra\) holds the Entra role User Administrator: Graph does not let the app's "
            r"User\.EnableDisableAccount\.All disable a privileged user",
            r"refused\s+│ Entra refused to disable the account: it holds an administrator role",
            r"next: Disable it by hand in the Entra admin center",
        ),
        never=("(needs User.EnableDisableAccount.All)",),
        then=_sessions_still_revoked,
        fixtures=("tenant",),
    ),
    Case(
        "Entra: a failing directory, the only one",
        _entra_token_refused_in_suspension,
        ("suspend", f"entra:account:{ADAMS}", "--case", "C-2", "--reason", "test", "--apply"),
        5,
        (
            r"error: entra: token https://login\.microsoftonline\.com/\S+: invalid_client: AADSTS7000215",
            r"next: check tenant_id, client_id and the client secret",
            r"Case C-2 is incomplete\. To finish it: ",
        ),
        never=("the other directories were applied", "were applied"),
        fixtures=("tenant",),
    ),
    Case(
        "Google: one scope missing from delegation",
        _google_missing_scope,
        ("sync",),
        5,
        (
            r"error: google: \S+ \(token for admin@district\.org\): domain-wide delegation does not grant "
            r"https://www\.googleapis\.com/auth/drive\.readonly$",
            r"next: in Admin console > Security > Access and data control > API controls > Domain-wide delegation, "
            r"add https://www\.googleapis\.com/auth/drive\.readonly to client id 1234567890",
        ),
        never=("admin.directory.user.readonly, ",),
        fixtures=("google",),
    ),
    Case(
        "Google: the subject lacks an admin privilege",
        _google_missing_privilege,
        ("sync",),
        5,
        (
            r"error: google: users\.list: the admin the service account acts as \(subject\) may not read users "
            r"\(Google: 403 forbidden: Not Authorized to access this resource/api\)",
            r"next: give the subject an admin role that may read users",
        ),
        never=("needs scope",),
        fixtures=("google",),
    ),
    Case(
        "Google: an unknown subject",
        _google_unknown_subject,
        ("sync",),
        5,
        (
            r"error: google: \S+ \(token for nobody@district\.org\): impersonation failed: nobody@district\.org is "
            r"not an existing user of the domain \(Google: invalid_grant: Invalid email or User ID\)",
            r"next: set subject to the address of an existing, active admin",
        ),
        never=("('invalid_grant", "{'error'"),
        fixtures=("google",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_message_says_what_happened_and_what_to_do(case, request, tmp_path):
    fx = {name: request.getfixturevalue(name) for name in case.fixtures}
    config, before = case.setup(fx, tmp_path)
    for step in before:
        if callable(step):
            step()
        else:
            assert cli(config, *step).exit_code == 0
    result = cli(config, *case.command)
    output = result.output
    assert result.exit_code == case.exit_code, output
    for pattern in case.says:
        assert re.search(pattern, output, re.M), f"{pattern!r} not in:\n{output}"
    for text in NEVER + case.never:
        assert text not in output, f"{text!r} in:\n{output}"
    # One line per error: the error line is whole, never spread over a Python repr.
    for line in output.splitlines():
        if line.startswith("error:"):
            assert len(line) < 400, line
    if case.then:
        case.then(config, result)
