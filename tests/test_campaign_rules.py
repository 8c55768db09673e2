"""The review rules (campaigns/rules.py) and the plain words (campaigns/wording.py) on their
own: what an unanswered item becomes for each default decision, who reviews whose access,
what an answer may be, how rules, paths and flags read, and safe file names."""

from pathlib import Path

import pytest

from access_review.errors import AccessReviewError, ConfigError
from access_review.inventory import parse_rules
from campaigns import wording
from campaigns.filenames import confined, slug
from campaigns.rules import (
    Answer,
    AnswerProblem,
    Reviewer,
    SelfReviewError,
    check_answer,
    default_outcome,
    parse_default,
    reviewer_people,
    route_review,
)


# ---------------------------------------------------------------- default decision


@pytest.mark.parametrize(
    "default, recommendation, outcome",
    [
        ("keep", "revoke", "keep"),
        ("revoke", "keep", "revoke"),
        ("recommendation", "revoke", "revoke"),
        ("recommendation", "keep", "keep"),
        ("none", "revoke", None),
        ("none", "keep", None),
    ],
)
def test_each_default_decision_does_what_it_says_to_an_unanswered_item(
    default, recommendation, outcome
):
    assert default_outcome(default, recommendation) == outcome


def test_default_decisions_use_entras_vocabulary_and_refuse_anything_else():
    assert [
        parse_default(x) for x in ("Keep", "approve", "DENY", "Recommendation", "no action", None)
    ] == ["keep", "keep", "revoke", "recommendation", "none", "none"]
    with pytest.raises(ConfigError, match="'maybe' is not keep, revoke, recommendation or none"):
        parse_default("maybe")
    assert wording.default_text("none") == (
        "Items with no answer when the review closes: no action — nothing is "
        "changed and the item is reported as not reviewed."
    )
    assert "their access is removed" in wording.default_text("revoke")


# ---------------------------------------------------------------- nobody reviews their own access

ISO_PERSON, ALT_PERSON, DM_PERSON = "person:E9", "person:E10", "person:E2"
PEOPLE = reviewer_people(
    "Tim Smith", "tim@d.org", ISO_PERSON, "Emile Dubois", "emile@d.org", ALT_PERSON
)
DATA_MANAGER = Reviewer("E2", "Chloe Hernandez", "chloe@d.org", DM_PERSON)


def test_a_data_managers_own_access_goes_to_the_iso():
    reviewer, why = route_review(DATA_MANAGER, DM_PERSON, PEOPLE, "data manager")
    assert reviewer.key == "iso" and "own access" in why
    assert route_review(DATA_MANAGER, "person:E77", PEOPLE, "data manager")[0] is DATA_MANAGER


def test_the_isos_own_access_goes_to_the_alternate_iso_and_the_alternates_to_the_iso():
    for natural in (
        PEOPLE.iso,
        Reviewer("E9", "Tim Smith", "tim@d.org", ISO_PERSON),
    ):  # as ISO or as data manager
        reviewer, why = route_review(natural, ISO_PERSON, PEOPLE, "privileged role")
        assert (
            reviewer.key == "alternate" and why == "the ISO's own access: no one reviews their own"
        )
    assert route_review(PEOPLE.iso, ALT_PERSON, PEOPLE, "privileged role")[0].key == "iso"
    as_manager = Reviewer("E10", "Emile Dubois", "emile@d.org", ALT_PERSON)
    assert route_review(as_manager, ALT_PERSON, PEOPLE, "data manager")[0].key == "iso"


def test_without_an_alternate_iso_the_isos_own_access_cannot_be_routed():
    alone = reviewer_people("Tim Smith", "tim@d.org", ISO_PERSON, "", "", "")
    with pytest.raises(SelfReviewError, match="no one but Tim Smith could review") as exc:
        route_review(alone.iso, ISO_PERSON, alone, "privileged role")
    assert "alternate_email" in exc.value.hint


# ---------------------------------------------------------------- answers


def answer(decision, justification="", *, flagged=False, mine=True):
    return check_answer(
        item_reviewer="E2",
        answering_reviewer="E2" if mine else "E3",
        flagged=flagged,
        flag_text="separated: left",
        decision=decision,
        justification=justification,
    )


