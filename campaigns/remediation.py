"""Closing a campaign and the remediation plan.

``unanswered_at_close`` turns each item nobody answered into its "no response → default X"
record and, where the campaign's default decision keeps or revokes, a default decision —
never the reviewer's answer (the rule itself is ``rules.default_outcome``).

``plan_revocations`` (pure, from an Analysis) turns each revoke into concrete changes in the
directory holding the direct grant: for every account of the person, every edge out of the
account that leads to the resource (its own group membership or its own grant) is removed.
Access through a nested group that also serves other people is cut at the person's own
membership, never higher up, and the plan says so. A group synced from AD (authority "ad")
is changed in AD. ``apply_plan`` carries the plan out through the connectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import networkx as nx

from access_review import audit
from access_review.connector import Action
from access_review.errors import AccessReviewError
from access_review.graph import inventory_node, node_label
from access_review.records import source_of

from . import wording
from .items import Item
from .model import Decision
from .rules import default_outcome, parse_default
from .store import CampaignStore, NonResponse, PlanStep


@dataclass(frozen=True)
class PlannedChange:
    item_id: str
    step: int
    source: str
    kind: str  # remove_membership | remove_grant
    target: str
    params: dict[str, Any]
    note: str
    status: str = "planned"  # planned | refused
    message: str = ""
    summary: str = ""  # the change in words, with people and groups by name

    def as_row(self) -> dict:
        return {
            "item_id": self.item_id,
            "step": self.step,
            "source": self.source,
            "kind": self.kind,
            "target": self.target,
            "params": self.params,
            "note": self.note,
            "status": self.status,
            "message": self.message,
            "summary": self.summary,
        }


def configured_default(section: Mapping) -> str:
    """``[campaigns] default``: what a new campaign's unanswered items become unless
    ``campaign create --default`` says otherwise."""
    return parse_default(section.get("default", "none"), "[campaigns] default")


def default_of(campaign, config) -> str:
    """The campaign's default decision; one created before defaults were per campaign uses
    ``[campaigns] default``."""
    return campaign.default_decision or configured_default(config.section("campaigns"))


def nonresponse_marker(default: str) -> str:
    return f"no response → default {wording.DEFAULT_WORDS.get(default, default)}"


def unanswered_at_close(
    items: Iterable[Item],
    answered: Mapping[str, Decision],
    default: str,
    *,
    closed_by: str,
    closed_at: str,
) -> tuple[list[NonResponse], list[Decision]]:
    """Each item without a reviewer's answer: its non-response record, and the default
    decision it leads to (none when the default is "no action")."""
    rows, decisions = [], []
    for item in items:
        if item.item_id in answered:
            continue
        outcome = default_outcome(default, item.recommendation)
        rows.append(
            NonResponse(
                item.item_id, item.reviewer, default, outcome or "none", closed_by, closed_at
            )
        )
        if outcome:
            decisions.append(
                Decision(
                    item.item_id,
                    outcome,
                    "default",
                    nonresponse_marker(default),
                    decided_by=closed_by,
                    decided_at=closed_at,
                )
            )
    return rows, decisions


def default_decisions(
    items: Iterable[Item], decided: Mapping[str, Decision], default: str
) -> list[Decision]:
    """The default decisions alone (see ``unanswered_at_close``)."""
    return unanswered_at_close(items, decided, default, closed_by="default", closed_at="")[1]


def _ad_sources(config) -> list[str]:
    """Sources that are an Active Directory (a demo source says so with directory = "ad")."""
    return [
        name
        for name, s in config.sources.items()
        if s.get("type") == "ad" or (s.get("type") == "demo" and s.get("directory", name) == "ad")
    ]


def plan_revocations(
    analysis,
    items: Iterable[Item],
    revoked: Iterable[str],
    refusal: Callable[[str, str, str, dict], str | None] | None = None,
) -> list[PlannedChange]:
    """The changes that remove each revoked item's access, as it stands in ``analysis``."""
    g = analysis.graph
    revoked = set(revoked)
    items = [i for i in items if i.item_id in revoked]
    revoked_pairs = {(i.subject, i.resource) for i in items}
    groups = {grp.key: grp for s in analysis.snapshots.values() for grp in s.groups}
    ad_sources = _ad_sources(analysis.config)
    protected = {
        p.lower() for p in (*analysis.config.protected_accounts, *analysis.config.iso.accounts)
    }
    ancestors_of: dict[str, set[str]] = {}
    access_by_account: dict[str, list] = {}
    for x in analysis.access:
        access_by_account.setdefault(x.account, []).append(x)
    out: list[PlannedChange] = []

    for item in items:
        target = inventory_node(item.resource)
        if target not in g:
            continue
        if target not in ancestors_of:
            ancestors_of[target] = nx.ancestors(g, target)
        reaching = ancestors_of[target]
        accounts = (
            analysis.correlation.accounts_of.get(item.subject, [])
            if item.subject in analysis.persons
            else [item.subject]
        )
        step = 0
        seen: set[tuple] = set()
        for account in sorted(accounts):
            if account not in reaching:
                continue
            acct = analysis.accounts[account]
            for nxt in sorted(g.successors(account)):
                if nxt != target and nxt not in reaching:
                    continue
                edge = g.edges[account, nxt]
                notes: list[str] = []  # why and what else: the change itself is the summary
                whose = f"{item.name}'s" if item.subject in analysis.persons else "the"
                if edge.get("kind") == "grant":
                    source, kind, tgt = source_of(edge["grant"]), "remove_grant", edge["grant"]
                    params = {"principal": account, "resource": nxt}
                    summary = f"Remove {node_label(g, nxt)} from {whose} {acct.source} account {acct.login}"
                elif edge.get("kind", "member") == "member":
                    source, kind, tgt, params = (
                        source_of(nxt),
                        "remove_membership",
                        nxt,
                        {"member": account},
                    )
                    summary = f"Remove {whose} {acct.source} account {acct.login} from {node_label(g, nxt)}"
                    if not g.has_edge(nxt, target):
                        others = {p for p in g.predecessors(nxt) if p != account}
                        if others:
                            notes.append(
                                f"access comes through nested groups, and {node_label(g, nxt)} also "
                                f"serves {len(others)} other member(s): only {acct.login}'s own "
                                "membership is removed, the nesting stays"
                            )
                        else:
                            notes.append(
                                f"access comes through nested groups from {node_label(g, nxt)}"
                            )
                    group = groups.get(nxt)
                    if group is not None and group.authority == "ad" and source not in ad_sources:
                        moved = _in_ad(analysis, group, account, item.subject, ad_sources)
                        if moved is None:
                            out.append(
                                PlannedChange(
                                    item.item_id,
                                    step := step + 1,
                                    source,
                                    kind,
                                    tgt,
                                    params,
                                    "; ".join(notes),
                                    "refused",
                                    f"{group.name} is synced from AD, and no AD group and account "
                                    "match it: change it in AD by hand",
                                    summary,
                                )
                            )
                            continue
                        source, tgt, params = moved[0], moved[1], {"member": moved[2]}
                        notes.append(
                            f"{group.name} is synced from AD: the change is made in AD "
                            f"({node_label(g, tgt)}) and reaches {acct.source} with the next AD sync"
                        )
                        ad_login = (
                            analysis.accounts[moved[2]].login
                            if moved[2] in analysis.accounts
                            else moved[2]
                        )
                        summary = (
                            f"Remove {whose} {source} account {ad_login} from {node_label(g, tgt)}"
                        )
                else:
                    continue
                also = sorted(
                    {
                        x.resource
                        for x in access_by_account.get(account, ())
                        if len(x.path) > 2
                        and x.path[1] == nxt
                        and x.resource != item.resource
                        and (item.subject, x.resource) not in revoked_pairs
                    }
                )
                if also:
                    notes.append("this also removes access to: " + ", ".join(also))
                dedupe = (source, kind, tgt, tuple(sorted(params.items())))
                if dedupe in seen:
                    continue
                seen.add(dedupe)
                status, message = "planned", ""
                if account.lower() in protected or (acct.login or "").lower() in protected:
                    status, message = "refused", f"{acct.login} is a protected account"
                elif refusal is not None:
                    reason = refusal(source, kind, tgt, params)
                    if reason:
                        status, message = "refused", reason
                step += 1
                out.append(
                    PlannedChange(
                        item.item_id,
                        step,
                        source,
                        kind,
                        tgt,
                        params,
                        "; ".join(notes),
                        status,
                        message,
                        summary,
                    )
                )
    return out


