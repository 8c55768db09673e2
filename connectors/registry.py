"""Connector registry: source type -> factory, the one place that knows every connector type.

Only the terminal layer calls ``build_connector`` (``access_review/cli/connectors.py``); the
core receives the built connectors. Factories are imported lazily, so a directory library is
imported only when a source of its type is configured."""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping

from access_review.connector import Connector
from access_review.errors import ConfigError
from access_review.settings_spec import Setting

# type -> "module:factory". Each factory is ``build_connector(name, settings, *, base_dir) -> Connector``.
FACTORIES: dict[str, str] = {
    "ad": "connectors.ad.connector:build_connector",
    "entra": "connectors.entra.connector:build_connector",
    "google": "connectors.google.connector:build_connector",
    "demo": "connectors.demo.connector:build_connector",
}


# type -> the module declaring its settings (light: no directory library is imported for it).
SETTINGS: dict[str, str] = {
    "ad": "connectors.ad.settings",
    "entra": "connectors.entra.settings",
    "google": "connectors.google.settings",
}


def settings_of(kind: str) -> tuple[Setting, ...]:
    """Every setting a source of type ``kind`` reads, with its default (``access-review init``)."""
    return tuple(importlib.import_module(SETTINGS[kind]).SETTINGS)


def build_connector(name: str, settings: Mapping[str, Any], *, base_dir: str = ".") -> Connector:
    kind = settings.get("type")
    if kind not in FACTORIES:
        raise ConfigError(
            f"source {name!r}: unknown type {kind!r}",
            hint=f"set type to one of: {', '.join(sorted(FACTORIES))}",
        )
    module_name, func = FACTORIES[kind].split(":")
    module = importlib.import_module(module_name)
    factory: Callable[..., Connector] = getattr(module, func)
    return factory(name, settings, base_dir=base_dir)
