"""Writes a generated demo district to a folder: the files a district would have
(roster.csv, inventory.xlsx with sheets Resources / Apps / Holds), the demo directories'
state file, and an access-review.toml that wires them together."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ..private_files import make_private_folder, open_private
from .generator import DemoDistrict
from .governance import APPS_COLUMNS, HOLDS_COLUMNS, INVENTORY_COLUMNS
from .names import STUDENT_DOMAIN

ROSTER_COLUMNS = (
    "employee_id",
    "name",
    "email",
    "title",
    "department",
    "building",
    "person_type",
    "status",
    "status_date",
    "training_date",
    "aliases",
)
CONFIG_NAME = "access-review.toml"
ROSTER_NAME = "roster.csv"
INVENTORY_NAME = "inventory.xlsx"
STATE_NAME = "demo-directory.db"


def write_demo(directory: Path, district: DemoDistrict) -> Path:
    """Write every demo file into ``directory`` (created owner-only if needed), each readable only
    by its owner like everything the tool writes; return the config path."""
    directory = make_private_folder(directory)
    write_roster(directory / ROSTER_NAME, district)
    write_inventory(directory / INVENTORY_NAME, district)
    # The state file's format lives in the core's demo package; the demo connector imports it
    # to read the file back. Imported here so that importing the generator alone does not load it.
    from .state_file import write_state

    write_state(directory / STATE_NAME, district.snapshots)
    config = directory / CONFIG_NAME
    with open_private(config, "w", encoding="utf-8") as handle:
        handle.write(build_config_text(district))
    return config


def write_roster(path: Path, district: DemoDistrict) -> None:
    with open_private(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ROSTER_COLUMNS)
        for p in district.roster:
            writer.writerow(
                (
                    p.employee_id,
                    p.name,
                    p.email or "",
                    p.title,
                    p.department,
                    p.building,
                    p.person_type,
                    p.status,
                    p.status_date.isoformat() if p.status_date else "",
                    p.training_date.isoformat() if p.training_date else "",
                    ";".join(p.aliases),
                )
            )


def write_inventory(path: Path, district: DemoDistrict) -> None:
    workbook = Workbook()
    sheets = (
        ("Resources", INVENTORY_COLUMNS, district.inventory),
        ("Apps", APPS_COLUMNS, district.apps),
        ("Holds", HOLDS_COLUMNS, district.holds),
    )
    for index, (title, columns, rows) in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        if not isinstance(
            sheet, Worksheet
        ):  # (the stubs allow a new workbook no sheet, or a chart sheet)
            raise TypeError(f"{path}: openpyxl gave no worksheet for {title}")
        sheet.title = title
        sheet.append(list(columns))
        for row in rows:
            sheet.append([row.get(column) for column in columns])
        sheet.freeze_panes = "A2"
    with open_private(path, "wb") as handle:
        workbook.save(handle)


def _toml(value: object) -> str:
    """A TOML value. JSON strings are valid TOML basic strings (same escapes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def build_config_text(district: DemoDistrict) -> str:
    iso = district.iso
    lines = [
        f"# access-review demo district ({district.size}, seed {district.seed}, as of {district.as_of}).",
        "# Generated: every finding type is planted once on purpose. Paths are relative to this file.",
        "",
        "[store]",
        f"path = {_toml('access-review.db')}",
        "",
        "[roster]",
        f"path = {_toml(ROSTER_NAME)}",
        "",
        "[inventory]",
        f"path = {_toml(INVENTORY_NAME)}",
        f"apps = {_toml(INVENTORY_NAME)}",
        f"holds = {_toml(INVENTORY_NAME)}",
        "",
        "[iso]",
        *(
            f"{key} = {_toml(iso[key])}"
            for key in ("name", "email", "alternate_name", "alternate_email", "accounts")
        ),
        "",
        "[policy]",
        "dormant_days = 90",
        "training_days = 365",
        "leave_counts_as_separated = true",
        "retention_days = 1095",
        f"administrator_titles = {_toml(['superintendent', 'principal', 'director', 'coordinator', 'administrator'])}",
        "",
        "[classify]",
        # AD: OU=Students,OU=<school>,...; Google: /Students/<school> (matched as substrings).
        f"student_org_units = {_toml(['OU=Students', '/Students/'])}",
        f"student_domains = {_toml([STUDENT_DOMAIN])}",
        f"service_patterns = {_toml(['svc-*', 'breakglass*'])}",
        "",
        "[protected]",
        f"accounts = {_toml(district.protected_accounts + list(iso['accounts']))}",
        "",
    ]
    for source in district.snapshots:
        lines += [
            f"[sources.{source}]",
            'type = "demo"',
            f"directory = {_toml(source)}",
            f"state = {_toml(STATE_NAME)}",
            "",
        ]
    return "\n".join(lines)
