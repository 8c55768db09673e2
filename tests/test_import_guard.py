"""An import never shrinks a register by surprise (issue 14): every import shows what it
changes against what is stored; removing more than the configured share of people,
resources, app approvals or holds, or releasing any hold, stops with that summary until run
again with --yes — through the commands and through the import functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from access_review import audit
from access_review.errors import ConfirmationNeeded, EmptyInput
from access_review.imports import import_inventory, import_roster
from access_review.stored_inventory import load_inventory_from_store
from import_workspace import APPS, HOLDS, INVENTORY, ROSTER, Workspace, build_workspace, error_lines


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Workspace:
    return build_workspace(tmp_path_factory.mktemp("guard-base"))


@pytest.fixture
def ws(base, tmp_path) -> Workspace:
    return base.copy_to(tmp_path / "ws")


def roster_lines() -> list[str]:
    return ROSTER.read_text().splitlines(keepends=True)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def larger_roster(tmp_path: Path, n: int) -> Path:
    """The fixture roster and ``n`` more people, so that small removals are small shares."""
    extra = "".join(f"T{i:04d},Temp,Person {i},,Teacher,,,employee,active,,,\n" for i in range(n))
    return write(tmp_path, "roster.csv", ROSTER.read_text() + extra)


# ---------------------------------------------------------------- the summary


def test_every_import_shows_people_added_removed_and_status_changes(ws, tmp_path):
    lines = roster_lines()
    lines = [
        line.replace(
            "E0003,Mara,Chen,mchen@district.org,Teacher,Special Education,North Elementary,employee,leave,2026-10-01",
            "E0003,Mara,Chen,mchen@district.org,Teacher,Special Education,North Elementary,employee,separated,2026-11-30",
        )
        for line in lines
    ]
    lines.append("E0009,New,Hire,new@district.org,Teacher,,,employee,active,,,\n")
    result = ws.run("roster", "import", str(write(tmp_path, "roster.csv", "".join(lines))))
    assert result.exit_code == 0, result.output
    assert "Changes against roster import 1 (" in result.output
    assert "people: 6 → 7  (+1 added, -0 removed, 1 changed)" in result.output
    assert "added: E0009 New Hire" in result.output
    assert "E0003 Mara Chen: leave → separated (2026-11-30)" in result.output


def test_inventory_import_shows_each_register(ws, tmp_path):
    inventory = write(
        tmp_path,
        "inventory.csv",
        INVENTORY.read_text().replace(
            "Domain Administration,critical,,", "Domain Administration,critical,E0001,"
        ),
    )
    apps = write(
        tmp_path, "apps.csv", APPS.read_text().replace("Quiz Maker,,no", "Quiz Maker,,yes")
    )
    result = ws.run(
        "inventory", "import", str(inventory), "--apps", str(apps), "--holds", str(HOLDS)
    )
    assert result.exit_code == 0, result.output
    assert "resources: 4 → 4  (+0 added, -0 removed, 1 changed)" in result.output
    assert "Domain Administration: data manager (none) → E0001" in result.output
    assert "Quiz Maker: not approved → approved" in result.output
    assert "holds: 3 → 3  (no change)" in result.output


# ---------------------------------------------------------------- removals beyond the share


def test_removing_more_than_ten_percent_of_people_stops_with_the_summary(ws, tmp_path):
    path = write(tmp_path, "roster.csv", "".join(roster_lines()[:5]))  # 3 of 6 people left
    before = ws.dump()
    result = ws.run("roster", "import", str(path))
    assert result.exit_code == 8
    [line] = error_lines(result)
    assert f"not imported: {path} removes 3 of 6 people (50%, more than 10%)" in line
    assert "removed: E0004 Sam Price, V0100 Pat Lee, C0200 Ira Novak" in result.stderr
    assert "--yes" in result.stderr
    assert ws.dump() == before
    confirmed = ws.run("roster", "import", str(path), "--yes")
    assert confirmed.exit_code == 0, confirmed.output
    with ws.store() as store:
        assert len(store.load_roster()) == 3
        entry = audit.entries(store, action_prefix="roster.import")[-1]
    assert (
        entry.details["removed"] == 3 and "removes 3 of 6 people" in entry.details["confirmed"][0]
    )


def test_a_small_removal_goes_ahead_and_is_shown(base, tmp_path):
    ws = base.copy_to(tmp_path / "ws")
    assert (
        ws.run("roster", "import", str(larger_roster(tmp_path, 44)), "--yes").exit_code == 0
    )  # 50 people
    lines = (tmp_path / "roster.csv").read_text().splitlines(keepends=True)
    smaller = write(tmp_path, "smaller.csv", "".join(lines[:-5]))  # 5 of 50 = 10%: not more
    result = ws.run("roster", "import", str(smaller))
    assert result.exit_code == 0, result.output
    assert "people: 50 → 45  (+0 added, -5 removed)" in result.output
    one_more = write(tmp_path, "smallest.csv", "".join(lines[:-6]))
    assert ws.run("roster", "import", str(one_more)).exit_code == 0  # 1 of 45
    assert (
        ws.run("roster", "import", str(write(tmp_path, "s.csv", "".join(lines[:-11])))).exit_code
        == 8
    )  # 5 of 44


def test_the_share_comes_from_the_config(tmp_path):
    ws = build_workspace(tmp_path / "ws", extra_config="[imports]\nmax_removed_percent = 60\n")
    path = write(tmp_path, "roster.csv", "".join(roster_lines()[:5]))  # removes 50%
    assert ws.run("roster", "import", str(path)).exit_code == 0
    bad = build_workspace(tmp_path / "bad")
    bad.config_path.write_text(
        bad.config_path.read_text() + "[imports]\nmax_removed_percent = 'lots'\n"
    )
    result = bad.run("roster", "import", str(path))
    assert result.exit_code == 2 and "max_removed_percent must be a percentage" in result.output


def test_removing_resources_or_approvals_needs_yes(ws, tmp_path):
    inventory = write(
        tmp_path, "inventory.csv", "".join(INVENTORY.read_text().splitlines(keepends=True)[:3])
    )
    result = ws.run(
        "inventory", "import", str(inventory), "--apps", str(APPS), "--holds", str(HOLDS)
    )
    assert result.exit_code == 8 and "removes 2 of 4 resources" in result.output
    apps = write(tmp_path, "apps.csv", "".join(APPS.read_text().splitlines(keepends=True)[:3]))
    result = ws.run(
        "inventory", "import", str(INVENTORY), "--apps", str(apps), "--holds", str(HOLDS)
    )
    assert result.exit_code == 8 and "removes 1 of 3 app approvals" in result.output


def test_releasing_any_hold_needs_yes_even_without_removals(ws, tmp_path):
    holds = write(
        tmp_path,
        "holds.csv",
        HOLDS.read_text().replace(
            "E0004,Price v. District,2026-07-01,", "E0004,Price v. District,2026-07-01,2026-12-01"
        ),
    )
    before = ws.dump()
    result = ws.run(
        "inventory", "import", str(INVENTORY), "--apps", str(APPS), "--holds", str(holds)
    )
    assert result.exit_code == 8
    [line] = error_lines(result)
    assert f"not imported: {holds} releases 1 litigation hold" in line
    assert "E0004 (Price v. District, since 2026-07-01): released from 2026-12-01" in result.output
    assert ws.dump() == before
    assert (
        ws.run(
            "inventory",
            "import",
            str(INVENTORY),
            "--apps",
            str(APPS),
            "--holds",
            str(holds),
            "--yes",
        ).exit_code
        == 0
    )


def test_dropping_an_already_released_hold_releases_nothing(base, tmp_path):
    ws = base.copy_to(tmp_path / "ws")
    # The fixture's second hold was released on 2025-12-01; a 40-hold register makes one
    # removal a small share.
    extra = "".join(f"T{i:03d},Matter {i},2026-01-01,\n" for i in range(37))
    full = write(tmp_path, "holds.csv", HOLDS.read_text() + extra)
    assert (
        ws.run(
            "inventory",
            "import",
            str(INVENTORY),
            "--apps",
            str(APPS),
            "--holds",
            str(full),
            "--yes",
        ).exit_code
        == 0
    )
    lines = full.read_text().splitlines(keepends=True)
    without_released = write(
        tmp_path, "h2.csv", "".join(line for line in lines if "Records request" not in line)
    )
    result = ws.run(
        "inventory", "import", str(INVENTORY), "--apps", str(APPS), "--holds", str(without_released)
    )
    assert result.exit_code == 0, result.output
    assert "holds: 40 → 39  (+0 added, -1 removed)" in result.output


def test_a_register_not_given_any_more_is_shown_as_emptied(ws):
    result = ws.run("inventory", "import", str(INVENTORY))
    assert result.exit_code == 8
    assert "no app register given: it becomes empty" in result.stderr
    assert "no hold register given: it becomes empty" in result.stderr


# ---------------------------------------------------------------- the import functions


def test_import_functions_raise_with_the_changes_and_store_nothing(ws, tmp_path):
    cfg = ws.config()
    path = write(tmp_path, "roster.csv", "".join(roster_lines()[:3]))
    before = ws.dump()
    with ws.store() as store, pytest.raises(ConfirmationNeeded) as caught:
        import_roster(cfg, store, path)
    [people] = caught.value.changes.registers
    assert (people.stored, people.new, len(people.removed)) == (6, 2, 4)
    assert ws.dump() == before
    with ws.store() as store:
        result = import_roster(cfg, store, path, confirm=True)
    assert result.count == 2 and result.confirmed


def test_empty_register_needs_allow_empty_then_yes(ws, tmp_path):
    cfg = ws.config()
    empty = write(tmp_path, "holds.csv", "subject,matter,since,released\n")
    with ws.store() as store:
        with pytest.raises(
            EmptyInput, match="replace the stored hold register \\(3 holds\\) with nothing"
        ):
            import_inventory(cfg, store, INVENTORY, APPS, empty)
        with pytest.raises(ConfirmationNeeded, match="releases 2 litigation holds"):
            import_inventory(cfg, store, INVENTORY, APPS, empty, allow_empty=True)
        result = import_inventory(
            cfg, store, INVENTORY, APPS, empty, allow_empty=True, confirm=True
        )
        assert load_inventory_from_store(store, store.load_roster()).holds == ()
    assert result.changes.registers[2].new == 0


def test_empty_register_over_an_empty_one_is_no_change(tmp_path):
    ws = build_workspace(tmp_path / "ws")
    empty = write(tmp_path, "holds.csv", "subject,matter,since,released\n")
    cfg = ws.config()
    with ws.store() as store:
        import_inventory(cfg, store, INVENTORY, APPS, empty, allow_empty=True, confirm=True)
        again = import_inventory(cfg, store, INVENTORY, APPS, empty)  # nothing to lose now
    assert again.changes.registers[2].unchanged


def test_the_import_and_its_audit_entry_commit_together(ws, tmp_path, monkeypatch):
    """If the audit entry cannot be written, the import is not stored either."""
    cfg = ws.config()
    before = ws.dump()

    def broken_append(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(audit, "append", broken_append)
    with ws.store() as store, pytest.raises(OSError):
        import_roster(cfg, store, larger_roster(tmp_path, 3), confirm=True)
    assert ws.dump() == before


def test_a_failure_after_the_audit_entry_takes_the_entry_and_its_head_back(
    ws, tmp_path, monkeypatch
):
    """The audit head beside the store is written with the entry; if the import's transaction
    fails after that, the head goes back with the rest (audit verify stays clean)."""
    import access_review.imports as imports

    cfg = ws.config()
    before = ws.dump()

    def fails(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(imports, "_stored_inventory_against", fails)
    with ws.store() as store, pytest.raises(OSError):
        import_roster(cfg, store, larger_roster(tmp_path, 3), confirm=True)
    assert ws.dump() == before
    with ws.store() as store:
        assert audit.verify(store).ok


def test_the_demo_pipeline_imports_unchanged(tmp_path):
    """Importing the same files twice is 'no change' everywhere and needs no flag."""
    ws = build_workspace(tmp_path / "ws")
    cfg = ws.config()
    with ws.store() as store:
        roster = import_roster(cfg, store, ROSTER)
        inventory = import_inventory(cfg, store, INVENTORY, APPS, HOLDS)
    assert all(c.unchanged for c in roster.changes.registers + inventory.changes.registers)
    assert not roster.confirmed and not inventory.confirmed


def test_a_stored_inventory_that_no_longer_reads_does_not_block_its_replacement(ws):
    """A version stored before the reader refused NULs (or damaged since) is named in the
    error findings give, and an import of a good file replaces it — with --yes, since what
    it would remove cannot be known."""
    with ws.store() as store:
        bad = (
            INVENTORY.read_bytes()
            .replace(b"Payroll", b"Pay\x00roll")
            .replace(b"Domain Administration", b"Domain\x00Administration")
        )
        version = store.save_inventory_files(
            {
                "inventory": ("inventory.csv", bad),
                "apps": ("apps.csv", APPS.read_bytes()),
                "holds": ("holds.csv", HOLDS.read_bytes()),
            },
            store.latest_roster_import()[0],
        )
    findings = ws.run("findings")
    assert findings.exit_code == 3
    assert f"inventory.csv in stored inventory version {version} (imported" in findings.output
    assert "U+0000" in findings.output and "inventory import" in findings.output
    args = ("inventory", "import", str(INVENTORY), "--apps", str(APPS), "--holds", str(HOLDS))
    refused = ws.run(*args)
    assert refused.exit_code == 8
    assert "cannot be read back" in refused.output and "shown against nothing" in refused.output
    assert ws.run(*args, "--yes").exit_code == 0
    assert ws.run("inventory", "check").exit_code != 3
