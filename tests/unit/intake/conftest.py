"""The realistic export files the intake tests read live in tests/intake/files."""

from pathlib import Path

import pytest

FILES = Path(__file__).resolve().parents[2] / "intake" / "files"


@pytest.fixture(scope="session")
def files() -> Path:
    return FILES
