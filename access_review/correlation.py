"""Identity correlation: which roster person owns which directory account, and how we know.

Accounts join persons by employee id first, then by e-mail, then by the user principal name
(an AD admin account often has no mail but a UPN that is the person's address), then by a
login that is an address, then by aliases — all case-insensitive.
An e-mail shared by two roster rows joins nobody (an ambiguous join is worse than none);
it is reported instead. Every link records how it was made, because a reviewer deciding
on access must be able to trust that the account really is that person's.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Iterable

from .config import Classification
from .records import Account, Person


@dataclass(frozen=True)
class Link:
    account_key: str
    person_key: str
    method: str  # "employee id", "e-mail", "UPN", "login", "alias"
    value: str


@dataclass
class Correlation:
    links: dict[str, Link] = field(default_factory=dict)  # account key -> link
    accounts_of: dict[str, list[str]] = field(default_factory=dict)  # person key -> account keys
    kinds: dict[str, str] = field(default_factory=dict)  # account key -> kind
    unmatched: list[str] = field(default_factory=list)  # account keys, no person
    ambiguous: list[tuple[str, str, tuple[str, ...]]] = field(
        default_factory=list
    )  # (account, value, person keys)

    def person_of(self, account_key: str) -> str | None:
        link = self.links.get(account_key)
        return link.person_key if link else None


def classify_account(account: Account, rules: Classification) -> str:
    """computer as the connector saw it; student by OU / domain; service by name pattern (or as
    the connector saw it); guest (an invited external person); else person."""
    if account.kind == "computer":
        return "computer"  # a machine account: never a person, whatever its name says
    ou = (account.org_unit or "").lower()
    if any(marker in ou for marker in rules.student_org_units):
        return "student"
    mail = (account.email or account.login or "").lower()
    if "@" in mail and mail.rsplit("@", 1)[1] in rules.student_domains:
        return "student"
    login = (account.login or "").lower()
    local = login.split("@", 1)[0]
    if any(
        fnmatch.fnmatchcase(login, p) or fnmatch.fnmatchcase(local, p)
        for p in rules.service_patterns
    ):
        return "service"
    if account.kind in ("service", "student"):
        return account.kind
    if account.guest:
        return "guest"
    return "person"


def _emails_of(account: Account) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if account.email:
        found.append(("e-mail", account.email.lower()))
    if account.upn and "@" in account.upn:
        found.append(("UPN", account.upn.lower()))
    if (
        account.login
        and "@" in account.login
        and account.login.lower() != (account.upn or "").lower()
    ):
        found.append(("login", account.login.lower()))
    found.extend(("alias", a.lower()) for a in account.aliases if a)
    return found


def correlate(
    accounts: Iterable[Account], persons: Iterable[Person], rules: Classification
) -> Correlation:
    by_employee_id: dict[str, str] = {}
    by_email: dict[str, list[str]] = {}
    for p in persons:
        by_employee_id[p.employee_id.strip().lower()] = p.key
        for address in {a.lower() for a in ((p.email,) if p.email else ()) + tuple(p.aliases) if a}:
            by_email.setdefault(address, []).append(p.key)

    result = Correlation()
    for account in accounts:
        key = account.key
        kind = classify_account(account, rules)
        result.kinds[key] = kind
        link: Link | None = None
        if account.employee_id:
            person = by_employee_id.get(account.employee_id.strip().lower())
            if person:
                link = Link(key, person, "employee id", account.employee_id)
        if link is None:
            for method, address in _emails_of(account):
                candidates = by_email.get(address)
                if not candidates:
                    continue
                if len(candidates) > 1:
                    result.ambiguous.append((key, address, tuple(candidates)))
                    break
                link = Link(key, candidates[0], method, address)
                break
        if link is None:
            result.unmatched.append(key)
            continue
        result.links[key] = link
        result.accounts_of.setdefault(link.person_key, []).append(key)
    return result
