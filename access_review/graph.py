"""The entitlement graph: person -> account -> group -> ... -> resource -> inventory resource.

Which memberships and grants become edges, and the level each gives, follows each
directory's own rules — written down, with the vendor's documentation for each, in
docs/access-model.md. In short:

- member -> group edges carry no attributes (there are millions), except a Google group
  owner's or manager's, which says ``manages`` (they can add anyone to the group);
- a distribution group is not a security principal: it confers nothing on the groups it is
  nested in (Windows builds the token from security groups only), so its member -> group
  edges are left out;
- a grant that reaches a group's *direct* members only (an Entra app-role assignment) hangs
  off a node of its own, ``<group key>#direct``, which only the group's direct non-group
  members point at; nested groups never reach it;
- principal -> granted resource (kind "grant", with its level), selected group or resource ->
  the inventory resource it stands for (kind "selected"), person -> account (kind "owns").

Effective access to an inventory resource is everything that can reach its node, found with
one reverse breadth-first walk per inventory resource (each node visited once, so nesting
cycles cannot loop). The level is the highest over *all* paths, not the shortest path's: a
second pass, linear in the part of the graph the walk found, propagates levels backwards from
the resource, highest level first (see ``_best_levels``). The path it remembers for each
account is the one that gives that level; ``why`` shows it first.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, TypeAlias

import networkx as nx

from .correlation import Correlation
from .records import LEVEL_ORDER, MANAGING_ROLES, Group, Person, Resource, Snapshot, source_of

# Nodes are keys (str); node and edge attributes are the dicts networkx keeps. (A string: the
# class is not subscriptable at run time.)
AccessGraph: TypeAlias = "nx.DiGraph[str]"
# networkx's own predecessor map: node -> predecessor -> edge attributes.
_Predecessors: TypeAlias = dict[str, dict[str, dict[str, Any]]]

INVENTORY_PREFIX = "inventory:"
DIRECT_SUFFIX = "#direct"
# Levels by rank, highest first, for the level pass.
_RANKED = sorted(LEVEL_ORDER, key=LEVEL_ORDER.__getitem__, reverse=True)
_READ = LEVEL_ORDER["read"]
_MANAGE = LEVEL_ORDER["manage"]


def inventory_node(name: str) -> str:
    return INVENTORY_PREFIX + name


def direct_members_node(group_key: str) -> str:
    """The node standing for "the direct members of this group" (see the module docstring)."""
    return group_key + DIRECT_SUFFIX


@dataclass(frozen=True)
class Access:
    """An account's effective access to one inventory resource: the highest level over every
    path, and the path that gives it."""

    account: str
    person: str | None
    resource: str  # inventory resource name
    path: tuple[str, ...]  # node keys, account first, inventory node last
    level: str  # read | write | manage | admin

    @property
    def via(self) -> tuple[str, ...]:
        """The nodes between the account and the inventory resource."""
        return self.path[1:-1]


def build_graph(
    snapshots: Mapping[str, Snapshot],
    persons: Iterable[Person],
    correlation: Correlation,
    selector_matches: Mapping[str, list[str]],
) -> AccessGraph:
    g: AccessGraph = nx.DiGraph()
    add_node = g.add_node
    for p in persons:
        add_node(p.key, type="person", label=f"{p.name} ({p.employee_id})")
    distribution: set[str] = set()
    for snap in snapshots.values():
        for a in snap.accounts:
            # No label string per account (there are hundreds of thousands): node_label()
            # builds it from the login when a path is shown.
            add_node(
                a.key,
                type="account",
                login=a.login,
                enabled=a.enabled,
                kind=correlation.kinds.get(a.key, a.kind),
            )
        for grp in snap.groups:
            add_node(grp.key, type="group", label=_group_label(snap.source, grp))
            if grp.kind == "distribution":
                distribution.add(grp.key)
        for r in snap.resources:
            add_node(
                r.key,
                type="resource",
                label=_resource_label(snap.source, r),
                privileged=r.privileged,
            )
    direct_only = {
        gr.principal_key
        for snap in snapshots.values()
        for gr in snap.grants
        if gr.direct_members_only
        and gr.principal_key in g
        and g.nodes[gr.principal_key].get("type") == "group"
    }
    for key in direct_only:
        add_node(
            direct_members_node(key),
            type="group",
            group=key,
            label=g.nodes[key]["label"] + " (direct members only)",
        )
    # Membership edges carry no attributes (an edge without "kind" is a membership): there
    # are millions at state scale. Only memberships of groups that lead somewhere (to a
    # granted resource or an inventory selection, directly or through nesting) can explain
    # access; the rest (class rosters, mailing lists) are left out of the graph.
    leading = _groups_that_lead_somewhere(snapshots, selector_matches, distribution)
    for snap in snapshots.values():
        add_edge = g.add_edge
        for m in snap.memberships:
            if m.member_type == "contact" or m.member_key in distribution:
                continue  # a contact cannot sign in; a distribution group confers nothing
            if m.group_key in direct_only and m.member_type != "group":
                add_edge(m.member_key, direct_members_node(m.group_key))
            if m.group_key not in leading:
                continue
            if m.role in MANAGING_ROLES and m.member_type == "account":
                add_edge(m.member_key, m.group_key, manages=True)
            else:
                add_edge(m.member_key, m.group_key)
    for snap in snapshots.values():
        for gr in snap.grants:
            principal = (
                direct_members_node(gr.principal_key)
                if gr.principal_key in direct_only and gr.direct_members_only
                else gr.principal_key
            )
            g.add_edge(principal, gr.resource_key, kind="grant", level=gr.level, grant=gr.key)
    for account_key, link in correlation.links.items():
        g.add_edge(link.person_key, account_key, kind="owns", method=link.method)
    for name, keys in selector_matches.items():
        node = inventory_node(name)
        add_node(node, type="inventory", label=name)
        for key in keys:
            if key in g:
                g.add_edge(key, node, kind="selected")
    return g


def _group_label(source: str, group: Group) -> str:
    notes = [
        n
        for n, on in (
            ("distribution", group.kind == "distribution"),
            ("role-assignable", group.role_assignable),
        )
        if on
    ]
    return f"{source} group '{group.name}'" + (f" ({', '.join(notes)})" if notes else "")


def _resource_label(source: str, resource: Resource) -> str:
    label = f"{source} {resource.kind.replace('_', ' ')} '{resource.name}'"
    return label + (f" in {resource.scope}" if resource.scope else "")


def edge_kind(g: AccessGraph, a: str, b: str) -> str:
    """member | grant | selected | owns (membership edges carry no kind)."""
    kind: str = g.edges[a, b].get("kind", "member")
    return kind


def _groups_that_lead_somewhere(
    snapshots: Mapping[str, Snapshot],
    selector_matches: Mapping[str, list[str]],
    distribution: set[str],
) -> set[str]:
    """Groups holding a grant (that reaches nested members) or selected by the inventory,
    and every group nested in them — except through a distribution group."""
    group_keys = {grp.key for snap in snapshots.values() for grp in snap.groups}
    starts = {
        gr.principal_key
        for snap in snapshots.values()
        for gr in snap.grants
        if not gr.direct_members_only
    } & group_keys
    starts |= {k for keys in selector_matches.values() for k in keys} & group_keys
    nested: dict[str, list[str]] = {}
    for snap in snapshots.values():
        for m in snap.memberships:
            if m.member_type == "group" and m.member_key not in distribution:
                nested.setdefault(m.group_key, []).append(m.member_key)
    leading, stack = set(starts), list(starts)
    while stack:  # a set of seen groups: nesting cycles end here too
        for child in nested.get(stack.pop(), ()):
            if child not in leading:
                leading.add(child)
                stack.append(child)
    return leading


def path_level(g: AccessGraph, path: tuple[str, ...]) -> str:
    """The level one path gives: its grant's level (a membership alone gives read), raised to
    "manage" when the path passes a group the account owns or manages."""
    rank = _READ
    for a, b in zip(path, path[1:]):
        data = g.edges[a, b]
        if data.get("kind") == "grant":
            rank = max(rank, LEVEL_ORDER.get(data.get("level", "read"), _READ))
        elif data.get("manages"):
            rank = max(rank, _MANAGE)
    return _RANKED[len(_RANKED) - rank]


def _reverse_walk(g: AccessGraph, target: str) -> dict[str, str | None]:
    """Every node that can reach ``target`` -> its next node on a shortest path (target:
    None). One reverse breadth-first walk: each node is visited once, so cycles end by
    themselves. Persons are left out (they are joined to their accounts afterwards)."""
    pred = _predecessors(
        g
    )  # plain dict-of-dicts access: this loop is the hot path at district scale
    nodes = g.nodes
    parent: dict[str, str | None] = {target: None}
    queue: deque[str] = deque([target])
    while queue:
        node = queue.popleft()
        for prev in pred[node]:
            if prev in parent or nodes[prev].get("type") == "person":
                continue
            parent[prev] = node
            queue.append(prev)
    return parent


def _predecessors(g: AccessGraph) -> _Predecessors:
    """The graph's own dict of predecessors (``DiGraph._pred``), read without the view that
    ``g.pred`` wraps around it. The stubs leave the private attribute out."""
    pred: _Predecessors = g._pred  # type: ignore[attr-defined]  # private, but stable since networkx 1.x
    return pred


def _best_levels(g: AccessGraph, target: str, reached: Mapping[str, object]) -> dict[str, str]:
    """For every node in ``reached`` (the nodes that reach ``target``): the next node on a
    path that gives the highest level to ``target``.

    The level of a path is decided by edges that fix it — a grant edge (its level), an
    inventory selection (read), an owner's or manager's membership (manage) — while plain
    membership edges pass on whatever the group has. So the best level of every node is a
    max-propagation backwards through membership edges: seed each node that has a fixing
    edge, highest level first, and spread each level backwards through membership edges to
    nodes not yet reached at a higher one. Every node is settled once and every edge looked
    at a bounded number of times, so the pass is linear in the walked part of the graph, and
    cycles end by themselves (a settled node is never revisited).
    """
    pred = _predecessors(g)
    seeds: dict[int, list[tuple[str, str]]] = {rank: [] for rank in LEVEL_ORDER.values()}
    for head in reached:
        for tail, data in pred[head].items():
            if tail not in reached:
                continue
            kind = data.get("kind")
            if kind == "grant":
                seeds[LEVEL_ORDER.get(data.get("level", "read"), _READ)].append((tail, head))
            elif kind == "selected":
                seeds[_READ].append((tail, head))
            elif kind is None and data.get("manages"):
                seeds[_MANAGE].append((tail, head))
    nxt: dict[str, str] = {}
    for level in _RANKED:
        queue: deque[str] = deque()
        for tail, head in seeds[LEVEL_ORDER[level]]:
            if tail not in nxt:
                nxt[tail] = head
                queue.append(tail)
        while queue:
            head = queue.popleft()
            for tail, data in pred[head].items():
                if tail in nxt or tail not in reached or "kind" in data:
                    continue  # settled at a higher level, outside the walk, or not a membership
                nxt[tail] = head
                queue.append(tail)
    return nxt


def _follow(nxt: Mapping[str, str], start: str, target: str) -> tuple[str, ...]:
    path, seen = [start], {start}
    node = start
    while node != target:
        node = nxt[node]
        if node in seen:  # cannot happen (see _best_levels); never loop if it ever did
            raise RuntimeError(f"level pass produced a cycle at {node}")
        seen.add(node)
        path.append(node)
    return tuple(path)


def paths_to(g: AccessGraph, target: str) -> dict[str, tuple[str, ...]]:
    """Every account that can reach ``target``, with its shortest path (account first)."""
    parent = _reverse_walk(g, target)
    nodes = g.nodes
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


def best_paths_to(g: AccessGraph, target: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Every account that can reach ``target`` -> (its highest level, the path giving it)."""
    reached = _reverse_walk(g, target)
    nxt = _best_levels(g, target, reached)
    nodes = g.nodes
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    for node in reached:
        if node == target or nodes[node].get("type") != "account":
            continue
        path = _follow(nxt, node, target)
        out[node] = (path_level(g, path), path)
    return out


