"""Findings: the entitlement graph compared with the inventory and the roster.

Each rule is a small function taking the facts (``facts.Facts``) and yielding ``Finding``s; ``RULES`` lists
them. A finding names the person, account and resource it is about, the path that explains
it, and the evidence a reviewer needs to act without opening another tool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Iterator

from .facts import Facts  # the rules read the facts only, never the findings
from .finding_types import FINDING_TYPES, SEVERITY_ORDER, finding_order, finding_title, today_utc
from .graph import Access, describe_path, node_label
from .records import Grant, level_label

# A roster status in a sentence about a person: "María Sørensen is on leave", never "is leave".
STATUS_WORDS = {"active": "is active", "leave": "is on leave", "separated": "has left the district"}


@dataclass(frozen=True)
class Finding:
    type: str
    severity: str
    summary: str
    person: str | None = None
    account: str | None = None
    resource: str | None = None
    path: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def title(self) -> str:
        return finding_title(self.type)


def _days_since(when: datetime | date | None, today: date) -> int | None:
    if when is None:
        return None
    d = when.date() if isinstance(when, datetime) else when
    return (today - d).days


def _label(a: Facts, key: str | None) -> str:
    if key is None:
        return ""
    return node_label(a.graph, key)


def rule_unauthorized(a: Facts) -> Iterator[Finding]:
    for acc in a.access:
        res = a.inventory_by_name[acc.resource]
        kind = a.correlation.kinds.get(acc.account, "person")
        if acc.person is None:
            if kind in ("service", "computer"):
                continue  # service and computer accounts are reported by the privileged rule
            reason = (
                "guest account (an invited external person) with no roster person"
                if kind == "guest"
                else f"{kind} account with no roster person"
            )
        else:
            person = a.persons[acc.person]
            if person.status != "active":
                continue  # reported once per person by the separated / leave rule instead
            ok, reason = a.is_authorized(res, person)
            if ok:
                continue
        if not a.accounts[acc.account].enabled:
            continue
        yield Finding(
            "unauthorized",
            "high" if res.classification != "critical" else "critical",
            f"{_label(a, acc.person or acc.account)} can reach {acc.resource} ({level_label(acc.level)}): {reason}",
            acc.person,
            acc.account,
            acc.resource,
            acc.path,
            {
                "reason": reason,
                "level": acc.level,
                "classification": res.classification,
                "path": describe_path(a.graph, acc.path),
            },
        )


def rule_separated_and_leave(a: Facts) -> Iterator[Finding]:
    reach: dict[str, list[Access]] = {}
    for acc in a.access:
        if acc.person:
            reach.setdefault(acc.person, []).append(acc)
    for key, person in a.persons.items():
        if person.status == "active":
            continue
        accounts = [a.accounts[k] for k in a.correlation.accounts_of.get(key, ())]
        enabled = [x for x in accounts if x.enabled]
        access = reach.get(key, [])
        if person.status == "separated" and (enabled or access):
            yield Finding(
                "separated_access",
                "critical",
                f"{person.name} separated on {person.status_date} but has "
                f"{len(enabled)} enabled account(s) and access to {len({x.resource for x in access})} resource(s)",
                key,
                enabled[0].key if enabled else (access[0].account if access else None),
                access[0].resource if access else None,
                access[0].path if access else (),
                {
                    "separated_on": str(person.status_date),
                    "enabled_accounts": [x.key for x in enabled],
                    "resources": sorted({x.resource for x in access}),
                },
            )
        elif person.status == "leave" and a.config.policy.leave_counts_as_separated and access:
            yield Finding(
                "leave_access",
                "medium",
                f"{person.name} is on leave and can reach {len({x.resource for x in access})} resource(s)",
                key,
                access[0].account,
                access[0].resource,
                access[0].path,
                {
                    "leave_since": str(person.status_date),
                    "resources": sorted({x.resource for x in access}),
                },
            )


def rule_orphans(a: Facts) -> Iterator[Finding]:
    for key in a.correlation.unmatched:
        account = a.accounts[key]
        if not account.enabled or a.correlation.kinds.get(key) != "person":
            continue
        yield Finding(
            "orphan_account",
            "medium",
            f"{_label(a, key)} ({account.display_name}) matches no one in the roster",
            None,
            key,
            None,
            (),
            {
                "login": account.login,
                "email": account.email,
                "employee_id": account.employee_id,
                "created": str(account.created or ""),
            },
        )


def rule_dormant(a: Facts) -> Iterator[Finding]:
    limit = a.config.policy.dormant_days
    seen: set[str] = set()
    for acc in a.access:
        res = a.inventory_by_name[acc.resource]
        if not res.confidential or acc.account in seen:
            continue
        account = a.accounts[acc.account]
        if not account.enabled or not account.sign_in_known:
            continue  # unknown sign-in is never "never signed in" (the sync said why)
        idle = _days_since(account.last_sign_in, a.today)
        never = account.last_sign_in is None
        created_days = _days_since(account.created, a.today)
        if (idle is not None and idle > limit) or (never and (created_days or 0) > limit):
            seen.add(acc.account)
            note = "never signed in" if never else f"last sign-in {idle} days ago"
            if account.extra.get("last_sign_in_note"):
                note += f" ({account.extra['last_sign_in_note']})"
            yield Finding(
                "dormant_account",
                "medium",
                f"{_label(a, acc.account)}: {note}, can reach {acc.resource}",
                acc.person,
                acc.account,
                acc.resource,
                acc.path,
                {
                    "last_sign_in": str(account.last_sign_in or ""),
                    "days": idle,
                    "threshold_days": limit,
                },
            )


def rule_training(a: Facts) -> Iterator[Finding]:
    limit = a.config.policy.training_days
    seen: set[str] = set()
    for acc in a.access:
        if acc.person is None or acc.person in seen:
            continue
        if not a.inventory_by_name[acc.resource].confidential:
            continue
        person = a.persons[acc.person]
        if person.status != "active":
            continue
        age = _days_since(person.training_date, a.today)
        if age is not None and age <= limit:
            continue
        seen.add(acc.person)
        what = (
            "no confidentiality training on record"
            if age is None
            else f"confidentiality training {age} days ago (on {person.training_date})"
        )
        yield Finding(
            "training_overdue",
            "medium",
            f"{person.name}: {what}, has access to {acc.resource}",
            acc.person,
            acc.account,
            acc.resource,
            acc.path,
            {"training_date": str(person.training_date or ""), "threshold_days": limit},
        )


def rule_privileged(a: Facts) -> Iterator[Finding]:
    for res_key, holders in a.privileged_holders().items():
        resource = a.resources[res_key]
        for account_key, path in holders:
            person = a.correlation.person_of(account_key)
            account = a.accounts[account_key]
            severity = "info" if person and a.persons[person].status == "active" else "high"
            kind = a.correlation.kinds.get(account_key, "")
            holder = _label(a, person or account_key) + (
                " (a computer account)" if kind == "computer" else ""
            )
            # A scoped role (an Entra administrative unit, a Google org unit) is a resource
            # of its own, so it is a different finding from the directory-wide role.
            where = resource.scope or "the whole directory"
            yield Finding(
                "privileged_access",
                severity,
                f"{holder} holds {resource.name} in {resource.source} ({where})"
                + ("" if account.enabled else " (account disabled)"),
                person,
                account_key,
                resource.name,
                path,
                {
                    "role": resource.name,
                    "source": resource.source,
                    "enabled": account.enabled,
                    "scope": resource.scope or "directory",
                    "holder_kind": kind,
                    "path": describe_path(a.graph, path),
                },
            )


def rule_apps(a: Facts) -> Iterator[Finding]:
    for snap in a.snapshots.values():
        grants_by_res: dict[str, list[Grant]] = {}
        for gr in snap.grants:
            grants_by_res.setdefault(gr.resource_key, []).append(gr)
        for r in snap.resources:
            if r.kind not in ("oauth_app", "app") or r.key not in grants_by_res:
                continue
            grants = grants_by_res[r.key]
            client_id = str(r.extra.get("client_id") or r.extra.get("appId") or "")
            approval = a.find_approval(r.name, client_id)
            holders = sorted({g.principal_key for g in grants})
            scopes = sorted({s for g in grants for s in g.scopes})
            if approval is None or not approval.approved:
                yield Finding(
                    "unapproved_app",
                    "high",
                    f"{r.name} ({snap.source}) holds access for {len(holders)} principal(s)"
                    f" and is {'not in the approval register' if approval is None else 'not approved'}",
                    None,
                    holders[0] if holders else None,
                    r.name,
                    (),
                    {
                        "app": r.name,
                        "client_id": client_id,
                        "scopes": scopes,
                        "holders": holders[:50],
                        "holder_count": len(holders),
                    },
                )
            elif approval.approved_scopes:
                extra = sorted(set(scopes) - set(approval.approved_scopes))
                if extra:
                    yield Finding(
                        "app_scope_exceeded",
                        "medium",
                        f"{r.name} holds scopes beyond those approved: {', '.join(extra)}",
                        None,
                        holders[0] if holders else None,
                        r.name,
                        (),
                        {
                            "app": r.name,
                            "client_id": client_id,
                            "extra_scopes": extra,
                            "approved_scopes": sorted(approval.approved_scopes),
                        },
                    )


def rule_data_managers(a: Facts) -> Iterator[Finding]:
    titles = a.config.policy.administrator_titles
    for res in a.inventory.resources:
        manager = a.persons.get(f"person:{res.data_manager}") if res.data_manager else None
        if not res.data_manager:
            problem = "has no data manager"
        elif manager is None:
            problem = f"data manager {res.data_manager} is no longer in the roster"
        elif manager.status != "active":
            problem = f"data manager {manager.name} {STATUS_WORDS.get(manager.status, 'is ' + manager.status)}"
        elif not any(t in manager.title.lower() for t in titles):
            problem = f"data manager {manager.name} ({manager.title or 'no title'}) is not an administrator"
        else:
            continue
        yield Finding(
            "data_manager_invalid",
            "high",
            f"{res.name} {problem}; its reviews go to the ISO",
            manager.key if manager else None,
            None,
            res.name,
            (),
            {"data_manager": res.data_manager, "problem": problem},
        )


def rule_ungoverned_groups(a: Facts) -> Iterator[Finding]:
    selected = {k for keys in a.selector_matches.values() for k in keys}
    reported: set[tuple[str, str]] = set()
    for acc in a.access:
        res = a.inventory_by_name[acc.resource]
        if not res.confidential:
            continue
        for node in acc.via:
            attrs = a.graph.nodes[node]
            # A "direct members only" node stands for its group (graph.direct_members_node).
            group = attrs.get("group", node)
            if group in selected or attrs.get("type") != "group":
                continue
            if (group, res.name) in reported:
                continue
            reported.add((group, res.name))
            idx = acc.path.index(node)
            yield Finding(
                "ungoverned_group",
                "medium",
                f"{_label(a, group)} grants {res.name} but is not in the inventory",
                None,
                None,
                res.name,
                acc.path[idx:],
                {"group": group, "path": describe_path(a.graph, acc.path[idx:])},
            )


def rule_holds(a: Facts) -> Iterator[Finding]:
    synced = set(a.snapshots)
    for hold in a.inventory.holds:
        if not hold.active(a.today):
            continue
        subject = hold.subject.strip()
        accounts = a.resolve_subject(subject)
        if subject.count(":") >= 2 and subject.split(":", 1)[0] not in synced:
            continue  # that directory was not synced: nothing to compare with
        if not accounts:
            yield Finding(
                "held_account_missing",
                "critical",
                f"{subject} is on litigation hold ({hold.matter}) but no account of it exists"
                " in the synced directories",
                a.person_key_for(subject),
                subject if ":account:" in subject else None,
                None,
                (),
                {
                    "matter": hold.matter,
                    "since": str(hold.since),
                    "history": a.account_history(subject),
                },
            )


def rule_retention(a: Facts) -> Iterator[Finding]:
    limit = a.config.policy.retention_days
    gaps = a.holds_may_be_missing
    caveat = f" — holds may be missing ({'; '.join(gaps)})" if gaps else ""
    for key, person in a.persons.items():
        if person.status != "separated" or person.status_date is None:
            continue
        age = _days_since(person.status_date, a.today)
        if age is None or age <= limit:
            continue
        holds = a.holds_for_person(key)
        for account_key in a.correlation.accounts_of.get(key, ()):
            must_keep = bool(holds)
            yield Finding(
                "retention_eligible",
                "info",
                f"{_label(a, account_key)} of {person.name}, separated {age} days ago: "
                + (
                    f"MUST KEEP — on hold ({', '.join(h.matter for h in holds)})"
                    if must_keep
                    else "eligible for the ISO's decision (this tool never deletes it)" + caveat
                ),
                key,
                account_key,
                None,
                (),
                {
                    "separated_on": str(person.status_date),
                    "must_keep": must_keep,
                    "holds": [h.matter for h in holds],
                    "holds_may_be_missing": gaps,
                },
            )


RULES: list[Callable[[Facts], Iterator[Finding]]] = [
    rule_unauthorized,
    rule_separated_and_leave,
    rule_orphans,
    rule_dormant,
    rule_training,
    rule_privileged,
    rule_apps,
    rule_data_managers,
    rule_ungoverned_groups,
    rule_holds,
    rule_retention,
]

# What each rule cannot run without, and the finding types it gives. Without a roster every
# account would look like an orphan and nobody could be checked against the inventory's
# rules; without the inventory there is nothing confidential to reach. Such a rule is skipped
# (never run on nothing and reported as "none found").
RULE_NEEDS: dict[Callable[[Facts], Iterator[Finding]], tuple[tuple[str, ...], tuple[str, ...]]] = {
    rule_unauthorized: (("roster", "inventory"), ("unauthorized",)),
    rule_separated_and_leave: (("roster",), ("separated_access", "leave_access")),
    rule_orphans: (("roster",), ("orphan_account",)),
    rule_dormant: (("inventory",), ("dormant_account",)),
    rule_training: (("roster", "inventory"), ("training_overdue",)),
    rule_data_managers: (("roster", "inventory"), ("data_manager_invalid",)),
    rule_ungoverned_groups: (("inventory",), ("ungoverned_group",)),
    rule_holds: (("inventory",), ("held_account_missing",)),
    rule_retention: (("roster",), ("retention_eligible",)),
}


def skipped_types(missing: tuple[str, ...] | list[str]) -> dict[str, list[str]]:
    """missing input -> the finding types that cannot be looked for without it."""
    out: dict[str, list[str]] = {}
    for needs, types in RULE_NEEDS.values():
        for need in needs:
            if need in missing:
                out.setdefault(need, []).extend(t for t in types if t not in out.get(need, []))
    return out


def run_rules(a: Facts) -> list[Finding]:
    missing = set(getattr(a, "missing_inputs", ()))
    found = [
        f for rule in RULES if not missing & set(RULE_NEEDS.get(rule, ((), ()))[0]) for f in rule(a)
    ]
    found.sort(
        key=lambda f: finding_order(f.severity, f.type, f.summary, f.person, f.account, f.resource)
    )
    return found


__all__ = [
    "Finding",
    "FINDING_TYPES",
    "RULES",
    "RULE_NEEDS",
    "run_rules",
    "SEVERITY_ORDER",
    "skipped_types",
    "today_utc",
]
