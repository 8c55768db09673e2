"""Pure: build a whole snapshot's records from a full read, or merge a uSNChanged delta into
the previous complete snapshot."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from access_review.records import Account, Contact, Grant, Group, Membership, Resource, Snapshot

from .transform import (
    attr_values,
    dn_is_within,
    entry_dn,
    has_object_class,
    is_deleted,
    object_guid,
    primary_group_memberships,
    transform_account,
    transform_contact,
    transform_group,
    transform_memberships,
    transform_privileged,
)

MAX_LISTED_UNRESOLVED = 5


@dataclass
class Records:
    accounts: list[Account]
    groups: list[Group]
    memberships: list[Membership]
    resources: list[Resource]
    grants: list[Grant]
    warnings: list[str] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)


def _unresolved_warning(unresolved: list[str]) -> list[str]:
    if not unresolved:
        return []
    shown = "; ".join(unresolved[:MAX_LISTED_UNRESOLVED])
    return [
        f"{len(unresolved)} group member(s) are not users, computers, contacts, groups or "
        f"foreign principals in scope (outside the configured bases) and were not recorded "
        f"as memberships: {shown}" + (" ..." if len(unresolved) > MAX_LISTED_UNRESOLVED else "")
    ]


def _primary_warning(missing: int) -> list[str]:
    if not missing:
        return []
    return [
        f"{missing} account(s) have a primary group (primaryGroupID) that is not among the groups "
        "read (outside groups_base): that membership is not recorded"
    ]


def _memberships_of(
    groups_with_members: Iterable[tuple[Group, list]],
    source: str,
    account_ids: set[str],
    group_ids: set[str],
    contact_ids: set[str],
) -> tuple[list[Membership], list[str]]:
    memberships, unresolved = [], []
    for group, values in groups_with_members:
        found, missing = transform_memberships(
            group, values, source, account_ids, group_ids, contact_ids
        )
        memberships.extend(found)
        unresolved.extend(missing)
    return memberships, unresolved


def split_member_objects(
    entries: Iterable[dict], source: str
) -> tuple[list[Account], list[Contact]]:
    """Computers (as accounts of kind "computer") and contacts from one listing."""
    computers, contacts = [], []
    for e in entries:
        if has_object_class(e, "computer"):
            computers.append(transform_account(e, source))
        elif has_object_class(e, "contact"):
            contacts.append(transform_contact(e, source))
    return computers, contacts


def build_full(
    user_entries: Iterable[dict],
    group_entries: Iterable[dict],
    source: str,
    member_object_entries: Iterable[dict] = (),
) -> Records:
    accounts = [transform_account(e, source) for e in user_entries]
    computers, contacts = split_member_objects(member_object_entries, source)
    accounts += computers
    group_pairs = [(transform_group(e, source), attr_values(e, "member")) for e in group_entries]
    groups = [g for g, _ in group_pairs]
    memberships, unresolved = _memberships_of(
        group_pairs,
        source,
        {a.id for a in accounts},
        {g.id for g in groups},
        {c.id for c in contacts},
    )
    primary, missing = primary_group_memberships(accounts, groups, source)
    resources, grants = transform_privileged(groups, source)
    return Records(
        accounts,
        groups,
        memberships + primary,
        resources,
        grants,
        _unresolved_warning(unresolved) + _primary_warning(missing),
        contacts,
    )


def merge_delta(
    previous: Snapshot,
    changed_entries: Iterable[dict],
    source: str,
    *,
    users_base: str,
    groups_base: str,
    base_dn: str | None = None,
) -> Records:
    """Apply changed and deleted objects to ``previous``.

    Changed groups get their whole direct member list re-read (a member change bumps the
    group's uSNChanged); unchanged groups keep their memberships minus members that were
    deleted or left scope. Primary-group memberships are rebuilt from the accounts each time
    (a changed primaryGroupID bumps the account's uSNChanged). Computers and contacts are
    read anywhere under ``base_dn``.
    """
    accounts = {a.id: a for a in previous.accounts}
    groups = {g.id: g for g in previous.groups}
    contacts = {c.id: c for c in previous.contacts}
    changed_groups: dict[str, tuple[Group, list]] = {}
    gone: set[str] = set()  # ids of objects deleted or moved out of scope

    for entry in changed_entries:
        guid = object_guid(entry)
        if is_deleted(entry):
            accounts.pop(guid, None)
            groups.pop(guid, None)
            contacts.pop(guid, None)
            changed_groups.pop(guid, None)
            gone.add(guid)
            continue
        dn = entry_dn(entry)
        if has_object_class(entry, "group"):
            if dn_is_within(dn, groups_base):
                group = transform_group(entry, source)
                groups[guid] = group
                changed_groups[guid] = (group, attr_values(entry, "member"))
            elif groups.pop(guid, None) is not None:
                gone.add(guid)
        elif has_object_class(entry, "contact"):
            contacts[guid] = transform_contact(entry, source)
        elif has_object_class(entry, "computer"):
            if base_dn is None or dn_is_within(dn, base_dn):
                accounts[guid] = transform_account(entry, source)
            elif accounts.pop(guid, None) is not None:
                gone.add(guid)
        elif dn_is_within(dn, users_base):
            accounts[guid] = transform_account(entry, source)
        elif accounts.pop(guid, None) is not None:
            gone.add(guid)

    account_ids, group_ids = set(accounts), set(groups)
    fresh, unresolved = _memberships_of(
        changed_groups.values(), source, account_ids, group_ids, set(contacts)
    )
    changed_keys = {g.key for g, _ in changed_groups.values()}
    live_keys = {g.key for g in groups.values()}
    gone_keys = (
        {f"{source}:account:{i}" for i in gone}
        | {f"{source}:group:{i}" for i in gone}
        | {f"{source}:contact:{i}" for i in gone}
    )
    kept = [
        m
        for m in previous.memberships
        if m.role != "primary"
        and m.group_key in live_keys
        and m.group_key not in changed_keys
        and m.member_key not in gone_keys
    ]
    merged_groups = list(groups.values())
    merged_accounts = list(accounts.values())
    primary, missing = primary_group_memberships(merged_accounts, merged_groups, source)
    resources, grants = transform_privileged(merged_groups, source)
    return Records(
        merged_accounts,
        merged_groups,
        kept + fresh + primary,
        resources,
        grants,
        _unresolved_warning(unresolved) + _primary_warning(missing),
        list(contacts.values()),
    )
