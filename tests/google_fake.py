"""A fake Admin SDK Directory / Drive v3 / Vault v1 server on 127.0.0.1, in a thread.

google-api-python-client speaks httplib2, which `responses` cannot intercept, so the fake is
a real HTTP server: the real client library, the real google-auth token code (the fake key
file's token_uri points here) and real multipart/mixed batch parsing all run.

Payload shapes follow the published references (users, groups, members, tokens, roles,
roleAssignments, orgunits, drives, permissions, matters, holds) and the error envelope of
tests/fixtures/google/error_*.json. It counts HTTP round trips and individual API calls.

Documented behaviour modelled: orgunits.list is not paged and its ``type`` (children by
default, all, allIncludingParent) decides which units come back; the Directory API writes
org unit ids "id:..." while Vault's HeldOrgUnit and roleAssignments write them bare
(https://developers.google.com/workspace/admin/directory/reference/rest/v1/orgunits);
matters.list returns only the matters the subject may see — every matter for a super admin
or a holder of "View All Matters", else only those shared with it (``matter_viewers``)
(https://developers.google.com/workspace/vault/reference/rest/v1/matters).

The Directory API's per-user quota, when ``quota_per_minute`` is set: "The default value set
in the Google Cloud console is 2,400 queries per minute per user per Google Cloud project",
and a call over it answers 403 userRateLimitExceeded
(https://developers.google.com/workspace/admin/directory/v1/limits). Every call counts, each
call inside a batch included: Google's batch guides say "A set of n requests batched together
counts toward your usage limit as n requests, not as one request. The batch request is
separated into a set of requests before processing" (Drive, Gmail, Classroom; the Directory's
guide, https://developers.google.com/workspace/admin/directory/v1/guides/batch, is the same
model and adds "You're limited to 1000 calls in a single batch request"). So a call counts
when the server processes it, not when the client sends the batch. How the minute is
measured, Google documents for its rate quotas in general: "Google enforces rate quotas at a
per-minute interval ... if a project reaches a quota limit at 10:00:15, the quota refills at
the start of the next synchronized interval, such as 10:01:00, rather than refilling
immediately" (https://cloud.google.com/compute/api-quota) — a fixed window aligned to the
minute, ``quota_window="fixed"``, the default. ``"sliding"`` (any 60 seconds) is the stricter
reading; a pacer that keeps both is right whichever Google uses. Calls refused for quota are
not counted against it. ``call_seconds`` is the time the server takes to process one call,
the calls of a batch one after another, and ``batch_delays`` the time each batch waits (in the
network, in a queue) before its first call is processed: Google publishes no figure for
either, so they are modelled assumptions (bench/bench_google.py says which it uses); with
them, a batch is counted over seconds, some time after it was sent, as a real one is. ``clock`` with a ``VirtualClock`` lets
a test run minutes of quota in milliseconds (``call_seconds`` then advances that clock).
"""

from __future__ import annotations

import base64
import json
import random
import re
import socket
import threading
import time
import urllib.parse
from collections import Counter, deque
from dataclasses import dataclass, field
from email.parser import BytesParser, Parser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterable

FIXTURES = Path(__file__).parent / "fixtures" / "google"

SCOPE = "https://www.googleapis.com/auth/"
USER_R = {SCOPE + "admin.directory.user.readonly", SCOPE + "admin.directory.user"}
USER_W = {SCOPE + "admin.directory.user"}
SECURITY = {SCOPE + "admin.directory.user.security"}
GROUP_R = {
    SCOPE + "admin.directory.group.readonly",
    SCOPE + "admin.directory.group",
    SCOPE + "admin.directory.group.member.readonly",
    SCOPE + "admin.directory.group.member",
}
GROUP_W = {SCOPE + "admin.directory.group", SCOPE + "admin.directory.group.member"}
ROLE_R = {
    SCOPE + "admin.directory.rolemanagement.readonly",
    SCOPE + "admin.directory.rolemanagement",
}
DRIVE_R = {SCOPE + "drive.readonly", SCOPE + "drive"}
DRIVE_W = {SCOPE + "drive"}
VAULT_R = {SCOPE + "ediscovery.readonly", SCOPE + "ediscovery"}
ORGUNIT_R = {SCOPE + "admin.directory.orgunit.readonly", SCOPE + "admin.directory.orgunit"}
ALL_SCOPES = USER_R | SECURITY | GROUP_R | ROLE_R | DRIVE_R | VAULT_R | ORGUNIT_R

_KEY_PEM: str | None = None


