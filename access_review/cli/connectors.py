"""Where connectors are built: the one module of the terminal layer that reaches
``connectors/``. Commands build what they need here and hand it to the core, which takes
connectors as arguments and never builds one (``access_review/connector.py``)."""

from __future__ import annotations

from connectors import registry

from ..config import Config
from ..connector import Connector, ConnectorFactory
from ..errors import ConfigError
from ..settings_spec import Setting


def source_settings() -> dict[str, tuple[Setting, ...]]:
    """Every connector type's settings, with defaults (for `access-review init`)."""
    return {kind: registry.settings_of(kind) for kind in registry.SETTINGS}


def build_connector(cfg: Config, source: str) -> Connector:
    """The connector of one configured source."""
    if source not in cfg.sources:
        raise ConfigError(
            f"source {source!r} is not in the config",
            hint=f"configured: {', '.join(cfg.sources) or 'none'}",
        )
    # Looked up on the module at call time, so tests can stand in for the registry.
    return registry.build_connector(source, cfg.sources[source], base_dir=str(cfg.base_dir))


def connector_factory(cfg: Config, *, cache: bool = True) -> ConnectorFactory:
    """``name -> Connector`` for the core. With ``cache`` one connector per source is built and
    reused (campaign remediation, planning checks); without it every call builds a new one
    (suspension builds one per worker thread, since a connector may hold thread-bound handles)."""
    built: dict[str, Connector] = {}

    def connector_for(source: str) -> Connector:
        if not cache:
            return build_connector(cfg, source)
        if source not in built:
            built[source] = build_connector(cfg, source)
        return built[source]

    return connector_for
