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
