"""Review items: one per person (or unmatched account) and inventory resource they can reach.

Built purely from an ``Analysis``: who, which account(s), which resource, the path that grants
it (technical, and in plain words), the flags the findings raised, a recommendation with its
reason in plain words, and the reviewer — the resource's data manager, or the ISO for
privileged roles and resources without a valid data manager — never the person themselves
(``rules.route_review``: the data manager's own access goes to the ISO, the ISO's own to the
alternate ISO).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Iterable, Mapping

from access_review.graph import describe_path, edge_kind, highest_level
from access_review.records import source_of

from . import wording
from .rules import Reviewer, ReviewerPeople, reviewer_people, route_review

# flag -> whether it argues for revoking. Training overdue is a reason to train, not to cut
# a teacher off mid-quarter; it is still flagged, so keeping it needs a justification.
FLAGS: dict[str, bool] = {
    "separated": True,
    "leave": True,
    "unauthorized": True,
    "dormant": True,
    "unapproved_app": True,
    "untrained": False,
}
FLAG_LABELS = {
    "separated": "separated",
    "leave": "on leave",
    "unauthorized": "not authorized by the inventory",
    "dormant": "dormant account",
    "unapproved_app": "unapproved app",
    "untrained": "training overdue",
}


@dataclass(frozen=True)
class Item:
    item_id: str
    subject: str  # person key, or account key for an unmatched account
    name: str
    employee_id: str
    title: str
    building: str
    accounts: tuple[str, ...]  # account keys
    account_labels: tuple[str, ...]  # "ad:jdoe" — what a reviewer recognises
    resource: str
    classification: str
    level: str
    paths: tuple[tuple[str, ...], ...]
    path_text: str
    flags: tuple[tuple[str, str], ...]  # (flag, reason)
    recommendation: str  # keep | revoke
    reason: str
    reviewer: str  # employee id of the data manager, or "iso"
    reviewer_name: str
    reviewer_email: str
    privileged: bool = False
    previous: str = ""  # "kept in 2026Q3 by …: …"
    access_text: str = ""  # the paths in plain words, one per line
    reviewer_reason: str = ""  # why this reviewer: "data manager", "the ISO's own access", …

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    @property
    def flag_text(self) -> str:
        return "; ".join(f"{FLAG_LABELS.get(flag, flag)}: {reason}" for flag, reason in self.flags)

    @property
    def flags_plain(self) -> str:
        """The flags as a reviewer reads them, one sentence per line."""
        return wording.flags_text(self.flags)

    @property
    def access_plain(self) -> str:
        return self.access_text or self.path_text

    @property
    def recommendation_plain(self) -> str:
        return wording.recommendation_text(self.recommendation, self.reason)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping) -> "Item":
        d = dict(data)
        d["accounts"] = tuple(d["accounts"])
        d["account_labels"] = tuple(d["account_labels"])
        d["paths"] = tuple(tuple(p) for p in d["paths"])
        d["flags"] = tuple(tuple(f) for f in d["flags"])
        return cls(**d)


def in_scope(resource, quarter: int, names: Iterable[str] | None) -> bool:
    """Quarterly resources every quarter, semiannual in Q2 and Q4, annual in Q4 — unless the
    ISO named the resources explicitly."""
    if names:
        return resource.name.lower() in {n.lower() for n in names}
    return {"quarterly": True, "semiannual": quarter in (2, 4), "annual": quarter == 4}.get(
        resource.review_frequency, True
    )


def _flags_by_subject(analysis) -> tuple[dict, dict, dict, set[str]]:
    """Findings indexed the way items look them up."""
    by_person: dict[str, dict[str, str]] = {}
    by_account: dict[str, dict[str, str]] = {}
    unauthorized: dict[tuple[str, str], str] = {}
    unapproved_apps: set[str] = set()
    for f in analysis.findings:
        if f.type == "unauthorized":
            unauthorized[(f.account, f.resource)] = f.evidence.get("reason", f.summary)
        elif f.type == "separated_access" and f.person:
            by_person.setdefault(f.person, {})["separated"] = (
                f"separated on {f.evidence.get('separated_on')}"
            )
        elif f.type == "leave_access" and f.person:
            by_person.setdefault(f.person, {})["leave"] = (
                f"on leave since {f.evidence.get('leave_since')}"
            )
        elif f.type == "training_overdue" and f.person:
            by_person.setdefault(f.person, {})["untrained"] = (
                f"last training {f.evidence.get('training_date')}"
                if f.evidence.get("training_date")
                else "no training on record"
            )
        elif f.type == "dormant_account" and f.account:
            days = f.evidence.get("days")
            by_account.setdefault(f.account, {})["dormant"] = (
                f"no sign-in for {days} days" if days is not None else "never signed in"
            )
        elif f.type in ("unapproved_app",) and f.resource:
            unapproved_apps.add(f.resource)
    return by_person, by_account, unauthorized, unapproved_apps


def find_reviewer_people(analysis) -> ReviewerPeople:
    """The ISO and the alternate ISO, each with the roster person they are (when it can be
    told: the ISO by the accounts in [iso] accounts or the e-mail, the alternate by e-mail),
    so that neither is sent their own access to review."""
    iso = analysis.config.iso
    iso_person = ""
    logins = None
    for name in iso.accounts:
        key = name if name in analysis.accounts else None
        if key is None:
            if logins is None:
                logins = {(a.login or "").lower(): k for k, a in analysis.accounts.items()}
            key = logins.get(name.lower())
        iso_person = (analysis.correlation.person_of(key) or "") if key else ""
        if iso_person:
            break
    if not iso_person and iso.email:
        iso_person = analysis.person_key_for(iso.email) or ""
    alternate_person = (
        (analysis.person_key_for(iso.alternate_email) or "") if iso.alternate_email else ""
    )
    return reviewer_people(
        iso.name, iso.email, iso_person, iso.alternate_name, iso.alternate_email, alternate_person
    )


def reviewer_for(
    analysis,
    resource,
    subject: str,
    privileged: bool,
    invalid_managers: set[str],
    people: ReviewerPeople | None = None,
) -> tuple[Reviewer, str]:
    """Who reviews ``subject``'s access to ``resource``, and why — never ``subject`` themselves."""
    people = people or find_reviewer_people(analysis)
    natural, why = people.iso, ""
    if privileged:
        why = "privileged role"
    elif resource.name in invalid_managers or not resource.data_manager:
        why = "no valid data manager"
    else:
        manager = analysis.persons.get(f"person:{resource.data_manager}")
        if manager is None or not manager.email:
            why = "data manager has no e-mail address"
        else:
            natural, why = (
                Reviewer(manager.employee_id, manager.name, manager.email, manager.key),
                "data manager",
            )
    return route_review(natural, subject, people, why)


