"""Configuration: one TOML file. ``access-review init`` writes a commented starter.

Relative paths in the file are resolved against the file's own folder, so a config and its
roster/inventory can be moved together.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

DEFAULT_CONFIG_NAME = "access-review.toml"
CONFIG_ENV = "ACCESS_REVIEW_CONFIG"

DEFAULT_ADMIN_TITLES = (
    "superintendent",
    "principal",
    "director",
    "coordinator",
    "administrator",
    "manager",
    "chief",
    "officer",
    "supervisor",
)


@dataclass(frozen=True)
class Policy:
    dormant_days: int = 90
    training_days: int = 365
    leave_counts_as_separated: bool = True
    retention_days: int = 1095
    administrator_titles: tuple[str, ...] = DEFAULT_ADMIN_TITLES


@dataclass(frozen=True)
class Scorecard:
    """When a row of the superintendent's scorecard is green, amber or red.

    Each pair is (green, amber). For a share (a percentage, higher is better) the row is green
    at or above the first number, amber at or above the second, red below. For a count (lower
    is better) it is green at or below the first number, amber at or below the second, red
    above. Litigation holds and the audit chain have no thresholds: the policy allows no
    missing held account and no broken record, so those rows are red whenever either occurs.
    """

    inventory_percent: tuple[int, int] = (100, 90)  # resources with a valid data manager
    campaign_answered_percent: tuple[int, int] = (95, 80)  # review items answered by the reviewer
    training_percent: tuple[int, int] = (98, 90)  # trained within the year
    unauthorized: tuple[int, int] = (0, 3)  # access not authorized (findings)
    unapproved_apps: tuple[int, int] = (0, 2)  # apps holding access without approval
    retention_awaiting: tuple[int, int] = (0, 10)  # separated accounts awaiting a decision
    investigation_days: tuple[int, int] = (30, 90)  # age of the oldest open suspension
    # An unapproved app this many staff use is a decision for the superintendent, not the ISO alone.
    app_users_for_decision: int = 10


@dataclass(frozen=True)
class ImportGuard:
    """An import that removes more than this share of the stored people, resources, app
    approvals or holds (or releases any hold) stops with its summary until run with --yes."""

    max_removed_percent: float = 10.0


@dataclass(frozen=True)
class Retention:
    """How long the store keeps history (retention.py; `access-review store prune`): every sync
    and analysis for ``keep_every_run_days``, then the last of each month for
    ``keep_monthly_years``. What campaigns and evidence refer to, and the current state, are
    always kept."""

    keep_every_run_days: int = 30
    keep_monthly_years: int = 7

    def describe(self) -> str:
        return (
            f"every run for {self.keep_every_run_days} days, then one per month for "
            f"{self.keep_monthly_years} years"
        )


def _retention(section: Any, where: str) -> Retention:
    if not isinstance(section, dict):
        raise ConfigError(f"{where} must be a table")
    known = set(Retention.__dataclass_fields__)
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting {unknown[0]!r}", hint=f"known: {', '.join(sorted(known))}"
        )
    d = Retention()
    return Retention(
        keep_every_run_days=_count(section, "keep_every_run_days", d.keep_every_run_days, where),
        keep_monthly_years=_count(section, "keep_monthly_years", d.keep_monthly_years, where),
    )


@dataclass(frozen=True)
class Classification:
    """How accounts are told apart: students by OU/org unit or e-mail domain, services by name."""

    student_org_units: tuple[str, ...] = ("students",)
    student_domains: tuple[str, ...] = ()
    service_patterns: tuple[str, ...] = ("svc-*", "svc_*", "*$", "krbtgt", "admin-*")


@dataclass(frozen=True)
class Iso:
    name: str = ""
    email: str = ""
    alternate_name: str = ""
    alternate_email: str = ""
    accounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    path: Path
    store_path: Path
    roster_path: Path | None
    inventory_path: Path | None
    apps_path: Path | None
    holds_path: Path | None
    iso: Iso
    policy: Policy
    classify: Classification
    protected_accounts: tuple[str, ...]
    sources: dict[str, dict[str, Any]]
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    scorecard: Scorecard = field(default_factory=Scorecard)
    imports: ImportGuard = ImportGuard()
    retention: Retention = Retention()

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def section(self, name: str) -> dict[str, Any]:
        return dict(self.raw.get(name, {}))


def find_config(explicit: str | Path | None = None) -> Path:
    """The config path: --config, then $ACCESS_REVIEW_CONFIG, then ./access-review.toml."""
    candidate = explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_NAME
    path = Path(candidate).expanduser()
    if not path.exists():
        raise ConfigError(
            f"no config file at {path}",
            hint="run `access-review init` to write a starter, or pass --config PATH",
        )
    return path.resolve()


def _resolve(base: Path, value: str | None) -> Path | None:
    if not value:
        return None
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p)


def _store_path(base: Path, store: dict[str, Any], cfg_path: Path) -> Path:
    path = _resolve(base, store.get("path", "access-review.db"))
    if path is None:  # `path = ""`: no file to open
        raise ConfigError(
            f"{cfg_path}: [store] path must name the store's file",
            hint="leave it out for access-review.db beside the config",
        )
    return path


def _resolve_file_settings(base: Path, table: dict[str, Any]) -> dict[str, Any]:
    """Every ``*_file`` setting (``password_file``, ``client_secret_file``, ``key_file``,
    ``ca_file``, ...) is a path: a relative one is resolved here, once, against the config's
    folder, so that no secret is read from whatever folder the tool happens to be started in."""
    return {
        key: str(_resolve(base, value))
        if key.endswith("_file") and isinstance(value, str) and value
        else value
        for key, value in table.items()
    }


def _tuple_of_str(
    section: dict[str, Any], key: str, default: tuple[str, ...], where: str
) -> tuple[str, ...]:
    value = section.get(key, default)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def _int(section: dict[str, Any], key: str, default: int, where: str) -> int:
    value = section.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{where}: {key} must be a whole number of days, not {value!r}")
    return value


def _pair(
    section: dict[str, Any], key: str, default: tuple[int, int], where: str, *, share: bool
) -> tuple[int, int]:
    value = section.get(key, list(default))
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
    ):
        raise ConfigError(f"{where}: {key} must be two whole numbers [green, amber], not {value!r}")
    green, amber = value
    if share and not (100 >= green >= amber):
        raise ConfigError(
            f"{where}: {key} = {value!r}: a share is green at or above the first number"
            " and amber at or above the second, so 100 >= green >= amber"
        )
    if not share and green > amber:
        raise ConfigError(
            f"{where}: {key} = {value!r}: a count is green up to the first number and"
            " amber up to the second, so green <= amber"
        )
    return green, amber


def _count(section: dict[str, Any], key: str, default: int, where: str) -> int:
    value = section.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{where}: {key} must be a whole number, not {value!r}")
    return value


def _scorecard(section: Any, where: str) -> Scorecard:
    if not isinstance(section, dict):
        raise ConfigError(f"{where} must be a table")
    known = {f for f in Scorecard.__dataclass_fields__}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting {unknown[0]!r}", hint=f"known: {', '.join(sorted(known))}"
        )
    d = Scorecard()
    return Scorecard(
        inventory_percent=_pair(
            section, "inventory_percent", d.inventory_percent, where, share=True
        ),
        campaign_answered_percent=_pair(
            section, "campaign_answered_percent", d.campaign_answered_percent, where, share=True
        ),
        training_percent=_pair(section, "training_percent", d.training_percent, where, share=True),
        unauthorized=_pair(section, "unauthorized", d.unauthorized, where, share=False),
        unapproved_apps=_pair(section, "unapproved_apps", d.unapproved_apps, where, share=False),
        retention_awaiting=_pair(
            section, "retention_awaiting", d.retention_awaiting, where, share=False
        ),
        investigation_days=_pair(
            section, "investigation_days", d.investigation_days, where, share=False
        ),
        app_users_for_decision=_count(
            section, "app_users_for_decision", d.app_users_for_decision, where
        ),
    )


def _percent(section: Any, key: str, default: float, where: str) -> float:
    if not isinstance(section, dict):
        raise ConfigError(f"{where} must be a table")
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        raise ConfigError(f"{where}: {key} must be a percentage from 0 to 100, not {value!r}")
    return float(value)


def load_config(path: str | Path | None = None) -> Config:
    cfg_path = find_config(path)
    try:
        raw = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{cfg_path}: not valid TOML: {exc}") from None
    base = cfg_path.parent
    raw = {
        name: _resolve_file_settings(base, table) if isinstance(table, dict) else table
        for name, table in raw.items()
    }
    if isinstance(raw.get("sources"), dict):
        raw["sources"] = {
            name: _resolve_file_settings(base, settings) if isinstance(settings, dict) else settings
            for name, settings in raw["sources"].items()
        }

    store = raw.get("store", {})
    roster = raw.get("roster", {})
    inventory = raw.get("inventory", {})
    iso = raw.get("iso", {})
    policy = raw.get("policy", {})
    classify = raw.get("classify", {})
    protected = raw.get("protected", {})
    sources = raw.get("sources", {})
    if not isinstance(sources, dict):
        raise ConfigError(f"{cfg_path}: [sources] must be a table of [sources.NAME] tables")
    for name, settings in sources.items():
        if not isinstance(settings, dict) or "type" not in settings:
            raise ConfigError(
                f"{cfg_path}: [sources.{name}] needs a type (ad, entra, google or demo)"
            )
        if ":" in name:
            raise ConfigError(f"{cfg_path}: source name {name!r} must not contain ':'")

    where = f"{cfg_path} [policy]"
    return Config(
        path=cfg_path,
        store_path=_store_path(base, store, cfg_path),
        roster_path=_resolve(base, roster.get("path")),
        inventory_path=_resolve(base, inventory.get("path")),
        apps_path=_resolve(base, inventory.get("apps")),
        holds_path=_resolve(base, inventory.get("holds")),
        iso=Iso(
            name=iso.get("name", ""),
            email=iso.get("email", ""),
            alternate_name=iso.get("alternate_name", ""),
            alternate_email=iso.get("alternate_email", ""),
            accounts=_tuple_of_str(iso, "accounts", (), f"{cfg_path} [iso]"),
        ),
        policy=Policy(
            dormant_days=_int(policy, "dormant_days", 90, where),
            training_days=_int(policy, "training_days", 365, where),
            leave_counts_as_separated=bool(policy.get("leave_counts_as_separated", True)),
            retention_days=_int(policy, "retention_days", 1095, where),
            administrator_titles=tuple(
                t.lower()
                for t in _tuple_of_str(policy, "administrator_titles", DEFAULT_ADMIN_TITLES, where)
            ),
        ),
        classify=Classification(
            student_org_units=tuple(
                s.lower()
                for s in _tuple_of_str(
                    classify, "student_org_units", ("students",), f"{cfg_path} [classify]"
                )
            ),
            student_domains=tuple(
                s.lower()
                for s in _tuple_of_str(classify, "student_domains", (), f"{cfg_path} [classify]")
            ),
            service_patterns=tuple(
                s.lower()
                for s in _tuple_of_str(
                    classify,
                    "service_patterns",
                    Classification.service_patterns,
                    f"{cfg_path} [classify]",
                )
            ),
        ),
        protected_accounts=_tuple_of_str(protected, "accounts", (), f"{cfg_path} [protected]"),
        sources={name: dict(settings) for name, settings in sources.items()},
        raw=raw,
        scorecard=_scorecard(raw.get("scorecard", {}), f"{cfg_path} [scorecard]"),
        imports=ImportGuard(
            max_removed_percent=_percent(
                raw.get("imports", {}), "max_removed_percent", 10.0, f"{cfg_path} [imports]"
            )
        ),
        retention=_retention(raw.get("retention", {}), f"{cfg_path} [retention]"),
    )


# The core's part of the starter config; `access-review init` adds each connector's table, [smtp],
# [campaigns] and [logging], written from the settings their code declares (cli/configure.py).
STARTER_CONFIG = """\
# access-review configuration. Paths are relative to this file.
# Secrets never go in this file: name an environment variable (*_env) or a file
# readable only by you (*_file, chmod 600).

