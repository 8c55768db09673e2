"""Where the two secret keys come from (the audit key in [audit], the review-link key in [web]):
one rule for both — an environment variable or an owner-only file, never both, never the key
itself in the config (it would sit beside the store it protects)."""

from __future__ import annotations

from pathlib import Path

import pytest

from access_review.audit_key import AuditKeyError, AuditKeySource
from campaigns.links import LinkKeyError, LinkKeySource

KEYS = [
    (AuditKeySource, AuditKeyError, "audit", "key", "key"),
    (LinkKeySource, LinkKeyError, "web", "link_key", "link key"),
]


@pytest.mark.parametrize("source, error, table, name, what", KEYS)
def test_each_key_is_named_by_variable_or_file_never_both_never_itself(
    source, error, table, name, what, tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert source.from_settings({f"{name}_env": "AR_KEY"}) == source(env="AR_KEY")
    assert source.from_settings({f"{name}_file": str(tmp_path / "k.key")}) == source(
        file=tmp_path / "k.key"
    )
    default = source.from_settings({})
    assert default.env is None and default.file is not None
    assert default.file.parent == Path(tmp_path / "config" / "access-review")
    with pytest.raises(error, match=rf"^\[{table}\]: set {name}_env or {name}_file, not both$"):
        source.from_settings({f"{name}_env": "AR_KEY", f"{name}_file": "k.key"})
    with pytest.raises(error, match=rf"^\[{table}\]: the {what} must not be written in the config"):
        source.from_settings({name: "0" * 64})
    try:
        source.from_settings({name: "0" * 64})
    except error as exc:
        assert exc.hint == f'use {name}_env = "VARIABLE" or {name}_file = "/path/readable/by/owner"'
