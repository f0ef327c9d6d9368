"""Fixtures the independent servers' tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.independent.launch import asgi_process

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def drf_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Django REST framework app of tests/independent/drf_app, served once per test session (each xdist
    worker's): its tests only read, so test_drf.py and the fault table's DRF rows share it."""
    data = tmp_path_factory.mktemp("drf-app")
    with asgi_process(
        "tests.independent.drf_app.asgi:application", env={"DRF_APP_DATA": str(data)}, cwd=str(REPOSITORY)
    ) as origin:
        yield origin
