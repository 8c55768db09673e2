"""The entitlement graph: person -> account -> group -> ... -> resource -> inventory resource.

Edges point the way access flows (member -> group, with no attributes, kept only for groups
that lead to a grant or an inventory selection; principal -> granted resource,
selected group or resource -> the inventory resource it stands for). Effective access to an
inventory resource is everything that can reach its node; we find it with one reverse
breadth-first search per inventory resource, which visits each node once — so nesting cycles
(which AD and Google both allow) cannot loop, and the parent pointers give the shortest
explaining path for every account at no extra cost.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Iterable, Mapping

import networkx as nx

from .correlation import Correlation
from .records import LEVEL_ORDER, Person, Snapshot, source_of

INVENTORY_PREFIX = "inventory:"


def inventory_node(name: str) -> str:
    return INVENTORY_PREFIX + name


@dataclass(frozen=True)
class Access:
    """An account's effective access to one inventory resource, with the path that explains it."""

    account: str
    person: str | None
    resource: str                 # inventory resource name
    path: tuple[str, ...]         # node keys, account first, inventory node last
    level: str                    # read | write | admin

    @property
    def via(self) -> tuple[str, ...]:
        """The nodes between the account and the inventory resource."""
        return self.path[1:-1]


def build_graph(snapshots: Mapping[str, Snapshot], persons: Iterable[Person],
                correlation: Correlation, selector_matches: Mapping[str, list[str]]) -> nx.DiGraph:
    g = nx.DiGraph()
    add_node = g.add_node
    for p in persons:
        add_node(p.key, type="person", label=f"{p.name} ({p.employee_id})")
    for snap in snapshots.values():
        for a in snap.accounts:
            # No label string per account (there are hundreds of thousands): node_label()
            # builds it from the login when a path is shown.
            add_node(a.key, type="account", login=a.login, enabled=a.enabled,
                     kind=correlation.kinds.get(a.key, a.kind))
        for grp in snap.groups:
            add_node(grp.key, type="group", label=f"{snap.source} group '{grp.name}'")
        for r in snap.resources:
            add_node(r.key, type="resource", label=f"{snap.source} {r.kind.replace('_', ' ')} '{r.name}'",
                     privileged=r.privileged)
    # Membership edges carry no attributes (an edge without "kind" is a membership): there
    # are millions at state scale. Only memberships of groups that lead somewhere (to a
    # granted resource or an inventory selection, directly or through nesting) can explain
    # access; the rest (class rosters, mailing lists) are left out of the graph.
    leading = _groups_that_lead_somewhere(snapshots, selector_matches)
    for snap in snapshots.values():
        g.add_edges_from((m.member_key, m.group_key) for m in snap.memberships if m.group_key in leading)
    for snap in snapshots.values():
        for gr in snap.grants:
            g.add_edge(gr.principal_key, gr.resource_key, kind="grant", level=gr.level, grant=gr.key)
    for account_key, link in correlation.links.items():
        g.add_edge(link.person_key, account_key, kind="owns", method=link.method)
    for name, keys in selector_matches.items():
        node = inventory_node(name)
        add_node(node, type="inventory", label=name)
        for key in keys:
            if key in g:
                g.add_edge(key, node, kind="selected")
    return g


def edge_kind(g: nx.DiGraph, a: str, b: str) -> str:
    """member | grant | selected | owns (membership edges carry no attributes)."""
    return g.edges[a, b].get("kind", "member")


def _groups_that_lead_somewhere(snapshots: Mapping[str, Snapshot],
                                selector_matches: Mapping[str, list[str]]) -> set[str]:
    """Groups holding a grant or selected by the inventory, and every group nested in them."""
    group_keys = {grp.key for snap in snapshots.values() for grp in snap.groups}
    starts = {gr.principal_key for snap in snapshots.values() for gr in snap.grants} & group_keys
    starts |= {k for keys in selector_matches.values() for k in keys} & group_keys
    nested: dict[str, list[str]] = {}
    for snap in snapshots.values():
        for m in snap.memberships:
            if m.member_type == "group":
                nested.setdefault(m.group_key, []).append(m.member_key)
    leading, stack = set(starts), list(starts)
    while stack:  # a set of seen groups: nesting cycles end here too
        for child in nested.get(stack.pop(), ()):
            if child not in leading:
                leading.add(child)
                stack.append(child)
    return leading


def _path_level(g: nx.DiGraph, path: tuple[str, ...]) -> str:
    """The level a path gives: the grant edge nearest the resource decides; membership = read."""
    level = "read"
    for a, b in zip(reversed(path[:-1]), reversed(path[1:])):
        data = g.edges[a, b]
        if data.get("kind") == "grant":
            level = data.get("level", "read")
            break
    return level


def paths_to(g: nx.DiGraph, target: str) -> dict[str, tuple[str, ...]]:
    """Every account that can reach ``target``, with its shortest path (account first).

    One reverse breadth-first walk: each node is visited once, so cycles end by themselves,
    and the parent pointers give the path. Persons are left out of the walk (they are joined
    to their accounts afterwards)."""
    pred = g._pred  # plain dict-of-dicts access: this loop is the hot path at district scale
    nodes = g.nodes
    parent: dict[str, str | None] = {target: None}
    queue = deque([target])
    while queue:
        node = queue.popleft()
        for prev in pred[node]:
            if prev in parent or nodes[prev].get("type") == "person":
                continue
            parent[prev] = node
            queue.append(prev)
    found: dict[str, tuple[str, ...]] = {}
    for node, nxt in parent.items():
        if nxt is None or nodes[node].get("type") != "account":
            continue
        path = [node]
        while nxt is not None:
            path.append(nxt)
            nxt = parent[nxt]
        found[node] = tuple(path)
    return found


def effective_access(g: nx.DiGraph, correlation: Correlation,
                     resources: Iterable[str]) -> list[Access]:
    """Every account that reaches each inventory resource, with its shortest path."""
    out: list[Access] = []
    for name in resources:
        target = inventory_node(name)
        if target not in g:
            continue
        for account, path in paths_to(g, target).items():
            out.append(Access(account=account, person=correlation.person_of(account), resource=name,
                              path=path, level=_path_level(g, path)))
    return out


def groups_reaching(g: nx.DiGraph, name: str) -> set[str]:
    """Every group from which the inventory resource can be reached."""
    target = inventory_node(name)
    if target not in g:
        return set()
    seen = nx.ancestors(g, target)
    return {n for n in seen if g.nodes[n].get("type") == "group"}


def all_paths(g: nx.DiGraph, account: str, resource_name: str, limit: int = 20) -> list[tuple[str, ...]]:
    """Every simple path from an account to an inventory resource (for `why`), shortest first."""
    target = inventory_node(resource_name)
    if account not in g or target not in g:
        return []
    paths = []
    for p in nx.all_simple_paths(g, account, target, cutoff=25):
        paths.append(tuple(p))
        if len(paths) >= limit:
            break
    return sorted(paths, key=len)


def node_label(g: nx.DiGraph, key: str) -> str:
    """How a node reads in a path: "ad account jdoe", "google group 'SpEd Staff'", ..."""
    node = g.nodes.get(key)
    if node is None:
        return key
    if node.get("type") == "account":
        return f"{source_of(key)} account {node['login']}"
    return node.get("label", key)


def describe_path(g: nx.DiGraph, path: Iterable[str]) -> str:
    return " → ".join(node_label(g, n) for n in path)


def highest_level(levels: Iterable[str]) -> str:
    return max(levels, key=lambda lv: LEVEL_ORDER.get(lv, 0), default="read")
