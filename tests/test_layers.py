"""The package's layers import one way (service/__init__.py draws them)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "service"

#: Lower number, lower layer. A module may import its own layer and lower ones.
LAYERS = {
    "service.errors": 0,
    "service.settings": 0,
    "service.gc_tuning": 0,
    "service.store": 1,
    "service.identity": 2,
    "service.read": 3,
    "service.load": 3,  # the initial load: identity's rules, offline, beside read/
    "service.segments": 3,  # membership evaluated from what identity writes
    "service.steward": 3,  # corrections, review lists, possible matches over identity's graph
    "service.privacy": 4,  # consent, erasure, export: reads persons, writes through identity
    "service.api": 5,
    "service.cli": 6,  # serves the API and exports its schema
}


def _layer(module: str) -> int | None:
    for prefix, layer in LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return None


def _imports(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            base = node.module
            found += [f"{base}.{a.name}" for a in node.names] if base == "service" else [base]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return found


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_every_module_has_a_layer() -> None:
    unplaced = [
        _module(p)
        for p in SERVICE.rglob("*.py")
        if _module(p) != "service" and _layer(_module(p)) is None
    ]
    assert unplaced == []


def test_imports_run_one_way() -> None:
    upward: list[str] = []
    for path in SERVICE.rglob("*.py"):
        module = _module(path)
        if module == "service":
            continue  # the public face re-exports from every layer
        own = _layer(module)
        assert own is not None
        for imported in _imports(path):
            if imported.startswith("devtools"):
                upward.append(f"{module} imports {imported} (development tools)")
            layer = _layer(imported)
            if layer is not None and layer > own:
                upward.append(f"{module} imports {imported}")
    assert upward == []
