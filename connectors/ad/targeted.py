"""Targeted reads: the named accounts, fresh, by objectGUID — what a suspension plan and a
restore's drift check read instead of a sync of the whole domain.

One subtree search under base_dn per 50 accounts, the filter an OR of ``(objectGUID=...)``
with every byte of each GUID escaped (RFC 4515; the GUID is matched as its binary value,
https://learn.microsoft.com/windows/win32/adschema/a-objectguid). The attributes are those a
sync reads, so each account is transformed exactly as a sync would. An account with no entry
is gone (a tombstone is not returned without the show-deleted control).
"""

from __future__ import annotations

from typing import Sequence

from access_review.connector import account_ids
from access_review.records import Account

from .actions import guid_filter
from .client import LdapSession
from .fetch import USER_ATTRIBUTES
from .transform import object_guid, transform_account

PER_SEARCH = 50


def fetch_accounts(session: LdapSession, keys: Sequence[str]) -> dict[str, Account | None]:
    source = session.settings.source
    ids = account_ids(source, keys)
    wanted = sorted({guid.lower() for guid in ids.values()})
    found: dict[str, Account] = {}
    for start in range(0, len(wanted), PER_SEARCH):
        part = wanted[start : start + PER_SEARCH]
        search_filter = "(|" + "".join(guid_filter(guid) for guid in part) + ")"
        entries, _ = session.search(
            f"LDAP read {len(part)} account(s) by objectGUID",
            session.settings.base_dn,
            search_filter,
            USER_ATTRIBUTES,
            kind="reads",
        )
        for entry in entries:
            found[object_guid(entry).lower()] = transform_account(entry, source)
    return {key: found.get(guid.lower()) for key, guid in ids.items()}
