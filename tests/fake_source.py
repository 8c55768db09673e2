"""A tiny in-process source for orchestration tests: behaviour chosen by its settings."""

import time

from access_review.errors import PermissionDenied, SourceError
from access_review.records import Account, Snapshot
from access_review.connector import Check


class FakeSource:
    type = "fake"

    def __init__(self, name, settings):
        self.name, self.settings = name, settings

    def fetch_snapshot(self, previous, progress=lambda *a: None):
        behaviour = self.settings.get("behaviour", "ok")
        time.sleep(self.settings.get("sleep", 0))
        if behaviour == "forbidden":
            raise PermissionDenied(
                self.name, "GET /users", "403 Forbidden", permission="User.Read.All"
            )
        if behaviour == "bug":  # a connector that fails in a way it did not foresee
            raise ZeroDivisionError("division by zero")
        if behaviour == "leak":  # a server that echoes what it was sent into its error message
            raise SourceError(self.name, "POST /token", f"refused: {self.settings.get('echo', '')}")
        accounts = [Account(self.name, str(i), f"u{i}") for i in range(self.settings.get("n", 2))]
        progress("users", len(accounts), len(accounts))
        return Snapshot(self.name, accounts=accounts, complete=(behaviour != "truncated"))

    def apply(self, action):
        raise NotImplementedError

    def refusal(self, action, snapshot=None):
        return None

    def doctor(self):
        return [Check("reachable", self.settings.get("behaviour") != "forbidden", "fake")]


def build_connector(name, settings, *, base_dir="."):
    return FakeSource(name, settings)