[store]
path = "access-review.db"          # SQLite; keeps snapshots, findings, campaigns, the audit log

[roster]
path = "roster.csv"                # HR export: employee_id, name, email, title, ... (docs/formats.md)

[inventory]
path = "inventory.xlsx"            # sheet Resources (and Apps, Holds)
# apps = "apps.csv"                # approval register, if kept separately
# holds = "holds.csv"              # litigation-hold register, if kept separately

[imports]
max_removed_percent = 10           # an import removing more of the stored people, resources,
                                   # app approvals or holds than this (or releasing any hold)
                                   # shows the changes and stops until run again with --yes

[retention]
keep_every_run_days = 30           # every sync and analysis is kept this long ...
keep_monthly_years = 7             # ... then the last of each month, this long (`access-review store prune`)

[iso]
name = "Information Security Officer"
email = "iso@district.example.org"
alternate_name = ""
alternate_email = ""
accounts = []                      # the ISO's own logins: never suspended by this tool

[policy]
dormant_days = 90                  # no sign-in for this long = dormant
training_days = 365                # confidentiality training must be this recent
leave_counts_as_separated = true   # people on leave with access are reported
retention_days = 1095              # separated accounts older than this are eligible for the ISO's decision

[classify]
student_org_units = ["Students"]   # an account under an OU / org unit containing this is a student
student_domains = []               # e.g. ["students.district.example.org"]
service_patterns = ["svc-*", "svc_*", "*$", "krbtgt"]

