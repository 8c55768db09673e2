"""Dependencies point one way (DESIGN.md): connectors, campaigns and exports use the core; the
core knows no connector, no screen and no campaign; only the terminal layer builds connectors;
exports read campaigns only through their public read module; the web review page
(``review_web``, issue 17) is a face over the campaigns that nothing else depends on, never
builds or imports a connector, and is the only code that speaks HTTP (Starlette, uvicorn,
Jinja2); and no two modules import each other, however indirectly.

Every import counts: module level, inside functions, and under ``TYPE_CHECKING``.
"""

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("access_review", "connectors", "campaigns", "exports", "review_web")

# The terminal layer: the only code that may import typer/rich, and the only place where
# connectors are built (access_review/cli/connectors.py).
CLI_LAYER = ("access_review.cli", "campaigns.cli", "exports.cli", "review_web.cli")
CONNECTOR_BUILDER = "access_review.cli.connectors"
CAMPAIGN_READ_API = "campaigns.results"
SCREEN_LIBRARIES = {"typer", "rich"}
WEB_PACKAGE = "review_web"
WEB_LIBRARIES = {"starlette", "uvicorn", "jinja2", "multipart", "python_multipart"}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path = ROOT, packages=PACKAGES) -> dict[str, Path]:
    return {module_name(p, root): p for package in packages for p in (root / package).rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module ``name`` imports: absolute names as written, relative ones resolved, and
    ``from package import submodule`` counted as an import of the submodule."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                found.add(sub if sub in known else module)
    return found


def import_graph(root: Path = ROOT, packages=PACKAGES) -> nx.DiGraph:
    modules = project_modules(root, packages)
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        for target in imports_of(name, path, set(modules)):
            graph.add_edge(name, target)
    return graph


def in_layer(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def violations(graph: nx.DiGraph) -> list[str]:
    found = []
    for source, target in graph.edges:
        if (
            in_layer(target, ("connectors",))
            and not in_layer(source, ("connectors",))
            and source != CONNECTOR_BUILDER
        ):
            found.append(f"{source} imports {target}: only {CONNECTOR_BUILDER} builds connectors")
        core = in_layer(source, ("access_review",)) and not in_layer(source, CLI_LAYER)
        if core and in_layer(target, ("campaigns", "exports")):
            found.append(f"{source} imports {target}: the core knows no campaign or export")
        if not in_layer(source, CLI_LAYER) and target.split(".")[0] in SCREEN_LIBRARIES:
            found.append(f"{source} imports {target}: only the terminal layer talks to the screen")
        if (
            in_layer(source, ("exports",))
            and not in_layer(source, ("exports.cli",))
            and in_layer(target, ("campaigns",))
            and target != CAMPAIGN_READ_API
        ):
            found.append(
                f"{source} imports {target}: exports read campaigns through {CAMPAIGN_READ_API}"
            )
        if (
            in_layer(target, (WEB_PACKAGE,))
            and not in_layer(source, (WEB_PACKAGE,))
            and not in_layer(source, ("access_review.cli",))
        ):
            found.append(
                f"{source} imports {target}: the web review page is a face over the campaigns;"
                " only the terminal layer starts it"
            )
        if target.split(".")[0] in WEB_LIBRARIES and not in_layer(source, (WEB_PACKAGE,)):
            found.append(f"{source} imports {target}: only {WEB_PACKAGE} speaks HTTP")
    return sorted(found)


def cycles(graph: nx.DiGraph) -> list[list[str]]:
    project = graph.subgraph(n for n in graph if in_layer(n, PACKAGES))
    return [sorted(c) for c in nx.strongly_connected_components(project) if len(c) > 1]


def test_dependencies_point_one_way():
    assert violations(import_graph()) == []


def test_no_module_imports_itself_through_others():
    assert cycles(import_graph()) == []


def test_only_the_builder_module_imports_connectors():
    graph = import_graph()
    importers = {
        s
        for s, t in graph.edges
        if in_layer(t, ("connectors",)) and not in_layer(s, ("connectors",))
    }
    assert importers == {CONNECTOR_BUILDER}


@pytest.mark.parametrize(
    "where, code, expected",
    [
        (
            "access_review/sync.py",
            "from connectors.registry import build_connector\n",
            "only access_review.cli.connectors",
        ),
        (
            "access_review/suspension/apply.py",
            "def f():\n    from connectors import registry\n",
            "only access_review.cli.connectors",
        ),
        (
            "campaigns/remediation.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import connectors.base\n",
            "only access_review.cli.connectors",
        ),
        (
            "campaigns/cli.py",
            "from connectors.registry import build_connector\n",
            "only access_review.cli.connectors",
        ),
        (
            "access_review/graph.py",
            "from campaigns.items import Item\n",
            "the core knows no campaign",
        ),
        ("access_review/findings.py", "from rich.table import Table\n", "only the terminal layer"),
        (
            "exports/superintendent.py",
            "from campaigns.store import CampaignStore\n",
            "exports read campaigns through",
        ),
        (
            "review_web/app.py",
            "from connectors.registry import build_connector\n",
            "only access_review.cli.connectors",
        ),
        (
            "review_web/page.py",
            "def f():\n    import connectors.entra.fetch\n",
            "only access_review.cli.connectors",
        ),
        (
            "campaigns/answers.py",
            "from review_web.page import ReviewPage\n",
            "the web review page is a face",
        ),
        ("access_review/store.py", "import review_web\n", "the web review page is a face"),
        (
            "campaigns/delivery.py",
            "from starlette.responses import Response\n",
            "only review_web speaks HTTP",
        ),
        ("review_web/app.py", "import typer\n", "only the terminal layer"),
    ],
)
def test_the_check_catches_an_added_import(tmp_path, where, code, expected):
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            copy = tmp_path / path.relative_to(ROOT)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    target = tmp_path / where
    target.write_text(target.read_text(encoding="utf-8") + "\n" + code, encoding="utf-8")
    assert any(expected in v for v in violations(import_graph(tmp_path)))


def test_the_cycle_check_sees_a_circle_through_a_function_level_import(tmp_path):
    pkg = tmp_path / "access_review"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import thing\n")
    (pkg / "b.py").write_text("def thing():\n    from . import a\n")
    (pkg / "c.py").write_text("from access_review import a\n")
    assert cycles(import_graph(tmp_path, ("access_review",))) == [
        ["access_review.a", "access_review.b"]
    ]
