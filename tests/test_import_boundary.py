"""Only connectors/ may talk to a directory: no other package imports the directory libraries."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIRECTORY_LIBRARIES = {"ldap3", "msal", "requests", "googleapiclient", "httplib2", "google"}
PACKAGES = ["access_review", "campaigns", "exports"]


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_directory_libraries_are_imported_only_under_connectors():
    offenders = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            bad = imported_roots(path) & DIRECTORY_LIBRARIES
            if bad:
                offenders.append(f"{path.relative_to(ROOT)}: {', '.join(sorted(bad))}")
    assert offenders == []


def test_the_check_itself_sees_imports(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("import ldap3\nfrom googleapiclient import discovery\nimport os\n")
    assert imported_roots(sample) == {"ldap3", "googleapiclient", "os"}
