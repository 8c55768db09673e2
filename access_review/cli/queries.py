"""Questions the ISO asks of the latest snapshots: findings, why, access, who, and checks of
the inventory and of how accounts were joined to people."""
from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Annotated, Optional

import typer
from rich.table import Table

from .. import audit
from ..errors import AccessReviewError
from .common import (ConfigOption, command, console, err_console, load_analysis, load_config, open_store,
                     safe)


def register(app: typer.Typer, inventory_app: typer.Typer) -> None:
    for name, func in (("findings", findings), ("why", why), ("access", access), ("who", who),
                       ("accounts", accounts)):
        command(app, name)(func)
    command(inventory_app, "check")(inventory_check)


def inventory_check(config: ConfigOption = None):
    """Check the imported inventory against the latest snapshots: selectors that match nothing."""
    cfg = load_config(config)
    with open_store(cfg) as store:
        a = load_analysis(cfg, store)
    table = Table(title="Inventory resources", header_style="bold")
    for col in ("resource", "classification", "data manager", "matches", "people with access"):
        table.add_column(col, overflow="fold")
    for res in a.inventory.resources:
        manager = a.persons.get(f"person:{res.data_manager}")
        people = {x.person for x in a.access if x.resource == res.name and x.person}
        table.add_row(safe(res.name), safe(res.classification), safe(manager.name) if manager else "[red](none)[/]",
                      str(len(a.selector_matches.get(res.name, []))), str(len(people)))
    console.print(table)
    for w in a.selector_warnings:
        console.print(f"[yellow]warning:[/] {safe(w)}", highlight=False)
    if not a.selector_warnings:
        console.print("Every selector matches something in the latest snapshots.")


def accounts(config: ConfigOption = None,
             unmatched: Annotated[bool, typer.Option(help="List the non-student accounts that match no roster person.")] = False):
    """How directory accounts were joined to roster people, and which were not."""
    cfg = load_config(config)
    with open_store(cfg) as store:
        a = load_analysis(cfg, store)
    c = a.correlation
    by_method = Counter(link.method for link in c.links.values())
    by_kind = Counter(c.kinds[k] for k in c.unmatched)
    console.print(f"{len(a.accounts):,} accounts; {len(c.links):,} joined to {len(c.accounts_of):,} people"
                  f" ({', '.join(f'{n:,} by {safe(m)}' for m, n in by_method.most_common())}).")
    console.print(f"{len(c.unmatched):,} without a roster person: "
                  + (", ".join(f"{n:,} {safe(k)}" for k, n in by_kind.most_common()) or "none") + ".")
    for account, address, people in c.ambiguous:
        console.print(f"[yellow]ambiguous:[/] {safe(account)}: {safe(address)} belongs to {safe(', '.join(people))}"
                      " in the roster; not joined", highlight=False)
    if unmatched:
        # Students are expected to have no staff-roster person; list everything else.
        for key in sorted(k for k in c.unmatched if c.kinds[k] != "student"):
            acct = a.accounts[key]
            state = "enabled" if acct.enabled else "disabled"
            console.print(f"  {safe(acct.source)}:{safe(acct.login)}  {safe(c.kinds[key])}, {state}"
                          f"  {safe(acct.display_name)}", highlight=False, soft_wrap=True)


