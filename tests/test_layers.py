"""The package's layers: a lower module never imports a higher one.

Ground: ``_validation``, ``_compiled``, ``nn`` and ``show``. Above them: ``metrics``,
``features``, ``datasets`` and ``monitoring`` (they may use the ground and each other). Everything
else (models, learning to rank, recommenders, serving, ...) sits above and may import anything
below. A violation means shared math lives too high: move it down rather than import upward.
"""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "mlref"
LEVEL = {"_validation": 0, "_compiled": 0, "nn": 0, "show": 0,
         "metrics": 1, "features": 1, "datasets": 1, "monitoring": 1}  # fmt: skip
TOP = 2


def _subpackage(path: pathlib.Path) -> str:
    return path.relative_to(PACKAGE).with_suffix("").parts[0]


def _mlref_imports(path: pathlib.Path):
    """(line, imported subpackage) of every ``import mlref.x`` / ``from mlref.x import``."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "mlref" and len(parts) > 1:
                yield node.lineno, parts[1]


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE)


def test_the_package_has_the_subpackages_the_layers_name():
    present = {_subpackage(p) for p in MODULES}
    assert set(LEVEL) <= present, sorted(set(LEVEL) - present)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path):
    own = _subpackage(path)
    upward = [
        f"line {line}: mlref.{target} (layer {LEVEL.get(target, TOP)})"
        for line, target in _mlref_imports(path)
        if target != own and LEVEL.get(target, TOP) > LEVEL.get(own, TOP)
    ]
    assert not upward, f"{path.name} (layer {LEVEL.get(own, TOP)}) imports upward: {upward}"


def test_the_check_catches_an_upward_import(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text("import numpy\nfrom mlref.models.linear import LogisticRegression\n")
    assert [target for _, target in _mlref_imports(module)] == ["models"]
