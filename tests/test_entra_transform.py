"""Pure transforms of Graph payloads (doc-shaped fixtures) into records."""

from __future__ import annotations

import json
import pathlib

import pytest

from access_review.errors import ConfigError
from connectors.entra.delta import DirectoryState, apply_group_changes, apply_user_changes
from connectors.entra.odata import object_id, odata_string, path_segment
from connectors.entra.transform import (
    group_kind,
    scope_level,
    transform_app_grants,
    transform_group,
    transform_oauth_grants,
    transform_role_grants,
    transform_user,
    transform_users,
)

FX = pathlib.Path(__file__).parent / "fixtures" / "entra"


def load(name: str) -> dict:
    return json.loads((FX / name).read_text())


def test_users_from_docs_sample_have_enabled_false_when_graph_omits_account_enabled():
    # The docs' list_users sample has no accountEnabled: never assume an account is enabled.
    accounts = transform_users(load("list_users.json")["value"], "entra")
    assert [a.login for a in accounts] == ["Adams@contoso.com", "admin@contoso.com"]
    assert all(a.enabled is False for a in accounts)
    assert accounts[1].email is None and accounts[0].kind == "person"


def test_user_synced_from_ad_has_authority_ad_and_immutable_id():
    adams, admin = transform_users(load("users_with_sign_in.json")["value"], "entra")
    assert adams.enabled is True and adams.authority is None
    assert admin.enabled is False and admin.authority == "ad"
    assert admin.extra["onPremisesImmutableId"] == "hBZ3eyZ0xUmCnBcCFkk5lw=="
    assert admin.employee_id == "E0001" and admin.title == "Principal"
    assert admin.key == "entra:account:4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"


def test_last_sign_in_is_latest_real_time_ignoring_year_one_placeholder():
    adams = transform_users(load("users_with_sign_in.json")["value"], "entra")[0]
    assert adams.last_sign_in.isoformat() == "2021-06-17T16:41:33+00:00"
    newer = transform_user(
        {
            "id": "x",
            "signInActivity": {
                "lastSignInDateTime": "2024-01-01T00:00:00Z",
                "lastNonInteractiveSignInDateTime": "2024-05-01T00:00:00Z",
            },
        },
        "entra",
    )
    assert newer.last_sign_in.isoformat() == "2024-05-01T00:00:00+00:00"


@pytest.mark.parametrize(
    "raw,kind",
    [
        ({"groupTypes": ["Unified"]}, "m365"),
        ({"groupTypes": ["Unified", "DynamicMembership"], "membershipRule": "x"}, "dynamic"),
        ({"groupTypes": [], "membershipRule": 'user.department -eq "Sales"'}, "dynamic"),
        ({"groupTypes": [], "securityEnabled": True}, "security"),
        ({"groupTypes": [], "securityEnabled": False, "mailEnabled": True}, "distribution"),
    ],
)
def test_group_kind(raw, kind):
    assert group_kind(raw) == kind


def test_groups_from_docs_sample():
    golf, talk = (transform_group(g, "entra") for g in load("list_groups.json")["value"])
    assert (golf.name, golf.kind, golf.email) == ("Golf Assist", "m365", "golfassist@contoso.com")
    assert talk.kind == "distribution" and talk.authority is None


def test_initial_delta_rounds_build_memberships_and_replay_applies_removed_and_added():
    state = DirectoryState()
    for page in (
        "groups_delta_page1_nextlink.json",
        "groups_delta_page2_nextlink.json",
        "groups_delta_page3_deltalink.json",
    ):
        apply_group_changes(state, load(page)["value"], "entra")
    assert len(state.groups) == 6
    mark8 = "2e5807ce-58f3-4a94-9b37-ffff2e085957"
    assert set(state.members[mark8]) == {"entra:account:632f6bb2-3ec8-4c1f-9073-0027a8c68593"}
    apply_group_changes(
        state, load("groups_delta_incremental_member_removed_added.json")["value"], "entra"
    )
    # The doc's removed id is one character short of the added one (a doc typo): removing an
    # unknown member is a no-op, and the add is applied.
    assert set(state.members[mark8]) == {
        "entra:account:632f6bb2-3ec8-4c1f-9073-0027a8c68593",
        "entra:account:37de1ae3-408f-4702-8636-20824abda004",
    }
    assert state.groups[mark8].name == "TestGroup3"  # patched from the replay


def test_removed_member_reference_is_dropped():
    state = DirectoryState()
    apply_group_changes(
        state,
        [
            {
                "id": "g1",
                "displayName": "G",
                "members@delta": [
                    {"@odata.type": "#microsoft.graph.user", "id": "u1"},
                    {"@odata.type": "#microsoft.graph.group", "id": "g2"},
                ],
            }
        ],
        "entra",
    )
    apply_group_changes(
        state,
        [
            {
                "id": "g1",
                "members@delta": [
                    {
                        "@odata.type": "#microsoft.graph.user",
                        "id": "u1",
                        "@removed": {"reason": "deleted"},
                    }
                ],
            }
        ],
        "entra",
    )
    ms = state.memberships()
    assert [(m.member_key, m.member_type) for m in ms] == [("entra:group:g2", "group")]
    assert state.groups["g1"].name == "G"  # a replay without displayName keeps the name


