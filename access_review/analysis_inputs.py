"""What a stored analysis was built from, so that a stale one is never read.

An analysis rests on the latest complete sync run of every source, the roster import and the
inventory version in use, the configuration that shapes the rules ([policy], [classify]), the
program that computed it, and the day it was evaluated for (dormancy, training, retention,
holds and authorization exceptions depend on the date). All of these are read with a few
small queries, without loading any of the data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path

from .config import Config
from .store import Store


@dataclass(frozen=True)
class AnalysisInputs:
    runs: tuple[tuple[str, int], ...]  # (source, complete sync run id), by source
    roster: int | None  # roster import id
    inventory: int | None  # inventory version
    config: str  # digest of the analysis settings
    code: str  # digest of the program that computes the analysis
    today: str  # the day it was evaluated for (ISO date)

    def to_json(self) -> str:
        return json.dumps(
            {
                "runs": dict(self.runs),
                "roster": self.roster,
                "inventory": self.inventory,
                "config": self.config,
                "code": self.code,
                "today": self.today,
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> "AnalysisInputs":
        d = json.loads(text)
        return cls(
            runs=tuple(sorted((s, int(r)) for s, r in d["runs"].items())),
            roster=d["roster"],
            inventory=d["inventory"],
            config=d["config"],
            code=d["code"],
            today=d["today"],
        )

    def on_another_day(self, built: "AnalysisInputs") -> bool:
        """The same inputs, evaluated for another day."""
        return replace(self, today=built.today) == built

    def changes_since(self, built: "AnalysisInputs") -> list[str]:
        """What differs from the inputs an analysis was ``built`` from, in words."""
        out = []
        now, then = dict(self.runs), dict(built.runs)
        for source in sorted(set(now) | set(then)):
            if now.get(source) != then.get(source):
                out.append(
                    f"a newer {source} sync (run {now[source]})"
                    if source in now
                    else f"{source} is no longer synced"
                )
        if self.roster != built.roster:
            out.append("a new roster import")
        if self.inventory != built.inventory:
            out.append("a new inventory version")
        if self.config != built.config:
            out.append("changed [policy] or [classify] settings")
        if self.code != built.code:
            out.append("a new version of access-review")
        if self.today != built.today:
            out.append(f"a new day ({self.today}; it was built for {built.today})")
        return out


def config_digest(config: Config) -> str:
    """The settings the analysis depends on: policy thresholds and how accounts are classified."""
    text = json.dumps(
        {"policy": asdict(config.policy), "classify": asdict(config.classify)},
        sort_keys=True,
        default=list,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The core modules' source: a new release (or a fix) rebuilds the analysis once."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def current_inputs(config: Config, store: Store, today: date) -> AnalysisInputs:
    runs = store.db.execute(
        "SELECT source, MAX(id) FROM sync_runs WHERE status='complete'"
        " GROUP BY source ORDER BY source"
    ).fetchall()
    roster = store.db.execute("SELECT MAX(id) FROM roster_imports").fetchone()[0]
    inventory = store.db.execute("SELECT MAX(id) FROM inventory_versions").fetchone()[0]
    return AnalysisInputs(
        runs=tuple((s, int(r)) for s, r in runs),
        roster=roster,
        inventory=inventory,
        config=config_digest(config),
        code=code_digest(),
        today=today.isoformat(),
    )
