"""Two small findings of the hostile review (issue 15, item 8): a relative ``password_file``
was read from the working folder instead of the config's folder, and a multi-valued RDN
(``CN=a+UID=b,...``) gave the wrong parent DN."""

from __future__ import annotations

import os

from access_review.config import load_config
from campaigns.mail import smtp_settings
from connectors.ad.client import read_password
from connectors.ad.transform import is_foreign_principal_dn, parent_dn, transform_account


def _secret(path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    os.chmod(path, 0o600)


def test_a_relative_password_file_is_read_from_the_configs_folder(tmp_path, monkeypatch):
    district = tmp_path / "district"
    _secret(district / "secrets" / "ad.pw", "right-ad-password")
    _secret(district / "smtp.pw", "right-smtp-password")
    (district / "access-review.toml").write_text(
        '[sources.ad]\ntype = "ad"\nurl = "ldaps://dc.example.org"\nbase_dn = "DC=example,DC=org"\n'
        'bind_user = "svc"\npassword_file = "secrets/ad.pw"\n'
        '[smtp]\nhost = "smtp.example.org"\nusername = "mailer"\npassword_file = "smtp.pw"\n',
        encoding="utf-8",
    )
    # Someone starts the tool from another folder that holds files of the same names.
    elsewhere = tmp_path / "elsewhere"
    _secret(elsewhere / "secrets" / "ad.pw", "planted-ad-password")
    _secret(elsewhere / "smtp.pw", "planted-smtp-password")
    monkeypatch.chdir(elsewhere)
    cfg = load_config(district / "access-review.toml")
    assert read_password("ad", cfg.sources["ad"]) == "right-ad-password"
    assert smtp_settings(cfg.section("smtp"), "iso@example.org").password == "right-smtp-password"  # noqa: S105 (the test's own throw-away secret)
    assert cfg.sources["ad"]["password_file"] == str(district / "secrets" / "ad.pw")


def test_an_absolute_file_setting_is_left_as_it_is(tmp_path):
    _secret(tmp_path / "ad.pw", "pw")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "access-review.toml").write_text(
        f'[sources.g]\ntype = "google"\nkey_file = "{tmp_path / "ad.pw"}"\nsubject = "a@b"\n',
        encoding="utf-8",
    )
    assert load_config(tmp_path / "c" / "access-review.toml").sources["g"]["key_file"] == str(
        tmp_path / "ad.pw"
    )


def test_a_multi_valued_rdn_is_one_rdn():
    assert parent_dn("CN=a+UID=b,OU=Staff,DC=district,DC=org") == "OU=Staff,DC=district,DC=org"
    assert parent_dn("CN=a+UID=b+SN=c,OU=Staff\\, East,DC=org") == "OU=Staff\\, East,DC=org"
    assert parent_dn("CN=a,OU=x+L=y,DC=org") == "OU=x+L=y,DC=org"
    assert parent_dn("DC=org") == ""
    assert is_foreign_principal_dn("CN=S-1-5-11,CN=ForeignSecurityPrincipals,DC=org")
    assert is_foreign_principal_dn("CN=S-1-5-11+UID=x,CN=ForeignSecurityPrincipals,DC=org")
    assert not is_foreign_principal_dn("CN=ForeignSecurityPrincipals+UID=x,CN=Users,DC=org")


def test_an_account_under_a_multi_valued_rdn_gets_its_real_org_unit():
    entry = {
        "dn": "CN=Ann Lee+UID=alee,OU=Teachers,OU=Staff,DC=district,DC=org",
        "attributes": {
            "objectGUID": [bytes(range(16))],
            "sAMAccountName": [b"alee"],
            "userAccountControl": [b"512"],
            "objectClass": [b"top", b"person", b"user"],
        },
    }
    account = transform_account(entry, "ad")
    assert account.org_unit == "OU=Teachers,OU=Staff,DC=district,DC=org"
