"""The files a well-kept project has say true things: the version the command prints is the
package's, and the license file is the one pyproject.toml declares."""

import tomllib
from pathlib import Path

from typer.testing import CliRunner

from access_review.cli import app

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_version_option_prints_the_package_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"access-review {PYPROJECT['project']['version']}"


def test_license_file_is_the_declared_license():
    assert PYPROJECT["project"]["license"]["text"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_changelog_describes_this_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    version = PYPROJECT["project"]["version"]
    released = [
        line for line in text.splitlines() if line.startswith("## [") and "Unreleased" not in line
    ]
    assert released and released[0].startswith(f"## [{version}] - "), released[:1]
    assert "Keep a Changelog" in text


def test_contributing_walks_through_adding_a_connector():
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert "## Adding a connector, step by step" in text
    for room in (
        "settings.py",
        "client.py",
        "fetch.py",
        "transform.py",
        "targeted.py",
        "actions.py",
        "doctor.py",
        "connector.py",
        "connectors/registry.py",
        "tests/test_connector_contract.py",
        "docs/access-model.md",
    ):
        assert room in text, room
        assert (
            (ROOT / room).exists()
            or room.endswith(".py")
            and (ROOT / "connectors" / "ad" / room).exists()
        ), room