def findings(config: ConfigOption = None,
             type: Annotated[Optional[list[str]], typer.Option("--type", "-t", help="Only these finding types.")] = None,
             severity: Annotated[Optional[str], typer.Option(help="This severity or worse: critical, high, medium, low, info.")] = None,
             resource: Annotated[Optional[str], typer.Option(help="Only findings about this resource.")] = None,
             person: Annotated[Optional[str], typer.Option(help="Only findings about this person (id, e-mail or name).")] = None,
             format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
             save: Annotated[bool, typer.Option(help="Record this findings run in the store.")] = True):
    """Compare who has access with the inventory and the roster; list what needs attention."""
    from ..findings import FINDING_TYPES, SEVERITY_ORDER
    from .render import findings_csv, findings_json, findings_table

    if format not in ("table", "csv", "json"):
        raise AccessReviewError(f"unknown format {format!r}", hint="use table, csv or json")
    for t in type or []:
        if t not in FINDING_TYPES:
            raise AccessReviewError(f"unknown finding type {t!r}", hint="types: " + ", ".join(FINDING_TYPES))
    cfg = load_config(config)
    with open_store(cfg) as store:
        a = load_analysis(cfg, store)
        found = a.findings
        if save:
            runs = {s: store.latest_complete_run(s).id for s in a.snapshots}
            run_id = store.save_findings(found, runs)
            audit.append(store, "findings", {"run": run_id, "count": len(found),
                                             "by_type": dict(Counter(f.type for f in found))})
        selected = list(found)
        if type:
            selected = [f for f in selected if f.type in type]
        if severity:
            if severity not in SEVERITY_ORDER:
                raise AccessReviewError(f"unknown severity {severity!r}", hint="critical, high, medium, low or info")
            selected = [f for f in selected if SEVERITY_ORDER[f.severity] <= SEVERITY_ORDER[severity]]
        if resource:
            selected = [f for f in selected if (f.resource or "").lower() == resource.lower()]
        if person:
            p = a.find_person(person)
            if p is None:
                raise AccessReviewError(f"no one in the roster matches {person!r}")
            selected = [f for f in selected if f.person == p.key
                        or (f.account and a.correlation.person_of(f.account) == p.key)]
        for source, snap in sorted(a.snapshots.items()):
            for view, why in sorted(snap.partial_views.items()):
                # On stderr, so that csv/json output stays machine-readable.
                err_console.print(f"[yellow]partial view ({safe(source)}, {safe(view)}):[/] {safe(why)}",
                                  highlight=False)
        if format == "json":
            sys.stdout.write(findings_json(selected, a.graph) + "\n")
        elif format == "csv":
            sys.stdout.write(findings_csv(selected, a.graph))
        else:
            console.print(findings_table(selected, a.graph))
            counts = Counter(f.severity for f in selected)
            console.print(", ".join(f"{counts[s]} {s}" for s in SEVERITY_ORDER if counts[s]) or "no findings")


def _resolve_resource(a, text: str):
    t = text.strip().lower()
    exact = [r for r in a.inventory.resources if r.name.lower() == t]
    if exact:
        return exact[0]
    partial = [r for r in a.inventory.resources if t in r.name.lower()]
    if len(partial) == 1:
        return partial[0]
    names = ", ".join(r.name for r in (partial or a.inventory.resources)[:8])
    raise AccessReviewError(f"no single inventory resource matches {text!r}", hint=f"try one of: {names}")


def _resolve_principal(a, text: str) -> tuple[str | None, list[str], str]:
    """(person key, account keys, label) for a person or an account."""
    p = a.find_person(text)
    if p is not None:
        return p.key, list(a.correlation.accounts_of.get(p.key, [])), f"{p.name} ({p.employee_id})"
    acct = a.find_account(text)
    if acct is not None:
        person = a.correlation.person_of(acct.key)
        return person, [acct.key], f"{acct.login} ({acct.source})"
    raise AccessReviewError(f"no person or account matches {text!r}",
                            hint="use an employee id, an e-mail, a login or a unique part of a name")