def _in_ad(
    analysis, group, account: str, subject: str, ad_sources: list[str]
) -> tuple[str, str, str] | None:
    """(AD source, AD group key, AD member key) for a group synced from AD, matched by name,
    and the same person's account in that AD (or the synced account's own AD twin by login)."""
    for source in ad_sources:
        snap = analysis.snapshots.get(source)
        if snap is None:
            continue
        ad_group = next((x for x in snap.groups if x.name.lower() == group.name.lower()), None)
        if ad_group is None:
            continue
        candidates = [
            k for k in analysis.correlation.accounts_of.get(subject, []) if source_of(k) == source
        ]
        if not candidates:
            login = (analysis.accounts[account].login or "").lower().split("@")[0]
            candidates = [
                a.key for a in snap.accounts if (a.login or "").lower().split("@")[0] == login
            ]
        if candidates:
            return source, ad_group.key, sorted(candidates)[0]
    return None


@dataclass
class ApplyReport:
    changed: int = 0
    unchanged: int = 0
    failed: list[PlanStep] = field(default_factory=list)
    refused: list[PlanStep] = field(default_factory=list)


def apply_plan(
    store, cstore: CampaignStore, campaign_id: int, connector_for: Callable[[str], Any]
) -> ApplyReport:
    """Carry out every planned (or previously failed) step; record each result and its prior
    state in the campaign tables and the audit log. Steps already done are skipped, so running
    it again retries only what failed."""
    report = ApplyReport()
    for step in cstore.plan(campaign_id):
        if step.status == "refused":
            report.refused.append(step)
            continue
        if step.status in ("changed", "unchanged"):
            continue
        action = Action(step.kind, step.source, step.target, dict(step.params))
        try:
            result = connector_for(step.source).apply(action)
            status, prior, after, message = (
                result.status,
                result.prior,
                result.after,
                result.message,
            )
        except AccessReviewError as exc:
            status, prior, after, message = "failed", {}, {}, str(exc)
        cstore.record_result(step.id, status, prior, after, message)
        audit.append(
            store,
            "campaign.remediate",
            {
                "campaign": campaign_id,
                "item": step.item_id,
                "action": action.describe(),
                "source": step.source,
                "status": status,
                "prior": prior,
                "after": after,
                "message": message,
            },
        )
        if status == "changed":
            report.changed += 1
        elif status == "unchanged":
            report.unchanged += 1
        else:
            recorded = next(s for s in cstore.plan(campaign_id) if s.id == step.id)
            (report.refused if status == "refused" else report.failed).append(recorded)
    return report
