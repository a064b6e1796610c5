"""Real concurrency for tests: start writers at the same moment, each on its own connection.

Used by the tests that prove one of two concurrent writes wins (keep-separate
orders, bed assignments) on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def run_together(*targets: Callable[[], object]) -> tuple[list[object], list[BaseException]]:
    """Start every target at the same moment, each on its own connection."""
    barrier = threading.Barrier(len(targets))
    results: list[object] = []
    errors: list[BaseException] = []

    def run(target: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results.append(target())
        except BaseException as exc:  # reported to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if any(thread.is_alive() for thread in threads):
        raise AssertionError("a writer never finished")
    return results, errors
