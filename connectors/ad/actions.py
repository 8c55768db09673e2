"""Write operations: disable/enable an account (bit 0x2 of userAccountControl only) and
remove a direct group membership. Each reads the prior state first, is idempotent and
returns the prior state. Nothing here deletes an object."""

from __future__ import annotations

import uuid

import ldap3
from ldap3.utils.conv import escape_bytes, escape_filter_chars

from access_review.errors import ActionRefused, SourceError
from access_review.records import source_of

from access_review.connector import Action, ActionResult

from .client import LdapSession
from .transform import UAC_ACCOUNTDISABLE, attr_int, entry_dn

SUPPORTED = {"disable_account", "enable_account", "remove_membership"}


def key_parts(key: str) -> tuple[str, str, str]:
    """'ad:account:<guid>' -> ('ad', 'account', '<guid>')."""
    parts = key.split(":", 2)
    if len(parts) != 3 or not parts[2]:
        raise ActionRefused(f"{key!r} is not a record key like ad:account:<guid>")
    return parts[0], parts[1], parts[2]


def guid_filter(guid: str) -> str:
    """objectGUID filter with every byte escaped (the GUID is matched as its binary value)."""
    try:
        raw = uuid.UUID(guid).bytes_le
    except ValueError:
        raise ActionRefused(f"{guid!r} is not an objectGUID") from None
    return f"(objectGUID={escape_bytes(raw)})"


def find_by_guid(session: LdapSession, guid: str, attributes: list[str], what: str) -> dict:
    found, _ = session.search(
        f"LDAP find {what} {guid}",
        session.settings.base_dn,
        guid_filter(guid),
        attributes,
        kind="reads",
    )
    if len(found) != 1:
        raise SourceError(
            session.settings.source,
            f"LDAP find {what} {guid}",
            f"no {what} with objectGUID {guid} under {session.settings.base_dn}",
        )
    return found[0]


def set_account_enabled(session: LdapSession, action: Action, enabled: bool) -> ActionResult:
    _, _, guid = key_parts(action.target)
    entry = find_by_guid(session, guid, ["userAccountControl"], "account")
    dn = entry_dn(entry)
    uac = attr_int(entry, "userAccountControl")
    if uac is None:
        raise SourceError(
            session.settings.source,
            f"LDAP read userAccountControl of {dn}",
            "the service account cannot read userAccountControl",
        )
    prior = {"enabled": not (uac & UAC_ACCOUNTDISABLE), "userAccountControl": uac, "dn": dn}
    wanted = uac & ~UAC_ACCOUNTDISABLE if enabled else uac | UAC_ACCOUNTDISABLE
    if wanted == uac:
        return ActionResult(
            action,
            "unchanged",
            prior=prior,
            after=dict(prior),
            message=f"already {'enabled' if enabled else 'disabled'}",
        )
    session.modify(
        f"LDAP modify userAccountControl of {dn}",
        dn,
        {"userAccountControl": [(ldap3.MODIFY_REPLACE, [str(wanted)])]},
    )
    return ActionResult(
        action,
        "changed",
        prior=prior,
        after={"enabled": enabled, "userAccountControl": wanted, "dn": dn},
    )


def member_dn(session: LdapSession, member_key: str) -> str:
    _, kind, ident = key_parts(member_key)
    if kind == "foreign":
        # A foreign principal is addressed by its SID (the <SID=...> DN form AD accepts).
        found, _ = session.search(
            f"LDAP find foreign principal {ident}",
            session.settings.base_dn,
            f"(objectSid={escape_filter_chars(ident)})",
            ["objectSid"],
            kind="reads",
        )
        if len(found) != 1:
            raise SourceError(
                session.settings.source, f"LDAP find foreign principal {ident}", "not found"
            )
        return entry_dn(found[0])
    return entry_dn(find_by_guid(session, ident, ["objectGUID"], kind))


def remove_membership(session: LdapSession, action: Action) -> ActionResult:
    member_key = action.params.get("member")
    if not member_key:
        raise ActionRefused(f"{action.describe()}: params['member'] (the member key) is required")
    _, _, group_guid = key_parts(action.target)
    group_dn = entry_dn(find_by_guid(session, group_guid, ["objectGUID"], "group"))
    dn = member_dn(session, member_key)
    # Is it a direct member? Ask the server with an escaped equality filter on the group.
    found, _ = session.search(
        f"LDAP check membership in {group_dn}",
        group_dn,
        f"(member={escape_filter_chars(dn)})",
        ["objectGUID"],
        scope=ldap3.BASE,
        kind="reads",
    )
    prior = {"member": member_key, "member_dn": dn, "group_dn": group_dn, "was_member": bool(found)}
    if not found:
        return ActionResult(
            action,
            "unchanged",
            prior=prior,
            after={**prior, "was_member": False},
            message="not a direct member",
        )
    session.modify(
        f"LDAP remove member from {group_dn}", group_dn, {"member": [(ldap3.MODIFY_DELETE, [dn])]}
    )
    return ActionResult(action, "changed", prior=prior, after={**prior, "was_member": False})


def refusal_reason(action: Action, source: str) -> str | None:
    if action.kind not in SUPPORTED:
        return f"the ad connector does not {action.kind.replace('_', ' ')}"
    if action.source != source or source_of(action.target) != source:
        return f"{action.target} does not belong to source {source!r}"
    if action.kind == "remove_membership" and not action.params.get("member"):
        return "remove_membership needs params['member']"
    return None


def apply_action(session: LdapSession, action: Action) -> ActionResult:
    if action.kind == "disable_account":
        return set_account_enabled(session, action, enabled=False)
    if action.kind == "enable_account":
        return set_account_enabled(session, action, enabled=True)
    if action.kind == "remove_membership":
        return remove_membership(session, action)
    raise ActionRefused(f"the ad connector does not {action.kind}")
