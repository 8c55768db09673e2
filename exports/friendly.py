"""Names a superintendent reads: people by name and building, accounts by login, resources by
their inventory name, directories by their product name — never a record key
(``ad:account:21c6e002-…``), which means nothing outside the tool.

``FriendlyNames`` answers for one analysis; ``text`` also rewrites any record key that a
finding's own wording carries (a hold names the account key it was placed on).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable

from access_review.records import source_of

if TYPE_CHECKING:
    from access_review.analysis import Analysis
    from access_review.inventory import Selector

SOURCE_LABELS = {"ad": "AD", "entra": "Entra ID", "google": "Google"}
SELECTOR_WORDS = {
    "group": "group",
    "drive": "shared drive",
    "app": "app",
    "app-role": "app role",
    "role": "admin role",
    "oauth": "OAuth app",
}
KIND_WORDS = {"account": "account", "group": "group", "resource": "resource", "grant": "permission"}

# <source>:<kind>:<id> (records.py) and person:<employee id>. Ids hold no spaces or quotes.
RECORD_KEY = re.compile(
    r"(?<![\w.-])(?:([a-z0-9][a-z0-9_.-]*):(account|group|resource|grant)|person):"
    r"[^\s,;()'\"]+"
)


def source_label(name: str) -> str:
    """How a directory is named for people: the product, or the configured name."""
    return SOURCE_LABELS.get(name, name)


def with_article(word: str) -> str:
    """ "an AD", "an Entra ID", "a Google" (AD is said letter by letter)."""
    return ("an " if word[:1].upper() in "AEIOU" else "a ") + word


def selector_label(selector: "Selector") -> str:
    """``ad:group:SpEd Records`` -> ``AD group 'SpEd Records'``."""
    kind = SELECTOR_WORDS.get(selector.kind, selector.kind.replace("-", " "))
    return f"{source_label(selector.source)} {kind} '{selector.name}'"


class FriendlyNames:
    def __init__(self, a: "Analysis"):
        self.a = a

    def person(self, key: str | None) -> str:
        person = self.a.persons.get(key) if key else None
        return person.name if person else ""

    def building(self, key: str | None) -> str:
        person = self.a.persons.get(key) if key else None
        return person.building if person else ""

    def account(self, key: str | None) -> str:
        """The login, or what the account was when the directory no longer has it."""
        if not key:
            return ""
        account = self.a.accounts.get(key)
        if account is not None:
            return account.login
        return f"{with_article(source_label(source_of(key)))} account no longer in the directory"

    def directory(self, key: str | None) -> str:
        return source_label(source_of(key)) if key else ""

    def node(self, key: str) -> str:
        """One step of an access path."""
        node = self.a.graph.nodes.get(key)
        if node is None:
            return self._unknown(key)
        kind = node.get("type")
        if kind == "account":
            return f"{source_label(source_of(key))} account {node['login']}"
        label = str(node.get("label", ""))
        if kind in ("group", "resource"):
            # graph labels read "<source> group 'name'": name the directory as people do
            source, _, rest = label.partition(" ")
            return f"{source_label(source)} {rest}"
        if kind == "person":
            return self.person(key) or label
        return label or self._unknown(key)

    def path(self, path: Iterable[str]) -> str:
        return " → ".join(self.node(k) for k in path)

    def text(self, text: str) -> str:
        """``text`` with every record key replaced by the name it stands for."""
        return RECORD_KEY.sub(lambda m: self._key(m.group(0)), text)

    def _key(self, key: str) -> str:
        if key.startswith("person:"):
            return self.person(key) or f"employee {key.split(':', 1)[1]}"
        if ":account:" in key:
            account = self.a.accounts.get(key)
            return (
                f"{account.login} ({source_label(account.source)})"
                if account
                else self._unknown(key)
            )
        return self.node(key)

    @staticmethod
    def _unknown(key: str) -> str:
        parts = key.split(":")
        kind = KIND_WORDS.get(parts[1], parts[1]) if len(parts) > 2 else "record"
        return f"{with_article(source_label(parts[0]))} {kind} no longer in the directory"
