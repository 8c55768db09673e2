"""Figures over one analysis that several parts of the report share (the scorecard, the
detail sheets, the key figures): who reaches confidential or critical data, who is trained,
and every app holding access with its approval.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from access_review.analysis import Analysis

NOT_IN_REGISTER = "not in the approval register"
NOT_APPROVED = "not approved"
BEYOND_SCOPES = "holds scopes beyond those approved"
APPROVED = "approved"
IDLE_IN_REGISTER = "in the register, holding no access"


def training_state(a: "Analysis", last: date | None) -> tuple[int | None, bool]:
    """(days since the last training or None, trained recently enough)."""
    if last is None:
        return None, False
    age = (a.today - last).days
    return age, age <= a.config.policy.training_days


def people_reaching(a: "Analysis", confidential: bool) -> dict[str, set[str]]:
    """person key -> inventory resources (confidential or critical ones) the person reaches."""
    out: dict[str, set[str]] = {}
    for x in a.access:
        res = a.inventory_by_name[x.resource]
        if x.person and (res.confidential if confidential else res.critical):
            out.setdefault(x.person, set()).add(x.resource)
    return out


def active_people_to_train(a: "Analysis") -> dict[str, tuple[int | None, bool]]:
    """Active people who reach confidential data -> their training state (separated and
    on-leave people are reported as findings, not as training gaps)."""
    return {
        k: training_state(a, a.persons[k].training_date)
        for k in people_reaching(a, confidential=True)
        if a.persons[k].status == "active"
    }


def app_rows(a: "Analysis") -> list[dict[str, Any]]:
    """Every app holding access in a directory, with its approval, plus register rows never seen."""
    rows: list[dict[str, Any]] = []
    seen_register_rows: set[int] = set()
    for name in sorted(a.snapshots):
        snap = a.snapshots[name]
        holders: dict[str, set[str]] = {}
        scopes: dict[str, set[str]] = {}
        for g in snap.grants:
            holders.setdefault(g.resource_key, set()).add(g.principal_key)
            scopes.setdefault(g.resource_key, set()).update(g.scopes)
        for r in sorted(snap.resources, key=lambda r: r.name.lower()):
            if r.kind not in ("oauth_app", "app") or r.key not in holders:
                continue
            client_id = str(r.extra.get("client_id") or r.extra.get("appId") or "")
            approval = a.find_approval(r.name, client_id)
            held = sorted(scopes.get(r.key, ()))
            if approval is None:
                status = NOT_IN_REGISTER
            elif not approval.approved:
                status = NOT_APPROVED
            elif approval.approved_scopes and set(held) - set(approval.approved_scopes):
                status = BEYOND_SCOPES
            else:
                status = APPROVED
            if approval is not None:
                seen_register_rows.add(id(approval))
            rows.append(
                {
                    "app": r.name,
                    "source": name,
                    "kind": r.kind.replace("_", " "),
                    "client_id": client_id,
                    "holders": len(holders[r.key]),
                    "scopes": held,
                    "in_register": approval is not None,
                    "approved": bool(approval and approval.approved),
                    "approved_on": approval.approved_on if approval else None,
                    "approved_scopes": sorted(approval.approved_scopes) if approval else [],
                    "status": status,
                }
            )
    for approval in a.inventory.apps:
        if id(approval) not in seen_register_rows:
            rows.append(
                {
                    "app": approval.app,
                    "source": "",
                    "kind": "",
                    "client_id": approval.client_id,
                    "holders": 0,
                    "scopes": [],
                    "in_register": True,
                    "approved": approval.approved,
                    "approved_on": approval.approved_on,
                    "approved_scopes": sorted(approval.approved_scopes),
                    "status": IDLE_IN_REGISTER,
                }
            )
    return rows


def unapproved_app_holders(a: "Analysis") -> dict[str, int]:
    """App name -> accounts holding it, for apps holding access without the ISO's approval
    (an app in several directories counts its holders in each)."""
    out: dict[str, int] = {}
    for r in app_rows(a):
        if r["holders"] and not r["approved"]:
            out[r["app"]] = out.get(r["app"], 0) + r["holders"]
    return dict(sorted(out.items()))


def apps_beyond_scopes(a: "Analysis") -> list[str]:
    return sorted({r["app"] for r in app_rows(a) if r["status"] == BEYOND_SCOPES})
