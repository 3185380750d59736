"""The package's public names are exported, resolvable, and every module declares __all__."""

from __future__ import annotations

import importlib
import pkgutil

import service


def test_all_names_resolve() -> None:
    for name in service.__all__:
        assert hasattr(service, name), name


def test_every_module_declares_all() -> None:
    for module in pkgutil.walk_packages(service.__path__, "service."):
        loaded = importlib.import_module(module.name)
        if module.ispkg and module.name.endswith("types"):
            continue
        assert hasattr(loaded, "__all__"), module.name
        for name in loaded.__all__:
            assert hasattr(loaded, name), f"{module.name}.{name}"
