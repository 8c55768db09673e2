"""Review items: one per person (or unmatched account) and inventory resource they can reach.

Built purely from an ``Analysis``: who, which account(s), which resource, the path that grants
it, the flags the findings raised, a recommendation with its reason, and the reviewer —
the resource's data manager, or the ISO for privileged roles, for resources without a valid
data manager, and where the data manager would be reviewing their own access.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Mapping

from access_review.graph import describe_path, highest_level
from access_review.records import level_label

ISO_REVIEWER = "iso"

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
    "separated": "separated", "leave": "on leave", "unauthorized": "not authorized by the inventory",
    "dormant": "dormant account", "unapproved_app": "unapproved app", "untrained": "training overdue",
}


@dataclass(frozen=True)
class Item:
    item_id: str
    subject: str                      # person key, or account key for an unmatched account
    name: str
    employee_id: str
    title: str
    building: str
    accounts: tuple[str, ...]         # account keys
    account_labels: tuple[str, ...]   # "ad:jdoe" — what a reviewer recognises
    resource: str
    classification: str
    level: str
    paths: tuple[tuple[str, ...], ...]
    path_text: str
    flags: tuple[tuple[str, str], ...]  # (flag, reason)
    recommendation: str               # keep | revoke
    reason: str
    reviewer: str                     # employee id of the data manager, or "iso"
    reviewer_name: str
    reviewer_email: str
    privileged: bool = False
    previous: str = ""                # "kept in 2026Q3 by …: …"

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    @property
    def flag_text(self) -> str:
        return "; ".join(f"{FLAG_LABELS.get(flag, flag)}: {reason}" for flag, reason in self.flags)

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


@dataclass(frozen=True)
class Reviewer:
    key: str           # employee id or "iso"
    name: str
    email: str


def in_scope(resource, quarter: int, names: Iterable[str] | None) -> bool:
    """Quarterly resources every quarter, semiannual in Q2 and Q4, annual in Q4 — unless the
    ISO named the resources explicitly."""
    if names:
        return resource.name.lower() in {n.lower() for n in names}
    return {"quarterly": True, "semiannual": quarter in (2, 4), "annual": quarter == 4}.get(
        resource.review_frequency, True)


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
            by_person.setdefault(f.person, {})["separated"] = f"separated on {f.evidence.get('separated_on')}"
        elif f.type == "leave_access" and f.person:
            by_person.setdefault(f.person, {})["leave"] = f"on leave since {f.evidence.get('leave_since')}"
        elif f.type == "training_overdue" and f.person:
            by_person.setdefault(f.person, {})["untrained"] = (
                f"last training {f.evidence.get('training_date')}" if f.evidence.get("training_date")
                else "no training on record")
        elif f.type == "dormant_account" and f.account:
            days = f.evidence.get("days")
            by_account.setdefault(f.account, {})["dormant"] = (
                f"no sign-in for {days} days" if days is not None else "never signed in")
        elif f.type in ("unapproved_app",) and f.resource:
            unapproved_apps.add(f.resource)
    return by_person, by_account, unauthorized, unapproved_apps


def reviewer_for(analysis, resource, subject: str, privileged: bool, invalid_managers: set[str]) -> tuple[Reviewer, str]:
    iso = analysis.config.iso
    iso_reviewer = Reviewer(ISO_REVIEWER, iso.name or "Information Security Officer", iso.email)
    if privileged:
        return iso_reviewer, "privileged role"
    if resource.name in invalid_managers or not resource.data_manager:
        return iso_reviewer, "no valid data manager"
    if subject == f"person:{resource.data_manager}":
        return iso_reviewer, "the data manager's own access"
    manager = analysis.persons.get(f"person:{resource.data_manager}")
    if manager is None or not manager.email:
        return iso_reviewer, "data manager has no e-mail address"
    return Reviewer(manager.employee_id, manager.name, manager.email), "data manager"


def build_items(analysis, *, quarter: int, resources: Iterable[str] | None = None,
                previous: Mapping[tuple[str, str], str] | None = None) -> list[Item]:
    """Every (person or unmatched account, inventory resource) pair in scope, sorted by
    reviewer, resource and name, numbered I0001... in that order."""
    previous = previous or {}
    names = list(resources) if resources else None
    wanted = {r.name: r for r in analysis.inventory.resources if in_scope(r, quarter, names)}
    by_person, by_account, unauthorized, unapproved_apps = _flags_by_subject(analysis)
    invalid_managers = {f.resource for f in analysis.findings if f.type == "data_manager_invalid"}
    g = analysis.graph

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
            s.kind == "role" for s in res.selectors)
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
        revoke_reasons = [f"{FLAG_LABELS[f]} ({r})" for f, r in ordered_flags if FLAGS[f]]
        if revoke_reasons:
            recommendation, reason = "revoke", "; ".join(revoke_reasons)
        elif ordered_flags:
            recommendation, reason = "keep", "authorized; " + "; ".join(
                f"{FLAG_LABELS[f]} ({r}) — needs attention" for f, r in ordered_flags)
        else:
            recommendation = "keep"
            reason = analysis.is_authorized(res, person)[1] if person else "authorized"
            reason = f"authorized ({reason})"
        reviewer, _why = reviewer_for(analysis, res, subject, privileged, invalid_managers)
        labels = tuple(f"{analysis.accounts[k].source}:{analysis.accounts[k].login}" for k in accounts)
        account = analysis.accounts[accounts[0]]
        drafts.append(dict(
            subject=subject,
            name=person.name if person else (account.display_name or account.login) + " (no roster person)",
            employee_id=person.employee_id if person else "",
            title=person.title if person else "",
            building=person.building if person else "",
            accounts=accounts, account_labels=labels, resource=res_name,
            classification=res.classification, level=level_label(highest_level(x.level for x in accesses)),
            paths=tuple(x.path for x in accesses),
            path_text=" | ".join(describe_path(g, x.path[:-1]) for x in accesses),
            flags=ordered_flags, recommendation=recommendation, reason=reason,
            reviewer=reviewer.key, reviewer_name=reviewer.name, reviewer_email=reviewer.email,
            privileged=privileged, previous=previous.get((subject, res_name), ""),
        ))
    drafts.sort(key=lambda d: (d["reviewer"], d["resource"], d["name"], d["subject"]))
    return [Item(item_id=f"I{n:04d}", **d) for n, d in enumerate(drafts, 1)]


def reviewers_of(items: Iterable[Item]) -> dict[str, Reviewer]:
    out: dict[str, Reviewer] = {}
    for item in items:
        out.setdefault(item.reviewer, Reviewer(item.reviewer, item.reviewer_name, item.reviewer_email))
    return out
