"""Targeted reads: the named accounts, fresh, one small request each — what a suspension plan
and a restore's drift check read instead of a sync of the whole tenant.

GET /users/{id} returns one user by object id (https://learn.microsoft.com/graph/api/user-get,
User.Read.All); 404 Request_ResourceNotFound means there is no such object. An account key may
also name a service principal (an app that is a group member or role holder): a 404 as a user
is then asked again as /servicePrincipals/{id}
(https://learn.microsoft.com/graph/api/serviceprincipal-get, Application.Read.All) before the
account counts as gone. Throttling is retried by the client's one retry helper.
"""

from __future__ import annotations

from typing import Sequence
from urllib.parse import quote

from access_review.connector import account_ids
from access_review.records import Account

from .client import GraphClient
from .fetch import PERM_USERS, SERVICE_PRINCIPAL_FIELDS, USER_FIELDS
from .http import GraphNotFound
from .transform import transform_service_principal_accounts, transform_user

PERM_APPS = "Application.Read.All"


def fetch_accounts(client: GraphClient, keys: Sequence[str]) -> dict[str, Account | None]:
    out: dict[str, Account | None] = {}
    for key, object_id in account_ids(client.source, keys).items():
        path = quote(object_id, safe="")
        try:
            raw = client.get_json(
                f"users/{path}", params={"$select": USER_FIELDS}, permission=PERM_USERS
            )
            out[key] = transform_user(raw, client.source)
            continue
        except GraphNotFound:
            pass
        try:
            raw = client.get_json(
                f"servicePrincipals/{path}",
                params={"$select": SERVICE_PRINCIPAL_FIELDS},
                permission=PERM_APPS,
            )
        except GraphNotFound:
            out[key] = None
            continue
        accounts = transform_service_principal_accounts(
            [raw], {raw.get("id", object_id)}, client.source
        )
        out[key] = accounts[0] if accounts else None
    return out
