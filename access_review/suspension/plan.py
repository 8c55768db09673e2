"""The suspension plan: pure. From the facts a plan rests on (``PlanFacts``: who owns which
account, holds, administrators — and each account's state) and the ISO's targets, decide for
every account in every directory what will change.

The facts come from either a whole ``Analysis`` (each account as the last sync saw it) or,
as `access-review suspend` does, the stored analysis with each named account read fresh from
its directory (``current.py``: a few targeted reads, not a sync).

What each directory gets (issue 7):
  AD      disable the account (userAccountControl bit 0x2).
  Entra   disable the account and revoke its sign-in sessions. A user synced from AD
          (authority "ad") cannot be disabled in Entra (Graph refuses, and the next directory
          sync would undo it): its AD account is disabled instead, and its Entra sessions are
          revoked at once, so the lockout does not wait for the next Entra Connect cycle
          (every 30 minutes by default).
  Google  suspend the user and sign it out of every session; with --revoke-tokens also revoke
          each third-party OAuth token it has granted (a suspended user's tokens stop working,
          but they come back on restore unless revoked).

Accounts already disabled are shown and left alone (the disable is re-checked on apply, so a
state read earlier cannot leave an account open). Protected accounts are refused
with the reason. Accounts on litigation hold are suspended and the hold is shown: suspension
keeps the data; nothing here deletes an account.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Protocol

from ..connector import Action
from ..errors import AccessReviewError
from ..records import Account, Person

if TYPE_CHECKING:
    from ..config import Config
    from ..inventory import Hold


class PlanFacts(Protocol):
    """What a plan needs to know. ``facts.Facts`` (a whole analysis) provides it, with each
    account as the last sync saw it; ``current.CurrentFacts`` with each account read now."""

    # (Read-only properties: a plan only reads them, and a provider may hold plain dicts.)
    @property
    def persons(self) -> Mapping[str, Person]: ...  # person key -> person (at least the targets)
    @property
    def accounts(self) -> Mapping[str, Account]: ...  # account key -> the account's state
    @property
    def holds_may_be_missing(self) -> list[str]: ...
    @property
    def state_note(self) -> str: ...  # when the accounts' state was read, in words
    @property
    def notes(self) -> list[str]: ...  # what could not be read, for the plan's warnings

    def find_person(self, text: str) -> Person | None: ...
    def find_account(self, text: str) -> Account | None: ...
    def accounts_of(self, person_key: str) -> list[str]: ...
    def person_of(self, account_key: str) -> str | None: ...
    def holds_for_account(self, account_key: str) -> list["Hold"]: ...
    def privileged_roles(self) -> list[tuple[str, str, bool, list[str]]]: ...
    def oauth_clients(self, account_key: str) -> list[tuple[str, str]]: ...
    def gone(self, account_key: str) -> str | None: ...


DIRECTORY_KINDS = ("ad", "entra", "google")

# The roles whose last enabled holder must never be suspended: losing them locks the district
# out of its own directory. Matched on the role's name as the connectors name it.
TOP_ADMIN_ROLES = {
    "ad": {"domain admins", "enterprise admins"},
    "entra": {"global administrator", "company administrator"},  # the latter: Graph's old name
    "google": {"super admin", "_seed_admin_role"},  # _SEED_ADMIN_ROLE: the API's name for it
}


@dataclass(frozen=True)
class PlannedStep:
    account_key: str
    source: str
    kind: str  # disable_account | revoke_sessions | revoke_oauth_token
    why: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def action(self) -> Action:
        return Action(self.kind, self.source, self.account_key, dict(self.params))

    @property
    def identity(self) -> tuple[str, str, str]:
        """What makes a step the same step in two runs of the same suspension."""
        return (self.account_key, self.kind, str(self.params.get("client_id", "")))


@dataclass(frozen=True)
class AccountPlan:
    key: str
    source: str
    directory: str  # ad | entra | google
    login: str
    display_name: str
    person: str | None  # person key
    enabled: bool  # at the last complete sync
    disposition: str  # suspend | already disabled | refused
    reason: str = ""  # why refused, or a note on the disposition
    holds: tuple[str, ...] = ()
    steps: tuple[PlannedStep, ...] = ()
    # The account's state at the last sync: recorded under the case before anything changes.
    prior: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SuspensionPlan:
    targets: tuple[str, ...]
    persons: tuple[str, ...]  # person keys the targets named
    accounts: tuple[AccountPlan, ...]
    revoke_tokens: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def steps(self) -> list[PlannedStep]:
        return [s for a in self.accounts for s in a.steps]

    @property
    def refused(self) -> list[AccountPlan]:
        return [a for a in self.accounts if a.disposition == "refused"]


@dataclass(frozen=True)
class Protection:
    """Who is never suspended: [protected] accounts and the ISO's own ([iso] accounts and
    e-mail). The alternate ISO is not included: they may be the one under investigation."""

    protected: frozenset[str]
    iso: frozenset[str]

    @classmethod
    def from_config(cls, config: "Config") -> "Protection":
        iso = {*config.iso.accounts, config.iso.email}
        return cls(
            frozenset(v.strip().lower() for v in config.protected_accounts if v.strip()),
            frozenset(v.strip().lower() for v in iso if v and v.strip()),
        )

    def reason(self, account: Account) -> str | None:
        names = {
            account.key.lower(),
            account.id.lower(),
            (account.login or "").lower(),
            (account.email or "").lower(),
        } - {""}
        if names & self.iso:
            return "the ISO's own account ([iso] in the config)"
        if names & self.protected:
            return "protected account ([protected] accounts in the config)"
        return None


def directory_kinds(config: "Config") -> dict[str, str]:
    """source name -> ad | entra | google. A demo source plays the directory its ``directory``
    setting names, or the one its name names (the demo district's sources are ad/entra/google)."""
    kinds = {}
    for name, settings in config.sources.items():
        kind = settings.get("type", "")
        if kind not in DIRECTORY_KINDS:
            kind = str(settings.get("directory") or settings.get("flavour") or name)
        kinds[name] = kind
    return kinds


def resolve_targets(a: PlanFacts, targets: Iterable[str]) -> tuple[list[str], list[str]]:
    """(person keys, account keys) the ISO named. Each target must name someone."""
    persons: list[str] = []
    accounts: list[str] = []
    for text in targets:
        person = a.persons.get(text.strip()) or a.find_person(text)
        if person is not None:
            persons.append(person.key)
            accounts.extend(a.accounts_of(person.key))
            continue
        account = a.find_account(text)
        if account is None:
            raise AccessReviewError(
                f"no person or account matches {text!r}",
                hint="use an employee id, an e-mail, a login, an account key or a unique part of a name",
            )
        accounts.append(account.key)
    return list(dict.fromkeys(persons)), list(dict.fromkeys(accounts))


def ad_account_of_synced(
    a: PlanFacts, entra_account: Account, kinds: Mapping[str, str]
) -> Account | None:
    """The AD account an Entra user synced from AD comes from: by onPremisesImmutableId (the
    base64 of the AD objectGUID by default in Entra Connect), else the same person's AD account."""
    immutable = entra_account.extra.get("onPremisesImmutableId") if entra_account.extra else None
    ad_sources = [s for s, k in kinds.items() if k == "ad"]
    if immutable:
        try:
            guid = str(uuid.UUID(bytes_le=base64.b64decode(immutable)))
        except (ValueError, TypeError):
            guid = None
        if guid:
            for source in ad_sources:
                found = a.accounts.get(f"{source}:account:{guid}")
                if found is not None:
                    return found
    person = a.person_of(entra_account.key)
    if person:
        for key in a.accounts_of(person):
            if key in a.accounts and kinds.get(a.accounts[key].source) == "ad":
                return a.accounts[key]
    return None


def top_admin_holders(a: PlanFacts, kinds: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """source -> {account key: role name} for every account holding a top admin role there."""
    out: dict[str, dict[str, str]] = {}
    for name, source, super_admin, holders in a.privileged_roles():
        directory = kinds.get(source, source)
        if not (name.lower() in TOP_ADMIN_ROLES.get(directory, ()) or super_admin):
            continue
        for account_key in holders:
            out.setdefault(source, {}).setdefault(account_key, name)
    return out


def entra_privileged_warnings(
    a: PlanFacts, kinds: Mapping[str, str], plans: Iterable["AccountPlan"]
) -> list[str]:
    """An Entra account holding an administrator role cannot be disabled with the app's
    User.EnableDisableAccount.All: Graph wants a higher administrator role for a privileged
    user (https://learn.microsoft.com/graph/api/user-update). Said in the plan, before --apply."""
    roles: dict[str, list[str]] = {}
    for name, source, _super_admin, holders in a.privileged_roles():
        if kinds.get(source, source) != "entra":
            continue
        for account_key in holders:
            roles.setdefault(account_key, []).append(name)
    out = []
    for plan in plans:
        if plan.key in roles and any(s.kind == "disable_account" for s in plan.steps):
            out.append(
                f"{plan.login} ({plan.source}) holds the Entra role {', '.join(sorted(set(roles[plan.key])))}: "
                "Graph does not let the app's User.EnableDisableAccount.All disable a privileged user, so "
                "expect this step to be refused; disable it by hand in the Entra admin center, or give the "
                "app a higher administrator role (Privileged Authentication Administrator). Its sessions "
                "are still revoked."
            )
    return out


def build_plan(
    a: PlanFacts,
    targets: Iterable[str],
    *,
    kinds: Mapping[str, str],
    protection: Protection,
    revoke_tokens: bool = False,
) -> SuspensionPlan:
    targets = tuple(targets)
    if not targets:
        raise AccessReviewError("name at least one person or account to suspend")
    persons, named = resolve_targets(a, targets)
    warnings: list[str] = []
    for p in persons:
        if not a.accounts_of(p):
            warnings.append(
                f"{a.persons[p].name} ({a.persons[p].employee_id}) has no account in any "
                "directory at the last sync"
            )
    # An account the directory no longer has is nothing to suspend: said, never planned.
    account_keys = []
    for key in named:
        gone = a.gone(key)
        if gone:
            warnings.append(gone)
        else:
            account_keys.append(key)

    # A synced Entra user is disabled through its AD account: make sure that is in the plan.
    for key in list(account_keys):
        account = a.accounts[key]
        if kinds.get(account.source) == "entra" and account.authority == "ad":
            ad_account = ad_account_of_synced(a, account, kinds)
            if ad_account is None:
                warnings.append(
                    f"{account.login} ({account.source}) is synced from AD but its AD account "
                    "is not in AD: disable it in AD yourself"
                )
            elif ad_account.key not in account_keys:
                account_keys.append(ad_account.key)

    # Holds shown beside each account come partly from the directories (Google Vault): where a
    # sync could see only part of them, the plan must not look as if it knew them all.
    warnings += [
        f"litigation holds may be missing from this plan: {gap}" for gap in a.holds_may_be_missing
    ]
    warnings += list(a.notes)

    admins = top_admin_holders(a, kinds)
    # Accounts this plan will really disable (a protected one stays enabled, so it still
    # counts as a remaining administrator).
    suspending = {k for k in account_keys if not protection.reason(a.accounts[k])}
    plans = [
        _account_plan(a, a.accounts[key], kinds, protection, admins, suspending, revoke_tokens)
        for key in account_keys
    ]
    plans.sort(
        key=lambda p: (
            p.person or "",
            list(kinds).index(p.source) if p.source in kinds else 99,
            p.login,
        )
    )
    warnings += entra_privileged_warnings(a, kinds, plans)
    return SuspensionPlan(
        targets=targets,
        persons=tuple(persons),
        accounts=tuple(plans),
        revoke_tokens=revoke_tokens,
        warnings=tuple(warnings),
    )


def _account_plan(
    a: PlanFacts,
    account: Account,
    kinds: Mapping[str, str],
    protection: Protection,
    admins: Mapping[str, Mapping[str, str]],
    suspending: set[str],
    revoke_tokens: bool,
) -> AccountPlan:
    directory = kinds.get(account.source, account.source)
    holds = tuple(
        f"{h.matter}" + (f" (since {h.since.isoformat()})" if h.since else "")
        for h in a.holds_for_account(account.key)
    )
    plan = partial(
        AccountPlan,
        key=account.key,
        source=account.source,
        directory=directory,
        login=account.login,
        display_name=account.display_name,
        person=a.person_of(account.key),
        enabled=account.enabled,
        holds=holds,
        prior=prior_at_sync(account),
    )
    refusal = protection.reason(account) or _last_admin_reason(account, admins, suspending, a)
    if refusal:
        return plan(disposition="refused", reason=refusal)
    steps = _steps_for(a, account, directory, revoke_tokens)
    if not account.enabled:
        # Re-checked on apply (idempotent: a disabled account stays as it is), so an account
        # re-enabled since it was read is still locked out. Sessions of a disabled account
        # cannot be used, so nothing else is done.
        recheck = tuple(s for s in steps if s.kind == "disable_account")
        recheck = tuple(
            PlannedStep(
                s.account_key,
                s.source,
                s.kind,
                f"already disabled {a.state_note}: re-checked, left as it is",
                s.params,
            )
            for s in recheck
        )
        return plan(
            disposition="already disabled", steps=recheck, reason=f"already disabled {a.state_note}"
        )
    return plan(
        disposition="suspend",
        steps=steps,
        reason="synced from AD: disabled through its AD account"
        if directory == "entra" and account.authority == "ad"
        else "",
    )


# Account flags worth keeping beside "enabled" (AD's whole userAccountControl, Google's
# suspension reason), as the connectors put them in Account.extra.
PRIOR_EXTRA_FIELDS = ("user_account_control", "suspensionReason", "archived")


def prior_at_sync(account: Account) -> dict[str, Any]:
    extra = account.extra or {}
    return {
        "enabled": account.enabled,
        "login": account.login,
        **{k: extra[k] for k in PRIOR_EXTRA_FIELDS if k in extra},
    }


def _last_admin_reason(
    account: Account, admins: Mapping[str, Mapping[str, str]], suspending: set[str], a: PlanFacts
) -> str | None:
    holders = admins.get(account.source, {})
    if account.key not in holders or not account.enabled:
        return None
    remaining = [
        k
        for k in holders
        if k not in suspending and a.accounts.get(k) is not None and a.accounts[k].enabled
    ]
    if remaining:
        return None
    return (
        f"last enabled {holders[account.key]} in {account.source}: suspending it would lock the "
        "district out of the directory; add another administrator first"
    )


def _steps_for(
    a: PlanFacts, account: Account, directory: str, revoke_tokens: bool
) -> tuple[PlannedStep, ...]:
    key, source = account.key, account.source
    if directory == "ad":
        return (PlannedStep(key, source, "disable_account", "disable the account"),)
    if directory == "entra":
        revoke = PlannedStep(key, source, "revoke_sessions", "revoke sign-in sessions")
        if account.authority == "ad":
            return (
                PlannedStep(
                    key,
                    source,
                    "revoke_sessions",
                    "revoke sign-in sessions now (disabled in AD; Entra follows at the next sync)",
                ),
            )
        return (PlannedStep(key, source, "disable_account", "disable the account"), revoke)
    if directory == "google":
        steps = [
            PlannedStep(key, source, "disable_account", "suspend the user"),
            PlannedStep(key, source, "revoke_sessions", "sign out of all sessions"),
        ]
        if revoke_tokens:
            for client_id, app in a.oauth_clients(key):
                steps.append(
                    PlannedStep(
                        key,
                        source,
                        "revoke_oauth_token",
                        f"revoke the OAuth token of {app}",
                        {"client_id": client_id},
                    )
                )
        return tuple(steps)
    # An unknown directory kind: disabling is the one action every connector has.
    return (PlannedStep(key, source, "disable_account", "disable the account"),)
