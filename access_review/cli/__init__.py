"""The terminal layer: every `access-review` command of the core lives in this package, one
module per command group; ``campaigns/cli.py`` and ``exports/cli.py`` register their groups
into the same app. Only ``connectors.py`` here reaches ``connectors/``: commands build the
connectors they need there and hand them to the core."""

from .app import app, main

__all__ = ["app", "main"]
