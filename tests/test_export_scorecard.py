"""The scorecard's rules on their own: thresholds from the config, statuses at their edges,
the quarter history, what "could not see" looks like, and friendly names in place of keys."""

from __future__ import annotations

from datetime import date

import pytest

from access_review import audit
from access_review.config import Scorecard as Thresholds
from access_review.config import load_config
from access_review.errors import ConfigError
from access_review.store import Store
from exports.feature_views import HoldView, read_hold_view
from exports.friendly import FriendlyNames
from exports.history import (
    QuarterFigures,
    previous_quarter,
    quarter_end,
    quarter_of,
    read_history,
    record_quarter,
)
from exports.scorecard import (
    AMBER,
    GREEN,
    GREY,
    RED,
    percent_text,
    shown_value,
    status_of_count,
    status_of_share,
)
from exports.superintendent import build_superintendent_report, read_report_inputs
from test_export_support import build_tiny_district, tiny_analysis


@pytest.fixture()
def tiny(tmp_path):
    cfg, store, a = tiny_analysis(build_tiny_district(tmp_path / "d"))
    yield cfg, store, a
    store.close()


def test_statuses_at_the_edges_of_their_thresholds():
    assert [status_of_share(v, (95, 80)) for v in (100, 95, 94.9, 80, 79.9)] == [
        GREEN,
        GREEN,
        AMBER,
        AMBER,
        RED,
    ]
    assert [status_of_count(v, (0, 3)) for v in (0, 1, 3, 4)] == [GREEN, AMBER, AMBER, RED]
    # A gap is never rounded away, and a few never rounded to none.
    assert (percent_text(999, 1000), percent_text(1, 1000), percent_text(5, 5)) == (
        "99%",
        "1%",
        "100%",
    )
    assert (shown_value("percent", 99.7), shown_value("percent", 0.2)) == ("99%", "1%")
    assert shown_value("percent", None, "campaign_answered_percent") == "no campaign"
    assert shown_value("count", None) == "not measured"


def test_thresholds_come_from_the_config(tmp_path):
    config = build_tiny_district(tmp_path / "d")
    assert load_config(config).scorecard == Thresholds()
    with config.open("a", encoding="utf-8") as fh:
        fh.write("\n[scorecard]\ntraining_percent = [90, 70]\nunauthorized = [2, 5]\n")
    t = load_config(config).scorecard
    assert (t.training_percent, t.unauthorized, t.inventory_percent) == (
        (90, 70),
        (2, 5),
        (100, 90),
    )


@pytest.mark.parametrize(
    "setting, message",
    [
        ("training_percent = [80, 95]", "100 >= green >= amber"),
        ("unauthorized = [5, 2]", "green <= amber"),
        ("unapproved_apps = 3", "two whole numbers [green, amber]"),
        ("inventory_percent = [100, -1]", "two whole numbers [green, amber]"),
        ("traning_percent = [90, 80]", "unknown setting 'traning_percent'"),
    ],
)
def test_a_bad_threshold_is_one_line_naming_it(tmp_path, setting, message):
    config = build_tiny_district(tmp_path / "d")
    with config.open("a", encoding="utf-8") as fh:
        fh.write(f"\n[scorecard]\n{setting}\n")
    with pytest.raises(ConfigError) as err:
        load_config(config)
    assert "[scorecard]" in str(err.value) and message in str(err.value)


def test_quarters_and_their_history(tmp_path):
    assert (quarter_of(date(2026, 12, 31)), quarter_of(date(2027, 1, 1))) == ("2026Q4", "2027Q1")
    assert (previous_quarter("2027Q1"), previous_quarter("2026Q3")) == ("2026Q4", "2026Q2")
    assert (quarter_end("2026Q2"), quarter_end("2026Q4")) == (date(2026, 6, 30), date(2026, 12, 31))
    with Store(tmp_path / "s.db") as store:
        assert read_history(store) == []
        record_quarter(store, QuarterFigures("2026Q4", date(2026, 11, 1), "report", {"a": 1}))
        record_quarter(store, QuarterFigures("2026Q3", date(2026, 9, 30), "demo", {"a": 2}))
        record_quarter(
            store, QuarterFigures("2026Q4", date(2026, 12, 20), "report", {"a": 3, "b": None})
        )
        history = read_history(store)
    # oldest first; the last report of a quarter replaces that quarter's figures
    assert [(q.quarter, q.origin, q.figures) for q in history] == [
        ("2026Q3", "demo", {"a": 2}),
        ("2026Q4", "report", {"a": 3, "b": None}),
    ]


