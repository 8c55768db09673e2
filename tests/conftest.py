import pytest

from demo_env import DemoEnv, build_demo_env


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> DemoEnv:
    """The small demo district, synced once for the session. Treat as read-only."""
    return build_demo_env(tmp_path_factory.mktemp("demo-template"))


@pytest.fixture
def demo(demo_template, tmp_path) -> DemoEnv:
    """A private copy of the synced demo district, free to change."""
    return demo_template.copy_to(tmp_path / "demo")


@pytest.fixture(scope="session", autouse=True)
def audit_key_home(tmp_path_factory):
    """The audit key's default home ($XDG_CONFIG_HOME/access-review/audit.key) is a folder of the
    test session, never the real ~/.config; subprocesses inherit it."""
    import os

    home = tmp_path_factory.mktemp("xdg-config")
    old = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(home)
    yield home
    if old is None:
        os.environ.pop("XDG_CONFIG_HOME", None)
    else:
        os.environ["XDG_CONFIG_HOME"] = old