def _path_sentence(
    analysis,
    path: tuple[str, ...],
    person,
    source_types: Mapping[str, str],
    group_names: Mapping[str, str],
) -> str:
    """One technical path (account, groups/resources..., inventory node) in words."""
    g = analysis.graph
    account = path[0]
    steps: list[dict[str, Any]] = []
    for prev, node in zip(path[:-2], path[1:-1]):
        if g.nodes[node].get("type") == "group":
            steps.append(
                {
                    "type": "group",
                    "name": group_names.get(node, node),
                    "manages": bool(g.edges[prev, node].get("manages")),
                }
            )
        else:
            res = analysis.resources.get(node)
            level = (
                g.edges[prev, node].get("level", "") if edge_kind(g, prev, node) == "grant" else ""
            )
            steps.append(
                {
                    "type": "resource",
                    "kind": res.kind if res else "",
                    "level": level,
                    "name": res.name if res else node,
                }
            )
    acct = analysis.accounts.get(account)
    login = (acct.login or "") if acct else ""
    usual = (person.email or "").split("@")[0].lower() if person else ""
    note = ""
    if login and (person is None or login.split("@")[0].lower() != usual):
        note = f" (account {login})"  # a second, differently named account is worth a look
    return wording.path_sentence(
        steps, wording.directory_name(source_of(account), source_types), note
    )


def _source_types(config) -> dict[str, str]:
    out = {}
    for name, settings in config.sources.items():
        kind = settings.get("type", name)
        out[name] = settings.get("directory", name) if kind == "demo" else kind
    return out


def _reason(
    analysis, res, person, subject: str, flags: tuple[tuple[str, str], ...], names
) -> tuple[str, str]:
    """(recommendation, reason in plain words)."""
    revoking = [f for f, _ in flags if FLAGS[f]]
    if revoking:
        reason = "; ".join(wording.FLAG_SHORT[f] for f in revoking)
        return "revoke", reason[0].upper() + reason[1:] + "."
    if person is not None:
        why = wording.authorization_text(res, person, analysis.today, names)
        if not why and res.data_manager and subject == f"person:{res.data_manager}":
            why = "They are this resource's data manager; no inventory rule covers them"
    else:
        why = ""
    why = why or "Not flagged by any check"
    attention = [wording.FLAG_SHORT[f] for f, _ in flags]
    if attention:
        why += ". Needs attention: " + "; ".join(attention)
    return "keep", why + "."


