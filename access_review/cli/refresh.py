"""After a sync or an import: bring the stored analysis up to date at once, so that the
queries that follow answer in a fraction of a second instead of the first one rebuilding it."""

from __future__ import annotations

import time

from ..config import Config
from ..errors import AccessReviewError
from ..store import Store
from .common import err_console, safe


def refresh_after_change(cfg: Config, store: Store) -> None:
    """Rebuild the stored analysis if its inputs changed; a failure is a warning (what was
    synced or imported is stored all the same, and every query will say what is wrong)."""
    from ..stored_analysis import refresh_analysis

    started = time.perf_counter()
    rebuilt: list[list[str]] = []
    try:
        refresh_analysis(cfg, store, on_rebuild=rebuilt.append)
    except AccessReviewError as exc:
        err_console.print(
            f"[yellow]warning:[/] the analysis could not be brought up to date: {safe(exc)}",
            highlight=False,
            soft_wrap=True,
        )
        return
    if rebuilt:
        err_console.print(
            f"Analysis brought up to date in {time.perf_counter() - started:.1f} s "
            f"({safe('; '.join(rebuilt[0]))}).",
            highlight=False,
            soft_wrap=True,
        )
