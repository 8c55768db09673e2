"""Targeted reads: the named accounts, fresh, one users.get each — what a suspension plan and a
restore's drift check read instead of a sync of the whole domain.

users.get takes the user's immutable id as userKey
(https://developers.google.com/admin-sdk/directory/reference/rest/v1/users/get); 404 means
there is no such user. The fields are those users.list reads in a sync, so the account is
transformed exactly as a sync would; calls go through the one retry helper.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Sequence

from access_review.connector import account_ids
from access_review.records import Account

from .client import USER_READ
from .fetch import USER_FIELDS
from .http import MISSING, execute
from .transform import transform_user

# users.get returns one user: the list's per-user selector without the page wrapper.
ONE_USER_FIELDS = USER_FIELDS[USER_FIELDS.index("users(") + len("users(") : -1]


def fetch_accounts(
    runner: Any, source: str, keys: Sequence[str], student_org_units: tuple[str, ...]
) -> dict[str, Account | None]:
    users = runner.clients.directory.users()
    out: dict[str, Account | None] = {}
    for key, user_id in account_ids(source, keys).items():
        raw = execute(
            source,
            f"users.get userKey={user_id}",
            partial(users.get, userKey=user_id, fields=ONE_USER_FIELDS, projection="basic"),
            scope=USER_READ,
            scopes=runner.clients.scopes,
            policy=runner.policy,
            sleep=runner.sleep,
            missing_ok=True,
        )
        out[key] = None if raw is MISSING else transform_user(source, raw, student_org_units)
    return out