def private_key_pem() -> str:
    global _KEY_PEM
    if _KEY_PEM is None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _KEY_PEM = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
    return _KEY_PEM


def error_body(code: int, reason: str, message: str, status: str | None = None) -> dict:
    body = {
        "error": {
            "errors": [{"domain": "global", "reason": reason, "message": message}],
            "code": code,
            "message": message,
        }
    }
    if status:
        body["error"]["status"] = status
    return body


def fixture_error(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@dataclass
class Fault:
    """Answer the next ``times`` calls matching method and path regex with ``status``/``body``."""

    path: str
    status: int = 503
    body: Any = None
    method: str = "GET"
    times: int = 1
    headers: dict = field(default_factory=dict)
    only_with_page_token: bool = False


QUOTA_WINDOW_SECONDS = 60.0
DIRECTORY_PATH = "admin/directory/v1/"


class VirtualClock:
    """Time that passes only when someone sleeps or a call is processed: a shared clock for the
    fake server and the connector, so a test runs minutes of quota in milliseconds."""

    def __init__(self, start: float = 0.0):
        self.now = start
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += max(0.0, seconds)

    sleep = advance


class FakeGoogle:
    def __init__(
        self,
        *,
        granted_scopes: set[str] | None = None,
        admin: str = "admin@district.org",
        quota_per_minute: int | None = None,
        quota_window: str = "fixed",
        clock: Callable[[], float] = time.time,
        call_seconds: float = 0.0,
        batch_delays: Iterable[float] = (),
    ):
        self.granted_scopes = (
            set(ALL_SCOPES | USER_W | GROUP_W | DRIVE_W)
            if granted_scopes is None
            else set(granted_scopes)
        )
        self.admin = admin
        self.users: dict[str, dict] = {}
        self.groups: dict[str, dict] = {}
        self.members: dict[str, list[dict]] = {}
        self.tokens: dict[str, list[dict]] = {}
        self.roles: list[dict] = []
        self.role_assignments: list[dict] = []
        self.drives: list[dict] = []
        self.permissions: dict[str, list[dict]] = {}
        self.matters: list[dict] = []
        self.holds: dict[str, list[dict]] = {}
        self.org_units: list[dict] = [self.org_unit("/", "id:03ph8a2z0root")]
        # matter id -> e-mails it is shared with; None: the subject sees every matter (a super
        # admin or View All Matters). Set to a dict to model a subject without that privilege.
        self.matter_viewers: dict[str, set[str]] | None = None
        self.faults: list[Fault] = []
        self.max_page: int | None = None  # force small pages to exercise paging
        self.round_trips = 0
        self.calls: Counter = Counter()
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, query) of every API call
        self.batch_sizes: list[int] = []
        self.batch_log: list[tuple[str, int]] = []  # (API, calls) of every batch request
        self.token_scopes: dict[str, set[str]] = {}
        self.token_requests: list[dict] = []
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        if quota_window not in ("fixed", "sliding"):
            raise ValueError(f"quota_window must be 'fixed' or 'sliding', not {quota_window!r}")
        self.quota_per_minute, self.quota_window = quota_per_minute, quota_window
        self.clock, self.call_seconds = clock, call_seconds
        self.batch_delays = iter(batch_delays)
        self.directory_calls: deque[float] = (
            deque()
        )  # when each counted Directory call was processed
        self.directory_counted = 0  # Directory calls accepted
        self.directory_rejected = 0  # Directory calls refused for quota

    # ---- lifecycle -------------------------------------------------------------------
    def start(self) -> "FakeGoogle":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes; without this, Nagle and delayed ACK
                # add ~40 ms to every round trip.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = fake.handle_http(
                    self.command, self.path, dict(self.headers), body
                )
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def write_key_file(self, path: Path, mode: int = 0o600) -> Path:
        path.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": "district-ar",
                    "private_key_id": "k1",
                    "private_key": private_key_pem(),
                    "client_email": "access-review@district-ar.iam.gserviceaccount.com",
                    "client_id": "1234567890",
                    "token_uri": self.url + "token",
                }
            )
        )
        path.chmod(mode)
        return path

    # ---- transport -------------------------------------------------------------------
    def handle_http(
        self, method: str, raw_path: str, headers: dict, body: bytes
    ) -> tuple[int, dict, bytes]:
        with self.lock:
            self.round_trips += 1
        path = urllib.parse.urlsplit(raw_path).path
        if path == "/token":
            return self._token(body)
        if path in ("/batch", "/batch/drive/v3", "/batch/admin/directory_v1"):
            return self._batch(path, headers, body)
        status, out_headers, payload = self.call(method, raw_path, headers, body)
        return status, out_headers, payload

    def _token(self, body: bytes) -> tuple[int, dict, bytes]:
        form = urllib.parse.parse_qs(body.decode())
        assertion = form.get("assertion", [""])[0]
        claims = json.loads(base64.urlsafe_b64decode(assertion.split(".")[1] + "=="))
        self.token_requests.append(claims)
        asked = set(claims.get("scope", "").split())
        if claims.get("sub") != self.admin:
            return self._json(
                400, {"error": "invalid_grant", "error_description": "Invalid email or User ID"}
            )
        if not asked <= self.granted_scopes:
            # What Google answers when domain-wide delegation lacks any requested scope.
            return self._json(
                401,
                {
                    "error": "unauthorized_client",
                    "error_description": "Client is unauthorized to retrieve access tokens using this method, "
                    "or client not authorized for any of the scopes requested.",
                },
            )
        with self.lock:
            token = f"ya29.fake{len(self.token_scopes)}"
            self.token_scopes[token] = asked
        return self._json(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    def _batch(self, path: str, headers: dict, body: bytes) -> tuple[int, dict, bytes]:
        ctype = next(v for k, v in headers.items() if k.lower() == "content-type")
        message = BytesParser().parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
        parts = message.get_payload()
        limit = 100 if "drive" in path else 1000
        if len(parts) > limit:
            return self._json(
                400, error_body(400, "batchSizeTooLarge", f"more than {limit} calls in a batch")
            )
        self.batch_sizes.append(len(parts))
        self._wait(next(self.batch_delays, 0.0))  # queued before its calls are processed
        first = parts[0].get_payload().split(" ", 2)[1] if parts else ""
        api = "vault" if "/v1/matters" in first else "drive" if "/drive/" in first else "directory"
        self.batch_log.append((api, len(parts)))
        boundary = "batch_fake_boundary"
        out = []
        for part in parts:
            content_id = part["Content-ID"]
            inner = part.get_payload()
            request_line, rest = inner.split("\n", 1)
            method, target, _ = request_line.split(" ", 2)
            inner_msg = Parser().parsestr(rest)
            inner_body = (inner_msg.get_payload() or "").encode()
            status, h, payload = self.call(method, target, dict(inner_msg.items()), inner_body)
            reason = {200: "OK", 204: "No Content"}.get(status, "Error")
            inner_headers = "".join(f"{k}: {v}\r\n" for k, v in h.items())
            out.append(
                f"--{boundary}\r\nContent-Type: application/http\r\n"
                f"Content-ID: <response-{content_id.strip('<>')}>\r\n\r\n"
                f"HTTP/1.1 {status} {reason}\r\n{inner_headers}\r\n{payload.decode()}\r\n"
            )
        out.append(f"--{boundary}--\r\n")
        return 200, {"Content-Type": f"multipart/mixed; boundary={boundary}"}, "".join(out).encode()

    @staticmethod
    def _json(status: int, body: Any) -> tuple[int, dict, bytes]:
        if status == 204 or body is None:
            return status, {}, b""
        return (
            status,
            {"Content-Type": "application/json; charset=UTF-8"},
            json.dumps(body).encode(),
        )

    # ---- one API call ----------------------------------------------------------------
    def call(self, method: str, target: str, headers: dict, body: bytes) -> tuple[int, dict, bytes]:
        split = urllib.parse.urlsplit(target)
        path = urllib.parse.unquote(split.path).lstrip("/")
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(split.query).items()}
        self._wait(
            self.call_seconds
        )  # the time Google takes to process one call (see the docstring)
        with self.lock:
            self.requests.append((method, path, query))
            if path.startswith(DIRECTORY_PATH) and not self._within_quota():
                self.directory_rejected += 1
                return self._json(403, fixture_error("error_403_userRateLimitExceeded.json"))
            for fault in self.faults:
                if (
                    fault.times > 0
                    and fault.method == method
                    and re.search(fault.path, path)
                    and (not fault.only_with_page_token or "pageToken" in query)
                ):
                    fault.times -= 1
                    status, h, payload = self._json(fault.status, fault.body)
                    return status, {**h, **fault.headers}, payload
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        scopes = self.token_scopes.get(auth.removeprefix("Bearer ").strip())
        if scopes is None:
            return self._json(401, error_body(401, "authError", "Invalid Credentials"))
        route = self._route(method, path)
        if route is None:
            return self._json(404, error_body(404, "notFound", f"no such method {method} {path}"))
        name, accepted, handler, args = route
        with self.lock:
            self.calls[name] += 1
        if not scopes & accepted:
            return self._json(
                403,
                error_body(
                    403,
                    "insufficientPermissions",
                    "Request had insufficient authentication scopes.",
                    "PERMISSION_DENIED",
                ),
            )
        data = json.loads(body) if body.strip() else None
        with self.lock:
            return self._json(*handler(*args, query=query, data=data))

    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if isinstance(self.clock, VirtualClock):
            self.clock.advance(seconds)
        else:
            time.sleep(seconds)

    def _within_quota(self) -> bool:
        """Count a Directory call processed now, unless the quota is spent (then not counted)."""
        now = self.clock()
        if self.quota_per_minute is None:
            self.directory_counted += 1
            return True
        if self.quota_window == "fixed":  # this minute, from its start on the clock

            def expired(t: float) -> bool:
                return t < (now // QUOTA_WINDOW_SECONDS) * QUOTA_WINDOW_SECONDS
        else:  # the last 60 seconds

            def expired(t: float) -> bool:
                return t <= now - QUOTA_WINDOW_SECONDS

        while self.directory_calls and expired(self.directory_calls[0]):
            self.directory_calls.popleft()
        if len(self.directory_calls) >= self.quota_per_minute:
            return False
        self.directory_calls.append(now)
        self.directory_counted += 1
        return True

    def _route(self, method: str, path: str):
        d = "admin/directory/v1/"
        table = [
            ("GET", d + r"users", "users.list", USER_R, self._users_list),
            ("GET", d + r"users/([^/]+)", "users.get", USER_R, self._users_get),
            ("PUT", d + r"users/([^/]+)", "users.update", USER_W, self._users_update),
            ("PATCH", d + r"users/([^/]+)", "users.patch", USER_W, self._users_update),
            ("POST", d + r"users/([^/]+)/signOut", "users.signOut", SECURITY, self._users_sign_out),
            ("GET", d + r"users/([^/]+)/tokens", "tokens.list", SECURITY, self._tokens_list),
            ("GET", d + r"users/([^/]+)/tokens/([^/]+)", "tokens.get", SECURITY, self._tokens_get),
            (
                "DELETE",
                d + r"users/([^/]+)/tokens/([^/]+)",
                "tokens.delete",
                SECURITY,
                self._tokens_delete,
            ),
            ("GET", d + r"groups", "groups.list", GROUP_R, self._groups_list),
            (
                "GET",
                d + r"customer/([^/]+)/orgunits",
                "orgunits.list",
                ORGUNIT_R,
                self._orgunits_list,
            ),
            ("GET", d + r"groups/([^/]+)/members", "members.list", GROUP_R, self._members_list),
            (
                "GET",
                d + r"groups/([^/]+)/members/([^/]+)",
                "members.get",
                GROUP_R,
                self._members_get,
            ),
            (
                "DELETE",
                d + r"groups/([^/]+)/members/([^/]+)",
                "members.delete",
                GROUP_W,
                self._members_delete,
            ),
            ("GET", d + r"customer/([^/]+)/roles", "roles.list", ROLE_R, self._roles_list),
            (
                "GET",
                d + r"customer/([^/]+)/roleassignments",
                "roleAssignments.list",
                ROLE_R,
                self._assignments_list,
            ),
            ("GET", r"drive/v3/drives", "drives.list", DRIVE_R, self._drives_list),
            (
                "GET",
                r"drive/v3/files/([^/]+)/permissions",
                "permissions.list",
                DRIVE_R,
                self._permissions_list,
            ),
            (
                "GET",
                r"drive/v3/files/([^/]+)/permissions/([^/]+)",
                "permissions.get",
                DRIVE_R,
                self._permissions_get,
            ),
            (
                "DELETE",
                r"drive/v3/files/([^/]+)/permissions/([^/]+)",
                "permissions.delete",
                DRIVE_W,
                self._permissions_delete,
            ),
            ("GET", r"v1/matters", "matters.list", VAULT_R, self._matters_list),
            ("GET", r"v1/matters/([^/]+)/holds", "holds.list", VAULT_R, self._holds_list),
        ]
        for m, pattern, name, accepted, handler in table:
            match = re.fullmatch(pattern, path)
            if m == method and match:
                return name, accepted, handler, match.groups()
        return None

    def _page(
        self,
        items: list,
        query: dict,
        size_param: str,
        maximum: int,
        default: int,
        kind: str,
        field_name: str,
    ) -> tuple[int, dict]:
        size = min(int(query.get(size_param, default)), maximum, self.max_page or maximum)
        token = query.get("pageToken")
        if token is not None and not re.fullmatch(r"o\d+", token):
            return 400, error_body(400, "invalid", "Invalid page token")
        start = int(token[1:]) if token else 0
        page = {"kind": kind, field_name: items[start : start + size]}
        if start + size < len(items):
            page["nextPageToken"] = f"o{start + size}"
        return 200, page

    def _user(self, key: str) -> dict | None:
        if key in self.users:
            return self.users[key]
        return next((u for u in self.users.values() if u["primaryEmail"] == key), None)

    def _group_id(self, key: str) -> str | None:
        if key in self.groups:
            return key
        return next((g["id"] for g in self.groups.values() if g["email"] == key), None)

    def _not_found(self, what: str) -> tuple[int, dict]:
        return 404, error_body(404, "notFound", f"Resource Not Found: {what}")

    def _users_list(self, *, query, data):
        return self._page(
            list(self.users.values()),
            query,
            "maxResults",
            500,
            100,
            "admin#directory#users",
            "users",
        )

    def _users_get(self, key, *, query, data):
        user = self._user(key)
        return (200, user) if user else self._not_found("userKey")

    def _users_update(self, key, *, query, data):
        user = self._user(key)
        if not user:
            return self._not_found("userKey")
        user.update(data or {})
        return 200, user

    def _users_sign_out(self, key, *, query, data):
        user = self._user(key)
        if not user:
            return self._not_found("userKey")
        user["signOuts"] = user.get("signOuts", 0) + 1
        return 204, None

    def _tokens_list(self, key, *, query, data):
        user = self._user(key)
        if not user:
            return self._not_found("userKey")
        return 200, {
            "kind": "admin#directory#tokenList",
            "etag": '"e"',
            "items": self.tokens.get(user["id"], []),
        }

    def _tokens_get(self, key, client_id, *, query, data):
        user = self._user(key)
        token = next(
            (
                t
                for t in self.tokens.get(user["id"] if user else "", [])
                if t["clientId"] == client_id
            ),
            None,
        )
        return (200, token) if token else self._not_found("clientId")

    def _tokens_delete(self, key, client_id, *, query, data):
        user = self._user(key)
        tokens = self.tokens.get(user["id"] if user else "", [])
        if not any(t["clientId"] == client_id for t in tokens):
            return self._not_found("clientId")
        self.tokens[user["id"]] = [t for t in tokens if t["clientId"] != client_id]
        return 204, None

    def _groups_list(self, *, query, data):
        return self._page(
            list(self.groups.values()),
            query,
            "maxResults",
            200,
            200,
            "admin#directory#groups",
            "groups",
        )

    def _members_list(self, key, *, query, data):
        gid = self._group_id(key)
        if gid is None:
            return self._not_found("groupKey")
        return self._page(
            self.members.get(gid, []),
            query,
            "maxResults",
            200,
            200,
            "admin#directory#members",
            "members",
        )

    def _find_member(self, gid: str | None, key: str) -> dict | None:
        return next(
            (m for m in self.members.get(gid or "", []) if key in (m["id"], m.get("email"))), None
        )

    def _members_get(self, gkey, mkey, *, query, data):
        member = self._find_member(self._group_id(gkey), mkey)
        return (200, member) if member else self._not_found("memberKey")

    def _members_delete(self, gkey, mkey, *, query, data):
        gid = self._group_id(gkey)
        member = self._find_member(gid, mkey)
        if not member:
            return self._not_found("memberKey")
        self.members[gid].remove(member)
        return 204, None

    def _roles_list(self, customer, *, query, data):
        return self._page(
            self.roles, query, "maxResults", 100, 100, "admin#directory#roles", "items"
        )

    def _assignments_list(self, customer, *, query, data):
        return self._page(
            self.role_assignments,
            query,
            "maxResults",
            200,
            200,
            "admin#directory#roleAssignments",
            "items",
        )

    def _drives_list(self, *, query, data):
        if query.get("useDomainAdminAccess") != "true":
            return 200, {
                "kind": "drive#driveList",
                "drives": [],
            }  # what a non-member admin would see
        return self._page(self.drives, query, "pageSize", 100, 10, "drive#driveList", "drives")

    def _permissions_list(self, file_id, *, query, data):
        if file_id not in self.permissions:
            return self._not_found("fileId")
        if query.get("supportsAllDrives") != "true":
            return self._not_found("fileId")  # Drive answers 404 for shared-drive files without it
        return self._page(
            self.permissions[file_id],
            query,
            "pageSize",
            100,
            100,
            "drive#permissionList",
            "permissions",
        )

    def _permissions_get(self, file_id, pid, *, query, data):
        perm = next((p for p in self.permissions.get(file_id, []) if p["id"] == pid), None)
        return (200, perm) if perm else self._not_found("permissionId")

    def _permissions_delete(self, file_id, pid, *, query, data):
        perms = self.permissions.get(file_id, [])
        if not any(p["id"] == pid for p in perms):
            return self._not_found("permissionId")
        self.permissions[file_id] = [p for p in perms if p["id"] != pid]
        return 204, None

    def _matters_list(self, *, query, data):
        visible = (
            self.matters
            if self.matter_viewers is None
            else [
                m
                for m in self.matters
                if self.admin in self.matter_viewers.get(m["matterId"], set())
            ]
        )
        return self._page(visible, query, "pageSize", 100, 100, "", "matters")

    def _orgunits_list(self, customer, *, query, data):
        kind = query.get("type", "children")
        units = [o for o in self.org_units if o["orgUnitPath"] != "/"]
        if kind == "children":
            units = [o for o in units if o["orgUnitPath"].count("/") == 1]
        elif kind == "allIncludingParent":
            units = self.org_units
        return 200, {"kind": "admin#directory#orgUnits", "etag": '"e"', "organizationUnits": units}

    def org_unit(self, path: str, unit_id: str) -> dict:
        parent = path.rsplit("/", 1)[0] or "/"
        return {
            "kind": "admin#directory#orgUnit",
            "etag": '"e"',
            "name": path.rsplit("/", 1)[-1],
            "description": "",
            "orgUnitPath": path,
            "orgUnitId": unit_id,
            "parentOrgUnitPath": parent,
            "parentOrgUnitId": "id:03ph8a2z0root",
        }

    def _holds_list(self, matter_id, *, query, data):
        return self._page(self.holds.get(matter_id, []), query, "pageSize", 100, 100, "", "holds")

    # ---- data --------------------------------------------------------------------------
    def add_user(
        self,
        uid: str,
        email: str,
        *,
        org_unit: str = "/Staff",
        suspended: bool = False,
        archived: bool = False,
        employee_id: str | None = None,
        is_admin: bool = False,
        last_login: str = "2026-10-01T12:00:00.000Z",
        name: str | None = None,
        aliases: tuple[str, ...] = (),
    ) -> dict:
        user = {
            "kind": "admin#directory#user",
            "id": uid,
            "primaryEmail": email,
            "name": {"fullName": name or email.split("@")[0].title()},
            "isAdmin": is_admin,
            "isDelegatedAdmin": False,
            "lastLoginTime": last_login,
            "creationTime": "2019-08-01T15:00:00.000Z",
            "suspended": suspended,
            "archived": archived,
            "orgUnitPath": org_unit,
            "customerId": "C01fake",
        }
        if employee_id:
            user["externalIds"] = [{"value": employee_id, "type": "organization"}]
        if aliases:
            user["aliases"] = list(aliases)
        self.users[uid] = user
        return user

    def add_group(
        self, gid: str, email: str, name: str, members: list[tuple[str, str]] = ()
    ) -> dict:
        """members: (type, id) with type USER, GROUP or CUSTOMER."""
        group = {
            "kind": "admin#directory#group",
            "id": gid,
            "email": email,
            "name": name,
            "directMembersCount": str(len(members)),
            "adminCreated": True,
        }
        self.groups[gid] = group
        self.members[gid] = [self.member(t, i) for t, i in members]
        return group

    def member(self, kind: str, ident: str) -> dict:
        email = None
        if kind == "USER" and ident in self.users:
            email = self.users[ident]["primaryEmail"]
        elif kind == "GROUP" and ident in self.groups:
            email = self.groups[ident]["email"]
        m = {
            "kind": "admin#directory#member",
            "id": ident,
            "role": "MEMBER",
            "type": kind,
            "status": "ACTIVE",
        }
        if email:
            m["email"] = email
        return m


def district(
    fake: FakeGoogle,
    *,
    users: int = 30_000,
    groups: int = 3_000,
    memberships: int = 300_000,
    drives: int = 200,
    staff_fraction: float = 0.1,
    seed: int = 7,
) -> FakeGoogle:
    """A district-scale domain: students under /Students/<school>, staff under /Staff."""
    rng = random.Random(seed)  # noqa: S311 (seeded, reproducible fake data, not security)
    staff = int(users * staff_fraction)
    user_ids = []
    for n in range(users):
        uid = str(100000000000000000000 + n)
        is_staff = n < staff
        fake.add_user(
            uid,
            f"{'staff' if is_staff else 'student'}{n}@district.org",
            org_unit="/Staff" if is_staff else f"/Students/School{n % 12}",
            employee_id=f"E{n:05d}" if is_staff else None,
            suspended=(n % 97 == 0),
            archived=(n % 211 == 0),
        )
        user_ids.append(uid)
    fake.users[user_ids[0]]["primaryEmail"] = fake.admin
    # Group sizes: mostly around the mean, a few large ones that need more than one page.
    mean = memberships // groups
    sizes = [rng.randint(mean // 2, mean + mean // 2) for _ in range(groups)]
    for i in range(0, groups, 25):
        sizes[i] = mean * 4
    scale = memberships / sum(sizes)
    sizes = [max(1, int(s * scale)) for s in sizes]
    for i in range(memberships - sum(sizes)):  # spread the rounding remainder
        sizes[i % groups] += 1
    group_ids = [f"0{g:08d}grp" for g in range(groups)]
    for g, gid in enumerate(group_ids):
        fake.groups[gid] = {
            "kind": "admin#directory#group",
            "id": gid,
            "email": f"group{g}@district.org",
            "name": f"Group {g}",
            "directMembersCount": str(sizes[g]),
            "adminCreated": True,
        }
    for g, gid in enumerate(group_ids):
        nested = [group_ids[rng.randrange(groups)]] if g % 10 == 0 else []
        picks = rng.sample(user_ids, sizes[g] - len(nested))
        fake.members[gid] = [fake.member("GROUP", x) for x in nested if x != gid] + [
            fake.member("USER", u) for u in picks
        ]
    apps = [(f"{i}-app.apps.googleusercontent.com", f"App {i}") for i in range(40)]
    for uid in user_ids[:staff]:
        fake.tokens[uid] = [
            {
                "kind": "admin#directory#token",
                "clientId": c,
                "displayText": name,
                "scopes": ["openid", "https://www.googleapis.com/auth/drive.readonly"],
                "userKey": uid,
                "anonymous": False,
                "nativeApp": False,
            }
            for c, name in rng.sample(apps, rng.randint(0, 3))
        ]
    fake.roles = [
        {
            "roleId": "1",
            "roleName": "_SEED_ADMIN_ROLE",
            "isSuperAdminRole": True,
            "isSystemRole": True,
        },
        {"roleId": "2", "roleName": "_GROUPS_ADMIN_ROLE", "isSystemRole": True},
    ]
    fake.role_assignments = [
        {
            "roleAssignmentId": f"ra{i}",
            "roleId": "1" if i < 3 else "2",
            "assignedTo": user_ids[i],
            "assigneeType": "user",
            "scopeType": "CUSTOMER",
        }
        for i in range(10)
    ]
    for d in range(drives):
        did = f"0AdriveX{d:05d}Uk9PVA"
        fake.drives.append(
            {
                "kind": "drive#drive",
                "id": did,
                "name": f"Shared drive {d}",
                "createdTime": "2021-01-01T00:00:00.000Z",
            }
        )
        perms = [
            {
                "kind": "drive#permission",
                "id": f"{100 + i}",
                "type": "user",
                "role": role,
                "emailAddress": fake.users[user_ids[rng.randrange(staff)]]["primaryEmail"],
            }
            for i, role in enumerate(
                rng.choices(["organizer", "writer", "reader", "commenter"], k=12)
            )
        ]
        perms.append(
            {
                "kind": "drive#permission",
                "id": "g1",
                "type": "group",
                "role": "reader",
                "emailAddress": fake.groups[group_ids[d]]["email"],
            }
        )
        fake.permissions[did] = perms
    fake.matters = [{"matterId": f"m{i}", "name": f"Matter {i}", "state": "OPEN"} for i in range(3)]
    for i in range(3):
        fake.holds[f"m{i}"] = [
            {
                "holdId": f"h{i}",
                "name": f"Hold {i}",
                "corpus": "MAIL",
                "accounts": [
                    {
                        "accountId": user_ids[staff - 1 - i],
                        "email": fake.users[user_ids[staff - 1 - i]]["primaryEmail"],
                    }
                ],
            }
        ]
    return fake


# ---- pytest helpers shared by tests/test_google_*.py ------------------------------------
def small_domain(fake: FakeGoogle) -> FakeGoogle:
    """A handful of users and groups covering the documented cases."""
    fake.add_user("1001", fake.admin, employee_id="E0001", is_admin=True, name="Ada Admin")
    fake.add_user(
        "1002", "teacher@district.org", employee_id="E0002", aliases=("t.one@district.org",)
    )
    fake.add_user("1003", "gone@district.org", employee_id="E0003", suspended=True)
    fake.add_user("1004", "archived@district.org", employee_id="E0004", archived=True)
    fake.add_user(
        "1005",
        "kid@students.district.org",
        org_unit="/Students/HS",
        last_login="1970-01-01T00:00:00.000Z",
    )
    fake.add_group("g1", "sped@district.org", "SpEd Staff", [("USER", "1002"), ("GROUP", "g2")])
    fake.add_group(
        "g2", "sped-leads@district.org", "SpEd Leads", [("USER", "1001"), ("GROUP", "g1")]
    )
    fake.add_group("g3", "everyone@district.org", "Everyone", [("CUSTOMER", "C01fake")])
    fake.tokens["1002"] = [
        {
            "kind": "admin#directory#token",
            "clientId": "999-grades.apps.googleusercontent.com",
            "displayText": "GradeHelper",
            "scopes": ["https://www.googleapis.com/auth/drive"],
            "userKey": "1002",
            "anonymous": False,
            "nativeApp": False,
        }
    ]
    fake.tokens["1005"] = [
        {
            "kind": "admin#directory#token",
            "clientId": "777-game.apps.googleusercontent.com",
            "displayText": "Game",
            "scopes": ["openid"],
            "userKey": "1005",
        }
    ]
    fake.roles = [
        {
            "roleId": "91",
            "roleName": "_SEED_ADMIN_ROLE",
            "isSuperAdminRole": True,
            "isSystemRole": True,
        },
        {"roleId": "92", "roleName": "Help Desk"},
    ]
    fake.role_assignments = [
        {
            "roleAssignmentId": "ra1",
            "roleId": "91",
            "assignedTo": "1001",
            "assigneeType": "user",
            "scopeType": "CUSTOMER",
        },
        {
            "roleAssignmentId": "ra2",
            "roleId": "92",
            "assignedTo": "g2",
            "assigneeType": "group",
            "scopeType": "CUSTOMER",
        },
    ]
    fake.drives = [{"kind": "drive#drive", "id": "0ASpEd", "name": "Special Education Records"}]
    fake.permissions["0ASpEd"] = [
        {"id": "p1", "type": "group", "role": "organizer", "emailAddress": "SPED@district.org"},
        {"id": "p2", "type": "user", "role": "commenter", "emailAddress": "t.one@district.org"},
        {"id": "p3", "type": "user", "role": "writer", "emailAddress": "consultant@example.com"},
        {"id": "p4", "type": "domain", "role": "reader", "domain": "district.org"},
        {"id": "p5", "type": "user", "role": "fileOrganizer", "emailAddress": "gone@district.org"},
    ]
    fake.org_units += [
        fake.org_unit("/Staff", "id:03ph8a2zstaff"),
        fake.org_unit("/Students", "id:03ph8a2zstu"),
        fake.org_unit("/Students/HS", "id:03ph8a2z1"),
    ]
    fake.matters = [{"matterId": "m1", "name": "Doe v. District", "state": "OPEN"}]
    fake.holds["m1"] = [
        {
            "holdId": "h1",
            "name": "Doe mail",
            "corpus": "MAIL",
            "accounts": [{"accountId": "1003", "email": "gone@district.org"}],
        },
        {
            "holdId": "h2",
            "name": "HS drive",
            "corpus": "DRIVE",
            "orgUnit": {"orgUnitId": "03ph8a2z1", "holdTime": "2026-01-01T00:00:00Z"},
        },
    ]
    return fake


class Sleeps(list):
    """A sleep that records instead of waiting, so retry and pacing tests run instantly."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_connector(fake: FakeGoogle, tmp_path: Path, **settings: Any):
    from access_review.retry import RetryPolicy
    from connectors.google.connector import build_connector

    key = fake.write_key_file(tmp_path / "sa-key.json")
    config = {
        "type": "google",
        "key_file": key.name,
        "subject": fake.admin,
        "api_endpoint": fake.url,
        "vault": True,
        **settings,
    }
    connector = build_connector("google", config, base_dir=str(tmp_path))
    connector.policy = RetryPolicy(tries=4, base=0.01, cap=0.05)
    connector.sleep = Sleeps()
    return connector
