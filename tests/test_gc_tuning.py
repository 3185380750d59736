"""omnid's processes run with larger garbage-collector thresholds (service/gc_tuning.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from service import cli
from service.api.app import create_app
from service.gc_tuning import THRESHOLDS
from service.settings import Settings


@pytest.fixture(autouse=True)
def default_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_the_cli_tunes_the_collector_before_running_a_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[int, ...]] = []
    monkeypatch.setattr(cli, "app", lambda: seen.append(gc.get_threshold()))
    cli.main()
    assert seen == [THRESHOLDS]


def test_the_service_tunes_the_collector(settings: Settings) -> None:
    create_app(settings)
    assert gc.get_threshold() == THRESHOLDS
