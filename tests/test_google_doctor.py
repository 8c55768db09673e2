"""doctor: key file, impersonation, and each scope by name."""

import pytest

from connectors.google.client import DRIVE_READ, USER_SECURITY
from google_fake import ALL_SCOPES, Fault, FakeGoogle, make_connector, small_domain


@pytest.fixture
def make_fake():
    servers = []

    def start(**kwargs):
        servers.append(small_domain(FakeGoogle(**kwargs)).start())
        return servers[-1]

    yield start
    for s in servers:
        s.stop()


def test_all_granted_is_all_ok(make_fake, tmp_path):
    checks = make_connector(make_fake(), tmp_path).doctor()
    assert all(c.ok for c in checks), [(c.name, c.detail) for c in checks]
    assert checks[1].name.startswith("impersonate")


def test_missing_scopes_are_named_with_where_to_grant_them(make_fake, tmp_path):
    fake = make_fake(granted_scopes=ALL_SCOPES - {DRIVE_READ, USER_SECURITY})
    checks = make_connector(fake, tmp_path).doctor()
    failed = [c for c in checks if not c.ok]
    names = " ".join(c.name for c in failed)
    assert "drive.readonly" in names and "admin.directory.user.security" in names
    assert all("Domain-wide delegation" in c.fix for c in failed)
    assert any(c.ok and "directory.user.readonly" in c.name for c in checks)


def test_key_file_open_to_others_fails_first(make_fake, tmp_path):
    connector = make_connector(make_fake(), tmp_path)
    (tmp_path / "sa-key.json").chmod(0o640)
    [check] = connector.doctor()
    assert not check.ok and "chmod 600" in check.fix


def test_subject_that_is_not_an_admin_fails_impersonation(make_fake, tmp_path):
    fake = make_fake()
    fake.faults.append(
        Fault(
            r"directory/v1/users$",
            403,
            {
                "error": {
                    "code": 403,
                    "message": "Not Authorized to access this resource/api",
                    "errors": [{"reason": "forbidden"}],
                }
            },
        )
    )
    checks = make_connector(fake, tmp_path).doctor()
    assert not checks[1].ok and "Not Authorized" in checks[1].detail


def test_unknown_subject_fails_impersonation(make_fake, tmp_path):
    checks = make_connector(make_fake(), tmp_path, subject="nobody@district.org").doctor()
    assert not checks[-1].ok and "invalid_grant" in checks[-1].detail
