"""`access-review export ...`: the superintendent workbook and a campaign's evidence pack.

Registered into the main CLI by ``access_review/cli/app.py`` through ``register``.
"""

import hashlib
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

from access_review.cli.common import (
    ConfigOption,
    command,
    command_group,
    console,
    load_config,
    open_store,
    safe,
)
from access_review.errors import AccessReviewError

SUPERINTENDENT_FORMATS = ("xlsx", "pdf", "csv", "json")
EVIDENCE_FORMATS = ("csv", "json")


def _parse_as_of(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise AccessReviewError(f"--today {text!r} is not a date like 2026-11-28") from None


def _file_digest(path: Path) -> str:
    if path.is_dir():
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def register(app: typer.Typer) -> None:
    export_app = command_group("Spreadsheets and evidence files for people outside the tool.")
    app.add_typer(export_app, name="export")

    @command(export_app, "superintendent")
    def export_superintendent(
        out: Annotated[
            Path,
            typer.Option(
                "--out",
                "-o",
                help="The .xlsx file (a .pdf for pdf; a folder for csv; a .json file for json).",
            ),
        ],
        format: Annotated[
            str,
            typer.Option(
                "--format",
                "-f",
                help="xlsx (the full report), pdf (the board brief: first page and trend), csv (one file per sheet) or json.",
            ),
        ] = "xlsx",
        as_of: Annotated[
            Optional[str],
            typer.Option(
                "--today",
                metavar="DATE",
                help="Evaluate as of this date (YYYY-MM-DD; default: today).",
            ),
        ] = None,
        config: ConfigOption = None,
    ) -> None:
        """The superintendent's report: a one-page policy scorecard with what needs a decision,
        the trend, the review's results, then the detail. Records this quarter's figures for
        the trend. Written owner-only and atomically."""
        from access_review import audit
        from access_review.analysis import analyse

        from .board_brief import write_board_brief
        from .history import record_quarter
        from .superintendent import (
            build_superintendent_report,
            quarter_record,
            read_report_inputs,
            write_csv_folder,
            write_json,
        )
        from .superintendent_xlsx import write_workbook

        if format not in SUPERINTENDENT_FORMATS:
            raise AccessReviewError(f"unknown format {format!r}", hint="use xlsx, pdf, csv or json")
        cfg = load_config(config)
        with open_store(cfg) as store:
            a = analyse(cfg, store, today=_parse_as_of(as_of))
            if not a.snapshots:
                raise AccessReviewError(
                    "no complete snapshot of any source yet", hint="run `access-review sync`"
                )
            report = build_superintendent_report(a, read_report_inputs(store, a))
            if format == "xlsx":
                write_workbook(report, out)
            elif format == "pdf":
                write_board_brief(report, out)
            elif format == "csv":
                write_csv_folder(report, out)
            else:
                write_json(report, out)
            # The last report built in a quarter stands for it in the trend (exports/history.py).
            record_quarter(store, quarter_record(report))
            # Who took confidential data out of the tool, and which file it was.
            audit.append(
                store,
                "export.superintendent",
                {
                    "out": str(out),
                    "format": format,
                    "as_of": report.figures["as_of"],
                    "quarter": report.scorecard.quarter,
                    "sha256": _file_digest(out),
                    "findings": report.figures["findings_total"],
                },
            )
        console.print(
            f"Wrote {safe(out)} ({safe(format)}, as of {report.figures['as_of']}); it holds confidential"
            " data and is readable only by you.",
            highlight=False,
            soft_wrap=True,
        )

    @command(export_app, "evidence")
    def export_evidence(
        campaign: Annotated[str, typer.Option("--campaign", help="Campaign name (or id).")],
        out: Annotated[
            Path, typer.Option("--out", "-o", help="A new (or empty) folder for the pack.")
        ],
        format: Annotated[str, typer.Option("--format", "-f", help="csv or json.")] = "csv",
        config: ConfigOption = None,
    ) -> None:
        """A campaign's evidence pack for an auditor: items, decisions, defaults, remediation,
        verification, snapshot times and the audit-log entries with their hash chain,
        with a SHA-256 manifest."""
        from access_review import audit

        from .evidence import build_evidence_pack, write_evidence_pack
        from .feature_views import read_campaign_by_name

        if format not in EVIDENCE_FORMATS:
            raise AccessReviewError(f"unknown format {format!r}", hint="use csv or json")
        cfg = load_config(config)
        with open_store(cfg) as store:
            view = read_campaign_by_name(store, campaign)
            pack = build_evidence_pack(store, view)
            manifest = write_evidence_pack(pack, out, format=format)
            audit.append(
                store,
                "export.evidence",
                {
                    "campaign": view.name,
                    "campaign_id": view.id,
                    "out": str(out),
                    "format": format,
                    "manifest_sha256": manifest.digest,
                    "files": len(manifest.files),
                },
            )
        console.print(
            f"Wrote the evidence pack for campaign {safe(view.name)} to {safe(out)}: {len(manifest.files)} files,"
            f" audit chain {'verified' if pack.chain_ok else 'NOT VERIFIED'}.",
            highlight=False,
            soft_wrap=True,
        )
        if not pack.chain_ok:
            raise typer.Exit(7)