def test_removed_user_takes_its_memberships_with_it():
    state = DirectoryState()
    apply_user_changes(
        state, [{"id": "u1", "userPrincipalName": "a@x", "accountEnabled": True}], "e"
    )
    apply_group_changes(
        state,
        [
            {
                "id": "g1",
                "displayName": "G",
                "members@delta": [{"@odata.type": "#microsoft.graph.user", "id": "u1"}],
            }
        ],
        "e",
    )
    apply_user_changes(state, [{"id": "u1", "@removed": {"reason": "changed"}}], "e")
    assert state.accounts == {} and state.memberships() == []


def test_user_patch_keeps_unchanged_fields():
    state = DirectoryState()
    apply_user_changes(
        state,
        [{"id": "u1", "userPrincipalName": "a@x", "accountEnabled": True, "jobTitle": "Teacher"}],
        "e",
    )
    apply_user_changes(state, [{"id": "u1", "accountEnabled": False}], "e")
    a = state.accounts["u1"]
    assert (a.login, a.enabled, a.title) == ("a@x", False, "Teacher")


def test_role_assignments_are_privileged_admin_grants_with_principal_kind_resolved():
    resources, grants = transform_role_grants(
        load("role_definitions.json")["value"],
        load("role_assignments.json")["value"],
        "entra",
        user_ids={"4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"},
        group_ids={"c2f798fd-f95d-4623-8824-63aec21fffff"},
    )
    assert {(r.name, r.kind, r.privileged) for r in resources} == {
        ("Global Administrator", "admin_role", True),
        ("User Administrator", "admin_role", True),
    }
    assert [g.principal_key for g in grants] == [
        "entra:account:4562bcc8-c436-4f95-b7c0-4f8ce89dca5e",
        "entra:group:c2f798fd-f95d-4623-8824-63aec21fffff",
    ]
    assert all(g.level == "admin" and g.kind == "role" for g in grants)
    assert grants[0].id == "lAPpYvVpN0KRkAEhdxReEJC2sEqbR_9Hr48lds9SGHI-1"


def test_app_role_assignments_and_application_permissions():
    sps = load("service_principals.json")["value"]
    sis, graph_sp, quiz = (sp["id"] for sp in sps)
    app_perm = {
        "id": "pQ1x",
        "appRoleId": "df021288-bdef-4463-88db-98f22de89214",
        "principalId": quiz,
        "principalType": "ServicePrincipal",
        "resourceId": graph_sp,
    }
    resources, grants = transform_app_grants(
        sps, {sis: load("app_role_assigned_to.json")["value"], graph_sp: [app_perm]}, "entra"
    )
    by_name = {r.name: r for r in resources}
    assert by_name["PowerSchool SIS"].kind == "app"
    assert by_name["PowerSchool SIS"].extra["client_id"] == "8a1f3c8e-0f0b-4c59-9a73-5a3c7b0c9d11"
    assert by_name["PowerSchool SIS/Teacher"].extra == {
        "app": "PowerSchool SIS",
        "app_resource_key": by_name["PowerSchool SIS"].key,
        "appRoleId": "3e1a2b0c-6d5e-4f70-8a91-b2c3d4e5f601",
    }
    assert "PowerSchool SIS/Default Access" in by_name
    teacher = next(g for g in grants if g.role == "Teacher")
    assert (
        teacher.kind == "app_role" and teacher.id == "41W1zT6z1U-kJxf62svfp1HFE8pMZhxDun-ThPczmJE"
    )
    perm = next(g for g in grants if g.kind == "oauth")
    assert perm.scopes == ("User.Read.All",) and perm.extra["permission_type"] == "application"
    assert perm.resource_key == by_name["Quiz Maker Pro"].key
    assert perm.principal_key == f"entra:service_principal:{quiz}"


def test_delegated_consents_split_scopes_and_mark_tenant_wide_consent():
    resources, grants = transform_oauth_grants(
        load("oauth2_permission_grants.json")["value"],
        load("service_principals.json")["value"],
        "entra",
    )
    assert [(r.kind, r.name, r.extra["client_id"]) for r in resources] == [
        ("oauth_app", "Quiz Maker Pro", "c3b0e6a4-5f7d-4e8a-9b1c-2d3e4f5a6b7c")
    ]
    all_users, one_user = grants
    assert all_users.principal_key == "entra:tenant:all-users"
    assert all_users.extra["consent_type"] == "AllPrincipals"
    assert all_users.scopes == ("openid", "profile", "User.Read") and all_users.level == "read"
    assert one_user.principal_key == "entra:account:6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0"
    assert one_user.level == "write" and one_user.extra["api"] == "Microsoft Graph"


def test_scope_level():
    assert scope_level(["User.Read", "openid"]) == "read"
    assert scope_level(["Mail.Send"]) == "write"
    assert scope_level(["Files.ReadWrite.All"]) == "write"


def test_odata_string_doubles_single_quotes():
    assert odata_string("O'Brien") == "'O''Brien'"
    assert odata_string("a''b") == "'a''''b'"
    assert odata_string("plain") == "'plain'"


def test_ids_put_in_paths_are_checked():
    assert object_id("4562bcc8-c436-4f95-b7c0-4f8ce89dca5e")
    assert path_segment("41W1zT6z1U-kJxf62svfp1HFE8pMZhxDun-ThPczmJE")
    for bad in ("../users", "x/y", "a?b=c", ""):
        with pytest.raises(ConfigError):
            object_id(bad)
        with pytest.raises(ConfigError):
            path_segment(bad)
