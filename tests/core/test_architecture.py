"""The product's import rules, checked on the sources:
- `core` never imports Qt: the CLI, DDP workers and tests run without it;
- nothing in the app imports `deblur_desktop.app` but its entry points (app.py builds the window);
- no product file is over 400 lines (a newcomer reads one file for one thing)."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core"
APP = ROOT / "deblur_desktop"
FORBIDDEN = ("PySide6", "shiboken6", "pyqtgraph", "superqt", "PyQt5", "PyQt6", "deblur_desktop")


def test_no_qt_import_in_core_sources():
    offenders = []
    for py in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{py.relative_to(CORE.parent)}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert not offenders, offenders


def test_importing_all_of_core_loads_no_qt():
    mods = sorted("core." + ".".join(p.relative_to(CORE).with_suffix("").parts)
                  for p in CORE.rglob("*.py") if p.name not in ("__main__.py",))
    mods = [m.removesuffix(".__init__") for m in mods]
    code = ("import importlib, sys\n"
            f"for m in {mods!r}: importlib.import_module(m)\n"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def _imported_modules(py: Path) -> list[str]:
    """Every module a file imports, at any level (a late import counts as much as a top one)."""
    names = []
    for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return names


def test_only_the_entry_points_import_app():
    entry_points = {"__main__.py", "self_test.py", "app.py"}
    offenders = [f"{py.relative_to(ROOT)}" for py in APP.rglob("*.py") if py.name not in entry_points
                 and "deblur_desktop.app" in _imported_modules(py)]
    assert not offenders, f"import settings/error_log/appearance instead of app.py: {offenders}"
