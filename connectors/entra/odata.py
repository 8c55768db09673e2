"""Putting values into Graph URLs safely: OData string literals and object-id path segments."""

from __future__ import annotations

import re

from access_review.errors import ConfigError

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def odata_string(value: str) -> str:
    """An OData string literal: single quotes doubled, the whole quoted
    (https://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part2-url-conventions.html, 'SQUOTE-in-string').
    ``O'Brien`` -> ``'O''Brien'``. Percent-encoding is left to requests."""
    return "'" + str(value).replace("'", "''") + "'"


def object_id(value: str) -> str:
    """A Graph object id for a URL path segment: must be a GUID, so no ``/``, ``?`` or
    ``..`` can reach the path."""
    if not _GUID.match(str(value)):
        raise ConfigError(f"not a Graph object id: {value!r}")
    return str(value)


_SEGMENT = re.compile(r"^[A-Za-z0-9_\-]+$")


def path_segment(value: str) -> str:
    """An opaque Graph id (appRoleAssignment and oauth2PermissionGrant ids are base64url,
    e.g. ``41W1zT6z1U-kJxf62svfp1HFE8pMZhxDun-ThPczmJE``) checked for URL-path safety."""
    if not _SEGMENT.match(str(value)):
        raise ConfigError(f"not a Graph id: {value!r}")
    return str(value)
