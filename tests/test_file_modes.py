"""Everything the tool writes outside campaigns is owner-only, whatever the umask, and `doctor`
flags a config, store, store folder or key that others can reach (issue 15, item 4)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from access_review.cli import app

runner = CliRunner()


@pytest.fixture
def open_umask():
    """The most permissive umask: nothing but the tool's own choices keeps files private."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def modes(folder: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(folder.stat().st_mode)}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder))] = stat.S_IMODE(path.stat().st_mode)
    return found


def test_the_demo_and_every_file_beside_its_store_are_owner_only(tmp_path, open_umask):
    folder = tmp_path / "new" / "demo"
    result = runner.invoke(app, ["demo", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    config = folder / "access-review.toml"
    for args in (
        ["findings"],
        ["export", "superintendent", "--out", str(folder / "board.xlsx")],
        [
            "export",
            "superintendent",
            "--format",
            "csv",
            "--out",
            str(folder / "exports" / "2026" / "board"),
        ],
    ):
        assert runner.invoke(app, [*args, "--config", str(config)]).exit_code == 0
    found = modes(folder)
    assert {
        "access-review.toml",
        "roster.csv",
        "inventory.xlsx",
        "demo-directory.db",
        "access-review.db",
        "access-review.db.audit-head",
        "access-review.db.sync.lock",
        "board.xlsx",
        "exports/2026/board/01-summary.csv",
    } <= set(found)
    loose = {name: f"{mode:o}" for name, mode in found.items() if mode & 0o077}
    assert loose == {}
    assert (
        found["."] == 0o700 and found["exports"] == 0o700 and found["exports/2026/board"] == 0o700
    )


def test_init_writes_an_owner_only_config(tmp_path, open_umask):
    path = tmp_path / "access-review.toml"
    assert runner.invoke(app, ["init", str(path)]).exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_store_in_a_new_folder_gets_an_owner_only_folder(tmp_path, open_umask):
    from access_review.store import Store

    Store(tmp_path / "data" / "access-review.db").close()
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "data" / "access-review.db").stat().st_mode) == 0o600


def doctor(config: Path) -> str:
    return runner.invoke(app, ["doctor", "--config", str(config)], env={"COLUMNS": "400"}).output


def test_doctor_flags_whatever_others_can_reach(demo, tmp_path):
    config = demo.config_path
    store = demo.config.store_path
    key = Path(os.environ["XDG_CONFIG_HOME"]) / "access-review" / "audit.key"
    assert "is not private" not in doctor(config)
    os.chmod(config, 0o644)
    os.chmod(store, 0o640)
    os.chmod(demo.folder, 0o755)  # noqa: S103 (the exposure doctor must report)
    out = doctor(config)
    assert (
        f"FAIL config is not private — {config}: its group and others can read it (mode 644)" in out
    )
    assert f"fix: chmod 600 {config}" in out
    assert f"FAIL store is not private — {store}: its group can read it (mode 640)" in out
    assert f"FAIL store folder (where the tool writes) is not private — {demo.folder}" in out
    assert f"fix: chmod 700 {demo.folder}" in out
    key_mode = stat.S_IMODE(key.stat().st_mode)
    os.chmod(key, 0o644)
    try:
        out = doctor(config)
    finally:
        os.chmod(key, key_mode)
    assert "FAIL audit key — audit key file" in out and "is readable by others (mode 644)" in out


def test_doctor_flags_a_config_folder_others_can_write(demo, tmp_path):
    """A config kept apart from the store: its folder is trusted, so no one else may write it."""
    elsewhere = tmp_path / "etc"
    elsewhere.mkdir(mode=0o700)
    text = demo.config_path.read_text().replace(
        'path = "access-review.db"', f'path = "{demo.config.store_path}"'
    )
    for name in ("roster.csv", "inventory.xlsx", "demo-directory.db"):
        text = text.replace(f'"{name}"', f'"{demo.folder / name}"')
    config = elsewhere / "access-review.toml"
    config.write_text(text)
    os.chmod(config, 0o600)
    assert "is not private" not in doctor(config)
    os.chmod(elsewhere, 0o777)  # noqa: S103 (the exposure doctor must report)
    out = doctor(config)
    assert (
        f"FAIL config folder is not private — {elsewhere}: its group and others can read it; its group and"
        " others can change it" not in out
    )  # only writing matters for the config's own folder
    assert (
        f"FAIL config folder is not private — {elsewhere}: its group and others can change it (mode 777)"
        in out
    )
