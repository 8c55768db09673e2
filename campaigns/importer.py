"""Reading returned review workbooks.

A workbook is accepted whole or not at all: every row is checked first (campaign and
reviewer stamp, each item key's signature, the read-only cells against the signed original
values, the decision value, a justification for keeping a flagged item) and only a workbook
with no problem has its decisions recorded. Rows may come back reordered, sorted or filtered;
blank decisions are simply not answered yet (a partial return), and importing the same
workbook again records nothing new.
"""
from __future__ import annotations

import hmac
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook

from access_review.errors import InputError

from .model import Decision
from .store import Campaign, CampaignStore
from .workbook import (CHECK_SHEET, DECISION_HEADER, HEADERS, JUSTIFICATION_HEADER, KEY_HEADER,
                       READ_ONLY_COLUMNS, REVIEW_SHEET, item_key, row_values, stamp_signature,
                       values_signature)


@dataclass(frozen=True)
class ImportResult:
    path: str
    reviewer: str
    answered: int        # rows with a decision in the workbook
    recorded: int        # decisions that changed what was stored
    undecided: int
    decisions: dict[str, str]   # item id -> keep | revoke, as answered in this workbook


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def read_decisions(path: Path, campaign: Campaign, cstore: CampaignStore) -> tuple[str, list[Decision], int]:
    """Check a returned workbook against ``campaign``; (reviewer, decisions, undecided) or
    InputError naming the file, row and reason."""
    where = str(path)
    try:
        wb = load_workbook(path, data_only=False)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(where, f"not a review workbook that can be read ({exc})") from None
    if REVIEW_SHEET not in wb.sheetnames or CHECK_SHEET not in wb.sheetnames:
        raise InputError(where, f"not a review workbook: it has no {REVIEW_SHEET!r} and {CHECK_SHEET!r} sheets",
                         hint="return the workbook that was sent, with its sheets as they were")
    check = wb[CHECK_SHEET]
    stamp = [_text(c.value) for c in check[1]][:5]
    if len(stamp) < 5 or stamp[0] != "campaign" or stamp[2] != "reviewer":
        raise InputError(where, "the workbook's campaign stamp is missing", hint="return the workbook that was sent")
    stamped_campaign, reviewer, stamp_sig = stamp[1], stamp[3], stamp[4]
    if stamped_campaign != str(campaign.id):
        raise InputError(where, f"this workbook belongs to campaign {stamped_campaign}, not to {campaign.label}",
                         hint=f"import it with --campaign {stamped_campaign}, or send the reviewer the right workbook")
    if not hmac.compare_digest(stamp_sig, stamp_signature(campaign.secret, campaign.id, reviewer)):
        raise InputError(where, "the workbook's campaign/reviewer stamp was altered")
    originals: dict[str, list[str]] = {}
    for row in check.iter_rows(min_row=2, values_only=True):
        item_id, values_json, sig = (_text(v) for v in (list(row) + [None] * 3)[:3])
        if not item_id:
            continue
        try:
            values = json.loads(values_json)
        except ValueError:
            values = None
        if values is None or not hmac.compare_digest(
                sig, values_signature(campaign.secret, campaign.id, reviewer, item_id, values)):
            raise InputError(where, f"the hidden check sheet was altered (item {item_id})",
                             hint="return the workbook that was sent")
        originals[item_id] = values

    ws = wb[REVIEW_SHEET]
    header = [_text(c.value).strip() for c in ws[1]]
    if header[:len(HEADERS)] != list(HEADERS):
        raise InputError(where, "the Review sheet's columns were changed", row=1,
                         hint="do not insert, delete or move columns")
    items = {i.item_id: i for i in cstore.items(campaign.id)}
    decision_col = HEADERS.index(DECISION_HEADER)
    justification_col = HEADERS.index(JUSTIFICATION_HEADER)
    seen: dict[str, int] = {}
    decisions: list[Decision] = []
    undecided = 0
    for row_number, row in enumerate(ws.iter_rows(min_row=2, values_only=True), 2):
        cells = [_text(v) for v in (list(row) + [None] * len(HEADERS))[:len(HEADERS)]]
        if not any(c.strip() for c in cells):
            continue
        key = cells[0].strip()
        parts = key.split("/")
        if len(parts) != 3:
            raise InputError(where, "the item key is missing or altered", row=row_number, column=KEY_HEADER)
        key_campaign, item_id, _ = parts
        if key_campaign != str(campaign.id):
            raise InputError(where, f"the row belongs to campaign {key_campaign}", row=row_number, column=KEY_HEADER)
        if not hmac.compare_digest(key, item_key(campaign.secret, campaign.id, reviewer, item_id)):
            item = items.get(item_id)
            if item is not None and item.reviewer != reviewer and hmac.compare_digest(
                    key, item_key(campaign.secret, campaign.id, item.reviewer, item_id)):
                raise InputError(where, f"item {item_id} belongs to another reviewer's workbook",
                                 row=row_number, column=KEY_HEADER)
            raise InputError(where, "the item key was altered", row=row_number, column=KEY_HEADER)
        item = items.get(item_id)
        if item is None or item.reviewer != reviewer:
            raise InputError(where, f"item {item_id} is not {reviewer}'s to review", row=row_number,
                             column=KEY_HEADER)
        if item_id in seen:
            raise InputError(where, f"item {item_id} appears twice (also row {seen[item_id]})", row=row_number)
        seen[item_id] = row_number
        expected = originals.get(item_id)
        current = row_values(item)
        for index, (column, _) in enumerate(READ_ONLY_COLUMNS):
            got = cells[index + 1]
            if expected is None or got != expected[index] or got != current[index]:
                raise InputError(where, f"the {column} cell was edited (it should read "
                                        f"{current[index]!r}); only Decision and Justification may change",
                                 row=row_number, column=column)
        raw_decision = cells[decision_col].strip()
        justification = cells[justification_col].strip()
        if not raw_decision:
            undecided += 1
            continue
        decision = raw_decision.lower()
        if decision not in ("keep", "revoke"):
            raise InputError(where, f"decision {raw_decision!r} is not Keep or Revoke", row=row_number,
                             column=DECISION_HEADER)
        if decision == "keep" and item.flagged and not justification:
            raise InputError(where, f"Keep on a flagged item ({item.flag_text}) needs a justification",
                             row=row_number, column=JUSTIFICATION_HEADER)
        decisions.append(Decision(item_id, decision, "reviewer", justification,
                                  decided_by=item.reviewer_name, file=Path(path).name))
    return reviewer, decisions, undecided


def import_workbook(path: Path, campaign: Campaign, cstore: CampaignStore) -> ImportResult:
    reviewer, decisions, undecided = read_decisions(path, campaign, cstore)
    recorded = cstore.record_decisions(campaign.id, decisions)
    return ImportResult(str(path), reviewer, len(decisions), recorded, undecided,
                        {d.item_id: d.decision for d in decisions})