[protected]
accounts = []                      # break-glass admins: logins or keys, never suspended

# The audit log is keyed with a secret kept apart from the store. By default it is
# ~/.config/access-review/audit.key (the ISO's own account), made owner-only on first use.
# Keep a backup of it: without the key the log cannot be verified.
# [audit]
# key_file = "/etc/access-review/audit.key"          # chmod 600; or:
# key_env = "ACCESS_REVIEW_AUDIT_KEY"                # at least 32 characters

[scorecard]
# The superintendent's report rates each policy clause green, amber or red (with a word too).
# Shares are percentages [green at or above, amber at or above]; below the second is red.
inventory_percent = [100, 90]          # resources with a valid data manager
campaign_answered_percent = [95, 80]   # review items answered by the data managers themselves
training_percent = [98, 90]            # people with access to confidential data trained within the year
# Counts are [green at or below, amber at or below]; above the second is red.
unauthorized = [0, 3]                  # access the inventory does not authorize (incl. separated, on leave)
unapproved_apps = [0, 2]               # apps holding access that the ISO has not approved
retention_awaiting = [0, 10]           # separated accounts past the retention schedule awaiting a decision
investigation_days = [30, 90]          # days the oldest open suspension has lasted
app_users_for_decision = 10            # an unapproved app this many staff use goes to "what needs a decision"
# A missing held account or a broken audit chain is always red: the policy allows neither.

# The web review page (`access-review serve`): campaign e-mails carry each reviewer's link.
# [web]
# base_url = "https://review.district.example.org"   # https (http only for 127.0.0.1)
# district_name = "Lakeview School District"
# host = "127.0.0.1"
# port = 8080
# tls_cert_file = "/etc/access-review/review.crt"    # or behind_proxy = true (TLS at the proxy)
# tls_key_file = "/etc/access-review/review.key"     # chmod 600
"""