def test_the_tiny_district_first_page(tiny):
    cfg, store, a = tiny
    report = build_superintendent_report(a, read_report_inputs(store, a))
    sc = report.scorecard
    assert (sc.quarter, sc.last_quarter) == ("2026Q4", None)
    assert all(r.last_status is None and r.last_shown == "" for r in sc.rows)
    monitoring = sc.row("campaign_answered_percent")
    assert (monitoring.status, monitoring.shown) == (
        RED,
        "no campaign",
    )  # not reviewing is not "none"
    apps = sc.row("unapproved_apps")
    assert apps.value == 3 and apps.status == RED
    training = sc.row("training_percent")
    assert (training.value, training.shown) == (66.7, "67% (4 of 6)")
    assert 3 <= len(report.sentences) <= 5 and report.sentences[0].startswith("In 2026Q4, ")


def test_a_partial_hold_view_is_said_to_be_partial(tiny):
    cfg, store, a = tiny
    assert read_hold_view(a.snapshots).complete
    a.snapshots["ad"].partial_views["holds"] = "Vault: 2 matters could not be read (403)"
    view = read_hold_view(a.snapshots)
    assert view == HoldView(False, ("ad: Vault: 2 matters could not be read (403)",))
    holds = build_superintendent_report(a, read_report_inputs(store, a)).scorecard.row(
        "held_accounts_missing"
    )
    assert holds.status == AMBER and "hold view PARTIAL" in holds.detail


def test_a_tampered_audit_record_is_red_and_needs_a_decision(tiny):
    cfg, store, a = tiny
    for n in range(3):
        audit.append(store, "test", {"n": n})
    good = build_superintendent_report(a, read_report_inputs(store, a))
    assert good.scorecard.row("audit_verified").status == GREEN
    assert (
        good.anchor.entries == len(audit.entries(store))
        and good.anchor.head_hash == audit.entries(store)[-1].hash
    )
    store.db.execute("UPDATE audit_log SET details = '{\"n\": 9}' WHERE seq = 2")
    bad = build_superintendent_report(a, read_report_inputs(store, a))
    row = bad.scorecard.row("audit_verified")
    assert (row.status, row.shown) == (RED, "FAILED") and "entry 2" in row.detail
    assert any("audit record failed verification" in d.text for d in bad.decisions)
    assert bad.sentences[1].startswith("The audit record FAILED verification")


def test_could_not_read_the_campaigns_is_grey_never_red_or_green(tiny):
    cfg, store, a = tiny
    from exports.feature_views import CampaignData

    inputs = read_report_inputs(store, a)
    inputs = type(inputs)(
        CampaignData(available=False, note="campaign tables are newer than this tool"),
        inputs.suspensions,
        inputs.anchor,
        inputs.hold_view,
        inputs.history,
    )
    row = build_superintendent_report(a, inputs).scorecard.row("campaign_answered_percent")
    assert (row.status, row.shown, row.detail) == (
        GREY,
        "could not read",
        "campaign tables are newer than this tool",
    )


def test_record_keys_read_as_names(tiny):
    _, _, a = tiny
    names = FriendlyNames(a)
    assert (
        names.text("ad:account:a1 and person:E1 and ad:group:g-sped")
        == "user1 (AD) and Pat Principal and AD group 'SpEd Staff'"
    )
    assert (
        names.text("held: ad:account:21c6e002-aaaa")
        == "held: an AD account no longer in the directory"
    )
    assert names.account("google:account:gone") == "a Google account no longer in the directory"
    assert (
        names.text("a selector-like text: e-mail x@ad:account")
        == "a selector-like text: e-mail x@ad:account"
    )


def test_a_quiet_quarter_still_has_three_sentences(tiny):
    from exports.story import build_sentences
    from exports.scorecard import ScorecardInputs

    cfg, store, a = tiny
    inputs = read_report_inputs(store, a)
    sc = build_superintendent_report(a, inputs).scorecard
    read = ScorecardInputs(a, inputs.campaigns, inputs.suspensions, inputs.anchor, inputs.hold_view)
    a.findings.clear()  # nothing found: no finding sentence to tell
    a.access.clear()  # no one to train
    sentences = build_sentences(sc, read)
    assert len(sentences) == 3 and sentences[0].startswith("In 2026Q4, ")
    assert all(s.endswith(".") for s in sentences)
    assert sentences[2] == "Resources with a valid data manager: 100% (2 of 2)."
