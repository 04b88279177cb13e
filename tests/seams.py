"""Run a behaviour test over both implementations of a ``core.db.Seam``."""

import pytest

from core.db import GENERIC, POSTGRESQL, Seam


def implementations(seam: Seam):
    """A fixture running each test with ``generic`` and (on PostgreSQL) ``postgresql``
    forced for ``seam``; its value is the implementation's name."""

    @pytest.fixture(params=[GENERIC, pytest.param(POSTGRESQL, marks=pytest.mark.postgres)])
    def fixture(request):
        with seam.forced(request.param):
            yield request.param

    return fixture
