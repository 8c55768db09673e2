"""The campaign tables, kept in the core store as the "campaigns" feature schema.

campaigns      one row per campaign: quarter, scope, state, due date, pinned snapshot runs,
               the default decision for unanswered items (chosen at create) and the
               per-campaign secret that signs workbook keys (never leaves the store)
items          the review items as built at create time (JSON), one per (subject, resource)
decisions      every answer recorded, by source (reviewer / default); model.effective_decision
               decides which counts
nonresponse    each item nobody answered, recorded at close: "no response → default X",
               what that did (keep / revoke / none), who closed and when — never a decision
deliveries     every message or file sent: send, resend, remind, escalate, file, rejected
links          each reviewer's personal link to the web review page (issue 17): its random id
               (the token is signed with a key kept apart from the store, ``links.py``), who
               issued it and when, and when it was revoked or replaced
remediation    each planned change, in words and as an action, and once applied, its result
               and the prior state
verification   each revoked item: gone or still present, after which sync runs
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable

from access_review.errors import AccessReviewError
from access_review.store import Store, inserted_id, now_iso

from .items import Item
from .model import Decision, effective_decision
from .rules import DEFAULT_DECISIONS

MIGRATIONS = [
    """
    CREATE TABLE campaigns (
        id INTEGER PRIMARY KEY,
        quarter TEXT NOT NULL,
        scope TEXT NOT NULL,              -- "all" or the sorted resource names, joined by "; "
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        due TEXT NOT NULL,
        secret TEXT NOT NULL,
        snapshot_runs TEXT NOT NULL,
        closed_at TEXT, remediated_at TEXT, verified_at TEXT,
        UNIQUE (quarter, scope)
    );
    CREATE TABLE campaign_items (
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        item_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        resource TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        flagged INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (campaign_id, item_id)
    );
    CREATE TABLE campaign_decisions (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        item_id TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('keep', 'revoke')),
        source TEXT NOT NULL CHECK (source IN ('reviewer', 'default')),
        justification TEXT NOT NULL DEFAULT '',
        decided_by TEXT NOT NULL DEFAULT '',
        decided_at TEXT NOT NULL,
        file TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX campaign_decisions_item ON campaign_decisions(campaign_id, item_id);
    CREATE TABLE campaign_deliveries (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        reviewer TEXT NOT NULL,
        kind TEXT NOT NULL,               -- send | remind | escalate | file
        recipient TEXT NOT NULL,
        at TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE campaign_remediation (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        item_id TEXT NOT NULL,
        step INTEGER NOT NULL,
        source TEXT NOT NULL,
        kind TEXT NOT NULL,
        target TEXT NOT NULL,
        params TEXT NOT NULL,
        note TEXT NOT NULL,
        status TEXT NOT NULL,             -- planned | refused | changed | unchanged | failed
        prior TEXT, after TEXT, message TEXT, applied_at TEXT
    );
    CREATE TABLE campaign_verification (
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        item_id TEXT NOT NULL,
        status TEXT NOT NULL,             -- gone | still_present
        detail TEXT NOT NULL,
        sync_runs TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (campaign_id, item_id)
    );
    """,
    # 2 (issue 16): the default decision is the campaign's own, chosen at create time (NULL for
    # campaigns created before: their close falls back to [campaigns] default); non-response is
    # recorded per item; remediation steps carry the change in words.
    """
    ALTER TABLE campaigns ADD COLUMN default_decision TEXT;
    CREATE TABLE campaign_nonresponse (
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        item_id TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        default_decision TEXT NOT NULL,   -- keep | revoke | recommendation | none
        outcome TEXT NOT NULL,            -- keep | revoke | none (nothing changed)
        recorded_by TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (campaign_id, item_id)
    );
    ALTER TABLE campaign_remediation ADD COLUMN summary TEXT NOT NULL DEFAULT '';
    """,
    # 3 (issue 17): answers say how they came (workbook or web); each reviewer's personal link
    # to the web review page, revocable and re-issuable.
    """
    ALTER TABLE campaign_decisions ADD COLUMN via TEXT NOT NULL DEFAULT '';
    CREATE TABLE campaign_links (
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        reviewer TEXT NOT NULL,
        link_id TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        issued_by TEXT NOT NULL,
        revoked_at TEXT,
        revoked_by TEXT,
        revoked_reason TEXT,              -- reissued | revoked
        PRIMARY KEY (campaign_id, link_id)
    );
    CREATE INDEX campaign_links_reviewer ON campaign_links(campaign_id, reviewer);
    """,
]


@dataclass(frozen=True)
class Campaign:
    id: int
    quarter: str
    scope: str
    state: str
    created_at: str
    due: date
    secret: str
    snapshot_runs: dict[str, int]
    closed_at: str | None
    remediated_at: str | None
    verified_at: str | None
    default_decision: str | None = (
        None  # keep | revoke | recommendation | none; None: set before issue 16
    )

    @property
    def label(self) -> str:
        return f"campaign {self.id} ({self.quarter}, {self.scope})"

    @property
    def name(self) -> str:
        """How people name a campaign: its quarter, with the scope when it is not everything."""
        return self.quarter if self.scope == "all" else f"{self.quarter} ({self.scope})"


@dataclass(frozen=True)
class NonResponse:
    item_id: str
    reviewer: str
    default_decision: str
    outcome: str  # keep | revoke | none
    recorded_by: str
    recorded_at: str


class ClosedForAnswers(AccessReviewError):
    """An answer came when the campaign no longer takes answers (closed, or closing)."""

    exit_code = 6

    def __init__(self, campaign_id: int, state: str):
        self.campaign_id, self.state = campaign_id, state
        super().__init__(
            f"campaign {campaign_id} is {state}: answers are no longer taken",
            hint="answers can be given or changed only until the review closes",
        )


@dataclass(frozen=True)
class LinkRecord:
    campaign_id: int
    reviewer: str
    link_id: str
    issued_at: str
    issued_by: str
    revoked_at: str | None
    revoked_by: str | None
    revoked_reason: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class PlanStep:
    id: int
    item_id: str
    step: int
    source: str
    kind: str
    target: str
    params: dict[str, Any]
    note: str
    status: str
    prior: dict[str, Any]
    after: dict[str, Any]
    message: str
    applied_at: str | None
    summary: str = ""  # the change in words: "Remove Zoë O'Brien's AD account zoe.obrien from …"

    @property
    def change_text(self) -> str:
        return self.summary or f"{self.kind} {self.target}" + (
            f" member {self.params['member']}" if "member" in self.params else ""
        )


class CampaignStore:
    def __init__(self, store: Store):
        self.store = store
        self.db = store.db
        store.ensure_feature_schema("campaigns", MIGRATIONS)

    # -- campaigns ------------------------------------------------------------------------
    def _campaign(self, row) -> Campaign:
        return Campaign(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            date.fromisoformat(row[5]),
            row[6],
            json.loads(row[7]),
            row[8],
            row[9],
            row[10],
            row[11],
        )

    _COLUMNS = (
        "id, quarter, scope, state, created_at, due, secret, snapshot_runs, closed_at, "
        "remediated_at, verified_at, default_decision"
    )

    def create(
        self,
        quarter: str,
        scope: str,
        due: date,
        snapshot_runs: dict[str, int],
        items: Iterable[Item],
        default_decision: str = "none",
    ) -> Campaign:
        if default_decision not in DEFAULT_DECISIONS:
            raise AccessReviewError(
                f"default decision {default_decision!r} is not one of "
                + ", ".join(DEFAULT_DECISIONS)
            )
        existing = self.db.execute(
            "SELECT id, state FROM campaigns WHERE quarter=? AND scope=?", (quarter, scope)
        ).fetchone()
        if existing:
            raise AccessReviewError(
                f"campaign {existing[0]} already covers {quarter} for {scope} (it is {existing[1]})",
                hint="use that campaign, or choose another quarter or --resource scope",
            )
        with self.store.transaction() as db:
            cur = db.execute(
                "INSERT INTO campaigns (quarter, scope, state, created_at, due, secret, snapshot_runs,"
                " default_decision) VALUES (?, ?, 'draft', ?, ?, ?, ?, ?)",
                (
                    quarter,
                    scope,
                    now_iso(),
                    due.isoformat(),
                    secrets.token_hex(32),
                    json.dumps(snapshot_runs),
                    default_decision,
                ),
            )
            campaign_id = inserted_id(cur)
            db.executemany(
                "INSERT INTO campaign_items VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        campaign_id,
                        i.item_id,
                        i.subject,
                        i.resource,
                        i.reviewer,
                        int(i.flagged),
                        json.dumps(i.to_json(), ensure_ascii=False),
                    )
                    for i in items
                ],
            )
        return self.get(campaign_id)

    def get(self, campaign_id: int) -> Campaign:
        row = self.db.execute(
            f"SELECT {self._COLUMNS} FROM campaigns WHERE id=?",  # noqa: S608 - constant column/stamp names, values bound
            (campaign_id,),
        ).fetchone()
        if row is None:
            raise AccessReviewError(
                f"no campaign {campaign_id}", hint="see `access-review campaign list`"
            )
        return self._campaign(row)

    def all(self) -> list[Campaign]:
        return [
            self._campaign(r)
            for r in self.db.execute(f"SELECT {self._COLUMNS} FROM campaigns ORDER BY id")  # noqa: S608 - constant column/stamp names, values bound
        ]

    def find(self, name: str | int) -> Campaign:
        """A campaign by id (``3``), label (``2026Q4``) or label with scope as listed
        (``2026Q4 (Payroll)``), any case; an error lists the campaigns when none or several match."""
        campaigns = self.all()
        wanted = str(name).strip()
        matches = (
            [c for c in campaigns if str(c.id) == wanted]
            or [c for c in campaigns if c.name.lower() == wanted.lower()]
            or [c for c in campaigns if c.quarter.lower() == wanted.lower()]
        )
        listing = ", ".join(f"{c.id} = {c.name}" for c in campaigns) or "none yet"
        if not matches:
            raise AccessReviewError(
                f"no campaign named {str(name)!r}", hint=f"campaigns: {listing}"
            )
        if len(matches) > 1:
            raise AccessReviewError(
                f"{str(name)!r} names {len(matches)} campaigns", hint=f"use the id: {listing}"
            )
        return matches[0]

    def current(self, campaign: str | int | None = None) -> Campaign:
        """The campaign a command means: the one named (id or label), else the latest not yet
        verified, else the latest (so a finished campaign still shows its final figures)."""
        if campaign is not None:
            return self.find(campaign)
        row = (
            self.db.execute(
                f"SELECT {self._COLUMNS} FROM campaigns WHERE state != 'verified'"  # noqa: S608 - constant column/stamp names, values bound
                " ORDER BY id DESC LIMIT 1"
            ).fetchone()
            or self.db.execute(
                f"SELECT {self._COLUMNS} FROM campaigns ORDER BY id DESC LIMIT 1"  # noqa: S608 - constant column/stamp names, values bound
            ).fetchone()
        )
        if row is None:
            raise AccessReviewError(
                "no campaign yet",
                hint="start one with `access-review campaign create --quarter 2026Q4`",
            )
        return self._campaign(row)

    def set_state(self, campaign_id: int, state: str) -> None:
        stamp = {
            "closed": "closed_at",
            "remediated": "remediated_at",
            "verified": "verified_at",
        }.get(state)
        if stamp:
            self.db.execute(
                f"UPDATE campaigns SET state=?, {stamp}=? WHERE id=?",  # noqa: S608 - constant column/stamp names, values bound
                (state, now_iso(), campaign_id),
            )
        else:
            self.db.execute("UPDATE campaigns SET state=? WHERE id=?", (state, campaign_id))

    # -- items and decisions ----------------------------------------------------------------
    def items(self, campaign_id: int, reviewer: str | None = None) -> list[Item]:
        args: list[int | str]
        sql, args = "SELECT data FROM campaign_items WHERE campaign_id=?", [campaign_id]
        if reviewer is not None:
            sql, args = sql + " AND reviewer=?", args + [reviewer]
        return [
            Item.from_json(json.loads(r[0]))
            for r in self.db.execute(sql + " ORDER BY item_id", args)
        ]

    def items_by_id(self, campaign_id: int, item_ids: Iterable[str]) -> dict[str, Item]:
        """The items named (those that exist), read by key: one answer reads one item."""
        wanted = list(dict.fromkeys(item_ids))
        out: dict[str, Item] = {}
        for start in range(0, len(wanted), 500):  # SQLite's bound-parameter limit
            chunk = wanted[start : start + 500]
            for (data,) in self.db.execute(
                f"SELECT data FROM campaign_items WHERE campaign_id=? AND item_id IN"  # noqa: S608 - placeholders only, values bound
                f" ({','.join('?' * len(chunk))})",
                [campaign_id, *chunk],
            ):
                item = Item.from_json(json.loads(data))
                out[item.item_id] = item
        return out

    def progress(self, campaign_id: int, reviewer: str) -> tuple[int, int]:
        """(items the reviewer answered, items they have), counted in SQL."""
        total = self.db.execute(
            "SELECT COUNT(*) FROM campaign_items WHERE campaign_id=? AND reviewer=?",
            (campaign_id, reviewer),
        ).fetchone()[0]
        decided = self.db.execute(
            "SELECT COUNT(DISTINCT d.item_id) FROM campaign_decisions d JOIN campaign_items i"
            " ON i.campaign_id = d.campaign_id AND i.item_id = d.item_id"
            " WHERE d.campaign_id=? AND i.reviewer=? AND d.source='reviewer'",
            (campaign_id, reviewer),
        ).fetchone()[0]
        return decided, total

    def record_decisions(
        self, campaign_id: int, decisions: Iterable[Decision], *, while_open: bool = False
    ) -> int:
        """Store answers atomically; an answer identical to the one in force is not stored
        again, so importing the same workbook twice changes nothing. Returns how many changed.

        The answers in force are read inside the write transaction (BEGIN IMMEDIATE holds the
        write lock from the start): two imports of one workbook at the same moment are
        serialized, and the second finds the first's answers and records nothing.

        ``while_open``: the campaign must still be open, checked inside that transaction — the
        web page answers from another process while the ISO may be closing the campaign, and
        an item already recorded as "no response" at close takes no late answer
        (ClosedForAnswers)."""
        decisions = list(decisions)
        changed = 0
        with self.store.transaction() as db:
            if while_open:
                self._check_open_for(db, campaign_id, [d.item_id for d in decisions])
            # Only the items answered are read: the write lock is held for as short a time as
            # the answers need (a web answer is one item), whatever the campaign's size.
            current = self.effective_decisions(campaign_id, items=[d.item_id for d in decisions])
            for d in decisions:
                now = current.get(d.item_id)
                if now and (now.source, now.decision, now.justification) == (
                    d.source,
                    d.decision,
                    d.justification,
                ):
                    continue
                db.execute(
                    "INSERT INTO campaign_decisions (campaign_id, item_id, decision, source,"
                    " justification, decided_by, decided_at, file, via) VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        campaign_id,
                        d.item_id,
                        d.decision,
                        d.source,
                        d.justification,
                        d.decided_by,
                        d.decided_at or now_iso(),
                        d.file,
                        d.via,
                    ),
                )
                changed += 1
        return changed

    @staticmethod
    def _check_open_for(db, campaign_id: int, item_ids: list[str]) -> None:
        row = db.execute("SELECT state FROM campaigns WHERE id=?", (campaign_id,)).fetchone()
        if row is None or row[0] != "open":
            raise ClosedForAnswers(campaign_id, row[0] if row else "gone")
        for start in range(0, len(item_ids), 500):
            chunk = item_ids[start : start + 500]
            if db.execute(
                f"SELECT 1 FROM campaign_nonresponse WHERE campaign_id=? AND item_id IN"  # noqa: S608 - placeholders only, values bound
                f" ({','.join('?' * len(chunk))}) LIMIT 1",
                [campaign_id, *chunk],
            ).fetchone():
                raise ClosedForAnswers(campaign_id, "closing")

    _DECISION_COLUMNS = (
        "item_id, decision, source, justification, decided_by, decided_at, file, via"
    )

    def effective_decisions(
        self, campaign_id: int, *, reviewer: str | None = None, items: Iterable[str] | None = None
    ) -> dict[str, Decision]:
        """The decision in force per item: for the whole campaign, one reviewer's items, or
        the ``items`` named."""
        sql = f"SELECT {self._DECISION_COLUMNS} FROM campaign_decisions WHERE campaign_id=?"  # noqa: S608 - constant column names, values bound
        args: list = [campaign_id]
        if reviewer is not None:
            sql += " AND item_id IN (SELECT item_id FROM campaign_items WHERE campaign_id=? AND reviewer=?)"
            args += [campaign_id, reviewer]
        wanted = None if items is None else list(dict.fromkeys(items))
        recorded: dict[str, list[Decision]] = {}
        if wanted is not None:
            for start in range(0, len(wanted), 500):  # SQLite's bound-parameter limit
                chunk = wanted[start : start + 500]
                for row in self.db.execute(
                    sql + f" AND item_id IN ({','.join('?' * len(chunk))}) ORDER BY id",
                    args + chunk,
                ):
                    recorded.setdefault(row[0], []).append(Decision(*row))
        else:
            for row in self.db.execute(sql + " ORDER BY id", args):
                recorded.setdefault(row[0], []).append(Decision(*row))
        return {item: d for item, lst in recorded.items() if (d := effective_decision(lst))}

    # -- non-response -----------------------------------------------------------------------
    def record_nonresponse(
        self, campaign_id: int, rows: Iterable[NonResponse], defaults: Iterable[Decision]
    ) -> tuple[list[NonResponse], list[Decision]]:
        """At close, in one transaction: each unanswered item's "no response → default X", and
        the default decisions that follow from it (keep or revoke; none for "no action").
        Returns what was recorded."""
        rows, defaults = list(rows), list(defaults)
        with self.store.transaction() as db:
            # An answer that arrived (from the web page) after the caller looked is an answer,
            # not a non-response.
            late = {
                r[0]
                for r in db.execute(
                    "SELECT DISTINCT item_id FROM campaign_decisions WHERE campaign_id=?"
                    " AND source='reviewer'",
                    (campaign_id,),
                )
            }
            rows = [r for r in rows if r.item_id not in late]
            defaults = [d for d in defaults if d.item_id not in late]
            db.executemany(
                "INSERT INTO campaign_nonresponse VALUES (?,?,?,?,?,?,?)",
                [
                    (
                        campaign_id,
                        r.item_id,
                        r.reviewer,
                        r.default_decision,
                        r.outcome,
                        r.recorded_by,
                        r.recorded_at,
                    )
                    for r in rows
                ],
            )
            db.executemany(
                "INSERT INTO campaign_decisions (campaign_id, item_id, decision, source, justification,"
                " decided_by, decided_at, file) VALUES (?,?,?,?,?,?,?,?)",
                [
                    (
                        campaign_id,
                        d.item_id,
                        d.decision,
                        d.source,
                        d.justification,
                        d.decided_by,
                        d.decided_at or now_iso(),
                        d.file,
                    )
                    for d in defaults
                ],
            )
        return rows, defaults

    def nonresponse(self, campaign_id: int) -> dict[str, NonResponse]:
        return {
            r[0]: NonResponse(*r)
            for r in self.db.execute(
                "SELECT item_id, reviewer, default_decision, outcome, recorded_by, recorded_at"
                " FROM campaign_nonresponse WHERE campaign_id=?",
                (campaign_id,),
            )
        }

    # -- personal links to the web review page ------------------------------------------------
    _LINK_COLUMNS = "campaign_id, reviewer, link_id, issued_at, issued_by, revoked_at, revoked_by, revoked_reason"

    def issue_link(
        self,
        campaign_id: int,
        reviewer: str,
        link_id: str,
        issued_by: str,
        *,
        replace_reason: str = "reissued",
    ) -> LinkRecord:
        """A new link for ``reviewer``; any link of theirs still active is revoked with it, in
        one transaction (a reviewer has at most one working link per campaign)."""
        now = now_iso()
        with self.store.transaction() as db:
            db.execute(
                "UPDATE campaign_links SET revoked_at=?, revoked_by=?, revoked_reason=?"
                " WHERE campaign_id=? AND reviewer=? AND revoked_at IS NULL",
                (now, issued_by, replace_reason, campaign_id, reviewer),
            )
            db.execute(
                "INSERT INTO campaign_links (campaign_id, reviewer, link_id, issued_at, issued_by)"
                " VALUES (?,?,?,?,?)",
                (campaign_id, reviewer, link_id, now, issued_by),
            )
        return LinkRecord(campaign_id, reviewer, link_id, now, issued_by, None, None, None)

    def revoke_links(
        self, campaign_id: int, reviewer: str, revoked_by: str, reason: str = "revoked"
    ) -> int:
        with self.store.transaction() as db:
            return db.execute(
                "UPDATE campaign_links SET revoked_at=?, revoked_by=?, revoked_reason=?"
                " WHERE campaign_id=? AND reviewer=? AND revoked_at IS NULL",
                (now_iso(), revoked_by, reason, campaign_id, reviewer),
            ).rowcount

    def link(self, campaign_id: int, link_id: str) -> LinkRecord | None:
        row = self.db.execute(
            f"SELECT {self._LINK_COLUMNS} FROM campaign_links WHERE campaign_id=? AND link_id=?",  # noqa: S608 - constant column names, values bound
            (campaign_id, link_id),
        ).fetchone()
        return LinkRecord(*row) if row else None

    def links(self, campaign_id: int) -> list[LinkRecord]:
        return [
            LinkRecord(*r)
            for r in self.db.execute(
                f"SELECT {self._LINK_COLUMNS} FROM campaign_links WHERE campaign_id=? ORDER BY issued_at, link_id",  # noqa: S608 - constant column names, values bound
                (campaign_id,),
            )
        ]

    def active_link(self, campaign_id: int, reviewer: str) -> LinkRecord | None:
        row = self.db.execute(
            f"SELECT {self._LINK_COLUMNS} FROM campaign_links WHERE campaign_id=? AND reviewer=?"  # noqa: S608 - constant column names, values bound
            " AND revoked_at IS NULL ORDER BY issued_at DESC LIMIT 1",
            (campaign_id, reviewer),
        ).fetchone()
        return LinkRecord(*row) if row else None

    # -- deliveries -------------------------------------------------------------------------
    def record_delivery(
        self, campaign_id: int, reviewer: str, kind: str, recipient: str, detail: str = ""
    ) -> None:
        self.db.execute(
            "INSERT INTO campaign_deliveries (campaign_id, reviewer, kind, recipient, at, detail)"
            " VALUES (?,?,?,?,?,?)",
            (campaign_id, reviewer, kind, recipient, now_iso(), detail),
        )

    def deliveries(self, campaign_id: int) -> list[tuple[str, str, str, str, str]]:
        return list(
            self.db.execute(
                "SELECT reviewer, kind, recipient, at, detail FROM campaign_deliveries"
                " WHERE campaign_id=? ORDER BY id",
                (campaign_id,),
            )
        )

    # -- remediation ------------------------------------------------------------------------
    def save_plan(self, campaign_id: int, steps: Iterable[dict]) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM campaign_remediation WHERE campaign_id=?", (campaign_id,))
            db.executemany(
                "INSERT INTO campaign_remediation (campaign_id, item_id, step, source, kind, target, params,"
                " note, status, message, summary) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        campaign_id,
                        s["item_id"],
                        s["step"],
                        s["source"],
                        s["kind"],
                        s["target"],
                        json.dumps(s["params"], sort_keys=True),
                        s["note"],
                        s["status"],
                        s.get("message", ""),
                        s.get("summary", ""),
                    )
                    for s in steps
                ],
            )

    def plan(self, campaign_id: int) -> list[PlanStep]:
        rows = self.db.execute(
            "SELECT id, item_id, step, source, kind, target, params, note, status, prior, after, message,"
            " applied_at, summary FROM campaign_remediation WHERE campaign_id=? ORDER BY item_id, step",
            (campaign_id,),
        )
        return [
            PlanStep(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                json.loads(r[6]),
                r[7],
                r[8],
                json.loads(r[9]) if r[9] else {},
                json.loads(r[10]) if r[10] else {},
                r[11] or "",
                r[12],
                r[13] or "",
            )
            for r in rows
        ]

    def record_result(
        self, step_id: int, status: str, prior: dict, after: dict, message: str
    ) -> None:
        self.db.execute(
            "UPDATE campaign_remediation SET status=?, prior=?, after=?, message=?, applied_at=?"
            " WHERE id=?",
            (
                status,
                json.dumps(prior, default=str),
                json.dumps(after, default=str),
                message,
                now_iso(),
                step_id,
            ),
        )

    # -- verification -----------------------------------------------------------------------
    def save_verification(
        self, campaign_id: int, rows: Iterable[tuple[str, str, str]], sync_runs: dict[str, int]
    ) -> None:
        with self.store.transaction() as db:
            db.executemany(
                "INSERT INTO campaign_verification VALUES (?,?,?,?,?,?) ON CONFLICT(campaign_id, item_id)"
                " DO UPDATE SET status=excluded.status, detail=excluded.detail,"
                " sync_runs=excluded.sync_runs, at=excluded.at",
                [
                    (campaign_id, item, status, detail, json.dumps(sync_runs), now_iso())
                    for item, status, detail in rows
                ],
            )

    def verification(self, campaign_id: int) -> dict[str, tuple[str, str]]:
        return {
            r[0]: (r[1], r[2])
            for r in self.db.execute(
                "SELECT item_id, status, detail FROM campaign_verification WHERE campaign_id=?",
                (campaign_id,),
            )
        }

    def previous_decisions(self, before_campaign: int | None = None) -> dict[tuple[str, str], str]:
        """For each (subject, resource), the answer in the latest earlier campaign, as context:
        "kept in 2026Q3 by Dana Lee: covers for the nurse"."""
        out: dict[tuple[str, str], str] = {}
        for c in self.all():
            if before_campaign is not None and c.id >= before_campaign:
                continue
            items = {i.item_id: i for i in self.items(c.id)}
            for item_id, r in self.nonresponse(c.id).items():
                if r.outcome == "none" and item_id in items:
                    unanswered = items[item_id]
                    out[(unanswered.subject, unanswered.resource)] = (
                        f"not answered in {c.quarter}; left as it was (no action)"
                    )
            for item_id, d in self.effective_decisions(c.id).items():
                item = items.get(item_id)
                if item is None:
                    continue
                verb = "kept" if d.decision == "keep" else "revoked"
                if d.source == "reviewer":
                    text = f"{verb} in {c.quarter} by {item.reviewer_name}" + (
                        f": {d.justification}" if d.justification else ""
                    )
                else:
                    text = f"not answered in {c.quarter}; {verb} by default"
                out[(item.subject, item.resource)] = text
        return out