def build_items(
    analysis,
    *,
    quarter: int,
    resources: Iterable[str] | None = None,
    previous: Mapping[tuple[str, str], str] | None = None,
) -> list[Item]:
    """Every (person or unmatched account, inventory resource) pair in scope, sorted by
    reviewer, resource and name, numbered I0001... in that order."""
    previous = previous or {}
    names = list(resources) if resources else None
    wanted = {r.name: r for r in analysis.inventory.resources if in_scope(r, quarter, names)}
    by_person, by_account, unauthorized, unapproved_apps = _flags_by_subject(analysis)
    invalid_managers = {f.resource for f in analysis.findings if f.type == "data_manager_invalid"}
    g = analysis.graph
    people = find_reviewer_people(analysis)
    source_types = _source_types(analysis.config)
    group_names = {grp.key: grp.name for s in analysis.snapshots.values() for grp in s.groups}
    person_names = {p.employee_id: p.name for p in analysis.persons.values()}

    grouped: dict[tuple[str, str], list] = {}
    for acc in analysis.access:
        if acc.resource not in wanted:
            continue
        kind = analysis.correlation.kinds.get(acc.account, "person")
        if acc.person is None and kind in ("service", "computer"):
            continue  # service and computer accounts are the ISO's through the privileged findings
        grouped.setdefault((acc.person or acc.account, acc.resource), []).append(acc)

    drafts = []
    for (subject, res_name), accesses in grouped.items():
        res = wanted[res_name]
        person = analysis.persons.get(subject)
        accesses.sort(key=lambda x: x.account)
        accounts = tuple(x.account for x in accesses)
        privileged = any(g.nodes[n].get("privileged") for x in accesses for n in x.via) or any(
            s.kind == "role" for s in res.selectors
        )
        flags: dict[str, str] = dict(by_person.get(subject, {})) if person else {}
        for x in accesses:
            if (x.account, res_name) in unauthorized:
                flags.setdefault("unauthorized", unauthorized[(x.account, res_name)])
            for flag, reason in by_account.get(x.account, {}).items():
                flags.setdefault(flag, reason)
            for node in x.via:
                r = analysis.resources.get(node)
                if r is not None and r.name in unapproved_apps:
                    flags.setdefault("unapproved_app", f"{r.name} is not approved by the ISO")
        if not res.confidential:
            flags.pop("untrained", None)  # the training rule is about confidential data
        ordered_flags = tuple((f, flags[f]) for f in FLAGS if f in flags)
        recommendation, reason = _reason(
            analysis, res, person, subject, ordered_flags, person_names
        )
        reviewer, why = reviewer_for(analysis, res, subject, privileged, invalid_managers, people)
        labels = tuple(
            f"{analysis.accounts[k].source}:{analysis.accounts[k].login}" for k in accounts
        )
        account = analysis.accounts[accounts[0]]
        drafts.append(
            dict(
                subject=subject,
                name=person.name
                if person
                else (account.display_name or account.login) + " (no roster person)",
                employee_id=person.employee_id if person else "",
                title=person.title if person else "",
                building=person.building if person else "",
                accounts=accounts,
                account_labels=labels,
                resource=res_name,
                classification=res.classification,
                level=highest_level(x.level for x in accesses),
                paths=tuple(x.path for x in accesses),
                path_text=" | ".join(describe_path(g, x.path[:-1]) for x in accesses),
                flags=ordered_flags,
                recommendation=recommendation,
                reason=reason,
                reviewer=reviewer.key,
                reviewer_name=reviewer.name,
                reviewer_email=reviewer.email,
                privileged=privileged,
                previous=previous.get((subject, res_name), ""),
                access_text=wording.paths_text(
                    _path_sentence(analysis, x.path, person, source_types, group_names)
                    for x in accesses
                ),
                reviewer_reason=why,
            )
        )
    drafts.sort(key=lambda d: (d["reviewer"], d["resource"], d["name"], d["subject"]))
    return [Item(item_id=f"I{n:04d}", **d) for n, d in enumerate(drafts, 1)]


def reviewers_of(items: Iterable[Item]) -> dict[str, Reviewer]:
    out: dict[str, Reviewer] = {}
    for item in items:
        out.setdefault(
            item.reviewer, Reviewer(item.reviewer, item.reviewer_name, item.reviewer_email)
        )
    return out


def workbook_order(items: Iterable[Item]) -> list[Item]:
    """How a reviewer's rows are listed: flagged first (the e-mail says to look at those
    first), then by person and resource."""
    return sorted(
        items, key=lambda i: (not i.flagged, i.name.casefold(), i.resource.casefold(), i.item_id)
    )
