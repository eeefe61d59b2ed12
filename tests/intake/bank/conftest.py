"""Where the shared real-format sample statements live, for the bank statement tests.

The samples are kept outside the repository, in ../shared/data/bank beside the work tree
(CI clones the repository with shared/ beside it). A missing folder fails the tests with
a message saying where it was looked for: the tests never skip for want of their data.
"""

from pathlib import Path

import pytest

SHARED_BANK_DATA = Path(__file__).parents[3] / ".." / "shared" / "data" / "bank"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def bank_data() -> Path:
    """The folder of real-format bank statements (camt053/, mt940/, ofx/)."""
    folder = SHARED_BANK_DATA.resolve()
    if not folder.is_dir():
        pytest.fail(
            f"the shared bank statement samples are missing: expected the folder {folder} "
            "(shared/data/bank beside the repository's work tree)",
            pytrace=False,
        )
    return folder


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """The small hand-written statements beside these tests."""
    return FIXTURES
