"""The settings of a ``[sources.NAME]`` table of type entra: what ``build_settings`` and
``build_credential`` read, with defaults; ``access-review init`` writes them into the starter."""

from __future__ import annotations

from access_review.settings_spec import REQUIRED, Setting

DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_TIMEOUT = 60.0

SETTINGS = (
    Setting(
        "tenant_id",
        REQUIRED,
        "the directory (tenant) id",
        example="00000000-0000-0000-0000-000000000000",
    ),
    Setting(
        "client_id",
        REQUIRED,
        "the app registration's application (client) id",
        example="00000000-0000-0000-0000-000000000000",
    ),
    Setting(
        "client_secret_env",
        None,
        "environment variable holding a client secret (or the next two)",
        example="ACCESS_REVIEW_ENTRA_SECRET",
    ),
    Setting(
        "client_secret_file",
        None,
        "a file only you can read holding the client secret",
        example="/etc/access-review/entra-secret",
        alternative_to="client_secret_env",
    ),
    Setting(
        "certificate_file",
        None,
        "PEM with the certificate and its private key (chmod 600)",
        example="/etc/access-review/entra-cert.pem",
        alternative_to="client_secret_env",
    ),
    Setting(
        "certificate_thumbprint",
        None,
        "the certificate's SHA-1 thumbprint, as the app registration shows it",
        example="0123456789ABCDEF0123456789ABCDEF01234567",
    ),
    Setting(
        "authority_host",
        DEFAULT_AUTHORITY_HOST,
        "sign-in host (https://login.microsoftonline.us: US Government)",
    ),
    Setting(
        "graph_url",
        DEFAULT_GRAPH_URL,
        "Graph root (https://graph.microsoft.us/v1.0: US Government)",
    ),
    Setting(
        "token_scope",
        None,
        "the scope tokens are asked for; set it behind a proxy or gateway "
        "(default: the graph_url host + /.default)",
        example="https://graph.microsoft.com/.default",
    ),
    Setting("timeout", DEFAULT_TIMEOUT, "seconds to wait for an answer"),
    Setting("members_via", "batch", "batch ($batch of member listings) or delta (groups/delta)"),
    Setting(
        "sign_in_activity",
        True,
        "read last sign-in (needs AuditLog.Read.All and an Entra ID P1/P2 licence)",
    ),
    Setting(
        "features",
        ["read", "act"],
        "what doctor checks permissions for: read, act (suspend, remediate)",
    ),
)
