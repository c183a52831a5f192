"""The layout: a core that knows no system, and one package per registered system."""
import ast
from pathlib import Path

from micro_expr.registry import SYSTEMS

REPO = Path(__file__).resolve().parents[1]
SYSTEM_PACKAGES = ("micro_expr.stff", "micro_expr.cnn_lstm", "micro_expr.mean", "micro_expr.gia_bia")


def imported_modules(path):
    """Every module a file imports, at the top or inside functions (``from a import b`` gives a and a.b)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def system_imports(path):
    return sorted(name for name in imported_modules(path)
                  if name == "micro_expr.registry" or any(name == p or name.startswith(p + ".") for p in SYSTEM_PACKAGES))


def test_no_core_module_imports_a_system():
    core = sorted((REPO / "micro_expr" / "core").glob("*.py"))
    assert len(core) >= 10
    found = {path.name: system_imports(path) for path in core}
    assert {name: imports for name, imports in found.items() if imports} == {}


def test_the_check_sees_an_import_of_a_system(tmp_path):
    """The walk above would fail on a core module that imported a system, even inside a function."""
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from micro_expr.stff.config import get_preset\n    import micro_expr.registry\n")
    assert system_imports(module) == ["micro_expr.registry", "micro_expr.stff.config",
                                      "micro_expr.stff.config.get_preset"]


def test_every_registered_system_lives_in_its_own_package():
    for name, target in SYSTEMS.items():
        module = target.partition(":")[0]
        assert module == f"micro_expr.{name}.system", (name, target)
        assert (REPO / "micro_expr" / name / "system.py").is_file()
        assert (REPO / "micro_expr" / name / "config.py").is_file()
