from __future__ import annotations

from collections.abc import Iterator

import pytest

from cellblock.audit.tests.support import flushable_audit_trail


def _is_transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        (marker is not None and marker.kwargs.get("transaction"))
        or "transactional_db" in request.fixturenames
    )


@pytest.fixture(autouse=True)
def _flushable_audit_trail(request: pytest.FixtureRequest) -> Iterator[None]:
    if not _is_transactional(request):
        yield
        return
    # Set up after the database fixture, so this teardown runs before its flush.
    request.getfixturevalue("transactional_db")
    yield
    flushable_audit_trail()