def why(person: Annotated[str, typer.Argument(help="Employee id, e-mail, login or name.")],
        resource: Annotated[str, typer.Argument(help="Inventory resource name (or a unique part of it).")],
        config: ConfigOption = None):
    """Explain how a person reaches a resource: every path, readable, the one that gives the
    highest level first."""
    from ..graph import all_paths, describe_path, path_level
    from ..records import level_label

    cfg = load_config(config)
    with open_store(cfg) as store:
        a = load_analysis(cfg, store)
        res = _resolve_resource(a, resource)
        person_key, accounts, label = _resolve_principal(a, person)
        any_path = False
        for account in accounts:
            for path in all_paths(a.graph, account, res.name):
                any_path = True
                prefix = f"{a.persons[person_key].name} → " if person_key else ""
                level = level_label(path_level(a.graph, path))
                console.print(f"• {safe(f'[{level}] ' + prefix + describe_path(a.graph, path))}",
                              highlight=False, soft_wrap=True)
        if not any_path:
            console.print(f"{safe(label)} has no access to {safe(res.name)}.", highlight=False)
            return
        if person_key:
            ok, reason = a.is_authorized(res, a.persons[person_key])
            console.print(("[green]authorized[/]" if ok else "[red]not authorized[/]") + f": {safe(reason)}",
                          highlight=False)


def access(person: Annotated[str, typer.Argument(help="Employee id, e-mail, login or name.")],
           config: ConfigOption = None):
    """Everything in the inventory a person (or account) can reach, and how."""
    from ..graph import describe_path
    from ..records import level_label

    cfg = load_config(config)
    with open_store(cfg) as store:
        a = load_analysis(cfg, store)
        person_key, accounts, label = _resolve_principal(a, person)
        rows = [x for x in a.access if x.account in set(accounts)]
        table = Table(title=f"Access of {safe(label)}", header_style="bold")
        for col in ("resource", "classification", "level", "authorized", "path"):
            table.add_column(col, overflow="fold")
        for x in sorted(rows, key=lambda x: x.resource):
            res = a.inventory_by_name[x.resource]
            ok, reason = a.is_authorized(res, a.persons[person_key]) if person_key else (False, "no roster person")
            table.add_row(safe(x.resource), safe(res.classification), safe(level_label(x.level)),
                          ("yes" if ok else "NO") + f" ({safe(reason)})", safe(describe_path(a.graph, x.path)))
        console.print(table)
        if not rows:
            console.print(f"{safe(label)} reaches nothing in the inventory.", highlight=False)


def who(resource: Annotated[str, typer.Argument(help="Inventory resource name (or a unique part of it).")],
        config: ConfigOption = None,
        format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table"):
    """Everyone who can reach a resource, with the path and whether the inventory authorizes it."""
    from ..csv_output import build_csv
    from ..graph import describe_path
    from ..records import level_label

    cfg = load_config(config)
    with open_store(cfg) as store:
        a = load_analysis(cfg, store)
        res = _resolve_resource(a, resource)
        rows = []
        for x in sorted((x for x in a.access if x.resource == res.name), key=lambda x: (x.person or "~", x.account)):
            person = a.persons.get(x.person) if x.person else None
            ok, reason = a.is_authorized(res, person) if person else (False, "no roster person")
            rows.append({"person": person.name if person else "", "employee_id": person.employee_id if person else "",
                         "account": a.accounts[x.account].login, "source": a.accounts[x.account].source,
                         "level": level_label(x.level), "authorized": ok, "reason": reason,
                         "path": describe_path(a.graph, x.path)})
        if format == "json":
            sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        elif format == "csv":
            header = list(rows[0]) if rows else ["person"]
            sys.stdout.write(build_csv(header, ([r[h] for h in header] for r in rows)))
        else:
            table = Table(title=f"{safe(res.name)} ({safe(res.classification)}) — {len(rows)} accounts",
                          header_style="bold")
            for col in ("person", "account", "level", "authorized", "path"):
                table.add_column(col, overflow="fold")
            for r in rows:
                table.add_row(safe(r["person"]) if r["person"] else "[red](no roster person)[/]",
                              safe(f"{r['source']}:{r['account']}"), safe(r["level"]),
                              ("yes" if r["authorized"] else "[red]NO[/]") + f" ({safe(r['reason'])})",
                              safe(r["path"]))
            console.print(table)
