"""The direction of imports (docs/architecture.md): the library (kb/, ingest/) never imports the
interfaces (api/, cli/), and the CLI depends on the library only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (lazy imports count too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _top(module: str) -> str:
    return module.split(".")[0]


@pytest.mark.parametrize("package", ["kb", "ingest"])
def test_the_library_never_imports_the_interfaces(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if _top(m) in ("api", "cli"))
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert not {path: modules for path, modules in offenders.items() if modules}


def test_the_cli_depends_on_the_library_only() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if _top(m) == "api")
        for path in sorted((ROOT / "cli").rglob("*.py"))
    }
    assert not {path: modules for path, modules in offenders.items() if modules}


def test_no_command_module_imports_the_cli_entry_point() -> None:
    """cli/main.py imports the commands' modules; none of them imports it back (no cycle)."""
    for path in sorted((ROOT / "cli").glob("*.py")):
        if path.name not in ("main.py", "__main__.py"):
            assert "cli.main" not in imported_modules(path), path.name


def test_the_checker_sees_lazy_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from api.schemas import MapIn\n    import cli.main\n")
    assert {"api.schemas", "cli.main"} <= imported_modules(sample)