def effective_access(
    g: AccessGraph, correlation: Correlation, resources: Iterable[str]
) -> list[Access]:
    """Every account that reaches each inventory resource, at its highest level."""
    out: list[Access] = []
    for name in resources:
        target = inventory_node(name)
        if target not in g:
            continue
        for account, (level, path) in best_paths_to(g, target).items():
            out.append(
                Access(
                    account=account,
                    person=correlation.person_of(account),
                    resource=name,
                    path=path,
                    level=level,
                )
            )
    return out


def groups_reaching(g: AccessGraph, name: str) -> set[str]:
    """Every group from which the inventory resource can be reached."""
    target = inventory_node(name)
    if target not in g:
        return set()
    seen = nx.ancestors(g, target)
    return {n for n in seen if g.nodes[n].get("type") == "group"}


def all_paths(
    g: AccessGraph, account: str, resource_name: str, limit: int = 20
) -> list[tuple[str, ...]]:
    """Paths from an account to an inventory resource (for `why`): the one that gives the
    account's highest level first, then the others, highest level and shortest first."""
    target = inventory_node(resource_name)
    if account not in g or target not in g:
        return []
    best = best_paths_to(g, target).get(account)
    if best is None:
        return []
    return paths_around(g, best[1], limit)


def paths_around(g: AccessGraph, best: tuple[str, ...], limit: int = 20) -> list[tuple[str, ...]]:
    """``best`` (the path giving the account's highest level, account first, inventory node
    last) and up to ``limit - 1`` other simple paths between the same two nodes, highest
    level and shortest first: what `why` shows."""
    paths = [best]
    for p in nx.all_simple_paths(g, best[0], best[-1], cutoff=25):
        if tuple(p) != best:
            paths.append(tuple(p))
        if len(paths) >= limit:
            break
    rest = sorted(paths[1:], key=lambda p: (-LEVEL_ORDER[path_level(g, p)], len(p)))
    return [paths[0], *rest]


def node_label(g: AccessGraph, key: str) -> str:
    """How a node reads in a path: "ad account jdoe", "google group 'SpEd Staff'", ..."""
    node = g.nodes.get(key)
    if node is None:
        return key
    if node.get("type") == "account":
        return f"{source_of(key)} account {node['login']}"
    label: str = node.get("label", key)
    return label


def describe_path(g: AccessGraph, path: Iterable[str]) -> str:
    """A path in words; a step through a group the account manages says so."""
    path = list(path)
    words = [node_label(g, path[0])] if path else []
    for a, b in zip(path, path[1:]):
        manages = g.has_edge(a, b) and g.edges[a, b].get("manages")
        words.append(("manager of " if manages else "") + node_label(g, b))
    return " → ".join(words)


def highest_level(levels: Iterable[str]) -> str:
    return max(levels, key=lambda lv: LEVEL_ORDER.get(lv, 0), default="read")