def test_answers_are_keep_or_revoke_and_a_flagged_keep_needs_a_reason():
    assert answer("") is None and answer("   ") is None
    assert answer(" keep ") == Answer("keep", "") and answer("REVOKE", " gone ") == Answer(
        "revoke", "gone"
    )
    assert answer("Yes") == AnswerProblem("decision", "decision 'Yes' is not Keep or Revoke")
    assert answer("Keep", flagged=True) == AnswerProblem(
        "justification", "Keep on a flagged item (separated: left) needs a justification"
    )
    assert answer("Keep", "covers the nurse", flagged=True) == Answer("keep", "covers the nurse")
    assert answer("Revoke", flagged=True) == Answer("revoke", "")
    assert answer("Keep", mine=False).field == "reviewer"
    assert answer("Keep", "x" * 2001).field == "justification"
    assert len(answer("K" * 500).message) < 80  # a huge cell is named, not echoed


# ---------------------------------------------------------------- plain words


@pytest.mark.parametrize(
    "rule, words",
    [
        ("department=Special Education & person_type=employee", "Special Education staff"),
        (
            "person_type=employee & department=Instruction|Special Education",
            "Instruction or Special Education staff",
        ),
        (
            "title=Principal|Assistant Principal|Superintendent",
            "Principal, Assistant Principal or Superintendent",
        ),
        ("person_type=employee", "any employee"),
        ("department=Transportation & title=Dispatcher", "Transportation staff who are Dispatcher"),
        ("title=Teacher & building=Lincoln Elementary", "Teacher at Lincoln Elementary"),
        ("department=Finance & person_type=volunteer", "Finance volunteers"),
        ("*", "any active employee"),
    ],
)
def test_inventory_rules_read_as_people(rule, words):
    (parsed,) = parse_rules(rule)
    assert wording.rule_text(parsed) == words


def test_paths_read_as_sentences_without_keys_or_arrows():
    nested = wording.path_sentence(
        [
            {"type": "group", "name": "Summer School Aides"},
            {"type": "group", "name": "SpEd Records"},
        ],
        "AD",
    )
    assert (
        nested
        == "Member of the AD group 'Summer School Aides', which is in the group 'SpEd Records'"
    )
    role = wording.path_sentence(
        [{"type": "resource", "kind": "admin_role", "name": "Super Admin", "level": "admin"}],
        "Google",
        " (account adm-tim)",
    )
    assert role == "Holds the Google admin role 'Super Admin' (account adm-tim)"
    drive = wording.path_sentence(
        [
            {"type": "group", "name": "Nurses"},
            {"type": "resource", "kind": "shared_drive", "name": "Health", "level": "write"},
        ],
        "Google",
    )
    assert drive == "Member of the Google group 'Nurses', which can edit the shared drive 'Health'"
    assert wording.directory_name("ad", {"ad": "ad"}) == "AD"
    assert wording.directory_name("north", {"north": "ad", "south": "ad"}) == "AD (north)"
    assert wording.flags_text(
        [("separated", "separated on 2026-10-15"), ("unauthorized", "no rule matches")]
    ) == (
        "Has left the district (separated on 2026-10-15)\n"
        "Not authorized by the data inventory (no inventory rule covers this person)"
    )
    # "Admin" is not "Manage": a group manager "manages who has access" (issue 12's level).
    assert [wording.level_text(x) for x in ("read", "write", "manage", "admin")] == [
        "View",
        "Edit",
        "Manages who has access",
        "Admin",
    ]
    managed = wording.path_sentence(
        [
            {"type": "group", "name": "Nurses", "manages": True},
            {"type": "resource", "kind": "shared_drive", "name": "Health", "level": "write"},
        ],
        "Google",
    )
    assert (
        managed == "Manager of the Google group 'Nurses', which can edit the shared drive 'Health'"
    )


# ---------------------------------------------------------------- file names from data


def test_file_names_from_data_are_transliterated_slugs():
    assert slug("Søren White") == "Soren-White"
    assert slug("Zoë O'Brien") == "Zoe-OBrien"
    assert slug("Łukasz Strąk-Æbelø") == "Lukasz-Strak-AEbelo"
    assert slug("../../../../../elsewhere/PWNED") == "elsewhere-PWNED"
    assert slug("") == "x" and slug("///", "reviewer") == "reviewer"
    assert len(slug("a" * 500)) == 60


def test_a_path_outside_its_folder_is_refused(tmp_path: Path):
    assert confined(tmp_path, "a.xlsx") == tmp_path / "a.xlsx"
    for bad in ("../a.xlsx", "x/../../a.xlsx", "..", "", "a\0b"):
        with pytest.raises(AccessReviewError, match="refusing"):
            confined(tmp_path, bad)
    (tmp_path / "link").symlink_to(tmp_path.parent)
    with pytest.raises(AccessReviewError, match="refusing"):
        confined(tmp_path, "link")
