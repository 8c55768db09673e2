"""`--help` as the ISO reads it (issue 19, "Output for people and for scripts"): the version,
the exit codes, and metavars in typer's classic and GAM's style — no ``<bool>``, no
``{person}``, no markup eaten out of a help text."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest
import typer
from typer.testing import CliRunner

from access_review.cli import app
from access_review.errors import EXIT_CODES, AccessReviewError

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def help_of(*words: str) -> str:
    result = runner.invoke(app, [*words, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def every_command(group: click.Group = None, path: tuple[str, ...] = ()):
    """Every command and group, asked for by name as the command line does (the app loads a
    command's module only when it is asked for)."""
    group = group or typer.main.get_command(app)
    ctx = type(group).context_class(group, info_name="access-review")
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield (*path, name), cmd
        if hasattr(cmd, "list_commands"):  # typer ships its own click: not click.Group
            yield from every_command(cmd, (*path, name))


COMMANDS = [words for words, _ in every_command()]
assert len(COMMANDS) > 40, COMMANDS  # a lazy app that lists nothing would make the test below empty


@pytest.mark.parametrize("words", COMMANDS, ids=" ".join)
def test_help_shows_no_typer_type_labels_or_braces(words):
    text = help_of(*words)
    assert "<bool>" not in text and "<str>" not in text and "list[" not in text, text
    assert not re.search(r"\{[a-z_]+\}", text), (
        text
    )  # {person}: an argument as typer 0.29 prints it


def test_arguments_and_options_read_like_classic_help():
    why = help_of("why")
    assert "why [OPTIONS] PERSON RESOURCE" in why
    assert re.search(r"--config\s+-c\s+PATH", why)
    suspend = help_of("suspend")
    assert "suspend [OPTIONS] [TARGETS]..." in suspend
    assert re.search(r"--apply\s+Carry it out", suspend)  # a flag takes no value
    assert re.search(r"--case\s+TEXT", suspend)
    assert re.search(r"--today\s+DATE", help_of("campaign", "status"))
    assert re.search(
        r"--source\s+-s\s+TEXT\s+Only these sources \(repeat for more\)", help_of("sync")
    )
    assert re.search(r"--verbose\s+-v\s+Also show the log", help_of())  # -v, -vv: no INTEGER


def test_help_text_is_text_not_markup():
    # "[smtp]" was eaten by rich as a markup tag: "SMTP from ), or write them".
    assert "SMTP from [smtp]" in help_of("campaign", "send")
    assert "(default: [roster] path)" in help_of("roster", "import")


def test_wrapped_docstrings_read_as_one_paragraph():
    # "records nothing,\n and every problem" used to break mid-sentence in the command list.
    assert "records nothing, and every problem in it is listed at once" in help_of("campaign")


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and re.fullmatch(r"access-review \S+\n", result.output)


def test_exit_codes_are_listed_in_help_readme_and_docs():
    text = help_of()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    operations = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    for code, meaning in EXIT_CODES.items():
        assert re.search(rf"^\s*{code}\s+{re.escape(meaning)}", text, re.M), (code, text)
        assert f"| {code} | {meaning} |" in readme, f"README lacks exit code {code}"
        assert f"| {code} | {meaning} |" in operations, f"docs/operations.md lacks exit code {code}"


def _error_types():
    import importlib

    for path in REPO.glob("*/**/*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        if (
            parts[0] in ("access_review", "connectors", "campaigns", "exports")
            and parts[-1] != "__main__"
        ):
            importlib.import_module(".".join(p for p in parts if p != "__init__"))
    seen, todo = set(), [AccessReviewError]
    while todo:
        cls = todo.pop()
        seen.add(cls)
        todo.extend(c for c in cls.__subclasses__() if c not in seen)
    return seen


def test_every_exit_code_used_is_documented():
    used = {cls.exit_code for cls in _error_types()}
    # Literal exits in the terminal layer: typer.Exit(n).
    for path in [
        *REPO.glob("access_review/cli/*.py"),
        REPO / "campaigns" / "cli.py",
        REPO / "exports" / "cli.py",
    ]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", "") == "Exit"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                used.add(node.args[0].value)
    assert used <= set(EXIT_CODES), sorted(used - set(EXIT_CODES))
