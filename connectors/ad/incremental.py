"""Pure: build a whole snapshot's records from a full read, or merge a uSNChanged delta into
the previous complete snapshot."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from access_review.records import Account, Grant, Group, Membership, Resource, Snapshot

from .transform import (attr_values, dn_is_within, entry_dn, has_object_class, is_deleted,
                        object_guid, transform_account, transform_group, transform_memberships,
                        transform_privileged)

MAX_LISTED_UNRESOLVED = 5


@dataclass
class Records:
    accounts: list[Account]
    groups: list[Group]
    memberships: list[Membership]
    resources: list[Resource]
    grants: list[Grant]
    warnings: list[str] = field(default_factory=list)


def _unresolved_warning(unresolved: list[str]) -> list[str]:
    if not unresolved:
        return []
    shown = "; ".join(unresolved[:MAX_LISTED_UNRESOLVED])
    return [f"{len(unresolved)} group member(s) are not users, groups or foreign principals "
            f"in scope (computers, contacts, or outside the configured bases) and were not "
            f"recorded as memberships: {shown}" + (" ..." if len(unresolved) > MAX_LISTED_UNRESOLVED else "")]


def _memberships_of(groups_with_members: Iterable[tuple[Group, list]], source: str,
                    account_ids: set[str], group_ids: set[str]) -> tuple[list[Membership], list[str]]:
    memberships, unresolved = [], []
    for group, values in groups_with_members:
        found, missing = transform_memberships(group, values, source, account_ids, group_ids)
        memberships.extend(found)
        unresolved.extend(missing)
    return memberships, unresolved


def build_full(user_entries: Iterable[dict], group_entries: Iterable[dict], source: str) -> Records:
    accounts = [transform_account(e, source) for e in user_entries]
    group_pairs = [(transform_group(e, source), attr_values(e, "member")) for e in group_entries]
    groups = [g for g, _ in group_pairs]
    memberships, unresolved = _memberships_of(group_pairs, source, {a.id for a in accounts},
                                              {g.id for g in groups})
    resources, grants = transform_privileged(groups, source)
    return Records(accounts, groups, memberships, resources, grants, _unresolved_warning(unresolved))


def merge_delta(previous: Snapshot, changed_entries: Iterable[dict], source: str, *,
                users_base: str, groups_base: str) -> Records:
    """Apply changed and deleted objects to ``previous``.

    Changed groups get their whole direct member list re-read (a member change bumps the
    group's uSNChanged); unchanged groups keep their memberships minus members that were
    deleted or left scope.
    """
    accounts = {a.id: a for a in previous.accounts}
    groups = {g.id: g for g in previous.groups}
    changed_groups: dict[str, tuple[Group, list]] = {}
    gone: set[str] = set()  # ids of objects deleted or moved out of scope

    for entry in changed_entries:
        guid = object_guid(entry)
        if is_deleted(entry):
            accounts.pop(guid, None)
            groups.pop(guid, None)
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
        elif dn_is_within(dn, users_base):
            accounts[guid] = transform_account(entry, source)
        elif accounts.pop(guid, None) is not None:
            gone.add(guid)

    account_ids, group_ids = set(accounts), set(groups)
    fresh, unresolved = _memberships_of(changed_groups.values(), source, account_ids, group_ids)
    changed_keys = {g.key for g, _ in changed_groups.values()}
    live_keys = {g.key for g in groups.values()}
    gone_keys = {f"{source}:account:{i}" for i in gone} | {f"{source}:group:{i}" for i in gone}
    kept = [m for m in previous.memberships
            if m.group_key in live_keys and m.group_key not in changed_keys
            and m.member_key not in gone_keys]
    merged_groups = list(groups.values())
    resources, grants = transform_privileged(merged_groups, source)
    return Records(list(accounts.values()), merged_groups, kept + fresh, resources, grants,
                   _unresolved_warning(unresolved))
