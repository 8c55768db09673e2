"""The bad-input corpus (tests/bad_input_corpus.py: mangled rosters, inventories, app and
hold registers, damaged workbooks) through the import commands: every one refused with one
clear line naming the file, no traceback, nothing stored."""

from bad_input_corpus import run_corpus, tally


def test_every_bad_input_is_one_clear_refusal_and_changes_nothing():
    outcomes = run_corpus()
    counts = tally(outcomes)["all"]
    unclear = [
        f"{o.item.kind}: {o.item.name} (exit {o.exit_code}): {o.output[-300:]}"
        for o in outcomes
        if not o.clear
    ]
    assert counts["tried"] >= 100
    assert (counts["tracebacks"], counts["store changes"], counts["accepted"]) == (0, 0, 0)
    assert unclear == []
    assert counts["clear"] == counts["tried"]
    # Each kind of file the ISO hands over is in the corpus.
    assert set(tally(outcomes)) >= {
        "roster csv",
        "inventory csv",
        "apps csv",
        "holds csv",
        "roster xlsx",
        "inventory xlsx",
    }
