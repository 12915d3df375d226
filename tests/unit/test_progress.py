"""The terminal progress bar runs no thread of its own: forking row generators (the default
for large tables) needs the seeding process to have a single thread."""

from __future__ import annotations

import sys
import threading

import pytest

from seedlib.cli import _common
from seedlib.load.parallel import AUTO_ROWS, workers_for


def test_the_progress_bar_starts_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr("seedlib.load.parallel.usable_cpus", lambda: 2)
    before = threading.active_count()
    with _common._progress() as update:
        assert update is not None  # a terminal: the bar is shown
        update("orders", 10, 100)
        update("orders", 100, 100)
        assert threading.active_count() == before
        if before == 1 and sys.platform.startswith("linux"):
            assert workers_for(None, AUTO_ROWS) == 2
