"""The audit log's anchor on the superintendent report's Summary: the log's head (hash and
entry count) kept outside the store, with whether the log verified when the report was made.

A report that went to the board is a copy the ISO cannot quietly change; ``access-review audit
verify --expect HASH:COUNT`` later checks that the log still holds that head, so cutting the log
back or swapping the store for an older copy is caught (access_review/audit.py).

Added as rows of their own at the end of the Summary, so the report's builder
(``superintendent.py``) needs no change to carry them.
"""
from __future__ import annotations

from dataclasses import replace

from access_review.audit import Anchor, VerifyResult

from .sheet import Sheet
from .superintendent import SuperintendentReport

SECTION = "Audit log"


def build_anchor_rows(anchor: Anchor, verified: VerifyResult) -> tuple[tuple[str, str, object], ...]:
    verdict = "intact (keyed hash chain and sealed head verified)" if verified.ok else f"NOT VERIFIED: {verified.problem}"
    # The label carries the command, so that the value (66 characters) fits a printed page.
    return ((SECTION, "Entries when this report was made", anchor.entries or 0),
            (SECTION, "Hash chain", verdict),
            (SECTION, "Anchor: check later with  access-review audit verify --expect ANCHOR", str(anchor)))


def with_audit_anchor(report: SuperintendentReport, anchor: Anchor, verified: VerifyResult) -> SuperintendentReport:
    summary: Sheet = report.summary
    return replace(report, summary=replace(summary, rows=summary.rows + build_anchor_rows(anchor, verified)))
