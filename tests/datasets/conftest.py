from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tuitrain.datasets.service import DatasetService


@pytest.fixture
def service(home: Path) -> Iterator[DatasetService]:
    svc = DatasetService(home)
    yield svc
    svc.close()
