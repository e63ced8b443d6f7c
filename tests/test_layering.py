"""The layers import one way: only web/ imports Flask, scoring/ is pure, kb/ imports no exports/
or web/, and exports/ turns plain data into bytes and back: what it takes from kb/ is plain
values (dataclasses, limits, labels, errors) and a few pure helpers, never a query."""
from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# kb functions that compute from their arguments only (no database), fine in a file format; and
# the pause of the cycle collector while a reader builds a large upload's rows
PURE_HELPERS = {"roc_date", "roc_time", "roc_year", "ad_year", "split_list", "clean_text", "fold_text",
                "collector_paused"}


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import in the file (names empty for ``import x``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).glob("*.py"))


@pytest.mark.parametrize("package", ["kb", "scoring", "exports", "seeds"])
def test_only_web_imports_flask(package):
    bad = [f"{path.name}: {module}" for path in _modules(package)
           for module, _ in _imports(path)
           if module.split(".")[0] in ("flask", "flask_login", "flask_wtf")]
    assert not bad


def test_scoring_is_pure_and_kb_imports_no_exports_or_web():
    bad = [f"scoring/{path.name}: {module}" for path in _modules("scoring")
           for module, _ in _imports(path) if module.split(".")[0] in ("peewee", "kb")]
    bad += [f"kb/{path.name}: {module}" for path in _modules("kb")
            for module, _ in _imports(path) if module.split(".")[0] in ("exports", "web")]
    assert not bad


def test_file_formats_take_only_plain_values_from_kb():
    bad = []
    for path in _modules("exports"):
        for module, names in _imports(path):
            if module.split(".")[0] == "peewee" or module in ("kb.models", "kb.db"):
                bad.append(f"{path.name}: {module}")
            elif module.startswith("kb."):
                source = importlib.import_module(module)
                bad += [f"{path.name}: {module}.{name}" for name in names
                        if inspect.isfunction(getattr(source, name)) and name not in PURE_HELPERS]
    assert not bad, "exports/ should get its data from a kb function called by the page or " \
                    "command, not query it: " + ", ".join(bad)
