"""The settings of a ``[sources.NAME]`` table of type ad: what ``build_settings`` reads, with
defaults; ``access-review init`` writes them into the starter config."""

from __future__ import annotations

from access_review.settings_spec import REQUIRED, Setting

# Windows DCs cap a page at MaxPageSize (1,000) whatever the client asks for
# (https://learn.microsoft.com/troubleshoot/windows-server/identity/view-set-ldap-policy-using-ntdsutil).
DEFAULT_PAGE_SIZE = 1000
DEFAULT_TIMEOUT = 30

SETTINGS = (
    Setting(
        "url",
        REQUIRED,
        "the DC: ldaps://name (636), or ldap://name with start_tls",
        example="ldaps://dc1.district.example.org",
    ),
    Setting("base_dn", REQUIRED, "the domain's root", example="DC=district,DC=example,DC=org"),
    Setting(
        "bind_user",
        REQUIRED,
        "the read-only (or delegated) service account",
        example="svc-access-review@district.example.org",
    ),
    Setting(
        "password_env",
        None,
        "environment variable holding its password (this or password_file)",
        example="ACCESS_REVIEW_AD_PASSWORD",
    ),
    Setting(
        "password_file",
        None,
        "a file only you can read (chmod 600) holding it",
        example="/etc/access-review/ad-password",
        alternative_to="password_env",
    ),
    Setting(
        "ca_file",
        None,
        "PEM of the CA that signed the DC's certificate (default: the system's CAs)",
        example="/etc/ssl/certs/district-ca.pem",
    ),
    Setting(
        "tls_server_name",
        None,
        "the name on the DC's certificate; needed when url is an IP address",
        example="dc1.district.example.org",
    ),
    Setting(
        "start_tls", False, "ldap:// upgraded to TLS before binding (ldaps:// needs no StartTLS)"
    ),
    Setting(
        "allow_plaintext", False, "ldap:// without TLS: sends the password in clear; a lab only"
    ),
    Setting(
        "users_base",
        None,
        "where users are read (default: base_dn)",
        example="OU=Staff,DC=district,DC=example,DC=org",
    ),
    Setting(
        "groups_base",
        None,
        "where groups are read (default: base_dn)",
        example="OU=Groups,DC=district,DC=example,DC=org",
    ),
    Setting("timeout", DEFAULT_TIMEOUT, "seconds to wait for the DC to connect or answer"),
    Setting(
        "page_size", DEFAULT_PAGE_SIZE, "entries per search page, 1..1000 (Windows caps it at 1000)"
    ),
)
