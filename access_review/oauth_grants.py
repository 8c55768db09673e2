"""Which third-party OAuth apps an account has granted tokens to (Google: Grant kind "oauth"),
named by client id: what a suspension revokes with --revoke-tokens."""

from __future__ import annotations

from typing import Any, Iterable, Mapping


def oauth_clients_of(
    account_key: str, grants: Iterable[Any], resources: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """(client id, app name) of the OAuth grants ``account_key`` holds; ``grants`` and
    ``resources`` need only the fields a Grant and a Resource have for it."""
    found: dict[str, str] = {}
    for grant in grants:
        if grant.principal_key != account_key or grant.kind != "oauth":
            continue
        res = resources.get(grant.resource_key)
        client_id = (res.extra.get("client_id") if res and res.extra else None) or (
            res.id if res else None
        )
        if client_id:
            found.setdefault(str(client_id), res.name if res else str(client_id))
    return sorted(found.items())
