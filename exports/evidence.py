"""A campaign's evidence pack: what an auditor asks for, in files that show they are untampered.

The pack holds every item with its reviewer, decision, justification and time, and whether the
reviewer answered ("no response → default X" when not); the defaults applied at close; each
remediation action with its result; the verification results; the snapshot times the campaign
reviewed; the audit-log entries for the campaign with their hash chain; and decided /
defaulted / unanswered per reviewer and for the campaign. ``VERIFICATION.txt`` states what the
tool checked when it wrote the pack, the audit log's anchor (``HASH:COUNT``, its head outside
the store) and how to re-check both; ``MANIFEST.sha256`` (``sha256sum -c`` format) and
``manifest.json`` give the SHA-256 of every other file, and the manifest's own digest goes into
the audit log.

Audit entries between the campaign's first and last are all listed so that the chain can be
followed link by link; entries about other matters keep their hashes but not their details
(those may be about someone else's suspension), so only the campaign's own entries can be
recomputed from their content.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from access_review import audit
from access_review.store import Store

from access_review.private_files import atomic_folder, write_private_file
from .cells import json_value
from .feature_views import CampaignView
from .sheet import Column, Sheet, sheet_csv_bytes, sheets_json

WITHHELD = "(another matter: details withheld; hash kept for the chain)"
CAMPAIGN_DETAIL_KEYS = ("campaign", "campaign_id", "campaign_name")


@dataclass(frozen=True)
class AuditLine:
    seq: int
    at: str
    actor: str
    action: str
    about_campaign: bool
    details_json: str  # exactly the text the hash covers, or WITHHELD
    prev_hash: str
    hash: str
    recomputed_ok: bool | None  # None when the details are withheld


@dataclass(frozen=True)
class EvidencePack:
    campaign: CampaignView
    sheets: tuple[Sheet, ...]
    audit_lines: tuple[AuditLine, ...]
    chain_ok: bool  # the whole audit log verified when the pack was built
    chain_problem: str
    chain_entries: int
    head_seq: int
    head_hash: str
    built_at: datetime

    @property
    def anchor(self) -> str:
        """``HASH:COUNT``: what ``access-review audit verify --expect`` checks the log still holds."""
        return str(audit.Anchor(self.head_hash, self.head_seq))


@dataclass(frozen=True)
class Manifest:
    files: dict[str, str]  # file name -> sha256
    digest: str  # sha256 of MANIFEST.sha256 itself


def is_campaign_entry(entry: audit.AuditEntry, campaign: CampaignView) -> bool:
    wanted = {str(campaign.id), campaign.name}
    return any(
        str(entry.details.get(k)) in wanted for k in CAMPAIGN_DETAIL_KEYS if k in entry.details
    )


def collect_audit_lines(store: Store, campaign: CampaignView) -> tuple[AuditLine, ...]:
    everything = audit.entries(store)
    mine = [e.seq for e in everything if is_campaign_entry(e, campaign)]
    if not mine:
        return ()
    matches = audit.entry_checker(store)  # keyed hashes: recomputed with the audit key
    lines = []
    for e in everything:
        if e.seq < mine[0] or e.seq > mine[-1]:
            continue
        about = e.seq in mine or is_campaign_entry(e, campaign)
        text = e.details_text  # exactly what was hashed
        ok = matches(e) if about else None
        lines.append(
            AuditLine(
                e.seq,
                e.at,
                e.actor,
                e.action,
                about,
                text if about else WITHHELD,
                e.prev_hash,
                e.hash,
                ok,
            )
        )
    return tuple(lines)


def _item_sheets(c: CampaignView) -> list[Sheet]:
    items = Sheet(
        "Items",
        (
            Column("Item"),
            Column("Person"),
            Column("Employee ID"),
            Column("Account"),
            Column("Resource"),
            Column("Classification"),
            Column("Path"),
            Column("Flags"),
            Column("Recommendation"),
            Column("Reviewer"),
            Column("Decision"),
            Column("Decision source"),
            Column("Justification"),
            Column("Decided by"),
            Column("Decided at (UTC)", "datetime"),
            Column("Response"),
            Column("Answered via"),
        ),
        tuple(
            (
                i.item_id,
                i.person,
                i.employee_id,
                i.account,
                i.resource,
                i.classification,
                i.path,
                list(i.flags),
                i.recommendation,
                i.reviewer,
                i.decision or "undecided",
                i.decision_source,
                i.justification,
                i.decided_by,
                i.decided_at,
                i.response_text,
                i.via,
            )
            for i in c.items
        ),
    )
    defaults = Sheet(
        "Defaults applied",
        (
            Column("Item"),
            Column("Person"),
            Column("Resource"),
            Column("Reviewer"),
            Column("Decision"),
            Column("Justification"),
            Column("Applied at (UTC)", "datetime"),
        ),
        tuple(
            (i.item_id, i.person, i.resource, i.reviewer, i.decision, i.justification, i.decided_at)
            for i in c.items
            if i.decision_source == "default"
        ),
        empty_note="no defaults were applied",
    )
    remediation = Sheet(
        "Remediation",
        (
            Column("Item"),
            Column("Person"),
            Column("Resource"),
            Column("Decision"),
            Column("Action"),
            Column("Result"),
            Column("Message"),
        ),
        tuple(
            (
                i.item_id,
                i.person,
                i.resource,
                i.decision,
                i.action,
                i.action_result,
                i.action_message,
            )
            for i in c.items
            if i.action or i.action_result
        ),
        empty_note="no remediation actions",
    )
    verification = Sheet(
        "Verification",
        (
            Column("Item"),
            Column("Person"),
            Column("Resource"),
            Column("Decision"),
            Column("Action result"),
            Column("Verification"),
        ),
        tuple(
            (i.item_id, i.person, i.resource, i.decision, i.action_result, i.verification)
            for i in c.items
            if i.verification
        ),
        empty_note="not verified yet",
    )
    snapshots = Sheet(
        "Snapshots reviewed",
        (Column("Source"), Column("Snapshot time (UTC)", "datetime")),
        tuple((source, when) for source, when in sorted(c.snapshot_times.items())),
    )
    return [items, defaults, remediation, verification, snapshots]


def _responses_sheet(c: CampaignView) -> Sheet:
    """Who answered, per reviewer and for the campaign: non-response shown, never folded in."""
    rows = tuple(
        (
            r.reviewer,
            r.items,
            r.decided,
            r.defaulted,
            r.unanswered,
            r.revoked,
            r.flagged,
            r.flagged_kept,
        )
        for r in (*c.responses, *([c.totals] if c.totals else ()))
    )
    return Sheet(
        "Responses by reviewer",
        (
            Column("Reviewer"),
            Column("Items", "number"),
            Column("Decided by the reviewer", "number"),
            Column("No response, default applied", "number"),
            Column("No response, nothing decided", "number"),
            Column("Revoked", "number"),
            Column("Flagged", "number"),
            Column("Flagged kept by the reviewer", "number"),
        ),
        rows,
        empty_note="the campaign has no items",
    )


def _audit_sheet(lines: tuple[AuditLine, ...]) -> Sheet:
    return Sheet(
        "Audit log",
        (
            Column("Seq", "number"),
            Column("At (UTC)"),
            Column("Actor"),
            Column("Action"),
            Column("About this campaign"),
            Column("Details (hashed text)"),
            Column("Previous hash"),
            Column("Hash"),
            Column("Hash recomputed"),
        ),
        tuple(
            (
                x.seq,
                x.at,
                x.actor,
                x.action,
                x.about_campaign,
                x.details_json,
                x.prev_hash,
                x.hash,
                "" if x.recomputed_ok is None else ("ok" if x.recomputed_ok else "MISMATCH"),
            )
            for x in lines
        ),
        empty_note="no audit entries name this campaign",
    )


def build_evidence_pack(store: Store, campaign: CampaignView) -> EvidencePack:
    verified = audit.verify(store)
    lines = collect_audit_lines(store, campaign)
    head = audit.anchor(store)
    chain_ok = verified.ok and all(x.recomputed_ok is not False for x in lines) and _links_ok(lines)
    problem = verified.problem or (
        "" if chain_ok else "an entry of this campaign does not match its hash"
    )
    return EvidencePack(
        campaign,
        (*_item_sheets(campaign), _audit_sheet(lines), _responses_sheet(campaign)),
        lines,
        chain_ok,
        problem,
        verified.entries,
        head.entries or 0,
        head.hash,
        datetime.now(timezone.utc),
    )


def _links_ok(lines: tuple[AuditLine, ...]) -> bool:
    return all(b.prev_hash == a.hash and b.seq == a.seq + 1 for a, b in zip(lines, lines[1:]))


def verification_statement(pack: EvidencePack) -> str:
    c = pack.campaign
    mine = [x for x in pack.audit_lines if x.about_campaign]
    verdict = (
        "INTACT: every entry's hash was recomputed and every link followed; no entry was altered,"
        " removed or reordered."
        if pack.chain_ok
        else f"NOT VERIFIED: {pack.chain_problem}"
    )
    return "\n".join(
        [
            f"Evidence pack for campaign {c.name} (id {c.id}, state {c.state_text})",
            *([c.default_text] if c.default_text else []),
            f"Written {pack.built_at.isoformat(timespec='seconds')} by access-review.",
            "",
            f"Audit log at that time: {pack.chain_entries} entries, head entry {pack.head_seq} with hash",
            f"  {pack.head_hash}",
            f"Audit anchor (the log's head, kept here outside the store): {pack.anchor}",
            f"Hash chain of the whole log: {verdict}",
            f"Entries about this campaign: {len(mine)}"
            + (
                f" (seq {mine[0].seq} to {mine[-1].seq}); the audit-log file lists every entry in that range."
                if mine
                else "."
            ),
            "",
            "How to re-check:",
            "  1. sha256sum -c MANIFEST.sha256   (every file of this pack is as written)",
            "  2. Each listed entry's previous hash equals the hash of the entry listed before it.",
            "  3. Each hash is an HMAC-SHA256, under the district's audit key, of the UTF-8 text of the compact",
            '     JSON array [previous hash, seq, at, actor, action, details]  (separators "," and ":", no ASCII',
            "     escaping; details is the 'Details (hashed text)' column exactly). The key never leaves the",
            "     ISO's keeping, so that no one who can edit the store can re-hash it: ask the ISO to run",
            f"       access-review audit verify --expect {pack.anchor}",
            "     in front of you. It recomputes every hash with the key, checks the log's sealed head, and",
            "     confirms the log still holds this pack's anchor (nothing before it was cut or rewritten).",
            "  4. The audit log records this pack's manifest digest under the action export.evidence.",
            "",
        ]
    )


def _pack_files(pack: EvidencePack, format: str) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    if format == "csv":
        for index, sheet in enumerate(pack.sheets, start=1):
            files[f"{index:02d}-{sheet.file_stem}.csv"] = sheet_csv_bytes(sheet)
    else:
        c = pack.campaign
        document = {
            "campaign": {
                "id": c.id,
                "name": c.name,
                "state": c.state,
                "status": c.state_text,
                "default_decision": c.default_decision,
                "created_at": json_value(c.created_at),
                "due": json_value(c.due),
            },
            "audit_chain": {
                "ok": pack.chain_ok,
                "problem": pack.chain_problem,
                "entries": pack.chain_entries,
                "head_seq": pack.head_seq,
                "head_hash": pack.head_hash,
                "anchor": pack.anchor,
            },
            **sheets_json(pack.sheets),
        }
        files["evidence.json"] = json.dumps(
            document, indent=2, ensure_ascii=False, default=str
        ).encode("utf-8")
    files["VERIFICATION.txt"] = verification_statement(pack).encode("utf-8")
    return files


def write_evidence_pack(pack: EvidencePack, folder: str | Path, *, format: str = "csv") -> Manifest:
    files = _pack_files(pack, format)
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}
    sums = "".join(f"{digest}  {name}\n" for name, digest in digests.items()).encode("utf-8")
    listing = json.dumps(
        {
            "campaign": pack.campaign.name,
            "algorithm": "sha256",
            "files": [{"name": n, "bytes": len(files[n]), "sha256": d} for n, d in digests.items()],
        },
        indent=2,
        ensure_ascii=False,
    ).encode("utf-8")
    with atomic_folder(folder) as tmp:
        for name, data in files.items():
            write_private_file(tmp, name, data)
        write_private_file(tmp, "manifest.json", listing)
        write_private_file(tmp, "MANIFEST.sha256", sums)
    return Manifest(digests, hashlib.sha256(sums).hexdigest())
