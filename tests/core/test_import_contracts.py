"""The import rules written in pyproject.toml ([tool.importlinter], issue 27 item 5) hold,
and each one catches a deliberate violation: the contracts are checked by import-linter
on the real import graph, then on the same graph with one forbidden import added."""
import subprocess
import sys
from pathlib import Path

import pytest

grimp = pytest.importorskip("grimp")
api = pytest.importorskip("importlinter.api")  # importing it configures import-linter

from importlinter.contracts.forbidden import ForbiddenContract  # noqa: E402
from importlinter.contracts.layers import LayersContract  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_TYPES = {"forbidden": ForbiddenContract, "layers": LayersContract}


def test_lint_imports_passes():
    """What a developer runs: `lint-imports` in the repository (no cache written)."""
    code = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    r = subprocess.run([sys.executable, "-c", code, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout


@pytest.fixture(scope="module")
def contracts() -> dict:
    conf = api.read_configuration(str(ROOT / "pyproject.toml"))
    return {c["id"]: CONTRACT_TYPES[c["type"]](c["name"], conf["session_options"], c)
            for c in conf["contracts_options"]}


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("core", "deblur_desktop", include_external_packages=True, cache_dir=None)


@pytest.mark.parametrize("contract_id, importer, imported", [
    ("core-has-no-gui", "core.shake.fft", "PySide6"),                 # core importing Qt
    ("core-has-no-gui", "core.events", "deblur_desktop.settings"),    # core importing the app
    ("core-layers", "core.shake.engine", "core.training.loop"),       # a lower layer importing a higher
    ("core-layers", "core.evaluate", "core.training.loop"),           # two independent siblings
    ("core-layers", "core.config", "core.cli.common"),                # a leaf importing the CLI
    ("app-layers", "deblur_desktop.widgets.drop_zone", "deblur_desktop.tabs"),  # a widget importing a tab
    ("app-layers", "deblur_desktop.main_window", "deblur_desktop.app"),         # importing app.py
])
def test_a_deliberate_violation_breaks_its_contract(contracts, graph, contract_id, importer, imported):
    contract = contracts[contract_id]
    assert contract.check(graph, verbose=False).kept, f"{contract.name} is broken without the added import"
    assert not graph.direct_import_exists(importer=importer, imported=imported)
    graph.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"import {imported}")
    try:
        check = contract.check(graph, verbose=False)
    finally:
        graph.remove_import(importer=importer, imported=imported)
    assert not check.kept, f"{contract.name} did not catch {importer} -> {imported}"


@pytest.mark.parametrize("contract_id, importer, imported", [
    ("core-layers", "core.training.loop", "core.shake.engine"),     # a higher layer importing a lower
    ("app-layers", "deblur_desktop.tabs", "deblur_desktop.widgets.drop_zone"),  # a tab using a widget
])
def test_an_allowed_import_keeps_its_contract(contracts, graph, contract_id, importer, imported):
    """The control: the violations above fail for what they import, not for any new import."""
    added = not graph.direct_import_exists(importer=importer, imported=imported)
    if added:
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"import {imported}")
    try:
        assert contracts[contract_id].check(graph, verbose=False).kept
    finally:
        if added:
            graph.remove_import(importer=importer, imported=imported)
